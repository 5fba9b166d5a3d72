"""What a channel hands to the bot: who wrote, where, and what. Telegram's handlers build these;
a WhatsApp channel would build the same ones."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    """Someone as the channel knows them."""

    external_id: int
    name: str
    username: str | None = None
    channel: str = "telegram"


@dataclass(frozen=True)
class Chat:
    id: str
    is_group: bool = False
    title: str | None = None


@dataclass(frozen=True)
class FileRef:
    """A file a person sent: the channel's reference to it, with its name and type."""

    ref: str
    name: str
    mime_type: str | None = None
    is_photo: bool = False
    size: int | None = None


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


@dataclass(frozen=True)
class FileIn:
    person: Person
    chat: Chat
    file: FileRef
    caption: str | None = None


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
    """The immediate answer to a press (a toast, or an alert the person must dismiss)."""

    text: str | None = None
    alert: bool = False
