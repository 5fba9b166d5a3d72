"""The one source of time. Everything that needs "now" takes a Clock, so tests move time instead of
sleeping; and the timers that wake the bot when something falls due."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

log = logging.getLogger(__name__)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware instant")
        self._now = instant.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now


Callback = Callable[[], Awaitable[object]]


class Timers:
    """Wake-ups on the event loop, whatever channels run: one alarm that re-arming replaces (the
    next reminder's time, which lives in the database), and ticks that repeat. A callback that
    fails is logged and does not stop the next one."""

    def __init__(self) -> None:
        self._alarm: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def alarm(self, delay: float, callback: Callback) -> None:
        """Call ``callback`` once after ``delay`` seconds, instead of any earlier alarm."""
        if self._alarm is not None:
            self._alarm.cancel()
        loop = asyncio.get_running_loop()
        self._alarm = loop.call_later(max(0.0, delay), self._spawn, callback)

    def every(self, seconds: float, callback: Callback) -> None:
        """Call ``callback`` every ``seconds`` seconds until closed."""

        async def repeat() -> None:
            while True:
                await asyncio.sleep(seconds)
                await self._call(callback)

        self._track(asyncio.create_task(repeat(), name="tick"))

    def _spawn(self, callback: Callback) -> None:
        self._track(asyncio.create_task(self._call(callback), name="alarm"))

    def _track(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _call(callback: Callback) -> None:
        try:
            await callback()
        except Exception:
            log.exception("a timed wake-up failed")

    async def close(self) -> None:
        if self._alarm is not None:
            self._alarm.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
