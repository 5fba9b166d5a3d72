"""Reading and cancelling processes: /proses, /riwayat N (the timeline, then the flowchart with
its progress and a button for the archive record), and /batal N with its reason."""

from __future__ import annotations

from typing import Any

from bot.chat.events import Answer, Chat, Command, FileRef
from bot.chat.messages import MAX_TEXT, OutMessage, Rich, fit
from bot.chat.replies import Flow, Replies, Spot, process_topic, refused
from bot.documents.files import ARCHIVE_FILE, DIAGRAM
from bot.office.access import Access
from bot.process.instances import Context, Instances
from bot.process.workflow import Done, NeedsNote, Refused, Workflow
from bot.words import chat as words
from bot.words import steps as step_words
from bot.words import timeline as timeline_words
from bot.words.format import format_local
from storage.conversation import Prompt
from storage.offices import User

MAX_DIGITS = 18  # a process number is a SQLite integer: below 2**63


def process_number(args: str) -> int | None:
    """The process number a command names ("12", "#12", digits of any script such as "١٢");
    None for anything else (a word, a sign, "²"). A number longer than any process's is 0, which
    no process has: it is answered "not found", like any other unknown number."""
    number = args.strip().removeprefix("#").strip()
    if not number.isdecimal():
        return None
    return int(number) if len(number) <= MAX_DIGITS else 0


