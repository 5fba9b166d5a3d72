"""The bot under faults: killed with SIGKILL at random moments and started again while people go on
pressing, writing and sending files, a fifth of Telegram's calls failing, fifty presses of one
button at once, and errors that could leak the token. Whole SOP D processes run through the real
bot against the fake Bot API."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.clock import FakeClock
from bot.process.workflow import Done, Workflow
from fakes.telegram import FakeBotApi, FakeUser, Faults
from sop.loader import load_catalog
from storage.db import Database
from tests.fault_walk import (
    COMMANDS_PER_KILL,
    EXPECTED,
    SOP_D,
    Burst,
    Run,
    Walker,
    WhileDown,
    chats_hold_the_outbox_in_order,
    check_all,
    every_message_delivered,
    every_update_kept_and_handled,
    no_reminder_queued_twice,
    payload_text,
)
from tests.harness import ADMIN_ID, T0, TOKEN, Harness, is_step, office_data, start_process

ROOT = Path(__file__).resolve().parent.parent
GROUP_ID = -1001000000620
SECOND_GROUP_ID = -1001000000621
SECRET = TOKEN.split(":", 1)[1]  # the part of the token that must never be shown


# --- the bot as its own process ------------------------------------------------------------------


class BotProcess:
    """``python -m bot run`` configured through the environment, against the fake in this test;
    each start logs to a file of its own."""

    def __init__(self, api: FakeBotApi, folder: Path, *, log_level: str = "INFO") -> None:
        self.api = api
        self.folder = folder
        self.database = folder / "sopbot.db"
        self.log_level = log_level
        self.process: asyncio.subprocess.Process | None = None
        self.logs: list[Path] = []

    def env(self, token: str = TOKEN) -> dict[str, str]:
        return {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_API_BASE_URL": self.api.base_url,
            "TELEGRAM_API_BASE_FILE_URL": self.api.base_file_url,
            "DATABASE_PATH": str(self.database),
            "ADMIN_TELEGRAM_IDS": str(ADMIN_ID),
            "LOG_LEVEL": self.log_level,
            "PYTHONPATH": str(ROOT),
        }

    async def import_office(self, data: dict[str, Any]) -> None:
        office = self.folder / "kantor.yaml"
        office.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "office",
            "import",
            str(office),
            "--database",
            str(self.database),
            env=self.env(),
            cwd=self.folder,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await child.communicate()
        assert child.returncode == 0, out.decode()

    async def start(self) -> None:
        """Start and wait until it polls (its first getUpdates)."""
        assert self.process is None
        mark = len(self.api.calls)
        log = self.folder / f"bot-{len(self.logs) + 1}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                env=self.env(),
                cwd=self.folder,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
        await self.api.wait_for_call("getUpdates", answered=False, after=mark, timeout=30)

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.process = None

    async def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), 15)
        finally:
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()
            self.process = None

    def log_text(self) -> str:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace") for log in self.logs)


def kapuas_with_group() -> dict[str, Any]:
    data = office_data("kapuas")
    data["group_chat_id"] = GROUP_ID
    return data


def second_kapuas() -> dict[str, Any]:
    """A second office with the same SOP and people of its own (Telegram ids 100 further on):
    its process moves only while the bot is dead, and its people's prompts never meet the
    walkers'."""
    data = office_data("kapuas")
    data["code"] = "kpu-kapuas-dua"
    data["name"] = "KPU Kabupaten Kapuas Kedua"
    data["group_chat_id"] = SECOND_GROUP_ID  # where its announcement goes
    for person in data["people"]:
        person["telegram_id"] += 100
        person["name"] += " Dua"
    return data


async def people_of(api: FakeBotApi, data: dict[str, Any]) -> dict[str, FakeUser]:
    """The office's people, who have all opened the bot, and its group with the bot in it."""
    admin = api.user(ADMIN_ID, "Admin Kantor", started=True)
    await api.group(GROUP_ID, "KPU Kapuas").add_bot(by=admin)
    return {
        p["roles"][0]: api.user(p["telegram_id"], p["name"], started=True) for p in data["people"]
    }


