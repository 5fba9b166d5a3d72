"""The composition root: the database, the SOP catalogue, the services, the chat channels the
settings enable, the sender and the timers, started and stopped in the right order. Only this
module knows which channels exist; everything else sees the channel port (``bot.chat.channel``).
``sopbot run``, the demo and the tests all use ``SopBot``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from bot.chat.channel import Channel
from bot.chat.dialog import Dialog
from bot.chat.events import Answer, Event
from bot.chat.inbox import Inbox
from bot.chat.replies import Replies
from bot.chat.retention import Retention
from bot.chat.sender import Sender
from bot.clock import Clock, SystemClock, Timers
from bot.documents.files import file_generators
from bot.office.access import Access
from bot.office.admin import Admin
from bot.process.instances import Instances
from bot.process.scheduler import Scheduler
from bot.process.workflow import Workflow
from bot.settings import Settings
from handlers.telegram import TelegramConfig, TelegramFrontend
from sop.loader import Catalog, load_catalog
from storage.db import Database

if TYPE_CHECKING:
    # Imported where WhatsApp is enabled: pywa is a quarter of the start of a Telegram-only bot.
    from handlers.whatsapp import WhatsAppFrontend

log = logging.getLogger(__name__)


class Frontend(Protocol):
    """A chat channel as the bot runs it: its sending side (``channel``), and receiving."""

    name: str

    @property
    def channel(self) -> Channel: ...

    def invite_link(self, token: str) -> str: ...

    def attach(self, inbox: Inbox) -> None: ...

    async def initialize(self) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None:
        """Stop receiving; the channel still sends (the sender finishes what is on its way)."""

    async def close(self) -> None:
        """Close the channel's connections, once the sender has stopped."""


@dataclass
class Options:
    """What a run needs beyond the settings; tests set a fake clock and faster retries."""

    clock: Clock = field(default_factory=SystemClock)
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    poll_timeout: int = 30
    safety_sweep: float = 60.0  # seconds between sweeps that catch a clock jump or a lost wake-up
    retention_check: float = 60.0  # seconds between looks at whether the retention is due


