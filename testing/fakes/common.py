"""What the fake Telegram Bot API and the fake WhatsApp Cloud API share.

Both fakes are aiohttp servers on 127.0.0.1 (`LocalServer`), number what happens in their chats
on one timeline so that a test can wait for what comes after a `Mark` (`Timeline`, `History`,
`Signal`), inject random faults the same way (`FaultsBase`, `abort_connection`) and deliver
webhooks to loopback receivers only, one at a time and in order, retrying with a short backoff
(`WebhookClient`, `deliver_in_order`). What each platform does differently (Telegram's updates
and secret token, Meta's signed bodies, queues per person and handshake) stays in its own fake.
"""

from __future__ import annotations

import abc
import asyncio
import ipaddress
import math
import random
from bisect import bisect_right
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import ClassVar, Final, Generic, Self, TypeVar
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

__all__ = [
    "FIRST_RETRY_DELAY",
    "MAX_RETRY_DELAY",
    "FaultsBase",
    "History",
    "HttpAnswer",
    "LocalServer",
    "Mark",
    "Signal",
    "Timeline",
    "WebhookClient",
    "abort_connection",
    "deliver_in_order",
    "is_loopback",
    "window_wait",
]

T = TypeVar("T")

FIRST_RETRY_DELAY: Final = 0.05
MAX_RETRY_DELAY: Final = 1.0


# --------------------------------------------------------------------------------------------
# Waiting for what the bot does
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Mark:
    """A point in the fake's history; `wait_for(since=mark)` only looks at what came after it."""

    seq: int


class Signal:
    """Like asyncio.Condition.notify_all, but callable without holding a lock, so state changes
    made from synchronous code (a user blocking the bot, a person reading) wake every waiter;
    waiters re-check their condition."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait_until(self, check: Callable[[], T | None], within: float | None) -> T:
        """Return check()'s first non-None value, re-checking on every notify; TimeoutError after
        `within` seconds (None: no limit)."""
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(within):
            while True:
                value = check()
                if value is not None:
                    return value
                waiter: asyncio.Future[None] = loop.create_future()
                self._waiters.add(waiter)
                try:
                    await waiter
                finally:
                    self._waiters.discard(waiter)


class Timeline:
    """The one sequence a fake numbers the events of all its chats on; `mark()` is now."""

    def __init__(self) -> None:
        self.seq = 0

    def mark(self) -> Mark:
        return Mark(self.seq)

    def tick(self) -> int:
        """The number of a new event."""
        self.seq += 1
        return self.seq


class History(Generic[T]):
    """What happened to the messages of one chat, in order: `events` of (seq, kind, message),
    numbered on the fake's `Timeline`, and the `signal` that wakes whoever waits for one."""

    def __init__(self) -> None:
        self.events: list[tuple[int, str, T]] = []
        self.signal = Signal()

    def add_event(self, seq: int, kind: str, item: T) -> None:
        self.events.append((seq, kind, item))
        self.signal.notify()

    async def first_event(
        self, match: Callable[[str, T], bool], *, since: Mark | None, within: float
    ) -> T:
        """The message of the first event after `since` (or ever) whose kind and message
        `match`, waiting for one up to `within` seconds (then TimeoutError)."""
        start = since.seq if since is not None else 0

        def find() -> T | None:
            first = bisect_right(self.events, start, key=lambda event: event[0])
            for _, kind, item in self.events[first:]:
                if match(kind, item):
                    return item
            return None

        return await self.signal.wait_until(find, within)


# --------------------------------------------------------------------------------------------
# The server, its faults and its rate limits
# --------------------------------------------------------------------------------------------


