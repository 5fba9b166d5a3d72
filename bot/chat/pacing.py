"""Pacing the messages a channel carries, so that the channel never has to refuse them.

A channel declares its limits (``ChannelLimits``): at most ``per_second`` messages from the bot in
any sliding second; at least ``chat_interval`` seconds between two messages to one chat, always;
at most ``group_per_minute`` messages into one group chat in any sliding minute; and at least
``pair_interval`` seconds between two messages to one person unless they are answering (a press
or a text just received). A refusal all the same (Telegram's 429 with ``retry_after``) holds back
only its own chat (``hold``); every other chat goes on.

Time is counted from a message's answer, not from its sending: a message holds its place in the
bot's sliding second from the moment it leaves until one second after its answer came back, and a
chat's interval runs from its last answer. The channel counts each message at some moment between
those two, so however long the network takes (and however requests overtake one another on the
way), it never sees more than its limits allow.

A message is bulk (a reminder or an escalation of the sweep) or not (a step that someone's answer
opened, a reply to a press, an announcement): when the channel frees a place, a message that is not
bulk and may go takes it before any bulk one. Bulk messages also leave evenly spread, one every
1/``per_second`` s, rather than a second's worth at once: the bot's second then frees a place every
1/``per_second`` s, and a message that is not bulk waits for one at most that long.

``Pacer`` makes the decisions on the clock it is given: when a message to a chat may go
(``ready_at``), and which of the chats waiting goes first. ``acquire`` waits for them on the event
loop; ``finish`` ends a message's flight. When more chats are ready than the bot may send to, the
chat served least recently goes first (among chats not served lately, the one that came last): a
burst of reminders to fifty chats takes turns, each chat's remaining messages shrink together (so
the burst ends when the bot-wide limit says it can), and a message that is not bulk (the next
actor's step, a reply to a press) takes the next free place instead of queuing behind the burst,
even in a chat the burst served a moment ago.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.chat.channel import ChannelLimits

Key = tuple[str, str]  # (channel, chat)

# Past this many chats remembered, those whose limits no longer bind are forgotten.
_REMEMBER = 4096
# The sliding window of a group's messages, in seconds (Telegram counts a group's per minute).
_MINUTE = 60.0


@dataclass
class _Chat:
    last_done: float = -math.inf  # when the chat's last message was answered
    in_flight: bool = False
    hold_until: float = -math.inf  # a refusal's retry_after, or a retry's backoff
    group: deque[float] = field(default_factory=deque)  # answers within the last minute
    forget_after: float = 0.0  # seconds after last_done when nothing about it binds any more


@dataclass
class _Channel:
    recent: deque[float] = field(default_factory=deque)  # answers within the last second
    in_flight: int = 0
    next_bulk: float = -math.inf  # when the next bulk message may leave


@dataclass(frozen=True)
class Ticket:
    """A message's place in flight; hand it back to ``Pacer.finish`` once it was answered."""

    channel: str
    chat: str
    group: bool


@dataclass
class _Waiter:
    key: Key
    limits: ChannelLimits
    answering: bool
    bulk: bool
    order: int
    future: asyncio.Future[Ticket]


