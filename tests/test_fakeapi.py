"""The fake Bot API, driven by a real python-telegram-bot Application over HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import html
import socket
import struct
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonCommands,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from fakes.telegram import (
    ApiError,
    FakeBotApi,
    FakeMessage,
    Faults,
    Limits,
    parse_html,
    render_html,
)

TOKEN = "123456:TEST-fake-token"

# PTB itself reads its deprecated RetryAfter.retry_after while building the exception.
pytestmark = pytest.mark.filterwarnings(
    r"ignore:.*attribute `retry_after` will be of type:DeprecationWarning"
)

Context = ContextTypes.DEFAULT_TYPE


App = Application[Any, Any, Any, Any, Any, Any]


def build_app(api: FakeBotApi, *, rate_limiter: bool = False) -> App:
    """The real PTB Application, pointed at the fake through base_url / base_file_url."""
    builder = ApplicationBuilder().token(TOKEN).base_url(api.base_url)
    builder = builder.base_file_url(api.base_file_url)
    if rate_limiter:
        limiter = AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=3)
        return builder.rate_limiter(limiter).build()
    return builder.build()


@asynccontextmanager
async def polling(app: App) -> AsyncIterator[App]:
    """Run `app` with long polling against the fake, and shut it down cleanly."""
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=10)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(TOKEN) as fake:
        yield fake


# -- the little bot the tests talk to -----------------------------------------------------------


async def start(update: Update, context: Context) -> None:
    assert update.effective_message is not None
    payload = " ".join(context.args or []) or "-"
    await update.effective_message.reply_text(f"start payload: {payload}")


def step_keyboard(step: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Lanjut", callback_data=f"step:{step + 1}")],
            [InlineKeyboardButton("Panduan", url="https://kpu.go.id/sop")],
        ]
    )


async def menu(update: Update, context: Context) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        "<b>Langkah 1</b>: periksa segel kotak suara",
        reply_markup=step_keyboard(1),
        parse_mode=ParseMode.HTML,
    )


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    kind, _, number = query.data.partition(":")
    if kind != "step" or not number.isdigit():
        await query.answer("Tombol tidak dikenal", show_alert=True)
        return
    step = int(number)
    await query.answer(f"Langkah {step}")
    await query.edit_message_text(
        f"<b>Langkah {step}</b>: lanjutkan",
        parse_mode=ParseMode.HTML,
        reply_markup=step_keyboard(step) if step < 3 else None,
    )


async def on_document(update: Update, context: Context) -> None:
    message = update.effective_message
    assert message is not None
    assert message.document is not None
    data = await (await message.document.get_file()).download_as_bytearray()
    digest = hashlib.sha256(data).hexdigest()
    await message.reply_text(f"diterima {message.document.file_name} {len(data)} {digest}")
    await message.reply_document(message.document.file_id, caption="salinan", do_quote=True)


def sop_bot(api: FakeBotApi) -> App:
    app = build_app(api)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("menu", menu))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    return app


class Record:
    """What the bot's handlers saw, with a way to wait for it without sleeping."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._changed = asyncio.Condition()

    async def add(self, item: str) -> None:
        async with self._changed:
            self.items.append(item)
            self._changed.notify_all()

    async def wait_len(self, count: int, timeout: float = 5.0) -> list[str]:  # noqa: ASYNC109
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.items) >= count)
        return self.items


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- conversations -------------------------------------------------------------------------------


async def test_command_with_payload_and_bot_username(api: FakeBotApi) -> None:
    budi = api.user(1001, "Budi")
    async with polling(sop_bot(api)):
        sent = await budi.send("/start tps-07")
        assert sent.entities[0] == {"type": "bot_command", "offset": 0, "length": 6}
        reply = await budi.wait_for()
        assert reply.text == "start payload: tps-07"
        assert reply.from_bot

        mark = budi.mark()
        await budi.send(f"/start@{api.bot_username} kedua")
        second = await budi.wait_for(since=mark)
        assert second.text == "start payload: kedua"
        # A command addressed to another bot is not this bot's command.
        mark = budi.mark()
        await budi.send("/start@other_bot ketiga")
        await budi.send("/start terakhir")
        last = await budi.wait_for(since=mark)
        assert last.text == "start payload: terakhir"
    assert [m.text for m in budi.bot_messages].count("start payload: ketiga") == 0


