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
from storage.conversation import Prompt
from storage.db import Database
from storage.offices import User

PENDING_FOR = timedelta(days=1)
MENU_FOR = timedelta(days=2)

# The topics of prompts: one waiting answer per person and topic.
NEW_PROCESS = "baru"  # a process being prepared with /baru
OFFICE_SETTINGS = "kantor"  # an admin's date or period


def process_topic(process_id: int) -> str:
    return f"proses:{process_id}"


def topic_process(topic: str) -> int | None:
    """The process a topic is about, if any."""
    prefix, _, number = topic.partition(":")
    return int(number) if prefix == "proses" and number.isdigit() else None


@dataclass(frozen=True)
class Spot:
    """Where a menu is shown: its chat, and the message to edit in place (None: send anew)."""

    chat: Chat
    message_ref: str | None = None


# What a flow offers the router: a menu action's handler (a button press), and a handler of the
# typed answer to one of its prompts (a note, a date, a file).
MenuHandler = Callable[[Spot, User, dict[str, Any]], Any]
InputHandler = Callable[[Chat, User, Prompt, str, FileRef | None], Any]


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

    # --- prompts: what the bot waits for from a person ----------------------------------------

    async def ask(
        self,
        chat: Chat,
        user: User,
        message: OutMessage | Callable[[list[list[Button]]], OutMessage] | None,
        *,
        topic: str,
        kind: str,
        label: str,
        payload: dict[str, Any],
        process_id: int | None = None,
        wants_file: bool = False,
        offers: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> int:
        """Ask a person something and wait for the answer: the prompt (replacing what was asked
        on its topic before) and the message that asks it, in one transaction, so a reply to that
        message finds its prompt. ``offers`` are buttons that answer this prompt alone (their
        payload carries its id); ``message`` then builds the message around them. Returns the
        prompt's id."""
        now = self.clock.now()
        width = self.limits(chat).button_label_length
        async with self.db.transaction() as tx:
            prompt_id = await tx.conversation.ask(
                user.id,
                topic,
                kind,
                label,
                payload,
                now,
                now + PENDING_FOR,
                process_id=process_id,
                wants_file=wants_file,
            )
            buttons = [
                [
                    Button(
                        label=short(text, width),
                        token=await tx.conversation.menu_token(
                            "menu", user.id, {**offer, "prompt": prompt_id}, now, now + MENU_FOR
                        ),
                    )
                ]
                for text, offer in offers
            ]
            out = message(buttons) if callable(message) else message
            if out is not None:
                outbox_id = await notify.to_chat(tx, chat, out, now)
                if outbox_id is not None:
                    await tx.conversation.asked_in(outbox_id, user.id, topic)
        self.on_commit()
        return prompt_id

    async def prompts(self, user: User) -> list[Prompt]:
        async with self.db.read() as tx:
            return await tx.conversation.prompts(user.id, self.clock.now())

    async def prompt(self, user: User, prompt_id: int) -> Prompt | None:
        """A prompt of this person's that still waits; None when answered, dropped or not theirs."""
        async with self.db.read() as tx:
            found = await tx.conversation.prompt(prompt_id, self.clock.now())
        return found if found is not None and found.user_id == user.id else None

    async def prompt_on(self, user: User, topic: str) -> Prompt | None:
        async with self.db.read() as tx:
            return await tx.conversation.prompt_on(user.id, topic, self.clock.now())

    async def replied_topic(self, user: User, chat: Chat, message_ref: str) -> str | None:
        """The topic of the message a person replied to: a prompt's topic, or the process of a
        step message. None when the message is about nothing the bot asks."""
        async with self.db.read() as tx:
            item = await tx.outbox.sent_in_chat(chat.channel, chat.id, message_ref)
            if item is None:
                return None
            topic = await tx.conversation.topic_of_message(item.id, user.id)
            if topic is not None:
                return topic
            run = await tx.processes.step_run(item.step_run_id) if item.step_run_id else None
        return process_topic(run.process_id) if run is not None else None

    async def done(self, user: User, topic: str) -> bool:
        """The answer on ``topic`` is in (or no longer wanted): stop waiting for it."""
        async with self.db.transaction() as tx:
            return await tx.conversation.drop_topic(user.id, topic)

    async def drop_all(self, user: User) -> list[Prompt]:
        async with self.db.transaction() as tx:
            return await tx.conversation.drop_all(user.id, self.clock.now())


def refused(text: str) -> Answer:
    """A press refused: an alert the person must dismiss."""
    return Answer(text, alert=True)
