"""Fixtures shared by the tests that run the bot through the fake Bot API."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.documents.reports import Report, build_report
from fakes.telegram import FakeBotApi
from fakes.whatsapp import FakeWhatsAppApi
from storage.db import Database
from tests.harness import T0, TOKEN, WA_SECRET, WA_TOKEN, Harness
from tests.report_history import NOW, PERIOD, History, history_file


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


@pytest.fixture
async def hw(tmp_path: Path) -> AsyncIterator[Harness]:
    """The bot running on both channels: the fake Bot API and the fake WhatsApp Cloud API."""
    clock = FakeClock(T0)
    async with (
        FakeBotApi(TOKEN, clock=clock) as api,
        FakeWhatsAppApi(access_token=WA_TOKEN, app_secret=WA_SECRET, clock=clock) as wa,
    ):
        harness = Harness(api, tmp_path, clock, wa=wa)
        await harness.start()
        try:
            yield harness
        finally:
            await harness.stop()


# --- the constructed history of the report, flowchart and archive tests ----------------------------


@pytest.fixture(scope="module")
def report_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, History]:
    """The history is built once per module; each test gets its own copy of the file."""
    return history_file(tmp_path_factory.mktemp("riwayat") / "riwayat.db")


@pytest.fixture
async def history_db(
    tmp_path: Path, report_template: tuple[Path, History]
) -> AsyncIterator[Database]:
    path = tmp_path / "riwayat.db"
    shutil.copyfile(report_template[0], path)
    database = await Database.open(path)
    yield database
    await database.close()


@pytest.fixture
def history(report_template: tuple[Path, History]) -> History:
    return report_template[1]


@pytest.fixture
async def report(history_db: Database, history: History) -> Report:
    return await build_report(history_db, "kapuas", *PERIOD, NOW)
