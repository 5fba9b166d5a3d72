"""A database with many stored processes, made quickly but honestly.

The first process is real: the Workflow service walks it through SOP D (``common.WALK``, with its
one Tidak Setuju) on the bench office, writing its state, step runs, hand-ins, audit events, button
tokens and every message it causes into the outbox, as the running bot does. Every further process
replays that template's writes through the same storage repositories, with its own ids and times,
cut at a point of the walk: most are finished, some still running at any step. So each stored
process has exactly the rows the bot would have written for it (messages marked sent, as they
would be by then), in big transactions.

The replay writes through the storage repositories, as the bot does, in transactions of a thousand
processes.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import random
import re
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache, cached_property
from pathlib import Path

from bench.common import ROOT, SOP_D, WALK, catalog, office_file
from bot.clock import FakeClock
from bot.office.admin import Admin
from bot.process.step_messages import MAX_FILE_BUTTONS
from bot.process.workflow import Done, Workflow
from storage.audit import AuditEvent
from storage.db import Database, Tx
from storage.outbox import OutboxItem
from storage.processes import ProcessRow, StepRun, StoredHandin

TEMPLATE_ID = 1
TEMPLATE_START = datetime(2022, 12, 5, 1, 0, tzinfo=UTC)  # Senin 08.00 WIB
CLONES_START = datetime(2023, 1, 2, 1, 0, tzinfo=UTC)  # the second process
STEP_GAP = timedelta(minutes=7)  # between the template's answers
PROCESS_GAP = timedelta(minutes=9)  # between the starts of stored processes
BATCH = 1000  # processes per transaction
RUNNING_SHARE = 0.03  # stored processes still running, cut at a random point of the walk


# --- the storage layer, for the replay ----------------------------------------------------------


def sync_database(path: Path) -> Database:
    """The storage layer on an existing, migrated file, without migrating again."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.row_factory = sqlite3.Row
    return Database(conn, path)


# --- the template --------------------------------------------------------------------------------


@dataclass
class Template:
    """What the real walk wrote, by moment: 0 is the start, k the k-th answer."""

    process: ProcessRow
    runs: list[StepRun]  # by visit
    handins: list[StoredHandin]
    events: list[AuditEvent]  # in chain order
    messages: list[OutboxItem]  # in outbox order
    choices: dict[int, list[str]]  # step -> its button choices
    payloads: dict[int, str]  # outbox id -> payload JSON with the process number marked

    def moment(self, at: datetime) -> int:
        return round((at - self.process.started_at) / STEP_GAP)

    @cached_property
    def by_moment(self) -> tuple[list[list[AuditEvent]], list[list[OutboxItem]]]:
        moments = range(len(self.runs) + 1)
        return (
            [[e for e in self.events if self.moment(e.at) == k] for k in moments],
            [[m for m in self.messages if self.moment(m.created_at) == k] for k in moments],
        )

    @cached_property
    def visit_of(self) -> dict[int, int]:
        return {r.id: r.visit for r in self.runs}


_NUMBER = re.compile(r"(#|/riwayat )1\b")


async def make_template(path: Path) -> None:
    """Import the bench office and walk the first process with the real services."""
    cat = catalog()
    clock = FakeClock(TEMPLATE_START)
    db = await Database.open(path)
    try:
        admin = Admin(db, cat, clock)
        await admin.import_office(office_file(cat))
        workflow = Workflow.of_catalog(db, cat, clock)
        async with db.read() as tx:
            office = (await tx.offices.all())[0]
            holders = {h.role: h.user_id for h in await tx.offices.holdings(office.id)}
        defn = cat.definitions[SOP_D]
        started = await workflow.start(holders[defn.starters[0]], office.id, SOP_D, "Konten JDIH")
        assert isinstance(started, Done), started
        assert started.process_id == TEMPLATE_ID, "the template must be the first process"
        for answer in WALK:
            clock.advance(STEP_GAP)
            async with db.read() as tx:
                process = await tx.processes.get(TEMPLATE_ID)
                assert process is not None
                run = await tx.processes.current_run(process)
            assert run is not None
            assert run.step == answer.step, (run, answer)
            done = await workflow.act(
                holders[defn.step(answer.step).pelaksana],
                run.id,
                answer.choice,
                note=answer.note,
                handins=answer.handins,
            )
            assert isinstance(done, Done), done
        async with db.transaction() as tx:
            for m in await _messages(tx):  # delivered long ago
                await tx.outbox.mark_sent(m.id, str(m.id), clock.now())
    finally:
        await db.close()


async def _messages(tx: Tx) -> list[OutboxItem]:
    """Every outbox row of the template: the first rows, all written before the first clone's
    start."""
    found: list[OutboxItem] = []
    while (m := await tx.outbox.get(len(found) + 1)) is not None and m.created_at < CLONES_START:
        found.append(m)
    return found


