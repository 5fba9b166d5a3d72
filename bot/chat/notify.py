"""Putting messages in the outbox: to a person, to a chat, to an office group, to the admins, or as
an edit of a message sent before. Only this module decides on which channel and at which chat a
person is reached; every row it queues carries its channel, and the sender routes by it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.chat.events import Chat
from bot.chat.messages import OutMessage
from storage.db import Tx
from storage.offices import Identity, Office, User
from storage.outbox import OutboxItem


def address_of(user: User) -> Identity | None:
    """Where a person's messages go: their preferred channel, else the first they are known on;
    nowhere once they are deactivated."""
    return user.address() if user.active else None


async def to_user(
    tx: Tx,
    user: User,
    message: OutMessage,
    now: datetime,
    *,
    step_run_id: int | None = None,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
) -> int | None:
    address = address_of(user)
    if address is None:
        return None
    return await tx.outbox.enqueue(
        channel=address.channel,
        chat_id=address.external_id,
        user_id=user.id,
        payload=message.to_payload(),
        now=now,
        step_run_id=step_run_id,
        dedupe_key=dedupe_key,
        not_before=not_before,
    )


async def to_chat(
    tx: Tx, chat: Chat, message: OutMessage, now: datetime, *, dedupe_key: str | None = None
) -> int | None:
    """The chat a person wrote or pressed in (an answer goes back where the question came from)."""
    return await tx.outbox.enqueue(
        channel=chat.channel,
        chat_id=chat.id,
        payload=message.to_payload(),
        now=now,
        dedupe_key=dedupe_key,
    )


async def to_group(
    tx: Tx, office: Office, channel: str, message: OutMessage, now: datetime
) -> int | None:
    """The office's group on a channel; waits in the outbox until one is linked when there is
    none yet."""
    return await tx.outbox.enqueue(
        channel=channel,
        chat_id=office.group(channel),
        office_id=office.id,
        payload=message.to_payload(),
        now=now,
    )


async def to_admins(
    tx: Tx,
    message: OutMessage,
    now: datetime,
    *,
    dedupe: str | None = None,
    skip: int | None = None,
    offices: Iterable[int] = (),
) -> int:
    """Every active admin of the deployment, and of the ``offices`` the news is about, whichever
    channel they use (``dedupe``: one each per key)."""
    admins = {a.id: a for a in await tx.offices.admins()}
    for office_id in offices:
        admins |= {a.id: a for a in await tx.offices.admins(office_id)}
    sent = 0
    for admin in admins.values():
        if admin.id == skip:
            continue
        key = f"{dedupe}:{admin.id}" if dedupe else None
        if await to_user(tx, admin, message, now, dedupe_key=key) is not None:
            sent += 1
    return sent


async def edit(tx: Tx, item: OutboxItem, message: OutMessage, now: datetime) -> int | None:
    """Replace a message sent (or still to send) through the outbox with a new text and buttons."""
    return await tx.outbox.enqueue(
        channel=item.channel,
        chat_id=item.chat_id,
        user_id=item.user_id,
        office_id=item.office_id,
        kind="edit",
        edit_of=item.id,
        payload=message.to_payload(),
        now=now,
    )


async def edit_ref(
    tx: Tx, chat: Chat, message_ref: str, message: OutMessage, now: datetime
) -> int | None:
    """Edit a message known only by the channel's reference (one the person pressed a button on)."""
    payload = message.to_payload()
    payload["message_ref"] = message_ref
    return await tx.outbox.enqueue(
        channel=chat.channel, chat_id=chat.id, kind="edit", payload=payload, now=now
    )
