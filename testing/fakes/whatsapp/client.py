"""The people that tests drive against the fake WhatsApp Cloud API, and what they see.

A `FakeWaUser` is one WhatsApp account writing to the business number. What the business sent
them is a list of `FakeWaMessage` records, the fake's own live records: a message's `status`
moves from "delivered" to "read" when the person reads it. Only delivered messages are in
`messages`; a message the Cloud API accepted but could not deliver (the 24-hour window was
closed, its media could not be fetched) is in `undelivered`, with the errors of its `failed`
status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fakes.common import Mark

if TYPE_CHECKING:
    from fakes.whatsapp.server import FakeWhatsAppApi, PersonState

__all__ = [
    "FakeWaMedia",
    "FakeWaMessage",
    "FakeWaUser",
    "ListRow",
    "Mark",
    "Predicate",
    "TemplateRef",
    "UrlButton",
]


@dataclass(frozen=True)
class ListRow:
    """One row of a list message as the person sees it."""

    id: str
    title: str
    description: str | None = None
    section: str | None = None


@dataclass(frozen=True)
class UrlButton:
    """A call-to-action URL button (interactive cta_url, or a template's URL button)."""

    text: str
    url: str


@dataclass(frozen=True)
class TemplateRef:
    """Which template a message was sent from, and the body parameters it was sent with
    (a list for positional templates, a dict for named ones)."""

    name: str
    language: str
    category: str
    params: list[str] | dict[str, str]


@dataclass(frozen=True)
class FakeWaMedia:
    """A document, image or other media file as the person received it (or sent it)."""

    media_id: str | None
    mime_type: str
    content: bytes
    sha256: str
    filename: str | None = None
    link: str | None = None


@dataclass(eq=False)
class FakeWaMessage:
    """One message between the business and a person.

    `text` is what the person reads first, for every type: the text body, the interactive or
    template body (placeholders filled), or a media caption ("" without one). `buttons` are the
    reply button titles or the template's quick replies, `button_ids` what pressing each sends
    back (reply ids, quick-reply payloads). `status` is live: "sent", "delivered", "read" or
    "failed" for the business's messages, "received" for a person's.
    """

    id: str
    wa_id: str
    from_business: bool
    type: str
    timestamp: int
    text: str = ""
    interactive_type: str | None = None
    header: str | None = None
    footer: str | None = None
    caption: str | None = None
    buttons: list[str] = field(default_factory=list)
    button_ids: list[str] = field(default_factory=list)
    rows: list[ListRow] = field(default_factory=list)
    list_button: str | None = None
    url_button: UrlButton | None = None
    template: TemplateRef | None = None
    document: FakeWaMedia | None = None
    image: FakeWaMedia | None = None
    media: FakeWaMedia | None = None
    header_media: FakeWaMedia | None = None
    reply_to: str | None = None
    tracker: str | None = None
    status: str = "sent"
    errors: list[dict[str, Any]] = field(default_factory=list)
    request: dict[str, Any] = field(default_factory=dict, repr=False)
    read_by_business: bool = False
    typing_indicator: bool = False

    def button_id(self, title: str) -> str:
        """What pressing the button titled `title` sends back; LookupError naming the buttons."""
        for button_title, button_id in zip(self.buttons, self.button_ids, strict=True):
            if button_title == title:
                return button_id
        raise LookupError(f"message {self.id} has no button {title!r}; it has {self.buttons!r}")

    def row(self, title: str) -> ListRow:
        """The list row titled `title`; LookupError naming the rows there are if none."""
        for row in self.rows:
            if row.title == title:
                return row
        titles = [row.title for row in self.rows]
        raise LookupError(f"message {self.id} has no row {title!r}; it has {titles!r}")

    def __repr__(self) -> str:
        who = "business" if self.from_business else f"person {self.wa_id}"
        kind = self.interactive_type or self.type
        return f"<FakeWaMessage {self.id} {kind} from {who} [{self.status}]: {self.text!r}>"


Predicate = Callable[[FakeWaMessage], bool]


class FakeWaUser:
    """A WhatsApp account writing to the business number (created by `api.person()`)."""

    def __init__(self, api: FakeWhatsAppApi, state: PersonState) -> None:
        self._api = api
        self._state = state

    @property
    def wa_id(self) -> str:
        return self._state.wa_id

    @property
    def name(self) -> str:
        return self._state.name

    @property
    def user_id(self) -> str:
        """The business-scoped user id (BSUID) Meta gives this person for this WABA."""
        return self._state.user_id

    @property
    def state(self) -> PersonState:
        return self._state

    @property
    def messages(self) -> list[FakeWaMessage]:
        """What the business delivered to this person, in order."""
        return list(self._state.messages)

    @property
    def undelivered(self) -> list[FakeWaMessage]:
        """Messages the Cloud API accepted for this person but reported `failed`."""
        return list(self._state.undelivered)

    @property
    def sent(self) -> list[FakeWaMessage]:
        """What this person sent to the business, in order."""
        return list(self._state.sent)

    @property
    def window_open(self) -> bool:
        """Whether the 24-hour customer service window is open now (by the fake's clock)."""
        return self._api.window_open(self._state)

    def last_message(self) -> FakeWaMessage:
        if not self._state.messages:
            raise LookupError(f"the business has delivered nothing to {self.wa_id}")
        return self._state.messages[-1]

    async def send(self, text: str, *, reply_to: FakeWaMessage | None = None) -> FakeWaMessage:
        """Type `text` and send it to the business (a `text` message webhook)."""
        if not text:
            raise ValueError("WhatsApp sends no empty text messages")
        return self._api.person_sends(self._state, "text", {"body": text}, reply_to=reply_to)

    async def send_document(
        self,
        filename: str,
        content: bytes,
        mime_type: str = "application/pdf",
        caption: str | None = None,
        *,
        reply_to: FakeWaMessage | None = None,
    ) -> FakeWaMessage:
        """Send a file; it is uploaded into the fake and the webhook carries its media id."""
        return self._api.person_sends_media(
            self._state,
            "document",
            content,
            mime_type=mime_type,
            filename=filename,
            caption=caption,
            reply_to=reply_to,
        )

    async def send_image(
        self,
        content: bytes,
        caption: str | None = None,
        mime_type: str = "image/jpeg",
        *,
        reply_to: FakeWaMessage | None = None,
    ) -> FakeWaMessage:
        return self._api.person_sends_media(
            self._state,
            "image",
            content,
            mime_type=mime_type,
            filename=None,
            caption=caption,
            reply_to=reply_to,
        )

    async def press(self, message: FakeWaMessage, title: str) -> FakeWaMessage:
        """Tap the reply button (or template quick reply) titled `title` on `message`."""
        return self._api.person_presses(self._state, message, title)

    async def choose(self, message: FakeWaMessage, row_title: str) -> FakeWaMessage:
        """Open the list of a list message and pick the row titled `row_title`."""
        return self._api.person_chooses(self._state, message, row_title)

    async def read(self, message: FakeWaMessage) -> None:
        """Read a delivered message: its status becomes "read" (a `read` status webhook)."""
        self._api.person_reads(self._state, message)

    async def read_all(self) -> None:
        for message in self._state.messages:
            if message.status != "read":
                self._api.person_reads(self._state, message)

    def mark(self) -> Mark:
        """Remember now; pass it as `since=` to wait only for what the business sends after."""
        return self._api.mark()

    async def wait_for(
        self,
        predicate: Predicate | None = None,
        *,
        since: Mark | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - how long a test waits, not an I/O timeout
    ) -> FakeWaMessage:
        """The first message delivered to this person after `since` (or ever) that matches
        `predicate`; waits for one up to `timeout` seconds."""
        return await self._api.wait_for_delivery(
            self._state, predicate, since=since, within=timeout
        )

    async def wait_for_failed(
        self,
        predicate: Predicate | None = None,
        *,
        since: Mark | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - how long a test waits, not an I/O timeout
    ) -> FakeWaMessage:
        """Like `wait_for`, for a message the Cloud API accepted but could not deliver."""
        return await self._api.wait_for_delivery(
            self._state, predicate, since=since, within=timeout, failed=True
        )

    def __repr__(self) -> str:
        return f"<FakeWaUser {self.wa_id} {self.name!r}>"
