"""The sender against the fake Bot API: faults and flood limits delay messages, never lose or
reorder them; a refusal for good marks the message failed and tells the admins."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import Bot

from bot.chat.messages import OutMessage, Rich
from bot.chat.sender import Sender
from bot.clock import FakeClock
from fakes.telegram import FakeBotApi, Faults, Limits
from handlers.telegram.channel import TelegramChannel
from storage.db import Database
from tests.harness import TOKEN

T0 = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)


@pytest.fixture
async def parts(tmp_path: Path) -> AsyncIterator[tuple[FakeBotApi, Database, Sender]]:
    async with FakeBotApi(TOKEN) as api:
        db = await Database.open(tmp_path / "sopbot.db")
        async with Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url) as bot:
            sender = Sender(
                db,
                {"telegram": TelegramChannel(bot)},
                FakeClock(T0),
                backoff_base=0.01,
                backoff_max=0.05,
            )
            try:
                yield api, db, sender
            finally:
                await sender.stop()
                await db.close()


async def _queue(db: Database, chat: int, count: int, prefix: str) -> None:
    async with db.transaction() as tx:
        for i in range(count):
            await tx.outbox.enqueue(
                channel="telegram",
                chat_id=str(chat),
                payload=OutMessage(Rich().add(f"{prefix} {i}")).to_payload(),
                now=T0,
            )


async def test_faults_delay_but_never_lose_or_reorder_messages(
    parts: tuple[FakeBotApi, Database, Sender],
) -> None:
    api, db, sender = parts
    users = [api.user(2000 + n, f"Orang {n}", started=True) for n in range(4)]
    for user in users:
        await _queue(db, user.id, 15, f"pesan-{user.id}")
    api.faults = Faults(share=0.3, kinds=("429", "5xx", "drop"))
    await asyncio.wait_for(sender.drain(), 60)
    for user in users:
        assert [m.text for m in user.bot_messages] == [f"pesan-{user.id} {i}" for i in range(15)]
    assert sum(api.faults_injected.values()) > 0
    async with db.read() as tx:
        assert await tx.outbox.counts() == {"sent": 60}


async def test_flood_limits_are_waited_out(parts: tuple[FakeBotApi, Database, Sender]) -> None:
    api, db, sender = parts
    user = api.user(2100, "Orang", started=True)
    api.limits = Limits(
        per_bot_per_second=30, per_chat_per_second=1, per_group_per_minute=20, enforce=True
    )
    await _queue(db, user.id, 3, "cepat")
    await asyncio.wait_for(sender.drain(), 30)
    assert [m.text for m in user.bot_messages] == ["cepat 0", "cepat 1", "cepat 2"]
    assert api.rate_limited > 0
    assert sender.retried >= api.rate_limited


async def test_a_blocked_person_fails_for_good_and_the_admins_are_told(
    parts: tuple[FakeBotApi, Database, Sender],
) -> None:
    api, db, sender = parts
    admin_chat = api.user(2200, "Admin", started=True)
    blocked = api.user(2201, "Pemblokir", started=True)
    blocked.block_bot()
    async with db.transaction() as tx:
        admin, _ = await tx.offices.upsert_user("telegram", "2200", "Admin", T0, is_admin=True)
        person, _ = await tx.offices.upsert_user("telegram", "2201", "Pemblokir", T0)
        await tx.outbox.enqueue(
            channel="telegram",
            chat_id="2201",
            user_id=person.id,
            payload=OutMessage(Rich().add("langkah")).to_payload(),
            now=T0,
        )
        await tx.outbox.enqueue(
            channel="telegram",
            chat_id="2201",
            user_id=person.id,
            payload=OutMessage(Rich().add("langkah lagi")).to_payload(),
            now=T0,
        )
    await asyncio.wait_for(sender.drain(), 10)
    async with db.read() as tx:
        counts = await tx.outbox.counts()
    assert counts == {"failed": 2, "sent": 1}  # one note to the admin, deduplicated per day
    told = admin_chat.bot_messages
    assert len(told) == 1
    assert "Pemblokir" in told[0].text
    assert "tidak dapat dikirim" in told[0].text
    assert admin.id != person.id