async def test_inline_button_press_is_answered_and_message_edited(api: FakeBotApi) -> None:
    siti = api.user(1002, "Siti")
    async with polling(sop_bot(api)):
        await siti.send("/menu")
        menu_message = await siti.wait_for(lambda m: "Langkah 1" in m.text)
        assert menu_message.html == "<b>Langkah 1</b>: periksa segel kotak suara"
        assert menu_message.entities[0]["type"] == "bold"
        assert [[b.text for b in row] for row in menu_message.buttons] == [["Lanjut"], ["Panduan"]]
        assert menu_message.button("Panduan").url == "https://kpu.go.id/sop"

        with pytest.raises(ValueError, match=r"opens"):
            await siti.press(menu_message, "Panduan")
        answer = await siti.press(menu_message, "Lanjut")
        assert answer.text == "Langkah 2"
        assert not answer.show_alert
        edited = await siti.wait_for(lambda m: "Langkah 2" in m.text)
        assert edited is menu_message
        assert edited.edited
        assert edited.edit_history[0].text == "Langkah 1: periksa segel kotak suara"

        await siti.press(edited, "Lanjut")
        final = await siti.wait_for(lambda m: "Langkah 3" in m.text)
        # editMessageText without reply_markup removes the keyboard, as on Telegram.
        assert final.buttons == []
        with pytest.raises(LookupError):
            await siti.press(final, "Lanjut")
    assert api.unanswered_callback_queries() == []
    assert all(call.ok for call in api.calls_to("answerCallbackQuery"))


async def test_forged_press_gets_an_alert_and_no_edit(api: FakeBotApi) -> None:
    siti = api.user(1003, "Siti")
    async with polling(sop_bot(api)):
        await siti.send("/menu")
        menu_message = await siti.wait_for(lambda m: bool(m.buttons))
        answer = await siti.press_data(menu_message, "step:../../etc")
        assert answer.show_alert
        assert answer.text == "Tombol tidak dikenal"
    assert not menu_message.edited
    query = api.calls_to("answerCallbackQuery")[-1]
    assert query.params["show_alert"] is True


async def test_unanswered_press_times_out(api: FakeBotApi) -> None:
    budi = api.user(1004, "Budi", started=True)
    app = build_app(api)
    seen = asyncio.Event()

    async def ignore(update: Update, context: Context) -> None:
        seen.set()

    app.add_handler(CallbackQueryHandler(ignore))
    async with polling(app):
        message = await app.bot.send_message(
            budi.id,
            "Pilih",
            reply_markup=InlineKeyboardMarkup.from_button(
                InlineKeyboardButton("Ya", callback_data="ya")
            ),
        )
        assert message.message_id == budi.last_bot_message().message_id
        with pytest.raises(TimeoutError, match=r"did not answer"):
            await budi.press(budi.last_bot_message(), "Ya", timeout=0.3)
        assert seen.is_set()
    assert len(api.unanswered_callback_queries()) == 1


async def test_answering_twice_or_unknown_query_is_refused(api: FakeBotApi) -> None:
    budi = api.user(1005, "Budi", started=True)
    app = build_app(api)
    errors: list[str] = []

    async def answer_twice(update: Update, context: Context) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer("satu")
        try:
            await update.callback_query.answer("dua")
        except BadRequest as exc:
            errors.append(exc.message)

    app.add_handler(CallbackQueryHandler(answer_twice))
    async with polling(app):
        await app.bot.send_message(
            budi.id,
            "Pilih",
            reply_markup=InlineKeyboardMarkup.from_button(
                InlineKeyboardButton("Ya", callback_data="ya")
            ),
        )
        answer = await budi.press(budi.last_bot_message(), "Ya")
        await api.wait_for_call("answerCallbackQuery", lambda c: c.status == 400)
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await app.bot.answer_callback_query("12345")
    assert answer.text == "satu"
    assert errors
    assert "query is too old" in errors[0].lower()


# -- Telegram's validation -------------------------------------------------------------------------