async def read_template(db: Database) -> Template:
    """What the template process wrote, read back through the repositories."""
    defn = catalog().definitions[SOP_D]
    async with db.read() as tx:
        process = await tx.processes.get(TEMPLATE_ID)
        assert process is not None
        assert process.status == "finished"
        messages = await _messages(tx)
        return Template(
            process=process,
            runs=await tx.processes.step_runs(TEMPLATE_ID),
            handins=await tx.processes.handins(TEMPLATE_ID),
            events=await tx.audit.for_process(TEMPLATE_ID),
            messages=messages,
            choices={s.number: [c.id for c in s.effective_choices] for s in defn.steps},
            payloads={
                m.id: _NUMBER.sub(r"\1⟦P⟧", json.dumps(m.payload, ensure_ascii=False))
                for m in messages
            },
        )


# --- replaying it ---------------------------------------------------------------------------------


@dataclass
class _Clone:
    row: ProcessRow
    shift: timedelta
    runs: dict[int, int]  # visit -> step run id
    outbox: dict[int, int]  # template outbox id -> this clone's
    files: list[int]  # the attachments handed in so far

    def at(self, instant: datetime) -> datetime:
        return instant + self.shift

    def opt(self, instant: datetime | None) -> datetime | None:
        return instant + self.shift if instant is not None else None


async def _clone(tx: Tx, t: Template, start: datetime, cut: int) -> None:
    """One stored process: the template's writes for its start and first ``cut`` answers."""
    p = t.process
    events, messages = t.by_moment
    shift = start - p.started_at
    first = t.runs[0]
    title = f"Konten JDIH {start:%d-%m-%Y %H.%M}"
    pid = await tx.processes.create(
        office_id=p.office_id,
        sop_code=p.sop_code,
        sop_version=p.sop_version,
        title=title,
        started_by=p.started_by,
        current_step=first.step,
        visit=first.visit,
        started_at=start,
    )
    row = replace(p, id=pid, title=title, status="running", current_step=first.step, visit=1)
    c = _Clone(replace(row, version=1, ended_at=None), shift, {}, {}, [])
    for moment in range(cut + 1):
        if moment > 0:
            await _answer(tx, t, c, moment, last=moment == len(t.runs))
        if moment < len(t.runs):
            await _open(tx, t, c, t.runs[moment])
        for event in events[moment]:
            data = dict(event.data)
            if event.kind == "process_started":
                data["title"] = title
            await tx.audit.append(
                event.kind,
                c.at(event.at),
                office_id=event.office_id,
                process_id=pid,
                actor_user_id=event.actor_user_id,
                data=data,
            )
        for m in messages[moment]:
            await _message(tx, t, c, m)


async def _open(tx: Tx, t: Template, c: _Clone, run: StepRun) -> None:
    run_id = await tx.processes.open_step_run(
        process_id=c.row.id,
        step=run.step,
        visit=run.visit,
        role=run.role,
        started_at=c.at(run.started_at),
        due_at=c.opt(run.due_at),
        next_alert_at=c.opt(run.next_alert_at),
        returned_from=run.returned_from,
        return_note=run.return_note,
        return_by=run.return_by,
    )
    c.runs[run.visit] = run_id
    for choice in t.choices[run.step]:
        await tx.conversation.step_token(run_id, choice, c.at(run.started_at))
    for handin_id in c.files[-MAX_FILE_BUTTONS:]:
        await tx.conversation.file_token(handin_id, c.at(run.started_at))


async def _answer(tx: Tx, t: Template, c: _Clone, visit: int, *, last: bool) -> None:
    run = t.runs[visit - 1]
    assert run.done_at is not None
    assert run.done_by is not None
    assert run.outcome is not None
    run_id = c.runs[visit]
    await tx.processes.close_step_run(
        run_id, done_at=c.at(run.done_at), done_by=run.done_by, outcome=run.outcome, note=run.note
    )
    for h in t.handins:
        if h.step_run_id == run.id:
            handin_id = await tx.processes.add_handin(
                process_id=c.row.id,
                step_run_id=run_id,
                kind=h.kind,
                label=h.label,
                value=h.value,
                file_name=h.file_name,
                mime_type=h.mime_type,
                created_by=h.created_by,
                created_at=c.at(h.created_at),
            )
            if h.kind == "attachment":
                c.files.append(handin_id)
    if last:
        status, step, ended = "finished", None, c.at(run.done_at)
    else:
        status, step, ended = "running", t.runs[visit].step, None
    new_visit = visit if last else visit + 1
    version = await tx.processes.update_state(
        c.row, status=status, current_step=step, visit=new_visit, ended_at=ended
    )
    c.row = replace(c.row, status=status, current_step=step, visit=new_visit, version=version)


