"""The Telegram front end: python-telegram-bot's Application, its handlers (which turn updates into
``bot.chat.events`` and hand them to the dialog), the command menu made from the bot's command
table, and polling or webhook."""

from __future__ import annotations

import logging
import os

# PTB's documented opt-in: time periods such as RetryAfter.retry_after come as timedelta (the
# coming default) instead of int with a deprecation warning. Set before telegram is imported.
os.environ.setdefault("PTB_TIMEDELTA", "1")
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

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
from telegram.error import InvalidToken, NetworkError
from telegram.ext import (
    AIORateLimiter,
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
from bot.chat.inbox import Inbox
from bot.settings import ConfigError
from bot.words.chat import PRESS_FAILED
from handlers.telegram.channel import TelegramChannel

log = logging.getLogger(__name__)

TELEGRAM = "telegram"

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
    """Owns the PTB Application. ``handle`` is the dialog's entry point."""

    name = TELEGRAM

    def __init__(self, config: TelegramConfig, handle: Handle) -> None:
        self.config = config
        self.handle = handle
        self.base_url = config.base_url
        self.application: Application = (  # type: ignore[type-arg]
            ApplicationBuilder()
            .token(config.token)
            .base_url(config.base_url)
            .base_file_url(config.base_file_url)
            # PTB waits out a flood-limit answer (429 retry_after) itself a few times; what still
            # fails reaches the sender, which waits and tries again without dropping the message.
            .rate_limiter(AIORateLimiter(max_retries=3))
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
        self._channel = TelegramChannel(app.bot)

    @property
    def channel(self) -> TelegramChannel:
        return self._channel

    @property
    def username(self) -> str:
        return str(self.application.bot.username)

    def attach(self, inbox: Inbox) -> None:
        """Telegram's updates are handled as python-telegram-bot delivers them."""

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
        """Offer the command menu, then receive updates: long polling, or the webhook."""
        await self._set_commands()
        await self.application.start()
        updater = self.application.updater
        assert updater is not None  # noqa: S101 - built with an updater
        c = self.config
        if c.webhook is None:
            await updater.start_polling(
                poll_interval=0.0, timeout=c.poll_timeout, allowed_updates=Update.ALL_TYPES
            )
            log.info("bot @%s started (long polling)", self.username)
            return
        url, secret = c.webhook
        path = url.rstrip("/").rsplit("/", 1)[-1] if url.count("/") > 2 else ""
        await updater.start_webhook(
            listen=c.listen,
            port=c.port,
            url_path=path,
            webhook_url=url,
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
        )
        log.info("bot @%s started (webhook on %s:%s)", self.username, c.listen, c.port)

    async def _set_commands(self) -> None:
        bot = self.application.bot
        for where, scope in (
            (Where.PRIVATE, BotCommandScopeAllPrivateChats()),
            (Where.GROUP, BotCommandScopeAllGroupChats()),
        ):
            await bot.set_my_commands([BotCommand(c, d) for c, d in menu(where)], scope=scope)

    async def stop(self) -> None:
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

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
        await self.handle(Text(person_of(message.from_user), chat_of(message.chat), message.text))

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
            FileIn(person_of(message.from_user), chat_of(message.chat), ref, message.caption)
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
