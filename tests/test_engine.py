"""The pure engine: every SOP walked end to end, every negative branch, every refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sop import engine
from sop.durations import Duration
from sop.engine import (
    CANCEL,
    Action,
    ActionRejected,
    Actor,
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
)
from sop.handins import Handin
from sop.loader import Catalog, load_catalog
from sop.models import HandinKind, SopDefinition
from tests.sopwalk import SCRIPTS, negative_branches, sample_handin

T0 = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)  # Senin 08.00 WIB
CATALOG: Catalog = load_catalog()
ROLE_KEYS = sorted(CATALOG.roles.roles)


def person(role: str) -> Actor:
    """One person per role; their user id is the role's position + 1."""
    return Actor(user_id=ROLE_KEYS.index(role) + 1, roles=frozenset({role}))


def start(defn: SopDefinition, role: str, now: datetime = T0) -> engine.Transition:
    handins = tuple(sample_handin(spec, 0) for spec in defn.start_handin)
    return engine.start(defn, person(role), "Judul proses uji", now, handins=handins)


def advance(defn: SopDefinition, state: ProcessState, upto: int) -> engine.Transition:
    """Answer every step from the current one to ``upto`` positively (with valid hand-ins);
    returns the last transition."""
    while True:
        number = state.current_step
        assert number is not None
        step = defn.step(number)
        choice = next(c for c in step.effective_choices if c.positive)
        handins = tuple(sample_handin(s, number) for s in step.handin)
        t = engine.apply(
            defn,
            state,
            person(step.pelaksana),
            Action(choice.id, number, state.visit, handins=handins),
            T0,
        )
        assert t.changed, t.effects
        state = t.state
        if number == upto:
            return t


def walk(code: str) -> tuple[ProcessState, list[engine.Effect], list[tuple[int, str]]]:
    """Play a script; return the final state, all effects, and the (step, choice) path taken."""
    script = SCRIPTS[code]
    defn = CATALOG.definitions[code]
    t = start(defn, script.starter_role)
    assert t.changed
    state, effects, path = t.state, list(t.effects), []
    now = T0
    for round_, answer in enumerate(script.answers):
        assert state.current_step == answer.step, f"expected step {answer.step}, at {state}"
        step = defn.step(answer.step)
        handins = tuple(sample_handin(spec, step.number, round_) for spec in step.handin)
        now += timedelta(minutes=5)
        action = Action(answer.choice, step.number, state.visit, note=answer.note, handins=handins)
        t = engine.apply(defn, state, person(step.pelaksana), action, now)
        assert t.changed, t.effects
        state = t.state
        effects.extend(t.effects)
        path.append((answer.step, answer.choice))
    return state, effects, path


@pytest.mark.parametrize("code", sorted(SCRIPTS))
def test_each_sop_walks_to_its_end_taking_every_negative_branch(code: str) -> None:
    defn = CATALOG.definitions[code]
    state, effects, path = walk(code)
    assert state.status is Status.FINISHED
    assert state.current_step is None
    assert negative_branches(defn) <= set(path)
    finished = [e for e in effects if isinstance(e, ProcessFinished)]
    assert len(finished) == 1
    # Every step closed was opened before, and every negative answer reopened its returns_to step
    # carrying the note to that step's role.
    for e in effects:
        if isinstance(e, StepOpened) and e.note is not None:
            assert e.returned_from is not None
            back_from = defn.step(e.returned_from)
            assert e.step == back_from.returns_to
            assert e.role == defn.step(e.step).pelaksana
    closed = [(e.step, e.choice.id) for e in effects if isinstance(e, StepClosed)]
    assert closed == path


@pytest.mark.parametrize(
    ("code", "step"),
    [("jambi-pengunggahan-jdih", 7), ("jambi-konten-medsos", 7), ("kapuas-medsos-jdih", 6)],
)
def test_the_upload_step_announces_its_link(code: str, step: int) -> None:
    _, effects, _ = walk(code)
    announced = [e for e in effects if isinstance(e, Announce)]
    assert [e.step for e in announced] == [step]
    (link,) = [h for h in announced[0].handins if h.kind is HandinKind.LINK]
    assert link.value.startswith("https://jdih.kpu.go.id/")


def test_sop_a_without_announcement_and_its_nomor_is_kept() -> None:
    _, effects, _ = walk("jambi-penurunan-jdih")
    assert not [e for e in effects if isinstance(e, Announce)]
    last = [e for e in effects if isinstance(e, StepClosed)][-1]
    assert last.step == 6
    assert [h.kind for h in last.handins] == [HandinKind.NOMOR]


