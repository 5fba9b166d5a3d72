"""/baru: choosing an SOP, the process's title, its start documents, and Mulai proses."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.chat.events import Answer, Chat, Command, FileRef
from bot.chat.flows.steps import handin_json, handin_of
from bot.chat.messages import Button, OutMessage, Rich
from bot.chat.replies import NEW_PROCESS, Flow, Replies, Spot, refused
from bot.process import files
from bot.process.instances import Instances
from bot.process.workflow import Done, NeedsInput, Refused, Workflow
from bot.words import chat as words
from bot.words import steps as step_words
from sop.engine import MAX_TITLE
from sop.handins import Handin
from sop.models import HandinKind, HandinSpec
from storage.conversation import Prompt
from storage.offices import User


def first_missing(specs: Sequence[HandinSpec], given: Sequence[Handin]) -> HandinSpec | None:
    """The first required hand-in that nothing given answers yet."""
    return next((s for s in specs if not s.optional and not any(h.matches(s) for h in given)), None)


class StartFlow(Flow):
    def __init__(self, replies: Replies, workflow: Workflow, instances: Instances) -> None:
        super().__init__()
        self.r = replies
        self.workflow = workflow
        self.instances = instances
        self.catalog = instances.catalog
        self.menus = {"baru": self.chose_sop, "mulai": self.start, "urung": self.undo}
        self.inputs = {"title": self.title, "start_docs": self.start_doc}

    async def new(self, ev: Command, user: User) -> None:
        async with self.r.db.read() as tx:
            options = await self.instances.startable(tx, user, self.r.clock.now())
        if not options:
            await self.r.say_text(ev.chat, words.CANNOT_START)
            return
        several = len({o.id for o, _ in options}) > 1
        items = [
            (
                words.sop_choice_label(defn, office, several_offices=several),
                {"a": "baru", "office": office.id, "code": defn.code},
            )
            for office, defn in options
        ]
        items.append((words.CANCEL_LABEL, {"a": "urung"}))
        await self.r.say(
            ev.chat, await self.r.menu_message(ev.chat, user, words.choose_sop(), items)
        )

    async def undo(self, at: Spot, user: User, p: dict[str, Any]) -> Answer:
        await self.r.done(user, NEW_PROCESS)
        await self.r.replace(at, OutMessage(Rich().add(words.UNDONE)))
        return Answer(words.UNDONE_ANSWER)

    async def chose_sop(self, at: Spot, user: User, p: dict[str, Any]) -> Answer:
        defn = self.catalog.get(str(p["code"]))
        if defn is None:
            return refused(step_words.INVALID_BUTTON)
        await self.r.replace(at, words.sop_chosen(defn))
        await self.r.ask(
            at.chat,
            user,
            words.title_prompt(defn),
            topic=NEW_PROCESS,
            kind="title",
            label=step_words.prompt_label(None, "", words.title_what(defn)),
            payload={"office": p["office"], "code": defn.code},
        )
        return Answer(words.chosen_answer(defn))

    async def title(
        self, chat: Chat, user: User, prompt: Prompt, text: str, file: FileRef | None
    ) -> None:
        if file is not None:
            await self.r.say_text(chat, words.TITLE_FIRST)
            return
        title = " ".join(text.split())
        if not title or len(title) > MAX_TITLE:
            await self.r.say_text(chat, words.BAD_TITLE)
            return
        await self._prompt_docs(chat, user, {**prompt.payload, "title": title, "handins": []})

    async def _prompt_docs(
        self, chat: Chat, user: User, state: dict[str, Any], problem: str | None = None
    ) -> None:
        """Ask for the next start document, or offer Mulai proses once the required are in."""
        defn = self.catalog.get(str(state["code"]))
        if defn is None:
            await self.r.done(user, NEW_PROCESS)
            await self.r.say_text(chat, step_words.INVALID_BUTTON)
            return
        title = str(state["title"])
        given = [handin_of(h) for h in state["handins"]]
        missing = first_missing(defn.start_handin, given)
        message: OutMessage | Callable[[list[list[Button]]], OutMessage]
        offers: list[tuple[str, dict[str, Any]]] = []
        if missing is not None:
            message = step_words.handin_prompt(missing, step=None, title=title, problem=problem)
            what = step_words.handin_what(missing, None)
        else:
            offers = [(words.START_LABEL, {"a": "mulai"}), (words.CANCEL_LABEL, {"a": "urung"})]
            names = [h.file_name or h.label for h in given]

            def message(buttons: list[list[Button]]) -> OutMessage:
                return words.start_docs(title, names, problem, buttons)

            what = words.SUPPORTING_DOC
        await self.r.ask(
            chat,
            user,
            message,
            topic=NEW_PROCESS,
            kind="start_docs",
            label=step_words.prompt_label(None, title, what),
            payload=state,
            wants_file=True,
            offers=offers,
        )

    async def start_doc(
        self, chat: Chat, user: User, prompt: Prompt, text: str, file: FileRef | None
    ) -> None:
        state = prompt.payload
        if file is None:
            await self._prompt_docs(chat, user, state, words.SEND_AS_FILE)
            return
        defn = self.catalog.get(str(state["code"]))
        if defn is None:
            return
        given = [handin_of(h) for h in state["handins"]]
        missing = first_missing(defn.start_handin, given)
        label = missing.label if missing is not None else words.SUPPORTING_DOC
        async with self.r.db.transaction() as tx:
            value = await files.keep(tx, chat.channel, file, self.r.clock.now())
        given.append(Handin(HandinKind.ATTACHMENT, label, value, file.name, file.mime_type))
        state = {**state, "handins": [handin_json(h) for h in given]}
        await self._prompt_docs(chat, user, state)

    async def start(self, at: Spot, user: User, p: dict[str, Any]) -> Answer:
        """Mulai proses, for the preparation that offered it (a stale press starts nothing)."""
        prompt = await self.r.prompt(user, int(p.get("prompt", 0)))
        if prompt is None or prompt.kind != "start_docs":
            return refused(words.NOTHING_PREPARED)
        state = prompt.payload
        handins = [handin_of(h) for h in state["handins"]]
        outcome = await self.workflow.start(
            user.id, int(state["office"]), str(state["code"]), str(state["title"]), handins
        )
        if isinstance(outcome, NeedsInput):
            await self._prompt_docs(at.chat, user, state)
            return refused(words.REQUIRED_DOCS_MISSING)
        if isinstance(outcome, Refused):
            await self.r.done(user, NEW_PROCESS)
            return refused(outcome.text)
        assert isinstance(outcome, Done)  # noqa: S101
        await self.r.done(user, NEW_PROCESS)
        defn = self.catalog.get(str(state["code"]))
        who = self.catalog.roles.label(defn.first.pelaksana) if defn else ""
        await self.r.replace(at, words.started(outcome.process_id, str(state["title"]), who))
        return Answer(words.started_answer(outcome.process_id))
