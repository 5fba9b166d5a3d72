"""Press latency: a person presses a step's button; how long until the step is committed and the next
actor's step message reaches Telegram, with 1k, 10k and 100k processes already stored.

The bot runs as its own process (``bench.bot_process``: ``sopbot run`` configured through the
environment, with its SQL statements noted), against the project's fake Bot API served by this
process over real HTTP on 127.0.0.1, as Telegram's servers are not on the bot's machine either. A
press is timed from the moment the simulated person presses (the callback update is queued where
the bot's waiting long poll takes it at once) to the moment the fake receives the sendMessage to
the next actor's chat; the fake logs the arrival time of every call. Each process gives two
samples: step 1 (Kasubbag, Selesai -> Staf) and step 2 (Staf, Selesai -> Pengelola JDIH).

Each team, the three people of SOP D's first steps in an office of its own, has its processes
started before the bot starts (through the Workflow service on the same database, as /baru would),
and the presses begin once every step 1 message reached its Kasubbag.

The bot keeps Telegram's flood limits itself (``bot.chat.pacing``): a chat's messages a second
apart, 30 a second from the bot. So two kinds of presses are timed apart:

- paced: presses as officials make them, below those limits. The teams take turns, a press every
  ``PACE_GAP`` seconds, so no chat gets two messages within a second and the bot sends well under
  30 a second. This is the press's own cost.
- back to back: each press the moment the previous press's message arrived: a team's Kasubbag
  presses step 1, its Staf presses step 2 as soon as it came, then the next team. Every timed
  message goes to a chat that had none within the second, so the pacer holds none of them; this
  row differs from the paced one by the load.

The statements and transactions the bot ran from a press to the next actor's message are counted
from the bot's notes (the update kept and marked handled, the dialog, the step's transaction, the
outbox).
"""

from __future__ import annotations

import asyncio
import bisect
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.bot_process import environment, stop
from bench.common import (
    ADMIN_ID,
    SOP_D,
    TOKEN,
    Benchmark,
    Table,
    catalog,
    header,
    percentile,
)
from bench.seed import stored
from bot.clock import SystemClock
from bot.office.admin import Admin
from bot.office.files import validate_office
from bot.process.workflow import Done, Workflow
from fakes.telegram import FakeBotApi, FakeMessage, FakeUser
from sop.loader import Catalog
from storage.db import Database

SIZES = (1_000, 10_000, 100_000)
TEAMS = 12  # offices taking turns in the paced presses
PACED = 200  # paced presses measured per size
BACK_TO_BACK = 30  # back-to-back presses measured per size
PACE_GAP = 0.2  # seconds after a paced press: five a second, about 15 messages a second
BUDGET = 60.0  # seconds of measuring per kind and size at most
WARMUP = 4  # presses before measuring (connections, caches, the first update)
WAIT = 60.0
ROLES = ("kasubbag_hukum_sdm", "staf_subbagian", "pengelola_jdih")


@dataclass
class Team:
    """An office of its own with the three people of SOP D's first steps, its processes started
    beforehand, and where it stands."""

    office_id: int
    people: list[FakeUser]  # Kasubbag, Staf, Pengelola JDIH
    processes: list[int]  # started, not pressed yet; the first is pressed next
    message: FakeMessage | None = None  # the open step's message
    step: int = 1  # the open step of processes[0]


@dataclass
class Samples:
    to_next: list[float] = field(default_factory=list)
    to_answer: list[float] = field(default_factory=list)
    windows: list[tuple[float, float]] = field(default_factory=list)  # press -> next message
    statements: int = 0
    transactions: int = 0

    def count(self, notes: list[tuple[float, bool]]) -> None:
        """The bot's statements and transactions within the timed windows."""
        times = [at for at, _ in notes]
        for began, ended in self.windows:
            within = notes[bisect.bisect_left(times, began) : bisect.bisect_right(times, ended)]
            self.statements += len(within)
            self.transactions += sum(begin for _, begin in within)


def _members(n: int) -> list[tuple[int, str, str]]:
    """Team ``n``'s three people: Telegram id, name, role."""
    return [(810_000 + n * 10 + i, f"{role} {n:02d}", role) for i, role in enumerate(ROLES)]


def _office(n: int) -> dict[str, Any]:
    return {
        "code": f"tim-{n:02d}",
        "name": f"KPU Tim Uji {n:02d}",
        "sops": [SOP_D],
        "calendar": {"always_open": True},
        "people": [
            {"telegram_id": telegram_id, "name": name, "roles": [role]}
            for telegram_id, name, role in _members(n)
        ],
    }


async def _prepare(database: Path, cat: Catalog, counts: list[int]) -> list[tuple[int, list[int]]]:
    """An office per team, each with ``counts[n]`` processes started: (office id, process ids)."""
    clock = SystemClock()
    db = await Database.open(database)
    try:
        admin = Admin(db, cat, clock)
        workflow = Workflow.of_catalog(db, cat, clock)
        teams = []
        for n, count in enumerate(counts):
            data = validate_office(_office(n), f"tim-{n:02d}.yaml", cat)
            office = (await admin.import_office(data)).office
            async with db.read() as tx:
                starter = await tx.offices.user_by_identity(
                    "telegram", str(data.people[0].telegram_id)
                )
            assert starter is not None
            processes = []
            for k in range(count):
                started = await workflow.start(
                    starter.id, office.id, SOP_D, f"Konten uji kecepatan {n}-{k}"
                )
                assert isinstance(started, Done), started
                processes.append(started.process_id)
            teams.append((office.id, processes))
        return teams
    finally:
        await db.close()


