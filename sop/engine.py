"""The workflow engine: pure, with no I/O and no clock of its own.

From a definition, a process's state, an action by an actor and the time, ``apply`` returns the new
state and the effects the rest of the bot carries out (notify a role or a person, ask for a note or
an input, announce to the office group, set or clear a deadline, the process finished). Effects
speak of roles, people, steps and choices, never of a chat channel, so Telegram and WhatsApp render
the same ones.

Deny by default: an action that is not among ``available_actions`` for that actor is rejected with
an ``ActionRejected`` that says why. Where a step is approved, returned or completed: here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from sop.durations import Duration
from sop.handins import Handin, normalized, problem
from sop.models import Choice, HandinSpec, SopDefinition, Step

CANCEL = Choice(id="batal", label="Batalkan proses", positive=False)
MAX_TITLE = 200


class Status(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class WorkTime(Protocol):
    """Deadline arithmetic in an office's working time (see ``bot.office.calendar``)."""

    def add(self, start: datetime, duration: Duration) -> datetime: ...


class PlainTime:
    """Every hour a working hour, a ``hari`` 24 hours: for tests and 24/7 offices."""

    def add(self, start: datetime, duration: Duration) -> datetime:
        return start + timedelta(days=duration.days, minutes=duration.minutes)


@dataclass(frozen=True)
class ProcessState:
    """What the engine needs to know of a process.

    ``visit`` counts the steps entered so far; it names the current step run, so a button from an
    earlier visit of the same step (after a return) is told apart from the current one.
    """

    status: Status
    current_step: int | None
    visit: int
    started_by: int
    step_started_at: datetime | None

    def __post_init__(self) -> None:
        running = self.status is Status.RUNNING
        if running != (self.current_step is not None):
            raise ValueError("a running process has exactly one current step; an ended one none")


@dataclass(frozen=True)
class Actor:
    """Someone acting on a process: their user id and the roles they hold (or stand in for) in the
    process's office at the time of the action."""

    user_id: int
    roles: frozenset[str]
    is_admin: bool = False


@dataclass(frozen=True)
class Action:
    """A choice made on the step run named by (step, visit), with its note and hand-ins."""

    choice: str
    step: int | None = None
    visit: int | None = None
    note: str | None = None
    handins: tuple[Handin, ...] = ()


class RejectReason(StrEnum):
    NOT_RUNNING = "not_running"  # the process has finished or was cancelled
    STALE = "stale"  # the step run the action names is no longer the current one
    NOT_YOUR_STEP = "not_your_step"  # the actor does not hold the step's role
    UNKNOWN_CHOICE = "unknown_choice"  # the step has no such choice
    NOT_ALLOWED = "not_allowed"  # cancelling by someone other than the starter or an admin
    NOT_STARTER = "not_starter"  # starting an SOP without one of its starter roles
    BAD_TITLE = "bad_title"


class ActionRejected(Exception):
    """An action the engine does not allow, with the reason."""

    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# --- Effects -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Note:
    text: str
    by: int
    step: int


@dataclass(frozen=True)
class StepOpened:
    """A step run begins: its role's holders get the step. ``note`` is set when a negative answer
    sent the process back here; ``returned_from`` names the step that sent it."""

    step: int
    visit: int
    role: str
    note: Note | None = None
    returned_from: int | None = None


@dataclass(frozen=True)
class StepClosed:
    """A step run ended with a choice (``batal`` when the process was cancelled under it)."""

    step: int
    visit: int
    choice: Choice
    by: int
    note: str | None
    handins: tuple[Handin, ...]


class ProgressEvent(StrEnum):
    STEP_DONE = "step_done"
    RETURNED = "returned"
    FINISHED = "finished"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class NotifyPerson:
    """Tell a person (the starter) how the process goes."""

    user_id: int
    event: ProgressEvent
    step: int | None
    choice: Choice | None
    by: int


@dataclass(frozen=True)
class AskNote:
    """A negative answer (or a cancellation) needs a note before it is taken."""

    step: int | None
    choice: Choice


@dataclass(frozen=True)
class AskInput:
    """The step needs a hand-in before it completes.

    ``problem`` says why a hand-in that was given was refused."""

    step: int | None
    spec: HandinSpec
    problem: str | None = None


@dataclass(frozen=True)
class Announce:
    """The step's result goes to the office group."""

    step: int
    handins: tuple[Handin, ...]
    by: int


