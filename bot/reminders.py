"""When a step's reminders and escalation fall due, in the office's working time.

Rules (issue 4): the first reminder comes when the step's deadline passes; reminders repeat at an
interval (by default the step's baku mutu, kept between 10 working minutes and one working day),
and only within office hours. When the step is late by a longer lapse (by default twice the baku
mutu, at least one working hour) it escalates to the role's atasan. A step whose SOP states no
waktu is reminded at the office's default interval (one working day) and marked as having no baku
mutu. The SOP file may override the interval and the lapse per step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.calendar import WorkCalendar
from bot.office_config import ReminderSettings
from sop.durations import Duration
from sop.models import Step


@dataclass(frozen=True)
class AlertPlan:
    interval: Duration
    escalate_after: Duration


def _clamp(value: Duration, low: Duration, high: Duration, calendar: WorkCalendar) -> Duration:
    day = int(calendar.nominal_day_length.total_seconds() // 60)

    def minutes(d: Duration) -> int:
        return d.days * day + d.minutes

    if minutes(value) < minutes(low):
        return low
    if minutes(value) > minutes(high):
        return high
    return value


def plan_for(step: Step, settings: ReminderSettings, calendar: WorkCalendar) -> AlertPlan:
    override = step.reminder
    if step.waktu is None:
        interval = (override.interval if override else None) or settings.no_waktu_interval
        escalate = (override.escalate_after if override else None) or settings.escalate_after
        return AlertPlan(
            interval=interval, escalate_after=escalate or interval * settings.escalate_factor
        )
    interval = (
        (override.interval if override else None)
        or settings.interval
        or _clamp(step.waktu, settings.min_interval, settings.max_interval, calendar)
    )
    escalate = (override.escalate_after if override else None) or settings.escalate_after
    if escalate is None:
        escalate = _clamp(
            step.waktu * settings.escalate_factor,
            settings.escalate_min,
            Duration(days=3650),
            calendar,
        )
    return AlertPlan(interval=interval, escalate_after=escalate)


def first_alert(
    started_at: datetime, due_at: datetime | None, plan: AlertPlan, calendar: WorkCalendar
) -> datetime:
    """When the scheduler first looks at a new step run: its deadline, or for a step without a
    baku mutu, one default interval after it began."""
    if due_at is not None:
        return calendar.next_open(due_at)
    return calendar.add(started_at, plan.interval)
