"""A person's steps: /tugas, a step's buttons, the note a negative answer needs, the hand-ins a
step asks for (a file, a link, an agenda number, a text), and the earlier documents' buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.chat import notify
from bot.chat.events import Answer, Chat, Command, FileRef, Press
from bot.chat.messages import Button, OutMessage, Rich
from bot.chat.replies import Flow, Replies, Spot, process_topic, refused
from bot.office.access import Access
from bot.process import files
from bot.process.instances import Instances
from bot.process.step_messages import VIEW_CHOICE
from bot.process.workflow import Done, NeedsInput, NeedsNote, Outcome, Refused, Workflow
from bot.words import chat as words
from bot.words import steps as step_words
from sop.handins import Handin
from sop.models import HandinKind, HandinSpec
from storage.conversation import ButtonToken, Prompt
from storage.db import Tx
from storage.offices import User
from storage.processes import StepRun


def handin_json(h: Handin) -> dict[str, Any]:
    return {
        "kind": h.kind.value,
        "label": h.label,
        "value": h.value,
        "file_name": h.file_name,
        "mime": h.mime_type,
    }


def handin_of(d: dict[str, Any]) -> Handin:
    return Handin(
        kind=HandinKind(d["kind"]),
        label=d["label"],
        value=d["value"],
        file_name=d.get("file_name"),
        mime_type=d.get("mime"),
    )


class StepFlow(Flow):
    def __init__(
        self, replies: Replies, workflow: Workflow, instances: Instances, access: Access
    ) -> None:
        self.r = replies
        self.workflow = workflow
        self.instances = instances
        self.access = access
        self.menus = {"buka": self.open_step, "lihat": self.view_step, "nomor": self.use_nomor}
        self.inputs = {"note": self.note, "handin": self.handin}

    # --- /tugas ----------------------------------------------------------------------------------

    async def tasks(self, ev: Command, user: User) -> None:
        now = self.r.clock.now()
        async with self.r.db.read() as tx:
            tasks = await self.instances.open_tasks(tx, user, now)
        if not tasks:
            await self.r.say_text(ev.chat, words.NO_TASKS)
            return
        shown = tasks[: words.TASKS_SHOWN]
        text = words.tasks_head(len(tasks))
        for ctx, run in shown:
            kegiatan = ctx.defn.step(run.step).kegiatan
            text.extend(words.task_line(ctx.process, run, kegiatan, ctx.calendar, now))
        text.extend(words.tasks_tail(len(tasks) - len(shown)))
        items = [
            (words.open_task_label(ctx.process, run), {"a": "buka", "run": run.id})
            for ctx, run in tasks
        ]
        await self.r.say(ev.chat, await self.r.menu_message(ev.chat, user, text, items))

    async def open_step(self, at: Spot, user: User, p: dict[str, Any]) -> Answer:
        """A /tugas button: the step's message again, with its buttons."""
        now = self.r.clock.now()
        async with self.r.db.transaction() as tx:
            run = await tx.processes.step_run(int(p["run"]))
            if run is None or not run.is_open:
                return refused(step_words.ALREADY_DONE)
            ctx = await self.instances.context(tx, run.process_id)
            if ctx is None:
                return refused(step_words.INVALID_BUTTON)
            actor = await self.instances.actor(tx, user, ctx.office, now)
            if run.role not in actor.roles:
                return refused(words.NOT_YOUR_STEP_NOW)
            await self.workflow.steps.send(tx, ctx, run, now, to=[user])
        self.r.on_commit()
        return Answer(words.STEP_RESENT)

    async def view_step(self, at: Spot, user: User, p: dict[str, Any]) -> Answer:
        """Show a step to someone following it (an atasan after an escalation): its message as
        its actor sees it, with the choice buttons only for those who hold the step's role."""
        now = self.r.clock.now()
        async with self.r.db.transaction() as tx:
            run = await tx.processes.step_run(int(p["run"]))
            ctx = await self.instances.context(tx, run.process_id) if run is not None else None
            if run is None or ctx is None:
                return refused(step_words.INVALID_BUTTON)
            if not await self.access.may_view(tx, user, ctx.office.id):
                return refused(words.STEP_FOR_OFFICE)
            if not run.is_open:
                return refused(words.step_done_already(ctx.process.id))
            actor = await self.instances.actor(tx, user, ctx.office, now)
            holds = run.role in actor.roles
            banner = None if holds else Rich().i(words.VIEWED_AS_BOSS).nl()
            message = await self.workflow.steps.build(tx, ctx, run, now, banner=banner)
            if holds:
                await notify.to_user(tx, user, message, now, step_run_id=run.id)
            else:
                message.buttons = message.buttons[1:]  # keep the document buttons, drop the choices
                await notify.to_chat(tx, at.chat, message, now)
        self.r.on_commit()
        return Answer(words.STEP_SENT)

    # --- a step's buttons ------------------------------------------------------------------------

    async def press_step(self, ev: Press, user: User, token: ButtonToken) -> Answer:
        assert token.step_run_id is not None and token.choice is not None  # noqa: S101, PT018
        if token.choice == VIEW_CHOICE:
            return await self.open_step(
                Spot(ev.chat, ev.message_ref), user, {"run": token.step_run_id}
            )
        outcome = await self.workflow.act(
            user.id, token.step_run_id, token.choice, then=self._answered(user)
        )
        answer = await self.after(
            ev.chat, user, token.step_run_id, token.choice, outcome, pressed=True
        )
        return answer or Answer()

    async def press_file(self, ev: Press, user: User, token: ButtonToken) -> Answer:
        """An earlier document's button: the file, sent to whoever of the office pressed it."""
        now = self.r.clock.now()
        async with self.r.db.transaction() as tx:
            handin = await tx.processes.handin(token.handin_id) if token.handin_id else None
            process = await tx.processes.get(handin.process_id) if handin else None
            if handin is None or process is None:
                return refused(step_words.INVALID_BUTTON)
            if not await self.access.may_view(tx, user, process.office_id):
                return refused(words.FILE_FOR_OFFICE)
            message = OutMessage(
                Rich().add(words.file_caption(handin.label, process.id)),
                attachment=files.attachment(
                    handin.value, handin.file_name or handin.label, handin.mime_type
                ),
            )
            await notify.to_chat(tx, ev.chat, message, now)
        self.r.on_commit()
        return Answer(words.FILE_SENT)

    async def use_nomor(self, at: Spot, user: User, p: dict[str, Any]) -> Answer:
        """ "Pakai <nomor>": the suggested agenda number, as if typed, for the prompt that
        offered it (a later prompt, or one already answered, makes the press stale)."""
        prompt = await self.r.prompt(user, int(p.get("prompt", 0)))
        if prompt is None or prompt.kind != "handin":
            return refused(step_words.NOMOR_NOT_USED)
        await self.handin(at.chat, user, prompt, str(p["value"]), None)
        return Answer(step_words.NOMOR_USED)

    # --- what an attempt on a step leads to ------------------------------------------------------

    @staticmethod
    def _answered(user: User) -> Callable[[Tx, Done], Awaitable[bool]]:
        """Once a person's answer on a process is taken, the bot no longer waits for one from
        them there: in the answer's own transaction."""
        return lambda tx, done: tx.conversation.drop_topic(user.id, process_topic(done.process_id))

    async def after(
        self,
        chat: Chat,
        user: User,
        run_id: int,
        choice: str,
        outcome: Outcome,
        *,
        pressed: bool,
        handins: list[Handin] | None = None,
    ) -> Answer | None:
        """What the person hears after an attempt on a step: done, a prompt for more, or why not."""
        match outcome:
            case Done():  # the prompt on its process was dropped with the answer (_answered)
                if pressed:
                    return Answer(step_words.recorded(outcome.label), confirms=True)
                await self.r.say_text(chat, step_words.recorded_thanks(outcome.label))
                return None
            case NeedsNote():
                step = outcome.ask.step
                await self.r.ask(
                    chat,
                    user,
                    step_words.note_prompt(
                        outcome.ask.choice, step, outcome.to, outcome.process_id, outcome.title
                    ),
                    topic=process_topic(outcome.process_id),
                    kind="note",
                    label=step_words.note_label(
                        outcome.ask.choice, step, outcome.process_id, outcome.title
                    ),
                    payload={"run": run_id, "choice": choice},
                    process_id=outcome.process_id,
                )
                return Answer(step_words.WRITE_NOTE_AS_REPLY) if pressed else None
            case NeedsInput():
                await self._ask_handin(chat, user, run_id, choice, outcome, handins or [])
                return Answer(step_words.send_handin(outcome.ask.spec.label)) if pressed else None
            case Refused():
                if not pressed and outcome.reason in ("stale", "conflict", "not_running"):
                    # The answer came for a step that is no longer open: its prompt is stale.
                    run = await self._run(run_id)
                    if run is not None:
                        await self.r.done(user, process_topic(run.process_id))
                if pressed:
                    return refused(outcome.text)
                await self.r.say_text(chat, outcome.text)
                return None
        return None

    async def _run(self, run_id: int) -> StepRun | None:
        async with self.r.db.read() as tx:
            return await tx.processes.step_run(run_id)

    async def _ask_handin(
        self,
        chat: Chat,
        user: User,
        run_id: int,
        choice: str,
        outcome: NeedsInput,
        handins: list[Handin],
    ) -> None:
        """Ask for what the step still needs; a "Pakai" button offers the next free agenda number
        and answers only this prompt."""
        assert outcome.process_id is not None  # noqa: S101 - a step belongs to a process
        spec, step, process_id = outcome.ask.spec, outcome.ask.step, outcome.process_id
        state = {
            "run": run_id,
            "choice": choice,
            "spec": spec.label,
            "kind": spec.kind.value,
            "handins": [handin_json(h) for h in handins],
        }
        label = step_words.prompt_label(
            process_id, outcome.title, step_words.handin_what(spec, step)
        )
        offers = []
        if outcome.suggestion:
            offers.append(
                (
                    step_words.use_nomor(outcome.suggestion),
                    {"a": "nomor", "value": outcome.suggestion},
                )
            )

        def message(buttons: list[list[Button]]) -> OutMessage:
            return step_words.handin_prompt(
                spec,
                step=step,
                process_id=process_id,
                title=outcome.title,
                problem=outcome.ask.problem,
                suggestion=outcome.suggestion,
                buttons=[row[0] for row in buttons],
            )

        await self.r.ask(
            chat,
            user,
            message,
            topic=process_topic(process_id),
            kind="handin",
            label=label,
            payload=state,
            process_id=process_id,
            wants_file=spec.kind is HandinKind.ATTACHMENT,
            offers=offers,
        )

    # --- typed answers ---------------------------------------------------------------------------

    async def note(
        self, chat: Chat, user: User, prompt: Prompt, text: str, file: FileRef | None
    ) -> None:
        if file is not None and not text:
            await self.r.say_text(chat, step_words.NOTE_AS_TEXT)
            return
        run, choice = int(prompt.payload["run"]), str(prompt.payload["choice"])
        outcome = await self.workflow.act(
            user.id, run, choice, note=text, then=self._answered(user)
        )
        await self.after(chat, user, run, choice, outcome, pressed=False)

    async def handin(
        self, chat: Chat, user: User, prompt: Prompt, text: str, file: FileRef | None
    ) -> None:
        state = prompt.payload
        spec = HandinSpec(kind=HandinKind(state["kind"]), label=str(state["spec"]))
        given = [handin_of(h) for h in state.get("handins", []) if h["label"] != spec.label]
        if spec.kind is HandinKind.ATTACHMENT:
            # Only a file answers a file: a text gets the engine's "send a file" message.
            kept = ""
            if file is not None:
                async with self.r.db.transaction() as tx:
                    kept = await files.keep(tx, chat.channel, file, self.r.clock.now())
            value = Handin(
                spec.kind,
                spec.label,
                kept,
                file.name if file else None,
                file.mime_type if file else None,
            )
        else:
            value = Handin(spec.kind, spec.label, "" if file is not None else text)
        given.append(value)
        run, choice = int(state["run"]), str(state["choice"])
        outcome = await self.workflow.act(
            user.id, run, choice, handins=given, then=self._answered(user)
        )
        keep = [
            h
            for h in given
            if not (isinstance(outcome, NeedsInput) and h.matches(outcome.ask.spec))
        ]
        await self.after(chat, user, run, choice, outcome, pressed=False, handins=keep)
