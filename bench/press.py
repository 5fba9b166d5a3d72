"""Press latency: a person presses a step's button; how long until the step is committed and the next
actor's step message reaches Telegram, with 1k, 10k and 100k processes already stored.

The real bot (its own long polling, the dialog, the workflow, SQLite, the outbox sender and its
pacer) runs against the project's fake Bot API over real HTTP on 127.0.0.1, in this same process
and event loop. A press is timed from the moment the simulated person presses (the callback update
is queued where the bot's waiting long poll takes it at once) to the moment the fake receives the
sendMessage to the next actor's chat; the fake logs the arrival time of every call. Each process
gives two samples: step 1 (Kasubbag, Selesai -> Staf) and step 2 (Staf, Selesai -> Pengelola
JDIH).

The bot keeps Telegram's flood limits itself (``bot.chat.pacing``): a chat's messages a second
apart, 30 a second from the bot. So two kinds of presses are timed apart:

- paced: presses as officials make them, below those limits. Teams of the three people, each in
  an office of its own, take turns, a press every ``PACE_GAP`` seconds, so no chat gets two
  messages within a second and the bot sends well under 30 a second. This is the press's own cost.
- back to back: one team presses again the moment the previous press's message arrived, starting
  a new process whenever one reached step 3. The pacer may hold a message whose chat had one less
  than a second before (a new process's step 1 to the Kasubbag who just pressed); the timed
  messages go to chats that waited longer, so this row differs from the paced one by the load.

The statements and transactions the bot ran from a press to the next actor's message are counted
(the update kept and marked handled, the dialog, the step's transaction, the outbox).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import (
    SOP_D,
    TOKEN,
    Benchmark,
    Table,
    bot_for,
    catalog,
    header,
    percentile,
)
from bench.seed import stored
from bot.app import SopBot
from bot.office.admin import Admin
from bot.office.files import validate_office
from bot.process.workflow import Done
from fakes.telegram import FakeBotApi, FakeMessage, FakeUser
from sop.loader import Catalog

SIZES = (1_000, 10_000, 100_000)
TEAMS = 12  # offices taking turns in the paced presses
PACED = 200  # paced presses measured per size
BACK_TO_BACK = 30  # back-to-back presses measured per size
PACE_GAP = 0.2  # seconds after a paced press: five a second, about 15 messages a second
BUDGET = 60.0  # seconds of measuring per kind and size at most
WARMUP = 4  # presses before measuring (connections, caches, the first update)
WAIT = 30.0
ROLES = ("kasubbag_hukum_sdm", "staf_subbagian", "pengelola_jdih")


class Counter:
    """The SQL statements and transactions the bot runs while ``on``."""

    def __init__(self) -> None:
        self.on = False
        self.statements = 0
        self.transactions = 0

    def __call__(self, sql: str) -> None:
        if self.on:
            self.statements += 1
            self.transactions += sql.startswith("BEGIN")


@dataclass
class Team:
    """An office of its own with the three people of SOP D's first steps, and where it stands."""

    office_id: int
    starter: int  # the Kasubbag's user id
    people: list[FakeUser]  # Kasubbag, Staf, Pengelola JDIH
    process: int | None = None
    message: FakeMessage | None = None  # the open step's message, once it arrived
    step: int = 0  # 0: no process running; 1, 2: that step is open


@dataclass
class Samples:
    to_next: list[float] = field(default_factory=list)
    to_answer: list[float] = field(default_factory=list)
    statements: int = 0
    transactions: int = 0


def _office(n: int) -> dict[str, Any]:
    return {
        "code": f"tim-{n:02d}",
        "name": f"KPU Tim Uji {n:02d}",
        "sops": [SOP_D],
        "calendar": {"always_open": True},
        "people": [
            {"telegram_id": 810_000 + n * 10 + i, "name": f"{role} {n:02d}", "roles": [role]}
            for i, role in enumerate(ROLES)
        ],
    }


async def _teams(bot: SopBot, api: FakeBotApi, cat: Catalog) -> list[Team]:
    assert bot.db is not None
    admin = Admin(bot.db, cat, bot.clock)
    teams = []
    for n in range(TEAMS):
        data = validate_office(_office(n), f"tim-{n:02d}.yaml", cat)
        office = (await admin.import_office(data)).office
        people = [
            api.user(p.telegram_id, p.name, started=True) for p in data.people if p.telegram_id
        ]
        async with bot.db.read() as tx:
            starter = await tx.offices.user_by_identity("telegram", str(people[0].id))
        assert starter is not None
        teams.append(Team(office.id, starter.id, people))
    return teams


def _step_message(pid: int, index: int) -> Callable[[FakeMessage], bool]:
    return lambda m: (
        f"Proses #{pid} " in m.text and f"Langkah {index} dari" in m.text and bool(m.buttons)
    )


async def _start(bot: SopBot, team: Team, n: int) -> None:
    """A new process for the team (not timed); its step 1 message in hand."""
    assert bot.workflow is not None
    mark = team.people[0].mark()
    started = await bot.workflow.start(
        team.starter, team.office_id, SOP_D, f"Konten uji kecepatan {n}"
    )
    assert isinstance(started, Done), started
    team.process, team.step = started.process_id, 1
    team.message = await team.people[0].wait_for(
        _step_message(team.process, 1), since=mark, timeout=WAIT
    )


