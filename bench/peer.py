"""Peer: SOP D walked by our engine and by SpiffWorkflow, transitions per second of each, in one run.

Both walk the same process: SOP D from disposisi to upload with one Tidak Setuju at step 5 that
sends it back to step 4 (``common.WALK``): eight transitions after the start.

- ours, engine: ``sop.engine`` alone, in memory (start + apply).
- ours, engine + SQLite: the Workflow service the bot uses on every press, on the project's storage
  (sqlite3 on the event loop, WAL): each answer reads the current step run, then one transaction
  writes the state, step runs, hand-ins, the hash-chained audit events and every message the change
  causes (rendered, into the outbox). The statements per transition are counted, and the hops to a
  database thread (none: the connection is used on the loop's own thread).
- SpiffWorkflow, engine: the same flow as BPMN (``sop_d.bpmn``: a user task per step, an exclusive
  gateway after step 5) run by SpiffWorkflow's BPMN engine in memory.
- SpiffWorkflow + SQLite: after each step the workflow is serialised (its JSON serializer) and
  written to SQLite (WAL, synchronous=NORMAL, as ours), one transaction per step.
- SpiffWorkflow + SQLite, load each step: as a bot that keeps no workflow in memory between presses
  would: read and deserialise, run the task, serialise and write.

The ratio compares the two "+ SQLite" rows. Each variant runs whole walks for a few seconds, three
rounds interleaved; the table gives the median round and the spread of the three.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import SOP_D, WALK, Benchmark, Table, catalog, header, median, office_file
from bot.clock import FakeClock
from bot.office.admin import Admin
from bot.process.workflow import Done, Workflow
from sop import engine
from sop.engine import Action, Actor
from storage.db import Database

BPMN = Path(__file__).with_name("sop_d.bpmn")
PROCESS_ID = "kapuas_medsos_jdih"
ROUND_SECONDS = 3.0
ROUNDS = 3
T0 = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)

Walks = Callable[[int], Awaitable[None]]  # walk n processes


# --- ours ----------------------------------------------------------------------------------------


def ours_engine() -> Walks:
    defn = catalog().definitions[SOP_D]
    roles = {s.pelaksana for s in defn.steps}
    actors = {role: Actor(user_id=i, roles=frozenset({role})) for i, role in enumerate(roles, 1)}
    starter = actors[defn.starters[0]]

    async def walk(n: int) -> None:
        for _ in range(n):
            now = T0
            t = engine.start(defn, starter, "Konten JDIH", now)
            state = t.state
            for answer in WALK:
                now += timedelta(minutes=7)
                assert state.current_step == answer.step
                action = Action(
                    answer.choice,
                    answer.step,
                    state.visit,
                    note=answer.note,
                    handins=answer.handins,
                )
                actor = actors[defn.step(answer.step).pelaksana]
                state = engine.apply(defn, state, actor, action, now).state
            assert state.status is engine.Status.FINISHED

    return walk


class Statements:
    """Counts the SQL statements our storage runs, and the transactions among them."""

    def __init__(self) -> None:
        self.statements = 0
        self.transactions = 0

    def __call__(self, sql: str) -> None:
        self.statements += 1
        if sql.startswith("BEGIN"):
            self.transactions += 1


async def ours_stored(
    folder: Path, counter: Statements
) -> tuple[Walks, Callable[[], Awaitable[None]]]:
    cat = catalog()
    clock = FakeClock(T0)
    db = await Database.open(folder / "ours.db")
    office = office_file(cat)
    await Admin(db, cat, clock).import_office(office)
    workflow = Workflow.of_catalog(db, cat, clock)
    async with db.read() as tx:
        stored = await tx.offices.by_code(office.code)
        assert stored is not None
        held = {h.role: h.user_id for h in await tx.offices.holdings(stored.id)}
    defn = cat.definitions[SOP_D]
    db.trace(counter)

    async def walk(n: int) -> None:
        for _ in range(n):
            started = await workflow.start(held[defn.starters[0]], stored.id, SOP_D, "Konten JDIH")
            assert isinstance(started, Done), started
            for answer in WALK:
                clock.advance(timedelta(minutes=7))
                async with db.read() as tx:  # as the dialog reads the pressed button's step run
                    process = await tx.processes.get(started.process_id)
                    assert process is not None
                    run = await tx.processes.current_run(process)
                assert run is not None
                assert run.step == answer.step
                done = await workflow.act(
                    held[defn.step(answer.step).pelaksana],
                    run.id,
                    answer.choice,
                    note=answer.note,
                    handins=answer.handins,
                )
                assert isinstance(done, Done), done

    return walk, db.close


# --- SpiffWorkflow -------------------------------------------------------------------------------


class SpiffStore:
    """The peer's persistence: one row per workflow holding its serialised JSON. (The project's
    own data is only ever written through storage/; this table belongs to the peer.)"""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(str(path), isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS workflows (id INTEGER PRIMARY KEY, state TEXT NOT NULL)"
        )

    def create(self, state: str) -> int:
        cursor = self.conn.execute("INSERT INTO workflows (state) VALUES (?)", (state,))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def save(self, workflow_id: int, state: str) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("UPDATE workflows SET state = ? WHERE id = ?", (state, workflow_id))
        self.conn.execute("COMMIT")

    def load(self, workflow_id: int) -> str:
        row = self.conn.execute(
            "SELECT state FROM workflows WHERE id = ?", (workflow_id,)
        ).fetchone()
        return str(row[0])

    def close(self) -> None:
        self.conn.close()


def spiff_walks(store: SpiffStore | None, *, reload: bool = False) -> Walks:
    from SpiffWorkflow import TaskState
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.parser import BpmnParser
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer

    parser = BpmnParser()
    parser.add_bpmn_file(str(BPMN))
    spec = parser.get_spec(PROCESS_ID)
    serializer = BpmnWorkflowSerializer()

    def step(workflow: Any, number: int, choice: str) -> None:
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        assert len(ready) == 1, ready
        assert ready[0].task_spec.name == f"step_{number}", ready
        task = ready[0]
        task.data["choice"] = choice
        task.run()
        workflow.do_engine_steps()

    async def walk(n: int) -> None:
        for _ in range(n):
            workflow = BpmnWorkflow(spec)
            workflow.do_engine_steps()
            wid = store.create(serializer.serialize_json(workflow)) if store else 0
            for answer in WALK:
                if store is not None and reload:
                    workflow = serializer.deserialize_json(store.load(wid))
                step(workflow, answer.step, answer.choice)
                if store is not None:
                    store.save(wid, serializer.serialize_json(workflow))
            assert workflow.is_completed()

    return walk


# --- running -------------------------------------------------------------------------------------


async def _round(walk: Walks) -> float:
    """Transitions per second over whole walks for about ROUND_SECONDS."""
    await walk(1)  # warm: imports, caches, the first rows
    walks, began = 0, time.perf_counter()
    batch = 1
    while (elapsed := time.perf_counter() - began) < ROUND_SECONDS:
        await walk(batch)
        walks += batch
        if elapsed < ROUND_SECONDS / 4:
            batch *= 2
    return walks * len(WALK) / (time.perf_counter() - began)


async def _counted(walk: Walks, counter: Statements) -> tuple[int, int]:
    """The statements and transactions of one whole walk (its start and every answer)."""
    counter.statements = counter.transactions = 0
    await walk(1)
    return counter.statements, counter.transactions


async def run() -> None:
    header("peer", "SOP D by our engine and by SpiffWorkflow (BPMN), transitions per second")
    import SpiffWorkflow

    with tempfile.TemporaryDirectory(prefix="sopbot-peer-") as name:
        folder = Path(name)
        counter = Statements()
        ours_walk, close_ours = await ours_stored(folder, counter)
        spiff_store = SpiffStore(folder / "spiff.db")
        variants: dict[str, Walks] = {
            "ours, engine": ours_engine(),
            "ours, engine + SQLite (Workflow service)": ours_walk,
            f"SpiffWorkflow {SpiffWorkflow.__version__}, engine": spiff_walks(None),
            "SpiffWorkflow + SQLite (save each step)": spiff_walks(spiff_store),
            "SpiffWorkflow + SQLite (load + save each step)": spiff_walks(spiff_store, reload=True),
        }
        results: dict[str, list[float]] = {name: [] for name in variants}
        try:
            for _ in range(ROUNDS):
                for label, walk in variants.items():
                    results[label].append(await _round(walk))
                    await asyncio.sleep(0)
            counted = await _counted(ours_walk, counter)
        finally:
            await close_ours()
            spiff_store.close()
    table = Table(
        f"Transitions per second, SOP D walk of {len(WALK)} transitions "
        f"({ROUNDS} rounds of {ROUND_SECONDS:.0f} s)",
        ["variant", "transitions/s", "min", "max", "ms/transition"],
    )
    for label, figures in results.items():
        mid = median(figures)
        table.add(label, mid, min(figures), max(figures), 1000 / mid)
    ours = median(results["ours, engine + SQLite (Workflow service)"])
    spiff = median(results["SpiffWorkflow + SQLite (save each step)"])
    statements, transactions = counted
    per = len(WALK) + 1
    table.notes = [
        f"ratio ours/SpiffWorkflow with SQLite (save each step): {ours / spiff:.2f}",
        f"ours per transition (start included, with the read before each answer): "
        f"{statements / per:.1f} SQL statements in {transactions / per:.1f} "
        "transactions, 0 hops to a database thread",
        "ours + SQLite also writes per transition what SpiffWorkflow's rows do not hold: the "
        "hash-chained audit events, the step runs and every message rendered into the outbox.",
    ]
    table.print()


BENCHMARK = Benchmark("peer", "our engine vs SpiffWorkflow on SOP D", run, order=20)
