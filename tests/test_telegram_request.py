"""The bot's HTTP client for the Bot API (handlers/telegram/request.py: PTB's BaseRequest on
aiohttp), through a PTB Bot against the fake Bot API over real HTTP: messages, buttons, uploads
with their name and type, downloads, PTB's timeouts, Telegram's refusals, failures that never
show the token, and the proxy the environment names."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from fakes.telegram import FakeBotApi, Faults
from handlers.telegram.request import AiohttpRequest
from tests.harness import TOKEN


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(TOKEN) as fake:
        yield fake


def _bot(base_url: str, api: FakeBotApi, **timeouts: float) -> Bot:
    return Bot(
        TOKEN,
        base_url=base_url,
        base_file_url=api.base_file_url,
        request=AiohttpRequest(8, **timeouts),
        get_updates_request=AiohttpRequest(1),
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_messages_buttons_uploads_and_downloads_go_through(api: FakeBotApi) -> None:
    budi = api.user(3001, "Budi", started=True)
    async with _bot(api.base_url, api) as bot:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Selesai", callback_data="t1")]])
        sent = await bot.send_message(
            budi.id, "<b>Langkah 1</b> · ✅", "HTML", reply_markup=keyboard
        )
        assert sent.message_id == budi.last_bot_message().message_id
        assert budi.last_bot_message().text == "Langkah 1 · ✅"
        assert budi.last_bot_message().button_texts == ["Selesai"]
        await bot.send_document(
            budi.id, b"%PDF-1.4 arsip", filename="arsip “proses” 2026.pdf", caption="Arsip"
        )
        document = budi.last_bot_message().document
        assert document is not None
        assert document.content == b"%PDF-1.4 arsip"
        assert document.file_name == "arsip “proses” 2026.pdf"
        assert document.mime_type == "application/pdf"
        incoming = await budi.send_document("surat.pdf", b"%PDF-1.4 surat")
        assert incoming.document is not None
        file = await bot.get_file(incoming.document.file_id)
        assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 surat"


async def test_timeouts_are_ptbs_and_a_slow_answer_times_out(api: FakeBotApi) -> None:
    budi = api.user(3002, "Budi", started=True)
    async with _bot(api.base_url, api, read_timeout=0.05) as bot:
        api.faults = Faults(share=1.0, kinds=("slow",), slow_seconds=0.5)
        with pytest.raises(TimedOut):
            await bot.send_message(budi.id, "terlambat")
        # The timeout a call gives wins over the default.
        await bot.send_message(budi.id, "ditunggu", read_timeout=2.0)
        api.faults = None
        assert await bot.send_message(budi.id, "cepat")
    assert [m.text for m in budi.bot_messages][-1] == "cepat"


async def test_telegrams_refusals_become_ptbs_errors(api: FakeBotApi) -> None:
    budi = api.user(3003, "Budi", started=True)
    async with _bot(api.base_url, api) as bot:
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(999_999, "ke siapa?")
        api.faults = Faults(share=1.0, kinds=("429",))
        with pytest.raises(RetryAfter):
            await bot.send_message(budi.id, "terlalu cepat")
        api.faults = Faults(share=1.0, kinds=("drop",))
        with pytest.raises(NetworkError) as dropped:
            await bot.send_message(budi.id, "putus")
        assert TOKEN not in str(dropped.value)
        api.faults = None
        assert await bot.send_message(budi.id, "pulih")


async def test_an_unreachable_api_is_a_network_error_without_the_token(api: FakeBotApi) -> None:
    bot = _bot(f"http://127.0.0.1:{_closed_port()}/bot", api)
    with pytest.raises(NetworkError) as failed:
        await bot.initialize()
    assert "aiohttp.ClientConnectorError" in str(failed.value)
    assert TOKEN not in str(failed.value)
    await bot.shutdown()


async def test_not_initialized_and_shut_down_twice() -> None:
    request = AiohttpRequest(1)
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:1/", "GET")
    await request.initialize()
    await request.initialize()  # already open: the same session
    await request.shutdown()
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:1/", "GET")


async def test_the_proxy_the_environment_names_is_used(
    api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    budi = api.user(3004, "Budi", started=True)
    # A proxy nobody listens on: a request that goes through it fails.
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    bot = _bot(api.base_url, api)
    with pytest.raises(NetworkError):
        await bot.initialize()  # getMe, through the proxy
    await bot.shutdown()
    assert api.calls == []  # never reached the Bot API
    # NO_PROXY exempts the host: straight to the Bot API.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with _bot(api.base_url, api) as bot:
        await bot.send_message(budi.id, "langsung")
    assert budi.last_bot_message().text == "langsung"


async def test_many_requests_at_once_share_the_pool(api: FakeBotApi) -> None:
    people = [api.user(3100 + n, f"Orang {n}", started=True) for n in range(20)]
    async with _bot(api.base_url, api) as bot:
        await asyncio.gather(*(bot.send_message(p.id, f"halo {p.id}") for p in people))
    assert all(p.last_bot_message().text == f"halo {p.id}" for p in people)
