"""The fake WhatsApp Cloud API, driven by a real pywa_async client over HTTP.

pywa's session goes to https://graph.facebook.com; a small transport sends it to the fake, path
kept, the way the bot does. A webhook receiver (aiohttp) in front of pywa checks every POST with
pywa's own validator and hands it to pywa's update handler, so what the fake sends is what pywa
parses.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web
from pywa.types.callback import Button, Section, SectionList, SectionRow, URLButton
from pywa.types.message_status import MessageStatusType
from pywa.types.others import MessageType, Pagination
from pywa.types.templates import BaseParams
from pywa.utils import webhook_updates_validator
from pywa_async.client import WhatsApp
from pywa_async.errors import (
    ExpiredAccessToken,
    InvalidParameter,
    RateLimitHit,
    ReEngagementMessage,
    TemplateNotExists,
    TemplateParamCountMismatch,
    TooManyMessages,
    WhatsAppError,
)
from pywa_async.handlers import (
    CallbackButtonHandler,
    CallbackSelectionHandler,
    MessageHandler,
    MessageStatusHandler,
    RawUpdateHandler,
    TemplateStatusUpdateHandler,
)
from pywa_async.types import templates as t
from pywa_async.types.callback import CallbackButton, CallbackSelection
from pywa_async.types.message import Message
from pywa_async.types.message_status import MessageStatus

from bot.clock import FakeClock
from fakes.whatsapp import (
    FakeWaUser,
    FakeWhatsAppApi,
    Faults,
    Limits,
    WebhookEvent,
)

PHONE_ID = "1234567890"
WABA_ID = "9876543210"
TOKEN = "EAAtest-fake-token"
APP_SECRET = "app-secret-for-tests"
VERIFY_TOKEN = "verify-me"
T0 = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)  # Senin 08.00 WIB
PDF = b"%PDF-1.4\n% laporan\n" + bytes(range(256))
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"


class GraphRewrite(httpx.AsyncBaseTransport):
    """Sends https://graph.facebook.com/... to the fake, path and query kept."""

    def __init__(self, base_url: str) -> None:
        self._target = httpx.URL(base_url)
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "graph.facebook.com":
            request.url = request.url.copy_with(
                scheme=self._target.scheme, host=self._target.host, port=self._target.port
            )
            request.headers["Host"] = self._target.netloc.decode("ascii")
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass
class Receiver:
    """The bot's webhook endpoint: pywa's challenge handler, validator and update handler."""

    wa: WhatsApp
    bodies: list[bytes] = field(default_factory=list)
    signature_ok: list[bool] = field(default_factory=list)
    updates: list[Any] = field(default_factory=list)
    raw: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0
    challenge_override: str | None = None
    runner: web.AppRunner | None = None
    port: int = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/wa", self._challenge)
        app.router.add_post("/wa", self._update)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self.runner.addresses[0][1])

        async def record(_: Any, update: Any) -> None:
            self.updates.append(update)

        async def record_raw(_: Any, update: Any) -> None:
            self.raw.append(dict(update))

        self.wa.add_handlers(
            MessageHandler(record),
            CallbackButtonHandler(record),
            CallbackSelectionHandler(record),
            MessageStatusHandler(record),
            TemplateStatusUpdateHandler(record),
            RawUpdateHandler(record_raw),
        )

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/wa"

    async def _challenge(self, request: web.Request) -> web.Response:
        challenge, status = await self.wa.webhook_challenge_handler(
            vt=request.query.get("hub.verify_token"), ch=request.query.get("hub.challenge")
        )
        if self.challenge_override is not None:
            challenge = self.challenge_override
        return web.Response(text=challenge or "", status=status)

    async def _update(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.bodies.append(body)
        if self.fail_next > 0:
            self.fail_next -= 1
            return web.Response(text="busy", status=500)
        signature = request.headers.get("X-Hub-Signature-256")
        self.signature_ok.append(
            signature is not None and webhook_updates_validator(APP_SECRET, body, signature)
        )
        refused = await self.wa.webhook_update_validator(body, signature)
        if refused is not None:
            return web.Response(text=refused[0], status=refused[1])
        text, status = await self.wa.webhook_update_handler(body)
        return web.Response(text=text, status=status)

    def of_type(self, kind: type[Any]) -> list[Any]:
        return [u for u in self.updates if isinstance(u, kind)]


@dataclass
class Env:
    api: FakeWhatsAppApi
    wa: WhatsApp
    receiver: Receiver
    clock: FakeClock

    async def opened(self, wa_id: str = "6281234567890", name: str = "Budi") -> FakeWaUser:
        """A person who has just written, so the 24-hour window is open."""
        person = self.api.person(wa_id, name)
        await person.send("halo")
        return person

    async def delivered(self, predicate: Callable[[WebhookEvent], bool]) -> WebhookEvent:
        """The first delivered webhook event matching `predicate` (the receiver has handled it
        by the time the fake counts it delivered)."""
        return await self.api.wait_for_event(predicate)


def make_client(api: FakeWhatsAppApi, *, token: str = TOKEN) -> WhatsApp:
    return WhatsApp(
        phone_id=PHONE_ID,
        token=token,
        session=httpx.AsyncClient(transport=GraphRewrite(api.base_url)),
        api_version="23.0",
        app_secret=APP_SECRET,
        verify_token=VERIFY_TOKEN,
        validate_updates=True,
        waba_id=WABA_ID,
    )


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    clock = FakeClock(T0)
    async with FakeWhatsAppApi(
        phone_number_id=PHONE_ID,
        waba_id=WABA_ID,
        access_token=TOKEN,
        app_secret=APP_SECRET,
        clock=clock,
    ) as api:
        wa = make_client(api)
        receiver = Receiver(wa)
        await receiver.start()
        try:
            assert await api.configure_webhook(receiver.url, VERIFY_TOKEN)
            yield Env(api, wa, receiver, clock)
        finally:
            await receiver.stop()
            await wa.api._session.aclose()


def body_params(*values: str) -> BaseParams:
    """BodyText parameters (pywa's params() is called on the class, which mypy cannot type)."""
    body: Any = t.BodyText
    params: BaseParams = body.params(*values)
    return params


def status_event(message_id: str, status: str) -> Callable[[WebhookEvent], bool]:
    def match(event: WebhookEvent) -> bool:
        return any(
            s.get("id") == message_id and s.get("status") == status
            for s in event.value.get("statuses", [])
        )

    return match


def errors_of(event: WebhookEvent) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = event.value["statuses"][0]["errors"]
    return errors


# --------------------------------------------------------------------------------------------
# Sending each message type, read back as the person
# --------------------------------------------------------------------------------------------


async def test_text_reaches_the_person_with_sent_and_delivered_statuses(env: Env) -> None:
    budi = await env.opened()
    mark = budi.mark()
    sent = await env.wa.send_message(to=budi.wa_id, text="Selamat pagi, *Budi*")
    message = await budi.wait_for(since=mark)
    assert message.id == sent.id
    assert (message.type, message.text) == ("text", "Selamat pagi, *Budi*")
    assert sent.chat.id == budi.wa_id
    assert sent.input == budi.wa_id
    await env.delivered(status_event(sent.id, "delivered"))
    statuses = [s for s in env.receiver.of_type(MessageStatus) if s.id == sent.id]
    assert [s.status for s in statuses] == [
        MessageStatusType.SENT,
        MessageStatusType.DELIVERED,
    ]
    assert statuses[0].from_user.bsuid == budi.user_id
    assert statuses[0].pricing is not None
    assert not statuses[0].pricing.billable
    await budi.read(message)
    await env.delivered(status_event(sent.id, "read"))
    assert env.receiver.of_type(MessageStatus)[-1].status == MessageStatusType.READ
    assert message.status == "read"


async def test_interactive_buttons_list_and_url_as_the_person_sees_them(env: Env) -> None:
    budi = await env.opened()
    buttons = await env.wa.send_message(
        to=budi.wa_id,
        text="Laporan sudah diterima?",
        header="Langkah 2",
        footer="KPU Kapuas",
        buttons=[
            Button(title="Sudah", callback_data="step2:yes"),
            Button(title="Belum", callback_data="step2:no"),
        ],
    )
    sections = SectionList(
        button_title="Pilih kecamatan",
        sections=[
            Section(
                title="Utara",
                rows=[
                    SectionRow(title="Kapuas Murung", callback_data="kec:1"),
                    SectionRow(title="Mantangai", callback_data="kec:2", description="Dapil 3"),
                ],
            ),
            Section(title="Selatan", rows=[SectionRow(title="Selat", callback_data="kec:3")]),
        ],
    )
    listed = await env.wa.send_message(to=budi.wa_id, text="Kecamatan mana?", buttons=sections)
    link = await env.wa.send_message(
        to=budi.wa_id,
        text="Formulir ada di sini",
        buttons=URLButton(title="Buka formulir", url="https://kpu.example/form?id=7"),
    )
    first, second, third = budi.messages[-3:]
    assert [first.id, second.id, third.id] == [buttons.id, listed.id, link.id]
    assert (first.interactive_type, first.text, first.header, first.footer) == (
        "button",
        "Laporan sudah diterima?",
        "Langkah 2",
        "KPU Kapuas",
    )
    assert first.buttons == ["Sudah", "Belum"]
    assert first.button_ids == ["step2:yes", "step2:no"]
    assert second.list_button == "Pilih kecamatan"
    assert [(r.title, r.id, r.description, r.section) for r in second.rows] == [
        ("Kapuas Murung", "kec:1", None, "Utara"),
        ("Mantangai", "kec:2", "Dapil 3", "Utara"),
        ("Selat", "kec:3", None, "Selatan"),
    ]
    assert third.url_button is not None
    assert (third.url_button.text, third.url_button.url) == (
        "Buka formulir",
        "https://kpu.example/form?id=7",
    )


async def test_pressing_and_choosing_reach_pywa_as_callbacks(env: Env) -> None:
    budi = await env.opened()
    sent = await env.wa.send_message(
        to=budi.wa_id,
        text="Lanjut?",
        buttons=[Button(title="Lanjut", callback_data="go")],
    )
    menu = await budi.wait_for(lambda m: m.id == sent.id)
    press = await budi.press(menu, "Lanjut")
    await env.delivered(lambda e: e.kind == "message" and e.value["messages"][0]["id"] == press.id)
    (button,) = env.receiver.of_type(CallbackButton)
    assert (button.data, button.title, button.is_quick_reply) == ("go", "Lanjut", False)
    assert button.reply_to_message is not None
    assert button.reply_to_message.id == sent.id
    assert button.from_user.wa_id == budi.wa_id
    assert button.from_user.bsuid == budi.user_id

    listed = await env.wa.send_message(
        to=budi.wa_id,
        text="Pilih",
        buttons=SectionList(
            button_title="Daftar",
            sections=[
                Section(
                    title="Tugas",
                    rows=[SectionRow(title="Rekap", callback_data="t:1", description="C1")],
                )
            ],
        ),
    )
    choice = await budi.choose(budi.last_message(), "Rekap")
    await env.delivered(lambda e: e.kind == "message" and e.value["messages"][0]["id"] == choice.id)
    (selection,) = env.receiver.of_type(CallbackSelection)
    assert (selection.data, selection.title, selection.description) == ("t:1", "Rekap", "C1")
    assert selection.reply_to_message.id == listed.id
    with pytest.raises(LookupError, match="no row"):
        await budi.choose(budi.last_message(), "Tidak ada")


async def test_documents_and_images_by_upload_and_replies_by_bsuid(env: Env) -> None:
    budi = await env.opened()
    doc = await env.wa.send_document(
        to=budi.wa_id,
        document=PDF,
        filename="laporan.pdf",
        caption="Laporan minggu ini",
        mime_type="application/pdf",
    )
    image = await env.wa.send_image(to=budi.user_id, image=JPEG, mime_type="image/jpeg")
    document_message, image_message = budi.messages[-2:]
    assert document_message.id == doc.id
    assert document_message.document is not None
    assert document_message.document.content == PDF
    assert document_message.document.filename == "laporan.pdf"
    assert document_message.document.mime_type == "application/pdf"
    assert (document_message.text, document_message.caption) == (
        "Laporan minggu ini",
        "Laporan minggu ini",
    )
    assert image_message.id == image.id
    assert image_message.image is not None
    assert image_message.image.content == JPEG
    assert image_message.caption is None
    # Sent to the business-scoped user id: the answer names the user id, not the phone number.
    assert image.chat.id == budi.user_id
    assert [c.kind for c in env.api.calls if c.ok][-4:] == [
        "upload_media",
        "send_message",
        "upload_media",
        "send_message",
    ]


async def test_mark_as_read_and_typing_indicator(env: Env) -> None:
    budi = env.api.person("6281234567890", "Budi")
    inbound = await budi.send("ada yang bisa dibantu?")
    await env.delivered(lambda e: e.kind == "message")
    (message,) = env.receiver.of_type(Message)
    assert message.text == "ada yang bisa dibantu?"
    assert message.id == inbound.id
    assert await env.wa.mark_message_as_read(message_id=inbound.id)
    assert inbound.read_by_business
    await env.wa.indicate_typing(message_id=inbound.id)
    assert inbound.typing_indicator
    with pytest.raises(WhatsAppError) as error:
        await env.wa.mark_message_as_read(message_id="wamid.not-there")
    assert error.value.code == 100


# --------------------------------------------------------------------------------------------
# Limits: refused with the Cloud API's codes, nothing delivered
# --------------------------------------------------------------------------------------------


def too_long_payloads() -> list[tuple[str, dict[str, Any]]]:
    def buttons(*titles: str, ids: list[str] | None = None) -> dict[str, Any]:
        return {
            "type": "button",
            "body": {"text": "Pilih"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": (ids or list(titles))[i], "title": title}}
                    for i, title in enumerate(titles)
                ]
            },
        }

    def rows(count: int, **row: str) -> dict[str, Any]:
        return {
            "type": "list",
            "body": {"text": "Pilih"},
            "action": {
                "button": "Daftar",
                "sections": [
                    {
                        "title": "S",
                        "rows": [{"id": f"r{i}", "title": f"Row {i}", **row} for i in range(count)],
                    }
                ],
            },
        }

    return [
        ("text", {"type": "text", "text": {"body": "x" * 4097}}),
        ("four buttons", {"type": "interactive", "interactive": buttons("A", "B", "C", "D")}),
        ("long title", {"type": "interactive", "interactive": buttons("x" * 21)}),
        ("long id", {"type": "interactive", "interactive": buttons("A", ids=["i" * 257])}),
        ("same ids", {"type": "interactive", "interactive": buttons("A", "B", ids=["x", "x"])}),
        (
            "long body",
            {
                "type": "interactive",
                "interactive": {**buttons("A"), "body": {"text": "b" * 1025}},
            },
        ),
        (
            "long header",
            {
                "type": "interactive",
                "interactive": {**buttons("A"), "header": {"type": "text", "text": "h" * 61}},
            },
        ),
        (
            "long footer",
            {"type": "interactive", "interactive": {**buttons("A"), "footer": {"text": "f" * 61}}},
        ),
        ("eleven rows", {"type": "interactive", "interactive": rows(11)}),
        ("long row title", {"type": "interactive", "interactive": rows(1, title="t" * 25)}),
        (
            "long row description",
            {"type": "interactive", "interactive": rows(1, description="d" * 73)},
        ),
        (
            "long cta text",
            {
                "type": "interactive",
                "interactive": {
                    "type": "cta_url",
                    "body": {"text": "Buka"},
                    "action": {
                        "name": "cta_url",
                        "parameters": {"display_text": "x" * 21, "url": "https://kpu.example"},
                    },
                },
            },
        ),
    ]


