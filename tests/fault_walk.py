"""Walking SOP D through the bot the way people do when the bot or Telegram falters, and the checks
of what such a run must leave behind.

A person whose press gets no answer presses again; one whose prompt does not come presses again to
get it; what to do next is decided by the process's stored state, not by the messages seen. So a
walk goes on through lost presses, lost answers, lost messages and restarts of the bot, and stops
only when the process is finished (or its deadline passes, which fails the test).

The checks take what a run left behind (the database, the fake's chats, how often the bot was
killed) and state what the design guarantees. They are a list so a check for reminders joins it
once reminders exist.

``WhileDown`` is what people do around a kill: a command the bot has received but perhaps not
handled when it is killed, and, while it is dead, another command and a press on a process's open
step with the note, file or link it asks for sent right after it (as a person who knows the step
would). Telegram queues what is sent while the bot is dead; after the restart all of it must have
been handled.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.chat.messages import OutMessage
from bot.process.files import FILE_PREFIX
from bot.words.steps import ALREADY_DONE
from fakes.telegram import CallbackAnswer, FakeBotApi, FakeMessage, FakeUser
from sop import engine
from sop.engine import Action, Actor, ProcessState, Status
from sop.handins import Handin
from sop.loader import Catalog
from sop.models import HandinKind, SopDefinition
from storage.db import Database
from storage.outbox import OutboxItem

SOP_D = "kapuas-medsos-jdih"
NOTE = "Caption belum menyebut nomor keputusan."
# (step, visit) -> the answer given; step 5's first visit says Tidak Setuju, so step 4 comes again.
EXPECTED = [
    (1, "selesai"),
    (2, "selesai"),
    (3, "selesai"),
    (4, "selesai"),
    (5, "tidak_setuju"),
    (4, "selesai"),
    (5, "setuju"),
    (6, "selesai"),
]
LABEL = {"selesai": "Selesai", "setuju": "Setuju", "tidak_setuju": "Tidak Setuju"}


@dataclass
class Walker:
    """Walks processes of SOP D to their end; ``acked`` are the transitions the bot confirmed."""

    api: FakeBotApi
    db: Database
    defn: SopDefinition
    people: dict[str, FakeUser]  # role -> person
    patience: float = 3.0  # seconds to wait for an answer before trying again
    acked: set[tuple[int, int, str]] = field(default_factory=set)  # (process, visit, choice)
    retries: int = 0
    busy: dict[int, asyncio.Lock] = field(default_factory=dict)  # a person does one thing at once
    sent: list[tuple[float, str]] = field(default_factory=list)  # (monotonic time, what) sent
    # When set, a process's last step waits for it: a test keeps the walks going until it is done.
    last_step: asyncio.Event | None = None

    async def state(self, process: int) -> tuple[str, int | None, int]:
        async with self.db.read() as tx:
            row = await tx.processes.get(process)
        assert row is not None
        return row.status, row.current_step, row.visit

    async def walk(self, process: int, *, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        while True:
            status, step, visit = await self.state(process)
            if status != "running":
                assert status == "finished", (process, status)
                return
            assert step is not None
            if time.monotonic() > deadline:
                raise TimeoutError(f"process #{process} still at step {step} (visit {visit})")
            if self.last_step is not None and self.defn.step(step).final:
                await self.last_step.wait()
            person = self.people[self.defn.step(step).pelaksana]
            async with self.busy.setdefault(person.id, asyncio.Lock()):
                done = await self._act(process, step, visit)
            if not done:
                self.retries += 1
                await asyncio.sleep(0.1)

    def step_message(self, user: FakeUser, process: int, step: int) -> FakeMessage | None:
        index = self.defn.index(step)
        head = f"Langkah {index} dari {len(self.defn.steps)}"
        for message in reversed(user.bot_messages):
            if f"Proses #{process} " in message.text and head in message.text and message.buttons:
                return message
        return None

    async def _act(self, process: int, step: int, visit: int) -> bool:
        """One attempt at the current step; True when the bot confirmed it."""
        if await self.state(process) != ("running", step, visit):
            return True  # someone's earlier attempt went through meanwhile
        choice = EXPECTED[visit - 1][1]
        assert EXPECTED[visit - 1][0] == step, (process, step, visit)
        user = self.people[self.defn.step(step).pelaksana]
        message = self.step_message(user, process, step)
        if message is None:
            return False  # not delivered yet
        mark = user.mark()
        self.sent.append((time.monotonic(), "press"))
        try:
            answer = await user.press(message, LABEL[choice], timeout=self.patience)
        except TimeoutError:
            return False  # the press or its answer was lost
        text = answer.text or ""
        if text.startswith("Tercatat"):
            self.acked.add((process, visit, choice))
            return True
        if text == ALREADY_DONE:
            return False  # a press the bot had already taken
        step_def = self.defn.step(step)
        chosen = step_def.choice(choice)
        assert chosen is not None
        if chosen.needs_note:
            return await self._reply(process, visit, choice, user, mark, None, NOTE)
        spec = step_def.handin[0]
        value = (
            f"https://www.instagram.com/p/kpukapuas-{process}/"
            if spec.kind is HandinKind.LINK
            else None
        )
        return await self._reply(process, visit, choice, user, mark, spec.label, value)

    async def _reply(
        self,
        process: int,
        visit: int,
        choice: str,
        user: FakeUser,
        since: Any,
        prompt: str | None,
        text: str | None,
    ) -> bool:
        """Answer the prompt the bot sent about this process (a note when ``prompt`` is None: the
        message that asks for a reply; else the hand-in it names) by replying to it, as a person
        with prompts open on several processes does, and wait for "Tercatat"."""

        def asked(m: FakeMessage) -> bool:
            # A prompt names its process, and may name what it asks mid-sentence ("Kirim berkas
            # draf…" for "Draf…").
            if f"#{process} " not in m.text:
                return False
            return m.force_reply if prompt is None else prompt.lower() in m.text.lower()

        try:
            question = await user.wait_for(asked, since=since, timeout=self.patience)
        except TimeoutError:
            return False
        mark = user.mark()
        if text is None:
            self.sent.append((time.monotonic(), "file"))
            await user.send_document(
                f"draf-{process}-{visit}.pdf", b"%PDF-1.4 draf", reply_to=question
            )
        else:
            self.sent.append((time.monotonic(), "text"))
            await user.send(text, reply_to=question)
        try:
            await user.wait_for(lambda m: "Tercatat" in m.text, since=mark, timeout=self.patience)
        except TimeoutError:
            return False
        self.acked.add((process, visit, choice))
        return True


# --- what a run must leave behind ----------------------------------------------------------------


@dataclass
class Run:
    """What a faulty run left: its database, the fake's chats, and how often the bot was killed."""

    db: Database
    api: FakeBotApi
    catalog: Catalog
    processes: list[int]
    chats: list[int]  # every chat the bot may write to
    kills: int = 0
    acked: set[tuple[int, int, str]] = field(default_factory=set)
    repeats: int = 0  # messages sent twice, found by the checks
    repeated: list[tuple[int, FakeMessage]] = field(default_factory=list)  # (chat, first copy)


