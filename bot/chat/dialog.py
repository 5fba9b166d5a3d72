"""The router of the conversation: each command, button press, text and file a channel hands over
goes to the flow that answers it.

Channel-neutral: a channel turns its updates into ``bot.chat.events`` and calls ``Dialog.handle``;
every reply goes through the outbox (so replies keep their order with the step messages), and a
press gets an immediate ``Answer``. Commands come from one table (``bot.chat.commands``); menu
actions and awaited inputs from the flows that declare them. What a service refuses
(``NotAllowed``) is said to the person, whatever flow asked.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from bot.chat.commands import COMMANDS, Where, Who, find, parse_typed
from bot.chat.events import (
    AddedToGroup,
    Answer,
    Chat,
    Command,
    Event,
    FileIn,
    FileRef,
    Person,
    Press,
    Text,
)
from bot.chat.flows.admin import AdminFlow
from bot.chat.flows.processes import ProcessFlow
from bot.chat.flows.reports import ReportFlow
from bot.chat.flows.start import StartFlow
from bot.chat.flows.steps import StepFlow
from bot.chat.flows.welcome import WelcomeFlow
from bot.chat.messages import Rich
from bot.chat.replies import InputHandler, MenuHandler, Replies, Spot, refused, topic_process
from bot.office.access import NotAllowed
from bot.office.admin import Admin
from bot.process import files
from bot.process.workflow import Workflow
from bot.words import chat as words
from bot.words.steps import INVALID_BUTTON
from storage.conversation import ButtonToken, Prompt
from storage.offices import User

log = logging.getLogger(__name__)

CommandHandler = Callable[[Command, Any], Awaitable[None]]

# The menus that belong in a group (linking it to an office); every other press there is answered
# in the presser's private chat.
GROUP_MENUS = frozenset({"grup"})


def _merged(tables: Mapping[str, Mapping[str, Any]], what: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for flow, table in tables.items():
        for key, handler in table.items():
            if key in merged:
                raise RuntimeError(f"{what} {key!r} is declared twice (again by {flow})")
            merged[key] = handler
    return merged


class Dialog:
    def __init__(
        self,
        replies: Replies,
        workflow: Workflow,
        admin: Admin,
        *,
        invite_links: Callable[[str], list[tuple[str, str]]],
    ) -> None:
        self.r = replies
        instances, access = workflow.instances, admin.access
        self.welcome = WelcomeFlow(replies, admin, instances)
        self.steps = StepFlow(replies, workflow, instances, access)
        self.admin_flow = AdminFlow(replies, admin, invite_links)
        self.flows = {
            "welcome": self.welcome,
            "steps": self.steps,
            "start": StartFlow(replies, workflow, instances),
            "processes": ProcessFlow(replies, workflow, instances, access),
            "admin": self.admin_flow,
            "reports": ReportFlow(replies, instances, access),
        }
        self.admin = admin
        # Resolved now, so a handler named wrongly in the table stops the bot at start.
        self.commands: dict[str, CommandHandler] = {
            c.name: self._resolve(c.handler) for c in COMMANDS
        }
        self.menus: dict[str, MenuHandler] = _merged(
            {n: f.menus for n, f in self.flows.items()}, "menu action"
        )
        self.inputs: dict[str, InputHandler] = _merged(
            {n: f.inputs for n, f in self.flows.items()}, "awaited input"
        )
        # The router's own menu actions: the next page of a long menu, a command chosen from the
        # main menu, and "Buka" on a nudge (the person wrote, which is all it needed).
        self.menus |= {
            "halaman": replies.next_page,
            "perintah": self._chosen,
            "kabar": self._opened,
            "jawab": self._chosen_prompt,
        }

    def _resolve(self, handler: str) -> CommandHandler:
        """A handler named in the command table: "steps.tasks" is the flow steps' method tasks."""
        flow, _, method = handler.partition(".")
        found: CommandHandler = getattr(self.flows[flow], method)
        return found

    # --- entry ----------------------------------------------------------------------------------

    async def handle(self, event: Event) -> Answer | None:
        try:
            match event:
                case Press():
                    return await self._answered(event, await self._press(event))
                case Command():
                    await self._command(event)
                case Text():
                    await self._typed(event.person, event.chat, event.text, None, event.reply_to)
                case FileIn():
                    await self._typed(
                        event.person, event.chat, event.caption or "", event.file, event.reply_to
                    )
                case AddedToGroup():
                    await self.admin_flow.added_to_group(event)
        except NotAllowed as refusal:
            if isinstance(event, Press):
                return await self._answered(event, refused(refusal.text))
            await self.r.say_text(event.chat, refusal.text)
        return None

    async def _answered(self, press: Press, answer: Answer) -> Answer:
        """On a channel that cannot answer a press by itself (WhatsApp has no toasts), a refusal
        or a confirmation is a short message in the chat."""
        if (
            answer.text
            and (answer.alert or answer.confirms)
            and not self.r.limits(press.chat).toasts
        ):
            await self.r.say_text(press.chat, answer.text)
            return Answer()
        return answer

    async def _user(self, event: Command | Text | FileIn | Press) -> User | None:
        p = event.person
        return await self.admin.user_of(p.channel, p.external_id, p.name)

    # --- commands --------------------------------------------------------------------------------

    async def _command(self, ev: Command) -> None:
        spec = find(ev.name)
        if ev.chat.is_group:
            # A group hears only its own commands; their service decides who may use them.
            if spec is not None and spec.where is Where.GROUP:
                await self.commands[spec.name](ev, await self._user(ev))
            return
        user = await self._user(ev)
        if user is None and (spec is None or spec.who is not Who.ANYONE):
            await self.welcome.stranger(ev.person, ev.chat)
        elif spec is None:
            await self.r.say_text(ev.chat, words.unknown_command(ev.name))
        elif spec.where is Where.GROUP:
            limits = self.r.limits(ev.chat)
            text = words.group_command_in_private(spec.name) if limits.groups else words.NO_GROUPS
            await self.r.say_text(ev.chat, text)
        else:
            await self.commands[spec.name](ev, user)

    # --- presses ---------------------------------------------------------------------------------

    async def _press(self, ev: Press) -> Answer:
        async with self.r.db.read() as tx:
            token = await tx.conversation.token(ev.token)
        if token is None:
            return refused(INVALID_BUTTON)
        user = await self._user(ev)
        if user is None:
            return refused(words.not_registered_press(ev.person.channel, ev.person.external_id))
        if ev.chat.is_group and not (
            token.kind == "menu" and token.payload.get("a") in GROUP_MENUS
        ):
            # A step's or a file's button pressed in a group (a message forwarded there): what
            # it brings (a document, a prompt, a step) goes to the presser's private chat only.
            ev = replace(ev, chat=Chat(ev.chat.channel, ev.person.external_id), message_ref=None)
            answer = await self._token_press(ev, user, token)
            if answer.text and not answer.alert and not answer.confirms:
                return Answer(words.sent_privately(answer.text))
            return answer
        return await self._token_press(ev, user, token)

    async def _token_press(self, ev: Press, user: User, token: ButtonToken) -> Answer:
        match token.kind:
            case "step":
                return await self.steps.press_step(ev, user, token)
            case "file":
                return await self.steps.press_file(ev, user, token)
            case "menu":
                if token.user_id != user.id:
                    return refused(words.MENU_FOR_OTHERS)
                if token.expires_at is not None and token.expires_at < self.r.clock.now():
                    return refused(words.MENU_EXPIRED)
                handler = self.menus.get(str(token.payload.get("a")))
                if handler is None:
                    return refused(INVALID_BUTTON)
                answer: Answer = await handler(Spot(ev.chat, ev.message_ref), user, token.payload)
                return answer
        return refused(INVALID_BUTTON)

    async def _chosen(self, at: Spot, user: User, p: dict[str, Any]) -> Answer:
        """A command chosen from the main menu, as if typed."""
        spec = find(str(p.get("name")))
        if spec is None or spec.where is not Where.PRIVATE:
            return refused(INVALID_BUTTON)
        person = Person(at.chat.channel, at.chat.id, user.name)
        await self.commands[spec.name](Command(person, at.chat, spec.name), user)
        return Answer()

    @staticmethod
    async def _opened(at: Spot, user: User, p: dict[str, Any]) -> Answer:
        return Answer()

    # --- texts and files -------------------------------------------------------------------------

    async def _typed(
        self, person: Person, chat: Chat, text: str, file: FileRef | None, reply_to: str | None
    ) -> None:
        """A text or a file: it answers one of the bot's open prompts to this person, if any.
        On a channel without a command menu a command is typed as a word ("tugas", "riwayat
        12"): it is one unless the bot is waiting for this person's answer ("batal" and a
        leading "/" always are)."""
        if chat.is_group:
            return
        typed = parse_typed(text) if file is None and not self.r.limits(chat).command_menu else None
        user = await self.admin.user_of(person.channel, person.external_id, person.name)
        prompts = await self.r.prompts(user) if user is not None else []
        if typed is not None and (
            not prompts or typed[0] == "batal" or text.lstrip().startswith("/")
        ):
            await self._command(Command(person, chat, *typed))
            return
        if user is None:
            await self.welcome.stranger(person, chat)
            return
        if reply_to is not None:
            topic = await self.r.replied_topic(user, chat, reply_to)
            if topic is not None:
                # A reply names its question: the prompt on that topic, or nothing at all.
                on_topic = [p for p in prompts if p.topic == topic]
                if on_topic:
                    await self._answer(chat, user, on_topic[0], text, file)
                else:
                    await self.r.say_text(chat, words.not_waiting_on(topic_process(topic)))
                return
        if not prompts:
            typed_commands = not self.r.limits(chat).command_menu
            await self.r.say_text(
                chat,
                words.NOTHING_ASKED_FILE
                if file is not None
                else words.nothing_asked(typed=typed_commands),
            )
            return
        fitting = [p for p in prompts if p.wants_file == (file is not None)]
        if len(prompts) == 1 or len(fitting) == 1:
            await self._answer(
                chat, user, fitting[0] if len(fitting) == 1 else prompts[0], text, file
            )
            return
        await self._which(chat, user, fitting or prompts, text, file)

    async def _answer(
        self, chat: Chat, user: User, prompt: Prompt, text: str, file: FileRef | None
    ) -> None:
        handler = self.inputs.get(prompt.kind)
        if handler is None:
            await self.r.done(user, prompt.topic)  # a kind this version no longer asks for
            return
        await handler(chat, user, prompt, text, file)

    async def _which(
        self, chat: Chat, user: User, prompts: list[Prompt], text: str, file: FileRef | None
    ) -> None:
        """Several questions could take this message: ask which, one button each. The message
        (a file kept first) rides on the buttons, so nothing has to be sent again."""
        kept = None
        if file is not None:
            async with self.r.db.transaction() as tx:
                value = await files.keep(tx, chat.channel, file, self.r.clock.now())
            kept = {"ref": value, "name": file.name, "mime": file.mime_type}
        items = [
            (p.label, {"a": "jawab", "prompt": p.id, "text": text, "file": kept}) for p in prompts
        ]
        message = await self.r.menu_message(chat, user, Rich().add(words.WHICH_PROMPT), items)
        await self.r.say(chat, message)

    async def _chosen_prompt(self, at: Spot, user: User, p: dict[str, Any]) -> Answer:
        """The question a message answers, chosen: the message goes to it."""
        prompt = await self.r.prompt(user, int(p.get("prompt", 0)))
        if prompt is None:
            return refused(words.PROMPT_GONE)
        kept = p.get("file")
        file = (
            FileRef(ref=str(kept["ref"]), name=str(kept["name"]), mime_type=kept.get("mime"))
            if isinstance(kept, dict)
            else None
        )
        await self._answer(at.chat, user, prompt, str(p.get("text", "")), file)
        return Answer(words.ANSWER_TAKEN)