class ProcessFlow(Flow):
    def __init__(
        self, replies: Replies, workflow: Workflow, instances: Instances, access: Access
    ) -> None:
        super().__init__()
        self.r = replies
        self.workflow = workflow
        self.instances = instances
        self.access = access
        self.roles = instances.catalog.roles
        self.menus = {"arsip": self.archive, "riwayat_lama": self.older}
        self.inputs = {"cancel": self.cancel_reason}

    # --- /proses ---------------------------------------------------------------------------------

    async def running(self, ev: Command, user: User) -> None:
        now = self.r.clock.now()
        async with self.r.db.read() as tx:
            offices = await self.access.offices_seen(tx, user)
            text = Rich()
            for office in offices:
                processes = await tx.processes.list_for_office(office.id, "running", limit=30)
                text.extend(words.running_head(office, len(processes)))
                for process in processes:
                    ctx = await self.instances.context(tx, process.id)
                    run = await tx.processes.current_run(process)
                    if ctx is None or run is None:
                        continue
                    holders = await tx.offices.recipients(
                        office.id, run.role, ctx.calendar.local_date(now)
                    )
                    delivery = await tx.outbox.delivery_statuses(run.id)
                    text.extend(
                        words.running_line(
                            process,
                            ctx.defn.index(run.step),
                            len(ctx.defn.steps),
                            ctx.defn.step(run.step).kegiatan,
                            self.roles.label(run.role),
                            [words.holder_name(u.name, delivery.get(u.id)) for u in holders],
                            format_local(run.started_at, ctx.calendar),
                            late=run.due_at is not None and run.due_at < now,
                            escalated=run.escalated_at is not None,
                        )
                    )
                text.nl()
        if not offices:
            text.add(words.NO_OFFICE)
        await self.r.say(ev.chat, OutMessage(fit(text)))

    # --- /riwayat N ------------------------------------------------------------------------------

    async def history(self, ev: Command, user: User) -> None:
        number = process_number(ev.args)
        if number is None:
            await self.r.say_text(ev.chat, words.ask_number("riwayat"))
            return
        async with self.r.db.read() as tx:
            ctx = await self.instances.context(tx, number)
            visible = ctx is not None and await self.access.may_view(tx, user, ctx.office.id)
        if ctx is None or not visible:
            await self.r.say_text(ev.chat, words.process_not_found(str(number)))
            return
        await self._timeline_page(ev.chat, user, ctx, 0)
        await self._flowchart(ev.chat, user, ctx)

    async def _timeline_page(self, chat: Chat, user: User, ctx: Context, page: int) -> bool:
        """One page of a process's timeline (0: the newest, with its state), with a button to
        the older events when there are more. False when there is no such page."""
        async with self.r.db.read() as tx:
            events = await tx.audit.for_process(ctx.process.id)
            run = await tx.processes.current_run(ctx.process)
            delivery = await tx.outbox.delivery_statuses(run.id) if run else {}
            names = await self.instances.names(
                tx, {e.actor_user_id for e in events} | set(delivery)
            )
        pages = timeline_words.timeline_pages(
            ctx.process,
            ctx.defn,
            self.roles,
            ctx.calendar,
            events,
            names,
            delivery,
            limit=min(self.r.limits(chat).text_length, MAX_TEXT),
        )
        if page >= len(pages):
            return False
        buttons = []
        if page + 1 < len(pages):
            older = {"a": "riwayat_lama", "process": ctx.process.id, "page": page + 1}
            buttons = [[await self.r.menu_button(chat, user, timeline_words.OLDER_BUTTON, older)]]
        await self.r.say(chat, OutMessage(pages[page], buttons))
        return True

    async def older(self, at: Spot, user: User, p: dict[str, Any]) -> Answer:
        """ "Lebih lama" under a timeline: its next, older page."""
        process_id, page = p.get("process"), p.get("page")
        if not isinstance(process_id, int) or not isinstance(page, int):
            return refused(step_words.INVALID_BUTTON)
        async with self.r.db.read() as tx:
            ctx = await self.instances.context(tx, process_id)
            visible = ctx is not None and await self.access.may_view(tx, user, ctx.office.id)
        if ctx is None or not visible:
            return refused(words.process_not_found(str(process_id)))
        if not await self._timeline_page(at.chat, user, ctx, page):
            return refused(timeline_words.NO_OLDER)
        return Answer()

    async def _flowchart(self, chat: Chat, user: User, ctx: Context) -> None:
        """After the timeline: the process's flowchart, its progress marked, with a button for the
        archive record. The caller has checked that the person may view the process."""
        process = ctx.process
        button = await self.r.menu_button(
            chat, user, timeline_words.ARCHIVE_BUTTON, {"a": "arsip", "process": process.id}
        )
        text = timeline_words.flowchart_caption(process, ctx.defn)
        message = OutMessage(text, [[button]], generate={"kind": DIAGRAM, "process": process.id})
        await self.r.say(chat, message)

    async def archive(self, at: Spot, user: User, p: dict[str, Any]) -> Answer:
        process_id = p.get("process")
        if not isinstance(process_id, int):
            return refused(step_words.INVALID_BUTTON)
        async with self.r.db.read() as tx:
            process = await tx.processes.get(process_id)
            visible = process is not None and await self.access.may_view(
                tx, user, process.office_id
            )
        if process is None or not visible:
            return refused(timeline_words.ARCHIVE_FOR_OFFICE)
        text = step_words.archive_caption(process, final=False)
        spec = {"kind": ARCHIVE_FILE, "process": process.id}
        await self.r.say(at.chat, OutMessage(text, generate=spec))
        return Answer(timeline_words.ARCHIVE_MADE)

    # --- /batal ----------------------------------------------------------------------------------

    async def cancel(self, ev: Command, user: User) -> None:
        if not ev.args.strip():
            dropped = await self.r.drop_all(user)
            if dropped:
                await self.r.say_text(ev.chat, words.undone([p.label for p in dropped]))
            else:
                await self.r.say_text(ev.chat, words.NOTHING_TO_UNDO)
            return
        number = process_number(ev.args)
        if number is None:
            await self.r.say_text(ev.chat, words.ask_number("batal"))
            return
        outcome = await self.workflow.cancel(user.id, number, None)
        if isinstance(outcome, NeedsNote):
            choice = outcome.ask.choice
            await self.r.ask(
                ev.chat,
                user,
                step_words.note_prompt(choice, None, "", number, outcome.title),
                topic=process_topic(number),
                kind="cancel",
                label=step_words.note_label(choice, None, number, outcome.title),
                payload={},
                process_id=number,
            )
            return
        if isinstance(outcome, Refused):
            await self.r.say_text(ev.chat, outcome.text)

    async def cancel_reason(
        self, chat: Chat, user: User, prompt: Prompt, text: str, file: FileRef | None
    ) -> None:
        if not text.strip():
            await self.r.say_text(chat, words.CANCEL_REASON_AS_TEXT)
            return
        assert prompt.process_id is not None  # noqa: S101 - asked about a process
        outcome = await self.workflow.cancel(user.id, prompt.process_id, text)
        await self.r.done(user, prompt.topic)
        if isinstance(outcome, Done):
            await self.r.say_text(chat, words.cancelled(prompt.process_id))
        elif isinstance(outcome, Refused):
            await self.r.say_text(chat, outcome.text)
