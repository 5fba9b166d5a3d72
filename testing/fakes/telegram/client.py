"""The people and groups that tests drive against the fake Bot API, and what they see.

A `FakeUser` is one Telegram account talking to one bot; a `FakeGroup` is a group chat. Both read
their chat's history as `FakeMessage` records, which are the fake's own live records: when the bot
edits a message, a `FakeMessage` a test is holding shows the new text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fakes.common import Mark

if TYPE_CHECKING:
    from fakes.telegram.server import BotState, ChatState, FakeBotApi, Person

__all__ = [
    "Button",
    "CallbackAnswer",
    "FakeDocument",
    "FakeGroup",
    "FakeMessage",
    "FakePhoto",
    "FakeUser",
    "Mark",
    "MessageVersion",
]


@dataclass(frozen=True)
class Button:
    """One inline keyboard button as the person sees it."""

    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class FakeDocument:
    file_id: str
    file_unique_id: str
    file_name: str | None
    mime_type: str | None
    content: bytes


@dataclass(frozen=True)
class FakePhoto:
    file_id: str
    file_unique_id: str
    width: int
    height: int
    content: bytes


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot answered to a button press (answerCallbackQuery)."""

    text: str | None
    show_alert: bool
    url: str | None = None
    cache_time: int | None = None


@dataclass(frozen=True)
class MessageVersion:
    """A message's content before one of its edits."""

    text: str
    html: str
    buttons: tuple[tuple[Button, ...], ...]


@dataclass(eq=False)
class FakeMessage:
    """One message of a chat, sent by the bot or by a person.

    `text` is what a person reads: the message text, or the caption of a document or photo.
    `html` is that text re-rendered from the stored entities (normalised tags: b, i, u, s,
    tg-spoiler, a, code, pre, blockquote, tg-emoji), so a test sees what Telegram stored rather than
    what the bot happened to send. The record is live: edits and deletions show up on it.
    """

    message_id: int
    chat_id: int
    from_bot: bool
    sender_id: int
    date: int
    text: str = ""
    entities: list[dict[str, Any]] = field(default_factory=list)
    html: str = ""
    is_caption: bool = False
    inline_keyboard: list[list[dict[str, Any]]] | None = None
    force_reply: bool = False
    input_field_placeholder: str | None = None
    reply_keyboard: list[list[str]] | None = None
    remove_keyboard: bool = False
    document: FakeDocument | None = None
    photo: FakePhoto | None = None
    reply_to_message_id: int | None = None
    edited: bool = False
    edit_date: int | None = None
    edit_history: list[MessageVersion] = field(default_factory=list)
    deleted: bool = False
    service: dict[str, Any] = field(default_factory=dict)
    sent_html: str | None = None
    forwarded_from_bot: bool = False  # a person forwarded a message of the bot here

    @property
    def caption(self) -> str | None:
        return self.text if self.is_caption else None

    @property
    def buttons(self) -> list[list[Button]]:
        """The inline keyboard, row by row (empty when the message has none)."""
        rows: list[list[Button]] = []
        for row in self.inline_keyboard or []:
            rows.append(
                [
                    Button(
                        text=str(button.get("text", "")),
                        callback_data=button.get("callback_data"),
                        url=button.get("url"),
                    )
                    for button in row
                ]
            )
        return rows

    @property
    def button_texts(self) -> list[str]:
        return [button.text for row in self.buttons for button in row]

    def button(self, text: str) -> Button:
        """The inline button labelled `text`; LookupError naming the buttons there are if none."""
        for row in self.buttons:
            for button in row:
                if button.text == text:
                    return button
        raise LookupError(
            f"message {self.message_id} has no button {text!r}; it has {self.button_texts!r}"
        )

    def snapshot(self) -> MessageVersion:
        return MessageVersion(
            text=self.text,
            html=self.html,
            buttons=tuple(tuple(row) for row in self.buttons),
        )

    def __repr__(self) -> str:
        who = "bot" if self.from_bot else f"user {self.sender_id}"
        flags = "".join(
            [" edited" if self.edited else "", " deleted" if self.deleted else ""],
        )
        return f"<FakeMessage {self.message_id} in {self.chat_id} from {who}{flags}: {self.text!r}>"