async def closed(db: Database, processes: list[int]) -> int:
    """How many step runs of these processes are closed (transitions stored)."""
    count = 0
    async with db.read() as tx:
        for process in processes:
            count += sum(1 for r in await tx.processes.step_runs(process) if r.done_at is not None)
    return count


async def wait_delivered(db: Database, within: float = 30.0) -> None:
    """Until the outbox has nothing left to send."""
    deadline = time.monotonic() + within
    while True:
        async with db.read() as tx:
            counts = await tx.outbox.counts()
        if not counts.get("pending"):
            return
        assert time.monotonic() < deadline, counts
        await asyncio.sleep(0.1)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(TOKEN) as fake:
        yield fake


# --- SIGKILL -------------------------------------------------------------------------------------


KILLS = 6
PROCESSES = 3


@dataclass
class Kill:
    """One kill: what people sent around it, and the duplicates it caused."""

    burst: Burst
    calls: int  # the fake's call log at the kill
    last_ids: dict[int, int]  # chat -> its last message id at the kill
    down: float = 0.0  # seconds from the kill to the restart
    sent: Counter[str] = field(default_factory=Counter)  # sent while down: press, text, file
    answered_twice: int = 0  # presses handled again after the restart (Telegram refused)
    commands_twice: int = 0  # the bystander's commands answered more than once
    sent_twice: int = 0  # messages Telegram took twice (the mark "sent" died with the bot)

    def line(self) -> str:
        sent = ", ".join(f"{self.sent[kind]} {kind}" for kind in ("press", "text", "file"))
        return (
            f"kill {self.burst.kill}: down {self.down:.2f} s, sent meanwhile {sent}; "
            f"answered twice: {self.answered_twice} press, {self.commands_twice} command; "
            f"messages sent twice {self.sent_twice}"
        )


def last_ids(api: FakeBotApi, chats: list[int]) -> dict[int, int]:
    found = {}
    for chat in chats:
        shown = api.user(chat, "x") if chat > 0 else api.group(chat, "x")
        found[chat] = max((m.message_id for m in shown.messages), default=0)
    return found


def count_duplicates(api: FakeBotApi, kills: list[Kill], run: Run, bystander: FakeUser) -> None:
    """Attribute to each kill the duplicates it caused. An update whose handling the kill cut
    short is handled again after the restart: a press then gets a second answer, which Telegram
    refuses; the bystander's command gets a second reply. A message Telegram took just before the
    kill, before the sender marked it sent, is sent again after the restart: its first copy (no
    outbox row points at it) was sent before the kill and after the one before."""
    bounds = [k.calls for k in kills] + [len(api.calls)]
    for kill, (start, end) in zip(kills, itertools.pairwise(bounds), strict=True):
        kill.answered_twice = sum(
            1
            for call in api.calls[start:end]
            if call.method == "answerCallbackQuery"
            and call.status == 400
            and "query is too old" in (call.description or "")
        )
    for chat, message in run.repeated:
        owner = next((k for k in kills if message.message_id <= k.last_ids[chat]), None)
        assert owner is not None, ("a message sent twice with no kill before it", chat, message)
        owner.sent_twice += 1
    # The bystander only ever gets answers to its commands (a reply sent twice counts once).
    once = {m.message_id for m in bystander.bot_messages} - {
        m.message_id for chat, m in run.repeated if chat == bystander.id
    }
    ends = [k.burst.asked for k in kills[1:]] + [max(once, default=0)]
    for kill, end in zip(kills, ends, strict=True):
        answers = sum(1 for n in once if kill.burst.asked < n <= end)
        kill.commands_twice = answers - COMMANDS_PER_KILL


