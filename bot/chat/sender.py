"""The sender: delivers the outbox through the channel each message names, in order within each
chat, paced to each channel's limits.

Each chat with messages due has one worker, which delivers the chat's messages one after another
(so order holds within a chat while chats proceed side by side), reading the chat's next message
by the index of pending messages by chat once one is done; the whole queue is read only when
something new was committed, to find the chats that have no worker yet. Of the chats found at one
look, those whose message asks someone to act (a new message with buttons: the next step after a
press) are taken up first, and the others once those were delivered (half a second at most), so
the next actor's step is not slowed by the notes and edits committed with it. Before each message
the worker waits for the pacer (``bot.chat.pacing``): nothing goes faster than the channel allows,
and when many chats wait the one served least recently goes first. A transient failure (network,
server error, rate limit) holds back only its chat and is retried for as long as it takes, so a
channel's outage delays messages but loses none; a message still pending when the bot dies goes
out after it starts again. A permanent refusal (the person blocked the bot, the chat is gone)
marks the message failed and tells the admins.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.chat import notify
from bot.chat.channel import (
    Channel,
    ChannelError,
    ChannelLimits,
    Delivery,
    GenerationFailed,
    PermanentFailure,
    RetryLater,
    ShortFormMissing,
    TemporaryFailure,
    WaitForPerson,
)
from bot.chat.messages import Attachment, Button, OutMessage
from bot.chat.pacing import Pacer
from bot.clock import Clock
from bot.words.notices import nudge, short_form_missing, undeliverable
from bot.words.short_forms import OPEN
from storage.db import Database
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)


Generator = Callable[[Mapping[str, Any]], Awaitable[Attachment]]
ChatKey = tuple[str, str]  # (channel, chat)

# The status of a message refused because the person's window for free messages was closed.
OUTSIDE_WINDOW = "window"
# A person who wrote this recently is answering: the bot's replies to them are not paced.
ANSWERING = timedelta(minutes=2)
# How long a message waits before trying a missing short form (a template) again.
SHORT_FORM_RETRY = timedelta(hours=1)


# The sweep's messages (``bot.process.scheduler``'s deduplication keys): a burst of them gives way
# to any other message at the pacer.
BULK_KEYS = frozenset({"remind", "escalate"})


def is_urgent(item: OutboxItem) -> bool:
    """Whether a message asks someone to act (a new message with buttons: a step, a question):
    those of a look at the queue leave before the other chats' messages are taken up."""
    return item.kind == "send" and bool(item.payload.get("buttons")) and not is_bulk(item)


# How long a message on its way when the bot stops may take to finish (seconds): finished, it is
# recorded as sent and not sent again at the next start.
STOP_GRACE = 5.0

# How long the other chats' messages wait at most for the urgent ones of the same look at the
# queue (seconds): a slow channel must not hold them back.
URGENT_FIRST = 0.5


class Gate:
    """Opens when every urgent message it expects was delivered (or given up on for now)."""

    def __init__(self) -> None:
        self._expected = 0
        self._open = asyncio.Event()

    def expect(self) -> None:
        self._expected += 1

    def passed_one(self) -> None:
        self._expected -= 1
        if self._expected <= 0:
            self._open.set()

    async def passed(self, at_most: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._open.wait(), at_most)


