"""Fixtures shared by the tests that run the bot through the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from handlers.fakeapi import FakeBotApi
from tests.harness import T0, TOKEN, Harness


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    """The bot running against the fake Bot API, on a fresh database, at Senin 08.00 WIB."""
    clock = FakeClock(T0)
    async with FakeBotApi(TOKEN, clock=clock) as api:
        harness = Harness(api, tmp_path, clock)
        await harness.start()
        try:
            yield harness
        finally:
            await harness.stop()
