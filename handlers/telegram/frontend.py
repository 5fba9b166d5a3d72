"""The Telegram front end: python-telegram-bot's Application and its handlers (which turn updates
into ``bot.chat.events`` and hand them to the dialog), the command menu made from the bot's command
table, and receiving updates by long polling or by a webhook, both served here rather than by PTB's
Updater.

Every update is stored (``bot.chat.inbox``) before Telegram is told it was received: polling asks
for the next updates with an offset past the last one only after the batch is committed, and the
webhook answers 200 only after the body is. Stored updates are handled in order (as they were just
kept, or from the database after a restart), each once by its ``update_id``; PTB's
``Application.process_update`` runs the handlers, so they do not know where an update came from.
Requests to the Bot API go through aiohttp (``handlers.telegram.request``). A kill while an update is being handled leaves it unhandled in
the database, and it is handled again after the restart (at least once); a kill before it was
stored leaves it unconfirmed at Telegram, which hands it out again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import re
import socket
import time
from collections import deque

# PTB's documented opt-in: time periods such as RetryAfter.retry_after come as timedelta (the
# coming default) instead of int with a deprecation warning. Set before telegram is imported.
os.environ.setdefault("PTB_TIMEDELTA", "1")
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import tornado.httpserver
import tornado.netutil
import tornado.web
from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Message,
    MessageEntity,
    Update,
)
from telegram import Chat as TgChat
from telegram import User as TgUser
from telegram.constants import ChatMemberStatus
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.chat.commands import Where, menu
from bot.chat.events import (
    AddedToGroup,
    Answer,
    Chat,
    Command,
    Event,
    FileIn,
    FileRef,
    Person,
    Press,
    Text,
)
from bot.chat.inbox import InboundBody, Inbox
from bot.settings import ConfigError
from bot.words.chat import PRESS_FAILED
from handlers.telegram.channel import TELEGRAM_LIMITS, TelegramChannel
from handlers.telegram.request import AiohttpRequest

log = logging.getLogger(__name__)

TELEGRAM = "telegram"

# Telegram keeps an update it was not told was received for 24 hours, so a copy of one comes within
# a day. After a week without updates it picks the next update_id at random, so the keys of handled
# updates are forgotten before a week has passed: an old key must not make a new update look
# handled.
KEPT_BY_TELEGRAM = timedelta(hours=24)
KEYS_KEPT_FOR = timedelta(days=6)
FORGET_EVERY = 3600.0  # seconds between forgetting old keys
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - the header's name
STOP_GRACE = 10.0  # seconds an update being handled gets to finish when the bot stops
# After a batch is kept, the next getUpdates (which confirms it) waits up to this long for the batch
# to be handled: a press's answer and messages then go out without the poll's own request on the
# event loop in between. Nothing waits longer on a busy bot: updates wait at Telegram meanwhile.
CONFIRM_AFTER = 0.25
# Connections to the Bot API for everything but getUpdates (PTB's own default): the sender has a
# worker per chat, the pacer keeps them within Telegram's 30 a second.
GENERAL_POOL = 256

Handle = Callable[[Event], Awaitable[Answer | None]]


@dataclass(frozen=True)
class TelegramConfig:
    """Where the Bot API is, and how updates arrive: long polling, or a webhook (URL and
    secret) served on ``listen``:``port``."""

    token: str
    base_url: str
    base_file_url: str
    webhook: tuple[str, str] | None = None
    listen: str = "127.0.0.1"
    port: int = 8443
    poll_timeout: int = 30
    retry_base: float = 0.5  # seconds before polling again after a failed getUpdates, doubling
    retry_max: float = 30.0
    chat_interval: float = TELEGRAM_LIMITS.chat_interval  # seconds between two messages to a chat


def replied_to(message: Message) -> str | None:
    """The message a reply answers (the bot's question, or a step's message), as its id."""
    reply = message.reply_to_message
    return str(reply.message_id) if reply is not None else None


def person_of(user: TgUser) -> Person:
    return Person(
        channel=TELEGRAM,
        external_id=str(user.id),
        name=user.full_name or str(user.id),
        username=user.username,
    )


def chat_of(chat: TgChat) -> Chat:
    return Chat(
        channel=TELEGRAM, id=str(chat.id), is_group=chat.type != TgChat.PRIVATE, title=chat.title
    )


def command_of(message: Message, username: str) -> tuple[str, str] | None:
    """The command at the start of a message and its arguments; None for another bot's command."""
    text = message.text or ""
    entity = next(
        (e for e in message.entities if e.type == MessageEntity.BOT_COMMAND and e.offset == 0), None
    )
    if entity is None:
        return None
    word = text[1 : entity.length]
    name, _, target = word.partition("@")
    if target and target.lower() != username.lower():
        return None
    return name.lower(), text[entity.length :].strip()


