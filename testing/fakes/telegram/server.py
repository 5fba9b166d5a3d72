"""A local fake of the Telegram Bot API, served over real HTTP by aiohttp.

The bot under test (python-telegram-bot) reaches it through `ApplicationBuilder().base_url(...)`
and `.base_file_url(...)`; nothing in PTB is patched. The fake keeps Telegram's state (chats,
messages, files, updates, webhook, commands) per bot token and answers with Telegram's JSON
envelope and Telegram's error texts, so a request that Telegram would refuse is refused here too.

Where it knowingly differs from Telegram:
- parse_mode HTML only; MarkdownV2/Markdown answer 400 (the project writes HTML).
- A bare "&" in HTML is refused (the Bot API docs require escaping; Telegram keeps it literally).
- Webhooks may use http:// and any port on loopback addresses; updates are delivered only to
  loopback, one at a time, retried with a short backoff (0.05 s doubling to 1 s).
- File URLs given to sendDocument/sendPhoto cannot be fetched (no network): 400.
- Callback queries never expire; message ids count per chat; one photo size per photo.
- Length limits count code points; entity offsets are UTF-16 as on Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import html as html_lib
import json
import logging
import math
import mimetypes
import random
import re
import struct
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final
from urllib.parse import urlsplit

from aiohttp import web

from bot.clock import Clock, SystemClock
from fakes.common import (
    FaultsBase,
    History,
    LocalServer,
    Mark,
    Signal,
    Timeline,
    WebhookClient,
    abort_connection,
    deliver_in_order,
    is_loopback,
    window_wait,
)
from fakes.telegram.client import (
    CallbackAnswer,
    FakeDocument,
    FakeGroup,
    FakeMessage,
    FakePhoto,
    FakeUser,
    Predicate,
)

__all__ = [
    "ApiCall",
    "ApiError",
    "BotState",
    "ChatState",
    "FakeBotApi",
    "Faults",
    "Limits",
    "Person",
    "parse_html",
    "render_html",
]

_LOG = logging.getLogger(__name__)

JSONDict = dict[str, Any]

MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_INLINE_BUTTONS: Final = 100
MAX_CALLBACK_ANSWER_LENGTH: Final = 200
MAX_UPLOAD_BYTES: Final = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES: Final = 20 * 1024 * 1024

# Update types delivered when allowed_updates is not set (or set to an empty list).
_DEFAULT_UPDATE_TYPES: Final = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)

_CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)


# --------------------------------------------------------------------------------------------
# Errors, limits, faults, the call log
# --------------------------------------------------------------------------------------------


class ApiError(Exception):
    """A Bot API error answer: `{"ok": false, "error_code": status, "description": ...}`."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def payload(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        parameters: JSONDict = {}
        if self.retry_after is not None:
            parameters["retry_after"] = self.retry_after
        if self.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = self.migrate_to_chat_id
        if parameters:
            body["parameters"] = parameters
        return body


def _bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


@dataclass
class Limits:
    """Telegram's flood limits, enforced with sliding windows over real (monotonic) time.

    Sending methods beyond these rates answer 429 with `retry_after` set to the whole seconds until
    the window frees a slot. Only requests that succeed take a slot.
    """

    per_bot_per_second: int = 30
    per_chat_per_second: int = 1
    per_group_per_minute: int = 20
    enforce: bool = True


FAULT_KINDS: Final = frozenset({"429", "5xx", "drop", "slow", "drop_after"})


@dataclass
class Faults(FaultsBase):
    """Random failures on a `share` of calls, drawn from a generator seeded by the fake's seed.

    Kinds: "429" (Too Many Requests, retry_after 1), "5xx" (500 or 502 JSON error), "drop" (the
    connection is closed without an answer), "slow" (the answer, and the effect, come
    `slow_seconds` late), and, not in the default set, "drop_after" (the effect happens but the
    answer is lost, as when Telegram delivered a message and the connection broke afterwards).
    Every kind except "drop_after" is decided before the call has any effect. `methods` limits
    faults to those method names (any case); by default every method except getUpdates.
    """

    KINDS: ClassVar[frozenset[str]] = FAULT_KINDS

    kinds: tuple[str, ...] = ("429", "5xx", "drop", "slow")
    methods: Iterable[str] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.methods is not None:
            self.methods = frozenset(m.lower() for m in self.methods)

    def applies_to(self, method: str) -> bool:
        if self.methods is None:
            return method.lower() != "getupdates"
        return method.lower() in frozenset(self.methods)


@dataclass
class ApiCall:
    """One request the bot made: method (canonical spelling), parsed params (uploads summarised),
    monotonic time of arrival, the HTTP status answered (0 while in flight or when the connection
    was dropped), and `done` once it was answered or dropped."""

    method: str
    params: JSONDict
    time: float
    status: int = 0
    description: str | None = None
    bot_username: str | None = None
    fault: str | None = None
    done: bool = False

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


# --------------------------------------------------------------------------------------------
# Message text: Telegram's HTML, entities (UTF-16 offsets), trimming, auto-detected entities
# --------------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _utf16_offsets(text: str) -> list[int]:
    """offsets[i] is the UTF-16 offset of text[i]; offsets[len(text)] is the total length."""
    if utf16_len(text) == len(text):  # no character outside the BMP: offsets are indexes
        return list(range(len(text) + 1))
    offsets = [0] * (len(text) + 1)
    position = 0
    for index, char in enumerate(text):
        offsets[index] = position
        position += 2 if ord(char) > 0xFFFF else 1
    offsets[len(text)] = position
    return offsets


class _HtmlError(Exception):
    pass


_TAG_TYPES: Final = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE: Final = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")
_TAG_NAME_RE: Final = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTR_NAME_RE: Final = re.compile(r"[a-zA-Z][a-zA-Z0-9_-]*")


@dataclass
class _OpenTag:
    name: str
    start: int  # UTF-16 offset in the plain text
    byte_offset: int
    attrs: dict[str, str]


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _decode_entity(source: str, index: int) -> tuple[str, int] | None:
    match = _ENTITY_RE.match(source, index)
    if match is None:
        return None
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        char = _NAMED_ENTITIES.get(name)
        if char is None:
            return None
        return char, match.end()
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


# Entities over the same text are kept in one order (outer kinds first), so that equal
# formatting always gives equal entity lists, whatever order the tags were written in.
_TYPE_ORDER: Final = {
    kind: rank
    for rank, kind in enumerate(
        [
            "blockquote",
            "expandable_blockquote",
            "pre",
            "code",
            "text_link",
            "text_mention",
            "bold",
            "italic",
            "underline",
            "strikethrough",
            "spoiler",
            "custom_emoji",
        ]
    )
}


def _entity_order(entity: JSONDict) -> tuple[int, int, int]:
    return (entity["offset"], -entity["length"], _TYPE_ORDER.get(entity["type"], 99))


def parse_html(source: str) -> tuple[str, list[JSONDict]]:
    """Parse Telegram-flavoured HTML into plain text and entities (UTF-16 offsets), raising
    ApiError 400 "can't parse entities: ..." where Telegram would.

    Stricter than Telegram in one way the Bot API documentation asks for: a bare "&" that starts
    no entity is refused instead of being kept literally.
    """
    try:
        return _parse_html(source)
    except _HtmlError as exc:
        raise _bad_request(f"can't parse entities: {exc}") from None


def _parse_html(source: str) -> tuple[str, list[JSONDict]]:
    out: list[str] = []
    position = 0  # UTF-16 length of out
    stack: list[_OpenTag] = []
    entities: list[JSONDict] = []
    index = 0
    length = len(source)

    def emit(chars: str) -> None:
        nonlocal position
        out.append(chars)
        position += utf16_len(chars)

    while index < length:
        char = source[index]
        if char == "&":
            decoded = _decode_entity(source, index)
            if decoded is None:
                raise _HtmlError(
                    'Unsupported HTML entity or unescaped "&" at byte offset '
                    f"{_byte_offset(source, index)}"
                )
            emit(decoded[0])
            index = decoded[1]
            continue
        if char != "<":
            # The plain run up to the next entity or tag, in one piece.
            stop = length
            for mark in ("&", "<"):
                found = source.find(mark, index, stop)
                if found != -1:
                    stop = found
            emit(source[index:stop])
            index = stop
            continue
        begin = index
        begin_bytes = _byte_offset(source, begin)
        index += 1
        if index < length and source[index] == "/":
            close = source.find(">", index)
            if close == -1:
                raise _HtmlError(f"Unclosed end tag at byte offset {begin_bytes}")
            name = source[index + 1 : close].strip().lower()
            if not stack:
                raise _HtmlError(f"Unexpected end tag at byte offset {begin_bytes}")
            top = stack.pop()
            if name != top.name:
                raise _HtmlError(
                    f'Unmatched end tag at byte offset {begin_bytes}, expected "</{top.name}>", '
                    f'found "</{name}>"'
                )
            _close_tag(top, position, "".join(out), entities)
            index = close + 1
            continue
        name_match = _TAG_NAME_RE.match(source, index)
        if name_match is None:
            raise _HtmlError(f"Unsupported start tag at byte offset {begin_bytes}")
        name = name_match.group(0).lower()
        if name not in _TAG_TYPES:
            raise _HtmlError(f'Unsupported start tag "{name}" at byte offset {begin_bytes}')
        index = name_match.end()
        attrs: dict[str, str] = {}
        while True:
            while index < length and source[index] in " \t\n\r":
                index += 1
            if index >= length:
                raise _HtmlError(f'Unclosed start tag "{name}" at byte offset {begin_bytes}')
            if source[index] == ">":
                index += 1
                break
            attr_match = _ATTR_NAME_RE.match(source, index)
            if attr_match is None:
                raise _HtmlError(
                    f'Empty attribute name in the tag "{name}" at byte offset {begin_bytes}'
                )
            attr_name = attr_match.group(0).lower()
            index = attr_match.end()
            while index < length and source[index] in " \t\n\r":
                index += 1
            if index < length and source[index] == "=":
                index += 1
                while index < length and source[index] in " \t\n\r":
                    index += 1
                if index >= length:
                    raise _HtmlError(f'Unclosed start tag "{name}" at byte offset {begin_bytes}')
                value, index = _attribute_value(source, index, name, begin_bytes)
            else:
                value = ""
            attrs[attr_name] = value
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise _HtmlError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {begin_bytes}'
            )
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise _HtmlError(
                "Custom emoji entity must contain a tg-emoji identifier at byte offset "
                f"{begin_bytes}"
            )
        stack.append(_OpenTag(name=name, start=position, byte_offset=begin_bytes, attrs=attrs))
    if stack:
        raise _HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)  # a language belongs to pre blocks only
    entities.sort(key=_entity_order)
    return "".join(out), entities