class LocalServer(abc.ABC):
    """An aiohttp application served on 127.0.0.1 at a port the system picks, run with
    `async with` (or start() and stop()).

    A subclass builds its application in `_build_app()`, starts what runs beside the server in
    `_started()` (the port is known by then) and stops it in `_stopping()`, before the server
    closes. The port stays readable after stop()."""

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    @abc.abstractmethod
    def _build_app(self) -> web.Application: ...

    async def _started(self) -> None:
        return None

    async def _stopping(self) -> None:
        return None

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError(f"{type(self).__name__} is already running")
        # No access log: request paths and queries carry tokens.
        runner = web.AppRunner(
            self._build_app(), access_log=None, handler_cancellation=True, shutdown_timeout=2.0
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        await self._started()

    async def stop(self) -> None:
        await self._stopping()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError(f"{type(self).__name__} is not running; call start() first")
        return self._port

    def _url(self, path: str = "") -> str:
        """http://127.0.0.1:PORT followed by `path`."""
        return f"http://127.0.0.1:{self.port}{path}"


@dataclass
class FaultsBase:
    """Random failures on a `share` of requests, drawn from a generator seeded by the fake's
    seed: each fake's `Faults` names the `kinds` it knows (`KINDS`) and which requests faults
    apply to; a "slow" fault delays the answer, and the effect, by `slow_seconds`."""

    KINDS: ClassVar[frozenset[str]] = frozenset()

    share: float = 0.2
    kinds: tuple[str, ...] = ()
    slow_seconds: float = 0.5

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - self.KINDS
        if unknown or not self.kinds:
            raise ValueError(f"unknown or no fault kinds: {sorted(unknown)}")
        if not 0.0 <= self.share <= 1.0:
            raise ValueError("share must be between 0 and 1")

    def applies_to(self, name: str) -> bool:
        return True

    def draw(self, rng: random.Random, name: str) -> str | None:
        """The fault for one request to `name`, None for none; decided before it has any
        effect."""
        if not self.applies_to(name):
            return None
        if rng.random() >= self.share:
            return None
        return rng.choice(self.kinds)


def abort_connection(request: web.Request) -> web.Response:
    """Close the request's connection without an answer (the "drop" faults); the response
    returned never reaches the client."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=500)


def window_wait(window: deque[float], now: float, span: float, limit: int) -> float | None:
    """Seconds until a sliding window of `span` seconds has room for one more (after dropping
    what has left it), None when it has room now; a limit of 0 or less never has room."""
    while window and window[0] <= now - span:
        window.popleft()
    if len(window) < limit:
        return None
    if limit <= 0:
        return math.inf
    return window[len(window) - limit] + span - now


# --------------------------------------------------------------------------------------------
# Webhooks
# --------------------------------------------------------------------------------------------


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class HttpAnswer:
    """What one request to a webhook receiver got: its HTTP status, reason and body, or, when
    there was no answer (refused here, connection failed), status None and the `error`."""

    status: int | None
    reason: str | None = None
    body: bytes = b""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookClient:
    """How a fake reaches webhook receivers: one aiohttp session (10 s per request), loopback
    addresses only.

    `service` names the fake in its refusals ("the fake Bot API") and `what` what it delivers
    ("webhook updates"); `verify_tls` False accepts any certificate of an https receiver, as
    Telegram accepts a self-signed one (Meta does not)."""

    def __init__(self, service: str, what: str, *, verify_tls: bool) -> None:
        self._service = service
        self._what = what
        self._verify_tls = verify_tls
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> HttpAnswer:
        """One request, not retried; its answer, or why there was none."""
        if not is_loopback(urlsplit(url).hostname):
            return HttpAnswer(
                None, error=f"{self._service} delivers {self._what} to loopback addresses only"
            )
        if self._session is None:
            return HttpAnswer(None, error=f"{self._service} is not running")
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, params=params, ssl=self._verify_tls
            ) as response:
                content = await response.read()
                return HttpAnswer(response.status, response.reason, content)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return HttpAnswer(None, error=f"Connection failed: {exc.__class__.__name__}")


async def deliver_in_order(
    head: Callable[[], Awaitable[T | None]], attempt: Callable[[T], Awaitable[bool]]
) -> None:
    """Deliver a queue one item at a time, in order, until `head()` gives None: `attempt(item)`
    tries the head once and says whether it got through (and is then off the queue); after an
    attempt that did not, wait FIRST_RETRY_DELAY, doubling up to MAX_RETRY_DELAY while attempts
    keep failing, before the next."""
    delay = FIRST_RETRY_DELAY
    while (item := await head()) is not None:
        if await attempt(item):
            delay = FIRST_RETRY_DELAY
            continue
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_RETRY_DELAY)