async def test_every_limit_is_refused_with_131009_and_delivers_nothing(env: Env) -> None:
    budi = await env.opened()
    events_before = len(env.api.events)
    for label, payload in too_long_payloads():
        request = {"messaging_product": "whatsapp", "to": budi.wa_id, **payload}
        with pytest.raises(InvalidParameter) as error:
            await env.wa.api.send_raw_request("POST", f"/{PHONE_ID}/messages", json=request)
        assert error.value.code == 131009, label
        assert error.value.status_code == 400, label
        assert error.value.details, label
    pdf = await env.wa.upload_media(PDF, mime_type="application/pdf", filename="a.pdf")
    with pytest.raises(InvalidParameter) as error:
        await env.wa.send_document(
            to=budi.wa_id, document=pdf.id, filename="a.pdf", caption="c" * 1025
        )
    assert error.value.details is not None
    assert "Caption length" in error.value.details
    assert budi.messages == []
    assert budi.undelivered == []
    assert len(env.api.events) == events_before


async def test_malformed_and_incomplete_requests_answer_100(env: Env) -> None:
    budi = await env.opened()
    endpoint = f"/{PHONE_ID}/messages"
    missing = [
        {"to": budi.wa_id, "type": "text", "text": {"body": "no product"}},
        {"messaging_product": "whatsapp", "type": "text", "text": {"body": "to whom?"}},
        {"messaging_product": "whatsapp", "to": budi.wa_id, "type": "text", "text": {}},
        {"messaging_product": "whatsapp", "to": budi.wa_id, "type": "document", "document": {}},
    ]
    for body in missing:
        with pytest.raises(WhatsAppError) as error:
            await env.wa.api.send_raw_request("POST", endpoint, json=body)
        assert error.value.code == 100, body
    with pytest.raises(WhatsAppError) as error:
        await env.wa.api.send_raw_request(
            "POST",
            endpoint,
            content=b'{"messaging_product": "whatsapp", ',
            headers={"Content-Type": "application/json"},
        )
    assert error.value.code == 100
    assert error.value.status_code == 400
    with pytest.raises(WhatsAppError) as error:
        await env.wa.api.send_raw_request("POST", "/555/messages", json=missing[0])
    assert (error.value.code, error.value.subcode) == (100, 33)
    assert budi.messages == []