def _attribute_value(source: str, index: int, tag: str, begin_bytes: int) -> tuple[str, int]:
    quote = source[index]
    value: list[str] = []
    if quote in "\"'":
        index += 1
        while True:
            if index >= len(source):
                raise _HtmlError(f'Unclosed start tag "{tag}" at byte offset {begin_bytes}')
            char = source[index]
            if char == quote:
                return "".join(value), index + 1
            if char == "&":
                decoded = _decode_entity(source, index)
                if decoded is not None:
                    value.append(decoded[0])
                    index = decoded[1]
                    continue
            value.append(char)
            index += 1
    while index < len(source) and source[index] not in " \t\n\r>":
        value.append(source[index])
        index += 1
    return "".join(value), index


def _close_tag(tag: _OpenTag, end: int, text_so_far: str, entities: list[JSONDict]) -> None:
    length = end - tag.start
    kind = _TAG_TYPES[tag.name]
    entity: JSONDict = {"type": kind, "offset": tag.start, "length": length}
    if kind == "text_link":
        # Without href Telegram links the text itself.
        entity["url"] = tag.attrs.get("href") or _slice_utf16(text_so_far, tag.start, end)
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = tag.attrs["emoji-id"]
    elif kind == "blockquote" and "expandable" in tag.attrs:
        entity["type"] = "expandable_blockquote"
    elif kind == "code" and tag.attrs.get("class", "").startswith("language-"):
        entity["language"] = tag.attrs["class"].removeprefix("language-")
    elif kind == "pre":
        # <pre><code class="language-x">...</code></pre> is one pre entity with a language.
        for inner in reversed(entities):
            if (
                inner["type"] == "code"
                and inner["offset"] == tag.start
                and inner["length"] == length
            ):
                entities.remove(inner)
                if "language" in inner:
                    entity["language"] = inner["language"]
                break
    if length > 0:
        entities.append(entity)


def _slice_utf16(text: str, begin: int, end: int) -> str:
    encoded = text.encode("utf-16-le")
    return encoded[begin * 2 : end * 2].decode("utf-16-le")


_ENTITY_TYPES: Final = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
        "date_time",
    }
)
_AUTO_TYPES: Final = frozenset(
    {"mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number"}
)
_AUTO_PATTERNS: Final = (
    (
        "bot_command",
        re.compile(r"(?<![\w/\\])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])"),
    ),
    (
        "email",
        re.compile(r"(?<![\w.@+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"),
    ),
    ("url", re.compile(r"(?<![\w@])(?:https?://)[^\s<>\"]+[^\s<>\".,;:!?)\]'’”]")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}\b")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")),
)


def _validate_entities(raw: Any, text: str) -> list[JSONDict]:
    """Explicit `entities`/`caption_entities` as Telegram checks them."""
    if not isinstance(raw, list):
        raise _bad_request("can't parse entities JSON object")
    total = utf16_len(text)
    entities: list[JSONDict] = []
    for item in raw:
        if not isinstance(item, dict):
            raise _bad_request("can't parse MessageEntity JSON object")
        kind = item.get("type")
        offset = item.get("offset")
        length = item.get("length")
        if kind not in _ENTITY_TYPES:
            raise _bad_request("can't parse MessageEntity: unsupported type")
        if not isinstance(offset, int) or not isinstance(length, int) or offset < 0:
            raise _bad_request("can't parse MessageEntity: offset and length must be integers")
        if length <= 0 or offset >= total:
            continue
        entity = dict(item)
        entity["length"] = min(length, total - offset)
        if kind == "text_link" and not entity.get("url"):
            raise _bad_request("can't parse entities: text_link entity needs a url")
        entities.append(entity)
    entities.sort(key=_entity_order)
    return entities


