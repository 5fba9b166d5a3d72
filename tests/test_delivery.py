"""The sender against the fake Bot API: paced to Telegram's flood limits, many chats get all their
messages in order without one 429; faults delay messages, never lose or reorder them; a message to
someone else does not queue behind a burst; a refusal for good marks the message failed and tells
the admins."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import Bot

from bot.chat.messages import Button, OutMessage, Rich
from bot.chat.sender import STOP_GRACE, Sender
from bot.clock import FakeClock
from fakes.telegram import FakeBotApi, FakeGroup, FakeUser, Faults, Limits
from handlers.telegram.channel import TelegramChannel
from storage.db import Database
from tests.harness import TOKEN

T0 = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)
# Telegram's flood limits, as the fake enforces them (a 429 with retry_after beyond them).
TELEGRAM = Limits(per_bot_per_second=30, per_chat_per_second=1, per_group_per_minute=20)


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
    users = [api.user(2000 + n, f"Orang {n}", started=True) for n in range(6)]
    for user in users:
        await _queue(db, user.id, 6, f"pesan-{user.id}")
    api.faults = Faults(share=0.3, kinds=("429", "5xx", "drop"))
    await asyncio.wait_for(sender.drain(), 60)
    for user in users:
        assert [m.text for m in user.bot_messages] == [f"pesan-{user.id} {i}" for i in range(6)]
    assert sum(api.faults_injected.values()) > 0
    async with db.read() as tx:
        assert await tx.outbox.counts() == {"sent": 36}


async def test_many_chats_get_every_message_in_order_without_a_429(
    parts: tuple[FakeBotApi, Database, Sender],
) -> None:
    """Telegram's limits enforced by the fake (30 a second from the bot, a chat's one a second,
    a group's 20 a minute): the pacer keeps under them, so the fake never answers 429."""
    api, db, sender = parts
    api.limits = TELEGRAM
    people = [api.user(2100 + n, f"Orang {n}", started=True) for n in range(45)]
    group = api.group(-1001000000777, "Grup KPU")
    await group.add_bot(by=people[0])
    chats: list[FakeUser | FakeGroup] = [*people, group]
    for chat in chats:
        await _queue(db, chat.id, 3, f"pesan-{chat.id}")
    await asyncio.wait_for(sender.drain(), 60)
    for chat in chats:
        assert [m.text for m in chat.bot_messages] == [f"pesan-{chat.id} {i}" for i in range(3)]
    assert api.rate_limited == 0
    assert sender.retried == 0
    async with db.read() as tx:
        assert await tx.outbox.counts() == {"sent": 3 * len(chats)}


async def test_a_429_is_waited_out_in_its_chat(
    parts: tuple[FakeBotApi, Database, Sender],
) -> None:
    api, db, sender = parts
    users = [api.user(2150 + n, f"Orang {n}", started=True) for n in range(3)]
    api.limits = TELEGRAM
    api.faults = Faults(share=0.4, kinds=("429",))  # "Too Many Requests: retry after 1"
    for user in users:
        await _queue(db, user.id, 3, f"cepat-{user.id}")
    await asyncio.wait_for(sender.drain(), 30)
    for user in users:
        assert [m.text for m in user.bot_messages] == [f"cepat-{user.id} {i}" for i in range(3)]
    assert api.faults_injected["429"] > 0
    assert sender.retried == api.faults_injected["429"]
    assert api.rate_limited == 0  # the waits kept every retry within the limits too