async def test_a_link_cannot_be_fetched_so_the_message_fails_131053(env: Env) -> None:
    budi = await env.opened()
    sent = await env.wa.send_document(
        to=budi.wa_id, document="https://files.example/sk.pdf", filename="sk.pdf"
    )
    failed = await env.delivered(status_event(sent.id, "failed"))
    assert errors_of(failed)[0]["code"] == 131053
    assert budi.messages == []
    assert budi.undelivered[0].id == sent.id


# --------------------------------------------------------------------------------------------
# The 24-hour customer service window
# --------------------------------------------------------------------------------------------


async def test_free_messages_fail_131047_after_24_hours_templates_still_arrive(env: Env) -> None:
    env.api.add_template("pengingat", "Halo {{1}}, laporan {{2}} menunggu.", category="UTILITY")
    budi = await env.opened()
    inside = await env.wa.send_message(to=budi.wa_id, text="masih di dalam jendela")
    assert budi.last_message().id == inside.id

    env.clock.advance(timedelta(hours=24, seconds=1))
    assert not budi.window_open
    mark = budi.mark()
    late = await env.wa.send_message(to=budi.wa_id, text="sudah terlambat")  # accepted: 200
    failed = await env.delivered(status_event(late.id, "failed"))
    (error,) = errors_of(failed)
    assert (error["code"], error["title"]) == (131047, "Re-engagement message")
    assert "24 hours" in error["error_data"]["details"]
    assert failed.value["contacts"] == [{"wa_id": budi.wa_id}]
    assert budi.last_message().id == inside.id  # not delivered
    assert (await budi.wait_for_failed(since=mark)).id == late.id
    (status,) = [s for s in env.receiver.of_type(MessageStatus) if s.id == late.id]
    assert status.status == MessageStatusType.FAILED
    assert isinstance(status.error, ReEngagementMessage)
    assert status.from_user.wa_id == budi.wa_id
    assert status.from_user.bsuid is None

    reminder = await env.wa.send_template(
        to=budi.wa_id,
        name="pengingat",
        language=t.TemplateLanguage.INDONESIAN,
        params=[body_params("Budi", "C1")],
    )
    arrived = await budi.wait_for(since=mark)
    assert arrived.id == reminder.id
    assert arrived.text == "Halo Budi, laporan C1 menunggu."
    delivered = await env.delivered(status_event(reminder.id, "sent"))
    assert delivered.value["statuses"][0]["pricing"]["billable"] is True

    await budi.send("oke")  # the person writes: the window opens again
    again = await env.wa.send_message(to=budi.wa_id, text="terima kasih")
    assert budi.last_message().id == again.id