async def _message(tx: Tx, t: Template, c: _Clone, m: OutboxItem) -> None:
    payload = json.loads(t.payloads[m.id].replace("⟦P⟧", str(c.row.id)))
    if isinstance(payload.get("generate"), dict) and "process" in payload["generate"]:
        payload["generate"]["process"] = c.row.id
    step_run = None
    if m.step_run_id is not None:
        step_run = c.runs[t.visit_of[m.step_run_id]]
    at = c.at(m.created_at)
    new = await tx.outbox.enqueue(
        channel=m.channel,
        chat_id=m.chat_id,
        payload=payload,
        now=at,
        kind=m.kind,
        office_id=m.office_id,
        user_id=m.user_id,
        step_run_id=step_run,
        edit_of=c.outbox[m.edit_of] if m.edit_of is not None else None,
    )
    assert new is not None
    c.outbox[m.id] = new
    await tx.outbox.mark_sent(new, str(new), at + timedelta(seconds=1))


async def seed(path: Path, have: int, target: int) -> None:
    """Add stored processes to a database holding ``have`` (at least the template) up to
    ``target``. Which are still running, and where, depends only on the process's number."""
    db = sync_database(path)
    try:
        template = await read_template(db)
        while have < target:
            batch = min(BATCH, target - have)
            async with db.transaction() as tx:
                for number in range(have + 1, have + batch + 1):
                    rng = random.Random(number)
                    running = rng.random() < RUNNING_SHARE
                    cut = rng.randrange(len(WALK)) if running else len(WALK)
                    start = CLONES_START + (number - 2) * PROCESS_GAP
                    await _clone(tx, template, start, cut)
            have += batch
    finally:
        await db.close()


# --- kept between runs ----------------------------------------------------------------------------

CACHE = ROOT / "data" / "bench"
# What decides the stored rows: the replay, the schema and the repositories that write it, the
# SOP and the office. (The template's message texts come from bot/words/; a wording change
# there does not make the stored processes any different to measure against.)
_FINGERPRINTED = [
    "bench/seed.py",
    "bench/common.py",
    "sop/definitions/kapuas-medsos-jdih.yaml",
    "bot/office/examples/kpu-kabupaten-kapuas.yaml",
    "storage/*.py",
    "storage/migrations/*.sql",
]


@cache
def fingerprint() -> str:
    """Changes when anything that decides the stored rows changes; taken once per run."""
    digest = hashlib.sha256()
    for pattern in _FINGERPRINTED:
        for path in sorted(ROOT.glob(pattern)):
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class Stored:
    path: Path  # a working copy, this run's own
    count: int
    seconds: float  # what storing them took, from nothing
    cached: bool  # made by an earlier run


_WORK: Path | None = None


def _work_folder() -> Path:
    global _WORK
    if _WORK is None:
        _WORK = Path(tempfile.mkdtemp(prefix="sopbot-bench-"))
        atexit.register(shutil.rmtree, _WORK, True)
    return _WORK


def _copy(source: Path, target: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)


async def stored(count: int) -> Stored:
    """A database of ``count`` stored processes, as a copy of this run's own to change at will.

    Seeded databases are kept in data/bench/ (named by ``fingerprint()`` and count), so only the
    first run after a change pays for seeding; a larger one is seeded on from the largest smaller
    one kept. Delete data/bench/ to seed again."""
    CACHE.mkdir(parents=True, exist_ok=True)
    key = fingerprint()
    kept = CACHE / f"{key}-{count}.db"
    seconds_file = kept.with_suffix(".seconds")
    cached = kept.exists()
    if not cached:
        smaller = sorted((int(p.stem.rsplit("-", 1)[1]), p) for p in CACHE.glob(f"{key}-*.db"))
        smaller = [(n, p) for n, p in smaller if n < count]
        began = time.perf_counter()
        partial = CACHE / f"{key}-partial.db"
        if smaller:
            have, source = smaller[-1]
            spent = float(source.with_suffix(".seconds").read_text(encoding="utf-8"))
            _copy(source, partial)
        else:
            have, spent = 1, 0.0
            partial.unlink(missing_ok=True)
            await make_template(partial)
        await seed(partial, have, count)
        await _checkpoint(partial)
        partial.replace(kept)
        seconds_file.write_text(f"{spent + time.perf_counter() - began:.1f}", encoding="utf-8")
    work = _work_folder() / f"stored-{count}.db"
    _copy(kept, work)
    return Stored(work, count, float(seconds_file.read_text(encoding="utf-8")), cached)


async def _checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the file (closing the last connection does), so the kept
    database is one file."""
    db = await Database.open(path)
    await db.close()
