"""Fuzzing the bot through Telegram: random callback data (forged, and real buttons pressed by the
wrong people), texts, documents, photos and commands, from strangers and from the office's
people, in random order, against the real bot with running processes.

After each example: nothing raised out of a handler (no error logged), every press was answered,
strangers were told only that they are not registered, and every process's stored history is one
the engine allows, from its start to its stored state (see ``fault_walk.replay``), with the
audit chain whole. The bot keeps its state from example to example, so later examples meet what
earlier ones left (pending notes, half-started processes, moved-on steps).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakes.telegram import FakeUser
from tests.fault_walk import SOP_D, replay
from tests.harness import Harness, is_step, start_process

STRANGERS = [7001, 7002, 7003]
ROLES = ["sekretaris", "kasubbag_hukum_sdm", "staf_subbagian", "pengelola_jdih"]
COMMANDS = [
    "start",
    "tugas",
    "baru",
    "proses",
    "riwayat",
    "batal",
    "bantuan",
    "help",
    "undang",
    "pengguna",
    "plh",
    "grup",
    "laporan",
    "sop",
]


@dataclass(frozen=True)
class Who:
    stranger: int | None = None  # index into STRANGERS
    role: int | None = None  # index into ROLES


@dataclass(frozen=True)
class Event:
    kind: str
    who: Who
    text: str = ""
    pick: int = 0  # which message / button, modulo what there is
    button: int = 0


who = st.one_of(
    st.builds(Who, stranger=st.integers(0, len(STRANGERS) - 1)),
    st.builds(Who, role=st.integers(0, len(ROLES) - 1)),
)
text = st.text(min_size=1, max_size=300).filter(lambda t: t.strip() != "")
data = st.text(min_size=1, max_size=64)
# What a person may type after a command: nothing, small and huge numbers, signs, digits of
# other scripts (superscript, Arabic-Indic, full-width), words.
ODD_ARGS = ["²", "٣", "１２", "#", "#-5", "1.5", "9999999999999999999999999", "0", "#0012", "1 2"]
args = st.one_of(
    st.just(""),
    st.integers(-3, 40).map(str),
    st.integers(10**17, 10**30).map(str),
    st.sampled_from(ODD_ARGS),
    st.text(max_size=30),
)
command = st.builds(
    lambda name, arg: f"/{name} {arg}".strip(),
    st.one_of(st.sampled_from(COMMANDS), st.from_regex(r"[a-z_]{1,12}", fullmatch=True)),
    args,
)
index = st.integers(0, 1000)
events = st.lists(
    st.one_of(
        st.builds(Event, kind=st.just("text"), who=who, text=text),
        st.builds(Event, kind=st.just("text"), who=who, text=command),
        st.builds(Event, kind=st.just("document"), who=who, text=text),
        st.builds(Event, kind=st.just("photo"), who=who),
        st.builds(Event, kind=st.just("forged"), who=who, text=data, pick=index),
        st.builds(Event, kind=st.just("press"), who=who, pick=index, button=index),
        st.builds(Event, kind=st.just("press_any"), who=who, pick=index, button=index),
    ),
    min_size=3,
    max_size=15,
)


class Errors(logging.Handler):
    """Every record at ERROR or above, from any logger."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def errors_logged() -> Iterator[Errors]:
    handler = Errors()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


