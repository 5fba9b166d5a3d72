"""The channel port: what the bot needs from a chat channel (Telegram, WhatsApp) to deliver a
message, what each channel declares about itself (its limits), and the kinds of failure a channel
reports to the sender (wait, retry, give up, wait for the person). Channels live in
``handlers/``; the bot knows them only through this port."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.chat.messages import OutMessage


@dataclass(frozen=True)
class ChannelLimits:
    """What a channel can carry. Menus, labels and prompts are shaped by these, so one message
    model serves every channel without forcing one channel's shapes onto another."""

    text_length: int  # characters in one text message
    caption_length: int  # characters in a file's caption
    buttons_per_message: int  # buttons one message can carry
    button_label_length: int  # characters of a button's label
    menu_rows: int  # choices one menu shows before it pages
    can_edit: bool  # a sent message can be edited (a step's buttons removed once it is done)
    reply_prompt: bool  # a message can ask for a typed reply (Telegram's ForceReply)
    url_buttons: bool  # a button can open a link
    groups: bool  # the bot can post into an office's group chat on this channel
    toasts: bool = True  # a press can be answered without a message (Telegram's callback answer)
    command_menu: bool = True  # the channel offers the commands in a menu ("/tugas")
    # Hours after a person last wrote in which the bot may write freely; after that only a short,
    # pre-approved form (WhatsApp's 24-hour window). None: no window.
    window_hours: int | None = None
    # Pacing (``bot.chat.pacing``), each limit off at 0. Seconds between two messages to the same
    # person unless they are answering (a press or a text just received; WhatsApp's pair rate);
    # messages from the bot in any sliding second; seconds between two messages to one chat, even
    # when answering (Telegram's one a second); messages into one group chat in any sliding
    # minute (Telegram's 20), a group chat being one whose id starts with ``group_prefix``.
    pair_interval: float = 0.0
    per_second: int = 0
    chat_interval: float = 0.0
    group_per_minute: int = 0
    group_prefix: str | None = None
    # A file's reference on this channel lasts (Telegram's file_id does; a WhatsApp media id
    # expires in days), so a file that came from it goes back by reference.
    lasting_file_refs: bool = False


@dataclass(frozen=True)
class Delivery:
    """What the sender knows of the recipient when it hands a message to a channel."""

    window_open: bool = True  # the person wrote within the channel's window (if it has one)
    short_form_only: bool = False  # send the message's short form (the free one was refused)


class RetryLater(Exception):
    """The channel asks to wait (a rate limit) before trying again."""

    def __init__(self, seconds: float, detail: str = "rate limited") -> None:
        super().__init__(detail)
        self.seconds = seconds


class TemporaryFailure(Exception):
    """Worth trying again: the network, a timeout, a server error."""


class PermanentFailure(Exception):
    """Never going to work: the chat is gone, the bot is blocked, the request is refused.
    ``unreachable``: the person cannot be reached at all (blocked the bot, never opened it, no
    such account); else the channel refused this message itself."""

    def __init__(self, detail: str, *, unreachable: bool = False) -> None:
        super().__init__(detail)
        self.unreachable = unreachable


class GenerationFailed(PermanentFailure):
    """The file a message was to carry could not be made."""


@dataclass(frozen=True)
class ChannelError:
    """A failure a channel reports after it took a message (WhatsApp's failed status)."""

    code: int | None
    detail: str
    window: bool = False  # refused because the person's window for free messages was closed


class WaitForPerson(Exception):
    """The message cannot reach its person until they write (WhatsApp's window is closed and the
    message has no short form): it waits in the outbox for them."""


class ShortFormMissing(Exception):
    """The short form the message needs is not available on the channel yet (a WhatsApp template
    missing or not approved): the message waits, the admins are told."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(detail)
        self.name = name


class Channel(Protocol):
    name: str
    limits: ChannelLimits

    async def send(self, chat_id: str, message: OutMessage, delivery: Delivery) -> str:
        """Deliver a message; returns the channel's reference to it (for edits and statuses)."""
        ...

    async def edit(self, chat_id: str, message_ref: str, message: OutMessage) -> None:
        """Replace a delivered message's text and buttons (no change is not an error)."""
        ...

    async def fetch(self, ref: str) -> bytes:
        """The bytes of a file the channel holds (one a person sent)."""
        ...
