"""Reminders at scale: a burst of 1,000 reminders through Telegram's flood limits.

Burst: 50 offices, each with its own Kasubbag, each running 20 SOP D processes whose step 1 is due
at the same moment. The clock (a FakeClock the bot runs on) moves past the deadline and the sweep
queues 1,000 reminders; the fake Bot API enforces Telegram's limits (30 messages a second per bot,
1 a second per chat, 20 a minute per group) by answering 429 with retry_after, as Telegram does,
and counts every 429 it answers. The lower bound is what the limits allow: 1,000 / 30 per second
overall, and 20 per chat at one a second.

Then the second round of the same reminders falls due, and while it is delivered a person of
another office presses Selesai on step 1 now and then: how long until the next actor (Staf) gets
step 2, against the same presses with no burst going. The pacing lets such a message take the
next free place of the bot's 30 a second, ahead of the burst's chats.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from bench.common import SOP_D, TOKEN, Benchmark, Table, catalog, header, percentile, settings
from bot.app import Options, SopBot
from bot.clock import FakeClock
from bot.office.admin import Admin
from bot.office.files import validate_office
from bot.process.workflow import Done
from fakes.telegram import ApiCall, FakeBotApi, FakeMessage, FakeUser, Limits
from sop.loader import Catalog

T0 = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)  # Senin 08.00 WIB
OFFICES = 50
PER_OFFICE = 20
PRESSES = 10  # presses timed with no burst going, and as many during the second burst
PRESS_GAP = 1.3  # seconds between two presses (the next actor's chat gets one message a second)
TELEGRAM = Limits(per_bot_per_second=30, per_chat_per_second=1, per_group_per_minute=20)


def _office(n: int) -> dict[str, Any]:
    return {
        "code": f"kantor-{n:02d}",
        "name": f"KPU Uji {n:02d}",
        "sops": [SOP_D],
        "calendar": {"always_open": True},
        "people": [
            {
                "telegram_id": 700_000 + n,
                "name": f"Kasubbag {n:02d}",
                "roles": ["kasubbag_hukum_sdm"],
            }
        ],
    }


async def _offices(bot: SopBot, cat: Catalog, count: int) -> list[tuple[int, int, int]]:
    """(office id, user id, telegram id) of each office's Kasubbag."""
    assert bot.db is not None
    admin = Admin(bot.db, cat, bot.clock)
    found = []
    for n in range(count):
        data = validate_office(_office(n), f"kantor-{n:02d}.yaml", cat)
        report = await admin.import_office(data)
        async with bot.db.read() as tx:
            user = await tx.offices.user_by_identity("telegram", str(700_000 + n))
        assert user is not None
        found.append((report.office.id, user.id, 700_000 + n))
    return found


async def _quiet_outbox(bot: SopBot, within: float = 120.0) -> None:
    assert bot.db is not None
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        async with bot.db.read() as tx:
            counts = await tx.outbox.counts()
        if not counts.get("pending"):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("the outbox did not empty")


def _is_reminder(call: ApiCall) -> bool:
    return call.ok and "Pengingat" in str(call.params.get("text", ""))


async def _reminders_delivered(api: FakeBotApi, after: int, count: int) -> int:
    """Wait until ``count`` reminders have reached the fake after call ``after``; how many did."""
    seen = 0
    while seen < count:
        try:
            call = await api.wait_for_call("sendMessage", _is_reminder, after=after, timeout=120)
        except TimeoutError:
            return seen
        after = api.calls.index(call, after) + 1
        seen += 1
    return seen


@dataclass
class Burst:
    """One round of 1,000 reminders: what the sweep and the delivery took."""

    handled: int = 0
    queued: float = 0.0  # seconds the sweep took to queue them
    transactions: int = 0  # the sweep's transactions of alerts
    took: float = 0.0  # from the sweep's start to the last reminder accepted by the fake
    delivered: int = 0
    limited: int = 0  # 429s the fake answered
    failed: int = 0
    exact: bool = False  # every chat got exactly its 20
    ordered: bool = False  # each chat's reminders in the order they were queued
    others: int = 0  # other messages the fake accepted meanwhile (the presses' traffic)
    presses: list[float] = field(default_factory=list)