def _trim(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Telegram drops "\\r", trailing whitespace, and leading spaces/newlines that come before
    the first entity; entities are moved and cut to match."""
    first_entity = min((e["offset"] for e in entities), default=None)
    offsets = _utf16_offsets(text)
    start = 0
    while start < len(text) and text[start] in " \n":
        if first_entity is not None and offsets[start] >= first_entity:
            break
        start += 1
    end = len(text)
    while end > start and text[end - 1].isspace():
        end -= 1
    shift = offsets[start]
    limit = offsets[end] - shift
    trimmed: list[JSONDict] = []
    for entity in entities:
        begin = max(entity["offset"] - shift, 0)
        finish = min(entity["offset"] + entity["length"] - shift, limit)
        if finish > begin:
            trimmed.append({**entity, "offset": begin, "length": finish - begin})
    return text[start:end], trimmed


def _auto_entities(text: str, entities: list[JSONDict]) -> list[JSONDict]:
    """Add the entities Telegram detects by itself (commands, links, mentions, hashtags, mail)
    where no explicit entity other than plain formatting covers the text."""
    offsets = _utf16_offsets(text)
    taken: list[tuple[int, int]] = [
        (e["offset"], e["offset"] + e["length"])
        for e in entities
        if e["type"] in {"code", "pre", "text_link", "text_mention", "custom_emoji"}
        or e["type"] in _AUTO_TYPES
    ]
    found: list[JSONDict] = []
    for kind, pattern in _AUTO_PATTERNS:
        for match in pattern.finditer(text):
            begin, end = offsets[match.start()], offsets[match.end()]
            if any(begin < stop and start < end for start, stop in taken):
                continue
            taken.append((begin, end))
            found.append({"type": kind, "offset": begin, "length": end - begin})
    merged = entities + found
    merged.sort(key=_entity_order)
    return merged


_RENDER_TAGS: Final = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ("<tg-spoiler>", "</tg-spoiler>"),
    "code": ("<code>", "</code>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ("<blockquote expandable>", "</blockquote>"),
}


def _entity_tags(entity: JSONDict) -> tuple[str, str] | None:
    kind = entity["type"]
    if kind in _RENDER_TAGS:
        return _RENDER_TAGS[kind]
    if kind == "text_link":
        return f'<a href="{html_lib.escape(str(entity.get("url", "")))}">', "</a>"
    if kind == "text_mention":
        user_id = (entity.get("user") or {}).get("id", "")
        return f'<a href="tg://user?id={user_id}">', "</a>"
    if kind == "pre":
        language = entity.get("language")
        if language:
            return f'<pre><code class="language-{html_lib.escape(language)}">', "</code></pre>"
        return "<pre>", "</pre>"
    if kind == "custom_emoji":
        return f'<tg-emoji emoji-id="{entity.get("custom_emoji_id", "")}">', "</tg-emoji>"
    return None  # detected entities (links, commands, ...) are not markup


def render_html(text: str, entities: list[JSONDict]) -> str:
    """The text with its formatting entities written back as Telegram HTML."""
    offsets = _utf16_offsets(text)
    index_of = {offset: index for index, offset in enumerate(offsets)}
    opens: dict[int, list[tuple[int, str]]] = {}
    closes: dict[int, list[tuple[int, str]]] = {}
    for order, entity in enumerate(sorted(entities, key=_entity_order)):
        tags = _entity_tags(entity)
        begin = index_of.get(entity["offset"])
        end = index_of.get(entity["offset"] + entity["length"])
        if tags is None or begin is None or end is None:
            continue
        opens.setdefault(begin, []).append((order, tags[0]))
        closes.setdefault(end, []).append((order, tags[1]))
    parts: list[str] = []
    position = 0  # text before it is written
    for index in sorted(opens.keys() | closes.keys()):
        parts.append(html_lib.escape(text[position:index], quote=False))
        position = index
        for _, tag in sorted(closes.get(index, []), reverse=True):
            parts.append(tag)
        for _, tag in sorted(opens.get(index, [])):
            parts.append(tag)
    parts.append(html_lib.escape(text[position:], quote=False))
    return "".join(parts)


@dataclass
class _Text:
    text: str
    entities: list[JSONDict]
    html: str
    sent_html: str | None


def _format_text(
    raw: str | None,
    parse_mode: str | None,
    explicit_entities: Any,
    *,
    max_length: int,
    caption: bool,
) -> _Text:
    """Apply parse_mode/entities, trimming and the length limit to a text or caption."""
    source = (raw or "").replace("\r", "")
    sent_html: str | None = None
    if explicit_entities is not None:
        text, entities = source, _validate_entities(explicit_entities, source)
    elif parse_mode is None or parse_mode == "":
        text, entities = source, []
    elif parse_mode.lower() == "html":
        text, entities = parse_html(source)
        sent_html = source
    else:
        # MarkdownV2 and Markdown are not implemented: refuse loudly rather than store a text
        # that Telegram would have parsed (or refused) differently.
        raise _bad_request(f"unsupported parse_mode {parse_mode!r} in the fake Bot API; use HTML")
    text, entities = _trim(text, entities)
    if not text and not caption:
        raise _bad_request("message text is empty")
    if len(text) > max_length:
        raise _bad_request("message caption is too long" if caption else "message is too long")
    entities = _auto_entities(text, entities)
    return _Text(
        text=text, entities=entities, html=render_html(text, entities), sent_html=sent_html
    )


# --------------------------------------------------------------------------------------------
# Reply markup
# --------------------------------------------------------------------------------------------

_BUTTON_ACTIONS: Final = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


@dataclass
class _Markup:
    inline_keyboard: list[list[JSONDict]] | None = None
    force_reply: bool = False
    placeholder: str | None = None
    reply_keyboard: list[list[str]] | None = None
    remove_keyboard: bool = False


def _load_json(raw: Any, error: str) -> Any:
    if isinstance(raw, str | bytes):
        try:
            return json.loads(raw)
        except ValueError:
            raise _bad_request(error) from None
    return raw


def _parse_markup(raw: Any, *, inline_only: bool = False) -> _Markup:
    if raw is None or raw == "":
        return _Markup()
    markup = _load_json(raw, "can't parse reply keyboard markup JSON object")
    if not isinstance(markup, dict):
        raise _bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        return _Markup(inline_keyboard=_parse_inline_keyboard(markup["inline_keyboard"]))
    if inline_only:
        raise _bad_request("inline keyboard expected")
    if markup.get("force_reply") is True:
        placeholder = markup.get("input_field_placeholder")
        if placeholder is not None and (not isinstance(placeholder, str) or len(placeholder) > 64):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        return _Markup(force_reply=True, placeholder=placeholder)
    if markup.get("remove_keyboard") is True:
        return _Markup(remove_keyboard=True)
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad_request(
                'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
            )
        texts = [
            [b if isinstance(b, str) else str(b.get("text", "")) for b in row if b] for row in rows
        ]
        texts = [row for row in texts if row]
        return _Markup(reply_keyboard=texts or None)
    raise _bad_request("can't parse reply keyboard markup JSON object")


def _parse_inline_keyboard(rows: Any) -> list[list[JSONDict]] | None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
        )
    keyboard: list[list[JSONDict]] = []
    count = 0
    for row in rows:
        out_row: list[JSONDict] = []
        for button in row:
            if not isinstance(button, dict):
                raise _bad_request(
                    "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                )
            text = button.get("text")
            if not isinstance(text, str):
                raise _bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            actions = [name for name in _BUTTON_ACTIONS if button.get(name) is not None]
            if not actions:
                raise _bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the "
                    "inline keyboard"
                )
            if not text.strip():
                raise _bad_request("BUTTON_TEXT_INVALID")
            data = button.get("callback_data")
            if data is not None and (
                not isinstance(data, str)
                or not data
                or len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES
            ):
                raise _bad_request("BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and not _valid_button_url(url):
                raise _bad_request("BUTTON_URL_INVALID")
            out_row.append({k: v for k, v in button.items() if v is not None})
            count += 1
        if out_row:
            keyboard.append(out_row)
    if count > MAX_INLINE_BUTTONS:
        raise _bad_request("REPLY_MARKUP_TOO_LONG")
    return keyboard or None


def _valid_button_url(url: Any) -> bool:
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    if parts.scheme in {"http", "https"}:
        return "." in (parts.hostname or "")
    return parts.scheme == "tg" and bool(parts.netloc)


# --------------------------------------------------------------------------------------------
# State
# --------------------------------------------------------------------------------------------


@dataclass
class Person:
    """A Telegram account (not a bot)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "id"

    def json(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    kind: str  # "document" or "photo"
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    file_path: str = ""


@dataclass
class _Update:
    update_id: int
    kind: str
    payload: JSONDict

    def json(self) -> JSONDict:
        return {"update_id": self.update_id, self.kind: self.payload}


@dataclass
class _CallbackQuery:
    query_id: str
    answer: asyncio.Future[CallbackAnswer]
    answered: bool = False


class ChatState(History[FakeMessage]):
    """One chat as one bot sees it: its messages and whether the bot may write there.

    Its `events` are (seq, "sent" | "edited" | "deleted", message), for wait_for(since=...)."""

    def __init__(
        self,
        chat_id: int,
        kind: str,
        *,
        person: Person | None = None,
        title: str | None = None,
        chat_instance: str = "",
    ) -> None:
        super().__init__()
        self.chat_id = chat_id
        self.kind = kind  # "private", "group" or "supergroup"
        self.person = person
        self.title = title
        self.chat_instance = chat_instance
        self.messages: list[FakeMessage] = []
        self.by_id: dict[int, FakeMessage] = {}
        self.next_message_id = 1
        self.started = False
        self.blocked = False
        self.bot_member = False
        self.bot_admin = False
        self.bot_kicked = False
        self.chat_actions: list[str] = []
        self.menu_button: JSONDict | None = None
        self.migrated_to: int | None = None

    @property
    def is_private(self) -> bool:
        return self.kind == "private"

    def json(self) -> JSONDict:
        if self.person is not None:
            data = {"id": self.chat_id, "type": "private", "first_name": self.person.first_name}
            if self.person.last_name:
                data["last_name"] = self.person.last_name
            if self.person.username:
                data["username"] = self.person.username
            return data
        return {"id": self.chat_id, "type": self.kind, "title": self.title or ""}


class BotState:
    """Everything Telegram keeps for one bot token."""

    def __init__(self, token: str, bot_id: int, username: str, first_name: str) -> None:
        self.token = token
        self.id = bot_id
        self.username = username
        self.first_name = first_name
        self.chats: dict[int, ChatState] = {}
        self.updates: deque[_Update] = deque()
        self.next_update_id = 100_000_001
        self.update_signal = Signal()
        self.allowed_updates: frozenset[str] = _DEFAULT_UPDATE_TYPES
        self.dropped_updates = 0
        self.poll_generation = 0
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.webhook_max_connections = 40
        self.webhook_last_error_date: int | None = None
        self.webhook_last_error_message: str | None = None
        self.commands: dict[tuple[tuple[Any, ...], str], list[JSONDict]] = {}
        self.callbacks: dict[str, _CallbackQuery] = {}
        self.sent_window: deque[float] = deque()
        self.chat_windows: dict[int, deque[float]] = {}
        self.group_windows: dict[int, deque[float]] = {}
        self.webhook_task: asyncio.Task[None] | None = None
        self.menu_button: JSONDict | None = None

    def json(self) -> JSONDict:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def confirm(self, offset: int) -> None:
        """getUpdates' offset: forget every update below it (negative: keep the last -offset)."""
        if offset < 0:
            while len(self.updates) > -offset:
                self.updates.popleft()
        else:
            while self.updates and self.updates[0].update_id < offset:
                self.updates.popleft()
        self.update_signal.notify()


@dataclass
class _Upload:
    filename: str | None
    content_type: str | None
    content: bytes


class _Params:
    """A request's parameters, from the query string and a JSON, urlencoded or multipart body.

    PTB sends form data in which numbers are text and nested objects are JSON text; a JSON body
    carries real types. The getters accept both.
    """

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def get_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None or isinstance(value, _Upload):
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def get_int(self, name: str, *, required: bool = False) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise _bad_request(f"{name} is empty")
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return int(value.strip())
        raise _bad_request(f'field "{name}" must be of type Integer')

    def get_number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _bad_request(f'field "{name}" must be of type Number') from None

    def get_bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in {"true", "1"}
        return bool(value)

    def get_json(self, name: str, error: str | None = None) -> Any:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        return _load_json(value, error or f"can't parse {name} JSON object")

    def upload(self, name: str) -> _Upload | None:
        value = self.values.get(name)
        return value if isinstance(value, _Upload) else None

    def chat_id(self) -> int:
        value = self.values.get("chat_id")
        if value is None or value == "":
            raise _bad_request("chat_id is empty")
        if isinstance(value, str) and value.startswith("@"):
            raise _bad_request("chat not found")
        chat_id = self.get_int("chat_id", required=True)
        return chat_id if chat_id is not None else 0

    def logged(self) -> JSONDict:
        """The parameters for the call log: numbers and JSON decoded, uploads summarised."""
        logged: JSONDict = {}
        for name, value in self.values.items():
            if isinstance(value, _Upload):
                logged[name] = f"<upload {value.filename!r}, {len(value.content)} bytes>"
            elif name in _INT_FIELDS:
                try:
                    logged[name] = self.get_int(name)
                except ApiError:
                    logged[name] = value
            elif name in _BOOL_FIELDS:
                logged[name] = self.get_bool(name)
            elif name in _JSON_FIELDS and isinstance(value, str):
                try:
                    logged[name] = json.loads(value)
                except ValueError:
                    logged[name] = value
            else:
                logged[name] = value
        return logged


_INT_FIELDS: Final = frozenset(
    {
        "chat_id",
        "message_id",
        "user_id",
        "offset",
        "limit",
        "timeout",
        "reply_to_message_id",
        "cache_time",
        "max_connections",
        "message_thread_id",
    }
)
_BOOL_FIELDS: Final = frozenset(
    {
        "show_alert",
        "drop_pending_updates",
        "disable_notification",
        "protect_content",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "disable_content_type_detection",
    }
)
_JSON_FIELDS: Final = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "reply_parameters",
        "allowed_updates",
        "commands",
        "scope",
        "menu_button",
        "link_preview_options",
    }
)


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------

_ID_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_SECRET_TOKEN_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND_RE: Final = re.compile(r"[a-z0-9_]{1,32}")
_SCOPE_TYPES: Final = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_WEBHOOK_PORTS: Final = frozenset({80, 88, 443, 8443})


def _id_from_token(token: str) -> int | None:
    head = token.split(":", 1)[0]
    return int(head) if head.isdigit() and len(head) < 19 else None


