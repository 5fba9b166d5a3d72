"""The reminder rules on their own: intervals, escalation lapses, and who overrides whom."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.office.calendar import WorkCalendar
from bot.office.settings import OfficeSettings, ReminderSettings, reminders_of
from bot.process.reminders import decide, next_reminder, plan_for
from sop.durations import Duration
from sop.loader import load_catalog
from sop.models import Step
from storage.offices import Office
from storage.processes import StepRun

CAL = WorkCalendar()
CATALOG = load_catalog()
WIB = timedelta(hours=7)


def wib(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - WIB


def step(code: str, number: int) -> Step:
    return CATALOG.definitions[code].step(number)


def test_default_interval_is_the_baku_mutu_kept_between_ten_minutes_and_a_working_day() -> None:
    defaults = ReminderSettings()
    assert plan_for(step("kapuas-medsos-jdih", 1), defaults, CAL).interval == Duration(minutes=10)
    assert plan_for(step("kapuas-medsos-jdih", 3), defaults, CAL).interval == Duration(minutes=30)
    assert plan_for(step("jambi-konten-medsos", 2), defaults, CAL).interval == Duration(
        days=1
    )  # 2 hari
    lower = ReminderSettings(min_interval=Duration(minutes=20))
    assert plan_for(step("kapuas-medsos-jdih", 1), lower, CAL).interval == Duration(minutes=20)


def test_escalation_after_twice_the_baku_mutu_and_at_least_an_hour() -> None:
    defaults = ReminderSettings()
    assert plan_for(step("kapuas-medsos-jdih", 1), defaults, CAL).escalate_after == Duration(
        minutes=60
    )
    assert plan_for(step("jambi-pengunggahan-jdih", 3), defaults, CAL).escalate_after == Duration(
        minutes=240
    )
    assert plan_for(step("jambi-konten-medsos", 2), defaults, CAL).escalate_after == Duration(
        days=4
    )


def test_steps_without_waktu_use_the_default_interval() -> None:
    plan = plan_for(step("jambi-konten-medsos", 5), ReminderSettings(), CAL)
    assert plan.interval == Duration(days=1)
    assert plan.escalate_after == Duration(days=2)


def test_an_sop_step_overrides_the_office_which_overrides_the_defaults() -> None:
    office = Office(
        1,
        "x",
        "X",
        "Asia/Jakarta",
        OfficeSettings.model_validate({"reminders": {"interval": "30 menit"}}).to_json(),
    )
    defaults = ReminderSettings(interval=Duration(minutes=15), escalate_min=Duration(minutes=120))
    merged = reminders_of(office, defaults)
    assert merged.interval == Duration(minutes=30)  # the office's own
    assert merged.escalate_min == Duration(minutes=120)  # the bot-wide default
    own = Step.model_validate(
        {**step("kapuas-medsos-jdih", 1).model_dump(), "reminder": {"interval": "45 menit"}}
    )
    assert plan_for(own, merged, CAL).interval == Duration(minutes=45)


def _run(due: datetime | None, started: datetime, escalated: datetime | None = None) -> StepRun:
    return StepRun(
        id=1,
        process_id=1,
        step=1,
        visit=1,
        role="r",
        started_at=started,
        due_at=due,
        done_at=None,
        done_by=None,
        outcome=None,
        note=None,
        returned_from=None,
        return_note=None,
        return_by=None,
        next_alert_at=due,
        reminders_sent=0,
        escalated_at=escalated,
    )


def test_decisions_keep_office_hours_and_escalate_once() -> None:
    plan = plan_for(step("kapuas-medsos-jdih", 1), ReminderSettings(), CAL)
    run = _run(wib(16, 8, 10), wib(16, 8, 0))
    night = decide(run, plan, CAL, wib(16, 20, 0))
    assert (night.remind, night.escalate, night.next_alert_at) == (False, False, wib(17, 7, 30))
    first = decide(run, plan, CAL, wib(16, 8, 10))
    assert (first.remind, first.escalate, first.next_alert_at) == (True, False, wib(16, 8, 20))
    near = decide(run, plan, CAL, wib(16, 9, 5))
    assert near.next_alert_at == wib(16, 9, 10)  # the escalation comes before the next interval
    late = decide(run, plan, CAL, wib(16, 9, 10))
    assert (late.remind, late.escalate) == (True, True)
    again = decide(
        _run(run.due_at, run.started_at, escalated=wib(16, 9, 10)), plan, CAL, wib(16, 9, 20)
    )
    assert again.escalate is False


def test_minute_intervals_wait_for_the_opening_and_day_intervals_are_working_days() -> None:
    assert next_reminder(wib(20, 16, 25), Duration(minutes=10), CAL) == wib(23, 7, 30)
    assert next_reminder(wib(20, 10, 0), Duration(days=1), CAL) == wib(23, 10, 0)
