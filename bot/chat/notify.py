"""Putting messages in the outbox: to a person, to an office group, to the admins, or as an edit of
a message sent before. Only this module decides which chat a person is reached at."""

from __future__ import annotations

from datetime import datetime

from bot.chat.messages import OutMessage
from storage.db import Tx
from storage.offices import Office, User
from storage.outbox import OutboxItem


def chat_of(user: User) -> str | None:
    return str(user.telegram_id) if user.telegram_id is not None and user.active else None


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
    chat = chat_of(user)
    if chat is None:
        return None
    return await tx.outbox.enqueue(
        chat_id=chat,
        user_id=user.id,
        payload=message.to_payload(),
        now=now,
        step_run_id=step_run_id,
        dedupe_key=dedupe_key,
        not_before=not_before,
    )


async def to_chat(
    tx: Tx, chat_id: str, message: OutMessage, now: datetime, *, dedupe_key: str | None = None
) -> int | None:
    return await tx.outbox.enqueue(
        chat_id=chat_id, payload=message.to_payload(), now=now, dedupe_key=dedupe_key
    )


async def to_group(tx: Tx, office: Office, message: OutMessage, now: datetime) -> int | None:
    """The office group; waits in the outbox until a group is linked when there is none yet."""
    return await tx.outbox.enqueue(
        chat_id=office.group_chat_id,
        office_id=office.id,
        payload=message.to_payload(),
        now=now,
    )


async def to_admins(tx: Tx, message: OutMessage, now: datetime) -> int:
    sent = 0
    for admin in await tx.offices.admins():
        if await to_user(tx, admin, message, now) is not None:
            sent += 1
    return sent


async def edit(tx: Tx, item: OutboxItem, message: OutMessage, now: datetime) -> int | None:
    """Replace a message sent (or still to send) through the outbox with a new text and buttons."""
    return await tx.outbox.enqueue(
        chat_id=item.chat_id,
        user_id=item.user_id,
        office_id=item.office_id,
        kind="edit",
        edit_of=item.id,
        payload=message.to_payload(),
        now=now,
    )


async def edit_ref(
    tx: Tx, chat_id: str, message_ref: str, message: OutMessage, now: datetime
) -> int | None:
    """Edit a message known only by the channel's reference (one the person pressed a button on)."""
    payload = message.to_payload()
    payload["message_ref"] = message_ref
    return await tx.outbox.enqueue(chat_id=chat_id, kind="edit", payload=payload, now=now)
