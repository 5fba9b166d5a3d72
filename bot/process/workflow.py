"""Running processes: the edge between the pure engine and storage.

Every change happens in one write transaction: the process's state, its step runs, hand-ins, the
audit events and every message the change causes (into the outbox). So a committed step is never
forgotten and a message that was due is never lost; the sender delivers the outbox afterwards.
The decisions themselves (who may act, where a negative answer goes) are the engine's.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.chat import notify
from bot.chat.messages import OutMessage
from bot.clock import Clock
from bot.office.access import Access
from bot.office.settings import ReminderSettings, reminders_of, settings_of
from bot.process.instances import Context, Instances
from bot.process.reminders import first_alert, plan_for
from bot.process.step_messages import StepMessages
from bot.words import steps as texts
from bot.words.notices import no_group_for_announcement
from sop import engine
from sop.engine import (
    Action,
    ActionRejected,
    Announce,
    AskInput,
    AskNote,
    NotifyPerson,
    ProcessCancelled,
    ProcessFinished,
    ProcessState,
    ProgressEvent,
    RejectReason,
    SetDeadline,
    Status,
    StepClosed,
    StepOpened,
    Transition,
)
from sop.handins import Handin, parse_nomor
from sop.loader import Catalog
from sop.models import HandinKind
from storage.base import Conflict
from storage.db import Database, Tx
from storage.offices import Office, User
from storage.processes import StepRun

log = logging.getLogger(__name__)


# --- Outcomes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Done:
    process_id: int
    label: str  # what was done, for the press's answer
    finished: bool = False


@dataclass(frozen=True)
class NeedsNote:
    ask: AskNote
    process_id: int
    to: str = ""  # who gets the note: the role of the step it sends the process back to
    title: str = ""  # the process's title, for the prompt


@dataclass(frozen=True)
class NeedsInput:
    ask: AskInput
    process_id: int | None
    suggestion: str | None = None  # the next free agenda number, when a nomor is asked
    title: str = ""  # the process's title, for the prompt (none yet when starting one)


@dataclass(frozen=True)
class Refused:
    text: str
    reason: str


Outcome = Done | NeedsNote | NeedsInput | Refused


class Workflow:
    def __init__(
        self,
        db: Database,
        instances: Instances,
        clock: Clock,
        *,
        reminder_defaults: ReminderSettings | None = None,
        group_channels: Sequence[str] = (),
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.instances = instances
        # The channels whose office groups hear the announcements (those that have groups).
        self.group_channels = tuple(group_channels)
        self.catalog = instances.catalog
        self.steps = StepMessages(instances)
        self.clock = clock
        self.reminder_defaults = reminder_defaults
        self.on_commit = on_commit

    @classmethod
    def of_catalog(
        cls,
        db: Database,
        catalog: Catalog,
        clock: Clock,
        *,
        always_open: bool = False,
        **options: Any,
    ) -> Workflow:
        """A workflow over a catalogue alone (the CLI, benchmarks and tests); ``bot.app`` wires
        the full one."""
        instances = Instances(catalog, Access(catalog), always_open=always_open)
        return cls(db, instances, clock, **options)

    # --- starting --------------------------------------------------------------------------------

    async def start(
        self,
        user_id: int,
        office_id: int,
        code: str,
        title: str,
        handins: Sequence[Handin] = (),
    ) -> Outcome:
        now = self.clock.now()
        title = " ".join(title.split())
        async with self.db.transaction() as tx:
            user = await tx.offices.user(user_id)
            office = await tx.offices.get(office_id)
            defn = self.catalog.get(code)
            if user is None or not user.active or office is None:
                return Refused(texts.NOT_REGISTERED, "unknown")
            if defn is None or code not in await tx.offices.sops(office.id):
                return Refused(texts.SOP_NOT_RUN_HERE, "unknown_sop")
            actor = await self.instances.actor(tx, user, office, now)
            calendar = self.instances.calendar(office)
            try:
                t = engine.start(defn, actor, title, now, calendar, handins)
            except ActionRejected as err:
                return Refused(texts.REJECTED[err.reason], err.reason.value)
            if not t.changed:
                ask = t.effects[0]
                assert isinstance(ask, AskInput)  # noqa: S101 - start only asks for hand-ins
                return NeedsInput(ask, None)
            await tx.processes.keep_version(defn.version, defn.code, defn.canonical_json(), now)
            first = t.state.current_step
            assert first is not None  # noqa: S101 - a started process is running
            process_id = await tx.processes.create(
                office_id=office.id,
                sop_code=defn.code,
                sop_version=defn.version,
                title=title,
                started_by=user.id,
                current_step=first,
                visit=t.state.visit,
                started_at=now,
            )
            for h in handins:
                await self._store_handin(tx, process_id, None, h, user.id, now)
            process = await tx.processes.get(process_id)
            assert process is not None  # noqa: S101
            ctx = Context(process, office, defn, calendar)
            await ctx.record(
                tx,
                "process_started",
                now,
                by=user.id,
                sop=defn.code,
                version=defn.version,
                title=title,
                handins=[h.label for h in handins],
            )
            await self._carry_out(tx, ctx, t, user, now)
        self.on_commit()
        return Done(process_id, texts.STARTED_LABEL)

    # --- acting on a step ------------------------------------------------------------------------

    async def act(
        self,
        user_id: int,
        step_run_id: int,
        choice: str,
        *,
        note: str | None = None,
        handins: Sequence[Handin] = (),
        then: Callable[[Tx, Done], Awaitable[object]] | None = None,
    ) -> Outcome:
        """A person's answer on a step run (a button, with its note and hand-ins). ``then`` runs
        in the same transaction once the answer is taken (the caller's own follow-up, such as
        no longer waiting for the person's answer on the process)."""
        now = self.clock.now()
        try:
            async with self.db.transaction() as tx:
                outcome = await self._act(tx, user_id, step_run_id, choice, note, handins, now)
                if not isinstance(outcome, Done):
                    return outcome
                if then is not None:
                    await then(tx, outcome)
        except Conflict:
            return Refused(texts.ALREADY_DONE, "conflict")
        self.on_commit()
        return outcome

    async def _act(
        self,
        tx: Tx,
        user_id: int,
        step_run_id: int,
        choice: str,
        note: str | None,
        handins: Sequence[Handin],
        now: datetime,
    ) -> Outcome:
        run = await tx.processes.step_run(step_run_id)
        user = await tx.offices.user(user_id)
        if run is None:
            return Refused(texts.INVALID_BUTTON, "unknown")
        if user is None or not user.active:
            return Refused(texts.NOT_REGISTERED, "unknown_user")
        if not run.is_open:
            return Refused(texts.ALREADY_DONE, "stale")
        ctx = await self.instances.context(tx, run.process_id)
        if ctx is None:
            return Refused(texts.INVALID_BUTTON, "unknown")
        actor = await self.instances.actor(tx, user, ctx.office, now)
        handins = list(handins)
        refused = await self._nomor_refused(tx, ctx, run, handins)
        if refused is not None:
            return refused
        action = Action(choice, run.step, run.visit, note=note, handins=tuple(handins))
        try:
            t = engine.apply(ctx.defn, ctx.state(), actor, action, now, ctx.calendar)
        except ActionRejected as err:
            role = ctx.defn.step(run.step).pelaksana
            text = texts.REJECTED[err.reason].format(role=self.catalog.roles.label(role))
            reason = (
                "stale"
                if err.reason in (RejectReason.STALE, RejectReason.NOT_RUNNING)
                else err.reason.value
            )
            return Refused(text, reason)
        if not t.changed:
            return await self._ask(tx, ctx, t)
        await self._carry_out(tx, ctx, t, user, now)
        closed = t.of(StepClosed)[0]
        assert isinstance(closed, StepClosed)  # noqa: S101
        return Done(ctx.process.id, closed.choice.label, finished=bool(t.of(ProcessFinished)))

    async def _ask(self, tx: Tx, ctx: Context, t: Transition) -> Outcome:
        ask = t.effects[0]
        if isinstance(ask, AskNote):
            to = ""
            if ask.step is not None and ask.choice.id != "batal":
                target = ctx.defn.target(ctx.defn.step(ask.step), ask.choice)
                if target is not None:
                    to = self.catalog.roles.label(ctx.defn.step(target).pelaksana)
            return NeedsNote(ask, ctx.process.id, to, ctx.process.title)
        assert isinstance(ask, AskInput)  # noqa: S101 - the engine only asks for notes and inputs
        suggestion = None
        if ask.spec.kind is HandinKind.NOMOR:
            suggestion = await self.next_nomor(tx, ctx.office, self.clock.now())
            if ask.problem:
                # The engine knows no office: the example is this office's own next number.
                ask = replace(ask, problem=texts.nomor_format(suggestion))
        return NeedsInput(ask, ctx.process.id, suggestion, ctx.process.title)

    async def next_nomor(self, tx: Tx, office: Office, now: datetime) -> str:
        year = self.instances.calendar(office).local_date(now).year
        seq = await tx.processes.next_agenda_seq(office.id, year)
        return settings_of(office).agenda_number(seq, year)

    async def _nomor_refused(
        self, tx: Tx, ctx: Context, run: StepRun, handins: list[Handin]
    ) -> Outcome | None:
        """A nomor the office's agenda book cannot take is refused before the step completes,
        with the reason and the next free number: one of another year than the book's (the
        office's current year), or one already used."""
        now = self.clock.now()
        year = self.instances.calendar(ctx.office).local_date(now).year
        step = ctx.defn.step(run.step)
        for spec in step.handin:
            if spec.kind is not HandinKind.NOMOR:
                continue
            given = next((h for h in handins if h.matches(spec)), None)
            parsed = parse_nomor(given.value) if given else None
            if parsed is None:
                continue
            if parsed.year != year:
                problem = texts.nomor_wrong_year(parsed.text, parsed.year, year)
            else:
                owner = await tx.processes.agenda_owner(ctx.office.id, parsed.year, parsed.seq)
                if owner is None:
                    continue
                problem = texts.nomor_taken(parsed.seq, parsed.year, owner)
            free = await self.next_nomor(tx, ctx.office, now)
            return NeedsInput(
                AskInput(run.step, spec, problem), ctx.process.id, free, ctx.process.title
            )
        return None

    # --- cancelling ------------------------------------------------------------------------------

    async def cancel(self, user_id: int, process_id: int, reason: str | None) -> Outcome:
        now = self.clock.now()
        try:
            async with self.db.transaction() as tx:
                user = await tx.offices.user(user_id)
                ctx = await self.instances.context(tx, process_id)
                if user is None or not user.active:
                    return Refused(texts.NOT_REGISTERED, "unknown_user")
                if ctx is None or not await self.instances.access.may_view(tx, user, ctx.office.id):
                    # Another office's process looks exactly like one that does not exist.
                    return Refused(texts.process_unknown(process_id), "unknown")
                actor = await self.instances.actor(tx, user, ctx.office, now)
                try:
                    t = engine.apply(
                        ctx.defn,
                        ctx.state(),
                        actor,
                        Action("batal", note=reason),
                        now,
                        ctx.calendar,
                    )
                except ActionRejected as err:
                    if err.reason is RejectReason.NOT_RUNNING:
                        return Refused(texts.process_ended(process_id), "stale")
                    return Refused(texts.REJECTED[err.reason], err.reason.value)
                if not t.changed:
                    return await self._ask(tx, ctx, t)
                await self._carry_out(tx, ctx, t, user, now)
        except Conflict:
            return Refused(texts.ALREADY_DONE, "conflict")
        self.on_commit()
        return Done(process_id, texts.CANCELLED_LABEL, finished=True)

    # --- carrying out the engine's effects -------------------------------------------------------

    async def _carry_out(
        self, tx: Tx, ctx: Context, t: Transition, user: User, now: datetime
    ) -> None:
        process = ctx.process
        new = t.state
        ended = new.status is not Status.RUNNING
        if process.status == "running" and (new.status.value, new.current_step, new.visit) != (
            process.status,
            process.current_step,
            process.visit,
        ):
            end_note = next((e.reason for e in t.effects if isinstance(e, ProcessCancelled)), None)
            await tx.processes.update_state(
                process,
                status=new.status.value,
                current_step=new.current_step,
                visit=new.visit,
                ended_at=now if ended else None,
                end_note=end_note,
            )
        deadlines = {e.visit: e for e in t.effects if isinstance(e, SetDeadline)}
        ending = False
        for effect in t.effects:
            match effect:
                case StepClosed():
                    await self._close(tx, ctx, effect, user, now)
                case StepOpened():
                    await self._open(tx, ctx, effect, deadlines.get(effect.visit), now)
                case NotifyPerson():
                    await self._progress(tx, ctx, effect, new, now)
                case Announce():
                    await self._announce(tx, ctx, effect, user, now)
                case ProcessFinished():
                    ending = True
                    await ctx.record(tx, "process_finished", now, by=user.id)
                case ProcessCancelled():
                    ending = True
                    await ctx.record(tx, "process_cancelled", now, by=user.id, reason=effect.reason)
                case _:
                    pass  # deadlines travel with the step runs; asks never come with a change
        if ending:
            # Last: the starter reads that the process ended, then gets its record.
            await self._send_archive(tx, ctx, now)

    async def _send_archive(self, tx: Tx, ctx: Context, now: datetime) -> None:
        """The SOPs ask for a hardcopy and a softcopy: the starter gets the archive record (PDF),
        made when it is sent, so it holds the process's final state and audit hash."""
        starter = await tx.offices.user(ctx.process.started_by)
        if starter is None:
            return
        text = texts.archive_caption(ctx.process, final=True)
        # "archive": the sender's generator of archive records (bot.documents.files).
        message = OutMessage(text, generate={"kind": "archive", "process": ctx.process.id})
        await notify.to_user(tx, starter, message, now)

    async def _close(
        self, tx: Tx, ctx: Context, effect: StepClosed, user: User, now: datetime
    ) -> None:
        run = await tx.processes.step_run_at(ctx.process.id, effect.visit)
        if run is None:
            raise Conflict(f"process {ctx.process.id} has no visit {effect.visit}")
        await tx.processes.close_step_run(
            run.id, done_at=now, done_by=effect.by, outcome=effect.choice.id, note=effect.note
        )
        for h in effect.handins:
            await self._store_handin(tx, ctx.process.id, run.id, h, effect.by, now)
            if h.kind is HandinKind.NOMOR and (parsed := parse_nomor(h.value)) is not None:
                await tx.processes.take_agenda_number(
                    ctx.office.id, parsed.year, parsed.seq, parsed.text, ctx.process.id, now
                )
        await ctx.record(
            tx,
            "step_closed",
            now,
            by=effect.by,
            step=effect.step,
            visit=effect.visit,
            choice=effect.choice.id,
            label=effect.choice.label,
            note=effect.note,
            handins=[
                {"kind": h.kind.value, "label": h.label, "value": h.value, "file_name": h.file_name}
                for h in effect.handins
            ],
        )
        outcome = texts.outcome_line(
            effect.choice, user.name, now, ctx.calendar, effect.note, ctx.process.id
        )
        for item in await tx.outbox.for_step_run(run.id):
            original = OutMessage.from_payload(item.payload)
            await notify.edit(tx, item, texts.closed_step_message(original, outcome), now)

    async def _store_handin(
        self, tx: Tx, process_id: int, run_id: int | None, h: Handin, by: int, now: datetime
    ) -> int:
        return await tx.processes.add_handin(
            process_id=process_id,
            step_run_id=run_id,
            kind=h.kind.value,
            label=h.label,
            value=h.value,
            file_name=h.file_name,
            mime_type=h.mime_type,
            created_by=by,
            created_at=now,
        )

    async def _open(
        self, tx: Tx, ctx: Context, effect: StepOpened, deadline: SetDeadline | None, now: datetime
    ) -> None:
        step = ctx.defn.step(effect.step)
        due = deadline.due_at if deadline else None
        plan = plan_for(step, reminders_of(ctx.office, self.reminder_defaults), ctx.calendar)
        run_id = await tx.processes.open_step_run(
            process_id=ctx.process.id,
            step=effect.step,
            visit=effect.visit,
            role=effect.role,
            started_at=now,
            due_at=due,
            next_alert_at=first_alert(now, due, plan, ctx.calendar),
            returned_from=effect.returned_from,
            return_note=effect.note.text if effect.note else None,
            return_by=effect.note.by if effect.note else None,
        )
        await ctx.record(
            tx,
            "step_opened",
            now,
            step=effect.step,
            visit=effect.visit,
            role=effect.role,
            due_at=due.isoformat() if due else None,
            returned_from=effect.returned_from,
        )
        run = await tx.processes.step_run(run_id)
        assert run is not None  # noqa: S101
        await self.steps.send(tx, ctx, run, now)

    async def _progress(
        self, tx: Tx, ctx: Context, effect: NotifyPerson, new: ProcessState, now: datetime
    ) -> None:
        starter = await tx.offices.user(effect.user_id)
        by = await tx.offices.user(effect.by)
        if starter is None:
            return
        if effect.event is ProgressEvent.STEP_DONE and new.current_step is not None:
            # The starter who holds the next step gets that step's message, which says what was
            # just done ("Sebelumnya"): one message, not two.
            role = ctx.defn.step(new.current_step).pelaksana
            day = ctx.calendar.local_date(now)
            if starter.id in {u.id for u in await tx.offices.recipients(ctx.office.id, role, day)}:
                return
        closed = await tx.processes.step_run_at(ctx.process.id, ctx.process.visit)
        message = texts.progress_message(
            effect.event.value,
            ctx.process,
            ctx.defn,
            self.catalog.roles,
            step=effect.step,
            choice=effect.choice,
            by=by.name if by else "—",
            now_step=new.current_step,
            note=closed.note if closed else None,
        )
        await notify.to_user(tx, starter, message, now)

    async def _announce(
        self, tx: Tx, ctx: Context, effect: Announce, user: User, now: datetime
    ) -> None:
        step = ctx.defn.step(effect.step)
        run = await tx.processes.step_run_at(ctx.process.id, ctx.process.visit)
        stored = [
            h for h in await tx.processes.handins(ctx.process.id) if run and h.step_run_id == run.id
        ]
        message = texts.announcement(
            ctx.process,
            ctx.defn,
            step,
            user.name,
            self.catalog.roles.label(step.pelaksana),
            stored,
            now,
            ctx.calendar,
        )
        linked = [c for c in self.group_channels if ctx.office.group(c) is not None]
        for channel in self.group_channels:
            await notify.to_group(tx, ctx.office, channel, message, now)
        told = await self._announce_in_person(tx, ctx, message, user, now)
        await notify.to_user(tx, user, texts.share_announcement(message, effect.step), now)
        await ctx.record(
            tx,
            "announced",
            now,
            by=user.id,
            step=effect.step,
            group_linked=bool(linked),
            people=told,
        )
        if self.group_channels and not linked:
            await notify.to_admins(
                tx,
                no_group_for_announcement(ctx.office, ctx.process),
                now,
                offices=[ctx.office.id],
            )

    async def _announce_in_person(
        self, tx: Tx, ctx: Context, message: OutMessage, uploader: User, now: datetime
    ) -> list[int]:
        """The office's people reached on a channel without office groups (WhatsApp, whose
        groups the bot cannot post into) hear the announcement one to one: those holding the
        roles the office names (``announce_roles``), by default everyone; the uploader gets the
        button to share it instead."""
        roles = settings_of(ctx.office).announce_roles
        told = []
        for person, holdings in await tx.offices.people(ctx.office.id):
            if person.id == uploader.id:
                continue
            address = notify.address_of(person)
            if address is None or address.channel in self.group_channels:
                continue
            if roles is not None and not any(h.role in roles for h in holdings):
                continue
            key = f"announce:{ctx.process.id}:{ctx.process.visit}:{person.id}"
            if await notify.to_user(tx, person, message, now, dedupe_key=key) is not None:
                told.append(person.id)
        return told
