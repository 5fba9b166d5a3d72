"""The SOPs through Telegram: real PTB over real HTTP to the fake Bot API, a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from handlers.fakeapi import FakeBotApi
from tests.harness import T0, TOKEN, Harness, play


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    clock = FakeClock(T0)
    async with FakeBotApi(TOKEN, clock=clock) as api:
        harness = Harness(api, tmp_path, clock)
        await harness.start()
        try:
            yield harness
        finally:
            await harness.stop()


async def test_sop_d_walked_through_telegram_with_its_announcement(h: Harness) -> None:
    await h.import_office("kapuas")
    group = await h.link_group(-100500, "KPU Kapuas", "KPU Kabupaten Kapuas")
    people = await h.office_people("kapuas")
    mark = group.mark()
    process = await play(h, people, "kapuas-medsos-jdih", "Konten Hari Pahlawan")
    news = await group.wait_for(lambda m: "Konten Hari Pahlawan" in m.text, since=mark)
    assert "https://jdih.kpu.go.id/unggahan/6-" in news.text
    assert "Pengelola Joko" in news.text
    assert "Pengelolaan Media Sosial JDIH" in news.text
    assert news.buttons[0][0].url is not None
    starter = people["kasubbag_hukum_sdm"]
    await starter.wait_for(lambda m: f"Proses #{process}" in m.text and "Proses selesai" in m.text)