def _image_size(content: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG image, None when it is none of those."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
    if content[:6] in (b"GIF87a", b"GIF89a") and len(content) >= 10:
        width, height = struct.unpack("<HH", content[6:10])
        return int(width), int(height)
    if content.startswith(b"\xff\xd8"):
        index = 2
        while index + 9 < len(content):
            if content[index] != 0xFF:
                index += 1
                continue
            marker = content[index + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                index += 2
                continue
            (segment,) = struct.unpack(">H", content[index + 2 : index + 4])
            if marker in {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE}:
                height, width = struct.unpack(">HH", content[index + 5 : index + 9])
                return int(width), int(height)
            index += 2 + segment
    return None


_LIMITED_METHODS: Final = frozenset(
    {
        "sendmessage",
        "senddocument",
        "sendphoto",
        "editmessagetext",
        "editmessagecaption",
        "editmessagereplymarkup",
    }
)


class FakeBotApi(LocalServer):
    """A fake Telegram Bot API server on 127.0.0.1 for one or more bot tokens.

    Each token is its own bot: the first is `bot_username`/`bot_id` (default: the number before
    the token's colon, as on Telegram); further ones get numbered usernames (sopbot_test2_bot, ...)
    and the number of their own token as id. People and groups created with `user()`/`group()`
    talk to the first bot unless `bot=` names another.

        async with FakeBotApi(TOKEN) as api:
            builder = ApplicationBuilder().token(TOKEN).base_url(api.base_url)
            app = builder.base_file_url(api.base_file_url).build()
            ...  # add handlers, initialize, start, updater.start_polling(poll_interval=0)
            budi = api.user(1001, "Budi")
            await budi.send("/start")
            menu = await budi.wait_for(lambda m: "Langkah 1" in m.text)
            mark = budi.mark()
            answer = await budi.press(menu, "Lanjut")  # waits for answerCallbackQuery
            step2 = await budi.wait_for(lambda m: "Langkah 2" in m.text, since=mark)

    Time: message dates come from `clock` (the project's Clock; default the system clock); flood
    limits, retry_after and long polls use real monotonic time, because PTB really sleeps.
    """

    def __init__(
        self,
        tokens: list[str] | str,
        *,
        bot_username: str = "sopbot_test_bot",
        bot_id: int | None = None,
        bot_first_name: str = "SOP Bot",
        limits: Limits | None = None,
        faults: Faults | None = None,
        seed: int = 0,
        group_privacy: bool = True,
        clock: Clock | None = None,
    ) -> None:
        super().__init__()
        token_list = [tokens] if isinstance(tokens, str) else list(tokens)
        if not token_list or not all(token_list) or len(set(token_list)) != len(token_list):
            raise ValueError("FakeBotApi needs one or more distinct, non-empty tokens")
        first_id = bot_id if bot_id is not None else _id_from_token(token_list[0]) or 7000000001
        stem = bot_username.removesuffix("bot").rstrip("_")
        self._bots: dict[str, BotState] = {}
        self._bots_by_username: dict[str, BotState] = {}
        for index, token in enumerate(token_list):
            username = bot_username if index == 0 else f"{stem}{index + 1}_bot"
            own_id = first_id if index == 0 else _id_from_token(token) or first_id + index
            state = BotState(token, own_id, username, bot_first_name)
            self._bots[token] = state
            self._bots_by_username[username.lower()] = state
        self._default = self._bots[token_list[0]]
        self.limits = limits
        self.faults = faults
        self.group_privacy = group_privacy
        self._clock: Clock = clock or SystemClock()
        self._fault_rng = random.Random(seed)  # noqa: S311 - repeatable test faults, not crypto
        self._id_rng = random.Random(seed + 1)  # noqa: S311
        self._persons: dict[int, Person] = {}
        self._users: dict[tuple[int, int], FakeUser] = {}
        self._groups: dict[tuple[int, int], FakeGroup] = {}
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._seen: dict[int, set[int]] = {state.id: set() for state in self._bots.values()}
        self.calls: list[ApiCall] = []
        self._calls_signal = Signal()
        self.faults_injected: Counter[str] = Counter()
        self.rate_limited = 0
        self._timeline = Timeline()
        self._webhook_client = WebhookClient(
            "the fake Bot API", "webhook updates", verify_tls=False
        )
        self._closing = False

    # -- lifecycle ---------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        return app

    async def _started(self) -> None:
        self._closing = False
        await self._webhook_client.start()
        for state in self._bots.values():
            state.webhook_task = asyncio.create_task(
                self._webhook_loop(state), name=f"fakeapi-webhook-{state.username}"
            )

    async def _stopping(self) -> None:
        self._closing = True
        for state in self._bots.values():
            state.update_signal.notify()  # long polls answer at once
            task, state.webhook_task = state.webhook_task, None
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for query in state.callbacks.values():
                if not query.answer.done():
                    query.answer.cancel()
        await self._webhook_client.close()

    @property
    def base_url(self) -> str:
        """For ApplicationBuilder().base_url(): PTB appends the token and the method."""
        return self._url("/bot")

    @property
    def base_file_url(self) -> str:
        return self._url("/file/bot")

    @property
    def bot_username(self) -> str:
        return self._default.username

    @property
    def bot_id(self) -> int:
        return self._default.id

    # -- people and groups -------------------------------------------------------------------

    def _bot(self, bot: str | None) -> BotState:
        if bot is None:
            return self._default
        state = self._bots_by_username.get(bot.lstrip("@").lower())
        if state is None:
            raise LookupError(f"no bot @{bot.lstrip('@')} on this fake")
        return state

    def user(
        self,
        user_id: int,
        first_name: str,
        *,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "id",
        started: bool = False,
        bot: str | None = None,
    ) -> FakeUser:
        """The person `user_id` and their private chat with the bot (created on first call,
        the same object afterwards). `started=True` means they pressed Start earlier, so the
        bot may write to them before they write anything in the test."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        state = self._bot(bot)
        person = self._persons.get(user_id)
        if person is None:
            person = Person(user_id, first_name, last_name, username, language_code)
            self._persons[user_id] = person
        fake = self._users.get((state.id, user_id))
        if fake is None:
            chat = ChatState(user_id, "private", person=person, chat_instance=self._instance_id())
            state.chats[user_id] = chat
            fake = FakeUser(self, state, person, chat)
            self._users[(state.id, user_id)] = fake
        if started:
            state.chats[user_id].started = True
        return fake

    def group(self, chat_id: int, title: str, *, bot: str | None = None) -> FakeGroup:
        """A group chat (ids at or below -1000000000000 are supergroups); the bot is not in it
        until `await group.add_bot(by=user)`."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        state = self._bot(bot)
        fake = self._groups.get((state.id, chat_id))
        if fake is None:
            kind = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
            chat = ChatState(chat_id, kind, title=title, chat_instance=self._instance_id())
            state.chats[chat_id] = chat
            fake = FakeGroup(self, state, chat)
            self._groups[(state.id, chat_id)] = fake
        return fake

    # -- reading state -----------------------------------------------------------------------

    def calls_to(self, method: str) -> list[ApiCall]:
        """Logged calls of one method (any case)."""
        name = method.lower()
        return [call for call in self.calls if call.method.lower() == name]

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - a test helper's deadline, not an I/O timeout
        answered: bool = True,
        after: int = 0,
    ) -> ApiCall:
        """The first call of `method` matching `predicate`, waiting for it; with
        `answered=False` calls still in flight (a waiting long poll) count too. `after` skips the
        first calls of the log (pass `len(api.calls)` taken before the action waited on), so a
        long log is not searched again on every call."""
        name = method.lower()

        def find() -> ApiCall | None:
            for call in self.calls[after:]:
                if (
                    call.method.lower() == name
                    and (call.done or not answered)
                    and (predicate is None or predicate(call))
                ):
                    return call
            return None

        try:
            return await self._calls_signal.wait_until(find, timeout)
        except TimeoutError:
            raise TimeoutError(f"the bot made no matching {method} call in {timeout} s") from None

    def commands(
        self,
        scope: Mapping[str, Any] | None = None,
        language_code: str = "",
        *,
        bot: str | None = None,
    ) -> list[tuple[str, str]]:
        """What setMyCommands stored for exactly this scope and language: (command, description)."""
        key = self._scope_key(dict(scope) if scope is not None else None)
        stored = self._bot(bot).commands.get((key, language_code), [])
        return [(c["command"], c["description"]) for c in stored]

    def pending_updates(self, *, bot: str | None = None) -> list[JSONDict]:
        """Updates not yet confirmed by the bot (getUpdates offset or webhook 2xx)."""
        return [update.json() for update in self._bot(bot).updates]

    def unanswered_callback_queries(self, *, bot: str | None = None) -> list[str]:
        return [q.query_id for q in self._bot(bot).callbacks.values() if not q.answered]

    def webhook_url(self, *, bot: str | None = None) -> str:
        return self._bot(bot).webhook_url

    async def webhook_error(
        self,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - a test helper's deadline, not an I/O timeout
        bot: str | None = None,
    ) -> str:
        """Wait until delivering to the webhook failed; Telegram's last_error_message."""
        state = self._bot(bot)
        try:
            return await state.update_signal.wait_until(
                lambda: state.webhook_last_error_message, timeout
            )
        except TimeoutError:
            raise TimeoutError(f"no webhook delivery failed within {timeout} s") from None

    async def idle(self, timeout: float = 5.0, *, bot: str | None = None) -> None:  # noqa: ASYNC109
        """Wait until the bot has confirmed every queued update (it has *received* them; its
        handlers may still be running: wait for their effects with wait_for)."""
        state = self._bot(bot)
        try:
            await state.update_signal.wait_until(
                lambda: True if not state.updates else None, timeout
            )
        except TimeoutError:
            raise TimeoutError(
                f"{len(state.updates)} update(s) not picked up by the bot within {timeout} s"
            ) from None

    def mark(self) -> Mark:
        return self._timeline.mark()

    async def wait_for_bot_message(
        self,
        chat: ChatState,
        predicate: Predicate | None,
        *,
        since: Mark | None,
        within: float,
        edits: bool,
    ) -> FakeMessage:

        def match(kind: str, message: FakeMessage) -> bool:
            if not message.from_bot or message.deleted:
                return False
            return (kind == "sent" or (edits and kind == "edited")) and (
                predicate is None or predicate(message)
            )

        try:
            return await chat.first_event(match, since=since, within=within)
        except TimeoutError:
            recent = [m.text for m in chat.messages if m.from_bot and not m.deleted][-3:]
            raise TimeoutError(
                f"no {'matching ' if predicate else ''}bot message in chat {chat.chat_id} "
                f"within {within} s; the bot's last messages there: {recent!r}"
            ) from None

    # -- what people do ----------------------------------------------------------------------

    def user_sends(
        self,
        bot: BotState,
        person: Person,
        chat: ChatState,
        text: str,
        *,
        reply_to: FakeMessage | None,
    ) -> FakeMessage:
        self._check_person_can_write(chat)
        plain, _ = _trim(text.replace("\r", ""), [])
        if not plain:
            raise ValueError("Telegram apps do not send empty messages")
        if len(plain) > MAX_TEXT_LENGTH:
            raise ValueError("Telegram apps split messages over 4096 characters")
        entities = _auto_entities(plain, [])
        message = self._add_message(
            chat,
            from_bot=False,
            sender_id=person.id,
            text=_Text(plain, entities, render_html(plain, entities), None),
            reply_to=self._person_reply_target(chat, reply_to),
        )
        self._deliver_person_message(bot, chat, person, message)
        return message

    def user_forwards(
        self, bot: BotState, person: Person, original: FakeMessage, chat: ChatState
    ) -> FakeMessage:
        """A person forwards a bot's message into ``chat``: text, entities, file and inline
        keyboard are copied; the bot hears of it as a group hears any message."""
        self._check_person_can_write(chat)
        if not original.from_bot or original.deleted:
            raise ValueError("only a bot's message that still exists is forwarded here")
        message = self._add_message(chat, from_bot=False, sender_id=person.id)
        message.text, message.entities = original.text, list(original.entities)
        message.html, message.is_caption = original.html, original.is_caption
        message.document, message.photo = original.document, original.photo
        message.inline_keyboard = [list(row) for row in original.inline_keyboard or []] or None
        message.forwarded_from_bot = True
        self._deliver_person_message(bot, chat, person, message)
        return message

    def user_edits(
        self, bot: BotState, person: Person, chat: ChatState, message: FakeMessage, text: str
    ) -> FakeMessage:
        """A person edits a text message they sent: the bot gets an ``edited_message`` update."""
        self._check_person_can_write(chat)
        if message.from_bot or message.sender_id != person.id or message.deleted:
            raise ValueError("a person can only edit a message of their own")
        plain, _ = _trim(text.replace("\r", ""), [])
        if not plain:
            raise ValueError("Telegram apps do not save an empty edit")
        entities = _auto_entities(plain, [])
        message.text, message.entities = plain, entities
        message.html = render_html(plain, entities)
        message.edited = True
        message.edit_date = self._now()
        if chat.is_private or self._bot_sees(bot, chat, message):
            self._enqueue(bot, "edited_message", self._message_json(bot, chat, message))
        return message

    def user_sends_file(
        self,
        bot: BotState,
        person: Person,
        chat: ChatState,
        *,
        kind: str,
        content: bytes,
        filename: str | None,
        mime_type: str | None,
        caption: str | None,
        reply_to: FakeMessage | None,
    ) -> FakeMessage:
        self._check_person_can_write(chat)
        if not content:
            raise ValueError("Telegram apps do not send empty files")
        caption_text, _ = _trim((caption or "").replace("\r", ""), [])
        if len(caption_text) > MAX_CAPTION_LENGTH:
            raise ValueError("captions are at most 1024 characters")
        entities = _auto_entities(caption_text, [])
        stored = self._store_file(
            kind, content, filename=filename, mime_type=mime_type, lenient_image=True
        )
        message = self._add_message(
            chat,
            from_bot=False,
            sender_id=person.id,
            text=_Text(caption_text, entities, render_html(caption_text, entities), None),
            reply_to=self._person_reply_target(chat, reply_to),
            stored=stored,
        )
        self._deliver_person_message(bot, chat, person, message)
        return message

    def _check_person_can_write(self, chat: ChatState) -> None:
        if chat.is_private and chat.blocked:
            raise RuntimeError("this user blocked the bot; call unblock_bot() before writing")

    def _person_reply_target(
        self, chat: ChatState, reply_to: FakeMessage | None
    ) -> FakeMessage | None:
        if reply_to is None:
            return None
        if chat.by_id.get(reply_to.message_id) is not reply_to or reply_to.deleted:
            raise ValueError(f"{reply_to!r} is not a message of chat {chat.chat_id} any more")
        return reply_to

    def _deliver_person_message(
        self, bot: BotState, chat: ChatState, person: Person, message: FakeMessage
    ) -> None:
        if chat.is_private:
            chat.started = True
        elif not self._bot_sees(bot, chat, message):
            return
        self._seen[bot.id].add(person.id)
        self._enqueue(bot, "message", self._message_json(bot, chat, message))

    def _bot_sees(self, bot: BotState, chat: ChatState, message: FakeMessage) -> bool:
        """Group privacy mode: without admin rights a bot sees commands, replies to itself and
        service messages only."""
        if not chat.bot_member:
            return False
        if not self.group_privacy or chat.bot_admin or message.service:
            return True
        if message.reply_to_message_id is not None:
            original = chat.by_id.get(message.reply_to_message_id)
            if original is not None and original.from_bot:
                return True
        first = message.entities[0] if message.entities else None
        if first is not None and first["type"] == "bot_command" and first["offset"] == 0:
            command = message.text[: first["length"]]
            if "@" in command:
                return command.split("@", 1)[1].lower() == bot.username.lower()
            return True
        return False

    async def press(
        self,
        bot: BotState,
        person: Person,
        message: FakeMessage,
        data: str,
        *,
        within: float,
    ) -> CallbackAnswer:
        chat = bot.chats.get(message.chat_id)
        if chat is None or chat.by_id.get(message.message_id) is not message:
            raise LookupError(f"{message!r} is not a message this bot's chats show")
        if message.deleted:
            raise LookupError(f"{message!r} was deleted; there is nothing to press")
        self._check_person_can_write(chat)
        query_id = str(self._id_rng.getrandbits(62))
        answer: asyncio.Future[CallbackAnswer] = asyncio.get_running_loop().create_future()
        bot.callbacks[query_id] = _CallbackQuery(query_id, answer)
        self._seen[bot.id].add(person.id)
        self._enqueue(
            bot,
            "callback_query",
            {
                "id": query_id,
                "from": person.json(),
                "message": self._message_json(bot, chat, message),
                "chat_instance": chat.chat_instance,
                "data": data,
            },
        )
        try:
            return await asyncio.wait_for(asyncio.shield(answer), within)
        except TimeoutError:
            raise TimeoutError(
                f"the bot did not answer the callback query {data!r} on message "
                f"{message.message_id} within {within} s"
            ) from None

    def set_blocked(self, bot: BotState, person: Person, chat: ChatState, *, blocked: bool) -> None:
        if chat.blocked == blocked:
            return
        chat.blocked = blocked
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        self._enqueue(bot, "my_chat_member", self._member_change(bot, chat, person, old, new))

    def group_add_bot(
        self, bot: BotState, chat: ChatState, person: Person, *, admin: bool
    ) -> FakeMessage:
        if chat.bot_member:
            raise RuntimeError(f"the bot is already in group {chat.chat_id}")
        chat.bot_member = True
        chat.bot_admin = admin
        chat.bot_kicked = False
        self._seen[bot.id].add(person.id)
        new = "administrator" if admin else "member"
        self._enqueue(bot, "my_chat_member", self._member_change(bot, chat, person, "left", new))
        message = self._add_message(
            chat,
            from_bot=False,
            sender_id=person.id,
            service={"new_chat_members": [bot.json()], "new_chat_member": bot.json()},
        )
        self._enqueue(bot, "message", self._message_json(bot, chat, message))
        return message

    def group_remove_bot(self, bot: BotState, chat: ChatState, person: Person) -> FakeMessage:
        if not chat.bot_member:
            raise RuntimeError(f"the bot is not in group {chat.chat_id}")
        old = "administrator" if chat.bot_admin else "member"
        chat.bot_member = False
        chat.bot_admin = False
        chat.bot_kicked = True
        self._enqueue(bot, "my_chat_member", self._member_change(bot, chat, person, old, "kicked"))
        return self._add_message(
            chat, from_bot=False, sender_id=person.id, service={"left_chat_member": bot.json()}
        )

    def group_migrate(
        self, bot: BotState, chat: ChatState, person: Person, new_chat_id: int | None
    ) -> FakeGroup:
        if chat.kind != "group" or chat.migrated_to is not None:
            raise RuntimeError(f"chat {chat.chat_id} is not a basic group that can be upgraded")
        new_id = new_chat_id if new_chat_id is not None else int(f"-100{-chat.chat_id:010d}")
        if new_id in bot.chats or new_id > -1_000_000_000_000:
            raise ValueError(f"{new_id} is not a free supergroup id")
        group = self.group(new_id, chat.title or "", bot=bot.username)
        new_chat = bot.chats[new_id]
        new_chat.bot_member, new_chat.bot_admin = chat.bot_member, chat.bot_admin
        was_member = chat.bot_member
        old_service = self._add_message(
            chat, from_bot=False, sender_id=person.id, service={"migrate_to_chat_id": new_id}
        )
        new_service = self._add_message(
            new_chat,
            from_bot=False,
            sender_id=person.id,
            service={"migrate_from_chat_id": chat.chat_id},
        )
        chat.migrated_to = new_id
        chat.bot_member = False
        if was_member:
            self._enqueue(bot, "message", self._message_json(bot, chat, old_service))
            self._enqueue(bot, "message", self._message_json(bot, new_chat, new_service))
        return group

    def _member_change(
        self, bot: BotState, chat: ChatState, person: Person, old: str, new: str
    ) -> JSONDict:
        return {
            "chat": chat.json(),
            "from": person.json(),
            "date": self._now(),
            "old_chat_member": self._chat_member(bot, old),
            "new_chat_member": self._chat_member(bot, new),
        }

    @staticmethod
    def _chat_member(bot: BotState, status: str) -> JSONDict:
        member: JSONDict = {"status": status, "user": bot.json()}
        if status == "kicked":
            member["until_date"] = 0
        elif status == "administrator":
            member.update(
                {
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": True,
                    "can_manage_video_chats": False,
                    "can_restrict_members": False,
                    "can_promote_members": False,
                    "can_change_info": False,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                    "can_pin_messages": True,
                }
            )
        return member

    # -- messages and updates ----------------------------------------------------------------

    def _now(self) -> int:
        return int(self._clock.now().timestamp())

    def _instance_id(self) -> str:
        return str(self._id_rng.getrandbits(62) - (1 << 61))

    def _event(self, chat: ChatState, kind: str, message: FakeMessage) -> None:
        chat.add_event(self._timeline.tick(), kind, message)

    def _add_message(
        self,
        chat: ChatState,
        *,
        from_bot: bool,
        sender_id: int,
        text: _Text | None = None,
        markup: _Markup | None = None,
        reply_to: FakeMessage | None = None,
        stored: _StoredFile | None = None,
        service: JSONDict | None = None,
    ) -> FakeMessage:
        message = FakeMessage(
            message_id=chat.next_message_id,
            chat_id=chat.chat_id,
            from_bot=from_bot,
            sender_id=sender_id,
            date=self._now(),
            reply_to_message_id=reply_to.message_id if reply_to is not None else None,
            service=service or {},
        )
        chat.next_message_id += 1
        if text is not None:
            message.text = text.text
            message.entities = text.entities
            message.html = text.html
            message.sent_html = text.sent_html
        if stored is not None:
            message.is_caption = True
            if stored.kind == "photo":
                message.photo = FakePhoto(
                    stored.file_id,
                    stored.file_unique_id,
                    stored.width,
                    stored.height,
                    stored.content,
                )
            else:
                message.document = FakeDocument(
                    stored.file_id,
                    stored.file_unique_id,
                    stored.file_name,
                    stored.mime_type,
                    stored.content,
                )
        if markup is not None:
            message.inline_keyboard = markup.inline_keyboard
            message.force_reply = markup.force_reply
            message.input_field_placeholder = markup.placeholder
            message.reply_keyboard = markup.reply_keyboard
            message.remove_keyboard = markup.remove_keyboard
        chat.messages.append(message)
        chat.by_id[message.message_id] = message
        self._event(chat, "sent", message)
        return message

    def _message_json(
        self, bot: BotState, chat: ChatState, message: FakeMessage, *, with_reply: bool = True
    ) -> JSONDict:
        sender = bot.json() if message.from_bot else self._persons[message.sender_id].json()
        data: JSONDict = {
            "message_id": message.message_id,
            "from": sender,
            "chat": chat.json(),
            "date": message.date,
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if with_reply and message.reply_to_message_id is not None:
            original = chat.by_id.get(message.reply_to_message_id)
            if original is not None and not original.deleted:
                data["reply_to_message"] = self._message_json(bot, chat, original, with_reply=False)
        if message.document is not None:
            document = message.document
            data["document"] = {
                "file_id": document.file_id,
                "file_unique_id": document.file_unique_id,
                "file_size": len(document.content),
            }
            if document.file_name:
                data["document"]["file_name"] = document.file_name
            if document.mime_type:
                data["document"]["mime_type"] = document.mime_type
        if message.photo is not None:
            photo = message.photo
            data["photo"] = [
                {
                    "file_id": photo.file_id,
                    "file_unique_id": photo.file_unique_id,
                    "width": photo.width,
                    "height": photo.height,
                    "file_size": len(photo.content),
                }
            ]
        if message.text:
            key, entities_key = (
                ("caption", "caption_entities")
                if message.is_caption
                else (
                    "text",
                    "entities",
                )
            )
            data[key] = message.text
            if message.entities:
                data[entities_key] = [dict(e) for e in message.entities]
        if message.inline_keyboard:
            data["reply_markup"] = {"inline_keyboard": message.inline_keyboard}
        if message.forwarded_from_bot:
            data["forward_origin"] = {
                "type": "user",
                "sender_user": bot.json(),
                "date": message.date,
            }
        data.update(message.service)
        return data

    def _enqueue(self, bot: BotState, kind: str, payload: JSONDict) -> _Update | None:
        if kind not in bot.allowed_updates:
            bot.dropped_updates += 1
            return None
        update = _Update(bot.next_update_id, kind, payload)
        bot.next_update_id += 1
        bot.updates.append(update)
        bot.update_signal.notify()
        return update

    def _store_file(
        self,
        kind: str,
        content: bytes,
        *,
        filename: str | None,
        mime_type: str | None,
        lenient_image: bool = False,
    ) -> _StoredFile:
        if kind == "photo":
            size = _image_size(content)
            if size is None:
                if not lenient_image:
                    raise _bad_request("IMAGE_PROCESS_FAILED")
                size = (1, 1)
            width, height = size
        else:
            width = height = 0
            if filename and (guessed := mimetypes.guess_type(filename)[0]):
                mime_type = guessed
            mime_type = mime_type or "application/octet-stream"
        prefix = "AgACAgUAAxkBAAI" if kind == "photo" else "BQACAgUAAxkBAAI"
        file_id = prefix + "".join(self._id_rng.choices(_ID_ALPHABET, k=48))
        unique_id = "AgAD" + "".join(self._id_rng.choices(_ID_ALPHABET, k=12))
        stored = _StoredFile(
            file_id=file_id,
            file_unique_id=unique_id,
            kind=kind,
            content=bytes(content),
            file_name=filename if kind == "document" else None,
            mime_type=mime_type if kind == "document" else None,
            width=width,
            height=height,
        )
        self._files[file_id] = stored
        return stored

    # -- HTTP --------------------------------------------------------------------------------

    async def _handle_method(self, request: web.Request) -> web.StreamResponse:
        bot = self._bots.get(request.match_info["token"])
        raw_method = request.match_info["method"]
        if bot is None:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        entry = _METHODS.get(raw_method.lower())
        call = ApiCall(
            method=entry.name if entry is not None else raw_method,
            params={},
            time=time.monotonic(),
            bot_username=bot.username,
        )
        self.calls.append(call)
        try:
            return await self._serve(request, bot, entry, call)
        except asyncio.CancelledError:
            # The client went away (a long poll whose bot stopped, a timed-out slow call).
            call.description = "the client went away before the answer"
            call.done = True
            self._calls_signal.notify()
            raise

    async def _serve(
        self, request: web.Request, bot: BotState, entry: _Method | None, call: ApiCall
    ) -> web.StreamResponse:
        try:
            params = await self._read_params(request)
        except ApiError as error:
            return self._answer_error(call, error)
        call.params = params.logged()
        self._calls_signal.notify()
        if entry is None:
            return self._answer_error(call, ApiError(404, "Not Found"))
        fault = self._draw_fault(entry.name)
        if fault is not None:
            call.fault = fault
            self.faults_injected[fault] += 1
            if fault == "429":
                return self._answer_error(
                    call, ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
                )
            if fault == "5xx":
                status = self._fault_rng.choice((500, 502))
                text = "Internal Server Error" if status == 500 else "Bad Gateway"
                return self._answer_error(call, ApiError(status, text))
            if fault == "drop":
                return self._drop(request, call)
            if fault == "slow" and self.faults is not None:
                await asyncio.sleep(self.faults.slow_seconds)
        try:
            limited = entry.name.lower() in _LIMITED_METHODS
            if limited:
                self._check_limits(bot, params)
            result = await entry.handler(self, bot, params)
            if limited:
                self._record_send(bot, params)
        except ApiError as error:
            return self._answer_error(call, error)
        except Exception:
            _LOG.exception("fake Bot API: %s failed inside the fake", entry.name)
            return self._answer_error(call, ApiError(500, "Internal Server Error"))
        if fault == "drop_after":
            return self._drop(request, call)
        call.status = 200
        call.done = True
        self._calls_signal.notify()
        return web.json_response({"ok": True, "result": result})

    def _answer_error(self, call: ApiCall, error: ApiError) -> web.Response:
        call.status = error.status
        call.description = error.description
        call.done = True
        self._calls_signal.notify()
        return web.json_response(error.payload(), status=error.status)

    def _drop(self, request: web.Request, call: ApiCall) -> web.Response:
        call.status = 0
        call.description = "connection dropped by fault injection"
        call.done = True
        self._calls_signal.notify()
        return abort_connection(request)

    async def _read_params(self, request: web.Request) -> _Params:
        values: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            content_type = request.content_type
            if content_type == "application/json":
                try:
                    body = json.loads(await request.read() or b"{}")
                except ValueError:
                    raise _bad_request("can't parse JSON body") from None
                if not isinstance(body, dict):
                    raise _bad_request("JSON body must be an object")
                values.update(body)
            elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        values[name] = _Upload(
                            value.filename, value.content_type, value.file.read()
                        )
                    elif isinstance(value, bytes | bytearray):
                        values[name] = bytes(value).decode("utf-8")
                    else:
                        values[name] = value
        return _Params(values)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] not in self._bots:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        stored = self._files_by_path.get(request.match_info["path"])
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )

    # -- limits and faults -------------------------------------------------------------------

    def _draw_fault(self, method: str) -> str | None:
        return None if self.faults is None else self.faults.draw(self._fault_rng, method)

    @staticmethod
    def _limit_chat(params: _Params) -> int | None:
        try:
            return params.get_int("chat_id")
        except ApiError:
            return None

    def _check_limits(self, bot: BotState, params: _Params) -> None:
        limits = self.limits
        if limits is None or not limits.enforce:
            return
        now = time.monotonic()
        windows = [(bot.sent_window, 1.0, limits.per_bot_per_second)]
        chat_id = self._limit_chat(params)
        if chat_id is not None:
            window = bot.chat_windows.setdefault(chat_id, deque())
            windows.append((window, 1.0, limits.per_chat_per_second))
            if chat_id < 0:
                window = bot.group_windows.setdefault(chat_id, deque())
                windows.append((window, 60.0, limits.per_group_per_minute))
        # A limit of 0 or less is no limit.
        waits = [window_wait(w, now, span, limit) for w, span, limit in windows if limit > 0]
        wait = max((w for w in waits if w is not None), default=None)
        if wait is not None:
            self.rate_limited += 1
            retry_after = max(1, math.ceil(wait))
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )

    def _record_send(self, bot: BotState, params: _Params) -> None:
        now = time.monotonic()
        bot.sent_window.append(now)
        chat_id = self._limit_chat(params)
        if chat_id is not None:
            bot.chat_windows.setdefault(chat_id, deque()).append(now)
            if chat_id < 0:
                bot.group_windows.setdefault(chat_id, deque()).append(now)

    # -- webhook delivery --------------------------------------------------------------------

    async def _webhook_loop(self, bot: BotState) -> None:
        """Deliver the bot's updates to its webhook, whenever it has one, until the fake stops."""

        def next_update() -> _Update | None:
            if bot.webhook_url and bot.updates:
                return bot.updates[0]
            return None

        async def head() -> _Update:
            return await bot.update_signal.wait_until(next_update, None)

        async def attempt(update: _Update) -> bool:
            error = await self._post_update(bot, bot.webhook_url, update)
            if error is None:
                bot.confirm(update.update_id + 1)
                return True
            bot.webhook_last_error_date = self._now()
            bot.webhook_last_error_message = error
            bot.update_signal.notify()
            return False

        await deliver_in_order(head, attempt)

    async def _post_update(self, bot: BotState, url: str, update: _Update) -> str | None:
        """POST one update to the webhook; None when it answered 2xx, else the error."""
        headers = {"Content-Type": "application/json"}
        if bot.webhook_secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = bot.webhook_secret
        body = json.dumps(update.json()).encode("utf-8")
        answer = await self._webhook_client.request("POST", url, body=body, headers=headers)
        if answer.ok:
            return None
        if answer.error is not None:
            return answer.error
        return f"Wrong response from the webhook: {answer.status} {answer.reason}"

    # -- Bot API methods ---------------------------------------------------------------------

    async def _m_get_me(self, bot: BotState, p: _Params) -> Any:
        return {
            **bot.json(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.group_privacy,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _allowed_updates(self, raw: Any) -> frozenset[str]:
        if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
            raise _bad_request("can't parse allowed_updates JSON array")
        return frozenset(raw) if raw else _DEFAULT_UPDATE_TYPES

    async def _m_get_updates(self, bot: BotState, p: _Params) -> Any:
        if bot.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = p.get_int("offset")
        limit = min(max(p.get_int("limit") or 100, 1), 100)
        timeout = max(p.get_number("timeout") or 0.0, 0.0)
        allowed = p.get_json("allowed_updates")
        if allowed is not None:
            bot.allowed_updates = self._allowed_updates(allowed)
        if offset is not None:
            bot.confirm(offset)
        # A newer getUpdates ends an older one still waiting, as on Telegram.
        bot.poll_generation += 1
        generation = bot.poll_generation
        bot.update_signal.notify()

        def ready() -> bool | None:
            if bot.updates or bot.poll_generation != generation or bot.webhook_url or self._closing:
                return True
            return None

        if timeout > 0:
            with contextlib.suppress(TimeoutError):
                await bot.update_signal.wait_until(ready, timeout)
        if bot.poll_generation != generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one bot "
                "instance is running",
            )
        return [update.json() for update in list(bot.updates)[:limit]]

    async def _m_set_webhook(self, bot: BotState, p: _Params) -> Any:
        url = p.get_str("url") or ""
        if url:
            parts = urlsplit(url)
            if parts.scheme not in {"http", "https"} or not parts.hostname:
                raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
            if not is_loopback(parts.hostname):
                # Loopback URLs are this fake's test webhooks; others follow Telegram's rules.
                if parts.scheme != "https":
                    raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
                if (parts.port or 443) not in _WEBHOOK_PORTS:
                    raise _bad_request(
                        "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
                    )
        secret = p.get_str("secret_token")
        if secret and not _SECRET_TOKEN_RE.fullmatch(secret):
            raise _bad_request("secret token contains unallowed characters")
        max_connections = p.get_int("max_connections")
        if max_connections is not None and not 1 <= max_connections <= 100:
            raise _bad_request("bad webhook: max_connections must be between 1 and 100")
        allowed = p.get_json("allowed_updates")
        if allowed is not None:
            bot.allowed_updates = self._allowed_updates(allowed)
        if p.get_bool("drop_pending_updates"):
            bot.updates.clear()
        bot.webhook_url = url
        bot.webhook_secret = secret or None
        bot.webhook_max_connections = max_connections or 40
        bot.webhook_last_error_date = None
        bot.webhook_last_error_message = None
        bot.update_signal.notify()
        return True

    async def _m_delete_webhook(self, bot: BotState, p: _Params) -> Any:
        if p.get_bool("drop_pending_updates"):
            bot.updates.clear()
        bot.webhook_url = ""
        bot.webhook_secret = None
        bot.update_signal.notify()
        return True

    async def _m_get_webhook_info(self, bot: BotState, p: _Params) -> Any:
        info: JSONDict = {
            "url": bot.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(bot.updates),
        }
        if bot.webhook_url:
            info["max_connections"] = bot.webhook_max_connections
            info["ip_address"] = "127.0.0.1"
            if bot.allowed_updates != _DEFAULT_UPDATE_TYPES:
                info["allowed_updates"] = sorted(bot.allowed_updates)
            if bot.webhook_last_error_date is not None:
                info["last_error_date"] = bot.webhook_last_error_date
                info["last_error_message"] = bot.webhook_last_error_message
        return info

    def _scope_key(self, scope: Any) -> tuple[Any, ...]:
        if scope is None:
            return ("default", None, None)
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
            raise _bad_request("can't parse BotCommandScope JSON object")
        kind = scope["type"]
        chat_id = scope.get("chat_id")
        user_id = scope.get("user_id")
        if kind in {"chat", "chat_administrators", "chat_member"} and chat_id is None:
            raise _bad_request("chat_id is empty")
        if kind == "chat_member" and user_id is None:
            raise _bad_request("user_id is empty")
        return (kind, chat_id, user_id)

    def _commands_key(self, p: _Params) -> tuple[tuple[Any, ...], str]:
        language = p.get_str("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _bad_request("invalid language code specified")
        return self._scope_key(p.get_json("scope")), language

    async def _m_set_my_commands(self, bot: BotState, p: _Params) -> Any:
        raw = p.get_json("commands")
        if not isinstance(raw, list):
            raise _bad_request("can't parse commands JSON array")
        if len(raw) > 100:
            raise _bad_request("too many commands specified")
        commands: list[JSONDict] = []
        for item in raw:
            if not isinstance(item, dict):
                raise _bad_request("can't parse BotCommand JSON object")
            command, description = item.get("command"), item.get("description")
            if not isinstance(command, str) or not _COMMAND_RE.fullmatch(command):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            commands.append({"command": command, "description": description})
        key = self._commands_key(p)
        if commands:
            bot.commands[key] = commands
        else:
            bot.commands.pop(key, None)
        return True

    async def _m_get_my_commands(self, bot: BotState, p: _Params) -> Any:
        return [dict(c) for c in bot.commands.get(self._commands_key(p), [])]

    async def _m_delete_my_commands(self, bot: BotState, p: _Params) -> Any:
        bot.commands.pop(self._commands_key(p), None)
        return True

    def _known_chat(self, bot: BotState, chat_id: int) -> ChatState:
        chat = bot.chats.get(chat_id)
        if chat is None:
            raise _bad_request("chat not found")
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=chat.migrated_to,
            )
        if chat.is_private and not chat.started and chat_id not in self._seen[bot.id]:
            raise _bad_request("chat not found")
        if not chat.is_private and not chat.bot_member and not chat.bot_kicked:
            raise _bad_request("chat not found")
        return chat

    def _writable_chat(self, bot: BotState, chat_id: int) -> ChatState:
        chat = self._known_chat(bot, chat_id)
        if chat.is_private:
            if chat.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not chat.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        elif chat.bot_kicked:
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.kind} chat")
        elif not chat.bot_member:
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.kind} chat")
        return chat

    def _reply_target(self, chat: ChatState, p: _Params) -> FakeMessage | None:
        parameters = p.get_json("reply_parameters", "can't parse reply parameters JSON object")
        allow = p.get_bool("allow_sending_without_reply")
        if parameters is not None:
            if not isinstance(parameters, dict):
                raise _bad_request("can't parse reply parameters JSON object")
            message_id = parameters.get("message_id")
            allow = bool(parameters.get("allow_sending_without_reply", allow))
            other_chat = parameters.get("chat_id")
            if other_chat is not None and str(other_chat) != str(chat.chat_id):
                raise _bad_request("replies to other chats are not supported by the fake Bot API")
        else:
            message_id = p.get_int("reply_to_message_id")
        if message_id is None:
            return None
        if not isinstance(message_id, int):
            raise _bad_request("can't parse reply parameters JSON object")
        target = chat.by_id.get(message_id)
        if target is None or target.deleted:
            if allow:
                return None
            raise _bad_request("message to be replied not found")
        return target

    async def _m_send_message(self, bot: BotState, p: _Params) -> Any:
        chat = self._writable_chat(bot, p.chat_id())
        text = _format_text(
            p.get_str("text"),
            p.get_str("parse_mode"),
            p.get_json("entities"),
            max_length=MAX_TEXT_LENGTH,
            caption=False,
        )
        markup = _parse_markup(p.values.get("reply_markup"))
        reply_to = self._reply_target(chat, p)
        message = self._add_message(
            chat, from_bot=True, sender_id=bot.id, text=text, markup=markup, reply_to=reply_to
        )
        return self._message_json(bot, chat, message)

    def _file_input(self, p: _Params, kind: str) -> _StoredFile:
        value: Any = p.values.get(kind)
        if isinstance(value, str) and value.startswith("attach://"):
            value = p.values.get(value.removeprefix("attach://"))
        if isinstance(value, _Upload):
            if not value.content:
                raise _bad_request("file must be non-empty")
            if len(value.content) > MAX_UPLOAD_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            return self._store_file(
                kind, value.content, filename=value.filename, mime_type=value.content_type
            )
        if not isinstance(value, str) or not value:
            raise _bad_request(f"there is no {kind} in the request")
        stored = self._files.get(value)
        if stored is None:
            # Telegram would download an HTTP URL; this fake has no network to do it with.
            raise _bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise _bad_request("type of file mismatch")
        return stored

    async def _send_file(self, bot: BotState, p: _Params, kind: str) -> Any:
        chat = self._writable_chat(bot, p.chat_id())
        caption = _format_text(
            p.get_str("caption"),
            p.get_str("parse_mode"),
            p.get_json("caption_entities"),
            max_length=MAX_CAPTION_LENGTH,
            caption=True,
        )
        markup = _parse_markup(p.values.get("reply_markup"))
        reply_to = self._reply_target(chat, p)
        stored = self._file_input(p, kind)
        message = self._add_message(
            chat,
            from_bot=True,
            sender_id=bot.id,
            text=caption,
            markup=markup,
            reply_to=reply_to,
            stored=stored,
        )
        return self._message_json(bot, chat, message)

    async def _m_send_document(self, bot: BotState, p: _Params) -> Any:
        return await self._send_file(bot, p, "document")

    async def _m_send_photo(self, bot: BotState, p: _Params) -> Any:
        return await self._send_file(bot, p, "photo")

    def _message_to_edit(self, bot: BotState, p: _Params) -> tuple[ChatState, FakeMessage]:
        if p.has("inline_message_id"):
            raise _bad_request("inline messages are not supported by the fake Bot API")
        chat = self._writable_chat(bot, p.chat_id())
        message_id = p.get_int("message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        message = chat.by_id.get(message_id)
        if message is None or message.deleted:
            raise _bad_request("message to edit not found")
        if not message.from_bot or message.service:
            raise _bad_request("message can't be edited")
        return chat, message

    def _apply_edit(
        self,
        chat: ChatState,
        message: FakeMessage,
        *,
        text: _Text | None,
        keyboard: list[list[JSONDict]] | None,
    ) -> None:
        message.edit_history.append(message.snapshot())
        if text is not None:
            message.text = text.text
            message.entities = text.entities
            message.html = text.html
            message.sent_html = text.sent_html
        message.inline_keyboard = keyboard
        message.edited = True
        message.edit_date = self._now()
        self._event(chat, "edited", message)

    async def _m_edit_message_text(self, bot: BotState, p: _Params) -> Any:
        return self._edit_text(bot, p, caption=False)

    async def _m_edit_message_caption(self, bot: BotState, p: _Params) -> Any:
        return self._edit_text(bot, p, caption=True)

    def _edit_text(self, bot: BotState, p: _Params, *, caption: bool) -> Any:
        """editMessageText and editMessageCaption: the same edit of a text or of a caption."""
        chat, message = self._message_to_edit(bot, p)
        has_file = message.document is not None or message.photo is not None
        if caption and not has_file:
            raise _bad_request("there is no caption in the message to edit")
        if not caption and has_file:
            raise _bad_request("there is no text in the message to edit")
        text = _format_text(
            p.get_str("caption" if caption else "text"),
            p.get_str("parse_mode"),
            p.get_json("caption_entities" if caption else "entities"),
            max_length=MAX_CAPTION_LENGTH if caption else MAX_TEXT_LENGTH,
            caption=caption,
        )
        # Without reply_markup the edit removes the inline keyboard, as on Telegram.
        keyboard = _parse_markup(p.values.get("reply_markup"), inline_only=True).inline_keyboard
        if (text.text, text.entities, keyboard) == (
            message.text,
            message.entities,
            message.inline_keyboard,
        ):
            raise _bad_request(_NOT_MODIFIED.removeprefix("Bad Request: "))
        self._apply_edit(chat, message, text=text, keyboard=keyboard)
        return self._message_json(bot, chat, message)

    async def _m_edit_message_reply_markup(self, bot: BotState, p: _Params) -> Any:
        chat, message = self._message_to_edit(bot, p)
        keyboard = _parse_markup(p.values.get("reply_markup"), inline_only=True).inline_keyboard
        if keyboard == message.inline_keyboard:
            raise _bad_request(_NOT_MODIFIED.removeprefix("Bad Request: "))
        self._apply_edit(chat, message, text=None, keyboard=keyboard)
        return self._message_json(bot, chat, message)

    async def _m_delete_message(self, bot: BotState, p: _Params) -> Any:
        chat = self._known_chat(bot, p.chat_id())
        message_id = p.get_int("message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        message = chat.by_id.get(message_id)
        if message is None or message.deleted:
            raise _bad_request("message to delete not found")
        if not chat.is_private and not message.from_bot and not chat.bot_admin:
            raise _bad_request("message can't be deleted")
        message.deleted = True
        self._event(chat, "deleted", message)
        return True

    async def _m_answer_callback_query(self, bot: BotState, p: _Params) -> Any:
        query = bot.callbacks.get(p.get_str("callback_query_id") or "")
        if query is None or query.answered:
            raise _bad_request(_QUERY_TOO_OLD.removeprefix("Bad Request: "))
        text = p.get_str("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        if not query.answer.done():
            query.answer.set_result(
                CallbackAnswer(
                    text=text or None,
                    show_alert=p.get_bool("show_alert"),
                    url=p.get_str("url"),
                    cache_time=p.get_int("cache_time"),
                )
            )
        return True

    async def _m_get_file(self, bot: BotState, p: _Params) -> Any:
        stored = self._files.get(p.get_str("file_id") or "")
        if stored is None:
            raise _bad_request("invalid file_id")
        if len(stored.content) > MAX_DOWNLOAD_BYTES:
            raise _bad_request("file is too big")
        if not stored.file_path:
            if stored.kind == "photo":
                stored.file_path = f"photos/file_{len(self._files_by_path)}.jpg"
            else:
                suffix = ""
                if stored.file_name and "." in stored.file_name:
                    suffix = "." + stored.file_name.rsplit(".", 1)[1]
                stored.file_path = f"documents/file_{len(self._files_by_path)}{suffix}"
            self._files_by_path[stored.file_path] = stored
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    async def _m_get_chat(self, bot: BotState, p: _Params) -> Any:
        chat = self._known_chat(bot, p.chat_id())
        return {
            **chat.json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _m_send_chat_action(self, bot: BotState, p: _Params) -> Any:
        chat = self._writable_chat(bot, p.chat_id())
        action = p.get_str("action")
        if action not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        chat.chat_actions.append(action)
        return True

    async def _m_set_chat_menu_button(self, bot: BotState, p: _Params) -> Any:
        button = p.get_json("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in {
            "default",
            "commands",
            "web_app",
        }:
            raise _bad_request("can't parse menu button JSON object")
        chat_id = p.get_int("chat_id")
        if chat_id is not None:
            self._known_chat(bot, chat_id).menu_button = button
        else:
            bot.menu_button = button
        return True

    async def _m_get_chat_menu_button(self, bot: BotState, p: _Params) -> Any:
        chat_id = p.get_int("chat_id")
        if chat_id is not None:
            chat = self._known_chat(bot, chat_id)
            if chat.menu_button is not None:
                return chat.menu_button
        return bot.menu_button or {"type": "commands" if bot.commands else "default"}

    async def _m_accept(self, bot: BotState, p: _Params) -> Any:
        return True


@dataclass(frozen=True)
class _Method:
    name: str
    handler: Callable[[FakeBotApi, BotState, _Params], Awaitable[Any]]


_METHODS: Final = {
    method.name.lower(): method
    for method in (
        _Method("getMe", FakeBotApi._m_get_me),
        _Method("getUpdates", FakeBotApi._m_get_updates),
        _Method("setWebhook", FakeBotApi._m_set_webhook),
        _Method("deleteWebhook", FakeBotApi._m_delete_webhook),
        _Method("getWebhookInfo", FakeBotApi._m_get_webhook_info),
        _Method("setMyCommands", FakeBotApi._m_set_my_commands),
        _Method("getMyCommands", FakeBotApi._m_get_my_commands),
        _Method("deleteMyCommands", FakeBotApi._m_delete_my_commands),
        _Method("sendMessage", FakeBotApi._m_send_message),
        _Method("editMessageText", FakeBotApi._m_edit_message_text),
        _Method("editMessageCaption", FakeBotApi._m_edit_message_caption),
        _Method("editMessageReplyMarkup", FakeBotApi._m_edit_message_reply_markup),
        _Method("deleteMessage", FakeBotApi._m_delete_message),
        _Method("answerCallbackQuery", FakeBotApi._m_answer_callback_query),
        _Method("sendDocument", FakeBotApi._m_send_document),
        _Method("sendPhoto", FakeBotApi._m_send_photo),
        _Method("getFile", FakeBotApi._m_get_file),
        _Method("getChat", FakeBotApi._m_get_chat),
        _Method("sendChatAction", FakeBotApi._m_send_chat_action),
        _Method("setChatMenuButton", FakeBotApi._m_set_chat_menu_button),
        _Method("getChatMenuButton", FakeBotApi._m_get_chat_menu_button),
        _Method("close", FakeBotApi._m_accept),
        _Method("logOut", FakeBotApi._m_accept),
        _Method("setMyDescription", FakeBotApi._m_accept),
        _Method("setMyShortDescription", FakeBotApi._m_accept),
    )
}
