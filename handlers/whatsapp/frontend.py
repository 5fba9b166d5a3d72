"""The WhatsApp front end: the Cloud API's webhook served in the bot's own process and event loop
(tornado, which python-telegram-bot's webhooks already bring), pywa's async client, and the
conversion of what people send (texts, documents, photos, button and list choices, template quick
replies) into the bot's events.

A webhook is answered only after its body is stored (``bot.chat.inbox``); it is handled from the
database, in order, each event once by its id, so a crash right after the 200 or a delivery Meta
repeats loses nothing and acts once. Every POST's ``X-Hub-Signature-256`` is checked against the
app secret in constant time (pywa's validator); one without a valid signature is refused with 401
and logged without its body. The subscription handshake answers ``hub.challenge`` only to the
verify token.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import httpx
import tornado.httpserver
import tornado.netutil
import tornado.web
from pywa import errors as wa_errors
from pywa.types.message_status import MessageStatusType
from pywa_async.client import WhatsApp
from pywa_async.handlers import (
    CallbackButtonHandler,
    CallbackSelectionHandler,
    MessageHandler,
    MessageStatusHandler,
)
from pywa_async.types.callback import CallbackButton, CallbackSelection
from pywa_async.types.message import Message
from pywa_async.types.message_status import MessageStatus

from bot.chat.channel import ChannelError
from bot.chat.events import Answer, Chat, Event, FileIn, FileRef, Person, Press, Text
from bot.chat.inbox import Inbox
from bot.settings import ConfigError, WhatsAppSettings
from handlers.whatsapp.channel import RE_ENGAGEMENT, WHATSAPP, WhatsAppChannel, whatsapp_limits
from handlers.whatsapp.transport import GraphAddress

log = logging.getLogger(__name__)

Handle = Callable[[Event], Awaitable[Answer | None]]


class WhatsAppFrontend:
    name = WHATSAPP

    def __init__(self, settings: WhatsAppSettings, handle: Handle) -> None:
        self.settings = settings
        self.handle = handle
        self.inbox: Inbox | None = None
        self.business_number = ""
        self._session = httpx.AsyncClient(
            transport=GraphAddress(settings.api_base_url), timeout=30.0
        )
        self.wa = WhatsApp(
            phone_id=settings.phone_number_id,
            token=settings.access_token,
            session=self._session,
            server=None,
            verify_token=settings.verify_token,
            app_secret=settings.app_secret,
            waba_id=settings.business_account_id,
            api_version=float(settings.api_version),
            webhook_endpoint=settings.path,
            validate_updates=True,
            filter_updates=True,
        )
        self.wa.add_handlers(
            MessageHandler(self._on_message),  # type: ignore[arg-type]
            CallbackButtonHandler(self._on_button),  # type: ignore[arg-type]
            CallbackSelectionHandler(self._on_selection),  # type: ignore[arg-type]
            MessageStatusHandler(self._on_status),  # type: ignore[arg-type]
        )
        self._channel = WhatsAppChannel(
            self.wa, whatsapp_limits(settings.pair_interval, settings.throughput)
        )
        self._server: tornado.httpserver.HTTPServer | None = None
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._stopping = False
        self.port = settings.port

    @property
    def channel(self) -> WhatsAppChannel:
        return self._channel

    def attach(self, inbox: Inbox) -> None:
        """The bot's inbox, where webhooks are kept before they are acknowledged."""
        self.inbox = inbox

    def invite_link(self, token: str) -> str:
        """A wa.me link that opens a chat with the business number, the invitation written in."""
        return f"https://wa.me/{self.business_number}?text={quote('start ' + token)}"

    async def initialize(self) -> None:
        """Check the access token and learn the business number (for wa.me links). A token
        the Cloud API refuses stops the start with one line that says what to do."""
        try:
            number = await self.wa.get_business_phone_number()
        except wa_errors.AuthorizationError:
            await self._session.aclose()
            raise ConfigError(
                "WhatsApp menolak WHATSAPP_ACCESS_TOKEN (salah, kedaluwarsa, atau tidak berhak atas "
                "WHATSAPP_PHONE_NUMBER_ID). Buat token baru di Meta for Developers dan salin ke .env."
            ) from None
        except (wa_errors.WhatsAppError, httpx.HTTPError) as exc:
            await self._session.aclose()
            raise ConfigError(
                f"WhatsApp Cloud API di {self.settings.api_base_url} tidak dapat dihubungi atau "
                f"menolak WHATSAPP_PHONE_NUMBER_ID ({type(exc).__name__}). Periksa jaringan dan "
                "pengaturan WHATSAPP_ di .env."
            ) from None
        shown = number.display_phone_number or ""
        self.business_number = "".join(ch for ch in shown if ch.isdigit())

    async def start(self) -> None:
        """Serve the webhook, and handle what was kept before (a restart picks up there)."""
        app = tornado.web.Application([(self.settings.path, _Webhook, {"front": self})])
        self._server = tornado.httpserver.HTTPServer(app, xheaders=True)
        sockets = tornado.netutil.bind_sockets(
            self.settings.port, self.settings.listen, family=socket.AF_INET
        )
        self.port = sockets[0].getsockname()[1]
        self._server.add_sockets(sockets)
        self._worker = asyncio.create_task(self._work(), name="whatsapp-inbox")
        log.info(
            "WhatsApp %s started (webhook on %s:%s%s)",
            self.business_number,
            self.settings.listen,
            self.port,
            self.settings.path,
        )

    async def stop(self) -> None:
        """Stop receiving; sending goes on until ``close``."""
        self._stopping = True
        self._wake.set()
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker

    async def close(self) -> None:
        """Close the connections to the Cloud API (after the sender stopped)."""
        await self._session.aclose()

    # --- receiving -------------------------------------------------------------------------------

    def verify(self, token: str) -> bool:
        return hmac.compare_digest(token.encode(), self.settings.verify_token.encode())

    async def signed(self, body: bytes, signature: str | None) -> bool:
        return await self.wa.webhook_update_validator(body, signature) is None

    async def received(self, body: bytes) -> None:
        """Keep a webhook's body; it is handled from the database after the 200."""
        assert self.inbox is not None  # noqa: S101 - attached before the server starts
        await self.inbox.keep(WHATSAPP, body)
        self._wake.set()

    async def _work(self) -> None:
        assert self.inbox is not None  # noqa: S101
        while not self._stopping:
            self._wake.clear()
            for body in await self.inbox.unhandled(WHATSAPP):
                try:
                    await self.wa.webhook_update_handler(body.body)
                except Exception:
                    log.exception("a WhatsApp webhook (inbound #%s) failed to be handled", body.id)
                await self.inbox.done(body)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=5.0)

    async def _once(self, key: str, act: Callable[[], Awaitable[None]]) -> None:
        """Handle an event unless it was handled before (Meta may deliver it twice)."""
        assert self.inbox is not None  # noqa: S101
        if await self.inbox.seen(WHATSAPP, key):
            return
        try:
            await act()
        except Exception:
            log.exception("handling a WhatsApp event failed")
        await self.inbox.handled(WHATSAPP, key)

    async def _from(
        self, update: Message | CallbackButton[Any] | CallbackSelection[Any]
    ) -> tuple[Person, Chat]:
        user = update.from_user
        number = user.wa_id or user.bsuid or ""
        assert self.inbox is not None  # noqa: S101
        await self.inbox.heard(WHATSAPP, number, user.bsuid)
        person = Person(WHATSAPP, number, user.name or number)
        return person, Chat(WHATSAPP, number)

    async def _on_message(self, client: WhatsApp, msg: Message) -> None:
        async def act() -> None:
            person, chat = await self._from(msg)
            file = await self._file(msg)
            # A swipe-reply names the message answered: the bot's question, or a step's message.
            reply_to = msg.reply_to_message.id if msg.reply_to_message is not None else None
            if file is not None:
                await self.handle(FileIn(person, chat, file, msg.caption, reply_to))
            else:
                await self.handle(Text(person, chat, msg.text or "", reply_to))

        await self._once(msg.id, act)

    async def _file(self, msg: Message) -> FileRef | None:
        """A document or photo, downloaded at once (its URL lives minutes, its id days)."""
        media = msg.document or msg.image
        if media is None:
            return None
        is_photo = msg.image is not None
        name = getattr(media, "filename", None) or ("foto.jpg" if is_photo else "berkas")
        try:
            data: bytes | None = await self._channel.fetch(media.id)
        except Exception:
            log.warning("could not download a WhatsApp file; keeping its media id", exc_info=True)
            data = None
        return FileRef(
            ref=media.id,
            name=name,
            mime_type=media.mime_type,
            is_photo=is_photo,
            size=len(data) if data is not None else None,
            data=data,
        )

    async def _on_button(self, client: WhatsApp, button: CallbackButton[Any]) -> None:
        async def act() -> None:
            person, chat = await self._from(button)
            await self.handle(Press(person, chat, str(button.data)))

        await self._once(button.id, act)

    async def _on_selection(self, client: WhatsApp, selection: CallbackSelection[Any]) -> None:
        async def act() -> None:
            person, chat = await self._from(selection)
            await self.handle(Press(person, chat, str(selection.data)))

        await self._once(selection.id, act)

    async def _on_status(self, client: WhatsApp, status: MessageStatus[Any]) -> None:
        async def act() -> None:
            assert self.inbox is not None  # noqa: S101
            error = None
            if status.status == MessageStatusType.FAILED:
                e = status.error
                code = e.code if e is not None else None
                detail = f"{code}: {e.message}" if e is not None else "failed"
                error = ChannelError(code, detail, window=code == RE_ENGAGEMENT)
            await self.inbox.status(WHATSAPP, status.id, str(status.status.value), error)

        await self._once(f"{status.id}:{status.status.value}", act)


class _Webhook(tornado.web.RequestHandler):
    """GET: the subscription handshake. POST: an update, kept before it is acknowledged."""

    front: WhatsAppFrontend

    def initialize(self, front: WhatsAppFrontend) -> None:
        self.front = front

    def get(self) -> None:
        mode = self.get_query_argument("hub.mode", "")
        token = self.get_query_argument("hub.verify_token", "")
        challenge = self.get_query_argument("hub.challenge", "")
        if mode == "subscribe" and challenge and self.front.verify(token):
            self.write(challenge)
            return
        log.warning("refused a WhatsApp webhook handshake with a wrong verify token")
        self.set_status(403)

    async def post(self) -> None:
        body = self.request.body
        if not await self.front.signed(body, self.request.headers.get("X-Hub-Signature-256")):
            log.warning(
                "refused a WhatsApp webhook without a valid signature (%d bytes, from %s)",
                len(body),
                self.request.remote_ip,
            )
            self.set_status(401)
            return
        await self.front.received(body)
        self.write("ok")