def _step_message(pid: int, index: int) -> Callable[[FakeMessage], bool]:
    return lambda m: (
        f"Proses #{pid} " in m.text and f"Langkah {index} dari" in m.text and bool(m.buttons)
    )


async def _press(api: FakeBotApi, team: Team, into: Samples) -> None:
    """The team's open step pressed Selesai: the times to the next actor's message and to the
    press's answer."""
    assert team.message is not None
    process = team.processes[0]
    presser, following = team.people[team.step - 1], team.people[team.step]
    mark, mark_next = len(api.calls), following.mark()
    began = time.monotonic()
    await presser.press(team.message, "Selesai", timeout=WAIT)
    answer = await api.wait_for_call("answerCallbackQuery", after=mark, timeout=WAIT)
    sent = await api.wait_for_call(
        "sendMessage", lambda c: c.params.get("chat_id") == following.id, after=mark, timeout=WAIT
    )
    into.to_next.append(sent.time - began)
    into.to_answer.append(answer.time - began)
    into.windows.append((began, sent.time))
    if team.step == 1:
        team.message = await following.wait_for(
            _step_message(process, 2), since=mark_next, timeout=WAIT
        )
        team.step = 2
    else:
        team.processes.pop(0)
        team.step = 1
        team.message = None
        if team.processes:
            team.message = await team.people[0].wait_for(
                _step_message(team.processes[0], 1), timeout=WAIT
            )


async def _presses(teams: list[Team], api: FakeBotApi, count: int, gap: float) -> Samples:
    """``count`` presses after the warm-up ones. Paced (``gap`` > 0), the teams take turns and
    wait ``gap`` seconds after each press; back to back, a team presses both its steps, then the
    next team."""
    samples = Samples()
    warm = Samples()
    began = time.monotonic()
    presses = 0
    queue = [t for t in teams if t.message is not None]
    while len(samples.to_next) < count and queue:
        team = queue[0]
        measuring = presses >= WARMUP
        if measuring and samples.to_next and time.monotonic() - began > BUDGET:
            break
        await _press(api, team, samples if measuring else warm)
        presses += 1
        if presses == WARMUP:
            began = time.monotonic()
        if gap or team.step == 1:  # paced: the next team; back to back: after a team's step 2
            queue = queue[1:] + ([team] if team.message is not None else [])
        if gap:
            await asyncio.sleep(gap)
    return samples


async def _measure(database: Path) -> tuple[Samples, Samples]:
    """Paced and back-to-back presses on fresh processes among the stored ones."""
    cat = catalog()
    per_team = -(-(PACED + WARMUP) // (2 * TEAMS))
    pairs = -(-(BACK_TO_BACK + WARMUP) // 2)  # back to back: a team of one process per pair
    prepared = await _prepare(database, cat, [per_team] * TEAMS + [1] * pairs)
    async with FakeBotApi(TOKEN, bot_username="sopbot_bench_bot") as api:
        teams = []
        for n, (office_id, processes) in enumerate(prepared):
            people = [
                api.user(telegram_id, name, started=True) for telegram_id, name, _ in _members(n)
            ]
            teams.append(Team(office_id, people, processes))
        with tempfile.TemporaryDirectory(prefix="sopbot-press-") as cwd:  # no developer's .env
            notes_file = Path(cwd) / "statements.txt"
            bot = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.bot_process",
                str(notes_file),
                env=environment(api.base_url, api.base_file_url, database, ADMIN_ID),
                cwd=cwd,
            )
            try:
                for team in teams:
                    team.message = await team.people[0].wait_for(
                        _step_message(team.processes[0], 1), timeout=WAIT
                    )
                for team in teams:  # every step 1 message delivered: nothing else is under way
                    for pid in team.processes[1:]:
                        await team.people[0].wait_for(_step_message(pid, 1), timeout=WAIT)
                paced = await _presses(teams[:TEAMS], api, PACED, PACE_GAP)
                await asyncio.sleep(1.5)  # every chat's second over
                back_to_back = await _presses(teams[TEAMS:], api, BACK_TO_BACK, 0.0)
            finally:
                await stop(bot, WAIT)
            notes = [
                (float(at), begin == "1")
                for at, begin in (
                    line.split() for line in notes_file.read_text("utf-8").splitlines()
                )
            ]
    paced.count(notes)
    back_to_back.count(notes)
    return paced, back_to_back


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
        "back to back: each press the moment the previous one's message arrived, a team's"
        " Kasubbag then its Staf, then the next team; past about 30 messages a second the"
        " pacer holds the bot's messages to Telegram's limit.",
        "answer = the press's answerCallbackQuery (the spinner stops on the phone).",
        "SQL / press, tx / press = statements and transactions the bot ran from the press to the"
        " next actor's message (the update kept and marked, the press, the outbox).",
        f"{PACED} paced and {BACK_TO_BACK} back-to-back presses per size, or as many as"
        f" {BUDGET:.0f} s allow, after {WARMUP} warm-up ones.",
        "The bot runs as its own process; the fake Bot API and the pressing people share"
        " another (this one).",
        "stored processes (through the storage repositories): " + "; ".join(seeding) + ".",
    ]
    table.print()


BENCHMARK = Benchmark("press", "press latency with 1k/10k/100k processes stored", run, order=10)