async def test_someone_who_never_wrote_gets_no_free_message(env: Env) -> None:
    siti = env.api.person("6285300000001", "Siti")
    sent = await env.wa.send_message(to=siti.wa_id, text="halo")
    failed = await env.delivered(status_event(sent.id, "failed"))
    assert errors_of(failed)[0]["code"] == 131047
    stranger = await env.wa.send_message(to="6289999999999", text="halo")
    failed = await env.delivered(status_event(stranger.id, "failed"))
    assert errors_of(failed)[0]["code"] == 131047
    assert siti.messages == []


# --------------------------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------------------------


async def test_template_created_pending_refused_until_approved_then_sent(env: Env) -> None:
    budi = env.api.person("6281234567890", "Budi")
    body = t.BodyText("Halo {{1}}, tahap {{2}} jatuh tempo hari ini.", "Budi", "Rekap")
    template = t.Template(
        name="tahap_jatuh_tempo",
        language=t.TemplateLanguage.INDONESIAN,
        category=t.TemplateCategory.UTILITY,
        components=[
            t.HeaderText("Pengingat"),
            body,
            t.FooterText(text="KPU Kapuas"),
            t.Buttons(
                buttons=[t.QuickReplyButton(text="Selesai"), t.QuickReplyButton(text="Tunda")]
            ),
        ],
    )
    created = await env.wa.create_template(template=template)
    assert created.status == t.TemplateStatus.PENDING
    listed = await env.wa.get_templates()
    assert [(d.name, d.status) for d in listed] == [("tahap_jatuh_tempo", t.TemplateStatus.PENDING)]

    params = [
        body_params("Budi", "Rekap"),
        t.QuickReplyButton.params(callback_data="done:7", index=0),
    ]
    with pytest.raises(TemplateNotExists) as error:
        await env.wa.send_template(
            to=budi.wa_id,
            name="tahap_jatuh_tempo",
            language=t.TemplateLanguage.INDONESIAN,
            params=params,
        )
    assert error.value.code == 132001
    assert budi.messages == []

    env.api.approve("tahap_jatuh_tempo")
    approved = await env.delivered(lambda e: e.kind == "template_status")
    assert approved.value["event"] == "APPROVED"
    (update,) = env.receiver.of_type(t.TemplateStatusUpdate)
    assert update.new_status == t.TemplateStatus.APPROVED
    assert update.template_id == created.id

    with pytest.raises(TemplateParamCountMismatch):
        await env.wa.send_template(
            to=budi.wa_id,
            name="tahap_jatuh_tempo",
            language=t.TemplateLanguage.INDONESIAN,
            params=[{"type": "body", "parameters": [{"type": "text", "text": "Budi"}]}],
        )
    with pytest.raises(TemplateNotExists):
        await env.wa.send_template(
            to=budi.wa_id,
            name="tahap_jatuh_tempo",
            language=t.TemplateLanguage.ENGLISH_US,
            params=params,
        )
    with pytest.raises(WhatsAppError) as multiline:
        await env.wa.send_template(
            to=budi.wa_id,
            name="tahap_jatuh_tempo",
            language=t.TemplateLanguage.INDONESIAN,
            params=[body_params("Budi\nSantoso", "Rekap")],
        )
    assert multiline.value.code == 132018

    sent = await env.wa.send_template(
        to=budi.wa_id,
        name="tahap_jatuh_tempo",
        language=t.TemplateLanguage.INDONESIAN,
        params=params,
    )
    message = await budi.wait_for(lambda m: m.id == sent.id)
    assert message.type == "template"
    assert message.template is not None
    assert (message.template.name, message.template.language, message.template.params) == (
        "tahap_jatuh_tempo",
        "id",
        ["Budi", "Rekap"],
    )
    assert message.text == "Halo Budi, tahap Rekap jatuh tempo hari ini."
    assert (message.header, message.footer) == ("Pengingat", "KPU Kapuas")
    assert message.buttons == ["Selesai", "Tunda"]
    assert message.button_ids == ["done:7", "Tunda"]  # no payload given: the button's text

    press = await budi.press(message, "Selesai")
    await env.delivered(lambda e: e.kind == "message" and e.value["messages"][0]["id"] == press.id)
    (button,) = env.receiver.of_type(CallbackButton)
    assert (button.data, button.title, button.is_quick_reply) == ("done:7", "Selesai", True)
    assert button.reply_to_message is not None
    assert button.reply_to_message.id == sent.id