async def test_the_bot_killed_at_random_moments_loses_no_transition_and_no_message(
    api: FakeBotApi, tmp_path: Path
) -> None:
    """SOP D processes are walked to their end while the bot process is killed with SIGKILL at
    random moments (seeded) and started again each time. Someone sends /tugas just before each
    kill, which comes the moment Telegram no longer holds it (the bot received it, and may not
    have handled it). While the bot is dead people go on, and Telegram queues what they send: the
    walkers press, write and send files as they would, the same someone sends /bantuan, and one
    more process (of a second office) is moved only then: its open step is pressed and the note,
    file or link the choice asks for is sent at once.

    What the design guarantees, and so what is checked: every update Telegram handed out was kept
    before it was confirmed and handled (the ones sent while the bot was dead included: each
    press answered and its transition stored, each note, file and link recorded on its step,
    each command answered), each by its update_id once; every transition the bot confirmed is
    stored, and every stored transition is one the engine allows, once in the audit chain; every
    message that was due is delivered (the outbox holds nothing unsent), in order within its chat.

    Two things are at least once, not exactly once, and are counted per kill. An update being
    handled when the bot is killed is handled again after the restart (it was not yet marked
    handled): a press then gets a second answer, which Telegram refuses, and its step refuses the
    second attempt ("Sudah diproses."), so nothing happens twice; a kill leaves at most one, as
    updates are handled one at a time. And the sender marks a message sent after Telegram
    answers, so a kill between the answer and the mark sends that message again after the
    restart: the repeat comes right before its copy, at most one per chat and kill.
    """
    rng = random.Random(6)
    data = kapuas_with_group()
    second = second_kapuas()
    bot = BotProcess(api, tmp_path)
    await bot.import_office(data)
    await bot.import_office(second)
    people = await people_of(api, data)
    others = {
        p["roles"][0]: api.user(p["telegram_id"], p["name"], started=True) for p in second["people"]
    }
    await api.group(SECOND_GROUP_ID, "KPU Kapuas Kedua").add_bot(by=api.user(ADMIN_ID, "Admin"))
    chats = [*(u.id for u in people.values()), *(u.id for u in others.values()), ADMIN_ID]
    chats += [GROUP_ID, SECOND_GROUP_ID]
    db = await Database.open(bot.database)
    try:
        await bot.start()
        catalog = load_catalog()
        defn = catalog.definitions[SOP_D]
        chat = Harness(api, tmp_path, FakeClock(T0))  # only the people's side of the harness
        processes = [
            await start_process(chat, people["kasubbag_hukum_sdm"], defn, f"Konten uji kill {n}")
            for n in range(PROCESSES)
        ]
        dead_time = await start_process(
            chat, others["kasubbag_hukum_sdm"], defn, "Konten saat bot mati"
        )
        # The last steps wait until every kill is done, so a fast walk cannot end before them.
        all_killed = asyncio.Event()
        walker = Walker(api, db, defn, people, patience=3.0, last_step=all_killed)
        moved_while_down = Walker(api, db, defn, others, patience=3.0)
        while_down = WhileDown(moved_while_down, dead_time, others["sekretaris"])
        walks = asyncio.gather(*(walker.walk(p, within=120) for p in processes))
        # Kill points spread over the run: after a random number of stored transitions, and a
        # random moment after that.
        points = sorted(rng.sample(range(1, PROCESSES * (len(EXPECTED) - 1) + 1), KILLS))
        kills: list[Kill] = []
        for point in points:
            while not walks.done():
                if await closed(db, processes) >= point:
                    break
                await asyncio.sleep(0.02)
            if walks.done():
                break
            await while_down.ready()
            await asyncio.sleep(rng.uniform(0.0, 0.3))
            burst = await while_down.just_before(len(kills) + 1)
            await bot.kill()
            killed_at = time.monotonic()
            kill = Kill(burst, len(api.calls), last_ids(api, chats))
            kills.append(kill)
            await while_down.send(burst)
            await asyncio.sleep(rng.uniform(0.3, 1.0))  # the walkers go on meanwhile
            restarted_at = time.monotonic()
            kill.down = restarted_at - killed_at
            kill.sent.update(burst.while_down)
            kill.sent.update(what for at, what in walker.sent if killed_at <= at < restarted_at)
            await bot.start()
            await while_down.check(burst)
        all_killed.set()
        await walks
        await moved_while_down.walk(dead_time, within=60)
        await wait_delivered(db)
        await bot.stop()
        run = Run(
            db=db,
            api=api,
            catalog=catalog,
            processes=[*processes, dead_time],
            chats=chats,
            kills=len(kills),
            acked=walker.acked | moved_while_down.acked,
        )
        await check_all(run)
        await every_update_kept_and_handled(run)
        count_duplicates(api, kills, run, others["sekretaris"])
        report = "\n".join(k.line() for k in kills)
        print(f"\nSIGKILL while people write, kill by kill:\n{report}")
        assert len(kills) == KILLS, f"the walks ended after {len(kills)} kills\n{report}"
        assert all(k.sent["press"] and k.sent["text"] for k in kills), report
        assert sum(k.sent["file"] for k in kills) >= 3, report
        # Updates are handled one at a time: a kill cuts short the handling of one at most.
        assert all(k.answered_twice + k.commands_twice <= 1 for k in kills), report
        assert all(k.commands_twice >= 0 for k in kills), report
        assert walker.acked
        assert SECRET not in bot.log_text()
    finally:
        await bot.stop()
        await db.close()