@dataclass(frozen=True)
class SetDeadline:
    step: int
    visit: int
    started_at: datetime
    due_at: datetime | None  # None when the SOP states no waktu for the step
    baku_mutu: Duration | None


@dataclass(frozen=True)
class ClearDeadline:
    step: int
    visit: int


@dataclass(frozen=True)
class ProcessFinished:
    by: int


@dataclass(frozen=True)
class ProcessCancelled:
    by: int
    reason: str


Effect = (
    StepOpened
    | StepClosed
    | NotifyPerson
    | AskNote
    | AskInput
    | Announce
    | SetDeadline
    | ClearDeadline
    | ProcessFinished
    | ProcessCancelled
)


@dataclass(frozen=True)
class Transition:
    """The engine's answer. ``changed`` is False when it only asks for more (a note, a hand-in)."""

    state: ProcessState
    effects: tuple[Effect, ...]
    changed: bool

    def of(self, kind: type[Effect]) -> list[Effect]:
        return [e for e in self.effects if isinstance(e, kind)]


# --- Queries -------------------------------------------------------------------------------------


def can_start(defn: SopDefinition, actor: Actor) -> bool:
    return bool(actor.roles & set(defn.starters))


def available_actions(defn: SopDefinition, state: ProcessState, actor: Actor) -> tuple[Choice, ...]:
    """Every choice this actor may make on the process now: the current step's buttons when the
    actor holds its role, and cancelling when the actor started the process or is an admin."""
    if state.status is not Status.RUNNING or state.current_step is None:
        return ()
    step = defn.step(state.current_step)
    options: list[Choice] = []
    if step.pelaksana in actor.roles:
        options.extend(step.effective_choices)
    if actor.user_id == state.started_by or actor.is_admin:
        options.append(CANCEL)
    return tuple(options)


def current_step(defn: SopDefinition, state: ProcessState) -> Step | None:
    return defn.step(state.current_step) if state.current_step is not None else None


# --- Transitions ---------------------------------------------------------------------------------


def _open(
    defn: SopDefinition,
    number: int,
    visit: int,
    now: datetime,
    worktime: WorkTime,
    *,
    note: Note | None = None,
    returned_from: int | None = None,
) -> tuple[Effect, Effect]:
    step = defn.step(number)
    due = worktime.add(now, step.waktu) if step.waktu is not None else None
    return (
        StepOpened(
            step=number, visit=visit, role=step.pelaksana, note=note, returned_from=returned_from
        ),
        SetDeadline(step=number, visit=visit, started_at=now, due_at=due, baku_mutu=step.waktu),
    )


def _missing_handin(
    specs: Sequence[HandinSpec], given: Sequence[Handin], step: int | None
) -> AskInput | None:
    for spec in specs:
        found = next((h for h in given if h.matches(spec)), None)
        if found is None:
            if spec.optional:
                continue
            return AskInput(step=step, spec=spec)
        why = problem(found)
        if why is not None:
            return AskInput(step=step, spec=spec, problem=why)
    return None


def _accepted_handins(specs: Sequence[HandinSpec], given: Sequence[Handin]) -> tuple[Handin, ...]:
    """The hand-ins that answer a spec, in the spec's order, trimmed; anything else is dropped."""
    kept: list[Handin] = []
    for spec in specs:
        kept.extend(normalized(h) for h in given if h.matches(spec))
    return tuple(kept)


def start(
    defn: SopDefinition,
    actor: Actor,
    title: str,
    now: datetime,
    worktime: WorkTime | None = None,
    handins: Sequence[Handin] = (),
) -> Transition:
    """Open a process of ``defn`` started by ``actor``."""
    if not can_start(defn, actor):
        raise ActionRejected(
            RejectReason.NOT_STARTER,
            f"starting {defn.code} needs one of the roles {', '.join(defn.starters)}",
        )
    title = " ".join(title.split())
    if not title or len(title) > MAX_TITLE:
        raise ActionRejected(RejectReason.BAD_TITLE, f"a title has 1 to {MAX_TITLE} characters")
    first = defn.first
    state = ProcessState(
        status=Status.RUNNING,
        current_step=first.number,
        visit=1,
        started_by=actor.user_id,
        step_started_at=now,
    )
    ask = _missing_handin(defn.start_handin, handins, None)
    if ask is not None:
        return Transition(state=state, effects=(ask,), changed=False)
    opened = _open(defn, first.number, 1, now, worktime or PlainTime())
    return Transition(state=state, effects=opened, changed=True)


