"""Telegram's updates kept before Telegram is told they were received, and handled from the
database each once: a bot killed after it fetched an update and before it handled it handles it
after the restart; an update fetched (or delivered to the webhook) twice acts once."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.clock import FakeClock
from fakes.telegram import FakeBotApi, FakeUser
from storage.db import Database
from tests.harness import T0, TOKEN, Harness, is_step, start_process, wait_text

NO_TASKS = "Tidak ada langkah"
WEBHOOK_SECRET = "rahasia-webhook_123"


def kept(h: Harness, update_id: int) -> list[bool]:
    """Whether each kept copy of an update was handled, in the order they were kept."""
    with sqlite3.connect(h.path / "sopbot.db") as conn:
        rows = conn.execute(
            "SELECT body, handled_at FROM inbound WHERE channel = 'telegram' ORDER BY id"
        ).fetchall()
        keys = conn.execute(
            "SELECT count(*) FROM inbound_events WHERE channel = 'telegram' AND key = ?",
            (str(update_id),),
        ).fetchone()[0]
    copies = [handled is not None for body, handled in rows if _id(body) == update_id]
    assert keys == (1 if any(copies) else 0), (update_id, keys)
    return copies


def last_kept(h: Harness) -> bytes:
    with sqlite3.connect(h.path / "sopbot.db") as conn:
        row = conn.execute(
            "SELECT body FROM inbound WHERE channel = 'telegram' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    return bytes(row[0])


def _id(body: bytes) -> int | None:
    try:
        return int(json.loads(body)["update_id"])
    except (ValueError, KeyError, TypeError):
        return None


async def keep(h: Harness, body: bytes, *, times: int = 1, at: datetime | None = None) -> None:
    """What the bot did before it died: it kept the update (``times`` fetches of it)."""
    db = await Database.open(h.path / "sopbot.db")
    try:
        async with db.transaction() as tx:
            for _ in range(times):
                await tx.inbound.keep("telegram", body, at or h.clock.now())
    finally:
        await db.close()


def answers(user: FakeUser, text: str) -> int:
    return sum(1 for m in user.bot_messages if text in m.text)


async def test_an_update_kept_before_a_crash_is_handled_after_the_restart(h: Harness) -> None:
    await h.import_office("kapuas")
    budi = await h.person(1202, "Kasubbag Budi")
    await h.stop()
    # The bot fetched /tugas and kept it, then died before handling it and before its next
    # getUpdates told Telegram it had it: Telegram still holds it.
    mark = budi.mark()
    await budi.send("/tugas")
    [update] = h.api.pending_updates()
    await keep(h, json.dumps(update).encode())
    await h.start()
    await wait_text(budi, NO_TASKS, mark)
    await h.api.idle(timeout=10)
    await asyncio.sleep(0.3)
    assert answers(budi, NO_TASKS) == 1
    # The restart confirmed it (getUpdates past the last update kept) instead of fetching it again.
    assert kept(h, update["update_id"]) == [True]
    assert not h.api.pending_updates()


async def test_an_update_fetched_twice_acts_once(h: Harness) -> None:
    assert h.bot is not None
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    budi, ani = people["kasubbag_hukum_sdm"], people["staf_subbagian"]
    defn = h.catalog.definitions["kapuas-medsos-jdih"]
    mark = budi.mark()
    process = await start_process(h, budi, defn, "Uji diambil dua kali")
    step1 = await budi.wait_for(is_step(1, 6), since=mark)
    await h.stop()
    # A press while the bot is down; a bot that died twice after fetching it kept it twice.
    # Both copies are from two days ago, so the restart does not confirm by their update_id
    # (past a day Telegram may number updates anew) and Telegram hands it out a third time.
    ani_mark = ani.mark()
    press = asyncio.create_task(budi.press(step1, "Selesai", timeout=30))
    await asyncio.sleep(0.05)
    [update] = h.api.pending_updates()
    await keep(h, json.dumps(update).encode(), times=2, at=h.clock.now() - timedelta(days=2))
    bot = await h.start()
    answer = await press
    assert answer.text == "Tercatat: Selesai"
    await ani.wait_for(is_step(2, 6), since=ani_mark)
    await h.api.idle(timeout=10)
    await asyncio.sleep(0.5)
    assert kept(h, update["update_id"]) == [True, True, True]
    query = update["callback_query"]["id"]
    answered = [
        c for c in h.api.calls_to("answerCallbackQuery") if c.params["callback_query_id"] == query
    ]
    assert len(answered) == 1, answered
    assert bot.db is not None
    async with bot.db.read() as tx:
        row = await tx.processes.get(process)
        events = await tx.audit.for_process(process)
    assert row is not None
    assert (row.current_step, row.visit) == (2, 2)
    assert [e.data["step"] for e in events if e.kind == "step_closed"] == [1]
    assert len([m for m in ani.bot_messages if is_step(2, 6)(m)]) == 1


async def test_an_update_that_cannot_be_handled_does_not_stop_the_ones_after_it(
    h: Harness,
) -> None:
    await h.import_office("kapuas")
    budi = await h.person(1202, "Kasubbag Budi")
    await h.stop()
    mark = budi.mark()
    await budi.send("/tugas")
    [update] = h.api.pending_updates()
    await keep(h, b"{not an update")
    await keep(h, json.dumps({"update_id": update["update_id"] - 1, "message": "?"}).encode())
    await keep(h, json.dumps(update).encode())
    await h.start()
    await wait_text(budi, NO_TASKS, mark)
    with sqlite3.connect(h.path / "sopbot.db") as conn:
        unhandled = conn.execute(
            "SELECT count(*) FROM inbound WHERE channel = 'telegram' AND handled_at IS NULL"
        ).fetchone()[0]
    assert unhandled == 0


# --- the webhook ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def hook(tmp_path: Path) -> AsyncIterator[tuple[Harness, str]]:
    """The bot in webhook mode, and its webhook's URL."""
    clock = FakeClock(T0)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/sopbot-hook"
    async with FakeBotApi(TOKEN, clock=clock) as api:
        h = Harness(api, tmp_path, clock)
        h.settings_overrides = {
            "webhook_url": url,
            "webhook_secret": WEBHOOK_SECRET,
            "webhook_listen": "127.0.0.1",
            "port": port,
        }
        await h.start()
        try:
            yield h, url
        finally:
            await h.stop()