async def test_named_template_parameters(env: Env) -> None:
    env.api.add_template("sapa", "Halo {{nama}}, tugas {{tugas}} menunggu.", category="MARKETING")
    budi = env.api.person("6281234567890", "Budi")

    def named(**values: str) -> dict[str, Any]:
        parameters = [{"type": "text", "text": v, "parameter_name": k} for k, v in values.items()]
        return {"type": "body", "parameters": parameters}

    sent = await env.wa.send_template(
        to=budi.wa_id,
        name="sapa",
        language=t.TemplateLanguage.INDONESIAN,
        params=[named(tugas="Rekap", nama="Budi")],
    )
    message = budi.last_message()
    assert message.id == sent.id
    assert message.text == "Halo Budi, tugas Rekap menunggu."
    assert message.template is not None
    assert message.template.params == {"tugas": "Rekap", "nama": "Budi"}
    with pytest.raises(TemplateParamCountMismatch):
        await env.wa.send_template(
            to=budi.wa_id,
            name="sapa",
            language=t.TemplateLanguage.INDONESIAN,
            params=[named(nama="Budi", kota="Kuala Kapuas")],
        )


async def test_template_submissions_are_validated(env: Env) -> None:
    def submit(name: str, text: str, category: str = "UTILITY") -> dict[str, Any]:
        return {
            "name": name,
            "language": "id",
            "category": category,
            "components": [{"type": "BODY", "text": text}],
        }

    endpoint = f"/{WABA_ID}/message_templates"
    refused = [
        submit("Bad Name", "Halo"),
        submit("ends_with_variable", "Halo {{1}}"),
        submit("gap", "Halo {{1}} dan {{3}}."),
        submit("category", "Halo", category="GOSSIP"),
        submit("long", "x" * 1025),
    ]
    for body in refused:
        with pytest.raises(WhatsAppError) as error:
            await env.wa.api.send_raw_request("POST", endpoint, json=body)
        assert error.value.code == 100, body["name"]
    first = await env.wa.api.send_raw_request("POST", endpoint, json=submit("ok", "Halo."))
    assert first["status"] == "PENDING"
    assert first["category"] == "UTILITY"
    with pytest.raises(WhatsAppError) as error:
        await env.wa.api.send_raw_request("POST", endpoint, json=submit("ok", "Lagi."))
    assert error.value.subcode == 2388024


