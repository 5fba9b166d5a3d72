"""The Telegram side of delivery: sends and edits what the outbox holds, and turns Telegram's
errors into the sender's three kinds (wait, retry, give up)."""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from datetime import timedelta

os.environ.setdefault("PTB_TIMEDELTA", "1")  # see handlers/telegram/frontend.py

from telegram import Bot, InputFile, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.chat.channel import (
    ChannelLimits,
    Delivery,
    PermanentFailure,
    RetryLater,
    TemporaryFailure,
)
from bot.chat.messages import OutMessage, Rich
from handlers.telegram.render import CAPTION_LIMIT, keyboard, reply_markup, to_html

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# A long caption's text, sent after its file: tries before its flood answers reach the sender.
FOLLOW_UP_TRIES = 4


# What Telegram carries (Bot API limits), and what the bot makes of it: labels are kept to what a
# phone shows on one line, and a menu lists up to 40 choices before it pages. Its flood limits are
# paced by the sender (bot.chat.pacing) before Telegram has to answer 429: 30 messages a second
# from the bot, a chat's messages (edits too) a second apart, 20 a minute into a group (a group's
# id is negative). No rate limiter of python-telegram-bot's stands in front of it.
TELEGRAM_LIMITS = ChannelLimits(
    text_length=4096,
    caption_length=CAPTION_LIMIT,
    buttons_per_message=100,
    button_label_length=60,
    menu_rows=40,
    can_edit=True,
    reply_prompt=True,
    url_buttons=True,
    groups=True,
    lasting_file_refs=True,
    per_second=30,
    chat_interval=1.0,
    group_per_minute=20,
    group_prefix="-",
)


class TelegramChannel:
    name = "telegram"

    def __init__(self, bot: Bot, *, chat_interval: float = TELEGRAM_LIMITS.chat_interval) -> None:
        self.bot = bot
        self.limits = replace(TELEGRAM_LIMITS, chat_interval=chat_interval)

    async def send(self, chat_id: str, message: OutMessage, delivery: Delivery) -> str:
        """Telegram has no window: the full message always goes."""
        try:
            return await self._send(chat_id, message)
        except TelegramError as exc:
            raise _classify(exc) from exc

    async def fetch(self, ref: str) -> bytes:
        """The bytes of a file Telegram holds (a file handed in, to keep or to send elsewhere)."""
        try:
            file = await self.bot.get_file(ref)
            return bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            raise _classify(exc) from exc

    async def edit(self, chat_id: str, message_ref: str, message: OutMessage) -> None:
        try:
            await self.bot.edit_message_text(
                chat_id=chat_id,
                message_id=int(message_ref),
                text=to_html(message.text),
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(message),
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return
            raise _classify(exc) from exc
        except TelegramError as exc:
            raise _classify(exc) from exc

    async def _send(self, chat_id: str, message: OutMessage) -> str:
        attachment = message.attachment
        if attachment is None:
            sent = await self.bot.send_message(
                chat_id=chat_id,
                text=to_html(message.text),
                parse_mode=ParseMode.HTML,
                reply_markup=reply_markup(message),
                link_preview_options=NO_PREVIEW,
            )
            return str(sent.message_id)
        caption = to_html(message.text) if message.text.spans else None
        long_caption = caption is not None and len(message.text) > self.limits.caption_length - 24
        if attachment.ref is not None:
            file: str | InputFile = attachment.ref
        elif attachment.data is not None:
            file = InputFile(attachment.data, filename=attachment.name)
        else:
            raise PermanentFailure("attachment without a file")
        kwargs = {
            "chat_id": chat_id,
            "caption": None if long_caption else caption,
            "parse_mode": ParseMode.HTML,
            "reply_markup": None if long_caption else reply_markup(message),
        }
        if attachment.as_photo:
            sent = await self.bot.send_photo(photo=file, **kwargs)  # type: ignore[arg-type]
        else:
            sent = await self.bot.send_document(document=file, **kwargs)  # type: ignore[arg-type]
        if long_caption:
            # Telegram limits captions; the text goes in a message of its own after the file, a
            # chat's interval later. The file is delivered by then: a flood answer to the text is
            # waited out here, or a retry of the whole message would send the file again.
            follow = OutMessage(text=Rich(list(message.text.spans)), buttons=message.buttons)
            await asyncio.sleep(self.limits.chat_interval)
            for _ in range(FOLLOW_UP_TRIES - 1):
                try:
                    return await self._send(chat_id, follow)
                except RetryAfter as exc:
                    await asyncio.sleep(_seconds(exc.retry_after))
            return await self._send(chat_id, follow)
        return str(sent.message_id)


def _seconds(wait: timedelta | float) -> float:
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


def _classify(exc: TelegramError) -> Exception:
    if isinstance(exc, RetryAfter):
        return RetryLater(_seconds(exc.retry_after), str(exc))
    if isinstance(exc, Forbidden):  # blocked, or never started: the person is out of reach
        return PermanentFailure(str(exc), unreachable=True)
    if isinstance(exc, InvalidToken | ChatMigrated):
        return PermanentFailure(str(exc))
    if isinstance(exc, BadRequest):
        gone = any(s in str(exc).lower() for s in ("chat not found", "user is deactivated"))
        return PermanentFailure(str(exc), unreachable=gone)
    if isinstance(exc, NetworkError):  # includes TimedOut and 5xx answers
        return TemporaryFailure(str(exc))
    return TemporaryFailure(str(exc))