def test_start_notifies_first_role_and_sets_deadline_from_baku_mutu() -> None:
    defn = CATALOG.definitions["kapuas-medsos-jdih"]
    t = start(defn, "kasubbag_hukum_sdm")
    opened, deadline = t.effects
    assert opened == StepOpened(step=1, visit=1, role="kasubbag_hukum_sdm")
    assert isinstance(deadline, SetDeadline)
    assert deadline.due_at == T0 + timedelta(minutes=10)
    assert deadline.baku_mutu == Duration(minutes=10)


def test_steps_without_waktu_get_no_due_time() -> None:
    defn = CATALOG.definitions["jambi-konten-medsos"]
    t = advance(defn, start(defn, "kabag_teknis_hukum").state, 4)
    (deadline,) = [e for e in t.effects if isinstance(e, SetDeadline)]
    assert deadline.step == 5
    assert deadline.due_at is None
    assert deadline.baku_mutu is None


def test_working_time_is_used_for_deadlines() -> None:
    class Doubling:
        def add(self, start: datetime, duration: Duration) -> datetime:
            return start + timedelta(minutes=2 * duration.minutes)

    defn = CATALOG.definitions["jambi-penurunan-jdih"]
    t = engine.start(defn, person("kabag_teknis_hukum"), "x", T0, Doubling())
    (deadline,) = [e for e in t.effects if isinstance(e, SetDeadline)]
    assert deadline.due_at == T0 + timedelta(minutes=20)


def test_starter_hears_progress_returns_and_the_end_but_not_of_their_own_steps() -> None:
    _, effects, _ = walk("kapuas-medsos-jdih")
    starter = person("kasubbag_hukum_sdm").user_id
    events = [(e.event, e.step) for e in effects if isinstance(e, NotifyPerson)]
    assert all(e.user_id == starter for e in effects if isinstance(e, NotifyPerson))
    # Steps 1 and 5 are the starter's own: no news of them, apart from the end of the process.
    assert (ProgressEvent.STEP_DONE, 1) not in events
    assert (ProgressEvent.STEP_DONE, 2) in events
    assert (ProgressEvent.FINISHED, 6) == events[-1]


def test_returns_carry_the_note_to_the_returned_to_actor() -> None:
    defn = CATALOG.definitions["kapuas-medsos-jdih"]
    state = start(defn, "kasubbag_hukum_sdm").state
    state = advance(defn, state, 4).state
    boss = person("kasubbag_hukum_sdm")
    t = engine.apply(
        defn, state, boss, Action("tidak_setuju", 5, state.visit, note="  Ganti foto.  "), T0
    )
    opened = [e for e in t.effects if isinstance(e, StepOpened)]
    assert opened == [
        StepOpened(
            step=4,
            visit=state.visit + 1,
            role="staf_subbagian",
            note=engine.Note(text="Ganti foto.", by=boss.user_id, step=5),
            returned_from=5,
        )
    ]
    assert t.state.current_step == 4


# --- Refusals and requests for more ---------------------------------------------------------------


@pytest.fixture
def kapuas() -> tuple[SopDefinition, ProcessState]:
    defn = CATALOG.definitions["kapuas-medsos-jdih"]
    return defn, start(defn, "kasubbag_hukum_sdm").state


def test_someone_without_the_role_is_refused(kapuas: tuple[SopDefinition, ProcessState]) -> None:
    defn, state = kapuas
    with pytest.raises(ActionRejected) as err:
        engine.apply(defn, state, person("pengelola_jdih"), Action("selesai", 1, 1), T0)
    assert err.value.reason is RejectReason.NOT_YOUR_STEP


def test_a_stale_or_repeated_press_is_refused(kapuas: tuple[SopDefinition, ProcessState]) -> None:
    defn, state = kapuas
    boss = person("kasubbag_hukum_sdm")
    state = engine.apply(defn, state, boss, Action("selesai", 1, 1), T0).state
    with pytest.raises(ActionRejected) as err:
        engine.apply(defn, state, boss, Action("selesai", 1, 1), T0)
    assert err.value.reason is RejectReason.STALE