Check = Callable[[Run], Awaitable[None]]


async def replay(db: Database, catalog: Catalog, process: int) -> None:
    """Every stored transition of a process is one the engine allows, from its start to its
    stored state: each closed step run replayed through ``sop.engine.apply`` with who did it (and
    the roles they held), its note and hand-ins, lands on the next step run and, at the end, on
    the process's stored status, step and visit."""
    async with db.read() as tx:
        row = await tx.processes.get(process)
        assert row is not None
        office = await tx.offices.get(row.office_id)
        assert office is not None
        runs = await tx.processes.step_runs(process)
        handins = await tx.processes.handins(process)
        content = await tx.processes.version_content(row.sop_version)
        assert content is not None
        actors: dict[int, Actor] = {}
        for run in runs:
            if run.done_by is not None and run.done_by not in actors:
                user = await tx.offices.user(run.done_by)
                assert user is not None
                roles = frozenset(h.role for h in await tx.offices.holdings_of(user.id))
                actors[user.id] = Actor(user.id, roles, is_admin=user.is_admin)
    from sop.loader import definition_from_json

    defn = definition_from_json(content)
    state = ProcessState(Status.RUNNING, defn.first.number, 1, row.started_by, row.started_at)
    assert [r.visit for r in runs] == list(range(1, len(runs) + 1)), runs
    for run in runs:
        assert (state.current_step, state.visit) == (run.step, run.visit), (process, run)
        if run.done_at is None:
            break
        assert run.outcome is not None
        assert run.done_by is not None
        given = tuple(
            Handin(HandinKind(h.kind), h.label, h.value, h.file_name, h.mime_type)
            for h in handins
            if h.step_run_id == run.id
        )
        action = Action(run.outcome, run.step, run.visit, note=run.note, handins=given)
        t = engine.apply(defn, state, actors[run.done_by], action, run.done_at)
        assert t.changed, (process, run)
        state = t.state
    assert (state.status.value, state.current_step, state.visit) == (
        row.status,
        row.current_step,
        row.visit,
    ), (process, state, row)


