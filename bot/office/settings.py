"""An office's own settings (kept as JSON on the office row): its calendar, reminder timing, agenda
number format and who may read reports. The office file and admin commands fill them; everything
that needs an office's working time gets it from ``calendar_for``."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
)

from bot.office.calendar import CalendarSettings, WorkCalendar
from sop.durations import Duration
from sop.handins import parse_nomor
from storage.offices import Office

DEFAULT_REPORT_ROLES = ("sekretaris", "kabag_teknis_hukum")
DEFAULT_AGENDA_TEMPLATE = "{nomor}/HK.03-ND/{tahun}"


def _duration(value: object) -> Duration:
    return Duration.coerce(value)  # a DurationError is a ValueError: pydantic tells its text


# Written and read as the SOP forms write it: "30 menit", "1 hari".
Span = Annotated[Duration, BeforeValidator(_duration), PlainSerializer(str, when_used="json")]


class ReminderSettings(BaseModel):
    """When reminders repeat and when a late step escalates.

    The interval defaults to the step's baku mutu, kept between ``min_interval`` and
    ``max_interval``; escalation comes after ``escalate_factor`` times the baku mutu, at least
    ``escalate_min``. Steps whose SOP states no waktu use ``no_waktu_interval`` for both.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    interval: Span | None = None
    min_interval: Span = Duration(minutes=10)
    max_interval: Span = Duration(days=1)
    escalate_after: Span | None = None
    escalate_factor: int = Field(default=2, ge=1, le=10)
    escalate_min: Span = Duration(minutes=60)
    no_waktu_interval: Span = Duration(days=1)


class OfficeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    calendar: dict[str, Any] = Field(default_factory=dict)
    reminders: ReminderSettings = Field(default_factory=ReminderSettings)
    agenda_template: str = DEFAULT_AGENDA_TEMPLATE
    report_roles: tuple[str, ...] = DEFAULT_REPORT_ROLES
    # Who hears an announcement one to one on a channel without office groups (WhatsApp);
    # None: everyone in the office.
    announce_roles: tuple[str, ...] | None = None

    @field_validator("calendar", mode="after")
    @classmethod
    def _valid_calendar(cls, value: dict[str, Any]) -> dict[str, Any]:
        if "timezone" in value:
            raise ValueError("zona waktu kantor ditulis di 'timezone' kantor, bukan di kalender")
        CalendarSettings.model_validate(value)
        return value

    @field_validator("agenda_template")
    @classmethod
    def _valid_template(cls, value: str) -> str:
        if "{nomor}" not in value or "{tahun}" not in value:
            raise ValueError("format nomor agenda harus memuat {nomor} dan {tahun}")
        sample = value.replace("{nomor}", "1").replace("{tahun}", "2026")
        if parse_nomor(sample) is None:
            raise ValueError(
                f"format nomor agenda {value!r} tidak sesuai pola nomor/kode/tahun, "
                "misalnya {nomor}/HK.03-ND/15/{tahun}"
            )
        return value

    def agenda_number(self, seq: int, year: int) -> str:
        return self.agenda_template.replace("{nomor}", str(seq)).replace("{tahun}", str(year))

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_defaults=True)


def settings_of(office: Office) -> OfficeSettings:
    return OfficeSettings.model_validate(office.settings)


def reminders_of(office: Office, defaults: ReminderSettings | None = None) -> ReminderSettings:
    """The office's reminder timing: what its file sets, over the bot-wide defaults."""
    own = settings_of(office).reminders
    if defaults is None:
        return own
    return ReminderSettings.model_validate(
        {**defaults.model_dump(), **own.model_dump(exclude_unset=True)}
    )


@lru_cache(maxsize=256)
def _calendar(timezone: str, calendar_json: str, always_open: bool) -> WorkCalendar:
    raw = json.loads(calendar_json)
    if always_open:
        raw["always_open"] = True
    return WorkCalendar.from_settings(
        CalendarSettings.model_validate({**raw, "timezone": timezone})
    )


def calendar_for(office: Office, *, always_open: bool = False) -> WorkCalendar:
    """The office's working-time calendar; ``always_open`` (WORKING_HOURS=24/7) overrides it."""
    raw = office.settings.get("calendar", {})
    return _calendar(office.timezone, json.dumps(raw, sort_keys=True), always_open)