async def _press(api: FakeBotApi, team: Team, counter: Counter, into: Samples) -> None:
    """The team's open step pressed Selesai: the times to the next actor's message and to the
    press's answer, and what the bot ran in between."""
    assert team.message is not None
    assert team.process is not None
    presser, following = team.people[team.step - 1], team.people[team.step]
    mark, mark_next = len(api.calls), following.mark()
    counter.on = True
    before = counter.statements, counter.transactions
    began = time.monotonic()
    await presser.press(team.message, "Selesai", timeout=WAIT)
    answer = await api.wait_for_call("answerCallbackQuery", after=mark, timeout=WAIT)
    sent = await api.wait_for_call(
        "sendMessage", lambda c: c.params.get("chat_id") == following.id, after=mark, timeout=WAIT
    )
    counter.on = False
    into.to_next.append(sent.time - began)
    into.to_answer.append(answer.time - began)
    into.statements += counter.statements - before[0]
    into.transactions += counter.transactions - before[1]
    if team.step == 1:
        team.message = await following.wait_for(
            _step_message(team.process, 2), since=mark_next, timeout=WAIT
        )
        team.step = 2
    else:
        team.step, team.message, team.process = 0, None, None


async def _presses(
    bot: SopBot, api: FakeBotApi, teams: list[Team], counter: Counter, count: int, gap: float
) -> Samples:
    """``count`` presses (after the warm-up ones), the teams taking turns, ``gap`` seconds
    after each press."""
    samples = Samples()
    warm = Samples()
    began = time.monotonic()
    turn = started = 0
    while len(samples.to_next) < count:
        team = teams[turn % len(teams)]
        turn += 1
        if team.step == 0:
            await _start(bot, team, started)
            started += 1
        measuring = turn > WARMUP
        if measuring and samples.to_next and time.monotonic() - began > BUDGET:
            break
        await _press(api, team, counter, samples if measuring else warm)
        if not measuring:
            began = time.monotonic()
        if gap:
            await asyncio.sleep(gap)
    return samples


async def _measure(database: Path) -> tuple[Samples, Samples]:
    """Paced and back-to-back presses on fresh processes among the stored ones."""
    cat = catalog()
    async with FakeBotApi(TOKEN, bot_username="sopbot_bench_bot") as api:
        bot: SopBot = bot_for(api.base_url, api.base_file_url, database)
        await bot.start()
        try:
            assert bot.db is not None
            teams = await _teams(bot, api, cat)
            counter = Counter()
            bot.db.trace(counter)
            paced = await _presses(bot, api, teams, counter, PACED, PACE_GAP)
            await asyncio.sleep(1.5)  # every chat's second over
            back_to_back = await _presses(bot, api, teams[:1], counter, BACK_TO_BACK, 0.0)
            bot.db.trace(None)
            return paced, back_to_back
        finally:
            await bot.stop()


async def run() -> None:
    header("press", "button press to the next actor's step message at Telegram")
    table = Table(
        "Press latency (ms): press -> state committed -> next actor's sendMessage at the fake API",
        [
            "processes stored",
            "presses",
            "n",
            "p50",
            "p99",
            "max",
            "answer p50",
            "answer p99",
            "SQL / press",
            "tx / press",
        ],
    )
    seeding = []
    for size in SIZES:
        store = await stored(size)
        seeding.append(
            f"{size:,}: {'kept from an earlier run, ' if store.cached else ''}"
            f"seeded in {store.seconds:.0f} s"
        )
        kinds = await _measure(store.path)
        store.path.unlink()
        for label, samples in zip(("paced", "back to back"), kinds, strict=True):
            n = len(samples.to_next)
            table.add(
                size,
                label,
                n,
                percentile(samples.to_next, 50) * 1000,
                percentile(samples.to_next, 99) * 1000,
                max(samples.to_next) * 1000,
                percentile(samples.to_answer, 50) * 1000,
                percentile(samples.to_answer, 99) * 1000,
                samples.statements / n,
                samples.transactions / n,
            )
    table.notes = [
        f"paced: {TEAMS} teams (an office each) take turns, a press every {PACE_GAP:.1f} s at most;"
        " no chat gets two messages within a second.",
        "back to back: one team, each press the moment the previous one's message arrived (a"
        " new process started whenever one reached step 3).",
        "answer = the press's answerCallbackQuery (the spinner stops on the phone).",
        "SQL / press, tx / press = statements and transactions the bot ran from the press to the"
        " next actor's message (the update kept and marked, the press, the outbox).",
        f"{PACED} paced and {BACK_TO_BACK} back-to-back presses per size, or as many as"
        f" {BUDGET:.0f} s allow, after {WARMUP} warm-up ones.",
        "Bot, fake Bot API and the pressing people share one process and event loop.",
        "stored processes (through the storage repositories): " + "; ".join(seeding) + ".",
    ]
    table.print()


BENCHMARK = Benchmark("press", "press latency with 1k/10k/100k processes stored", run, order=10)
