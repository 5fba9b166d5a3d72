"""What a channel hands to the bot: who wrote, where, and what. Each channel's handlers
(``handlers/telegram``, ``handlers/whatsapp``) build these; the bot never sees a channel's own
update types."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    """Someone as a channel knows them: the channel's id of them (a Telegram user id, a WhatsApp
    number), which is also the address of their private chat with the bot."""

    channel: str
    external_id: str
    name: str
    username: str | None = None


@dataclass(frozen=True)
class Chat:
    """A chat on a channel: a person's private chat with the bot, or a group."""

    channel: str
    id: str
    is_group: bool = False
    title: str | None = None


@dataclass(frozen=True)
class FileRef:
    """A file a person sent: the channel's reference to it, with its name and type, and its bytes
    (fetched at once: a channel's reference may not live long)."""

    ref: str
    name: str
    mime_type: str | None = None
    is_photo: bool = False
    size: int | None = None
    data: bytes | None = None


@dataclass(frozen=True)
class Command:
    person: Person
    chat: Chat
    name: str  # without the slash, lower case
    args: str = ""


@dataclass(frozen=True)
class Text:
    person: Person
    chat: Chat
    text: str
    reply_to: str | None = None  # the channel's reference of the message this one replies to


@dataclass(frozen=True)
class FileIn:
    person: Person
    chat: Chat
    file: FileRef
    caption: str | None = None
    reply_to: str | None = None


@dataclass(frozen=True)
class Press:
    """A button pressed: the opaque token it carried, and the message it sat on."""

    person: Person
    chat: Chat
    token: str
    message_ref: str | None = None


@dataclass(frozen=True)
class AddedToGroup:
    person: Person
    chat: Chat


Event = Command | Text | FileIn | Press | AddedToGroup


@dataclass(frozen=True)
class Answer:
    """The immediate answer to a press (a toast, or an alert the person must dismiss). On a
    channel without toasts (WhatsApp) an alert, and an answer that ``confirms`` an action, are
    said as a message; a toast that only echoes what the next message says is not."""

    text: str | None = None
    alert: bool = False
    confirms: bool = False
