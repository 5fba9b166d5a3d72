"""Reminders at scale: a burst of 1,000 reminders through Telegram's flood limits.

Burst: 50 offices, each with its own Kasubbag, each running 20 SOP D processes whose step 1 is due
at the same moment. The clock (a FakeClock the bot runs on) moves past the deadline and the sweep
queues 1,000 reminders; the fake Bot API now enforces Telegram's limits (30 messages a second per
bot, 1 a second per chat) by answering 429 with retry_after, as Telegram does. The lower bound is
what the limits allow: 1,000 / 30 per second overall, and 20 per chat at one a second.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from bench.common import SOP_D, TOKEN, Benchmark, Table, catalog, header, settings
from bot.app import Options, SopBot
from bot.clock import FakeClock
from bot.office.admin import Admin
from bot.office.files import validate_office
from bot.process.workflow import Done
from fakes.telegram import ApiCall, FakeBotApi, Limits
from sop.loader import Catalog

T0 = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)  # Senin 08.00 WIB
OFFICES = 50
PER_OFFICE = 20


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


async def burst() -> None:
    header("reminders", "a burst of 1,000 reminders due at once, through Telegram's flood limits")
    cat = catalog()
    clock = FakeClock(T0)
    total = OFFICES * PER_OFFICE
    with TemporaryDirectory(prefix="sopbot-bench-") as folder:
        async with FakeBotApi(TOKEN, bot_username="sopbot_bench_bot", clock=clock) as api:
            bot = SopBot(
                settings(api.base_url, api.base_file_url, Path(folder) / "burst.db"),
                Options(clock=clock, backoff_base=0.05, backoff_max=0.5, poll_timeout=10),
            )
            await bot.start()
            try:
                assert bot.workflow is not None
                assert bot.scheduler is not None
                assert bot.db is not None
                people = await _offices(bot, cat, OFFICES)
                for _, _, telegram_id in people:
                    api.user(telegram_id, f"Kasubbag {telegram_id}", started=True)
                for office_id, user_id, _ in people:
                    for k in range(PER_OFFICE):
                        started = await bot.workflow.start(user_id, office_id, SOP_D, f"Konten {k}")
                        assert isinstance(started, Done), started
                await _quiet_outbox(bot)
                # Every step 1 is due at 08.10; at 08.11 the sweep finds all of them.
                clock.set(T0 + timedelta(minutes=11))
                api.limits = Limits(
                    per_bot_per_second=30, per_chat_per_second=1, per_group_per_minute=20
                )
                limited_before = api.rate_limited
                mark = len(api.calls)
                began = time.monotonic()
                handled = await bot.scheduler.tick()
                queued = time.monotonic() - began
                delivered = await _reminders_delivered(api, mark, total)
                took = time.monotonic() - began
                await _quiet_outbox(bot, within=60)
                async with bot.db.read() as tx:
                    counts = await tx.outbox.counts()
                per_chat = {
                    telegram_id: sum(
                        1 for m in api.user(telegram_id, "").bot_messages if "Pengingat" in m.text
                    )
                    for _, _, telegram_id in people
                }
            finally:
                await bot.stop()
    bound = max(total / 30, PER_OFFICE / 1)
    table = Table(
        "Reminder burst: 1,000 reminders due at once, Telegram's limits enforced by the fake",
        [
            "reminders",
            "swept",
            "queued in",
            "delivered in",
            "lower bound",
            "ratio",
            "429s",
            "lost",
            "failed",
        ],
    )
    table.add(
        total,
        handled,
        f"{queued:.1f} s",
        f"{took:.1f} s",
        f"{bound:.1f} s",
        f"{took / bound:.2f}",
        api.rate_limited - limited_before,
        total - delivered,
        counts.get("failed", 0),
    )
    table.notes = [
        f"{OFFICES} offices x {PER_OFFICE} processes; each office's Kasubbag gets {PER_OFFICE} reminders.",
        "lower bound = max(1,000 / 30 per second, 20 per chat at 1 per second).",
        f"each chat got exactly {PER_OFFICE}: {all(v == PER_OFFICE for v in per_chat.values())}.",
        "delivered in = from the sweep's start to the last reminder accepted by the fake.",
    ]
    table.print()


BENCHMARK = Benchmark(
    "reminders", "a burst of 1,000 reminders through Telegram's limits", burst, order=20
)