async def test_html_is_parsed_like_telegram(api: FakeBotApi) -> None:
    budi = api.user(1010, "Budi", started=True)
    async with build_app(api) as app:
        bot = app.bot
        sent = await bot.send_message(
            budi.id,
            '<strong>Rekap</strong> C1 &amp; <a href="https://kpu.go.id">KPU</a> '
            '<pre><code class="language-text">x &lt; 2</code></pre> 🇮🇩 <i>selesai</i>\n\n',
            parse_mode=ParseMode.HTML,
        )
        stored = budi.last_bot_message()
        assert stored.text == sent.text == "Rekap C1 & KPU x < 2 🇮🇩 selesai"
        pre = next(e for e in sent.entities if e.type == "pre")
        assert pre.language == "text"
        # PTB writes <code class="text"> back; Telegram's documented form is class="language-".
        assert sent.text_html.replace('class="text"', 'class="language-text"') == stored.html
        assert stored.html == (
            '<b>Rekap</b> C1 &amp; <a href="https://kpu.go.id">KPU</a> '
            '<pre><code class="language-text">x &lt; 2</code></pre> 🇮🇩 <i>selesai</i>'
        )
        italic = next(e for e in stored.entities if e["type"] == "italic")
        assert italic["offset"] == 26  # UTF-16: the flag is 4 code units
        for bad, reason in [
            ("Langkah<br>2", 'Unsupported start tag "br"'),
            ("<b>tebal", 'end tag corresponding to start tag "b"'),
            ("<b>x</i>", "Unmatched end tag"),
            ("1 < 2", "Unsupported start tag"),
            ("Tom & Jerry", "unescaped"),
            ('<span class="x">a</span>', "tg-spoiler"),
        ]:
            with pytest.raises(BadRequest, match=r"(?i)can't parse entities") as caught:
                await bot.send_message(budi.id, bad, parse_mode=ParseMode.HTML)
            assert reason.lower() in caught.value.message.lower()
        with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
            await bot.send_message(budi.id, "<b> </b>\n", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await bot.send_message(budi.id, "a" * 4097)
        # 4096 characters after parsing are fine even if the HTML is longer.
        await bot.send_message(budi.id, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match=r"(?i)unsupported parse_mode"):
            await bot.send_message(budi.id, "*a*", parse_mode=ParseMode.MARKDOWN_V2)
    assert len(budi.bot_messages) == 2
    assert [c.status for c in api.calls_to("sendMessage")].count(400) == 9


async def test_keyboard_validation(api: FakeBotApi) -> None:
    budi = api.user(1011, "Budi", started=True)
    async with build_app(api) as app:
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await app.bot.send_message(
                budi.id,
                "x",
                reply_markup=InlineKeyboardMarkup.from_button(
                    InlineKeyboardButton("Terlalu panjang", callback_data="d" * 65)
                ),
            )
        # 64 bytes counted in UTF-8: 22 "é" are 44 bytes, 21 more ASCII make 65.
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await app.bot.send_message(
                budi.id,
                "x",
                reply_markup=InlineKeyboardMarkup.from_button(
                    InlineKeyboardButton("UTF-8", callback_data="é" * 22 + "a" * 21)
                ),
            )
        too_many = InlineKeyboardMarkup(
            [[InlineKeyboardButton(str(i), callback_data=str(i))] for i in range(101)]
        )
        with pytest.raises(BadRequest, match=r"(?i)reply_markup_too_long"):
            await app.bot.send_message(budi.id, "x", reply_markup=too_many)
        await app.bot.send_message(
            budi.id, "tanpa tombol", reply_markup=InlineKeyboardMarkup([[], []])
        )
        await app.bot.send_message(
            budi.id, "Nomor TPS?", reply_markup=ForceReply(input_field_placeholder="TPS 07")
        )
    empty, force = budi.bot_messages
    assert empty.buttons == []
    assert force.force_reply
    assert force.input_field_placeholder == "TPS 07"


async def test_chat_not_found_before_start_and_blocked_user(api: FakeBotApi) -> None:
    budi = api.user(1020, "Budi")
    app = build_app(api)
    member_changes = Record()

    async def on_member(update: Update, context: Context) -> None:
        assert update.my_chat_member is not None
        await member_changes.add(update.my_chat_member.new_chat_member.status)

    app.add_handler(ChatMemberHandler(on_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(CommandHandler("start", start))
    async with polling(app):
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await app.bot.send_message(budi.id, "Halo")
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await app.bot.send_message(999_999, "Halo")
        await budi.send("/start")
        await budi.wait_for()
        budi.block_bot()
        await api.idle()
        with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
            await app.bot.send_message(budi.id, "Halo lagi")
        budi.unblock_bot()
        await app.bot.send_message(budi.id, "Selamat datang kembali")
        assert await member_changes.wait_len(2) == ["kicked", "member"]
    assert [m.text for m in budi.bot_messages] == ["start payload: -", "Selamat datang kembali"]


async def test_edit_not_modified_and_missing_messages(api: FakeBotApi) -> None:
    budi = api.user(1030, "Budi", started=True)
    async with build_app(api) as app:
        keyboard = step_keyboard(1)
        message = await app.bot.send_message(budi.id, "Langkah 1", reply_markup=keyboard)
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await message.edit_text("Langkah 1", reply_markup=keyboard)
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await message.edit_reply_markup(keyboard)
        # Same text but the keyboard goes away: that is a modification.
        await message.edit_text("Langkah 1")
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await app.bot.edit_message_text("x", chat_id=budi.id, message_id=999)
        assert await message.delete()
        with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
            await message.delete()
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await message.edit_text("sudah dihapus")
    (stored,) = budi.messages
    assert stored.deleted
    assert stored.edited
    assert stored.buttons == []
    assert budi.bot_messages == []


async def test_document_round_trip(api: FakeBotApi) -> None:
    siti = api.user(1040, "Siti")
    content = b"%PDF-1.4\n" + bytes(range(256)) * 40
    async with polling(sop_bot(api)):
        await siti.send("/start")
        await siti.wait_for()
        mark = siti.mark()
        upload = await siti.send_document("berita-acara.pdf", content, caption="C1 TPS 07")
        receipt = await siti.wait_for(lambda m: m.text.startswith("diterima"), since=mark)
        copy = await siti.wait_for(lambda m: m.document is not None, since=mark)
    digest = hashlib.sha256(content).hexdigest()
    assert receipt.text == f"diterima berita-acara.pdf {len(content)} {digest}"
    assert copy.caption == "salinan"
    assert upload.document is not None
    assert copy.document is not None
    assert copy.document.file_id == upload.document.file_id
    assert copy.document.content == content
    assert copy.document.mime_type == "application/pdf"
    assert copy.reply_to_message_id == upload.message_id


async def test_bot_uploads_and_file_errors(api: FakeBotApi) -> None:
    budi = api.user(1041, "Budi", started=True)
    async with build_app(api) as app:
        sent = await app.bot.send_document(
            budi.id,
            b"Nama,TPS\nBudi,07\n",
            filename="rekap.csv",
            caption="<b>rekap</b>",
            parse_mode=ParseMode.HTML,
        )
        assert sent.document is not None
        assert sent.document.file_name == "rekap.csv"
        assert sent.caption_html == "<b>rekap</b>"
        photo = await app.bot.send_photo(budi.id, png(3, 2))
        assert (photo.photo[-1].width, photo.photo[-1].height) == (3, 2)
        downloaded = await (await app.bot.get_file(sent.document.file_id)).download_as_bytearray()
        assert bytes(downloaded) == b"Nama,TPS\nBudi,07\n"
        with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
            await app.bot.get_file("BQAC-not-a-file")
        with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
            await app.bot.send_document(budi.id, "BQAC-not-a-file")
        with pytest.raises(BadRequest, match=r"(?i)type of file mismatch"):
            await app.bot.send_document(budi.id, photo.photo[-1].file_id)
        with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
            await app.bot.send_photo(budi.id, b"not an image")
    document, picture = budi.bot_messages
    assert document.document is not None
    assert document.document.mime_type == "text/csv"
    assert picture.photo is not None
    assert picture.photo.content == png(3, 2)


async def test_commands_are_stored_per_scope_and_language(api: FakeBotApi) -> None:
    async with build_app(api) as app:
        commands = [BotCommand("mulai", "Mulai SOP"), BotCommand("bantuan", "Bantuan")]
        await app.bot.set_my_commands(
            commands, scope=BotCommandScopeAllPrivateChats(), language_code="id"
        )
        await app.bot.set_my_commands([BotCommand("start", "Start")])
        assert await app.bot.get_my_commands(
            scope=BotCommandScopeAllPrivateChats(), language_code="id"
        ) == tuple(commands)
        with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
            await app.bot.set_my_commands([BotCommand("Mulai", "huruf besar")])
        await app.bot.delete_my_commands()
    assert api.commands({"type": "all_private_chats"}, "id") == [
        ("mulai", "Mulai SOP"),
        ("bantuan", "Bantuan"),
    ]
    assert api.commands() == []


async def test_http_surface(api: FakeBotApi) -> None:
    base = api.base_url + TOKEN
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/GETME") as response:
            body = await response.json()
            assert response.status == 200
            assert body["result"]["username"] == api.bot_username
        async with session.post(f"{base}/noSuchMethod") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        async with session.post(f"{api.base_url}654321:wrong/getMe") as response:
            assert response.status == 401
            text = await response.text()
            assert "654321:wrong" not in text
            assert "Unauthorized" in text
        budi = api.user(1050, "Budi", started=True)
        payload = {
            "chat_id": budi.id,
            "text": "lewat JSON",
            "reply_markup": {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]},
        }
        async with session.post(f"{base}/sendMessage", json=payload) as response:
            assert (await response.json())["result"]["reply_markup"]["inline_keyboard"]
        async with session.get(
            f"{base}/sendMessage", params={"chat_id": str(budi.id), "text": "lewat query"}
        ) as response:
            assert response.status == 200
    # PTB does not close its HTTP clients when initialize() fails, so this test owns them.
    requests = HTTPXRequest(), HTTPXRequest()
    wrong = Bot(
        "654321:wrong", base_url=api.base_url, request=requests[0], get_updates_request=requests[1]
    )
    try:
        with pytest.raises(InvalidToken):
            await wrong.initialize()
    finally:
        for request in requests:
            await request.shutdown()
    assert [m.text for m in budi.bot_messages] == ["lewat JSON", "lewat query"]
    assert budi.bot_messages[0].buttons[0][0].callback_data == "ok"


# -- getUpdates and webhooks --------------------------------------------------------------------


async def test_long_poll_returns_when_an_update_arrives(api: FakeBotApi) -> None:
    budi = api.user(1060, "Budi")
    async with build_app(api) as app:
        poll = asyncio.create_task(app.bot.get_updates(timeout=30))
        # The request has reached the fake and is waiting there.
        await api.wait_for_call("getUpdates", lambda c: not c.done, answered=False)
        assert not poll.done()
        await budi.send("/start")
        updates = await asyncio.wait_for(poll, 5)  # far less than the 30 s long poll
        assert [u.message.text for u in updates if u.message] == ["/start"]
        # Not confirmed yet: the same update comes again until the offset moves past it.
        again = await app.bot.get_updates(timeout=0)
        assert [u.update_id for u in again] == [updates[0].update_id]
        assert await app.bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()
        await api.idle()

        # A second instance of the bot polling ends the first one's long poll, as on Telegram.
        first = asyncio.create_task(app.bot.get_updates(timeout=30))
        await api.wait_for_call("getUpdates", lambda c: not c.done, answered=False)
        async with Bot(TOKEN, base_url=api.base_url) as other_instance:
            assert await other_instance.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
            await first


async def test_allowed_updates_filter(api: FakeBotApi) -> None:
    budi = api.user(1061, "Budi", started=True)
    async with build_app(api) as app:
        await app.bot.get_updates(allowed_updates=["callback_query"], timeout=0)
        await budi.send("diabaikan")
        assert api.pending_updates() == []
        await app.bot.get_updates(allowed_updates=[], timeout=0)
        await budi.send("diterima")
        assert [u["message"]["text"] for u in api.pending_updates()] == ["diterima"]


async def test_webhook_delivery_with_secret(api: FakeBotApi) -> None:
    siti = api.user(1070, "Siti")
    port = free_port()
    app = sop_bot(api)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    try:
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            webhook_url=f"http://127.0.0.1:{port}/hook",
            secret_token="rahasia-123",
        )
        assert api.webhook_url() == f"http://127.0.0.1:{port}/hook"
        with pytest.raises(Conflict, match=r"(?i)webhook is active"):
            await app.bot.get_updates()
        await siti.send("/start lewat-webhook")
        reply = await siti.wait_for()
        assert reply.text == "start payload: lewat-webhook"
        await api.idle()
        info = await app.bot.get_webhook_info()
        assert info.pending_update_count == 0
        assert info.last_error_message is None

        async with aiohttp.ClientSession() as session:
            fake_update = {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": siti.id, "type": "private"},
                    "text": "/start palsu",
                },
            }
            for headers in ({"X-Telegram-Bot-Api-Secret-Token": "salah"}, {}):
                async with session.post(
                    f"http://127.0.0.1:{port}/hook", json=fake_update, headers=headers
                ) as response:
                    assert response.status == 403
        await app.updater.stop()
        # The webhook stays set and the fake keeps retrying while the bot is away.
        await siti.send("/start nanti")
        error = await api.webhook_error()
        assert error.startswith("Connection failed")
        info = await app.bot.get_webhook_info()
        assert info.pending_update_count == 1
        assert info.last_error_message == error
    finally:
        if app.updater.running:
            await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert "start payload: palsu" not in [m.text for m in siti.messages]
    webhook_call = api.calls_to("setWebhook")[-1]
    assert webhook_call.params["secret_token"] == "rahasia-123"


