"""The sender: delivers the outbox through a channel, in order within each chat.

Only the first pending message of a chat is ever in flight, so order holds within a chat while
chats proceed side by side. A transient failure (network, server error, rate limit) is retried
with backoff for as long as it takes, so a Telegram outage delays messages but loses none; a
message still pending when the bot dies goes out after it starts again. A permanent refusal (the
person blocked the bot, the chat is gone) marks the message failed and tells the admins.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any, Protocol

from bot.chat import notify
from bot.chat.messages import Attachment, OutMessage, Rich
from bot.clock import Clock
from storage.db import Database
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """The channel asks to wait (a rate limit) before trying again."""

    def __init__(self, seconds: float, detail: str = "rate limited") -> None:
        super().__init__(detail)
        self.seconds = seconds


class TemporaryFailure(Exception):
    """Worth trying again: the network, a timeout, a server error."""


class PermanentFailure(Exception):
    """Never going to work: the chat is gone, the bot is blocked, the request is refused."""


class GenerationFailed(PermanentFailure):
    """The file a message was to carry could not be made."""


class Channel(Protocol):
    name: str

    async def send(self, chat_id: str, message: OutMessage) -> str:
        """Deliver a message; returns the channel's reference to it (for later edits)."""
        ...

    async def edit(self, chat_id: str, message_ref: str, message: OutMessage) -> None:
        """Replace a delivered message's text and buttons (no change is not an error)."""
        ...


Generator = Callable[[Mapping[str, Any]], Awaitable[Attachment]]


class Sender:
    def __init__(
        self,
        db: Database,
        channel: Channel,
        clock: Clock,
        *,
        generators: Mapping[str, Generator] | None = None,
        concurrency: int = 8,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        idle_poll: float = 30.0,
    ) -> None:
        self.db = db
        self.channel = channel
        self.clock = clock
        self.concurrency = concurrency
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.idle_poll = idle_poll
        self.generators = dict(generators or {})
        self._wake = asyncio.Event()
        self._busy: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(concurrency)
        self._stopping = False
        self.delivered = 0
        self.retried = 0

    def wake(self) -> None:
        """Something was committed to the outbox: look now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver until stopped."""
        while not self._stopping:
            self._wake.clear()
            started = await self.pass_once()
            if started == 0:
                idle = await self._idle_wait()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=idle)

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _idle_wait(self) -> float:
        async with self.db.read() as tx:
            nxt = await tx.outbox.next_due_at()
        if nxt is None:
            return self.idle_poll
        seconds = (nxt - self.clock.now()).total_seconds()
        return max(0.05, min(self.idle_poll, seconds))

    async def pass_once(self) -> int:
        """Start delivering the due head of every chat that is not already in flight."""
        async with self.db.read() as tx:
            heads = await tx.outbox.due(self.clock.now(), limit=200)
        started = 0
        for item in heads:
            chat = item.chat_id
            if chat is None or chat in self._busy:
                continue
            self._busy.add(chat)
            task = asyncio.create_task(self._deliver(item), name=f"deliver-{item.id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            started += 1
        return started

    async def drain(self) -> None:
        """Deliver everything due now and wait for it (for the demo and tests; wrap it in
        ``asyncio.timeout`` to bound the wait)."""
        while True:
            started = await self.pass_once()
            if self._tasks:
                await asyncio.wait(list(self._tasks))
                continue
            if started == 0:
                return

    async def _deliver(self, item: OutboxItem) -> None:
        chat = item.chat_id
        assert chat is not None  # noqa: S101 - only pending items with a chat are due
        attempt = 0
        try:
            async with self._slots:
                while not self._stopping:
                    try:
                        ref = await self._send(item)
                    except RetryLater as exc:
                        attempt += 1
                        self.retried += 1
                        await self._record_retry(item, str(exc))
                        await asyncio.sleep(max(exc.seconds, 0.05))
                        continue
                    except TemporaryFailure as exc:
                        attempt += 1
                        self.retried += 1
                        await self._record_retry(item, str(exc))
                        await asyncio.sleep(self._backoff(attempt))
                        continue
                    except PermanentFailure as exc:
                        await self._fail(item, str(exc), unmade=isinstance(exc, GenerationFailed))
                        return
                    async with self.db.transaction() as tx:
                        await tx.outbox.mark_sent(item.id, ref, self.clock.now())
                    self.delivered += 1
                    return
        finally:
            self._busy.discard(chat)
            self._wake.set()

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** min(attempt - 1, 16))
        return float(ceiling * (0.5 + random.random() / 2))  # noqa: S311 - jitter, not security

    async def _record_retry(self, item: OutboxItem, error: str) -> None:
        log.warning("delivery of outbox #%s to be retried: %s", item.id, error)
        async with self.db.transaction() as tx:
            await tx.outbox.reschedule(item.id, self.clock.now(), error)

    async def _generated(self, message: OutMessage) -> OutMessage:
        spec = message.generate
        if spec is None or message.attachment is not None:
            return message
        make = self.generators.get(str(spec.get("kind")))
        if make is None:
            raise PermanentFailure(f"no generator for {spec.get('kind')!r}")
        try:
            message.attachment = await make(spec)
        except Exception as exc:
            log.exception("generating %s failed", spec)
            raise GenerationFailed(f"generating {spec.get('kind')} failed: {exc}") from exc
        return message

    async def _send(self, item: OutboxItem) -> str | None:
        message = await self._generated(OutMessage.from_payload(item.payload))
        chat = item.chat_id
        assert chat is not None  # noqa: S101
        if item.kind == "send":
            return await self.channel.send(chat, message)
        ref = item.payload.get("message_ref")
        if ref is None and item.edit_of is not None:
            async with self.db.read() as tx:
                original = await tx.outbox.get(item.edit_of)
            if original is None or original.state == "failed":
                raise PermanentFailure("the message to edit was never delivered")
            ref = original.message_ref
        if ref is None:
            raise PermanentFailure("the message to edit has no reference")
        await self.channel.edit(chat, str(ref), message)
        return str(ref)

    async def _fail(self, item: OutboxItem, error: str, *, unmade: bool = False) -> None:
        log.error("delivery of outbox #%s failed for good: %s", item.id, error)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            await tx.outbox.mark_failed(item.id, error)
            if item.user_id is None or item.kind != "send":
                return
            user = await tx.offices.user(item.user_id)
            name = user.name if user else f"pengguna #{item.user_id}"
            if unmade:
                body = (
                    f"Berkas untuk {name} gagal dibuat, jadi pesannya tidak dikirim. Kesalahannya "
                    "tercatat di log bot; prosesnya sendiri tidak terpengaruh."
                )
            else:
                body = (
                    f"Pesan bot untuk {name} tidak dapat dikirim (mungkin bot diblokir atau belum "
                    "dimulai). Minta yang bersangkutan membuka bot dan menekan Mulai; langkahnya "
                    "tetap tercatat dan dapat dibuka lagi lewat /tugas."
                )
            text = Rich().b("Pesan tidak terkirim").nl().add(body)
            day = (now + timedelta(hours=7)).date().isoformat()
            for admin in await tx.offices.admins():
                if admin.id == item.user_id:
                    continue
                key = f"undeliverable:{item.user_id}:{day}:{admin.id}"
                await notify.to_user(tx, admin, OutMessage(text), now, dedupe_key=key)