class SopBot:
    def __init__(self, settings: Settings, options: Options | None = None) -> None:
        self.settings = settings
        self.options = options or Options()
        self.clock = self.options.clock
        self.db: Database | None = None
        self.catalog: Catalog | None = None
        self.frontends: dict[str, Frontend] = {}
        self.sender: Sender | None = None
        self.workflow: Workflow | None = None
        self.admin: Admin | None = None
        self.dialog: Dialog | None = None
        self.scheduler: Scheduler | None = None
        self.retention: Retention | None = None
        self.timers = Timers()
        self._tasks: list[asyncio.Task[None]] = []
        self._rearm: asyncio.Task[None] | None = None

    @property
    def front(self) -> TelegramFrontend | None:
        """The Telegram front end, when Telegram is enabled."""
        found = self.frontends.get("telegram")
        return found if isinstance(found, TelegramFrontend) else None

    @property
    def whatsapp(self) -> WhatsAppFrontend | None:
        """The WhatsApp front end, when WhatsApp is enabled."""
        from handlers.whatsapp import WhatsAppFrontend

        found = self.frontends.get("whatsapp")
        return found if isinstance(found, WhatsAppFrontend) else None

    def _wake(self) -> None:
        """Something was committed: deliver it now, and look again at when the next alert is due."""
        if self.sender is not None:
            self.sender.wake()
        if self.scheduler is not None and (self._rearm is None or self._rearm.done()):
            self._rearm = asyncio.create_task(self.scheduler.rearm(), name="rearm")

    def _frontends(self) -> list[Frontend]:
        """The channels these settings enable (Telegram, WhatsApp, or both)."""
        s = self.settings
        found: list[Frontend] = []
        enabled = s.channels()
        if "telegram" in enabled:
            assert s.telegram_api_base_file_url is not None  # noqa: S101 - set by the settings
            config = TelegramConfig(
                token=s.token(),
                base_url=s.telegram_api_base_url,
                base_file_url=s.telegram_api_base_file_url,
                webhook=s.webhook(),
                listen=s.webhook_listen,
                port=s.port,
                poll_timeout=self.options.poll_timeout,
                chat_interval=s.telegram_chat_interval,
            )
            found.append(TelegramFrontend(config, self._handle))
        if "whatsapp" in enabled:
            from handlers.whatsapp import WhatsAppFrontend

            found.append(WhatsAppFrontend(s.whatsapp(), self._handle))
        return found

    async def start(self) -> None:
        """Start everything; if any part fails, stop what was started and re-raise."""
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        s = self.settings
        frontends = self._frontends()
        self.catalog = load_catalog(s.sop_dirs)
        self.db = await Database.open(s.database_path)
        for front in frontends:
            await front.initialize()
            self.frontends[front.name] = front
        channels = {name: f.channel for name, f in self.frontends.items()}
        self.sender = Sender(
            self.db,
            channels,
            self.clock,
            generators=file_generators(self.db, self.catalog, self.clock),
            backoff_base=self.options.backoff_base,
            backoff_max=self.options.backoff_max,
        )
        inbox = Inbox(self.db, self.clock, self.sender, self._wake)
        for front in self.frontends.values():
            front.attach(inbox)
        access = Access(self.catalog)
        instances = Instances(self.catalog, access, always_open=s.working_hours == "24/7")
        self.workflow = Workflow(
            self.db,
            instances,
            self.clock,
            reminder_defaults=s.reminder_defaults(),
            group_channels=[n for n, c in channels.items() if c.limits.groups],
            on_commit=self._wake,
        )
        self.scheduler = Scheduler(
            self.db,
            self.workflow.steps,
            self.clock,
            defaults=s.reminder_defaults(),
            arm=lambda delay: self.timers.alarm(delay, self._sweep),
            on_commit=self.sender.wake,
        )
        self.admin = Admin(
            self.db,
            self.catalog,
            self.clock,
            admins=s.admin_identities(),
            on_commit=self._wake,
        )
        await self.admin.mark_deployment_admins()
        replies = Replies(
            self.db, self.clock, {n: c.limits for n, c in channels.items()}, self._wake
        )
        self.dialog = Dialog(replies, self.workflow, self.admin, invite_links=self._invite_links)
        self._tasks.append(asyncio.create_task(self.sender.run(), name="sender"))
        for front in self.frontends.values():
            await front.start()
        # Alerts due while the bot was down are acted on now; this also arms the next wake-up.
        await self.scheduler.tick()
        self.timers.every(self.options.safety_sweep, self._sweep)
        # Old messages and updates are forgotten a minute after the start, then every hour.
        self.retention = Retention(self.db, self.clock, s.retention())
        self.timers.every(self.options.retention_check, self.retention.tick)

    def _invite_links(self, token: str) -> list[tuple[str, str]]:
        """An invitation opens on any channel the bot runs: (channel label, link) each."""
        labels = {"telegram": "Telegram", "whatsapp": "WhatsApp"}
        return [(labels.get(n, n), f.invite_link(token)) for n, f in self.frontends.items()]

    async def _sweep(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.tick()

    async def _handle(self, event: Event) -> Answer | None:
        assert self.dialog is not None  # noqa: S101 - handlers start after the dialog exists
        return await self.dialog.handle(event)

    async def stop(self) -> None:
        """Stop what runs and close what is open; safe to call twice or after a failed start."""
        frontends, self.frontends = self.frontends, {}
        for front in frontends.values():
            await front.stop()
        await self.timers.close()
        if self._rearm is not None:
            await asyncio.gather(self._rearm, return_exceptions=True)
            self._rearm = None
        sender, self.sender = self.sender, None
        if sender is not None:
            await sender.stop()  # a message on its way finishes through the channel's connection
        for front in frontends.values():
            await front.close()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        db, self.db = self.db, None
        if db is not None:
            await db.close()

    async def run_until_signalled(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        try:
            await stop.wait()
        finally:
            log.info("stopping")
            await self.stop()


async def whatsapp_templates(settings: Settings, *, submit: bool) -> str:
    """``sopbot whatsapp templates``: the templates the bot needs, and (``submit``) what the Cloud
    API said to each when they were submitted for approval."""
    from handlers.whatsapp import WhatsAppFrontend, templates

    text = templates.describe()
    if not submit:
        return text
    front = WhatsAppFrontend(settings.whatsapp(), _no_events)
    try:
        await front.initialize()
        results = await templates.submit(front.wa, settings.whatsapp().business_account_id)
    finally:
        await front.close()
    return text + "\n\n" + "\n".join(f"{name}: {said}" for name, said in results)


async def _no_events(event: Event) -> Answer | None:
    return None
