"""Wiring: the database, the SOP catalogue, the services, the sender and the Telegram front end,
started and stopped in the right order. ``sopbot run`` and the tests both use ``SopBot``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass, field

from bot.chat.dialog import Dialog
from bot.chat.events import Answer, Event
from bot.chat.sender import Sender
from bot.clock import Clock, SystemClock
from bot.documents.files import file_generators
from bot.office.admin import Admin
from bot.process.scheduler import Scheduler
from bot.process.workflow import Workflow
from bot.settings import Settings
from handlers.telegram.frontend import Endpoint, TelegramFrontend
from sop.loader import Catalog, load_catalog
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class Options:
    """What a run needs beyond the settings; tests set a fake clock and faster retries."""

    clock: Clock = field(default_factory=SystemClock)
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    poll_timeout: int = 30
    safety_sweep: float = 60.0  # seconds between sweeps that catch a clock jump or a lost wake-up


class SopBot:
    def __init__(self, settings: Settings, options: Options | None = None) -> None:
        self.settings = settings
        self.options = options or Options()
        self.clock = self.options.clock
        self.db: Database | None = None
        self.catalog: Catalog | None = None
        self.front: TelegramFrontend | None = None
        self.sender: Sender | None = None
        self.workflow: Workflow | None = None
        self.admin: Admin | None = None
        self.dialog: Dialog | None = None
        self.scheduler: Scheduler | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._rearm: asyncio.Task[None] | None = None

    def _wake(self) -> None:
        """Something was committed: deliver it now, and look again at when the next alert is due."""
        if self.sender is not None:
            self.sender.wake()
        if self.scheduler is not None and (self._rearm is None or self._rearm.done()):
            self._rearm = asyncio.create_task(self.scheduler.rearm(), name="rearm")

    async def start(self) -> None:
        """Start everything; if any part fails, stop what was started and re-raise."""
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        s = self.settings
        token = s.token()
        self.catalog = load_catalog(s.sop_dirs)
        self.db = await Database.open(s.database_path)
        assert s.telegram_api_base_file_url is not None  # noqa: S101 - set by the settings model
        self.front = TelegramFrontend(
            Endpoint(token, s.telegram_api_base_url, s.telegram_api_base_file_url), self._handle
        )
        await self.front.initialize()
        self.sender = Sender(
            self.db,
            self.front.channel,
            self.clock,
            generators=file_generators(self.db, self.catalog, self.clock),
            backoff_base=self.options.backoff_base,
            backoff_max=self.options.backoff_max,
        )
        self.workflow = Workflow(
            self.db,
            self.catalog,
            self.clock,
            always_open=s.working_hours == "24/7",
            reminder_defaults=s.reminder_defaults(),
            on_commit=self._wake,
        )
        front = self.front
        self.scheduler = Scheduler(
            self.db,
            self.workflow,
            self.clock,
            defaults=s.reminder_defaults(),
            arm=lambda delay: front.wake_after(delay, self._sweep),
            on_commit=self.sender.wake,
        )
        self.admin = Admin(
            self.db,
            self.catalog,
            self.clock,
            admin_ids=frozenset(s.admin_telegram_ids),
            on_commit=self._wake,
        )
        self.dialog = Dialog(
            self.db,
            self.clock,
            self.workflow,
            self.admin,
            invite_link=self.front.invite_link,
            on_commit=self._wake,
        )
        await self.front.set_commands()
        self._tasks.append(asyncio.create_task(self.sender.run(), name="sender"))
        webhook = s.webhook()
        if webhook is None:
            await self.front.start_polling(poll_timeout=self.options.poll_timeout)
            log.info("bot @%s started (long polling)", self.front.username)
        else:
            url, secret = webhook
            await self.front.start_webhook(
                listen=s.webhook_listen, port=s.port, url=url, secret=secret
            )
            log.info(
                "bot @%s started (webhook on %s:%s)", self.front.username, s.webhook_listen, s.port
            )
        # Alerts due while the bot was down are acted on now; this also arms the next wake-up.
        await self.scheduler.tick()
        self.front.every(self.options.safety_sweep, self._sweep, "sopbot-safety-sweep")

    async def _sweep(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.tick()

    async def _handle(self, event: Event) -> Answer | None:
        assert self.dialog is not None  # noqa: S101 - handlers start after the dialog exists
        return await self.dialog.handle(event)

    async def stop(self) -> None:
        """Stop what runs and close what is open; safe to call twice or after a failed start."""
        front, self.front = self.front, None
        if front is not None:
            await front.stop()
        if self._rearm is not None:
            await asyncio.gather(self._rearm, return_exceptions=True)
            self._rearm = None
        sender, self.sender = self.sender, None
        if sender is not None:
            await sender.stop()
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