async def test_templates_are_listed_with_filters_and_paging(env: Env) -> None:
    for index in range(5):
        env.api.add_template(f"t{index}", f"Isi {index}.")
    env.api.add_template("pending_one", "Menunggu.", status="PENDING")
    page = await env.wa.get_templates(pagination=Pagination(limit=2))
    assert [d.name for d in page] == ["t0", "t1"]
    assert page.has_next
    assert page.total_count == 6
    assert page.after is not None
    second = await env.wa.get_templates(pagination=Pagination(limit=2, after=page.after))
    assert [d.name for d in second] == ["t2", "t3"]
    approved = await env.wa.get_templates(statuses=[t.TemplateStatus.APPROVED])
    assert len(approved) == 5
    named = await env.wa.get_templates(name="pending")
    assert [(d.name, d.status) for d in named] == [("pending_one", t.TemplateStatus.PENDING)]


# --------------------------------------------------------------------------------------------
# Media
# --------------------------------------------------------------------------------------------


async def test_media_upload_url_and_download_with_its_lifetimes(env: Env) -> None:
    uploaded = await env.wa.upload_media(PDF, mime_type="application/pdf", filename="sk.pdf")
    media_url = await env.wa.get_media_url(uploaded.id)
    assert media_url.url.startswith(env.api.base_url)
    assert media_url.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (media_url.mime_type, media_url.file_size) == ("application/pdf", len(PDF))
    assert await env.wa.get_media_bytes(media_url.url) == PDF

    async with httpx.AsyncClient() as anonymous:
        refused = await anonymous.get(media_url.url)
    assert refused.status_code == 401

    env.clock.advance(timedelta(minutes=6))  # the URL lived 5 minutes; the id lives on
    with pytest.raises(httpx.HTTPStatusError) as expired:
        await env.wa.get_media_bytes(media_url.url)
    assert expired.value.response.status_code == 404
    fresh = await env.wa.get_media_url(uploaded.id)
    assert await env.wa.get_media_bytes(fresh.url) == PDF

    env.clock.advance(timedelta(days=30))
    with pytest.raises(WhatsAppError) as gone:
        await env.wa.get_media_url(uploaded.id)
    assert (gone.value.code, gone.value.subcode) == (100, 33)
    with pytest.raises(WhatsAppError) as unsupported:
        await env.wa.upload_media(
            b"MZ\x90\x00", mime_type="application/x-msdownload", filename="x.exe"
        )
    assert unsupported.value.code == 100