async def _round(
    bot: SopBot,
    api: FakeBotApi,
    people: list[tuple[int, int, int]],
    during: Callable[[], Any] | None = None,
) -> Burst:
    """Sweep the reminders due now and wait until the fake has every one of them."""
    assert bot.scheduler is not None
    assert bot.db is not None
    result = Burst()
    total = OFFICES * PER_OFFICE
    limited_before = api.rate_limited
    transactions_before = bot.scheduler.transactions
    mark = len(api.calls)
    began = time.monotonic()
    pressing = asyncio.create_task(during()) if during is not None else None
    result.handled = await bot.scheduler.tick()
    result.queued = time.monotonic() - began
    result.transactions = bot.scheduler.transactions - transactions_before
    result.delivered = await _reminders_delivered(api, mark, total)
    result.took = time.monotonic() - began
    if pressing is not None:
        result.presses = await pressing
    await _quiet_outbox(bot, within=60)
    result.limited = api.rate_limited - limited_before
    async with bot.db.read() as tx:
        result.failed = (await tx.outbox.counts()).get("failed", 0)
    calls = [c for c in api.calls[mark:] if c.ok and c.method == "sendMessage"]
    result.others = sum(1 for c in calls if not _is_reminder(c))
    result.exact = result.ordered = True
    for _, _, telegram_id in people:
        texts = [
            str(c.params.get("text", "")) for c in calls if c.params.get("chat_id") == telegram_id
        ]
        numbers = [_process_number(t) for t in texts if "Pengingat" in t]
        result.exact &= len(numbers) == PER_OFFICE
        result.ordered &= numbers == sorted(numbers)
    return result


def _process_number(text: str) -> int:
    """The process a step message is about ("Proses #12 ...")."""
    return int(text.split("Proses #", 1)[1].split()[0].rstrip(".,:"))


def _step_one(pid: int) -> Callable[[FakeMessage], bool]:
    return lambda m: f"Proses #{pid} " in m.text and "Langkah 1 dari" in m.text and bool(m.buttons)


class Presser:
    """A person of an office outside the burst, pressing Selesai on step 1 of their processes:
    each press timed to the moment the fake receives the next actor's (Staf's) step 2."""

    def __init__(self, api: FakeBotApi, kasubbag: FakeUser, staf: FakeUser) -> None:
        self.api = api
        self.kasubbag = kasubbag
        self.staf = staf
        self.steps: list[FakeMessage] = []

    async def press(self) -> float:
        message = self.steps.pop(0)
        mark = len(self.api.calls)
        began = time.monotonic()
        await self.kasubbag.press(message, "Selesai", timeout=30)
        sent = await self.api.wait_for_call(
            "sendMessage", lambda c: c.params.get("chat_id") == self.staf.id, after=mark, timeout=30
        )
        return sent.time - began

    async def presses(self, count: int, *, first: float = 0.0) -> list[float]:
        await asyncio.sleep(first)
        found = []
        for _ in range(count):
            found.append(await self.press())
            await asyncio.sleep(PRESS_GAP)
        return found


async def _presser(bot: SopBot, api: FakeBotApi, cat: Catalog, count: int) -> Presser:
    """The office that presses: a Kasubbag who starts ``count`` SOP D processes, and a Staf."""
    assert bot.db is not None
    assert bot.workflow is not None
    admin = Admin(bot.db, cat, bot.clock)
    data = validate_office(
        {
            "code": "kantor-tekan",
            "name": "KPU Uji Tekan",
            "sops": [SOP_D],
            "calendar": {"always_open": True},
            "people": [
                {"telegram_id": 710_001, "name": "Kasubbag Tekan", "roles": ["kasubbag_hukum_sdm"]},
                {"telegram_id": 710_002, "name": "Staf Tekan", "roles": ["staf_subbagian"]},
            ],
        },
        "kantor-tekan.yaml",
        cat,
    )
    office = (await admin.import_office(data)).office
    async with bot.db.read() as tx:
        starter = await tx.offices.user_by_identity("telegram", "710001")
    assert starter is not None
    presser = Presser(
        api,
        api.user(710_001, "Kasubbag Tekan", started=True),
        api.user(710_002, "Staf Tekan", started=True),
    )
    mark = presser.kasubbag.mark()
    for k in range(count):
        started = await bot.workflow.start(starter.id, office.id, SOP_D, f"Konten tekan {k}")
        assert isinstance(started, Done), started
        presser.steps.append(
            await presser.kasubbag.wait_for(_step_one(started.process_id), since=mark, timeout=60)
        )
    return presser