Predicate = Callable[[FakeMessage], bool]


class _ChatView:
    """Reading one chat's history, shared by users (their private chat) and groups."""

    def __init__(self, api: FakeBotApi, bot: BotState, chat: ChatState) -> None:
        self._api = api
        self._bot = bot
        self._chat = chat

    @property
    def chat_id(self) -> int:
        return self._chat.chat_id

    @property
    def messages(self) -> list[FakeMessage]:
        """Every message of the chat in order, the bot's and people's, deleted ones flagged."""
        return list(self._chat.messages)

    @property
    def bot_messages(self) -> list[FakeMessage]:
        """The bot's messages that are still there (not deleted), in order."""
        return [m for m in self._chat.messages if m.from_bot and not m.deleted]

    @property
    def chat_actions(self) -> list[str]:
        """Every sendChatAction the bot made in this chat ("typing", "upload_document", ...)."""
        return list(self._chat.chat_actions)

    def last_bot_message(self) -> FakeMessage:
        messages = self.bot_messages
        if not messages:
            raise LookupError(f"the bot has sent nothing (left) in chat {self.chat_id}")
        return messages[-1]

    def _post_file(
        self,
        person: Person,
        kind: str,
        content: bytes,
        filename: str | None,
        mime_type: str | None,
        caption: str | None,
        reply_to: FakeMessage | None,
    ) -> FakeMessage:
        """`person` sends a document or a photo into this chat."""
        return self._api.user_sends_file(
            self._bot,
            person,
            self._chat,
            kind=kind,
            content=content,
            filename=filename,
            mime_type=mime_type,
            caption=caption,
            reply_to=reply_to,
        )

    def mark(self) -> Mark:
        """Remember now; pass it as `since=` to wait only for what the bot does after it."""
        return self._api.mark()

    async def wait_for(
        self,
        predicate: Predicate | None = None,
        *,
        since: Mark | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - how long a test waits, not an I/O timeout
        edits: bool = True,
    ) -> FakeMessage:
        """The first bot message sent (or, with `edits`, edited) in this chat after `since` (or
        ever) that is not deleted and matches `predicate`; waits for one up to `timeout` seconds.
        """
        return await self._api.wait_for_bot_message(
            self._chat, predicate, since=since, within=timeout, edits=edits
        )

    async def next_message(
        self,
        predicate: Predicate | None = None,
        *,
        since: Mark | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - how long a test waits, not an I/O timeout
    ) -> FakeMessage:
        """The first new bot message after `since` (default: after this call started)."""
        mark = since if since is not None else self._api.mark()
        return await self._api.wait_for_bot_message(
            self._chat, predicate, since=mark, within=timeout, edits=False
        )