class Pacer:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._chats: dict[Key, _Chat] = {}
        self._channels: dict[str, _Channel] = {}
        self._waiters: list[_Waiter] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf

    # --- decisions -------------------------------------------------------------------------------

    def chat_ready_at(
        self, channel: str, chat: str, limits: ChannelLimits, *, answering: bool = False
    ) -> float:
        """When the chat's own limits let a message to it go (math.inf while one is in flight);
        a time already past means now."""
        state = self._chats.get((channel, chat))
        if state is None:
            return -math.inf
        if state.in_flight:
            return math.inf
        at = state.hold_until
        if limits.chat_interval > 0:
            at = max(at, state.last_done + limits.chat_interval)
        if limits.pair_interval > 0 and not answering:
            at = max(at, state.last_done + limits.pair_interval)
        if limits.group_per_minute > 0 and is_group(chat, limits):
            at = max(
                at, _window_free_at(state.group, self.clock(), _MINUTE, limits.group_per_minute)
            )
        return at

    def slot_at(self, channel: str, limits: ChannelLimits) -> float:
        """When the bot may send its next message on the channel (math.inf until a message in
        flight is answered)."""
        if limits.per_second <= 0:
            return -math.inf
        state = self._channels.get(channel)
        if state is None:
            return -math.inf
        now = self.clock()
        _expire(state.recent, now, 1.0)
        used = len(state.recent) + state.in_flight
        if used < limits.per_second:
            return -math.inf
        if state.in_flight >= limits.per_second:
            return math.inf
        return state.recent[used - limits.per_second] + 1.0

    def ready_at(
        self, channel: str, chat: str, limits: ChannelLimits, *, answering: bool = False
    ) -> float:
        """When a message to ``chat`` may go: both its chat's limits and the channel's."""
        return max(
            self.chat_ready_at(channel, chat, limits, answering=answering),
            self.slot_at(channel, limits),
        )

    def bulk_at(self, channel: str, limits: ChannelLimits) -> float:
        """When the next bulk message may leave (bulk messages are spread evenly)."""
        state = self._channels.get(channel)
        return state.next_bulk if state is not None and limits.per_second > 0 else -math.inf

    def start(
        self, channel: str, chat: str, limits: ChannelLimits, *, bulk: bool = False
    ) -> Ticket:
        """A message to ``chat`` leaves now (the caller checked ``ready_at``)."""
        state = self._chats.setdefault((channel, chat), _Chat())
        state.in_flight = True
        state.forget_after = max(
            state.forget_after, limits.chat_interval, limits.pair_interval, _MINUTE
        )
        line = self._channels.setdefault(channel, _Channel())
        line.in_flight += 1
        if bulk and limits.per_second > 0:
            line.next_bulk = self.clock() + 1.0 / limits.per_second
        return Ticket(channel, chat, limits.group_per_minute > 0 and is_group(chat, limits))

    def finish(self, ticket: Ticket) -> None:
        """The message's answer came back (or its attempt ended in any way): its chat's interval
        and its place in the bot's second run from now."""
        now = self.clock()
        channel = self._channels[ticket.channel]
        channel.in_flight -= 1
        channel.recent.append(now)
        state = self._chats[(ticket.channel, ticket.chat)]
        state.in_flight = False
        state.last_done = now
        if ticket.group:
            state.group.append(now)
        if len(self._chats) > _REMEMBER:
            self._forget(now)
        self.pump()

    def hold(self, channel: str, chat: str, seconds: float) -> None:
        """Nothing goes to ``chat`` for ``seconds`` (a refusal's retry_after, a retry's backoff);
        other chats are not held."""
        state = self._chats.setdefault((channel, chat), _Chat())
        state.hold_until = max(state.hold_until, self.clock() + seconds)
        state.forget_after = max(state.forget_after, seconds)

    def served_at(self, channel: str, chat: str) -> float:
        """When the chat's last message was answered (-inf: never, or long ago)."""
        state = self._chats.get((channel, chat))
        return state.last_done if state is not None else -math.inf

    def _forget(self, now: float) -> None:
        for key, state in list(self._chats.items()):
            if (
                not state.in_flight
                and max(state.last_done, state.hold_until) + state.forget_after < now
            ):
                del self._chats[key]

    # --- waiting ---------------------------------------------------------------------------------

    async def acquire(
        self,
        channel: str,
        chat: str,
        limits: ChannelLimits,
        *,
        answering: bool = False,
        bulk: bool = False,
    ) -> Ticket:
        """Wait until a message to ``chat`` may go and take its place in flight; give the ticket
        back to ``finish``. Returns without waiting when nothing holds it back. A ``bulk`` message
        goes only when no other that may go waits."""
        loop = asyncio.get_running_loop()
        waiter = _Waiter(
            (channel, chat), limits, answering, bulk, next(self._order), loop.create_future()
        )
        self._waiters.append(waiter)
        self.pump()
        try:
            return await waiter.future
        except asyncio.CancelledError:
            if waiter.future.done() and not waiter.future.cancelled():
                self.finish(waiter.future.result())  # granted as it was cancelled: give it back
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def pump(self) -> None:
        """Let go every waiter that may go now, those not bulk first, then the least recently
        served chat; then be woken when the next one may."""
        self._waiters = [w for w in self._waiters if not w.future.done()]
        if not self._waiters:
            self._arm(math.inf)
            return
        now = self.clock()
        ready = [
            w
            for w in self._waiters
            if self.chat_ready_at(*w.key, w.limits, answering=w.answering) <= now
        ]
        # Not bulk first. Then least recently served; among chats never served (or long ago), the
        # one that came last: a burst's chats all came at once, a message to someone else after.
        ready.sort(key=lambda w: (w.bulk, self.served_at(*w.key), -w.order))
        for waiter in ready:
            channel, chat = waiter.key
            if self._waiter_at(waiter) > now:
                continue  # the channel is full, this chat's other waiter just went, or a bulk
                # message just left
            waiter.future.set_result(self.start(channel, chat, waiter.limits, bulk=waiter.bulk))
        self._waiters = [w for w in self._waiters if not w.future.done()]
        self._arm(min((self._waiter_at(w) for w in self._waiters), default=math.inf))

    def _waiter_at(self, w: _Waiter) -> float:
        at = self.ready_at(*w.key, w.limits, answering=w.answering)
        return max(at, self.bulk_at(w.key[0], w.limits)) if w.bulk else at

    def _arm(self, at: float) -> None:
        """Be woken at ``at`` (on this pacer's clock); math.inf: only by ``finish`` or a waiter."""
        if at == self._timer_at and self._timer is not None:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = at
        if math.isfinite(at):
            delay = max(0.0, at - self.clock())
            self._timer = asyncio.get_running_loop().call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = math.inf
        self.pump()


def is_group(chat: str, limits: ChannelLimits) -> bool:
    """Whether ``chat`` is a group chat on its channel (Telegram's group ids are negative)."""
    return limits.group_prefix is not None and chat.startswith(limits.group_prefix)


def _expire(window: deque[float], now: float, span: float) -> None:
    while window and window[0] <= now - span:
        window.popleft()


def _window_free_at(window: deque[float], now: float, span: float, limit: int) -> float:
    """When a sliding window of ``span`` seconds holding at most ``limit`` has room again."""
    _expire(window, now, span)
    if len(window) < limit:
        return -math.inf
    return window[len(window) - limit] + span