async def burst() -> None:
    header("reminders", "a burst of 1,000 reminders due at once, through Telegram's flood limits")
    cat = catalog()
    clock = FakeClock(T0)
    with TemporaryDirectory(prefix="sopbot-bench-") as folder:
        async with FakeBotApi(TOKEN, bot_username="sopbot_bench_bot", clock=clock) as api:
            bot = SopBot(
                settings(api.base_url, api.base_file_url, Path(folder) / "burst.db"),
                Options(clock=clock, backoff_base=0.05, backoff_max=0.5, poll_timeout=10),
            )
            await bot.start()
            try:
                assert bot.workflow is not None
                assert bot.db is not None
                people = await _offices(bot, cat, OFFICES)
                for _, _, telegram_id in people:
                    api.user(telegram_id, f"Kasubbag {telegram_id}", started=True)
                for office_id, user_id, _ in people:
                    for k in range(PER_OFFICE):
                        started = await bot.workflow.start(user_id, office_id, SOP_D, f"Konten {k}")
                        assert isinstance(started, Done), started
                await _quiet_outbox(bot)
                api.limits = TELEGRAM
                # Every step 1 is due at 08.10; at 08.11 the sweep finds all of them.
                clock.set(T0 + timedelta(minutes=11))
                first = await _round(bot, api, people)
                # The second reminders fall due together; just before, the pressing office
                # starts its processes (due well after the round) and presses with no burst.
                async with bot.db.read() as tx:
                    again = await tx.processes.next_alert_at()
                assert again is not None
                clock.set(again - timedelta(seconds=30))
                presser = await _presser(bot, api, cat, 2 * PRESSES)
                await asyncio.sleep(PRESS_GAP)
                quiet = await presser.presses(PRESSES)
                await _quiet_outbox(bot)
                clock.set(again)
                second = await _round(bot, api, people, lambda: presser.presses(PRESSES, first=2.0))
            finally:
                await bot.stop()
    total = OFFICES * PER_OFFICE
    bound = max(total / 30, PER_OFFICE / 1)
    table = Table(
        "Reminder burst: 1,000 reminders due at once, Telegram's limits enforced by the fake",
        [
            "round",
            "reminders",
            "queued in",
            "transactions",
            "delivered in",
            "lower bound",
            "ratio",
            "429s",
            "lost",
            "failed",
        ],
    )
    for name, row in (("first", first), ("second, with presses", second)):
        table.add(
            name,
            row.handled,
            f"{row.queued:.2f} s",
            row.transactions,
            f"{row.took:.1f} s",
            f"{bound:.1f} s",
            f"{row.took / bound:.3f}",
            row.limited,
            total - row.delivered,
            row.failed,
        )
    table.notes = [
        f"{OFFICES} offices x {PER_OFFICE} processes; each office's Kasubbag gets {PER_OFFICE} reminders.",
        "lower bound = max(1,000 / 30 per second, 20 per chat at 1 per second).",
        "queued in = the sweep (tick) from its start until every reminder is in the outbox;",
        "  transactions = the sweep's transactions of alerts.",
        "delivered in = from the sweep's start to the last reminder accepted by the fake.",
        "429s = Too Many Requests answered by the fake during the round (its own count).",
        f"each chat got exactly {PER_OFFICE}: {first.exact and second.exact}; "
        f"each chat's in the order queued: {first.ordered and second.ordered}.",
        f"the second round's fake also accepted {second.others} other messages (the presses').",
    ]
    table.print()
    presses = Table(
        "Press -> next actor's step 2 at the fake (ms), another office's Kasubbag pressing Selesai",
        ["while", "presses", "p50", "max"],
    )
    for name, values in (("no burst", quiet), ("the second round's burst", second.presses)):
        presses.add(
            name, len(values), percentile(values, 50) * 1000, max(values, default=0.0) * 1000
        )
    presses.notes = [
        f"presses {PRESS_GAP} s apart; during the burst from 2 s after the sweep began.",
        "Bot, fake Bot API and the pressing person share one process and event loop.",
    ]
    presses.print()


BENCHMARK = Benchmark(
    "reminders", "a burst of 1,000 reminders through Telegram's limits", burst, order=20
)