async def test_a_persons_document_reaches_the_webhook_signed_and_parsed(env: Env) -> None:
    budi = env.api.person("6281234567890", "Budi")
    sent = await budi.send_document("rekap.pdf", PDF, caption="Rekap kecamatan")
    event = await env.delivered(lambda e: e.kind == "message")
    assert env.receiver.signature_ok == [True]
    assert env.receiver.bodies[-1] == event.body
    assert event.signature is not None
    assert webhook_updates_validator(APP_SECRET, event.body, event.signature)
    (message,) = env.receiver.of_type(Message)
    assert message.id == sent.id
    assert message.type == MessageType.DOCUMENT
    assert message.from_user.name == "Budi"
    assert message.from_user.wa_id == budi.wa_id
    assert message.from_user.bsuid == budi.user_id
    assert message.timestamp == T0
    document = message.document
    assert document is not None
    assert (document.filename, document.mime_type, document.caption) == (
        "rekap.pdf",
        "application/pdf",
        "Rekap kecamatan",
    )
    url = await env.wa.get_media_url(document.id)
    assert await env.wa.get_media_bytes(url.url) == PDF

    photo = await budi.send_image(JPEG, caption="foto TPS")
    await env.delivered(lambda e: e.kind == "message" and e.value["messages"][0]["id"] == photo.id)
    image = env.receiver.of_type(Message)[-1].image
    assert image is not None
    assert image.caption == "foto TPS"
    assert image.mime_type == "image/jpeg"


# --------------------------------------------------------------------------------------------
# Webhooks: handshake, retries, duplicates, forgeries
# --------------------------------------------------------------------------------------------


async def test_webhook_bodies_escape_like_metas_and_still_verify(env: Env) -> None:
    budi = env.api.person("6281234567890", "Budi")
    await budi.send("Rekap 1/2 — sudah 100%")
    event = await env.delivered(lambda e: e.kind == "message")
    assert b"1\\/2" in event.body
    assert b"\\u2014" in event.body
    assert env.receiver.signature_ok == [True]
    (message,) = env.receiver.of_type(Message)
    assert message.text == "Rekap 1/2 — sudah 100%"
    sent = await env.wa.send_message(to=budi.wa_id, text="Diterima")
    await budi.read_all()
    await env.delivered(status_event(sent.id, "read"))
    reply = await budi.send("terima kasih", reply_to=budi.last_message())
    await env.delivered(lambda e: e.kind == "message" and e.value["messages"][0]["id"] == reply.id)
    answer = env.receiver.of_type(Message)[-1]
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.id == sent.id


async def test_the_handshake_needs_the_verify_token_and_the_exact_challenge(env: Env) -> None:
    handshakes = [a for a in env.api.webhook_log if a.method == "GET"]
    assert len(handshakes) == 1
    assert handshakes[0].status == 200
    assert not await env.api.configure_webhook(env.receiver.url, "wrong-token")
    env.receiver.challenge_override = "something else"
    assert not await env.api.configure_webhook(env.receiver.url, VERIFY_TOKEN)
    assert not await env.api.configure_webhook("http://192.0.2.1/wa", VERIFY_TOKEN)
    assert env.api.webhook_url == env.receiver.url  # failures keep the subscription
    assert [a.status for a in env.api.webhook_log if a.method == "GET"] == [200, 403, 200, None]


async def test_a_failed_delivery_is_retried_until_the_receiver_answers_2xx(env: Env) -> None:
    env.receiver.fail_next = 2
    budi = env.api.person("6281234567890", "Budi")
    sent = await budi.send("tolong kirim lagi")
    event = await env.delivered(lambda e: e.kind == "message")
    attempts = [a for a in env.api.webhook_log if a.event_id == event.id]
    assert [a.status for a in attempts] == [500, 500, 200]
    assert env.receiver.bodies == [event.body] * 3
    assert [m.id for m in env.receiver.of_type(Message)] == [sent.id]


async def test_deliveries_keep_their_order_per_person(env: Env) -> None:
    env.receiver.fail_next = 1
    budi = env.api.person("6281234567890", "Budi")
    texts = [f"pesan {i}" for i in range(5)]
    for text in texts:
        await budi.send(text)
    await env.api.idle()
    assert [m.text for m in env.receiver.of_type(Message)] == texts