async def every_process_walked_as_the_engine_allows(run: Run) -> None:
    for process in run.processes:
        await replay(run.db, run.catalog, process)


async def every_process_finished_once(run: Run) -> None:
    """The walk each process took is SOP D's with its one Tidak Setuju, every step run closed once
    and written once to the audit chain, which is whole."""
    async with run.db.read() as tx:
        for process in run.processes:
            row = await tx.processes.get(process)
            assert row is not None
            assert row.status == "finished", row
            runs = await tx.processes.step_runs(process)
            assert [(r.step, r.outcome) for r in runs] == EXPECTED, (process, runs)
            events = await tx.audit.for_process(process)
            kinds = [e.kind for e in events]
            assert kinds.count("process_started") == 1
            assert kinds.count("process_finished") == 1
            closed = [(e.data["step"], e.data["visit"]) for e in events if e.kind == "step_closed"]
            opened = [(e.data["step"], e.data["visit"]) for e in events if e.kind == "step_opened"]
            assert closed == [(r.step, r.visit) for r in runs], (process, closed)
            assert opened == closed, (process, opened)
        chain = await tx.audit.verify()
    assert chain.ok, chain


async def every_acknowledged_transition_is_stored(run: Run) -> None:
    """What the bot told a person was recorded ("Tercatat") is in the database."""
    async with run.db.read() as tx:
        for process, visit, choice in run.acked:
            stored = await tx.processes.step_run_at(process, visit)
            assert stored is not None
            assert stored.outcome == choice, (process, visit, stored)


async def sent_rows(db: Database, chats: list[int]) -> dict[int, list[OutboxItem]]:
    async with db.read() as tx:
        counts = await tx.outbox.counts()
        rows = {chat: await tx.outbox.for_chat("telegram", str(chat)) for chat in chats}
    assert sum(len(r) for r in rows.values()) == sum(counts.values()), (
        "outbox rows outside the known chats",
        counts,
    )
    return rows


async def every_message_delivered(run: Run) -> None:
    """Every outbox row was delivered: none pending, failed or waiting."""
    async with run.db.read() as tx:
        counts = await tx.outbox.counts()
    assert set(counts) == {"sent"}, counts


def original_text(message: FakeMessage) -> str:
    return message.edit_history[0].text if message.edit_history else message.text


def payload_text(item: OutboxItem) -> str:
    return OutMessage.from_payload(item.payload).text.plain().strip()


async def chats_hold_the_outbox_in_order(run: Run) -> None:
    """Each chat shows the outbox's messages in the outbox's order, each with its text. A message
    the chat shows that no row points at is a repeat: the bot was killed after Telegram took the
    message and before the sender marked it sent, so it was sent again after the restart (at
    least once delivery). Repeats come right before the copy a row points at (nothing else of
    that chat is sent while one is pending), and a kill leaves at most one per chat (only a
    chat's first pending message is ever in flight), so a chat has at most as many as there
    were kills."""
    rows = await sent_rows(run.db, run.chats)
    for chat in run.chats:
        sends = [r for r in rows[chat] if r.kind == "send"]
        refs = [int(r.message_ref or 0) for r in sends]
        assert refs == sorted(refs), (chat, "order", refs)
        assert len(set(refs)) == len(refs), (chat, "two rows, one message", refs)
        shown = run.api.user(chat, "x") if chat > 0 else run.api.group(chat, "x")
        messages = {m.message_id: m for m in shown.bot_messages}
        for item, ref in zip(sends, refs, strict=True):
            assert ref in messages, (chat, item.id, ref)
            assert original_text(messages[ref]) == payload_text(item), (chat, item.id)
        ordered = sorted(messages.values(), key=lambda m: m.message_id)
        repeats: list[FakeMessage] = []  # since the last message a row points at
        count = 0
        for message in ordered:
            if message.message_id not in refs:
                repeats.append(message)
                run.repeated.append((chat, message))
                count += 1
                continue
            for repeat in repeats:
                assert repeat.text == original_text(message), (chat, repeat, message)
            repeats = []
        assert not repeats, (chat, "messages after the last one a row points at", repeats)
        assert count <= run.kills, (chat, count, run.kills)
        run.repeats += count


