"""Pacing the messages a channel carries, before the channel has to refuse them: at least
``pair_interval`` seconds between two messages to the same person (unless they are answering),
and at most ``per_second`` messages a second from the bot (a sliding second). Channels that pace
themselves declare neither."""

from __future__ import annotations

import asyncio
import time
from collections import deque

from bot.chat.channel import ChannelLimits


class Pacer:
    def __init__(self) -> None:
        self._next: dict[tuple[str, str], float] = {}
        self._recent: dict[str, deque[float]] = {}
        self._lock = asyncio.Lock()

    async def wait(
        self, channel: str, chat: str, limits: ChannelLimits, *, answering: bool
    ) -> None:
        """Return when a message to ``chat`` may go. The sender sends one message of a chat at a
        time, so a chat's order holds while it waits."""
        if limits.pair_interval > 0:
            key = (channel, chat)
            now = time.monotonic()
            due = now if answering else max(now, self._next.get(key, now))
            self._next[key] = due + limits.pair_interval
            if due > now:
                await asyncio.sleep(due - now)
        if limits.per_second > 0:
            await self._throughput(channel, limits.per_second)

    async def _throughput(self, channel: str, per_second: int) -> None:
        async with self._lock:
            recent = self._recent.setdefault(channel, deque())
            while True:
                now = time.monotonic()
                while recent and now - recent[0] >= 1.0:
                    recent.popleft()
                if len(recent) < per_second:
                    recent.append(now)
                    return
                await asyncio.sleep(1.0 - (now - recent[0]))
