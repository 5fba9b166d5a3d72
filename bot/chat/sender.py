"""The sender: delivers the outbox through the channel each message names, in order within each
chat.

Only the first pending message of a chat is ever in flight, so order holds within a chat while
chats proceed side by side. A transient failure (network, server error, rate limit) is retried
with backoff for as long as it takes, so a channel's outage delays messages but loses none; a
message still pending when the bot dies goes out after it starts again. A permanent refusal (the
person blocked the bot, the chat is gone) marks the message failed and tells the admins.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.chat import notify
from bot.chat.channel import (
    Channel,
    GenerationFailed,
    PermanentFailure,
    RetryLater,
    TemporaryFailure,
)
from bot.chat.messages import Attachment, OutMessage
from bot.clock import Clock
from bot.words.notices import undeliverable
from storage.db import Database
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)


Generator = Callable[[Mapping[str, Any]], Awaitable[Attachment]]


class Sender:
    def __init__(
        self,
        db: Database,
        channels: Mapping[str, Channel],
        clock: Clock,
        *,
        generators: Mapping[str, Generator] | None = None,
        concurrency: int = 8,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        idle_poll: float = 30.0,
    ) -> None:
        self.db = db
        # A message for a channel this deployment does not run waits in the outbox for it.
        self.channels = dict(channels)
        self.clock = clock
        self.concurrency = concurrency
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.idle_poll = idle_poll
        self.generators = dict(generators or {})
        self._wake = asyncio.Event()
        self._busy: set[tuple[str, str]] = set()
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
            nxt = await tx.outbox.next_due_at(self.channels)
        if nxt is None:
            return self.idle_poll
        seconds = (nxt - self.clock.now()).total_seconds()
        return max(0.05, min(self.idle_poll, seconds))

    async def pass_once(self) -> int:
        """Start delivering the due head of every chat that is not already in flight."""
        async with self.db.read() as tx:
            heads = await tx.outbox.due(self.clock.now(), self.channels, limit=200)
        started = 0
        for item in heads:
            if item.chat_id is None or (item.channel, item.chat_id) in self._busy:
                continue
            self._busy.add((item.channel, item.chat_id))
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
        assert item.chat_id is not None  # noqa: S101 - only pending items with a chat are due
        chat = (item.channel, item.chat_id)
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
        channel = self.channels[item.channel]  # due() gives only the channels this sender runs
        if item.kind == "send":
            return await channel.send(chat, message)
        ref = item.payload.get("message_ref")
        if ref is None and item.edit_of is not None:
            async with self.db.read() as tx:
                original = await tx.outbox.get(item.edit_of)
            if original is None or original.state == "failed":
                raise PermanentFailure("the message to edit was never delivered")
            ref = original.message_ref
        if ref is None:
            raise PermanentFailure("the message to edit has no reference")
        await channel.edit(chat, str(ref), message)
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
            message = undeliverable(name, unmade=unmade)
            # One notice per person a day, whichever zone the admins are in.
            day = int(now.timestamp() // 86400)
            await notify.to_admins(
                tx, message, now, dedupe=f"undeliverable:{item.user_id}:{day}", skip=item.user_id
            )