class Fuzz:
    def __init__(self, h: Harness, people: dict[str, FakeUser]) -> None:
        self.h = h
        self.people = people
        self.strangers = [h.api.user(i, f"Orang Asing {i}") for i in STRANGERS]

    def person(self, w: Who) -> FakeUser:
        if w.stranger is not None:
            return self.strangers[w.stranger]
        assert w.role is not None
        return self.people[ROLES[w.role]]

    def everyone(self) -> list[FakeUser]:
        return [*self.people.values(), *self.strangers]

    async def do(self, event: Event) -> None:
        user = self.person(event.who)
        match event.kind:
            case "text":
                await user.send(event.text)
            case "document":
                await user.send_document(
                    event.text[:60] or "berkas", event.text.encode(), caption=event.text[:100]
                )
            case "photo":
                await user.send_photo(b"\x89PNG\r\n\x1a\n" + b"0" * 32)
            case "forged" | "press" | "press_any":
                await self.press(user, event)

    async def press(self, user: FakeUser, event: Event) -> None:
        own = [m for m in user.bot_messages if m.buttons] or user.bot_messages
        if not own:
            return  # nothing in this chat to press on
        target = own[event.pick % len(own)]
        if event.kind == "forged":
            callback = event.text
        else:
            # a real button: of this person's own messages, or of anyone's ("press_any": a button
            # another person got, its data sent from this person's chat as a modified app could)
            everyone = self.everyone()
            source = user if event.kind == "press" else everyone[event.pick % len(everyone)]
            pool = [
                b.callback_data
                for m in source.bot_messages
                for row in m.buttons
                for b in row
                if b.callback_data
            ]
            if not pool:
                return
            callback = pool[event.button % len(pool)]
        await user.press_data(target, callback, timeout=10)

    async def settle(self) -> None:
        """Until the bot has handled every update sent so far and delivered what they caused:
        updates are handled in order, so once the sentinel is answered the rest were too."""
        sentinel = self.people["sekretaris"]
        mark = sentinel.mark()
        await sentinel.send("/bantuan")
        await sentinel.wait_for(lambda m: "/tugas" in m.text, since=mark, timeout=10)
        assert self.h.bot is not None
        assert self.h.bot.sender is not None
        await asyncio.wait_for(self.h.bot.sender.drain(), 10)

    async def check(self, errors: Errors) -> None:
        assert not errors.records, [r.getMessage() for r in errors.records]
        assert self.h.api.unanswered_callback_queries() == []
        for stranger in self.strangers:  # nothing of the office reaches them
            for message in stranger.bot_messages:
                assert "Proses #" not in message.text, message
                assert "Langkah" not in message.text, message
                assert not message.buttons, message
        assert self.h.bot is not None
        assert self.h.bot.db is not None
        db = self.h.bot.db
        async with db.read() as tx:
            office = await tx.offices.by_code("kpu-kapuas")
            assert office is not None
            processes = await tx.processes.list_for_office(office.id, status=None, limit=1000)
            chain = await tx.audit.verify()
        assert chain.ok, chain
        for process in processes:
            await replay(db, self.h.catalog, process.id)


@pytest.fixture
async def fuzz(h: Harness) -> Fuzz:
    """The Kapuas office, its people, and two processes: one at step 1, one at step 3. Made once
    for the test; every example meets what the ones before it left."""
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    budi, ani = people["kasubbag_hukum_sdm"], people["staf_subbagian"]
    defn = h.catalog.definitions[SOP_D]
    await start_process(h, budi, defn, "Konten fuzz satu")
    mark_b, mark_a = budi.mark(), ani.mark()
    second = await start_process(h, budi, defn, "Konten fuzz dua")
    step1 = await budi.wait_for(
        lambda m: f"#{second} " in m.text and is_step(1, 6)(m), since=mark_b
    )
    await budi.press(step1, "Selesai")
    step2 = await ani.wait_for(lambda m: f"#{second} " in m.text and is_step(2, 6)(m), since=mark_a)
    await ani.press(step2, "Selesai")
    return Fuzz(h, people)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=events)
async def test_random_updates_in_random_order_break_nothing(fuzz: Fuzz, batch: list[Event]) -> None:
    with errors_logged() as errors:
        for event in batch:
            await fuzz.do(event)
        await fuzz.settle()
        await fuzz.check(errors)


async def test_every_argument_of_a_process_command_gets_a_clear_answer(h: Harness) -> None:
    """No handler raises on what a person can type: each odd argument gets one Indonesian
    answer, a number no process has is "not found", and a word asks for a number."""
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    budi = people["kasubbag_hukum_sdm"]
    with errors_logged() as errors:
        for name in ("riwayat", "batal"):
            for arg in ODD_ARGS:
                mark = budi.mark()
                await budi.send(f"/{name} {arg}")
                answer = (await budi.wait_for(since=mark)).text
                number = arg.removeprefix("#")
                if number.isdecimal():
                    assert "tidak ditemukan" in answer, (name, arg, answer)
                else:
                    assert answer == f"Tulis nomor prosesnya, misalnya /{name} 12.", (arg, answer)
    assert not errors.records, [r.getMessage() for r in errors.records]