async def test_a_message_to_someone_else_does_not_queue_behind_a_burst(
    parts: tuple[FakeBotApi, Database, Sender],
) -> None:
    """While 80 chats share the bot's 30 a second, a message to a chat the burst does not concern
    (the next actor's step after a press) takes the next free place."""
    api, db, sender = parts
    api.limits = TELEGRAM
    burst = [api.user(2200 + n, f"Orang {n}", started=True) for n in range(80)]
    other = api.user(2400, "Yang menekan", started=True)
    for user in burst:
        await _queue(db, user.id, 2, f"pengingat-{user.id}")
    running = asyncio.create_task(sender.run())
    try:
        await api.wait_for_call("sendMessage", after=0, timeout=30)
        await asyncio.sleep(0.5)  # the burst is going: 80 chats want more than 30 a second
        mark = len(api.calls)
        await _queue(db, other.id, 1, "langkah")
        sender.wake()
        answer = await api.wait_for_call(
            "sendMessage", lambda c: c.params.get("chat_id") == other.id, after=mark, timeout=30
        )
        before = api.calls[mark : api.calls.index(answer, mark)]
        overtaken = [c for c in before if c.method == "sendMessage" and c.ok]
        # At most those already in flight or let go in the same turn, never the 40-odd chats
        # that waited before it.
        assert len(overtaken) < 30, len(overtaken)
        await asyncio.wait_for(_all_sent(db, 161), 30)
    finally:
        await sender.stop()
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    assert api.rate_limited == 0


async def test_a_message_asking_to_act_leaves_before_the_notes_queued_with_it(
    parts: tuple[FakeBotApi, Database, Sender],
) -> None:
    """After a press, the next actor's step (a message with buttons) is handed to Telegram before
    the notes to other chats committed with it are taken up; a step that cannot be delivered
    holds nothing back."""
    api, db, sender = parts
    notes = [api.user(2500 + n, f"Orang {n}", started=True) for n in range(4)]
    actor = api.user(2510, "Pelaksana", started=True)
    gone = api.user(2511, "Sudah keluar", started=True)
    gone.block_bot()
    step = OutMessage(Rich().add("langkah"), buttons=[[Button("Selesai", token="t1")]])
    async with db.transaction() as tx:
        for user in notes:  # queued first
            payload = OutMessage(Rich().add(f"catatan {user.id}")).to_payload()
            await tx.outbox.enqueue(
                channel="telegram", chat_id=str(user.id), payload=payload, now=T0
            )
        for user in (gone, actor):
            await tx.outbox.enqueue(
                channel="telegram", chat_id=str(user.id), payload=step.to_payload(), now=T0
            )
    await asyncio.wait_for(sender.drain(), 30)
    sends = [c for c in api.calls if c.method == "sendMessage"]
    assert {c.params["chat_id"] for c in sends[:2]} == {gone.id, actor.id}
    answered = api.calls.index(next(c for c in sends if c.params["chat_id"] == actor.id))
    # The notes were sent once the step's answer came: after it, not interleaved before it.
    assert all(api.calls.index(c) > answered for c in sends[2:])
    assert actor.last_bot_message().button_texts == ["Selesai"]
    assert all(u.last_bot_message().text == f"catatan {u.id}" for u in notes)
    async with db.read() as tx:
        assert await tx.outbox.counts() == {"sent": 5, "failed": 1}


async def test_stopping_does_not_wait_for_a_chats_turn_and_keeps_its_messages(
    parts: tuple[FakeBotApi, Database, Sender],
) -> None:
    """The bot stops while a chat's next message waits out the chat's interval: the sender stops
    without waiting for it (nor for its grace to run out), and the message stays in the outbox
    for the next start."""
    api, db, _ = parts
    channel = parts[2].channels["telegram"]
    assert isinstance(channel, TelegramChannel)
    slow = Sender(db, {"telegram": TelegramChannel(channel.bot, chat_interval=60.0)}, FakeClock(T0))
    user = api.user(2500, "Orang", started=True)
    await _queue(db, user.id, 3, "antre")
    running = asyncio.create_task(slow.run())
    try:
        await asyncio.wait_for(_all_sent(db, 1), 10)
        await asyncio.sleep(0.1)  # the chat's worker waits for its turn
    finally:
        await asyncio.wait_for(slow.stop(), STOP_GRACE / 2)
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    assert [m.text for m in user.bot_messages] == ["antre 0"]
    async with db.read() as tx:
        assert await tx.outbox.counts() == {"sent": 1, "pending": 2}


async def _all_sent(db: Database, count: int) -> None:
    while True:
        async with db.read() as tx:
            if (await tx.outbox.counts()).get("sent") == count:
                return
        await asyncio.sleep(0.1)


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