async def test_reminders_due_when_the_bot_is_killed_go_out_once(
    api: FakeBotApi, tmp_path: Path
) -> None:
    """Processes started two hours ago are overdue and past their escalation when the bot process
    starts; it is killed at random moments while it sweeps and delivers, and started again. In
    the end every step run has had exactly one reminder and one escalation, queued and audited
    once each, and every chat holds the outbox's messages in order."""
    rng = random.Random(11)
    data = kapuas_with_group()
    bot = BotProcess(api, tmp_path)
    await bot.import_office(data)
    people = await people_of(api, data)
    catalog = load_catalog()
    db = await Database.open(bot.database)
    try:
        then = FakeClock(datetime.now(UTC) - timedelta(hours=2))
        workflow = Workflow.of_catalog(db, catalog, then)
        async with db.read() as tx:
            office = await tx.offices.by_code(data["code"])
            starter = await tx.offices.user_by_identity(
                "telegram", str(people["kasubbag_hukum_sdm"].id)
            )
        assert office is not None
        assert starter is not None
        processes = []
        for n in range(REMINDED):
            started = await workflow.start(starter.id, office.id, SOP_D, f"Terlambat {n}")
            assert isinstance(started, Done), started
            processes.append(started.process_id)
        kills = 0
        for _ in range(3):
            await bot.start()
            await asyncio.sleep(rng.uniform(0.05, 0.6))
            await bot.kill()
            kills += 1
        await bot.start()
        deadline = time.monotonic() + 30
        while True:
            async with db.read() as tx:
                runs = [r for p in processes for r in await tx.processes.step_runs(p)]
            if all(r.reminders_sent == 1 and r.escalated_at is not None for r in runs):
                break
            assert time.monotonic() < deadline, [(r.id, r.reminders_sent) for r in runs]
            await asyncio.sleep(0.1)
        await wait_delivered(db)
        await bot.stop()
        run = Run(
            db=db,
            api=api,
            catalog=catalog,
            processes=processes,
            chats=[*(u.id for u in people.values()), ADMIN_ID, GROUP_ID],
            kills=kills,
        )
        await no_reminder_queued_twice(run)
        await every_message_delivered(run)
        await chats_hold_the_outbox_in_order(run)
        budi = people["kasubbag_hukum_sdm"]
        for process in processes:
            shown = [
                m
                for m in budi.bot_messages
                if "⏰ Pengingat ke-1" in m.text and f"#{process} " in m.text
            ]
            assert 1 <= len(shown) <= 1 + kills, (process, len(shown))
        escalations = [m for m in people["sekretaris"].bot_messages if "Eskalasi" in m.text]
        assert REMINDED <= len(escalations) <= REMINDED + kills
        assert SECRET not in bot.log_text()
    finally:
        await bot.stop()
        await db.close()


REMINDED = 12


# --- SIGTERM -------------------------------------------------------------------------------------