def file_of(message: Message) -> FileRef | None:
    if message.document is not None:
        doc = message.document
        return FileRef(
            ref=doc.file_id,
            name=doc.file_name or "berkas",
            mime_type=doc.mime_type,
            size=doc.file_size,
        )
    if message.photo:
        photo = message.photo[-1]  # the largest size
        return FileRef(
            ref=photo.file_id,
            name=f"foto-{message.message_id}.jpg",
            mime_type="image/jpeg",
            is_photo=True,
            size=photo.file_size,
        )
    return None


class TelegramFrontend:
    """Owns the PTB Application (without its Updater: updates are received here, stored, and
    handled from the database). ``handle`` is the dialog's entry point."""

    name = TELEGRAM

    def __init__(self, config: TelegramConfig, handle: Handle) -> None:
        self.config = config
        self.handle = handle
        self.base_url = config.base_url
        self._updates_request = AiohttpRequest(1)  # getUpdates' own connection
        self.application: Application = (  # type: ignore[type-arg]
            ApplicationBuilder()
            .token(config.token)
            .base_url(config.base_url)
            .base_file_url(config.base_file_url)
            # No rate limiter here: the sender paces every message to Telegram's limits before
            # sending (TELEGRAM_LIMITS, bot.chat.pacing), and a 429 that comes all the same holds
            # back only its own chat there. PTB's AIORateLimiter halted every chat on any 429 and
            # let about 60 through in the second after.
            .updater(None)
            .request(AiohttpRequest(GENERAL_POOL))
            .get_updates_request(self._updates_request)
            .build()
        )
        app = self.application
        app.add_handler(CallbackQueryHandler(self._on_press))
        app.add_handler(ChatMemberHandler(self._on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
        # New messages only: an edited message (a typo fixed in a note already taken) must not
        # count as a second answer.
        new = filters.UpdateType.MESSAGE
        app.add_handler(MessageHandler(new & filters.COMMAND, self._on_command))
        app.add_handler(MessageHandler(new & (filters.Document.ALL | filters.PHOTO), self._on_file))
        app.add_handler(MessageHandler(new & filters.TEXT & ~filters.COMMAND, self._on_text))
        app.add_handler(
            MessageHandler(
                new & filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL, self._on_other
            )
        )
        app.add_error_handler(self._on_error)
        self._channel = TelegramChannel(app.bot, chat_interval=config.chat_interval)
        self.inbox: Inbox | None = None
        self.port = config.port  # the webhook's, once it is served (0 in the config: any free)
        self._server: tornado.httpserver.HTTPServer | None = None
        self._secret = b""
        self._wake = asyncio.Event()
        self._caught_up = asyncio.Event()
        self._idle = asyncio.Event()  # the worker has handled every kept update
        self._worker: asyncio.Task[None] | None = None
        self._poller: asyncio.Task[None] | None = None
        self._stopping = False
        self._fresh: deque[InboundBody] = deque()  # kept, for the worker to handle

    @property
    def channel(self) -> TelegramChannel:
        return self._channel

    @property
    def username(self) -> str:
        return str(self.application.bot.username)

    def attach(self, inbox: Inbox) -> None:
        """The bot's inbox, where updates are kept before Telegram is told they were received."""
        self.inbox = inbox

    def invite_link(self, token: str) -> str:
        """The link that opens the bot with an invitation (``/start <token>``)."""
        return f"https://t.me/{self.username}?start={token}"

    async def initialize(self) -> None:
        """Connect (getMe) without receiving updates yet. A token Telegram refuses, or a Bot API
        that cannot be reached, stops the start with one line that says what to do (and never
        shows the token: PTB's own message quotes it)."""
        try:
            await self.application.initialize()
        except InvalidToken:
            await self._close_quietly()
            raise ConfigError(
                "Telegram menolak TELEGRAM_BOT_TOKEN (salah ketik, atau sudah dicabut lewat "
                "@BotFather). Salin lagi token dari @BotFather ke berkas .env."
            ) from None
        except NetworkError as exc:
            await self._close_quietly()
            raise ConfigError(
                f"Telegram Bot API di {self.base_url} tidak dapat dihubungi ({type(exc).__name__}). "
                "Periksa jaringan, atau TELEGRAM_API_BASE_URL bila memakai server sendiri."
            ) from None

    async def _close_quietly(self) -> None:
        """Close the HTTP clients PTB opened before getMe failed (Bot.shutdown knows them)."""
        await self.application.bot.shutdown()

    async def start(self) -> None:
        """Offer the command menu, then receive updates: long polling, or the webhook. What was
        kept and not handled before (the bot was killed) is handled first."""
        assert self.inbox is not None  # noqa: S101 - attached before the start
        await self._set_commands()
        await self.application.start()
        c = self.config
        bot = self.application.bot
        if c.webhook is None:
            await bot.delete_webhook()  # a webhook left set would refuse getUpdates
            self._worker = asyncio.create_task(self._work(), name="telegram-inbox")
            self._poller = asyncio.create_task(self._poll(), name="telegram-polling")
            log.info("bot @%s started (long polling)", self.username)
            return
        url, secret = c.webhook
        self._secret = secret.encode()
        self._serve(c.listen, c.port, _webhook_path(url))
        self._worker = asyncio.create_task(self._work(), name="telegram-inbox")
        await bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
        log.info("bot @%s started (webhook on %s:%s)", self.username, c.listen, self.port)

    async def _set_commands(self) -> None:
        bot = self.application.bot
        for where, scope in (
            (Where.PRIVATE, BotCommandScopeAllPrivateChats()),
            (Where.GROUP, BotCommandScopeAllGroupChats()),
        ):
            await bot.set_my_commands([BotCommand(c, d) for c, d in menu(where)], scope=scope)

    async def stop(self) -> None:
        """Stop receiving; an update being handled may finish (else it is handled again at the
        next start). Sending goes on until ``close``."""
        self._stopping = True
        self._wake.set()
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None
        if self._poller is not None:
            await _cancel(self._poller)
            self._poller = None
        if self._worker is not None:
            await asyncio.wait({self._worker}, timeout=STOP_GRACE)
            await _cancel(self._worker)
            self._worker = None
        app = self.application
        if app.running:
            await app.stop()

    async def close(self) -> None:
        """Close the connections to the Bot API (after the sender stopped)."""
        await self.application.shutdown()

    # --- receiving -------------------------------------------------------------------------------

    async def _poll(self) -> None:
        """Long polling: each batch getUpdates returns is stored in one transaction, and only then
        confirmed to Telegram (by the next call's offset). A failed call is tried again, waiting
        longer each time."""
        assert self.inbox is not None  # noqa: S101
        await self._caught_up.wait()
        c = self.config
        offset = await self._resume_offset()
        failures = 0
        while not self._stopping:
            try:
                updates = await self._get_updates(offset)
                if updates:
                    kept = await self.inbox.keep_all(
                        TELEGRAM, [json.dumps(u, ensure_ascii=False).encode() for u in updates]
                    )
                    offset = updates[-1]["update_id"] + 1
                    self._fresh.extend(kept)
                    self._idle.clear()
                    self._wake.set()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._idle.wait(), CONFIRM_AFTER)
                failures = 0
            except RetryAfter as exc:
                delay = exc.retry_after
                wait = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
                log.warning("getUpdates: flood limit, polling again in %.0f s", wait)
                await asyncio.sleep(wait)
            except TelegramError as exc:
                # TimedOut, NetworkError, Conflict (another instance polls)...: nothing was
                # confirmed, so nothing is lost; poll again after a while.
                failures += 1
                wait = min(c.retry_max, c.retry_base * 2 ** (failures - 1))
                log.warning(
                    "getUpdates failed (%s: %s); polling again in %.1f s",
                    type(exc).__name__,
                    exc,
                    wait,
                )
                await asyncio.sleep(wait)
            except Exception:
                failures += 1
                wait = min(c.retry_max, c.retry_base * 2 ** (failures - 1))
                # Storing the batch failed: it was not confirmed and comes again.
                log.exception("keeping received updates failed; polling again in %.1f s", wait)
                await asyncio.sleep(wait)

    async def _get_updates(self, offset: int | None) -> list[dict[str, Any]]:
        """One long poll: the updates as Telegram sent them. They are parsed by PTB once, when
        handled from the database (``Bot.get_updates`` would parse each into an Update only for
        it to be turned back into JSON to keep). The parameters go in the query string, one of
        the Bot API's documented ways."""
        c = self.config
        params: dict[str, Any] = {
            "timeout": c.poll_timeout,
            "allowed_updates": json.dumps(Update.ALL_TYPES),
        }
        if offset is not None:
            params["offset"] = offset
        url = f"{self.application.bot.base_url}/getUpdates?{urlencode(params)}"
        result = await self._updates_request.post(
            url, read_timeout=(self._updates_request.read_timeout or 0) + c.poll_timeout
        )
        if not isinstance(result, list) or not all(
            isinstance(u, dict) and isinstance(u.get("update_id"), int) for u in result
        ):
            raise NetworkError("getUpdates answered with something that is not a list of updates")
        return result

    async def _resume_offset(self) -> int | None:
        """Where polling goes on after a restart: past the last update kept, which confirms what
        was kept but not yet confirmed. None (Telegram's oldest first) when nothing was kept
        within the day Telegram keeps updates: past that, update ids may start anew."""
        assert self.inbox is not None  # noqa: S101
        last = await self.inbox.last(TELEGRAM)
        if last is None or self.inbox.clock.now() - last.received_at > KEPT_BY_TELEGRAM:
            return None
        update_id = _update_id(last.body)
        return update_id + 1 if update_id is not None else None

    def _serve(self, listen: str, port: int, path: str) -> None:
        """The webhook, served in this process's event loop (tornado, as for WhatsApp)."""
        route = "/" + re.escape(path) + "/?" if path else "/"
        app = tornado.web.Application([(route, _Webhook, {"front": self})])
        self._server = tornado.httpserver.HTTPServer(app, xheaders=True)
        sockets = tornado.netutil.bind_sockets(port, listen, family=socket.AF_INET)
        self.port = sockets[0].getsockname()[1]
        self._server.add_sockets(sockets)

    def genuine(self, secret: str | None) -> bool:
        """Whether a webhook request carries the secret given to setWebhook (constant time)."""
        if secret is None or not self._secret:
            return False
        return hmac.compare_digest(secret.encode(), self._secret)

    async def received(self, body: bytes) -> None:
        """Keep a webhook's update; it is handled from the database after the 200."""
        assert self.inbox is not None  # noqa: S101 - attached before the server starts
        self._fresh.extend(await self.inbox.keep_all(TELEGRAM, [body]))
        self._wake.set()

    async def _work(self) -> None:
        """Handle the kept updates in the order they were kept, what a restart found first.

        What is unhandled is read from the database at the start (and after a failure) until
        none is left; after that the worker takes what was just kept from memory, as it was
        kept, without reading it back. One both read there and remembered (kept while the
        database was being read) is skipped the second time by its update_id, as a copy from
        Telegram is."""
        assert self.inbox is not None  # noqa: S101
        first = from_database = True
        forget_at = 0.0
        while not self._stopping:
            self._wake.clear()
            try:
                if time.monotonic() >= forget_at:
                    await self.inbox.forget(TELEGRAM, KEYS_KEPT_FOR)
                    forget_at = time.monotonic() + FORGET_EVERY
                if from_database:
                    kept = await self.inbox.unhandled(TELEGRAM)
                    from_database = bool(kept)  # until the database has none left
                    if first and kept:
                        log.info("handling the updates kept before the restart")
                    first = False
                else:
                    kept = list(self._fresh)
                    self._fresh.clear()
                for body in kept:
                    if self._stopping:
                        return
                    await self._handle_kept(body)
            except Exception:
                log.exception("handling kept Telegram updates failed; trying again")
                from_database = True
                await asyncio.sleep(1.0)
                continue
            if kept:
                continue  # there may be more
            self._caught_up.set()
            self._idle.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=5.0)

    async def _handle_kept(self, body: InboundBody) -> None:
        """One kept update through PTB's handlers, unless its update_id was handled already (a
        copy Telegram handed out again); marked handled with its key in one transaction. One that
        fails is logged and marked too, so it cannot stop the ones after it."""
        assert self.inbox is not None  # noqa: S101
        key: str | None = None
        try:
            update = Update.de_json(_lean(json.loads(body.body)), self.application.bot)
            key = str(update.update_id)
            if await self.inbox.seen(TELEGRAM, key):
                log.info("update %s came again; it was handled already", key)
            else:
                await self.application.process_update(update)
        except Exception:
            log.exception("a Telegram update (inbound #%s) could not be handled", body.id)
        await self.inbox.done(body, key)

    # --- handlers --------------------------------------------------------------------------------

    async def _on_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        answer: Answer | None = None
        try:
            message = query.message
            chat = (
                chat_of(message.chat)
                if message is not None
                else Chat(channel=TELEGRAM, id=str(query.from_user.id))
            )
            event = Press(
                person=person_of(query.from_user),
                chat=chat,
                token=query.data or "",
                message_ref=str(message.message_id) if message is not None else None,
            )
            answer = await self.handle(event)
        except Exception:
            log.exception("handling a button press failed")
            answer = Answer(PRESS_FAILED, alert=True)
        finally:
            # Every press is answered, whatever happened, so the phone stops its spinner.
            answer = answer or Answer()
            try:
                await query.answer(text=answer.text, show_alert=answer.alert)
            except Exception:  # an expired query must not break the handler
                log.warning("could not answer a callback query", exc_info=True)

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.from_user is None:
            return
        parsed = command_of(message, self.username)
        if parsed is None:
            return
        name, args = parsed
        await self.handle(Command(person_of(message.from_user), chat_of(message.chat), name, args))

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.from_user is None or message.text is None:
            return
        await self.handle(
            Text(
                person_of(message.from_user),
                chat_of(message.chat),
                message.text,
                replied_to(message),
            )
        )

    async def _on_file(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.from_user is None:
            return
        ref = file_of(message)
        if ref is None:
            return
        if message.chat.type == TgChat.PRIVATE:
            ref = await self._with_bytes(ref)
        await self.handle(
            FileIn(
                person_of(message.from_user),
                chat_of(message.chat),
                ref,
                message.caption,
                replied_to(message),
            )
        )

    async def _with_bytes(self, ref: FileRef) -> FileRef:
        """A file sent privately is fetched at once, so the bot keeps it for any channel; one
        Telegram will not hand to bots (over 20 MB) keeps only its reference."""
        try:
            data = await self._channel.fetch(ref.ref)
        except Exception:
            log.warning(
                "could not fetch a file from Telegram; keeping its reference", exc_info=True
            )
            return ref
        return replace(ref, data=data, size=len(data))

    async def _on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, voice notes, locations...: answered like a text the bot cannot use."""
        message = update.effective_message
        if message is None or message.from_user is None:
            return
        await self.handle(Text(person_of(message.from_user), chat_of(message.chat), ""))

    async def _on_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        if change is None or change.chat.type == TgChat.PRIVATE:
            return
        joined = change.new_chat_member.status in (
            ChatMemberStatus.MEMBER,
            ChatMemberStatus.ADMINISTRATOR,
        )
        was_out = change.old_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
        if joined and was_out:
            await self.handle(AddedToGroup(person_of(change.from_user), chat_of(change.chat)))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("update handling failed", exc_info=context.error)


class _Webhook(tornado.web.RequestHandler):
    """POST: an update from Telegram, kept before it is acknowledged. One without the secret
    given to setWebhook is refused with 403 and logged without its body."""

    front: TelegramFrontend

    def initialize(self, front: TelegramFrontend) -> None:
        self.front = front

    async def post(self) -> None:
        body = self.request.body
        if not self.front.genuine(self.request.headers.get(SECRET_HEADER)):
            log.warning(
                "refused a Telegram webhook request without the right secret (%d bytes, from %s)",
                len(body),
                self.request.remote_ip,
            )
            self.set_status(403)
            return
        if _update_id(body) is None:
            log.warning(
                "refused a Telegram webhook request that is no update (%d bytes)", len(body)
            )
            self.set_status(400)
            return
        await self.front.received(body)


def _lean(data: Any) -> Any:
    """An update as the handlers read it. A press's message is cut to where it is (its id, date
    and chat): its text, entities and buttons would be parsed into PTB objects for nothing, and
    that was a tenth of a press's time."""
    query = data.get("callback_query") if isinstance(data, dict) else None
    if isinstance(query, dict) and isinstance(message := query.get("message"), dict):
        query["message"] = {k: message[k] for k in ("message_id", "date", "chat") if k in message}
    return data


def _update_id(body: bytes) -> int | None:
    """The update_id of a stored or received update; None when the body is not an update."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    update_id = data.get("update_id") if isinstance(data, dict) else None
    return update_id if isinstance(update_id, int) else None


def _webhook_path(url: str) -> str:
    """The path served: the webhook URL's last segment (a reverse proxy maps the rest)."""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
