"""The channel port: what the bot needs from a chat channel (Telegram, WhatsApp) to deliver a
message, what each channel declares about itself (its limits), and the three kinds of failure a
channel reports to the sender (wait, retry, give up). Channels live in ``handlers/``; the bot
knows them only through this port."""

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


class RetryLater(Exception):
    """The channel asks to wait (a rate limit) before trying again."""

    def __init__(self, seconds: float, detail: str = "rate limited") -> None:
        super().__init__(detail)
        self.seconds = seconds


class TemporaryFailure(Exception):
    """Worth trying again: the network, a timeout, a server error."""


class PermanentFailure(Exception):
    """Never going to work: the chat is gone, the bot is blocked, the request is refused."""


class GenerationFailed(PermanentFailure):
    """The file a message was to carry could not be made."""


class Channel(Protocol):
    name: str
    limits: ChannelLimits

    async def send(self, chat_id: str, message: OutMessage) -> str:
        """Deliver a message; returns the channel's reference to it (for later edits)."""
        ...

    async def edit(self, chat_id: str, message_ref: str, message: OutMessage) -> None:
        """Replace a delivered message's text and buttons (no change is not an error)."""
        ...
