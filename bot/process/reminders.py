"""When a step's reminders and escalation fall due, in the office's working time (pure rules).

- The first reminder comes when the step's deadline passes (at the next opening of the office if
  the deadline falls outside office hours). A step whose SOP states no waktu has no deadline: its
  first reminder comes one default interval (one working day) after it began, and it is marked as
  having no baku mutu.
- Reminders repeat at an interval: by default the step's baku mutu kept between 10 minutes and one
  working day. They are only sent within office hours: one that falls outside waits for the next
  opening (16.25 on a Friday + 10 menit is 16.35, after closing: it comes at Monday's 07.30).
- When the step is late by a longer lapse (by default twice its baku mutu, at least one working
  hour; for a step without waktu, twice its interval after it began) it escalates, once, to the
  role's atasan.
- The office's file may change these defaults, and an SOP file may override them per step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.office.calendar import WorkCalendar
from bot.office.settings import ReminderSettings
from sop.durations import Duration
from sop.models import Step
from storage.processes import StepRun


@dataclass(frozen=True)
class AlertPlan:
    interval: Duration
    escalate_after: Duration


def _minutes(d: Duration, calendar: WorkCalendar) -> int:
    day = int(calendar.nominal_day_length.total_seconds() // 60)
    return d.days * day + d.minutes


def _clamp(value: Duration, low: Duration, high: Duration, calendar: WorkCalendar) -> Duration:
    if _minutes(value, calendar) < _minutes(low, calendar):
        return low
    if _minutes(value, calendar) > _minutes(high, calendar):
        return high
    return value


def plan_for(step: Step, settings: ReminderSettings, calendar: WorkCalendar) -> AlertPlan:
    override = step.reminder
    own_interval = override.interval if override else None
    own_escalate = override.escalate_after if override else None
    if step.waktu is None:
        interval = own_interval or settings.no_waktu_interval
        escalate = own_escalate or settings.escalate_after or interval * settings.escalate_factor
        return AlertPlan(interval=interval, escalate_after=escalate)
    interval = (
        own_interval
        or settings.interval
        or _clamp(step.waktu, settings.min_interval, settings.max_interval, calendar)
    )
    lapse = step.waktu * settings.escalate_factor
    if _minutes(lapse, calendar) < _minutes(settings.escalate_min, calendar):
        lapse = settings.escalate_min
    return AlertPlan(
        interval=interval, escalate_after=own_escalate or settings.escalate_after or lapse
    )


def first_alert(
    started_at: datetime, due_at: datetime | None, plan: AlertPlan, calendar: WorkCalendar
) -> datetime:
    """When the scheduler first looks at a new step run: its deadline, or for a step without a
    baku mutu, one default interval after it began."""
    if due_at is not None:
        return calendar.next_open(due_at)
    return calendar.add(started_at, plan.interval)


def escalation_due(run: StepRun, plan: AlertPlan, calendar: WorkCalendar) -> datetime:
    """When a run that is still open escalates: the lapse counted from its deadline (or, with no
    baku mutu, from its start)."""
    return calendar.add(run.due_at or run.started_at, plan.escalate_after)


@dataclass(frozen=True)
class AlertDecision:
    remind: bool
    escalate: bool
    next_alert_at: datetime | None


def next_reminder(now: datetime, interval: Duration, calendar: WorkCalendar) -> datetime:
    """When the next reminder falls: an interval of minutes runs on the clock and, if it ends
    outside office hours, waits for the next opening; an interval of days is working days (the
    same time on the next working day)."""
    if interval.days:
        return calendar.add(now, interval)
    return calendar.next_open(now + timedelta(minutes=interval.minutes))


def decide(run: StepRun, plan: AlertPlan, calendar: WorkCalendar, now: datetime) -> AlertDecision:
    """What to do for an open run whose alert time has come, and when to look again.

    Outside office hours nothing is sent: the alert waits for the next opening. A clock that
    jumped far ahead gets one reminder (and the escalation if due), not one per missed interval.
    """
    if not calendar.is_open(now):
        return AlertDecision(remind=False, escalate=False, next_alert_at=calendar.next_open(now))
    escalate_at = escalation_due(run, plan, calendar)
    escalate = run.escalated_at is None and now >= escalate_at
    following = next_reminder(now, plan.interval, calendar)
    if run.escalated_at is None and not escalate and escalate_at < following:
        following = escalate_at
    return AlertDecision(
        remind=True, escalate=escalate, next_alert_at=calendar.next_open(following)
    )