async def no_reminder_queued_twice(run: Run) -> None:
    """Each reminder of a step run was queued once (its outbox key names the run and the
    reminder's number) and audited once, and a run escalated at most once, however often the bot
    was killed while it swept. (Delivery of a queued message may still repeat once per kill:
    that is the transport's at-least-once, checked with the chats.)"""
    async with run.db.read() as tx:
        reminders = await tx.outbox.keyed("remind:")
        for process in run.processes:
            events = await tx.audit.for_process(process)
            for step_run in await tx.processes.step_runs(process):
                keys = {
                    (item.dedupe_key or "").rsplit(":", 1)[0]
                    for item in reminders
                    if item.step_run_id == step_run.id
                }
                numbers = sorted(int(key.split(":")[2]) for key in keys)
                assert numbers == list(range(1, step_run.reminders_sent + 1)), (step_run, numbers)
                reminded = [
                    e
                    for e in events
                    if e.kind == "step_reminded" and e.data.get("visit") == step_run.visit
                ]
                escalated = [
                    e
                    for e in events
                    if e.kind == "step_escalated" and e.data.get("visit") == step_run.visit
                ]
                assert len(reminded) == step_run.reminders_sent, (step_run, len(reminded))
                assert len(escalated) == (1 if step_run.escalated_at else 0), (step_run, escalated)


def inbound_updates(db: Database) -> list[tuple[int, bool]]:
    """(update_id, handled) of every Telegram update the bot kept, in the order it kept them."""
    with sqlite3.connect(db.path) as conn:
        rows = conn.execute(
            "SELECT body, handled_at FROM inbound WHERE channel = 'telegram' ORDER BY id"
        ).fetchall()
    return [(int(json.loads(body)["update_id"]), handled is not None) for body, handled in rows]


def handled_update_keys(db: Database) -> set[int]:
    with sqlite3.connect(db.path) as conn:
        rows = conn.execute("SELECT key FROM inbound_events WHERE channel = 'telegram'").fetchall()
    return {int(key) for (key,) in rows}


async def every_update_kept_and_handled(run: Run) -> None:
    """No update Telegram handed out was lost: the ones kept have no gap in their update_ids
    (Telegram numbers them one after another), every one was handled and its id remembered, and
    what Telegram still holds unconfirmed was kept already (the bot stopped before its next
    getUpdates confirmed it). Every press was answered."""
    kept = inbound_updates(run.db)
    ids = sorted({update_id for update_id, _ in kept})
    assert ids, "no update was kept"
    assert ids == list(range(ids[0], ids[-1] + 1)), ("updates missing", ids)
    assert all(handled for _, handled in kept), [u for u, handled in kept if not handled]
    assert handled_update_keys(run.db) >= set(ids)
    pending = [u["update_id"] for u in run.api.pending_updates()]
    assert set(pending) <= set(ids), ("updates neither kept nor confirmed", pending)
    assert not run.api.unanswered_callback_queries()


CHECKS: list[Check] = [
    every_process_finished_once,
    every_process_walked_as_the_engine_allows,
    every_acknowledged_transition_is_stored,
    every_message_delivered,
    chats_hold_the_outbox_in_order,
    no_reminder_queued_twice,
]


async def check_all(run: Run) -> None:
    for check in CHECKS:
        await check(run)


# --- people writing while the bot is dead --------------------------------------------------------


@dataclass
class Burst:
    """What people sent around one kill: a command just before it, received by the bot when the
    kill came, and while the bot was down another command and a press on the process's open step
    with the note, file or link it asks for."""

    kill: int
    asked: int  # the bystander's chat's last message id before the command sent just before
    step: int | None = None
    visit: int | None = None
    choice: str | None = None
    press: asyncio.Task[CallbackAnswer] | None = None
    note: str | None = None
    file: bytes | None = None
    link: str | None = None

    @property
    def while_down(self) -> dict[str, int]:
        """What was sent while the bot was down, by kind (the command is a text)."""
        return {
            "press": 1 if self.press is not None else 0,
            "text": 1 + (self.note is not None) + (self.link is not None),
            "file": 1 if self.file is not None else 0,
        }


COMMANDS_PER_KILL = 2  # /tugas just before the kill, /bantuan while the bot is down