async def test_a_message_on_its_way_when_the_bot_is_stopped_arrives_once_and_is_kept_sent(
    api: FakeBotApi, tmp_path: Path
) -> None:
    """SIGTERM while Telegram takes its time over a reply: the bot lets the message finish before
    it closes its connections, so it is recorded as sent (a start after it sends nothing again)
    and nothing fails on the way out."""
    data = kapuas_with_group()
    bot = BotProcess(api, tmp_path)
    try:
        await bot.import_office(data)
        people = await people_of(api, data)
        budi = people["kasubbag_hukum_sdm"]
        await bot.start()
        api.faults = Faults(share=1.0, kinds=("slow",), methods=["sendMessage"], slow_seconds=1.0)
        mark = len(api.calls)
        await budi.send("/bantuan")
        await api.wait_for_call("sendMessage", answered=False, after=mark, timeout=10)
        assert bot.process is not None
        stopping = bot.process
        await bot.stop()
        assert stopping.returncode == 0
        logged = bot.log_text()
        assert "WARNING" not in logged, logged[-2000:]
        assert "ERROR" not in logged, logged[-2000:]
        api.faults = None
        db = await Database.open(bot.database)
        try:
            async with db.read() as tx:
                counts = await tx.outbox.counts()
        finally:
            await db.close()
        assert set(counts) == {"sent"}, counts  # the reply, and nothing left pending
        replies = len(budi.bot_messages)
        mark = len(api.calls)
        await bot.start()
        await api.wait_for_call("getUpdates", answered=False, after=mark, timeout=10)
        await asyncio.sleep(0.5)  # a message left pending would go out now
        assert api.calls_to("sendMessage")[-1].time < api.calls[mark].time
        assert len(budi.bot_messages) == replies
    finally:
        await bot.stop()


# --- a fifth of the calls failing ----------------------------------------------------------------


async def test_a_fifth_of_telegrams_calls_failing_delays_messages_but_loses_or_reorders_none(
    h: Harness,
) -> None:
    """Whole processes through the bot while the fake fails 20% of every call (429, 5xx, dropped
    connections, slow answers; presses' answers included): each chat ends up with exactly the
    outbox's messages, in the outbox's order, once each."""
    assert h.bot is not None
    assert h.bot.db is not None
    assert h.bot.sender is not None
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    group = await h.link_group(GROUP_ID, "KPU Kapuas", "KPU Kabupaten Kapuas")
    defn = h.catalog.definitions[SOP_D]
    processes = [
        await start_process(h, people["kasubbag_hukum_sdm"], defn, f"Konten uji gangguan {n}")
        for n in range(2)
    ]
    h.api.faults = Faults(share=0.2)
    mark = len(h.api.calls)
    walker = Walker(h.api, h.bot.db, defn, people, patience=1.5)
    await asyncio.gather(*(walker.walk(p, within=60) for p in processes))
    await asyncio.wait_for(h.bot.sender.drain(), 30)
    await wait_delivered(h.bot.db)
    injected = sum(h.api.faults_injected.values())
    h.api.faults = None
    eligible = [c for c in h.api.calls[mark:] if c.method != "getUpdates"]
    run = Run(
        db=h.bot.db,
        api=h.api,
        catalog=h.catalog,
        processes=processes,
        chats=[*(u.id for u in people.values()), ADMIN_ID, group.id],
        kills=0,
        acked=walker.acked,
    )
    await check_all(run)
    assert len(eligible) >= 50
    assert injected >= len(eligible) // 10, (len(eligible), h.api.faults_injected)
    assert h.bot.sender.retried > 0


# --- fifty presses -------------------------------------------------------------------------------