def test_an_old_visit_of_the_same_step_is_stale(kapuas: tuple[SopDefinition, ProcessState]) -> None:
    defn, state = kapuas
    state = advance(defn, state, 4).state
    boss, staff = person("kasubbag_hukum_sdm"), person("staf_subbagian")
    old_visit_of_4 = state.visit - 1
    state = engine.apply(
        defn, state, boss, Action("tidak_setuju", 5, state.visit, note="x"), T0
    ).state
    assert state.current_step == 4
    handins = (sample_handin(defn.step(4).handin[0], 4),)
    with pytest.raises(ActionRejected) as err:
        engine.apply(defn, state, staff, Action("selesai", 4, old_visit_of_4, handins=handins), T0)
    assert err.value.reason is RejectReason.STALE


def test_unknown_choice_is_refused(kapuas: tuple[SopDefinition, ProcessState]) -> None:
    defn, state = kapuas
    with pytest.raises(ActionRejected) as err:
        engine.apply(defn, state, person("kasubbag_hukum_sdm"), Action("setuju", 1, 1), T0)
    assert err.value.reason is RejectReason.UNKNOWN_CHOICE


def test_an_ended_process_refuses_everything() -> None:
    state, _, _ = walk("kapuas-medsos-jdih")
    defn = CATALOG.definitions["kapuas-medsos-jdih"]
    with pytest.raises(ActionRejected) as err:
        engine.apply(defn, state, person("pengelola_jdih"), Action("selesai", 6, state.visit), T0)
    assert err.value.reason is RejectReason.NOT_RUNNING
    assert engine.available_actions(defn, state, person("pengelola_jdih")) == ()


def test_a_negative_answer_without_a_note_asks_for_one(
    kapuas: tuple[SopDefinition, ProcessState],
) -> None:
    defn, state = kapuas
    state = advance(defn, state, 4).state
    t = engine.apply(
        defn,
        state,
        person("kasubbag_hukum_sdm"),
        Action("tidak_setuju", 5, state.visit, note="   "),
        T0,
    )
    assert not t.changed
    assert t.state == state
    (ask,) = t.effects
    assert isinstance(ask, AskNote)
    assert ask.choice.id == "tidak_setuju"


def test_a_missing_or_wrong_hand_in_asks_again_and_changes_nothing(
    kapuas: tuple[SopDefinition, ProcessState],
) -> None:
    defn, state = kapuas
    state = advance(defn, state, 5).state
    uploader = person("pengelola_jdih")
    spec = defn.step(6).handin[0]
    t = engine.apply(defn, state, uploader, Action("selesai", 6, state.visit), T0)
    assert t.effects == (AskInput(step=6, spec=spec),)
    assert not t.changed
    for bad in ("bukan tautan", "ftp://jdih.kpu.go.id/x", "https://localhostx", "jdih.kpu.go.id/a"):
        handin = Handin(kind=HandinKind.LINK, label=spec.label, value=bad)
        t = engine.apply(
            defn, state, uploader, Action("selesai", 6, state.visit, handins=(handin,)), T0
        )
        (ask,) = t.effects
        assert isinstance(ask, AskInput)
        assert ask.problem, bad
        assert t.state == state


def test_cancel_by_starter_or_admin_only_and_with_a_reason(
    kapuas: tuple[SopDefinition, ProcessState],
) -> None:
    defn, state = kapuas
    with pytest.raises(ActionRejected) as err:
        engine.apply(defn, state, person("pengelola_jdih"), Action("batal", note="x"), T0)
    assert err.value.reason is RejectReason.NOT_ALLOWED
    starter = person("kasubbag_hukum_sdm")
    t = engine.apply(defn, state, starter, Action("batal"), T0)
    assert t.effects == (AskNote(step=1, choice=CANCEL),)
    admin = Actor(user_id=99, roles=frozenset(), is_admin=True)
    t = engine.apply(defn, state, admin, Action("batal", note="Salah SOP"), T0)
    assert t.state.status is Status.CANCELLED
    assert t.state.current_step is None
    assert ProcessCancelled(by=99, reason="Salah SOP") in t.effects
    assert any(
        isinstance(e, NotifyPerson) and e.event is ProgressEvent.CANCELLED for e in t.effects
    )


def test_only_starter_roles_may_start_and_a_title_is_needed() -> None:
    defn = CATALOG.definitions["jambi-pengunggahan-jdih"]
    with pytest.raises(ActionRejected) as err:
        engine.start(defn, person("sekretaris"), "x", T0)
    assert err.value.reason is RejectReason.NOT_STARTER
    with pytest.raises(ActionRejected) as err:
        engine.start(defn, person("pemohon"), "   ", T0)
    assert err.value.reason is RejectReason.BAD_TITLE