@dataclass
class WhileDown:
    """People writing around a kill. Just before it a bystander sends /tugas, and the bot is
    killed the moment Telegram no longer holds it (the bot received it; whether it handled it
    is up to the race). While the bot is down the bystander sends /bantuan, and one process is
    moved: its open step is pressed and what the choice asks for (a note, a file, a link) is
    sent straight after, before any prompt could come. ``check`` waits, after the restart, until
    all of it was handled: both commands answered, the press answered and its transition
    stored, the note, file or link recorded on that step."""

    walker: Walker
    process: int
    bystander: FakeUser

    async def ready(self, within: float = 15.0) -> None:
        """Until the process's open step's message is with its actor, so it can be pressed."""
        deadline = time.monotonic() + within
        while True:
            status, step, _ = await self.walker.state(self.process)
            if status != "running":
                return
            assert step is not None
            actor = self.walker.people[self.walker.defn.step(step).pelaksana]
            if self.walker.step_message(actor, self.process, step) is not None:
                return
            assert time.monotonic() < deadline, f"#{self.process}'s step {step} never came"
            await asyncio.sleep(0.05)

    async def just_before(self, kill: int, within: float = 15.0) -> Burst:
        """The bystander's /tugas; returns when Telegram no longer holds it."""
        api = self.walker.api
        burst = Burst(kill, max((m.message_id for m in self.bystander.messages), default=0))
        await self.bystander.send("/tugas")
        update_id = max(u["update_id"] for u in api.pending_updates())
        deadline = time.monotonic() + within
        while any(u["update_id"] == update_id for u in api.pending_updates()):
            assert time.monotonic() < deadline, "the bot did not receive the command"
            await asyncio.sleep(0.005)
        return burst

    async def send(self, burst: Burst) -> None:
        """While the bot is down."""
        await self.bystander.send("/bantuan")
        status, step, visit = await self.walker.state(self.process)
        if status != "running":
            return
        assert step is not None
        defn = self.walker.defn
        actor = self.walker.people[defn.step(step).pelaksana]
        message = self.walker.step_message(actor, self.process, step)
        assert message is not None, "ready() was not awaited"
        choice = EXPECTED[visit - 1][1]
        burst.step, burst.visit, burst.choice = step, visit, choice
        burst.press = asyncio.create_task(actor.press(message, LABEL[choice], timeout=120))
        await asyncio.sleep(0.05)  # the press is queued before what follows it
        step_def = defn.step(step)
        chosen = step_def.choice(choice)
        assert chosen is not None
        # Sent as a reply to the step's message: it names its process, whatever else the person
        # is being asked (an interrupted attempt on another process may have left a prompt).
        if chosen.needs_note:
            burst.note = f"{NOTE} (ditulis saat bot mati, ke-{burst.kill})"
            await actor.send(burst.note, reply_to=message)
        elif chosen.positive and step_def.handin:
            spec = step_def.handin[0]
            if spec.kind is HandinKind.ATTACHMENT:
                burst.file = f"%PDF-1.4 draf dikirim saat bot mati, ke-{burst.kill}".encode()
                await actor.send_document(
                    f"draf-mati-{burst.kill}.pdf", burst.file, reply_to=message
                )
            else:
                burst.link = f"https://www.instagram.com/p/kpukapuas-mati-{burst.kill}/"
                await actor.send(burst.link, reply_to=message)

    def answers(self, burst: Burst) -> list[FakeMessage]:
        """The bot's messages to the bystander since the burst began: the list of commands (it
        names /tugas) for /bantuan, and for /tugas the answer that no step waits for them."""
        return [m for m in self.bystander.bot_messages if m.message_id > burst.asked]

    async def check(self, burst: Burst, within: float = 30.0) -> None:
        """After the restart: everything of the burst was handled."""
        deadline = time.monotonic() + within
        while True:
            helped = {"/tugas" in m.text for m in self.answers(burst)}
            if helped == {True, False}:
                break
            assert time.monotonic() < deadline, (
                f"kill {burst.kill}: /tugas answered {False in helped}, "
                f"/bantuan answered {True in helped}"
            )
            await asyncio.sleep(0.05)
        if burst.press is None:
            return
        answer = await asyncio.wait_for(burst.press, within)
        assert answer.text != ALREADY_DONE, (burst, answer)
        assert burst.visit is not None
        deadline = time.monotonic() + within
        while True:
            async with self.walker.db.read() as tx:
                run = await tx.processes.step_run_at(self.process, burst.visit)
                handins = await tx.processes.handins(self.process)
            assert run is not None
            if run.done_at is not None:
                break
            assert time.monotonic() < deadline, ("the press sent while down took no effect", burst)
            await asyncio.sleep(0.05)
        assert run.outcome == burst.choice, (burst, run)
        if burst.note is not None:
            assert run.note == burst.note, (burst, run)
        given = [h for h in handins if h.step_run_id == run.id]
        if burst.link is not None:
            assert [h.value for h in given] == [burst.link], (burst, given)
        if burst.file is not None:
            assert len(given) == 1, (burst, given)
            value = given[0].value
            assert value.startswith(FILE_PREFIX), given
            async with self.walker.db.read() as tx:
                stored = await tx.files.get(int(value.removeprefix(FILE_PREFIX)))
            assert stored is not None
            assert stored.sha256 == hashlib.sha256(burst.file).hexdigest(), (burst, stored)