async def test_webhook_rules_outside_loopback(api: FakeBotApi) -> None:
    async with build_app(api) as app:
        with pytest.raises(BadRequest, match=r"(?i)https url must be provided"):
            await app.bot.set_webhook("http://sopbot.example.id/hook")
        with pytest.raises(BadRequest, match=r"(?i)ports 80, 88, 443 or 8443"):
            await app.bot.set_webhook("https://sopbot.example.id:9000/hook")
        assert await app.bot.set_webhook("https://sopbot.example.id/hook")
        assert await app.bot.delete_webhook()
        assert await app.bot.get_updates(timeout=0) == ()


# -- groups ------------------------------------------------------------------------------------


async def test_group_add_bot_and_privacy_mode(api: FakeBotApi) -> None:
    ketua = api.user(1080, "Ketua")
    group = api.group(-100200, "PPS Kelurahan Menteng")
    app = build_app(api)
    seen = Record()

    async def on_member(update: Update, context: Context) -> None:
        assert update.my_chat_member is not None
        await seen.add(f"member:{update.my_chat_member.new_chat_member.status}")

    async def on_message(update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None
        if message.new_chat_members:
            await seen.add("joined")
        elif message.text:
            await seen.add(message.text)

    app.add_handler(ChatMemberHandler(on_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.ALL, on_message))
    async with polling(app):
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await app.bot.send_message(group.id, "belum masuk")
        await group.add_bot(by=ketua)
        await group.send(ketua, "obrolan biasa")
        await group.send(ketua, "/start rapat")
        reply = await group.wait_for()
        assert reply.text == "start payload: rapat"
        await group.send(ketua, "balasan ke bot", reply_to=reply)
        await seen.wait_len(3)
        await group.remove_bot(by=ketua)
        await seen.wait_len(4)
        with pytest.raises(Forbidden, match=r"(?i)kicked"):
            await app.bot.send_message(group.id, "masih di sini?")
        # The bot now knows Ketua, who never started it: Telegram's wording changes.
        with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
            await app.bot.send_message(ketua.id, "halo")
    assert seen.items == ["member:member", "joined", "balasan ke bot", "member:kicked"]
    assert [m.text for m in group.messages if not m.service] == [
        "obrolan biasa",
        "/start rapat",
        "start payload: rapat",
        "balasan ke bot",
    ]


# -- limits and faults -----------------------------------------------------------------------------


async def test_flood_limits_answer_429_and_rate_limiter_gets_through() -> None:
    limits = Limits(per_bot_per_second=30, per_chat_per_second=2, per_group_per_minute=20)
    async with FakeBotApi(TOKEN, limits=limits) as api:
        budi = api.user(1090, "Budi", started=True)
        async with build_app(api) as plain:
            await plain.bot.send_message(budi.id, "1")
            await plain.bot.send_message(budi.id, "2")
            with pytest.raises(RetryAfter, match=r"(?i)retry in"):
                await plain.bot.send_message(budi.id, "3")
        refused = [c for c in api.calls if c.status == 429]
        assert len(refused) == 1
        assert api.rate_limited == 1
        assert refused[0].description == "Too Many Requests: retry after 1"

        siti = api.user(1091, "Siti", started=True)
        async with build_app(api, rate_limiter=True) as app:
            await asyncio.gather(*(app.bot.send_message(siti.id, f"pesan {i}") for i in range(4)))
        assert sorted(m.text for m in siti.bot_messages) == [f"pesan {i}" for i in range(4)]
        assert api.rate_limited >= 3
        api.limits = None  # limits can be switched off at run time
        async with build_app(api) as plain:
            for i in range(5):
                await plain.bot.send_message(budi.id, f"bebas {i}")


async def test_group_minute_limit_reports_seconds_until_free() -> None:
    limits = Limits(per_chat_per_second=100, per_group_per_minute=2)
    async with FakeBotApi(TOKEN, limits=limits) as api:
        ketua = api.user(1092, "Ketua")
        group = api.group(-100300, "PPK")
        await group.add_bot(by=ketua)
        async with build_app(api) as app:
            await app.bot.send_message(group.id, "1")
            await app.bot.send_message(group.id, "2")
            with pytest.raises(RetryAfter):
                await app.bot.send_message(group.id, "3")
    (refused,) = [c for c in api.calls if c.status == 429]
    assert refused.description is not None
    seconds = int(refused.description.rsplit(" ", 1)[1])
    assert 55 <= seconds <= 60


async def test_faults_fail_before_the_effect(api: FakeBotApi) -> None:
    budi = api.user(1100, "Budi", started=True)
    async with build_app(api) as app:
        api.faults = Faults(share=1.0, kinds=("5xx",))
        with pytest.raises(NetworkError):
            await app.bot.send_message(budi.id, "lewat 5xx")
        api.faults = Faults(share=1.0, kinds=("drop",))
        with pytest.raises(NetworkError):
            await app.bot.send_message(budi.id, "lewat drop")
        api.faults = Faults(share=1.0, kinds=("429",))
        with pytest.raises(RetryAfter):
            await app.bot.send_message(budi.id, "lewat 429")
        assert budi.messages == []
        api.faults = Faults(share=1.0, kinds=("drop_after",))
        with pytest.raises(NetworkError):
            await app.bot.send_message(budi.id, "terkirim tapi jawabannya hilang")
        api.faults = Faults(share=1.0, kinds=("5xx",), methods=["getChat"])
        await app.bot.send_message(budi.id, "getChat saja yang gagal")
        with pytest.raises(NetworkError):
            await app.bot.get_chat(budi.id)
        api.faults = None
        chat = await app.bot.get_chat(budi.id)
        assert chat.first_name == "Budi"
    assert [m.text for m in budi.bot_messages] == [
        "terkirim tapi jawabannya hilang",
        "getChat saja yang gagal",
    ]
    assert api.faults_injected == {"5xx": 2, "drop": 1, "429": 1, "drop_after": 1}
    dropped = [c for c in api.calls if c.fault in {"drop", "drop_after"}]
    assert [c.status for c in dropped] == [0, 0]


async def test_faults_are_repeatable_for_a_seed() -> None:
    async def run(seed: int) -> list[str | None]:
        async with FakeBotApi(TOKEN, seed=seed) as api:
            budi = api.user(1110, "Budi", started=True)
            async with build_app(api) as app:
                api.faults = Faults(share=0.5, kinds=("429", "5xx"))
                for i in range(12):
                    try:
                        await app.bot.send_message(budi.id, str(i))
                    except (RetryAfter, NetworkError):
                        pass
            return [c.fault for c in api.calls_to("sendMessage")]

    first, again, other = await run(7), await run(7), await run(8)
    assert first == again
    assert first != other
    assert None in first
    assert {"429", "5xx"} & set(first)


async def test_polling_survives_faults_on_get_updates() -> None:
    async with FakeBotApi(
        TOKEN, faults=Faults(share=0.5, kinds=("5xx",), methods=["getUpdates"])
    ) as api:
        budi = api.user(1120, "Budi")
        async with polling(sop_bot(api)):
            for payload in ("a", "b", "c"):
                await budi.send(f"/start {payload}")
            await budi.wait_for(lambda m: m.text == "start payload: c")
        assert [m.text for m in budi.bot_messages] == [
            "start payload: a",
            "start payload: b",
            "start payload: c",
        ]
        assert api.faults_injected["5xx"] >= 1


def test_constructors_refuse_strange_input() -> None:
    api = FakeBotApi(TOKEN)
    with pytest.raises(ValueError, match=r"positive"):
        api.user(0, "Nol")
    with pytest.raises(ValueError, match=r"negative"):
        api.group(5, "Bukan grup")
    with pytest.raises(ValueError, match="unknown"):
        Faults(kinds=("meteor",))
    with pytest.raises(RuntimeError):
        _ = api.base_url
    message = FakeMessage(message_id=1, chat_id=1, from_bot=True, sender_id=1, date=0)
    with pytest.raises(LookupError, match=r"no button"):
        message.button("Lanjut")


async def test_slow_fault_delays_but_delivers(api: FakeBotApi) -> None:
    budi = api.user(1130, "Budi", started=True)
    async with build_app(api) as app:
        api.faults = Faults(share=1.0, kinds=("slow",), slow_seconds=0.05)
        await app.bot.send_message(budi.id, "pelan tapi sampai")
    assert budi.last_bot_message().text == "pelan tapi sampai"
    assert api.faults_injected == {"slow": 1}


# -- several bots, groups, helpers -------------------------------------------------------------


async def test_each_token_is_its_own_bot() -> None:
    other_token = "654321:TEST-second-bot"
    async with FakeBotApi([TOKEN, other_token]) as api:
        first_app = sop_bot(api)
        second = ApplicationBuilder().token(other_token).base_url(api.base_url).build()

        async def who(update: Update, context: Context) -> None:
            assert update.effective_message is not None
            await update.effective_message.reply_text(f"saya @{context.bot.username}")

        second.add_handler(CommandHandler("start", who))
        budi_first = api.user(1140, "Budi")
        budi_second = api.user(1140, "Budi", bot="sopbot_test2_bot")
        async with polling(first_app), polling(second):
            assert second.bot.id == 654321
            await budi_second.send("/start")
            reply = await budi_second.wait_for()
            assert reply.text == "saya @sopbot_test2_bot"
            # The first bot never heard from Budi: its chat with him is not started.
            with pytest.raises(BadRequest, match=r"(?i)chat not found"):
                await first_app.bot.send_message(budi_first.id, "halo")
        assert budi_first.messages == []


async def test_press_in_a_group(api: FakeBotApi) -> None:
    ketua = api.user(1150, "Ketua")
    anggota = api.user(1151, "Anggota")
    group = api.group(-1001234567890, "PPK Supergrup")
    async with polling(sop_bot(api)) as app:
        await group.add_bot(by=ketua)
        await group.send(anggota, "/menu")
        menu_message = await group.wait_for(lambda m: bool(m.buttons))
        answer = await anggota.press(menu_message, "Lanjut")
        assert answer.text == "Langkah 2"
        await group.wait_for(lambda m: "Langkah 2" in m.text)
        chat = await app.bot.get_chat(group.id)
    assert chat.type == "supergroup"
    assert menu_message.reply_to_message_id is not None  # PTB quotes in groups
    assert anggota.messages == []  # nothing went to Anggota's private chat


def test_html_error_offsets_are_utf8_bytes() -> None:
    with pytest.raises(ApiError) as caught:
        parse_html("Kotak 🗳 <x>")
    assert caught.value.status == 400
    assert caught.value.description == (
        'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 11'
    )


_TAGS = ["b", "i", "u", "s", "tg-spoiler", "code", "blockquote", 'a href="https://kpu.go.id"']


def _html_trees() -> st.SearchStrategy[str]:
    text = st.text(alphabet=st.characters(codec="utf-8"), max_size=8).map(
        lambda s: html.escape(s, quote=False)
    )

    def wrap(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.tuples(st.sampled_from(_TAGS), st.lists(children, max_size=3)).map(
            lambda pair: f"<{pair[0]}>{''.join(pair[1])}</{pair[0].split()[0]}>"
        )

    return st.recursive(text, wrap, max_leaves=8)


@given(st.lists(_html_trees(), max_size=4).map("".join))
def test_html_survives_parse_render_parse(source: str) -> None:
    text, entities = parse_html(source)
    rendered = render_html(text, entities)
    assert parse_html(rendered) == (text, entities)


@given(st.text(alphabet=st.characters(codec="utf-8")))
def test_escaped_plain_text_has_no_entities(plain: str) -> None:
    assert parse_html(html.escape(plain, quote=False)) == (plain, [])


async def test_group_upgraded_to_supergroup(api: FakeBotApi) -> None:
    ketua = api.user(1160, "Ketua")
    group = api.group(-4001, "PPS Desa")
    app = build_app(api)
    seen = Record()

    async def on_service(update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None
        await seen.add(f"{message.migrate_to_chat_id}/{message.migrate_from_chat_id}")

    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_service))
    async with polling(app):
        await group.add_bot(by=ketua)
        supergroup = await group.migrate_to_supergroup(by=ketua)
        assert supergroup.id == -1000000004001
        with pytest.raises(ChatMigrated) as caught:
            await app.bot.send_message(group.id, "ke grup lama")
        assert caught.value.new_chat_id == supergroup.id
        await app.bot.send_message(supergroup.id, "ke supergrup")
        assert await seen.wait_len(2) == ["-1000000004001/None", "None/-4001"]
    assert supergroup.last_bot_message().text == "ke supergrup"


async def test_chat_actions_menu_button_close_and_log_out(api: FakeBotApi) -> None:
    budi = api.user(1170, "Budi", started=True)
    async with build_app(api) as app:
        assert await app.bot.send_chat_action(budi.id, ChatAction.UPLOAD_DOCUMENT)
        with pytest.raises(BadRequest, match=r"(?i)wrong parameter action"):
            await app.bot.send_chat_action(budi.id, "dancing")
        assert await app.bot.set_chat_menu_button(chat_id=budi.id, menu_button=MenuButtonCommands())
        assert isinstance(await app.bot.get_chat_menu_button(budi.id), MenuButtonCommands)
        assert await app.bot.close()
        assert await app.bot.log_out()
    assert budi.chat_actions == ["upload_document"]
    assert [c.method for c in api.calls][-2:] == ["close", "logOut"]
