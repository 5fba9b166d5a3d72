"""Files handed in: the bot keeps their bytes (a WhatsApp media URL lives minutes, its id days),
so a file can go to the next actor on either channel, months later, and into the archive. A
hand-in's value names its kept file as ``file:<id>``; a value without the prefix is a Telegram
reference from before the bot kept files."""

from __future__ import annotations

from datetime import datetime

from bot.chat.events import FileRef
from bot.chat.messages import Attachment
from storage.db import Tx

FILE_PREFIX = "file:"


async def keep(tx: Tx, channel: str, file: FileRef, now: datetime) -> str:
    """Keep a file a person sent on ``channel``; returns the value its hand-in records. A file
    the channel could not give the bytes of keeps the channel's reference."""
    if file.data is None:
        return file.ref
    file_id = await tx.files.store(
        file.name, file.mime_type, file.data, now, origin=channel, origin_ref=file.ref
    )
    return f"{FILE_PREFIX}{file_id}"


def attachment(value: str, name: str, mime_type: str | None = None) -> Attachment:
    """The attachment that sends a handed-in file."""
    if value.startswith(FILE_PREFIX) and value[len(FILE_PREFIX) :].isdigit():
        return Attachment(name=name, stored=int(value[len(FILE_PREFIX) :]), mime_type=mime_type)
    return Attachment(name=name, ref=value, mime_type=mime_type)