async def test_fifty_presses_of_one_button_at_once_make_one_transition(h: Harness) -> None:
    assert h.bot is not None
    assert h.bot.db is not None
    assert h.bot.sender is not None
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    budi, ani = people["kasubbag_hukum_sdm"], people["staf_subbagian"]
    mark = budi.mark()
    process = await start_process(h, budi, h.catalog.definitions[SOP_D], "Uji tekan berulang")
    step1 = await budi.wait_for(is_step(1, 6), since=mark)
    answers = await asyncio.gather(*(budi.press(step1, "Selesai", timeout=30) for _ in range(50)))
    texts = [a.text for a in answers]
    assert texts.count("Tercatat: Selesai") == 1, texts
    assert texts.count("Sudah diproses.") == 49, texts
    await asyncio.wait_for(h.bot.sender.drain(), 10)
    async with h.bot.db.read() as tx:
        row = await tx.processes.get(process)
        events = await tx.audit.for_process(process)
    assert row is not None
    assert (row.status, row.current_step, row.visit) == ("running", 2, 2)
    assert [e.data["step"] for e in events if e.kind == "step_closed"] == [1]
    assert len([m for m in ani.bot_messages if is_step(2, 6)(m)]) == 1, ani.bot_messages


# --- the token -----------------------------------------------------------------------------------


async def test_the_token_never_reaches_the_logs_or_the_outbox_even_on_errors(
    tmp_path: Path,
) -> None:
    """The bot as its own process at DEBUG, while the fake fails half its calls (lost answers of
    calls that took effect included), then disappears, and the bot is stopped: neither the token
    nor its secret part is in anything it logged, nor in any outbox row."""
    data = kapuas_with_group()
    api = FakeBotApi(TOKEN)
    await api.start()
    bot = BotProcess(api, tmp_path, log_level="DEBUG")
    try:
        await bot.import_office(data)
        people = await people_of(api, data)
        await bot.start()
        budi = people["kasubbag_hukum_sdm"]
        chat = Harness(api, tmp_path, FakeClock(T0))
        mark = budi.mark()
        await start_process(chat, budi, load_catalog().definitions[SOP_D], "Uji rahasia")
        step1 = await budi.wait_for(is_step(1, 6), since=mark)
        api.faults = Faults(share=0.5, kinds=("429", "5xx", "drop", "slow", "drop_after"))
        with contextlib.suppress(TimeoutError):
            await budi.press(step1, "Selesai", timeout=2)
        for person in people.values():
            for text in ("/tugas", "/proses", "/riwayat 1", "/bantuan", "halo"):
                await person.send(text)
        await budi.send_document("lampiran.pdf", b"%PDF-1.4 lampiran")
        await asyncio.sleep(2.0)  # the bot works through them, failing and retrying
    finally:
        await api.stop()  # Telegram gone: polling and sending fail with connection errors
        await asyncio.sleep(1.5)
        await bot.stop()
    logged = bot.log_text()
    assert "DEBUG" in logged  # it did log at DEBUG
    assert "to be retried" in logged  # the sender met the faults
    assert "Traceback" in logged  # and errors were logged with their tracebacks
    # PTB logs its API address, token included, at DEBUG: it was there to leak and was hidden.
    assert "/bot[RAHASIA]" in logged
    assert TOKEN not in logged
    assert SECRET not in logged
    db = await Database.open(bot.database)
    try:
        async with db.read() as tx:
            total = sum((await tx.outbox.counts()).values())
            rows = [await tx.outbox.get(n) for n in range(1, total + 1)]
    finally:
        await db.close()
    assert total > 10
    for row in rows:
        assert row is not None
        assert SECRET not in repr(row), row
        assert SECRET not in payload_text(row)


async def test_a_rejected_token_stops_the_bot_without_showing_the_token(
    api: FakeBotApi, tmp_path: Path
) -> None:
    revoked = "987654321:REVOKED-token-the-fake-does-not-know-x"
    bot = BotProcess(api, tmp_path)
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=bot.env(revoked),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(child.communicate(), 5)
    except TimeoutError:
        child.kill()
        out, _ = await child.communicate()
        pytest.fail(f"the bot did not stop; it printed: {out.decode()[-300:]}")
    assert child.returncode != 0
    assert revoked.split(":", 1)[1] not in out.decode()
    lines = out.decode().strip().splitlines()
    assert lines[-1].startswith("Telegram menolak TELEGRAM_BOT_TOKEN")
    assert not any("Traceback" in line for line in lines)
