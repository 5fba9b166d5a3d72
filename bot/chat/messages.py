"""Messages as the bot means them, before any channel renders them.

A message is rich text (spans that are plain, bold, italic, code or a link), rows of buttons (each
an opaque token the bot looks up when pressed, or a URL), optionally a file to send, and optionally
a request for a typed reply. Telegram renders it as HTML with an inline keyboard; a WhatsApp
channel renders the same message its own way. Messages are stored in the outbox as JSON.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

Style = Literal["", "b", "i", "code"]


class Span(NamedTuple):
    """A run of text in one style (a tuple: a long message has hundreds, made on every send)."""

    text: str
    style: Style = ""
    url: str | None = None


class Rich:
    """A builder of rich text; every method returns self so lines read top to bottom."""

    def __init__(self, spans: list[Span] | None = None) -> None:
        self.spans: list[Span] = list(spans or [])

    def add(self, text: str, style: Style = "") -> Rich:
        if text:
            self.spans.append(Span(text, style))
        return self

    def b(self, text: str) -> Rich:
        return self.add(text, "b")

    def i(self, text: str) -> Rich:
        return self.add(text, "i")

    def code(self, text: str) -> Rich:
        return self.add(text, "code")

    def link(self, text: str, url: str) -> Rich:
        self.spans.append(Span(text, "", url))
        return self

    def nl(self, count: int = 1) -> Rich:
        return self.add("\n" * count)

    def field(self, label: str, value: str) -> Rich:
        """A "Label: value" line."""
        return self.b(f"{label}: ").add(value).nl()

    def extend(self, other: Rich) -> Rich:
        self.spans.extend(other.spans)
        return self

    def plain(self) -> str:
        return "".join(s.text for s in self.spans)

    def __len__(self) -> int:
        return sum(len(s.text) for s in self.spans)

    def to_json(self) -> list[list[str]]:
        return [[s.style, s.text, s.url] if s.url else [s.style, s.text] for s in self.spans]

    @classmethod
    def from_json(cls, data: list[list[str]]) -> Rich:
        spans = []
        for item in data:
            style, text = item[0], item[1]
            url = item[2] if len(item) > 2 else None
            spans.append(Span(text, style if style in ("", "b", "i", "code") else "", url))  # type: ignore[arg-type]
        return cls(spans)


@dataclass(frozen=True)
class Button:
    label: str
    token: str | None = None  # pressed: the bot looks the token up
    url: str | None = None  # opened: a link
    kind: str = ""  # "file": fetches an earlier document (a channel may list these apart)


@dataclass(frozen=True)
class Attachment:
    """A file to send: one the bot keeps (``stored``, an id of its files), bytes it made, or a
    Telegram reference to a file handed in before the bot kept files itself (``ref``)."""

    name: str
    ref: str | None = None
    data: bytes | None = None
    mime_type: str | None = None
    as_photo: bool = False
    stored: int | None = None


@dataclass(frozen=True)
class ShortForm:
    """The message as a short, pre-approved form carries it, for channels that may write first
    only that way (WhatsApp outside its 24-hour window, as a template): which form, its values
    in order, and its quick replies (tokens, pressed like the full message's buttons)."""

    name: str
    params: tuple[str, ...]
    buttons: tuple[Button, ...] = ()


@dataclass
class OutMessage:
    text: Rich
    buttons: list[list[Button]] = field(default_factory=list)
    attachment: Attachment | None = None
    reply_prompt: str | None = None  # ask for a typed reply, with this hint in the input field
    # A file the sender makes when it sends the message (an archive record, a report): queued in
    # the same transaction as what caused it, built from the database when it goes out.
    generate: dict[str, Any] | None = None
    # What the buttons are for, in a line ("Langkah 5 dari 6: pilih jawaban Anda"), for channels
    # that show buttons in a message of their own after the text.
    prompt: str | None = None
    short_form: ShortForm | None = None

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"text": self.text.to_json()}
        if self.buttons:
            payload["buttons"] = [[_button_json(b) for b in row] for row in self.buttons]
        if self.attachment is not None:
            a = self.attachment
            payload["attachment"] = {
                "name": a.name,
                "ref": a.ref,
                "data": base64.b64encode(a.data).decode() if a.data is not None else None,
                "mime_type": a.mime_type,
                "as_photo": a.as_photo,
                "stored": a.stored,
            }
        if self.reply_prompt is not None:
            payload["reply_prompt"] = self.reply_prompt
        if self.generate is not None:
            payload["generate"] = self.generate
        if self.prompt is not None:
            payload["prompt"] = self.prompt
        if self.short_form is not None:
            f = self.short_form
            payload["short_form"] = {
                "name": f.name,
                "params": list(f.params),
                "buttons": [_button_json(b) for b in f.buttons],
            }
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> OutMessage:
        buttons = [[_button_of(b) for b in row] for row in payload.get("buttons", [])]
        attachment = None
        if (a := payload.get("attachment")) is not None:
            attachment = Attachment(
                name=a["name"],
                ref=a.get("ref"),
                data=base64.b64decode(a["data"]) if a.get("data") else None,
                mime_type=a.get("mime_type"),
                as_photo=bool(a.get("as_photo")),
                stored=a.get("stored"),
            )
        short_form = None
        if (f := payload.get("short_form")) is not None:
            short_form = ShortForm(
                f["name"], tuple(f["params"]), tuple(_button_of(b) for b in f["buttons"])
            )
        return cls(
            text=Rich.from_json(payload.get("text", [])),
            buttons=buttons,
            attachment=attachment,
            reply_prompt=payload.get("reply_prompt"),
            generate=payload.get("generate"),
            prompt=payload.get("prompt"),
            short_form=short_form,
        )

    @property
    def token_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row if b.token]

    @property
    def url_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row if b.url]


def _button_of(data: dict[str, str]) -> Button:
    return Button(
        label=data["label"], token=data.get("token"), url=data.get("url"), kind=data.get("kind", "")
    )


def _button_json(button: Button) -> dict[str, str]:
    found = {"label": button.label, "token": button.token, "url": button.url, "kind": button.kind}
    return {k: v for k, v in found.items() if v}


# Every channel carries 4,096 characters in a text message; a step message keeps room for the
# outcome line written into it when its step is done.
MAX_TEXT = 3800


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with "…" when cut; its
    line breaks kept. Only a word longer than a third of the room is cut inside."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return "…"[:limit]
    cut = text[: limit - 1]
    if not text[limit - 1].isspace():
        boundary = max(cut.rfind(" "), cut.rfind("\n"))
        if boundary >= limit // 3:
            cut = cut[:boundary]
    return cut.rstrip(" ,;:.-\n") + "…"


def fit(text: Rich, limit: int = MAX_TEXT) -> Rich:
    """Keep a message within a chat message's size, cutting the end of long texts (at a word
    boundary)."""
    if len(text) <= limit:
        return text
    kept, size = [], 0
    for span in text.spans:
        room = limit - size
        if room <= 0:
            break
        if len(span.text) > room:
            kept.append(type(span)(clip(span.text, room), span.style, span.url))
            break
        kept.append(span)
        size += len(span.text)
    return Rich(kept)


def text_message(*lines: str) -> OutMessage:
    """A plain message of a few lines."""
    return OutMessage(Rich().add("\n".join(lines)))