async def post(url: str, body: bytes, secret: str | None) -> int:
    headers: dict[str, Any] = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    async with httpx.AsyncClient() as client:
        return (await client.post(url, content=body, headers=headers)).status_code


async def test_a_webhook_update_is_kept_before_the_200_and_a_repeat_acts_once(
    hook: tuple[Harness, str],
) -> None:
    h, url = hook
    assert h.api.calls_to("setWebhook")[-1].params["secret_token"] == WEBHOOK_SECRET
    await h.import_office("kapuas")
    budi = await h.person(1202, "Kasubbag Budi")
    mark = budi.mark()
    await budi.send("/tugas")
    await wait_text(budi, NO_TASKS, mark)
    body = last_kept(h)
    update_id = _id(body)
    assert update_id is not None
    # Telegram sends it again (its 200 was lost): kept before the 200, and skipped as handled.
    assert await post(url, body, WEBHOOK_SECRET) == 200
    assert len(kept(h, update_id)) == 2
    # Without the secret, or with a wrong one: refused, and nothing kept.
    assert await post(url, body, None) == 403
    assert await post(url, body, "salah") == 403
    assert await post(url, b"bukan update", WEBHOOK_SECRET) == 400
    await asyncio.sleep(0.5)
    assert kept(h, update_id) == [True, True]
    assert answers(budi, NO_TASKS) == 1
    # Kept and not handled when the bot died: handled after the restart, in webhook mode too.
    await h.stop()
    again = json.loads(body)
    again["update_id"] = update_id + 1000
    await keep(h, json.dumps(again).encode())
    mark = budi.mark()
    await h.start()
    await wait_text(budi, NO_TASKS, mark)
    assert kept(h, update_id + 1000) == [True]