async def test_a_duplicate_delivery_is_byte_identical_and_pywa_skips_it(env: Env) -> None:
    budi = env.api.person("6281234567890", "Budi")
    await budi.send("sekali saja")
    event = await env.delivered(lambda e: e.kind == "message")
    again = env.api.deliver_again(event)
    await env.delivered(lambda e: e.id == again.id)
    assert env.receiver.bodies == [event.body, event.body]
    assert len(env.receiver.of_type(Message)) == 1


async def test_forged_webhooks_are_refused_by_pywas_validator(env: Env) -> None:
    budi = env.api.person("6281234567890", "Budi")
    await budi.send("asli")
    event = await env.delivered(lambda e: e.kind == "message")
    assert await env.api.post_webhook(event.body, signature=None) == 401
    assert await env.api.post_webhook(event.body, signature="wrong") == 403
    tampered = event.body.replace(b"asli", b"palsu")
    assert await env.api.post_webhook(tampered, signature=event.signature) == 403
    assert [m.text for m in env.receiver.of_type(Message)] == ["asli"]


# --------------------------------------------------------------------------------------------
# Rate limits, faults, authorization
# --------------------------------------------------------------------------------------------


async def test_pair_rate_limit_131056_and_throughput_130429(env: Env) -> None:
    budi = await env.opened()
    siti = await env.opened("6285300000001", "Siti")
    env.api.limits = Limits(per_second=None, pair_burst=2, pair_interval=6.0, use_clock=True)
    await env.wa.send_message(to=budi.wa_id, text="satu")
    await env.wa.send_message(to=budi.wa_id, text="dua")
    with pytest.raises(TooManyMessages) as pair:
        await env.wa.send_message(to=budi.wa_id, text="tiga")
    assert pair.value.code == 131056
    assert pair.value.status_code == 400
    await env.wa.send_message(to=siti.wa_id, text="lain orang")
    env.clock.advance(timedelta(seconds=6))
    await env.wa.send_message(to=budi.wa_id, text="tiga")
    assert [m.text for m in budi.messages] == ["satu", "dua", "tiga"]

    env.api.limits = Limits(per_second=2, pair_burst=None, use_clock=True)
    env.clock.advance(timedelta(seconds=1))
    await env.wa.send_message(to=budi.wa_id, text="a")
    await env.wa.send_message(to=siti.wa_id, text="b")
    with pytest.raises(RateLimitHit) as throughput:
        await env.wa.send_message(to=siti.wa_id, text="c")
    assert throughput.value.code == 130429
    assert env.api.rate_limited == 2


async def test_requests_without_the_token_answer_401_code_190(env: Env) -> None:
    intruder = make_client(env.api, token="EAA-not-the-token")
    try:
        with pytest.raises(ExpiredAccessToken) as error:
            await intruder.send_message(to="6281234567890", text="halo")
    finally:
        await intruder.api._session.aclose()
    assert error.value.code == 190
    assert error.value.status_code == 401
    async with httpx.AsyncClient() as anonymous:
        answer = await anonymous.get(f"{env.api.base_url}/v23.0/{PHONE_ID}")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == 190
    assert "fbtrace_id" in answer.json()["error"]
    assert "invalid_token" in answer.headers["WWW-Authenticate"]
    assert all(c.status == 401 for c in env.api.calls[-2:])


async def test_faults_answer_5xx_or_drop_the_connection(env: Env) -> None:
    budi = await env.opened()
    env.api.faults = Faults(share=1.0, kinds=("5xx",), endpoints={"send_message"})
    with pytest.raises(WhatsAppError) as error:
        await env.wa.send_message(to=budi.wa_id, text="gagal")
    assert error.value.code in {1, 2}
    assert error.value.status_code in {500, 503}
    env.api.faults = Faults(share=1.0, kinds=("drop",), endpoints={"send_message"})
    with pytest.raises(httpx.RemoteProtocolError):
        await env.wa.send_message(to=budi.wa_id, text="putus")
    env.api.faults = Faults(share=1.0, kinds=("drop_after",), endpoints={"send_message"})
    with pytest.raises(httpx.RemoteProtocolError):
        await env.wa.send_message(to=budi.wa_id, text="terkirim tapi jawabannya hilang")
    assert [m.text for m in budi.messages] == ["terkirim tapi jawabannya hilang"]
    assert env.api.faults_injected == {"5xx": 1, "drop": 1, "drop_after": 1}


async def test_the_call_log_records_requests_and_answers(env: Env) -> None:
    budi = await env.opened()
    await env.wa.send_message(to=budi.wa_id, text="dicatat")
    logged = await env.api.wait_for_call("send_message")
    assert env.api.calls_to("send_message") == [logged]
    assert logged.method == "POST"
    assert logged.version == "v23.0"
    assert logged.path == f"/{PHONE_ID}/messages"
    assert logged.json["text"]["body"] == "dicatat"
    assert logged.status == 200
    assert logged.answer["messages"][0]["id"].startswith("wamid.")
    assert logged.answer["contacts"] == [{"input": budi.wa_id, "wa_id": budi.wa_id}]