def is_bulk(item: OutboxItem) -> bool:
    """Whether a message is one of a burst the sweep queued (a reminder, an escalation)."""
    return item.dedupe_key is not None and item.dedupe_key.partition(":")[0] in BULK_KEYS


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
        max_chats: int = 500,
        pacer: Pacer | None = None,
    ) -> None:
        self.db = db
        # A message for a channel this deployment does not run waits in the outbox for it.
        self.channels = dict(channels)
        self.clock = clock
        self.concurrency = concurrency
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.idle_poll = idle_poll
        self.max_chats = max_chats  # chats delivered to at once; more wait for a worker to end
        self.generators = dict(generators or {})
        self._wake = asyncio.Event()
        self._wakes = 0  # how many times something was committed to the outbox
        self._more = False  # the last look at the queue was cut short: more chats are due
        self._workers: dict[ChatKey, asyncio.Task[None]] = {}
        self._at_pacer: set[asyncio.Task[Any]] = set()  # workers waiting for their turn
        self._slots = asyncio.Semaphore(concurrency)
        self._stopping = False
        self.pacer = pacer or Pacer()
        self.delivered = 0
        self.retried = 0

    def wake(self) -> None:
        """Something was committed to the outbox: look now rather than at the next poll."""
        self._wakes += 1
        self._wake.set()

    async def run(self) -> None:
        """Deliver until stopped."""
        while not self._stopping:
            self._wake.clear()
            await self.pass_once()
            idle = await self._idle_wait()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=idle)

    async def stop(self) -> None:
        """Stop delivering: what waits for its turn stays in the outbox for the next start; a
        message on its way is given ``STOP_GRACE`` to finish."""
        self._stopping = True
        self._wake.set()
        for task in self._at_pacer:
            task.cancel()
        workers = list(self._workers.values())
        if workers:
            _, unfinished = await asyncio.wait(workers, timeout=STOP_GRACE)
            for task in unfinished:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def _idle_wait(self) -> float:
        """Until the next message falls due that no worker will find by itself (one waiting
        for a retry at a chat with no worker), or the poll."""
        now = self.clock.now()
        async with self.db.read() as tx:
            nxt = await tx.outbox.next_due_at(self.channels, after=now)
        if nxt is None:
            return self.idle_poll
        seconds = (nxt - now).total_seconds()
        return max(0.05, min(self.idle_poll, seconds))

    async def pass_once(self) -> int:
        """Start a worker for every chat with a message due that has none. Returns how many."""
        room = self.max_chats - len(self._workers)
        if room <= 0:
            self._more = True
            return 0
        # The heads of chats with a worker come back too: ask for enough to fill the room.
        limit = len(self._workers) + room
        async with self.db.read() as tx:
            heads = await tx.outbox.due(self.clock.now(), self.channels, limit=limit)
        # No await from here on: a worker that ends meanwhile cannot leave a chat unattended.
        self._more = len(heads) == limit
        # Messages that ask someone to act first: after a press the next actor's step leaves
        # before the notes and the presser's own message are taken up (each chat keeps its
        # order: one head per chat).
        heads.sort(key=lambda item: not is_urgent(item))
        started = 0
        gate: Gate | None = None
        for item in heads:
            if item.chat_id is None or (item.channel, item.chat_id) in self._workers:
                continue
            if started == room:
                break
            key = (item.channel, item.chat_id)
            if is_urgent(item):
                gate = gate or Gate()
                gate.expect()
                work = self._work(key, item, opens=gate)
            else:
                work = self._work(key, item, after=gate)
            self._workers[key] = asyncio.create_task(
                work, name=f"deliver-{item.channel}-{item.chat_id}"
            )
            started += 1
        return started

    async def drain(self) -> None:
        """Deliver everything due now and wait for it (for the demo and tests; wrap it in
        ``asyncio.timeout`` to bound the wait)."""
        while True:
            started = await self.pass_once()
            if self._workers:
                await asyncio.wait(list(self._workers.values()))
                continue
            if started == 0:
                return

    async def _work(
        self,
        key: ChatKey,
        first: OutboxItem,
        *,
        opens: Gate | None = None,
        after: Gate | None = None,
    ) -> None:
        """Deliver a chat's due messages in order, each once it is the chat's first pending one.
        A worker that ``opens`` a gate passes it once its first message was delivered (or could
        not be); one that comes ``after`` it starts once the gate is open, or waited long
        enough."""
        item: OutboxItem | None = first
        seen = self._wakes
        broke = False
        try:
            if after is not None:
                await after.passed(URGENT_FIRST)
            while item is not None and not self._stopping:
                try:
                    await self._deliver(item)
                finally:
                    if opens is not None:
                        opens.passed_one()
                        opens = None
                seen = self._wakes
                async with self.db.read() as tx:
                    item = await tx.outbox.head_of_chat(*key, self.clock.now())
        except Exception:
            broke = True
            log.exception("delivering to %s chat %s broke off; it is taken up again", *key)
        finally:
            del self._workers[key]
            if broke:
                asyncio.get_running_loop().call_later(self.backoff_base, self.wake)
            elif self._more or self._wakes != seen:
                # Chats were left for later, or a message committed while this worker looked for
                # its chat's next one may have found the chat still taken: look again.
                self._wake.set()

    async def _deliver(self, item: OutboxItem) -> None:
        """One message, tried until it is sent, failed for good, or left waiting."""
        assert item.chat_id is not None  # noqa: S101 - only pending items with a chat are due
        attempt = 0
        while not self._stopping:
            try:
                ref = await self._send(item)
            except RetryLater as exc:
                attempt += 1
                self.retried += 1
                await self._record_retry(item, str(exc))
                self.pacer.hold(item.channel, item.chat_id, max(exc.seconds, 0.05))
                continue
            except TemporaryFailure as exc:
                attempt += 1
                self.retried += 1
                await self._record_retry(item, str(exc))
                self.pacer.hold(item.channel, item.chat_id, self._backoff(attempt))
                continue
            except PermanentFailure as exc:
                await self._fail(
                    item,
                    str(exc),
                    unmade=isinstance(exc, GenerationFailed),
                    unreachable=exc.unreachable,
                )
                return
            except WaitForPerson as exc:
                await self._wait_for_person(item, str(exc))
                return
            except ShortFormMissing as exc:
                await self._short_form_missing(item, exc)
                return
            async with self.db.transaction() as tx:
                await tx.outbox.mark_sent(item.id, ref, self.clock.now())
                sent = await tx.outbox.get(item.id)
            self.delivered += 1
            if sent is not None and ref is not None:
                await self._after_status(sent)  # a failure reported before we knew
            return

    @contextlib.asynccontextmanager
    async def _paced(
        self, channel: str, chat: str, limits: ChannelLimits, *, answering: bool, bulk: bool
    ) -> AsyncIterator[None]:
        """Wait for the pacer, then hold one of the sender's connections while the message is
        in flight; the pacer counts the chat's interval from the answer."""
        worker = asyncio.current_task()
        assert worker is not None  # noqa: S101 - a worker is a task
        self._at_pacer.add(worker)  # cancelled if the bot stops meanwhile: the message waits
        try:
            ticket = await self.pacer.acquire(channel, chat, limits, answering=answering, bulk=bulk)
        finally:
            self._at_pacer.discard(worker)
        try:
            async with self._slots:
                yield
        finally:
            self.pacer.finish(ticket)

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
        limits = channel.limits
        if item.kind == "send":
            message = await self._with_file(item.channel, message)
            delivery, answering = await self._delivery(item, channel)
            async with self._paced(
                item.channel, chat, limits, answering=answering, bulk=is_bulk(item)
            ):
                return await channel.send(chat, message, delivery)
        ref = item.payload.get("message_ref")
        if ref is None and item.edit_of is not None:
            async with self.db.read() as tx:
                original = await tx.outbox.get(item.edit_of)
            if original is None or original.state == "failed":
                raise PermanentFailure("the message to edit was never delivered")
            ref = original.message_ref
        if ref is None:
            raise PermanentFailure("the message to edit has no reference")
        if not limits.can_edit:  # nothing reaches the channel (WhatsApp cannot edit)
            await channel.edit(chat, str(ref), message)
            return str(ref)
        # An edit counts against the channel's limits as a message does (Telegram's do).
        async with self._paced(item.channel, chat, limits, answering=True, bulk=is_bulk(item)):
            await channel.edit(chat, str(ref), message)
        return str(ref)

    async def _delivery(self, item: OutboxItem, channel: Channel) -> tuple[Delivery, bool]:
        """Whether the person is inside the channel's window for free messages, and whether they
        are answering (wrote in the last minutes, so the bot's replies are not paced)."""
        hours = channel.limits.window_hours
        if hours is None:
            return Delivery(), True
        assert item.chat_id is not None  # noqa: S101
        async with self.db.read() as tx:
            heard = await tx.inbound.last_heard(item.channel, item.chat_id)
        now = self.clock.now()
        if item.payload.get("until_heard") and (heard is None or heard <= item.created_at):
            raise WaitForPerson("the channel refused it outside the window; waits for the person")
        window_open = heard is not None and now - heard < timedelta(hours=hours)
        answering = heard is not None and now - heard < ANSWERING
        short_only = bool(item.payload.get("short_only"))
        return Delivery(window_open=window_open, short_form_only=short_only), answering

    async def _with_file(self, channel: str, message: OutMessage) -> OutMessage:
        """The bytes of a file the bot keeps, or of an older Telegram file going elsewhere."""
        a = message.attachment
        if a is None:
            return message
        if a.stored is not None:
            async with self.db.read() as tx:
                stored = await tx.files.get(a.stored)
            if stored is None:
                raise PermanentFailure(f"stored file {a.stored} is gone")
            mime = a.mime_type or stored.mime_type
            lasting = self.channels[channel].limits.lasting_file_refs
            if stored.origin == channel and stored.origin_ref and lasting:
                # Back to the channel it came from, whose reference lasts: nothing uploaded again.
                message.attachment = replace(a, ref=stored.origin_ref, mime_type=mime)
            else:
                message.attachment = replace(a, data=stored.data, mime_type=mime)
        elif a.ref is not None and a.data is None and channel != "telegram":
            source = self.channels.get("telegram")
            if source is None:
                raise PermanentFailure("an older file is held by Telegram, which is not running")
            data = await source.fetch(a.ref)
            message.attachment = replace(a, ref=None, data=data)
        return message

    async def _wait_for_person(self, item: OutboxItem, reason: str) -> None:
        """The message waits until its person writes; they get a short nudge (once a day) to
        open the conversation, where the channel has one."""
        assert item.chat_id is not None  # noqa: S101
        now = self.clock.now()
        async with self.db.transaction() as tx:
            await tx.outbox.wait_for_person(item.id, reason)
            if item.user_id is None or item.payload.get("short_form"):
                return  # only a message with no short form of its own needs the nudge
            token = await tx.conversation.menu_token("menu", item.user_id, {"a": "kabar"}, now)
            day = int(now.timestamp() // 86400)
            await tx.outbox.enqueue(
                channel=item.channel,
                chat_id=item.chat_id,
                user_id=item.user_id,
                payload=nudge(Button(OPEN, token=token)).to_payload(),
                now=now,
                dedupe_key=f"nudge:{item.channel}:{item.chat_id}:{day}",
            )
        self.wake()

    async def _short_form_missing(self, item: OutboxItem, exc: ShortFormMissing) -> None:
        """The channel lacks the form (a template not approved yet): the message waits and tries
        again later; the admins are told once a day which form to submit."""
        log.error("outbox #%s waits for the short form %s: %s", item.id, exc.name, exc)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            await tx.outbox.reschedule(item.id, now + SHORT_FORM_RETRY, str(exc))
            day = int(now.timestamp() // 86400)
            await notify.to_admins(
                tx, short_form_missing(exc.name), now, dedupe=f"shortform:{exc.name}:{day}"
            )
        self.wake()

    async def reported(
        self, channel: str, message_ref: str, status: str, error: ChannelError | None = None
    ) -> None:
        """A channel's report on a message it took (sent, delivered, read, failed). It may come
        before the sender has recorded the message's reference; then the sender acts on it when
        it does. A failure is never dropped: refused outside the window, the message goes again
        as its short form (or waits for its person); any other failure is told to the admins."""
        now = self.clock.now()
        if status == "failed" and error is not None and error.window:
            status = OUTSIDE_WINDOW
        async with self.db.transaction() as tx:
            moved = await tx.outbox.record_status(
                channel,
                message_ref,
                status,
                now,
                error.code if error else None,
                error.detail if error else None,
            )
            item = await tx.outbox.by_ref(channel, message_ref)
        if moved and item is not None:
            await self._after_status(item)

    async def _after_status(self, item: OutboxItem) -> None:
        """Act on a failure the channel reported after it took the message."""
        if item.message_ref is None or item.kind != "send":
            return
        now = self.clock.now()
        async with self.db.transaction() as tx:
            status = await tx.outbox.status_of(item.channel, item.message_ref)
            if status is None or status.status not in ("failed", OUTSIDE_WINDOW):
                return
            if status.status == OUTSIDE_WINDOW:
                payload = dict(item.payload)
                if item.payload.get("short_form") and not item.payload.get("short_only"):
                    payload["short_only"] = True
                else:
                    payload["until_heard"] = True
                await tx.outbox.enqueue(
                    channel=item.channel,
                    chat_id=item.chat_id,
                    user_id=item.user_id,
                    office_id=item.office_id,
                    step_run_id=item.step_run_id,
                    payload=payload,
                    now=now,
                    dedupe_key=f"again:{item.id}",
                )
        if status.status == OUTSIDE_WINDOW:
            self.wake()
            return
        await self._fail(item, status.error_detail or "failed", retried=True)

    async def _fail(
        self,
        item: OutboxItem,
        error: str,
        *,
        unmade: bool = False,
        retried: bool = False,
        unreachable: bool | None = None,
    ) -> None:
        """A message given up on: marked failed, and its person's admins told the true cause
        (``unreachable``: the person is out of reach; False: the channel refused the message;
        None: the channel did not say which)."""
        log.error("delivery of outbox #%s failed for good: %s", item.id, error)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if not retried:
                await tx.outbox.mark_failed(item.id, error)
            if item.user_id is None or item.kind != "send":
                return
            user = await tx.offices.user(item.user_id)
            name = user.name if user else f"pengguna #{item.user_id}"
            message = undeliverable(name, error, unmade=unmade, unreachable=unreachable)
            # One notice per person a day, whichever zone the admins are in.
            day = int(now.timestamp() // 86400)
            offices = [o.id for o in await tx.offices.offices_of(item.user_id)]
            await notify.to_admins(
                tx,
                message,
                now,
                dedupe=f"undeliverable:{item.user_id}:{day}",
                skip=item.user_id,
                offices=offices,
            )
        self.wake()
