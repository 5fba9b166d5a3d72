"""A bot message as WhatsApp carries it, within WhatsApp's rules: the text as a text message (up to
4,096 characters), then the buttons in an interactive message of their own (at most 3 reply
buttons of at most 20 characters, a body of at most 1,024), more choices or earlier documents as
a list (at most 10 rows), a link as a call-to-action button, a file as a document or an image.
A short text with a few buttons is one interactive message. Outside the 24-hour window the
message's short form goes as a template instead (``template``)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.chat.messages import Button, OutMessage, Rich, ShortForm
from bot.words.format import short

MAX_TEXT = 4096
MAX_BODY = 1024
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_ROWS = 10
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_LIST_BUTTON = 20
TEMPLATE_PREFIX = "sopbot_"
TEMPLATE_LANGUAGE = "id"

CHOOSE = "Pilih"
DOCUMENTS = "Dokumen"
DOCUMENTS_BODY = "Dokumen dari langkah sebelumnya: pilih untuk menerimanya."
OPEN_LINK = "Buka tautan"


@dataclass(frozen=True)
class TextPart:
    body: str


@dataclass(frozen=True)
class ButtonsPart:
    body: str
    buttons: tuple[tuple[str, str], ...]  # (token, title)


@dataclass(frozen=True)
class ListPart:
    body: str
    button: str
    rows: tuple[tuple[str, str, str | None], ...]  # (token, title, description)


@dataclass(frozen=True)
class LinkPart:
    body: str
    label: str
    url: str


@dataclass(frozen=True)
class FilePart:
    name: str
    data: bytes | None
    ref: str | None
    mime_type: str | None
    caption: str | None
    photo: bool


Part = TextPart | ButtonsPart | ListPart | LinkPart | FilePart


def markdown(text: Rich) -> str:
    """Rich text in WhatsApp's own marks: *bold*, _italic_, ```code```; a link as its address."""
    out = []
    for span in text.spans:
        body = span.text
        if span.url:
            out.append(body if body == span.url else f"{body} ({span.url})")
            continue
        core = body.strip()
        if not core or span.style == "":
            out.append(body)
            continue
        mark = {"b": "*", "i": "_", "code": "```"}[span.style]
        lead, trail = body[: len(body) - len(body.lstrip())], body[len(body.rstrip()) :]
        out.append(f"{lead}{mark}{core}{mark}{trail}")
    return "".join(out)


def _button_title(label: str) -> str:
    return short(label, MAX_BUTTON_TITLE)


def _row(button: Button) -> tuple[str, str, str | None]:
    assert button.token is not None  # noqa: S101 - rows are made of pressable buttons
    title = short(button.label, MAX_ROW_TITLE)
    description = short(button.label, MAX_ROW_DESCRIPTION) if title != button.label else None
    return button.token, title, description


def _fits_reply_buttons(buttons: list[Button]) -> bool:
    return 0 < len(buttons) <= MAX_BUTTONS and all(
        len(b.label) <= MAX_BUTTON_TITLE for b in buttons
    )


def parts(message: OutMessage) -> list[Part]:
    """The WhatsApp messages that carry one bot message, in the order they are sent."""
    body = markdown(message.text).strip()
    files = [b for b in message.token_buttons if b.kind == "file"]
    choices = [b for b in message.token_buttons if b.kind != "file"]
    interactive: list[Part] = []
    prompt = message.prompt or CHOOSE
    if _fits_reply_buttons(choices):
        interactive.append(
            ButtonsPart(prompt, tuple((b.token or "", _button_title(b.label)) for b in choices))
        )
    elif choices:
        menu = short(message.prompt or CHOOSE, MAX_LIST_BUTTON)
        interactive.append(ListPart(prompt, menu, tuple(_row(b) for b in choices[:MAX_ROWS])))
    if files:
        rows = tuple(_row(b) for b in files[:MAX_ROWS])
        interactive.append(ListPart(DOCUMENTS_BODY, DOCUMENTS, rows))
    for link in message.url_buttons:
        assert link.url is not None  # noqa: S101
        interactive.append(LinkPart(OPEN_LINK, _button_title(link.label), link.url))

    out: list[Part] = []
    if message.attachment is not None:
        a = message.attachment
        caption = body if body and len(body) <= MAX_BODY else None
        if body and caption is None:
            out.append(TextPart(_fit(body)))
        out.append(FilePart(a.name, a.data, a.ref, a.mime_type, caption, a.as_photo))
    elif len(interactive) == 1 and body and len(body) <= MAX_BODY:
        # A short message with its buttons is one interactive message.
        out.append(_with_body(interactive[0], body))
        return out
    elif body:
        out.append(TextPart(_fit(body)))
    out.extend(interactive)
    return out


def _fit(body: str) -> str:
    return body if len(body) <= MAX_TEXT else body[: MAX_TEXT - 1] + "…"


def _with_body(part: Part, body: str) -> Part:
    match part:
        case ButtonsPart():
            return ButtonsPart(body, part.buttons)
        case ListPart():
            return ListPart(body, part.button, part.rows)
        case LinkPart():
            return LinkPart(body, part.label, part.url)
    return part


@dataclass(frozen=True)
class TemplateSend:
    name: str
    language: str
    params: tuple[str, ...]
    payloads: tuple[str, ...]  # the quick replies' tokens, in the template's button order


def template(form: ShortForm) -> TemplateSend:
    """A short form as the approved template ``sopbot_<name>`` in Indonesian sends it."""
    return TemplateSend(
        name=TEMPLATE_PREFIX + form.name,
        language=TEMPLATE_LANGUAGE,
        params=form.params,
        payloads=tuple(b.token or "" for b in form.buttons),
    )
