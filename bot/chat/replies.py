"""What every conversation flow needs to answer a person, whatever channel they use: messages into
the outbox (so replies keep their order with the step messages), menus whose buttons only their
person may press, and what the bot is waiting for from a person, kept in the database so a
restart loses nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.chat import notify
from bot.chat.channel import ChannelLimits
from bot.chat.events import Answer, Chat, FileRef
from bot.chat.messages import Button, OutMessage, Rich
from bot.clock import Clock
from bot.words.chat import NEXT_PAGE
from bot.words.format import short
from storage.conversation import PendingInput
from storage.db import Database
from storage.offices import User

PENDING_FOR = timedelta(days=1)
MENU_FOR = timedelta(days=2)


@dataclass(frozen=True)
class Spot:
    """Where a menu is shown: its chat, and the message to edit in place (None: send anew)."""

    chat: Chat
    message_ref: str | None = None


# What a flow offers the router: a menu action's handler (a button press), and a handler of the
# typed answer the bot waits for (a note, a date, a file).
MenuHandler = Callable[[Spot, User, dict[str, Any]], Any]
InputHandler = Callable[[Chat, User, dict[str, Any], str, FileRef | None], Any]


class Flow:
    """A conversation about one thing (a step, starting a process, the office's people...). It
    declares the menu actions and the awaited inputs it answers; the router dispatches to them."""

    menus: Mapping[str, MenuHandler]
    inputs: Mapping[str, InputHandler]

    def __init__(self) -> None:
        self.menus = {}
        self.inputs = {}


class Replies:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        limits: Mapping[str, ChannelLimits],
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.clock = clock
        self._limits = dict(limits)
        self.on_commit = on_commit

    def limits(self, chat: Chat) -> ChannelLimits:
        """What the chat's channel can carry: how long a label, how many rows before a menu pages."""
        return self._limits[chat.channel]

    async def say(self, chat: Chat, message: OutMessage, *, dedupe: str | None = None) -> None:
        async with self.db.transaction() as tx:
            await notify.to_chat(tx, chat, message, self.clock.now(), dedupe_key=dedupe)
        self.on_commit()

    async def say_text(self, chat: Chat, text: str) -> None:
        await self.say(chat, OutMessage(Rich().add(text)))

    async def tell(self, user: User, text: str) -> None:
        """A message to a person in their own chat (not the one an admin is working in)."""
        async with self.db.transaction() as tx:
            await notify.to_user(tx, user, OutMessage(Rich().add(text)), self.clock.now())
        self.on_commit()

    async def replace(self, at: Spot, message: OutMessage) -> None:
        """Edit the message a button sat on (a menu), or send anew when it is unknown or the
        channel cannot edit what it sent."""
        if at.message_ref is None or not self.limits(at.chat).can_edit:
            await self.say(at.chat, message)
            return
        async with self.db.transaction() as tx:
            await notify.edit_ref(tx, at.chat, at.message_ref, message, self.clock.now())
        self.on_commit()

    async def menu(
        self, chat: Chat, user: User, items: Sequence[tuple[str, dict[str, Any]]]
    ) -> list[list[Button]]:
        """One button per row for each (label, payload), labels fitted to the channel; every
        token is made in one transaction and only ``user`` may press it."""
        now = self.clock.now()
        width = self.limits(chat).button_label_length
        async with self.db.transaction() as tx:
            return [
                [
                    Button(
                        label=short(label, width),
                        token=await tx.conversation.menu_token(
                            "menu", user.id, payload, now, now + MENU_FOR
                        ),
                    )
                ]
                for label, payload in items
            ]

    async def menu_message(
        self,
        chat: Chat,
        user: User,
        text: Rich,
        items: Sequence[tuple[str, dict[str, Any]]],
        *,
        prompt: str | None = None,
    ) -> OutMessage:
        """A menu of choices under ``text``. Choices beyond what the chat's channel shows in one
        menu page: the last row is "Berikutnya", which shows the rest under the same text."""
        rows = self.limits(chat).menu_rows
        page = list(items)
        if len(page) > rows:
            rest = [[label, payload] for label, payload in page[rows - 1 :]]
            more = {"a": "halaman", "text": text.to_json(), "items": rest, "prompt": prompt}
            page = [*page[: rows - 1], (NEXT_PAGE, more)]
        return OutMessage(text, await self.menu(chat, user, page), prompt=prompt)

    async def next_page(self, at: Spot, user: User, p: dict[str, Any]) -> Answer:
        """ "Berikutnya" on a long menu: the next choices, under the same text."""
        items = [(str(label), dict(payload)) for label, payload in p.get("items", [])]
        text = Rich.from_json(p.get("text", []))
        await self.say(
            at.chat, await self.menu_message(at.chat, user, text, items, prompt=p.get("prompt"))
        )
        return Answer()

    async def menu_button(
        self, chat: Chat, user: User, label: str, payload: dict[str, Any]
    ) -> Button:
        return (await self.menu(chat, user, [(label, payload)]))[0][0]

    async def expect(self, user: User, kind: str, payload: dict[str, Any]) -> None:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            await tx.conversation.expect(user.id, kind, payload, now, now + PENDING_FOR)

    async def expected(self, user: User) -> PendingInput | None:
        async with self.db.read() as tx:
            return await tx.conversation.expected(user.id, self.clock.now())

    async def forget(self, user: User) -> bool:
        async with self.db.transaction() as tx:
            return await tx.conversation.forget(user.id)


def refused(text: str) -> Answer:
    """A press refused: an alert the person must dismiss."""
    return Answer(text, alert=True)
