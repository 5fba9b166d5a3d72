"""The retention: messages sent longer ago than MESSAGE_RETENTION, and updates handled as long ago,
are forgotten; nothing an open step, a message still to send, a deduplication key or the audit
chain needs is. On a real SQLite file, with the clock moved past the retention."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.chat.retention import BATCH, MIN_REST, SHARE, Retention
from bot.clock import FakeClock
from bot.office.admin import Admin
from bot.office.files import validate_office
from bot.process.scheduler import Scheduler
from bot.process.workflow import Done, Workflow
from bot.settings import Settings
from sop.loader import Catalog, load_catalog
from storage.db import Database
from tests.harness import T0, Harness, is_step, office_data, play, start_process, wait_closed
from tests.sopwalk import SCRIPTS, sample_handin

SOP_D = "kapuas-medsos-jdih"
KEEP_FOR = timedelta(days=30)


@dataclass
class World:
    """The services alone (no channel): messages are queued, and marked sent by the test."""

    db: Database
    path: Path
    clock: FakeClock
    catalog: Catalog
    workflow: Workflow
    office_id: int
    holders: dict[str, int]  # role -> user id

    def retention(self, batch: int = BATCH) -> Retention:
        return Retention(self.db, self.clock, KEEP_FOR, batch=batch)

    async def start(self, title: str) -> int:
        starter = self.holders[SCRIPTS[SOP_D].starter_role]
        done = await self.workflow.start(starter, self.office_id, SOP_D, title)
        assert isinstance(done, Done), done
        return done.process_id

    async def answer(self, process_id: int, count: int) -> None:
        """The next ``count`` answers of the SOP D script, a minute apart."""
        defn = self.catalog.definitions[SOP_D]
        async with self.db.read() as tx:
            done = len([r for r in await tx.processes.step_runs(process_id) if not r.is_open])
        for round_, answer in enumerate(SCRIPTS[SOP_D].answers[done : done + count], done):
            self.clock.advance(timedelta(minutes=1))
            run = await self.open_run(process_id)
            assert run is not None
            assert run[1] == answer.step
            step = defn.step(answer.step)
            choice = step.choice(answer.choice)
            assert choice is not None
            handins = (
                [sample_handin(s, step.number, round_) for s in step.handin]
                if choice.positive
                else []
            )
            outcome = await self.workflow.act(
                self.holders[step.pelaksana],
                run[0],
                answer.choice,
                note=answer.note,
                handins=handins,
            )
            assert isinstance(outcome, Done), outcome

    async def open_run(self, process_id: int) -> tuple[int, int] | None:
        async with self.db.read() as tx:
            process = await tx.processes.get(process_id)
            assert process is not None
            run = await tx.processes.current_run(process)
        return (run.id, run.step) if run is not None else None

    async def send_all(self) -> None:
        """Every message queued so far is delivered, as the sender would mark it."""
        async with self.db.transaction() as tx:
            rows = tx.conn.execute("SELECT id FROM outbox WHERE state = 'pending'").fetchall()
            for (item_id,) in rows:
                await tx.outbox.mark_sent(item_id, f"m{item_id}", self.clock.now())

    async def rows(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        async with self.db.read() as tx:
            return [tuple(r) for r in tx.conn.execute(sql, params).fetchall()]

    async def run_ids(self, process_id: int) -> set[int]:
        async with self.db.read() as tx:
            return {r.id for r in await tx.processes.step_runs(process_id)}


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = FakeClock(T0)
    catalog = load_catalog()
    path = tmp_path / "sopbot.db"
    db = await Database.open(path)
    try:
        await Admin(db, catalog, clock).import_office(
            validate_office(office_data("kapuas"), "kapuas.yaml", catalog)
        )
        async with db.read() as tx:
            office = await tx.offices.by_code("kpu-kapuas")
            assert office is not None
            holders = {h.role: h.user_id for h in await tx.offices.holdings(office.id)}
        # No channel with office groups: an upload is announced to each person, keyed.
        workflow = Workflow.of_catalog(db, catalog, clock, always_open=True)
        yield World(db, path, clock, catalog, workflow, office.id, holders)
    finally:
        await db.close()


async def _finished_and_running(world: World) -> tuple[int, int]:
    """A process walked to its end, and one left at step 2 (step 1 done), all delivered."""
    finished = await world.start("Selesai dulu")
    await world.answer(finished, len(SCRIPTS[SOP_D].answers))
    running = await world.start("Masih jalan")
    await world.answer(running, 1)
    await world.send_all()
    return finished, running


@pytest.mark.parametrize("batch", [BATCH, 3])
async def test_a_finished_process_loses_its_messages_and_an_open_step_keeps_its_own(
    world: World, batch: int
) -> None:
    finished, running = await _finished_and_running(world)
    open_run = await world.open_run(running)
    assert open_run is not None
    finished_runs = await world.run_ids(finished)
    async with world.db.transaction() as tx:
        kept_step = await tx.outbox.for_step_run(open_run[0])
        assert kept_step
        finished_messages = [m for r in finished_runs for m in await tx.outbox.for_step_run(r)]
        # What the channel said of a message of each; a prompt asked in a finished one.
        await tx.outbox.record_status("telegram", f"m{kept_step[0].id}", "read", world.clock.now())
        gone = finished_messages[0]
        await tx.outbox.record_status("telegram", f"m{gone.id}", "read", world.clock.now())
        assert gone.user_id is not None
        await tx.conversation.asked_in(gone.id, gone.user_id, f"proses:{finished}")
        announced = await tx.outbox.keyed(f"announce:{finished}:")
    assert announced  # every person heard of the upload, once
    total = len(await world.rows("SELECT id FROM outbox"))

    # A day short of the retention: nothing goes.
    world.clock.advance(KEEP_FOR - timedelta(days=1))
    nothing = await world.retention(batch).run()
    assert not nothing.anything
    assert len(await world.rows("SELECT id FROM outbox")) == total

    world.clock.advance(timedelta(days=2))
    done = await world.retention(batch).run()
    assert done.messages > 0
    assert done.statuses == 1
    assert done.asked == 1
    left = await world.rows("SELECT id, step_run_id, kind, dedupe_key FROM outbox")
    # Only the open step's messages are left: not one of the finished process, nor of the
    # running one's closed step 1, nor an edit of them, nor the announcements.
    assert {row[0] for row in left} == {m.id for m in kept_step}
    assert done.messages == total - len(kept_step)
    async with world.db.read() as tx:
        assert await tx.outbox.delivery_statuses(open_run[0])  # /proses still shows "read"
        assert await tx.outbox.status_of("telegram", f"m{gone.id}") is None
        assert await tx.conversation.topic_of_message(gone.id, gone.user_id) is None
        assert await tx.outbox.keyed("announce:") == []
        chain = await tx.audit.verify()
        events = len(await tx.audit.for_process(finished))
    assert chain.ok, chain
    assert events > 10  # the audit trail is whole

    # The open step closes later: its message is still there to be edited.
    await world.answer(running, 1)
    edits = await world.rows("SELECT edit_of FROM outbox WHERE kind = 'edit'")
    assert {row[0] for row in edits} == {m.id for m in kept_step}

    # The upload of the finished process is not announced again by pressing its button again.
    async with world.db.read() as tx:
        last = max((await tx.processes.step_runs(finished)), key=lambda r: r.visit)
    again = await world.workflow.act(world.holders["pengelola_jdih"], last.id, "selesai")
    assert not isinstance(again, Done)
    async with world.db.read() as tx:
        assert await tx.outbox.keyed("announce:") == []

    # The command line verifies the chain as well.
    await world.db.close()
    verify = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "audit",
        "verify",
        "--database",
        str(world.path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await verify.communicate()
    assert verify.returncode == 0, err.decode()
    assert "peristiwa diperiksa" in out.decode()
    world.db = await Database.open(world.path)


async def test_the_job_rests_between_batches_so_the_bot_keeps_the_event_loop(
    world: World,
) -> None:
    """Each batch holds the event loop while SQLite deletes; after each the job rests four times
    as long as the batch took (at least MIN_REST), so it takes at most a fifth of the loop."""
    await _finished_and_running(world)
    world.clock.advance(KEEP_FOR + timedelta(days=1))
    rests: list[float] = []

    async def rest(seconds: float) -> None:
        rests.append(seconds)

    done = await Retention(world.db, world.clock, KEEP_FOR, batch=2, rest=rest).run()
    assert done.messages > 4
    assert len(rests) == done.batches > 2
    assert min(rests) >= MIN_REST
    assert max(rests) >= done.longest * (1 - SHARE) / SHARE


async def test_what_is_still_to_send_and_keys_without_an_end_are_kept(world: World) -> None:
    now = world.clock.now()
    async with world.db.transaction() as tx:
        pending = await tx.outbox.enqueue(channel="telegram", chat_id="7", payload={}, now=now)
        waiting = await tx.outbox.enqueue(
            channel="telegram", chat_id=None, office_id=world.office_id, payload={}, now=now
        )
        waiting_person = await tx.outbox.enqueue(
            channel="whatsapp", chat_id="62811", payload={}, now=now
        )
        joined = await tx.outbox.enqueue(
            channel="telegram", chat_id="-100", payload={}, now=now, dedupe_key="joined:t:-100"
        )
        unknown = await tx.outbox.enqueue(
            channel="telegram", chat_id="8", payload={}, now=now, dedupe_key="baru:8"
        )
        stranger = await tx.outbox.enqueue(
            channel="telegram", chat_id="9", payload={}, now=now, dedupe_key="stranger:t:9:x:0"
        )
        failed = await tx.outbox.enqueue(channel="telegram", chat_id="10", payload={}, now=now)
        for item in (joined, unknown, stranger):
            assert item is not None
            await tx.outbox.mark_sent(item, f"m{item}", now)
        assert waiting_person is not None
        assert failed is not None
        await tx.outbox.wait_for_person(waiting_person, "window closed")
        await tx.outbox.mark_failed(failed, "blocked by the user")
        body = await tx.inbound.keep("telegram", b'{"update_id": 1}', now)
        await tx.inbound.mark_handled(body, now)
        unhandled = await tx.inbound.keep("telegram", b'{"update_id": 2}', now)
    world.clock.advance(KEEP_FOR + timedelta(days=1))
    async with world.db.transaction() as tx:
        young = await tx.inbound.keep("telegram", b'{"update_id": 3}', world.clock.now())
        await tx.inbound.mark_handled(young, world.clock.now())
    done = await world.retention().run()
    assert (done.messages, done.inbound) == (2, 1)
    left = {row[0] for row in await world.rows("SELECT id FROM outbox")}
    assert left == {pending, waiting, waiting_person, joined, unknown}
    assert {row[0] for row in await world.rows("SELECT id FROM inbound")} == {unhandled, young}


async def test_a_late_open_step_keeps_its_reminders_and_escalation_and_none_is_queued_twice(
    world: World,
) -> None:
    process = await world.start("Terlambat")
    run = await world.open_run(process)
    assert run is not None
    scheduler = Scheduler(world.db, world.workflow.steps, world.clock, arm=lambda _: None)
    world.clock.advance(timedelta(hours=3))  # late, reminded and escalated
    assert await scheduler.tick() == 1
    await world.send_all()
    keys = {
        str(row[0])
        for row in await world.rows("SELECT dedupe_key FROM outbox WHERE dedupe_key IS NOT NULL")
    }
    assert any(k.startswith(f"remind:{run[0]}:1:") for k in keys), keys
    assert any(k.startswith(f"escalate:{run[0]}:") for k in keys), keys

    world.clock.advance(KEEP_FOR + timedelta(days=1))
    await world.retention().run()
    left = {
        str(row[0])
        for row in await world.rows("SELECT dedupe_key FROM outbox WHERE dedupe_key IS NOT NULL")
    }
    assert keys <= left  # the run is open: its reminder and its escalation stay
    # The step closes; past the retention again, they go, and nothing is queued again for it.
    await world.answer(process, 1)
    await world.send_all()
    world.clock.advance(KEEP_FOR + timedelta(days=1))
    await world.retention().run()
    assert await world.rows("SELECT id FROM outbox WHERE dedupe_key LIKE 'remind:%'") == []
    assert await world.rows("SELECT id FROM outbox WHERE dedupe_key LIKE 'escalate:%'") == []
    before = len(await world.rows("SELECT id FROM outbox"))
    await scheduler.tick()  # step 2 is late now too, and reminded; step 1 is never again
    for key in keys:
        assert await world.rows("SELECT id FROM outbox WHERE dedupe_key = ?", key) == []
    assert len(await world.rows("SELECT id FROM outbox")) >= before


async def test_an_edit_still_to_send_keeps_the_message_it_edits(world: World) -> None:
    process = await world.start("Sunting")
    await world.send_all()
    await world.answer(process, 1)  # step 1 closes: its message's edit is queued, not sent
    edits = await world.rows("SELECT id, edit_of FROM outbox WHERE kind = 'edit'")
    assert edits
    world.clock.advance(KEEP_FOR + timedelta(days=1))
    await world.retention().run()
    left = {row[0] for row in await world.rows("SELECT id FROM outbox")}
    assert {e[0] for e in edits} | {e[1] for e in edits} <= left
    await world.send_all()  # delivered now: a retention later, both go
    world.clock.advance(KEEP_FOR + timedelta(days=1))
    await world.retention().run()
    left = {row[0] for row in await world.rows("SELECT id FROM outbox")}
    assert not ({e[0] for e in edits} | {e[1] for e in edits}) & left


def test_the_retention_is_a_setting_written_like_a_waktu_of_at_least_a_week() -> None:
    assert Settings(_env_file=None).retention() == timedelta(days=30)
    assert Settings(_env_file=None, message_retention="90 hari").retention() == timedelta(days=90)
    with pytest.raises(ValidationError, match="paling singkat 7 hari"):
        Settings(_env_file=None, message_retention="3 hari")
    with pytest.raises(ValidationError, match="tidak dikenali"):
        Settings(_env_file=None, message_retention="sebulan")


async def test_a_step_open_past_the_retention_is_still_edited_when_it_closes(h: Harness) -> None:
    """Through the fake Bot API: a finished process and a step left open; a month and more later
    the retention runs, and the open step's message is still edited when it is done."""
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    finished = await play(h, people, SOP_D, "Sudah selesai")
    budi = people["kasubbag_hukum_sdm"]
    mark = budi.mark()
    running = await start_process(h, budi, h.catalog.definitions[SOP_D], "Masih dibuka")
    step1 = await budi.wait_for(is_step(1, 6), since=mark)
    assert h.bot is not None
    assert h.bot.db is not None
    assert h.bot.sender is not None
    assert h.bot.retention is not None
    await h.bot.sender.drain()

    h.clock.advance(KEEP_FOR + timedelta(days=1))
    done = await h.bot.retention.run()
    assert done.messages > 0
    async with h.bot.db.read() as tx:
        runs = {r.id for r in await tx.processes.step_runs(finished)}
        left = tx.conn.execute("SELECT step_run_id FROM outbox").fetchall()
        assert not {row[0] for row in left} & runs
        process = await tx.processes.get(running)
        assert process is not None
        run = await tx.processes.current_run(process)
        assert run is not None
        assert await tx.outbox.for_step_run(run.id)
        assert (await tx.audit.verify()).ok

    mark = budi.mark()
    answer = await budi.press(step1, "Selesai")
    assert answer.text == "Tercatat: Selesai"
    await wait_closed(budi, step1.message_id, mark)
