"""A local fake of the WhatsApp Business Cloud API, served over real HTTP by aiohttp.

The bot under test talks to it with pywa: pywa's session has `https://graph.facebook.com` as its
base URL, and the bot gives pywa an `httpx.AsyncClient` whose transport sends those requests to
`api.base_url`, path kept. The fake answers Graph paths under any version prefix (`/v23.0/...`),
keeps the Cloud API's state (people, messages, the 24-hour windows, templates, media, webhook
subscription) and answers with Graph's JSON and the Cloud API's error codes, so a request the
Cloud API would refuse is refused here too, and a message it would accept and then fail is
accepted here and then reported `failed` in a status webhook.

    async with FakeWhatsAppApi(clock=clock) as api:
        assert await api.configure_webhook(bot_webhook_url, VERIFY_TOKEN)
        budi = api.person("6281234567890", "Budi")
        mark = budi.mark()
        await budi.send("halo")                       # a signed `messages` webhook to the bot
        menu = await budi.wait_for(lambda m: m.interactive_type == "button", since=mark)
        await budi.press(menu, "Lanjut")              # button_reply webhook, context = menu.id
        clock.advance(timedelta(hours=25))            # the customer service window closes

Time: message and status timestamps, the 24-hour window, media URL (5 minutes) and media id
(30 days) lifetimes come from `clock` (the project's Clock; default the system clock). Rate
limits use real monotonic time unless `Limits(use_clock=True)`, because a bot really sleeps
before retrying. Webhook retries wait real time (0.05 s doubling to 1 s).

Where it knowingly differs from Meta's Cloud API:
- One business phone number in one WABA; groups, flows, products, catalogs, reactions,
  locations, contacts, calling, marketing-lite sends and template edits are not implemented
  (400, code 100, saying so). Message types: text, interactive button/list/cta_url, template,
  image, document, audio, video, sticker; mark-as-read and the typing indicator.
- Anyone the test has not created with `person()` is a number without WhatsApp: a free-form
  message to them fails 131047 (no window), a template fails 131026.
- Media `link`s are never fetched (no network): the send is accepted and then fails 131053 in
  its status webhook, as Meta reports a link it cannot download; an unknown or expired media id
  fails the same way (Meta's exact answer for that case is not documented).
- Every length and count limit of interactive messages, texts and captions answers 131009 with
  Meta-style details; lengths count code points. Template placeholders, lengths and button
  groupings are checked on creation, not the other review rules.
- Webhooks go to loopback addresses only, one queue per person delivered in order (Meta does not
  promise order), retried every 0.05-1 s until a 2xx or the fake stops (Meta: up to 7 days).
  Events made before `configure_webhook()` wait for it (Meta drops them).
- Statuses carry per-message `pricing` (PMP) on sent and delivered, never a `conversation`;
  `delivered` follows `sent` at once (every simulated phone is online) and `read` comes only
  when a test's person reads.
- Rate limits are sliding windows, off unless `limits` is set: `per_second` messages per phone
  number (130429) and `pair_burst` messages to one person within `pair_interval` seconds
  (131056), both answered 400 at once. Meta's pair limit allows a burst and then about one
  message per 6 seconds.
- Template review is manual: a created template stays PENDING until `approve()`/`reject()`
  (which send the `message_template_status_update` webhook); paging links point at the fake.
- Access tokens never expire; any request without the token answers 401 with code 190.

Worth knowing, because the fake does it as Meta does: webhook bodies escape "/" and non-ASCII
(validate the raw bytes); webhook media carry sha256 in base64, GET /{media-id} in hex; status
webhooks carry `contacts` [{wa_id, user_id}] and `recipient_user_id` (business-scoped user ids),
but a `failed` status of a message sent to a phone number carries contacts [{wa_id}] only
(pywa 4.5 gives such a MessageStatus a from_user whose bsuid is None).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import random
import re
import string
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Final
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from bot.clock import Clock, SystemClock
from fakes.common import (
    FaultsBase,
    History,
    LocalServer,
    Mark,
    Signal,
    Timeline,
    abort_connection,
    window_wait,
)
from fakes.whatsapp.client import (
    FakeWaMedia,
    FakeWaMessage,
    FakeWaUser,
    ListRow,
    Predicate,
    TemplateRef,
    UrlButton,
)
from fakes.whatsapp.errors import (
    RE_ENGAGEMENT,
    UNDELIVERABLE,
    GraphError,
    StatusError,
    bad_parameter,
    invalid_value,
    media_upload_error,
    missing_parameter,
    unknown_object,
)
from fakes.whatsapp.templates import RenderedTemplate, StoredTemplate, TemplateStore
from fakes.whatsapp.webhooks import (
    ACCOUNT_QUEUE,
    WebhookAttempt,
    WebhookEvent,
    WebhookSender,
    sign,
)

__all__ = [
    "FAULT_KINDS",
    "ApiCall",
    "FakeWhatsAppApi",
    "Faults",
    "Limits",
    "PersonState",
    "StoredMedia",
]

_LOG = logging.getLogger(__name__)

JSONDict = dict[str, Any]

MAX_TEXT: Final = 4096
MAX_CAPTION: Final = 1024
MAX_BUTTON_BODY: Final = 1024
MAX_LIST_BODY: Final = 4096
MAX_CTA_BODY: Final = 1024
MAX_HEADER: Final = 60
MAX_FOOTER: Final = 60
MAX_BUTTONS: Final = 3
MAX_BUTTON_TITLE: Final = 20
MAX_BUTTON_ID: Final = 256
MAX_LIST_BUTTON: Final = 20
MAX_SECTIONS: Final = 10
MAX_ROWS: Final = 10
MAX_SECTION_TITLE: Final = 24
MAX_ROW_TITLE: Final = 24
MAX_ROW_DESCRIPTION: Final = 72
MAX_ROW_ID: Final = 200
MAX_CTA_TEXT: Final = 20
MAX_TRACKER: Final = 512

WINDOW: Final = timedelta(hours=24)
MEDIA_URL_TTL: Final = timedelta(minutes=5)
MEDIA_TTL: Final = timedelta(days=30)

# What each message type accepts, and the upload limits (bytes) per type.
_MEDIA_MIME_TYPES: Final[dict[str, frozenset[str]]] = {
    "image": frozenset({"image/jpeg", "image/png"}),
    "audio": frozenset({"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}),
    "video": frozenset({"video/mp4", "video/3gpp"}),
    "sticker": frozenset({"image/webp"}),
    "document": frozenset(
        {
            "text/plain",
            "text/csv",
            "application/pdf",
            "application/msword",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.ms-excel",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.ms-powerpoint",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "application/zip",
            "application/octet-stream",
        }
    ),
}
_MEDIA_MAX_BYTES: Final = {
    "image": 5 * 1024 * 1024,
    "audio": 16 * 1024 * 1024,
    "video": 16 * 1024 * 1024,
    "sticker": 500 * 1024,
    "document": 100 * 1024 * 1024,
}
_MEDIA_TYPES: Final = frozenset(_MEDIA_MIME_TYPES)
_NOT_IMPLEMENTED_TYPES: Final = frozenset(
    {"reaction", "location", "contacts", "order", "interactive_flow", "product"}
)
_VERSIONED: Final = re.compile(r"/(v\d+\.\d+)(/.*)?")
_BSUID: Final = re.compile(r"[A-Z]{2}\.\d+")
_URL: Final = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)
_DOWNLOAD_PATH: Final = "/whatsapp_business/attachments/"
_COUNTRY_CODES: Final = (
    ("62", "ID"),
    ("60", "MY"),
    ("65", "SG"),
    ("61", "AU"),
    ("91", "IN"),
    ("44", "GB"),
    ("972", "IL"),
    ("1", "US"),
)


# --------------------------------------------------------------------------------------------
# Knobs and records
# --------------------------------------------------------------------------------------------


@dataclass
class Limits:
    """The Cloud API's rate limits, off unless a `Limits` is given to the fake.

    `per_second`: messages per business phone number in any sliding second (130429; Meta's
    default throughput is 80). `pair_burst`: messages to one person within `pair_interval`
    seconds (131056). None switches one off. Only messages the fake accepts take a slot.
    `use_clock` measures the windows on the fake's Clock instead of real monotonic time.
    """

    per_second: int | None = 80
    pair_burst: int | None = 45
    pair_interval: float = 6.0
    use_clock: bool = False


FAULT_KINDS: Final = frozenset({"5xx", "drop", "slow", "drop_after"})


@dataclass
class Faults(FaultsBase):
    """Random failures on a `share` of API requests, drawn from a generator seeded by the
    fake's seed.

    Kinds: "5xx" (500 "An unknown error occurred", code 1, or 503 "Service temporarily
    unavailable", code 2), "drop" (the connection closes without an answer), "slow" (the answer,
    and the effect, come `slow_seconds` late), and, not in the default set, "drop_after" (the
    request takes effect but the answer is lost). `endpoints` limits faults to those ApiCall
    kinds ("send_message", "upload_media", ...); by default every request.
    """

    KINDS: ClassVar[frozenset[str]] = FAULT_KINDS

    kinds: tuple[str, ...] = ("5xx", "drop", "slow")
    endpoints: Iterable[str] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.endpoints is not None:
            self.endpoints = frozenset(self.endpoints)

    def applies_to(self, kind: str) -> bool:
        return self.endpoints is None or kind in frozenset(self.endpoints)


@dataclass
class ApiCall:
    """One request to the fake: HTTP method, Graph path without the version (e.g.
    "/1234567890/messages"), the version, what it was (`kind`: "send_message", "mark_read",
    "typing", "upload_media", "get_media", "delete_media", "download_media", "list_templates",
    "create_template", "get_template", "delete_template", "get_phone_number", "get_waba" or
    "unknown"), the query, the JSON body or the form (uploads summarised), the HTTP status
    answered (0 while in flight or when the connection was dropped), the JSON answer and, for
    an error, its Graph code."""

    method: str
    path: str
    version: str | None
    time: float
    kind: str = "unknown"
    query: dict[str, str] = field(default_factory=dict)
    json: Any = None
    form: dict[str, Any] | None = None
    status: int = 0
    answer: Any = None
    error_code: int | None = None
    fault: str | None = None
    done: bool = False

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class StoredMedia:
    """A media file held by the fake: uploaded by the business or sent by a person."""

    id: str
    content: bytes
    mime_type: str
    filename: str | None
    uploaded_at: datetime
    uploaded_by: str  # "business" or a person's wa_id
    deleted: bool = False

    @property
    def sha256_hex(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def sha256_base64(self) -> str:
        return base64.b64encode(hashlib.sha256(self.content).digest()).decode("ascii")

    def usable(self, now: datetime) -> bool:
        return not self.deleted and now < self.uploaded_at + MEDIA_TTL


class PersonState(History[FakeWaMessage]):
    """One WhatsApp user as the business number sees them.

    Its `events` are (seq, "received" | "delivered" | "failed", message), for
    wait_for(since=...)."""

    def __init__(self, wa_id: str, name: str, user_id: str) -> None:
        super().__init__()
        self.wa_id = wa_id
        self.name = name
        self.user_id = user_id
        self.last_inbound: datetime | None = None
        self.messages: list[FakeWaMessage] = []
        self.undelivered: list[FakeWaMessage] = []
        self.sent: list[FakeWaMessage] = []
        self.pair_window: deque[float] = deque()


@dataclass
class _Built:
    """A validated outgoing message before it has an id."""

    type: str
    text: str = ""
    interactive_type: str | None = None
    header: str | None = None
    header_media: FakeWaMedia | None = None
    footer: str | None = None
    caption: str | None = None
    buttons: list[str] = field(default_factory=list)
    button_ids: list[str] = field(default_factory=list)
    rows: list[ListRow] = field(default_factory=list)
    list_button: str | None = None
    url_button: UrlButton | None = None
    template: RenderedTemplate | None = None
    media: FakeWaMedia | None = None
    failure: StatusError | None = None


_Handler = Callable[[web.Request, Any], Awaitable[Any]]


def _country(wa_id: str) -> str:
    for prefix, country in _COUNTRY_CODES:
        if wa_id.startswith(prefix):
            return country
    return "XX"


def _length_check(value: Any, what: str, low: int, high: int) -> str:
    if not isinstance(value, str):
        raise missing_parameter(what)
    if not low <= len(value) <= high:
        label = what[0].upper() + what[1:]
        raise invalid_value(f"{label} length invalid. Min length: {low}, Max length: {high}")
    return value


# --------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------


class FakeWhatsAppApi(LocalServer):
    """A fake WhatsApp Business Cloud API on 127.0.0.1, for one phone number of one WABA."""

    def __init__(
        self,
        *,
        phone_number_id: str = "1234567890",
        waba_id: str = "9876543210",
        display_number: str = "6281100000000",
        verified_name: str = "SOP Bot",
        access_token: str = "fake-whatsapp-access-token",  # noqa: S107 - a test fake
        app_secret: str = "fake-whatsapp-app-secret",  # noqa: S107 - a test fake
        clock: Clock | None = None,
        limits: Limits | None = None,
        faults: Faults | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if not access_token or not app_secret:
            raise ValueError("FakeWhatsAppApi needs an access token and an app secret")
        self._phone_number_id = phone_number_id
        self._waba_id = waba_id
        self._display_number = display_number
        self.verified_name = verified_name
        self._access_token = access_token
        self._app_secret = app_secret
        self._clock: Clock = clock or SystemClock()
        self.limits = limits
        self.faults = faults
        self._fault_rng = random.Random(seed)  # noqa: S311 - repeatable test faults, not crypto
        self._rng = random.Random(seed + 1)  # noqa: S311 - repeatable ids, not crypto
        self._people: dict[str, PersonState] = {}
        self._people_by_user_id: dict[str, PersonState] = {}
        self._users: dict[str, FakeWaUser] = {}
        self._inbound: dict[str, tuple[PersonState, FakeWaMessage]] = {}
        self._outbound: dict[str, FakeWaMessage] = {}
        self.unreachable: list[FakeWaMessage] = []
        self._media: dict[str, StoredMedia] = {}
        self._download_tokens: dict[str, tuple[str, datetime]] = {}
        self.templates = TemplateStore(self._new_numeric_id)
        self._webhooks = WebhookSender(app_secret, self._new_challenge)
        self.calls: list[ApiCall] = []
        self._calls_signal = Signal()
        self._sent_window: deque[float] = deque()
        self.faults_injected: Counter[str] = Counter()
        self.rate_limited = 0
        self._timeline = Timeline()
        self._message_counter = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=_MEDIA_MAX_BYTES["document"] + 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    async def _started(self) -> None:
        await self._webhooks.start()

    async def _stopping(self) -> None:
        await self._webhooks.stop()

    # -- identity ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Where `https://graph.facebook.com` is rewritten to, e.g. http://127.0.0.1:PORT."""
        return self._url()

    @property
    def phone_number_id(self) -> str:
        return self._phone_number_id

    @property
    def waba_id(self) -> str:
        return self._waba_id

    @property
    def display_number(self) -> str:
        return self._display_number

    @property
    def access_token(self) -> str:
        return self._access_token

    @property
    def app_secret(self) -> str:
        return self._app_secret

    @property
    def clock(self) -> Clock:
        return self._clock

    # -- people ------------------------------------------------------------------------------

    def person(self, wa_id: str, name: str) -> FakeWaUser:
        """The WhatsApp user with phone number `wa_id` (digits, country code first), created on
        first call, the same object afterwards. Nobody has written yet: the window is closed."""
        if not wa_id.isdigit() or not 8 <= len(wa_id) <= 15:
            raise ValueError(f"a wa_id is 8 to 15 digits with the country code: {wa_id!r}")
        state = self._people.get(wa_id)
        if state is None:
            digest = hashlib.sha256(f"{self._waba_id}:{wa_id}".encode()).digest()
            user_id = f"{_country(wa_id)}.{int.from_bytes(digest[:8], 'big')}"
            state = PersonState(wa_id, name, user_id)
            self._people[wa_id] = state
            self._people_by_user_id[user_id] = state
            self._users[wa_id] = FakeWaUser(self, state)
        return self._users[wa_id]

    @property
    def people(self) -> list[FakeWaUser]:
        return list(self._users.values())

    def window_open(self, person: PersonState) -> bool:
        last = person.last_inbound
        return last is not None and self._clock.now() - last < WINDOW

    def message(self, message_id: str) -> FakeWaMessage:
        """Any message by its wamid, the business's or a person's."""
        if message_id in self._outbound:
            return self._outbound[message_id]
        if message_id in self._inbound:
            return self._inbound[message_id][1]
        raise LookupError(f"no message {message_id}")

    # -- templates ---------------------------------------------------------------------------

    def template(self, name: str, language: str = "id") -> StoredTemplate:
        return self.templates.find(name, language)

    def add_template(
        self,
        name: str,
        body: str,
        *,
        language: str = "id",
        category: str = "UTILITY",
        header: str | None = None,
        footer: str | None = None,
        quick_replies: Iterable[str] = (),
        url_buttons: Iterable[tuple[str, str]] = (),
        status: str = "APPROVED",
    ) -> StoredTemplate:
        """A template already reviewed (APPROVED by default), validated like one created over
        the API; placeholders {{1}}.. make it positional, {{name}} named."""
        return self.templates.add(
            name,
            body,
            language=language,
            category=category.upper(),
            header=header,
            footer=footer,
            quick_replies=list(quick_replies),
            url_buttons=list(url_buttons),
            status=status,
        )

    def approve(self, name: str, language: str = "id") -> StoredTemplate:
        """Meta approves the template: APPROVED, and a message_template_status_update webhook."""
        return self.set_template_status(name, language, "APPROVED")

    def reject(
        self, name: str, language: str = "id", reason: str = "INVALID_FORMAT"
    ) -> StoredTemplate:
        return self.set_template_status(name, language, "REJECTED", reason=reason)

    def set_template_status(
        self, name: str, language: str, status: str, *, reason: str | None = None
    ) -> StoredTemplate:
        """Any review outcome (APPROVED, REJECTED, PAUSED, DISABLED, ...), with its webhook."""
        template = self.templates.find(name, language)
        template.status = status.upper()
        template.rejected_reason = reason if template.status == "REJECTED" else None
        value: JSONDict = {
            "event": template.status,
            "message_template_id": int(template.id),
            "message_template_name": template.name,
            "message_template_language": template.language,
            "reason": reason or "NONE",
            "message_template_category": template.category,
        }
        payload = {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": self._waba_id,
                    "time": self._now(),
                    "changes": [{"value": value, "field": "message_template_status_update"}],
                }
            ],
        }
        self._webhooks.enqueue("template_status", ACCOUNT_QUEUE, payload)
        return template

    # -- media -------------------------------------------------------------------------------

    def media(self, media_id: str) -> StoredMedia:
        stored = self._media.get(media_id)
        if stored is None:
            raise LookupError(f"no media {media_id}")
        return stored

    def upload_media(
        self, content: bytes, mime_type: str, filename: str | None = None
    ) -> StoredMedia:
        """Put a file into the fake as the business would upload it (without HTTP)."""
        return self._store_media(content, mime_type, filename, uploaded_by="business")

    def _store_media(
        self, content: bytes, mime_type: str, filename: str | None, *, uploaded_by: str
    ) -> StoredMedia:
        media_id = self._new_numeric_id()
        stored = StoredMedia(
            id=media_id,
            content=bytes(content),
            mime_type=mime_type,
            filename=filename,
            uploaded_at=self._clock.now(),
            uploaded_by=uploaded_by,
        )
        self._media[media_id] = stored
        return stored

    # -- the call log ------------------------------------------------------------------------

    def calls_to(self, kind: str) -> list[ApiCall]:
        return [call for call in self.calls if call.kind == kind]

    async def wait_for_call(
        self,
        kind: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - a test helper's deadline, not an I/O timeout
        after: int = 0,
    ) -> ApiCall:
        """The first answered call of `kind` matching `predicate`; `after` skips the first
        calls of the log (pass `len(api.calls)` taken before the action waited on)."""

        def find() -> ApiCall | None:
            for call in self.calls[after:]:
                if call.kind == kind and call.done and (predicate is None or predicate(call)):
                    return call
            return None

        try:
            return await self._calls_signal.wait_until(find, timeout)
        except TimeoutError:
            raise TimeoutError(f"no matching {kind} call in {timeout} s") from None

    # -- webhooks ----------------------------------------------------------------------------

    async def configure_webhook(self, url: str, verify_token: str) -> bool:
        """Subscribe `url` the way the App Dashboard does: a GET with hub.mode=subscribe,
        hub.verify_token and a random hub.challenge; it succeeds only if `url` answers 200 with
        exactly the challenge. On success every event (including those waiting) goes to `url`."""
        return await self._webhooks.verify(url, verify_token)

    @property
    def webhook_url(self) -> str | None:
        return self._webhooks.url

    @property
    def events(self) -> list[WebhookEvent]:
        """Every webhook event made, in order (delivered or still waiting)."""
        return list(self._webhooks.events)

    @property
    def webhook_log(self) -> list[WebhookAttempt]:
        """Every delivery attempt (and handshake) with the receiver's HTTP status."""
        return list(self._webhooks.log)

    def deliver_again(self, event: WebhookEvent) -> WebhookEvent:
        """Meta's duplicate delivery: the same bytes and signature once more."""
        return self._webhooks.again(event)

    def enqueue_raw(
        self, body: bytes | JSONDict, *, signature: str | None = "valid", queue: str = "_raw"
    ) -> WebhookEvent:
        """Queue a hand-made event (retried like any other); `signature` as in post_webhook."""
        raw, header = self._raw_body(body, signature)
        payload = body if isinstance(body, dict) else None
        return self._webhooks.enqueue(
            "raw", queue, payload, body=raw, signature=header if header is not None else False
        )

    async def post_webhook(
        self,
        body: bytes | JSONDict,
        *,
        signature: str | None = "valid",
        url: str | None = None,
    ) -> int | None:
        """POST one body to the webhook once, outside the queues: `signature` "valid" signs it
        with the app secret, "wrong" with another secret, None sends no signature header, any
        other string is sent as the header. Returns the receiver's HTTP status (None when the
        connection failed)."""
        raw, header = self._raw_body(body, signature)
        return await self._webhooks.post_once(raw, header, url)

    def _raw_body(self, body: bytes | JSONDict, signature: str | None) -> tuple[bytes, str | None]:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        if signature == "valid":
            return raw, sign(self._app_secret, raw)
        if signature == "wrong":
            return raw, sign(self._app_secret + "-forged", raw)
        return raw, signature

    async def idle(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until every webhook event has been delivered (answered 2xx)."""
        try:
            await self._webhooks.signal.wait_until(
                lambda: True if self._webhooks.pending() == 0 else None, timeout
            )
        except TimeoutError:
            raise TimeoutError(
                f"{self._webhooks.pending()} webhook event(s) not delivered within {timeout} s"
                + ("" if self._webhooks.url else " (no webhook is configured)")
            ) from None

    async def wait_for_event(
        self,
        predicate: Callable[[WebhookEvent], bool] | None = None,
        *,
        after: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> WebhookEvent:
        """The first delivered event with an id above `after` that matches `predicate`."""

        def find() -> WebhookEvent | None:
            for event in self._webhooks.events[after:]:
                if event.delivered and (predicate is None or predicate(event)):
                    return event
            return None

        try:
            return await self._webhooks.signal.wait_until(find, timeout)
        except TimeoutError:
            raise TimeoutError(f"no matching webhook event delivered in {timeout} s") from None

    # -- waiting for what people receive ------------------------------------------------------

    def mark(self) -> Mark:
        return self._timeline.mark()

    async def wait_for_delivery(
        self,
        person: PersonState,
        predicate: Predicate | None,
        *,
        since: Mark | None,
        within: float,
        failed: bool = False,
    ) -> FakeWaMessage:
        wanted = "failed" if failed else "delivered"

        def match(kind: str, message: FakeWaMessage) -> bool:
            return kind == wanted and (predicate is None or predicate(message))

        try:
            return await person.first_event(match, since=since, within=within)
        except TimeoutError:
            recent = [m.text for m in person.messages][-3:]
            raise TimeoutError(
                f"no {'matching ' if predicate else ''}{wanted} message for {person.wa_id} "
                f"within {within} s; the last delivered there: {recent!r}"
            ) from None

    # -- what people do ----------------------------------------------------------------------

    def person_sends(
        self,
        person: PersonState,
        kind: str,
        content: JSONDict,
        *,
        reply_to: FakeWaMessage | None,
        record: FakeWaMessage | None = None,
    ) -> FakeWaMessage:
        """A person's message: recorded, the window opened, a `messages` webhook queued."""
        now = self._clock.now()
        timestamp = int(now.timestamp())
        message_id = self._new_wamid()
        if record is None:
            record = FakeWaMessage(
                id=message_id,
                wa_id=person.wa_id,
                from_business=False,
                type=kind,
                timestamp=timestamp,
                text=str(content.get("body", "")),
            )
        record.id = message_id
        record.timestamp = timestamp
        record.status = "received"
        message: JSONDict = {
            "from": person.wa_id,
            "from_user_id": person.user_id,
            "id": message_id,
            "timestamp": str(timestamp),
            "type": kind,
            kind: content,
        }
        if reply_to is not None:
            record.reply_to = reply_to.id
            message["context"] = {
                "from": self._display_number if reply_to.from_business else reply_to.wa_id,
                "id": reply_to.id,
            }
        person.last_inbound = now
        person.sent.append(record)
        self._inbound[message_id] = (person, record)
        person.add_event(self._timeline.tick(), "received", record)
        value: JSONDict = {
            "messaging_product": "whatsapp",
            "metadata": self._metadata(),
            "contacts": [
                {"profile": {"name": person.name}, "wa_id": person.wa_id, "user_id": person.user_id}
            ],
            "messages": [message],
        }
        self._webhooks.enqueue("message", person.wa_id, self._entry(value))
        return record

    def person_sends_media(
        self,
        person: PersonState,
        kind: str,
        content: bytes,
        *,
        mime_type: str,
        filename: str | None,
        caption: str | None,
        reply_to: FakeWaMessage | None,
    ) -> FakeWaMessage:
        stored = self._store_media(content, mime_type, filename, uploaded_by=person.wa_id)
        data: JSONDict = {}
        if kind == "document" and filename:
            data["filename"] = filename
        data["mime_type"] = mime_type
        data["sha256"] = stored.sha256_base64
        data["id"] = stored.id
        if caption:
            data["caption"] = caption
        media = FakeWaMedia(stored.id, mime_type, stored.content, stored.sha256_hex, filename)
        record = FakeWaMessage(
            id="",
            wa_id=person.wa_id,
            from_business=False,
            type=kind,
            timestamp=0,
            text=caption or "",
            caption=caption,
            document=media if kind == "document" else None,
            image=media if kind == "image" else None,
            media=media,
        )
        return self.person_sends(person, kind, data, reply_to=reply_to, record=record)

    def _check_reachable(self, person: PersonState, message: FakeWaMessage) -> None:
        if not message.from_business or message.wa_id != person.wa_id:
            raise ValueError(f"{message!r} was not sent to {person.wa_id}")
        if message.status == "failed":
            raise ValueError(f"{message!r} was never delivered to {person.wa_id}")

    def person_presses(
        self, person: PersonState, message: FakeWaMessage, title: str
    ) -> FakeWaMessage:
        self._check_reachable(person, message)
        button_id = message.button_id(title)
        record = FakeWaMessage(
            id="", wa_id=person.wa_id, from_business=False, type="", timestamp=0, text=title
        )
        if message.type == "template":
            record.type = "button"
            content: JSONDict = {"payload": button_id, "text": title}
            return self.person_sends(person, "button", content, reply_to=message, record=record)
        record.type = "interactive"
        record.interactive_type = "button_reply"
        content = {"type": "button_reply", "button_reply": {"id": button_id, "title": title}}
        return self.person_sends(person, "interactive", content, reply_to=message, record=record)

    def person_chooses(
        self, person: PersonState, message: FakeWaMessage, row_title: str
    ) -> FakeWaMessage:
        self._check_reachable(person, message)
        row = message.row(row_title)
        reply: JSONDict = {"id": row.id, "title": row.title}
        if row.description:
            reply["description"] = row.description
        record = FakeWaMessage(
            id="",
            wa_id=person.wa_id,
            from_business=False,
            type="interactive",
            timestamp=0,
            text=row.title,
            interactive_type="list_reply",
        )
        content = {"type": "list_reply", "list_reply": reply}
        return self.person_sends(person, "interactive", content, reply_to=message, record=record)

    def person_reads(self, person: PersonState, message: FakeWaMessage) -> None:
        self._check_reachable(person, message)
        if message.status == "read":
            return
        message.status = "read"
        self._queue_status(message, person, "read")

    # -- ids, time, payloads -----------------------------------------------------------------

    def _now(self) -> int:
        return int(self._clock.now().timestamp())

    def _new_numeric_id(self) -> str:
        while True:
            candidate = str(self._rng.randrange(10**14, 10**16))
            if candidate not in self._media and self.templates.by_id(candidate) is None:
                return candidate

    def _new_wamid(self) -> str:
        self._message_counter += 1
        core = f"{self._message_counter:010X}{self._rng.getrandbits(48):012X}".encode("ascii")
        return "wamid." + base64.b64encode(b"\x15\x02\x00\x11\x18\x12" + core + b"\x00").decode()

    def _new_challenge(self) -> str:
        return str(self._rng.randrange(10**9, 10**10))

    def _fbtrace_id(self) -> str:
        alphabet = string.ascii_letters + string.digits
        return "A" + "".join(self._rng.choices(alphabet, k=22))

    def _metadata(self) -> JSONDict:
        return {
            "display_phone_number": self._display_number,
            "phone_number_id": self._phone_number_id,
        }

    def _entry(self, value: JSONDict) -> JSONDict:
        return {
            "object": "whatsapp_business_account",
            "entry": [{"id": self._waba_id, "changes": [{"value": value, "field": "messages"}]}],
        }

    def _pricing(self, message: FakeWaMessage, person: PersonState | None) -> JSONDict:
        in_window = person is not None and self.window_open(person)
        category = "service"
        if message.template is not None:
            category = message.template.category.lower()
        free = in_window and category in {"service", "utility"}
        return {
            "billable": not free,
            "pricing_model": "PMP",
            "type": "free_customer_service" if free else "regular",
            "category": category,
        }

    def _queue_status(
        self,
        message: FakeWaMessage,
        person: PersonState | None,
        status: str,
        *,
        error: StatusError | None = None,
    ) -> None:
        by_user_id = "recipient" in message.request
        user_id = person.user_id if person is not None else None
        if user_id is None and by_user_id:
            user_id = str(message.request["recipient"]).strip()
        entry: JSONDict = {"id": message.id, "status": status, "timestamp": str(self._now())}
        if not by_user_id or status != "failed":
            entry["recipient_id"] = message.wa_id
        if user_id is not None and (by_user_id or status != "failed"):
            entry["recipient_user_id"] = user_id
        if message.tracker is not None:
            entry["biz_opaque_callback_data"] = message.tracker
        if status in {"sent", "delivered"}:
            entry["pricing"] = self._pricing(message, person)
        if error is not None:
            entry["errors"] = [error.json()]
        contact: JSONDict = {}
        if not (by_user_id and status == "failed"):
            contact["wa_id"] = message.wa_id
        if user_id is not None and (by_user_id or status != "failed"):
            contact["user_id"] = user_id
        value: JSONDict = {
            "messaging_product": "whatsapp",
            "metadata": self._metadata(),
            "contacts": [contact],
            "statuses": [entry],
        }
        self._webhooks.enqueue("status", message.wa_id, self._entry(value))

    # -- HTTP --------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path == _DOWNLOAD_PATH or path == _DOWNLOAD_PATH.rstrip("/"):
            version, tail = None, path
        else:
            match = _VERSIONED.fullmatch(path)
            version, tail = (match.group(1), match.group(2) or "/") if match else (None, path)
        call = ApiCall(
            method=request.method,
            path=tail,
            version=version,
            time=time.monotonic(),
            query=dict(request.query),
        )
        self.calls.append(call)
        try:
            return await self._serve(request, call)
        except asyncio.CancelledError:
            call.done = True
            call.answer = {"note": "the client went away before the answer"}
            self._calls_signal.notify()
            raise

    async def _serve(self, request: web.Request, call: ApiCall) -> web.StreamResponse:
        # Like Graph: the token is checked first, then the path, then the body.
        body: Any = None
        body_error: GraphError | None = None
        try:
            body = await self._read_body(request, call)
        except GraphError as error:
            body_error = error
        try:
            if not self._authorized(request):
                raise GraphError(401, 190, "Invalid OAuth access token - Cannot parse access token")
            call.kind, handler = self._route(request.method, call.path, call.version)
            if body_error is not None:
                raise body_error
        except GraphError as error:
            return self._answer_error(call, error)
        fault = self._draw_fault(call.kind)
        if fault is not None:
            call.fault = fault
            self.faults_injected[fault] += 1
            if fault == "5xx":
                if self._fault_rng.random() < 0.5:
                    failure = GraphError(500, 1, "An unknown error occurred", transient=True)
                else:
                    failure = GraphError(503, 2, "Service temporarily unavailable", transient=True)
                return self._answer_error(call, failure)
            if fault == "drop":
                return self._drop(request, call)
            if fault == "slow" and self.faults is not None:
                await asyncio.sleep(self.faults.slow_seconds)
        try:
            result = await handler(request, body)
        except GraphError as error:
            return self._answer_error(call, error)
        except Exception:
            _LOG.exception(
                "fake WhatsApp API: %s %s failed inside the fake", call.method, call.path
            )
            return self._answer_error(call, GraphError(500, 1, "An unknown error occurred"))
        if fault == "drop_after":
            return self._drop(request, call)
        if isinstance(result, web.StreamResponse):
            call.status = result.status
            call.done = True
            self._calls_signal.notify()
            return result
        call.status = 200
        call.answer = result
        call.done = True
        self._calls_signal.notify()
        return web.json_response(result)

    def _answer_error(self, call: ApiCall, error: GraphError) -> web.Response:
        payload = error.payload(self._fbtrace_id())
        call.status = error.status
        call.answer = payload
        call.error_code = error.code
        call.done = True
        self._calls_signal.notify()
        headers = {}
        if error.status == 401:
            headers["WWW-Authenticate"] = (
                'OAuth "Facebook Platform" "invalid_token" "' + error.message + '"'
            )
        return web.json_response(payload, status=error.status, headers=headers)

    def _drop(self, request: web.Request, call: ApiCall) -> web.Response:
        call.status = 0
        call.answer = {"note": "connection dropped by fault injection"}
        call.done = True
        self._calls_signal.notify()
        return abort_connection(request)

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() in {"bearer", "oauth"} and token.strip() == self._access_token:
            return True
        return request.query.get("access_token") == self._access_token

    async def _read_body(self, request: web.Request, call: ApiCall) -> Any:
        if not request.can_read_body:
            return None
        content_type = request.content_type
        if content_type == "multipart/form-data":
            form: dict[str, Any] = {}
            logged: dict[str, Any] = {}
            for name, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    content = value.file.read()
                    form[name] = (value.filename, value.content_type, content)
                    logged[name] = {
                        "filename": value.filename,
                        "content_type": value.content_type,
                        "size": len(content),
                    }
                else:
                    text = value.decode("utf-8") if isinstance(value, bytes) else str(value)
                    form[name] = text
                    logged[name] = text
            call.form = logged
            return form
        if content_type == "application/x-www-form-urlencoded":
            fields = {k: str(v) for k, v in (await request.post()).items()}
            call.form = dict(fields)
            return fields
        raw = await request.read()
        if not raw:
            return None
        try:
            body = json.loads(raw)
        except ValueError:
            call.json = raw.decode("utf-8", "replace")
            raise GraphError(
                400,
                100,
                "(#100) Invalid parameter",
                details="The request body is not valid JSON",
            ) from None
        call.json = body
        return body

    def _route(self, method: str, path: str, version: str | None) -> tuple[str, _Handler]:
        if path in {_DOWNLOAD_PATH, _DOWNLOAD_PATH.rstrip("/")}:
            if method != "GET":
                raise unknown_object("attachments", method.lower())
            return "download_media", self._download
        parts = [p for p in path.split("/") if p]
        verb = method.lower()
        if len(parts) == 2:
            owner, edge = parts
            if edge == "messages":
                if owner != self._phone_number_id or method != "POST":
                    raise unknown_object(owner, verb)
                return "send_message", self._messages
            if edge == "media":
                if owner != self._phone_number_id or method != "POST":
                    raise unknown_object(owner, verb)
                return "upload_media", self._upload
            if edge == "message_templates":
                if owner != self._waba_id:
                    raise unknown_object(owner, verb)
                if method == "GET":
                    return "list_templates", self._make_list_templates(version)
                if method == "POST":
                    return "create_template", self._create_template
                if method == "DELETE":
                    return "delete_template", self._delete_template
                raise unknown_object(owner, verb)
            raise GraphError(400, 2500, f"Unknown path components: /{edge}")
        if len(parts) == 1:
            (object_id,) = parts
            if object_id in self._media and method in {"GET", "DELETE"}:
                if method == "GET":
                    return "get_media", self._get_media
                return "delete_media", self._delete_media
            if self.templates.by_id(object_id) is not None and method == "GET":
                return "get_template", self._get_template
            if object_id == self._phone_number_id and method == "GET":
                return "get_phone_number", self._get_phone_number
            if object_id == self._waba_id and method == "GET":
                return "get_waba", self._get_waba
            raise unknown_object(object_id, verb)
        if not parts:
            raise GraphError(400, 100, "(#100) Missing object id in the request path")
        raise GraphError(400, 2500, "Unknown path components: /" + "/".join(parts[1:]))

    def _draw_fault(self, kind: str) -> str | None:
        return None if self.faults is None else self.faults.draw(self._fault_rng, kind)

    # -- rate limits -------------------------------------------------------------------------

    def _limit_now(self) -> float:
        if self.limits is not None and self.limits.use_clock:
            return self._clock.now().timestamp()
        return time.monotonic()

    def _check_limits(self, person: PersonState | None) -> None:
        limits = self.limits
        if limits is None:
            return
        now = self._limit_now()
        if (
            limits.per_second is not None
            and window_wait(self._sent_window, now, 1.0, limits.per_second) is not None
        ):
            self.rate_limited += 1
            raise GraphError(
                400,
                130429,
                "(#130429) Rate limit hit",
                details="Cloud API message throughput has been reached.",
            )
        if (
            person is not None
            and limits.pair_burst is not None
            and window_wait(person.pair_window, now, limits.pair_interval, limits.pair_burst)
            is not None
        ):
            self.rate_limited += 1
            raise GraphError(
                400,
                131056,
                "(#131056) (Business Account, Consumer Account) pair rate limit hit",
                details="Message failed to send because there were too many messages sent from "
                "this phone number to the same phone number in a short period of time.",
            )

    def _record_send(self, person: PersonState | None) -> None:
        if self.limits is None:
            return
        now = self._limit_now()
        self._sent_window.append(now)
        if person is not None:
            person.pair_window.append(now)

    # -- POST /{phone_id}/messages -----------------------------------------------------------

    async def _messages(self, request: web.Request, body: Any) -> JSONDict:
        if not isinstance(body, dict):
            raise GraphError(
                400, 100, "(#100) Invalid parameter", details="The body must be a JSON object"
            )
        if body.get("messaging_product") != "whatsapp":
            raise missing_parameter("messaging_product")
        if "status" in body:
            return self._status_request(body)
        recipient_type = body.get("recipient_type", "individual")
        if recipient_type != "individual":
            raise bad_parameter(
                f"Param recipient_type {recipient_type!r} is not implemented by the fake "
                "(individual only)"
            )
        person, wa_id, by_user_id, given = self._resolve_recipient(body)
        kind = body.get("type", "text")
        if not isinstance(kind, str):
            raise bad_parameter("Param type must be a string")
        built = self._build(kind, body)
        tracker = body.get("biz_opaque_callback_data")
        if tracker is not None and (not isinstance(tracker, str) or len(tracker) > MAX_TRACKER):
            raise invalid_value(
                f"biz_opaque_callback_data length invalid. Max length: {MAX_TRACKER}"
            )
        context = body.get("context")
        reply_to = context.get("message_id") if isinstance(context, dict) else None
        self._check_limits(person)
        self._record_send(person)

        message_id = self._new_wamid()
        message = FakeWaMessage(
            id=message_id,
            wa_id=wa_id,
            from_business=True,
            type=kind,
            timestamp=self._now(),
            text=built.text,
            interactive_type=built.interactive_type,
            header=built.header,
            footer=built.footer,
            caption=built.caption,
            buttons=built.buttons,
            button_ids=built.button_ids,
            rows=built.rows,
            list_button=built.list_button,
            url_button=built.url_button,
            document=built.media if kind == "document" else None,
            image=built.media if kind == "image" else None,
            media=built.media,
            header_media=built.header_media,
            reply_to=str(reply_to) if reply_to else None,
            tracker=tracker,
            status="accepted",
            request=body,
        )
        if built.template is not None:
            rendered = built.template
            message.template = TemplateRef(
                rendered.name, rendered.language, rendered.category, rendered.params
            )
        self._outbound[message_id] = message
        failure = built.failure
        if failure is None and person is None:
            failure = UNDELIVERABLE if kind == "template" else RE_ENGAGEMENT
        if failure is None and person is not None and kind != "template":
            if not self.window_open(person):
                failure = RE_ENGAGEMENT
        seq = self._timeline.tick()
        if failure is not None:
            message.status = "failed"
            message.errors = [failure.json()]
            if person is not None:
                person.undelivered.append(message)
                person.add_event(seq, "failed", message)
            else:
                self.unreachable.append(message)
            self._queue_status(message, person, "failed", error=failure)
        elif person is not None:
            message.status = "delivered"
            person.messages.append(message)
            person.add_event(seq, "delivered", message)
            self._queue_status(message, person, "sent")
            self._queue_status(message, person, "delivered")
        contact: JSONDict = {"input": given}
        if by_user_id:
            contact["user_id"] = person.user_id if person is not None else given
        else:
            contact["wa_id"] = wa_id
        sent: JSONDict = {"id": message_id}
        if kind == "template":
            sent["message_status"] = "accepted"
        return {"messaging_product": "whatsapp", "contacts": [contact], "messages": [sent]}

    def _resolve_recipient(self, body: JSONDict) -> tuple[PersonState | None, str, bool, str]:
        """(the person if known, their wa_id, whether addressed by user id, the input)."""
        to = body.get("to")
        recipient = body.get("recipient")
        if recipient is not None and to is None:
            if not isinstance(recipient, str) or not _BSUID.fullmatch(recipient.strip()):
                raise bad_parameter("Param recipient must be a valid business-scoped user ID")
            person = self._people_by_user_id.get(recipient.strip())
            wa_id = person.wa_id if person is not None else recipient.strip()
            return person, wa_id, True, recipient
        if to is None:
            raise missing_parameter("to")
        if not isinstance(to, str | int):
            raise bad_parameter("Param to must be a phone number")
        given = str(to)
        digits = re.sub(r"[+\-\s().]", "", given)
        if not digits.isdigit() or not 5 <= len(digits) <= 15:
            raise GraphError(
                400,
                100,
                "(#100) Invalid parameter",
                details=f"Param to is not a valid phone number: {given}",
            )
        return self._people.get(digits), digits, False, given

    def _status_request(self, body: JSONDict) -> JSONDict:
        if body.get("status") != "read":
            raise bad_parameter("Param status must be one of {read}")
        message_id = body.get("message_id")
        if not isinstance(message_id, str) or not message_id:
            raise missing_parameter("message_id")
        found = self._inbound.get(message_id)
        if found is None:
            raise GraphError(
                400,
                100,
                "(#100) Invalid parameter",
                details=f"Message {message_id} is not a message received by this phone number",
            )
        _, record = found
        record.read_by_business = True
        indicator = body.get("typing_indicator")
        if indicator is not None:
            if not isinstance(indicator, dict) or indicator.get("type") != "text":
                raise bad_parameter("Param typing_indicator['type'] must be one of {text}")
            record.typing_indicator = True
        return {"success": True}

    # -- building messages -------------------------------------------------------------------

    def _build(self, kind: str, body: JSONDict) -> _Built:
        if kind == "text":
            text = body.get("text")
            if not isinstance(text, dict) or not isinstance(text.get("body"), str):
                raise missing_parameter("text['body']")
            value = _length_check(text["body"], "text body", 1, MAX_TEXT)
            return _Built(type="text", text=value)
        if kind == "interactive":
            return self._build_interactive(body.get("interactive"))
        if kind == "template":
            rendered = self.templates.render(body.get("template"))
            return _Built(
                type="template",
                text=rendered.body,
                header=rendered.header,
                footer=rendered.footer,
                buttons=[text for text, _ in rendered.quick_replies],
                button_ids=[payload for _, payload in rendered.quick_replies],
                url_button=UrlButton(*rendered.url_buttons[0]) if rendered.url_buttons else None,
                template=rendered,
            )
        if kind in _MEDIA_TYPES:
            media, failure = self._media_object(kind, body.get(kind))
            raw = body[kind]
            caption = raw.get("caption")
            if caption is not None:
                if kind in {"audio", "sticker"}:
                    raise bad_parameter(f"Param {kind}['caption'] is not allowed")
                _length_check(caption, "caption", 0, MAX_CAPTION)
            return _Built(
                type=kind, text=caption or "", caption=caption, media=media, failure=failure
            )
        if kind in _NOT_IMPLEMENTED_TYPES:
            raise bad_parameter(f"Messages of type {kind} are not implemented by the fake")
        raise bad_parameter(
            "Param type must be one of {audio, contacts, document, image, interactive, "
            "location, reaction, sticker, template, text, video}"
        )

    def _media_object(self, kind: str, raw: Any) -> tuple[FakeWaMedia, StatusError | None]:
        """The media of an image/document/... message, and the failure its status will report
        (a link the fake cannot fetch, a media id that is not there, a type that does not fit)."""
        if not isinstance(raw, dict):
            raise missing_parameter(kind)
        media_id = raw.get("id")
        link = raw.get("link")
        if (media_id is None) == (link is None):
            raise bad_parameter(
                f"Param {kind} must have exactly one of {kind}['id'], {kind}['link']"
            )
        filename = raw.get("filename")
        if filename is not None and not isinstance(filename, str):
            raise bad_parameter(f"Param {kind}['filename'] must be a string")
        if link is not None:
            if not isinstance(link, str) or not _URL.fullmatch(link):
                raise bad_parameter(f"Param {kind}['link'] must be a valid URL")
            failure = media_upload_error(
                f"Downloading media from weblink failed: the fake WhatsApp API has no network "
                f"({urlsplit(link).netloc})"
            )
            empty = hashlib.sha256(b"").hexdigest()
            return FakeWaMedia(None, "", b"", empty, filename, link=link), failure
        stored = self._media.get(str(media_id))
        if stored is None or not stored.usable(self._clock.now()):
            failure = media_upload_error(f"Media id {media_id} does not exist or has expired")
            empty = hashlib.sha256(b"").hexdigest()
            return FakeWaMedia(str(media_id), "", b"", empty, filename), failure
        media = FakeWaMedia(
            stored.id,
            stored.mime_type,
            stored.content,
            stored.sha256_hex,
            filename if filename is not None else stored.filename if kind == "document" else None,
        )
        if kind != "document" and stored.mime_type not in _MEDIA_MIME_TYPES[kind]:
            return media, media_upload_error(
                f"Media type {stored.mime_type} is not supported for {kind} messages"
            )
        return media, None

    def _build_interactive(self, raw: Any) -> _Built:
        if not isinstance(raw, dict):
            raise missing_parameter("interactive")
        itype = raw.get("type")
        if not isinstance(itype, str):
            raise missing_parameter("interactive['type']")
        if itype not in {"button", "list", "cta_url"}:
            if itype in {
                "flow",
                "product",
                "product_list",
                "catalog_message",
                "location_request_message",
                "call_permission_request",
                "voice_call",
            }:
                raise bad_parameter(
                    f"Interactive messages of type {itype} are not implemented by the fake"
                )
            raise bad_parameter(f"Param interactive['type'] is invalid: {itype}")
        action = raw.get("action")
        if not isinstance(action, dict):
            raise missing_parameter("interactive['action']")
        body = raw.get("body")
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            raise missing_parameter("interactive['body']")
        body_max = {"button": MAX_BUTTON_BODY, "list": MAX_LIST_BODY, "cta_url": MAX_CTA_BODY}[
            itype
        ]
        text = _length_check(body["text"], "body text", 1, body_max)
        built = _Built(type="interactive", interactive_type=itype, text=text)
        header = raw.get("header")
        if header is not None:
            if not isinstance(header, dict):
                raise bad_parameter("Param interactive['header'] must be an object")
            header_type = header.get("type")
            if header_type == "text":
                built.header = _length_check(header.get("text"), "header text", 1, MAX_HEADER)
            elif header_type in {"image", "video", "document"} and itype != "list":
                media, failure = self._media_object(str(header_type), header.get(header_type))
                built.header_media = media
                built.failure = failure
            else:
                raise bad_parameter(
                    f"Param interactive['header']['type'] is invalid: {header_type}"
                )
        footer = raw.get("footer")
        if footer is not None:
            if not isinstance(footer, dict):
                raise bad_parameter("Param interactive['footer'] must be an object")
            built.footer = _length_check(footer.get("text"), "footer text", 1, MAX_FOOTER)
        if itype == "button":
            self._reply_buttons(action, built)
        elif itype == "list":
            self._list_rows(action, built)
        else:
            self._cta_url(action, built)
        return built

    @staticmethod
    def _reply_buttons(action: JSONDict, built: _Built) -> None:
        buttons = action.get("buttons")
        if not isinstance(buttons, list):
            raise missing_parameter("interactive['action']['buttons']")
        if not 1 <= len(buttons) <= MAX_BUTTONS:
            raise invalid_value(
                f"Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: {MAX_BUTTONS}"
            )
        for button in buttons:
            if not isinstance(button, dict) or button.get("type") != "reply":
                raise bad_parameter("Param interactive['action']['buttons'][type] must be reply")
            reply = button.get("reply")
            if not isinstance(reply, dict):
                raise missing_parameter("interactive['action']['buttons'][reply]")
            title = _length_check(reply.get("title"), "button title", 1, MAX_BUTTON_TITLE)
            button_id = _length_check(reply.get("id"), "button id", 1, MAX_BUTTON_ID)
            if button_id != button_id.strip():
                raise invalid_value("Button id cannot have leading or trailing spaces")
            if button_id in built.button_ids:
                raise invalid_value("Duplicate buttons id. Button ids must be unique")
            if title in built.buttons:
                raise invalid_value("Duplicate buttons title. Button titles must be unique")
            built.buttons.append(title)
            built.button_ids.append(button_id)

    @staticmethod
    def _list_rows(action: JSONDict, built: _Built) -> None:
        built.list_button = _length_check(action.get("button"), "button text", 1, MAX_LIST_BUTTON)
        sections = action.get("sections")
        if not isinstance(sections, list):
            raise missing_parameter("interactive['action']['sections']")
        if not 1 <= len(sections) <= MAX_SECTIONS:
            raise invalid_value(
                f"Invalid sections count. Min allowed sections: 1, Max allowed sections: "
                f"{MAX_SECTIONS}"
            )
        total = sum(
            len(s.get("rows", []))
            for s in sections
            if isinstance(s, dict) and isinstance(s.get("rows", []), list)
        )
        if total > MAX_ROWS:
            raise invalid_value(f"Total row count exceed max allowed count: {MAX_ROWS}")
        for section in sections:
            if not isinstance(section, dict):
                raise bad_parameter("Param interactive['action']['sections'] must be objects")
            title = section.get("title")
            if title is None:
                if len(sections) > 1:
                    raise invalid_value(
                        "Section title is required when there is more than one section"
                    )
            else:
                _length_check(title, "section title", 1, MAX_SECTION_TITLE)
            rows = section.get("rows")
            if not isinstance(rows, list) or not rows:
                raise invalid_value("Invalid rows count. Min allowed rows: 1 per section")
            for row in rows:
                if not isinstance(row, dict):
                    raise bad_parameter(
                        "Param interactive['action']['sections'][rows] must be objects"
                    )
                row_id = _length_check(row.get("id"), "row id", 1, MAX_ROW_ID)
                row_title = _length_check(row.get("title"), "row title", 1, MAX_ROW_TITLE)
                description = row.get("description")
                if description is not None:
                    _length_check(description, "row description", 0, MAX_ROW_DESCRIPTION)
                if any(existing.id == row_id for existing in built.rows):
                    raise invalid_value("Duplicate row id. Row ids must be unique")
                built.rows.append(ListRow(row_id, row_title, description or None, title))

    @staticmethod
    def _cta_url(action: JSONDict, built: _Built) -> None:
        if action.get("name") != "cta_url":
            raise bad_parameter("Param interactive['action']['name'] must be cta_url")
        parameters = action.get("parameters")
        if not isinstance(parameters, dict):
            raise missing_parameter("interactive['action']['parameters']")
        text = _length_check(parameters.get("display_text"), "display text", 1, MAX_CTA_TEXT)
        url = parameters.get("url")
        if not isinstance(url, str) or not _URL.fullmatch(url):
            raise invalid_value("Invalid url. The url must be a valid http(s) URL")
        built.url_button = UrlButton(text, url)

    # -- media endpoints ---------------------------------------------------------------------

    async def _upload(self, request: web.Request, body: Any) -> JSONDict:
        if not isinstance(body, dict):
            raise missing_parameter("file")
        if body.get("messaging_product") != "whatsapp":
            raise missing_parameter("messaging_product")
        upload = body.get("file")
        if not isinstance(upload, tuple):
            raise missing_parameter("file")
        filename, file_type, content = upload
        mime_type = body.get("type") or file_type
        if not isinstance(mime_type, str) or not mime_type:
            raise missing_parameter("type")
        mime_type = mime_type.split(";")[0].strip().lower()
        kind = next((k for k, types in _MEDIA_MIME_TYPES.items() if mime_type in types), None)
        if kind is None:
            supported = sorted(set().union(*_MEDIA_MIME_TYPES.values()))
            raise bad_parameter(
                f"Param file must be a file with one of the following types: {', '.join(supported)}. "
                f"Received file of type '{mime_type}'."
            )
        if len(content) > _MEDIA_MAX_BYTES[kind]:
            raise bad_parameter(
                f"Param file must be at most {_MEDIA_MAX_BYTES[kind]} bytes for {kind} media"
            )
        stored = self._store_media(content, mime_type, filename or None, uploaded_by="business")
        return {"id": stored.id}

    def _usable_media(self, request: web.Request, verb: str) -> StoredMedia:
        media_id = [p for p in request.path.split("/") if p][-1]
        stored = self._media.get(media_id)
        if stored is None or not stored.usable(self._clock.now()):
            raise unknown_object(media_id, verb)
        phone = request.query.get("phone_number_id")
        if phone is not None and phone != self._phone_number_id:
            raise unknown_object(media_id, verb)
        return stored

    async def _get_media(self, request: web.Request, body: Any) -> JSONDict:
        stored = self._usable_media(request, "get")
        token = "".join(self._rng.choices(string.ascii_letters + string.digits, k=32))
        expires = self._clock.now() + MEDIA_URL_TTL
        self._download_tokens[token] = (stored.id, expires)
        query = urlencode({"mid": stored.id, "ext": int(expires.timestamp()), "hash": token})
        return {
            "messaging_product": "whatsapp",
            "url": f"{self.base_url}{_DOWNLOAD_PATH}?{query}",
            "mime_type": stored.mime_type,
            "sha256": stored.sha256_hex,
            "file_size": len(stored.content),
            "id": stored.id,
        }

    async def _delete_media(self, request: web.Request, body: Any) -> JSONDict:
        stored = self._usable_media(request, "delete")
        stored.deleted = True
        return {"success": True}

    async def _download(self, request: web.Request, body: Any) -> web.StreamResponse:
        token = request.query.get("hash", "")
        found = self._download_tokens.get(token)
        now = self._clock.now()
        if found is None or found[0] != request.query.get("mid") or now > found[1]:
            return web.Response(status=404, text="Not Found")
        stored = self._media.get(found[0])
        if stored is None or not stored.usable(now):
            return web.Response(status=404, text="Not Found")
        headers = {}
        if stored.filename:
            headers["Content-Disposition"] = f'attachment; filename="{stored.filename}"'
        return web.Response(body=stored.content, content_type=stored.mime_type, headers=headers)

    # -- templates endpoints -----------------------------------------------------------------

    def _make_list_templates(self, version: str | None) -> _Handler:
        async def handler(request: web.Request, body: Any) -> JSONDict:
            return self._list_templates(request, version)

        return handler

    def _list_templates(self, request: web.Request, version: str | None) -> JSONDict:
        query = request.query
        templates = list(self.templates)

        def listed(name: str) -> set[str] | None:
            value = query.get(name)
            return {v.strip().upper() for v in value.split(",") if v.strip()} if value else None

        statuses, categories = listed("status"), listed("category")
        languages = (
            {v.strip() for v in query["language"].split(",")} if query.get("language") else None
        )
        if statuses is not None:
            templates = [t for t in templates if t.status in statuses]
        if categories is not None:
            templates = [t for t in templates if t.category in categories]
        if languages is not None:
            templates = [t for t in templates if t.language in languages]
        if name := query.get("name"):
            templates = [t for t in templates if name.lower() in t.name.lower()]
        if content := query.get("content"):
            templates = [t for t in templates if content.lower() in t.body.lower()]
        if either := query.get("name_or_content"):
            needle = either.lower()
            templates = [
                t for t in templates if needle in t.name.lower() or needle in t.body.lower()
            ]
        try:
            limit = max(1, min(int(query.get("limit", "25")), 1000))
        except ValueError:
            raise bad_parameter("Param limit must be an integer") from None
        start = 0
        if after := query.get("after"):
            start = self._cursor_index(after) + 1
        elif before := query.get("before"):
            start = max(0, self._cursor_index(before) - limit)
        page = templates[start : start + limit]
        fields = (
            frozenset(f.strip() for f in query["fields"].split(",") if f.strip())
            if query.get("fields")
            else frozenset({"name", "status", "language", "category", "components", "id"})
        )
        result: JSONDict = {"data": [t.json(fields) for t in page]}
        if page:
            paging: JSONDict = {
                "cursors": {
                    "before": self._cursor(start),
                    "after": self._cursor(start + len(page) - 1),
                }
            }
            base = f"{self.base_url}/{version or 'v23.0'}/{self._waba_id}/message_templates"
            keep = {k: v for k, v in query.items() if k not in {"after", "before", "access_token"}}
            if start + len(page) < len(templates):
                paging["next"] = (
                    f"{base}?{urlencode({**keep, 'after': self._cursor(start + len(page) - 1)})}"
                )
            if start > 0:
                paging["previous"] = f"{base}?{urlencode({**keep, 'before': self._cursor(start)})}"
            result["paging"] = paging
        if query.get("summary"):
            result["summary"] = {
                "total_count": len(self.templates),
                "message_template_count": len(self.templates),
                "message_template_limit": 250,
                "are_translations_complete": True,
            }
        return result

    @staticmethod
    def _cursor(index: int) -> str:
        return base64.urlsafe_b64encode(f"index:{index}".encode()).decode().rstrip("=")

    @staticmethod
    def _cursor_index(cursor: str) -> int:
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            return int(text.removeprefix("index:"))
        except (ValueError, UnicodeDecodeError):
            raise bad_parameter("Param after/before is not a valid cursor") from None

    async def _create_template(self, request: web.Request, body: Any) -> JSONDict:
        template = self.templates.create(body)
        return {"id": template.id, "status": template.status, "category": template.category}

    async def _get_template(self, request: web.Request, body: Any) -> JSONDict:
        template_id = [p for p in request.path.split("/") if p][-1]
        template = self.templates.by_id(template_id)
        if template is None:
            raise unknown_object(template_id)
        fields = request.query.get("fields")
        wanted = frozenset(f.strip() for f in fields.split(",")) if fields else None
        return template.json(wanted)

    async def _delete_template(self, request: web.Request, body: Any) -> JSONDict:
        name = request.query.get("name")
        if not name:
            raise missing_parameter("name")
        if not self.templates.delete(name, request.query.get("hsm_id")):
            raise GraphError(
                400,
                100,
                "Invalid parameter",
                subcode=2593002,
                user_title="Message template not found",
                user_message=f"There is no message template named {name}.",
            )
        return {"success": True}

    async def _get_phone_number(self, request: web.Request, body: Any) -> JSONDict:
        return {
            "verified_name": self.verified_name,
            "code_verification_status": "VERIFIED",
            "display_phone_number": "+" + self._display_number,
            "quality_rating": "GREEN",
            "platform_type": "CLOUD_API",
            "throughput": {"level": "STANDARD"},
            "id": self._phone_number_id,
        }

    async def _get_waba(self, request: web.Request, body: Any) -> JSONDict:
        return {
            "id": self._waba_id,
            "name": self.verified_name,
            "timezone_id": "42",
            "message_template_namespace": hashlib.sha256(self._waba_id.encode()).hexdigest()[:36],
        }