def test_start_asks_for_required_start_documents() -> None:
    defn = CATALOG.definitions["jambi-pengunggahan-jdih"]
    t = engine.start(defn, person("pemohon"), "Keputusan KPU 5/2026", T0)
    assert not t.changed
    (ask,) = t.effects
    assert isinstance(ask, AskInput)
    assert ask.spec == defn.start_handin[0]


def test_the_state_invariant_is_enforced() -> None:
    with pytest.raises(ValueError, match="exactly one current step"):
        ProcessState(Status.RUNNING, None, 1, 1, None)
    with pytest.raises(ValueError, match="exactly one current step"):
        ProcessState(Status.FINISHED, 3, 1, 1, None)


# --- Property: random actions never corrupt a process --------------------------------------------

CODES = sorted(CATALOG.definitions)
ALL_CHOICES = sorted(
    {c.id for d in CATALOG.definitions.values() for s in d.steps for c in s.effective_choices}
    | {"batal", "tidak_ada", "SELESAI"}
)


@st.composite
def random_action(draw: st.DrawFn) -> tuple[Actor, Action, str]:
    roles = draw(st.sets(st.sampled_from(ROLE_KEYS), max_size=3))
    actor = Actor(
        user_id=draw(st.integers(1, len(ROLE_KEYS) + 2)),
        roles=frozenset(roles),
        is_admin=draw(st.booleans()),
    )
    choice = draw(st.sampled_from(ALL_CHOICES))
    aim = draw(st.sampled_from(["current", "current", "current", "stale", "random"]))
    note = draw(st.one_of(st.none(), st.just(""), st.text(max_size=8)))
    handin_mode = draw(st.sampled_from(["valid", "none", "junk"]))
    return actor, Action(choice=choice, note=note), aim + ":" + handin_mode


@settings(max_examples=300, deadline=None)
@given(
    code=st.sampled_from(CODES),
    moves=st.lists(random_action(), min_size=1, max_size=60),
    step_noise=st.integers(0, 9),
)
def test_random_actions_never_corrupt_a_process(
    code: str, moves: list[tuple[Actor, Action, str]], step_noise: int
) -> None:
    defn = CATALOG.definitions[code]
    starter = person(defn.starters[0])
    state = engine.start(
        defn, starter, "Uji acak", T0, handins=tuple(sample_handin(s, 0) for s in defn.start_handin)
    ).state
    now = T0
    for i, (actor, action, mode) in enumerate(moves):
        aim, handin_mode = mode.split(":")
        now += timedelta(minutes=7)
        step, visit = state.current_step, state.visit
        if aim == "stale":
            visit -= 1
        elif aim == "random":
            step, visit = step_noise, visit + (i % 3) - 1
        current = defn.step(state.current_step) if state.current_step is not None else None
        handins: tuple[Handin, ...] = ()
        if current is not None and handin_mode == "valid":
            handins = tuple(sample_handin(s, current.number, i) for s in current.handin)
        elif current is not None and handin_mode == "junk":
            handins = tuple(Handin(kind=s.kind, label=s.label, value="x y") for s in current.handin)
        action = Action(action.choice, step, visit, note=action.note, handins=handins)
        options = {c.id for c in engine.available_actions(defn, state, actor)}
        aimed_right = action.choice == "batal" or (
            step == state.current_step and visit == state.visit
        )
        allowed = action.choice in options and aimed_right
        rejected: ActionRejected | None = None
        try:
            t = engine.apply(defn, state, actor, action, now)
        except ActionRejected as err:
            rejected = err
        assert (rejected is None) == allowed, (options, action, state, rejected)
        if rejected is not None:
            assert isinstance(rejected.reason, RejectReason)
            continue
        new = t.state
        if not t.changed:
            assert new == state
            assert all(isinstance(e, AskNote | AskInput) for e in t.effects)
            continue
        # Exactly one current step while running, none once ended; each change opens a new visit
        # or ends the process.
        assert (new.status is Status.RUNNING) == (new.current_step is not None)
        if new.status is Status.RUNNING:
            assert new.visit == state.visit + 1
            assert new.current_step in defn.by_number
            opened = [e for e in t.effects if isinstance(e, StepOpened)]
            assert [(o.step, o.visit) for o in opened] == [(new.current_step, new.visit)]
        closed = [e for e in t.effects if isinstance(e, StepClosed)]
        assert [(c.step, c.visit) for c in closed] == [(state.current_step, state.visit)]
        state = new