class FakeUser(_ChatView):
    """A Telegram account and its private chat with the bot."""

    def __init__(self, api: FakeBotApi, bot: BotState, person: Person, chat: ChatState) -> None:
        super().__init__(api, bot, chat)
        self._person = person

    @property
    def id(self) -> int:
        return self._person.id

    @property
    def first_name(self) -> str:
        return self._person.first_name

    @property
    def last_name(self) -> str | None:
        return self._person.last_name

    @property
    def username(self) -> str | None:
        return self._person.username

    @property
    def language_code(self) -> str | None:
        return self._person.language_code

    @property
    def person(self) -> Person:
        return self._person

    @property
    def started(self) -> bool:
        """Whether the bot may write to this user (the user has written to it first)."""
        return self._chat.started

    @property
    def blocked(self) -> bool:
        return self._chat.blocked

    async def send(self, text: str, *, reply_to: FakeMessage | None = None) -> FakeMessage:
        """Type `text` into the private chat with the bot and send it."""
        return self._api.user_sends(self._bot, self._person, self._chat, text, reply_to=reply_to)

    async def edit(self, message: FakeMessage, text: str) -> FakeMessage:
        """Edit a text message this person sent (the bot sees an edited_message update)."""
        return self._api.user_edits(self._bot, self._person, self._chat, message, text)

    async def reply(self, to: FakeMessage, text: str) -> FakeMessage:
        """Reply to `to` in the private chat."""
        return self._api.user_sends(self._bot, self._person, self._chat, text, reply_to=to)

    async def send_document(
        self,
        filename: str,
        content: bytes,
        mime_type: str = "application/pdf",
        caption: str | None = None,
        reply_to: FakeMessage | None = None,
    ) -> FakeMessage:
        return self._post_file(
            self._person, "document", content, filename, mime_type, caption, reply_to
        )

    async def send_photo(
        self,
        content: bytes,
        caption: str | None = None,
        reply_to: FakeMessage | None = None,
    ) -> FakeMessage:
        return self._post_file(self._person, "photo", content, None, None, caption, reply_to)

    async def press(
        self,
        message: FakeMessage,
        button_text: str,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> CallbackAnswer:
        """Tap the inline button labelled `button_text` on `message` (in this user's private chat
        or in a group) and wait until the bot answers the callback query."""
        button = message.button(button_text)
        if button.callback_data is None:
            raise ValueError(
                f"button {button_text!r} opens {button.url!r}; pressing it sends the bot nothing"
            )
        return await self._api.press(
            self._bot, self._person, message, button.callback_data, within=timeout
        )

    async def press_data(
        self,
        message: FakeMessage,
        data: str,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> CallbackAnswer:
        """Send a callback query with forged `data`, as a modified client could."""
        return await self._api.press(self._bot, self._person, message, data, within=timeout)

    def block_bot(self) -> None:
        """Block the bot: it gets a my_chat_member update and 403 on every message to this user."""
        self._api.set_blocked(self._bot, self._person, self._chat, blocked=True)

    def unblock_bot(self) -> None:
        self._api.set_blocked(self._bot, self._person, self._chat, blocked=False)

    unblock = unblock_bot

    def __repr__(self) -> str:
        return f"<FakeUser {self.id} {self.first_name!r}>"


class FakeGroup(_ChatView):
    """A group chat the bot may be added to."""

    @property
    def id(self) -> int:
        return self._chat.chat_id

    @property
    def title(self) -> str:
        return self._chat.title or ""

    @property
    def bot_is_member(self) -> bool:
        return self._chat.bot_member

    async def add_bot(self, by: FakeUser, *, admin: bool = False) -> FakeMessage:
        """`by` adds the bot to the group: a my_chat_member update and a new_chat_members
        service message; returns the service message."""
        return self._api.group_add_bot(self._bot, self._chat, by.person, admin=admin)

    async def remove_bot(self, by: FakeUser) -> FakeMessage:
        """`by` removes the bot: a my_chat_member update (kicked) and a left_chat_member message."""
        return self._api.group_remove_bot(self._bot, self._chat, by.person)

    async def migrate_to_supergroup(
        self, by: FakeUser, *, new_chat_id: int | None = None
    ) -> FakeGroup:
        """`by` upgrades this basic group: a supergroup with a new id (default -100 followed by
        this id's digits) takes over, the bot gets the two migrate service messages, and sending
        to the old id answers 400 with migrate_to_chat_id (PTB's ChatMigrated)."""
        return self._api.group_migrate(self._bot, self._chat, by.person, new_chat_id)

    async def send(
        self, user: FakeUser, text: str, *, reply_to: FakeMessage | None = None
    ) -> FakeMessage:
        """`user` writes `text` in the group (the bot sees it subject to privacy mode)."""
        return self._api.user_sends(self._bot, user.person, self._chat, text, reply_to=reply_to)

    async def send_document(
        self,
        user: FakeUser,
        filename: str,
        content: bytes,
        mime_type: str = "application/pdf",
        caption: str | None = None,
        reply_to: FakeMessage | None = None,
    ) -> FakeMessage:
        return self._post_file(
            user.person, "document", content, filename, mime_type, caption, reply_to
        )

    async def forward(self, user: FakeUser, message: FakeMessage) -> FakeMessage:
        """`user` forwards a message of the bot (from their private chat) into this group. As in
        Telegram, the copy keeps the original's inline keyboard, and its buttons still call the
        bot: a press on them comes from the group."""
        return self._api.user_forwards(self._bot, user.person, message, self._chat)

    def __repr__(self) -> str:
        return f"<FakeGroup {self.id} {self.title!r}>"