def apply(
    defn: SopDefinition,
    state: ProcessState,
    actor: Actor,
    action: Action,
    now: datetime,
    worktime: WorkTime | None = None,
) -> Transition:
    """Take ``action`` by ``actor`` on a process in ``state`` at ``now``."""
    worktime = worktime or PlainTime()
    if state.status is not Status.RUNNING or state.current_step is None:
        raise ActionRejected(RejectReason.NOT_RUNNING, f"the process is {state.status}")
    if action.choice == CANCEL.id:
        return _cancel(state, actor, action)
    step = defn.step(state.current_step)
    if action.step != state.current_step or action.visit != state.visit:
        raise ActionRejected(
            RejectReason.STALE,
            f"step {action.step} visit {action.visit} is not the current step run "
            f"({state.current_step}, visit {state.visit})",
        )
    choice = step.choice(action.choice)
    if choice is None:
        raise ActionRejected(
            RejectReason.UNKNOWN_CHOICE, f"step {step.number} has no choice {action.choice!r}"
        )
    if choice not in available_actions(defn, state, actor):
        raise ActionRejected(
            RejectReason.NOT_YOUR_STEP, f"step {step.number} is for role {step.pelaksana}"
        )
    note = (action.note or "").strip() or None
    if choice.needs_note and note is None:
        return Transition(
            state=state, effects=(AskNote(step=step.number, choice=choice),), changed=False
        )
    handins: tuple[Handin, ...] = ()
    if choice.positive:
        ask = _missing_handin(step.handin, action.handins, step.number)
        if ask is not None:
            return Transition(state=state, effects=(ask,), changed=False)
        handins = _accepted_handins(step.handin, action.handins)

    effects: list[Effect] = [
        StepClosed(
            step=step.number,
            visit=state.visit,
            choice=choice,
            by=actor.user_id,
            note=note,
            handins=handins,
        ),
        ClearDeadline(step=step.number, visit=state.visit),
    ]
    if choice.positive and step.announce:
        effects.append(Announce(step=step.number, handins=handins, by=actor.user_id))
    target = defn.target(step, choice)
    starter_hears = state.started_by != actor.user_id
    if target is None:
        new_state = replace(state, status=Status.FINISHED, current_step=None, step_started_at=None)
        effects.append(ProcessFinished(by=actor.user_id))
        effects.append(
            NotifyPerson(
                state.started_by, ProgressEvent.FINISHED, step.number, choice, actor.user_id
            )
        )
        return Transition(state=new_state, effects=tuple(effects), changed=True)

    visit = state.visit + 1
    new_state = replace(state, current_step=target, visit=visit, step_started_at=now)
    if choice.positive:
        effects.extend(_open(defn, target, visit, now, worktime))
        event = ProgressEvent.STEP_DONE
    else:
        assert note is not None  # noqa: S101 - guaranteed by needs_note above
        back = Note(text=note, by=actor.user_id, step=step.number)
        effects.extend(
            _open(defn, target, visit, now, worktime, note=back, returned_from=step.number)
        )
        event = ProgressEvent.RETURNED
    if starter_hears:
        effects.append(NotifyPerson(state.started_by, event, step.number, choice, actor.user_id))
    return Transition(state=new_state, effects=tuple(effects), changed=True)


def _cancel(state: ProcessState, actor: Actor, action: Action) -> Transition:
    if not (actor.user_id == state.started_by or actor.is_admin):
        raise ActionRejected(RejectReason.NOT_ALLOWED, "only the starter or an admin may cancel")
    reason = (action.note or "").strip()
    if not reason:
        return Transition(
            state=state, effects=(AskNote(step=state.current_step, choice=CANCEL),), changed=False
        )
    assert state.current_step is not None  # noqa: S101 - a running process has a current step
    effects: list[Effect] = [
        StepClosed(
            step=state.current_step,
            visit=state.visit,
            choice=CANCEL,
            by=actor.user_id,
            note=reason,
            handins=(),
        ),
        ClearDeadline(step=state.current_step, visit=state.visit),
        ProcessCancelled(by=actor.user_id, reason=reason),
    ]
    if state.started_by != actor.user_id:
        effects.append(
            NotifyPerson(
                state.started_by, ProgressEvent.CANCELLED, state.current_step, CANCEL, actor.user_id
            )
        )
    new_state = replace(state, status=Status.CANCELLED, current_step=None, step_started_at=None)
    return Transition(state=new_state, effects=tuple(effects), changed=True)
