"""The office calendar: working time, deadlines and Indonesian local-time formatting.

An office works in one timezone, with office hours per weekday, closed on national holidays and cuti
bersama (from the ``holidays`` package) and on extra closed dates, and open on extra working dates
(election stages often need weekend work). A 24/7 office (``always_open``) works every hour.

Rules used everywhere in this module:

* A day's office hours are one interval ``[open, close)`` of wall-clock time in the office zone.
  The office is open at ``open`` and closed at ``close``. ``close`` may be ``24.00``.
* Every computation happens on wall-clock times in the office zone, converted to UTC instants;
  every datetime returned is aware and in UTC. Inputs may be in any zone but must be aware.
* ``menit``/``jam`` count working time only. ``hari`` are working days (see ``WorkCalendar.add``).
* Look-ahead is capped: if no working time is found within ``MAX_CLOSED_RUN`` consecutive days,
  ``NoWorkingTimeError`` is raised instead of looping forever.

How dates, times and durations are written for people is ``bot.words.format``'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from enum import IntEnum
from functools import cache
from types import MappingProxyType
from typing import Annotated, Any, NamedTuple
from zoneinfo import ZoneInfo

import holidays
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bot.office.zones import INDONESIAN_ZONES, resolve_zone
from bot.words.format import DAYS, format_date
from sop.durations import Duration
from sop.faults import shown

__all__ = [
    "DEFAULT_HOURS",
    "MAX_CLOSED_RUN",
    "CalendarSettings",
    "NoWorkingTimeError",
    "OfficeHours",
    "Weekday",
    "WorkCalendar",
    "resolve_zone",
]

MAX_CLOSED_RUN = 366
"""How many consecutive days without office hours a look-ahead crosses before giving up."""

_DAY = timedelta(days=1)
_MIDNIGHT = time(0)


class NoWorkingTimeError(RuntimeError):
    """The calendar has no working time ahead (within ``MAX_CLOSED_RUN`` days)."""


def _invalid(message: str) -> PydanticCustomError:
    # A template with a placeholder, so braces in the admin's own text are never interpreted.
    return PydanticCustomError("kalender", "{message}", {"message": message})


# --- weekdays -------------------------------------------------------------------------------------


class Weekday(IntEnum):
    """Days of the week, numbered like ``date.weekday()`` (Senin = 0)."""

    SENIN = 0
    SELASA = 1
    RABU = 2
    KAMIS = 3
    JUMAT = 4
    SABTU = 5
    MINGGU = 6

    @property
    def label(self) -> str:
        """The name for people: ``Senin`` ... ``Minggu``."""
        return DAYS[self.value]

    @property
    def key(self) -> str:
        """The name in settings files: ``senin`` ... ``minggu``."""
        return self.name.lower()

    @classmethod
    def parse(cls, value: object) -> Weekday:
        """Accept a ``Weekday``, an Indonesian day name (``Senin``, ``jum'at``, ``ahad``) or an
        English one (``monday``). Numbers are refused: 0/1-based numbering is too easy to confuse.
        """
        if isinstance(value, Weekday):
            return value
        if isinstance(value, str):
            found = _DAY_ALIASES.get(re.sub(r"[\s'’]", "", value).lower())
            if found is not None:
                return found
        raise ValueError(
            f"nama hari {shown(value)} tidak dikenal; pakai senin, selasa, rabu, kamis, jumat, "
            "sabtu atau minggu"
        )


_DAY_ALIASES: dict[str, Weekday] = {
    **{day.name.lower(): day for day in Weekday},
    "ahad": Weekday.MINGGU,
    **{
        english: Weekday(number)
        for number, english in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}


# --- office hours ---------------------------------------------------------------------------------

_HOURS_TEXT = re.compile(
    r"^\s*(\d{1,2})[.:](\d{2})\s*(?:-|–|—|s\.?\s?d\.?|s/d|sampai)\s*(\d{1,2})[.:](\d{2})\s*$",
    re.IGNORECASE,
)
_CLOSED_WORDS = frozenset({"", "-", "libur", "tutup", "none", "null"})


class OfficeHours(NamedTuple):
    """One day's office hours ``[start, end)`` in the office's wall clock.

    ``end == time(0)`` means 24.00 (open until midnight); otherwise ``start < end``. Overnight
    shifts are not modelled. A day has one interval; to allow several (e.g. a lunch break), a day
    would map to a tuple of ``OfficeHours`` and ``WorkCalendar._interval`` would return a list; the
    walking loops already visit intervals one by one, so only that function and ``add``'s clamping
    (to the nearest interval) would change.
    """

    start: time
    end: time

    @property
    def start_minute(self) -> int:
        return self.start.hour * 60 + self.start.minute

    @property
    def end_minute(self) -> int:
        """Minutes after midnight; 1440 for 24.00."""
        return 24 * 60 if self.end == _MIDNIGHT else self.end.hour * 60 + self.end.minute

    @property
    def length(self) -> timedelta:
        """Nominal length on the wall clock (a DST change inside the hours is not counted)."""
        return timedelta(minutes=self.end_minute - self.start_minute)

    def __str__(self) -> str:
        end = "24.00" if self.end == _MIDNIGHT else self.end.strftime("%H.%M")
        return f"{self.start.strftime('%H.%M')}-{end}"

    @classmethod
    def parse(cls, text: str) -> OfficeHours:
        """Parse ``07.30-16.00``, ``07:30-16:00``, ``7.30 - 16.00``, ``07.30 s.d. 16.00``; the end
        may be ``24.00``. Raises ``ValueError`` with an Indonesian message."""
        match = _HOURS_TEXT.match(text)
        if match is None:
            raise ValueError(f"jam kerja {text!r} tidak valid; tulis misalnya '07.30-16.00'")
        h1, m1, h2, m2 = (int(group) for group in match.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
            raise ValueError(f"jam kerja {text!r} tidak valid: jam harus di antara 00.00 dan 24.00")
        hours = cls(time(h1, m1), _MIDNIGHT if h2 == 24 else time(h2, m2))
        if hours.end_minute <= hours.start_minute:
            raise ValueError(
                f"jam kerja {text!r} tidak valid: jam selesai harus sesudah jam mulai "
                "(shift lewat tengah malam belum didukung)"
            )
        return hours

    @classmethod
    def coerce(cls, value: object) -> OfficeHours:
        """Accept ``OfficeHours``, text (see ``parse``) or a pair of ``time``."""
        if isinstance(value, str):
            return cls.parse(value)
        if isinstance(value, tuple | list) and len(value) == 2:
            start, end = value
            if isinstance(start, time) and isinstance(end, time):
                start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
                if any(t.second or t.microsecond for t in (start, end)):
                    raise ValueError(
                        f"jam kerja {start}-{end} tidak valid: tulis jam dan menit saja"
                    )
                return cls.parse(f"{start:%H.%M}-{'24.00' if end == _MIDNIGHT else f'{end:%H.%M}'}")
        raise ValueError(f"jam kerja {shown(value)} tidak valid; tulis misalnya '07.30-16.00'")


ALWAYS_OPEN_HOURS = OfficeHours(_MIDNIGHT, _MIDNIGHT)
"""What ``hours_on`` reports for a 24/7 office: 00.00-24.00."""

STANDARD_HOURS = OfficeHours(time(7, 30), time(16, 0))
FRIDAY_HOURS = OfficeHours(time(7, 30), time(16, 30))
DEFAULT_HOURS: Mapping[Weekday, OfficeHours | None] = MappingProxyType(
    {
        Weekday.SENIN: STANDARD_HOURS,
        Weekday.SELASA: STANDARD_HOURS,
        Weekday.RABU: STANDARD_HOURS,
        Weekday.KAMIS: STANDARD_HOURS,
        Weekday.JUMAT: FRIDAY_HOURS,
        Weekday.SABTU: None,
        Weekday.MINGGU: None,
    }
)
"""Indonesian civil-servant hours: Senin-Kamis 07.30-16.00, Jumat 07.30-16.30, weekend closed."""


# --- dates and zones ------------------------------------------------------------------------------

_DMY = re.compile(r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\s*$")
_YMD = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


def _parse_date(value: object) -> date:
    """A calendar date from ``date``, ``2026-03-18`` or Indonesian day-first ``18-03-2026`` /
    ``18/03/2026``."""
    if isinstance(value, datetime):
        raise ValueError(f"tanggal {shown(value)} tidak valid: tulis tanggal saja, tanpa jam")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        ymd = _YMD.match(value)
        dmy = _DMY.match(value)
        try:
            if ymd is not None:
                return date(int(ymd[1]), int(ymd[2]), int(ymd[3]))
            if dmy is not None:
                return date(int(dmy[3]), int(dmy[2]), int(dmy[1]))
        except ValueError:
            raise ValueError(f"tanggal {shown(value)} tidak ada di kalender") from None
    raise ValueError(
        f"tanggal {shown(value)} tidak valid; tulis misalnya 2026-03-18 atau 18-03-2026"
    )


def _aware(t: datetime) -> datetime:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"naive datetime {t!r}: the calendar needs timezone-aware datetimes")
    return t


def _utc(t: datetime) -> datetime:
    return _aware(t).astimezone(UTC)


@cache
def _national_holidays(year: int) -> Mapping[date, str]:
    """Indonesian national holidays and cuti bersama of one year, with Indonesian names."""
    found = holidays.country_holidays(
        "ID", years=year, categories=("public", "government"), language="id"
    )
    return MappingProxyType({day: str(name) for day, name in found.items() if day.year == year})


# --- settings -------------------------------------------------------------------------------------


def _validate_hours_value(value: object) -> OfficeHours | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in _CLOSED_WORDS):
        return None
    try:
        return OfficeHours.coerce(value)
    except ValueError as error:
        raise _invalid(str(error)) from None


def _validate_weekday(value: object) -> Weekday:
    try:
        return Weekday.parse(value)
    except ValueError as error:
        raise _invalid(str(error)) from None


def _validate_date(value: object) -> date:
    try:
        return _parse_date(value)
    except ValueError as error:
        raise _invalid(str(error)) from None


def _hours_text(value: OfficeHours | None) -> str | None:
    return None if value is None else str(value)


_HOURS_SCHEMA = {"type": ["string", "null"], "examples": ["07.30-16.00", None]}

HoursValue = Annotated[
    OfficeHours | None,
    PlainValidator(_validate_hours_value),
    PlainSerializer(_hours_text),
    WithJsonSchema(_HOURS_SCHEMA),
]
WeekdayKey = Annotated[
    Weekday,
    PlainValidator(_validate_weekday),
    PlainSerializer(lambda day: day.key, return_type=str),
    WithJsonSchema({"type": "string", "examples": ["senin"]}),
]
LocalDate = Annotated[
    date,
    PlainValidator(_validate_date),
    PlainSerializer(lambda day: day.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date"}),
]


def _default_hours() -> dict[Weekday, OfficeHours | None]:
    return dict(DEFAULT_HOURS)


def _truthy(value: object) -> object:
    """Let admins write ``ya``/``tidak`` for booleans as well as ``true``/``false``."""
    if isinstance(value, str):
        word = value.strip().lower()
        if word in {"ya", "y", "iya"}:
            return True
        if word in {"tidak", "tdk", "t", "bukan"}:
            return False
    return value


class CalendarSettings(BaseModel):
    """An office's calendar as its YAML file and admin commands set it.

    ``hours`` overrides only the days it names; unnamed days keep ``DEFAULT_HOURS``. So
    ``{"sabtu": "08.00-12.00"}`` adds Saturday mornings, and ``{"jumat": None}`` (or ``"libur"``)
    closes Fridays. Keys are Indonesian (``senin`` ... ``minggu``) or English day names; values are
    ``07.30-16.00`` / ``07:30-16:00`` or ``None``/``libur``/``tutup`` for closed.

    ``working_dates`` are extra working dates: a list of dates, or a mapping date -> hours (``None``
    meaning the standard hours: those of the office's first open weekday, normally Senin).
    They open even on weekends and holidays. ``closed_dates`` close the office on top of the
    national holidays; a date may not be in both lists. Dates may be written ``2026-03-18`` or
    ``18-03-2026``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = "Asia/Jakarta"
    hours: dict[WeekdayKey, HoursValue] = Field(default_factory=_default_hours)
    closed_dates: list[LocalDate] = Field(default_factory=list)
    working_dates: dict[LocalDate, HoursValue] = Field(default_factory=dict)
    national_holidays: bool = True
    always_open: bool = False

    @field_validator("timezone", mode="before")
    @classmethod
    def _known_zone(cls, value: object) -> str:
        if not isinstance(value, str):
            raise _invalid(f"zona waktu {shown(value)} tidak valid; tulis misalnya Asia/Jakarta")
        try:
            return resolve_zone(value).key
        except ValueError as error:
            raise _invalid(str(error)) from None

    @field_validator("hours", mode="before")
    @classmethod
    def _merge_default_hours(cls, value: object) -> dict[Weekday, OfficeHours | None]:
        if value is None:
            return _default_hours()
        if not isinstance(value, Mapping):
            raise _invalid("jam kerja harus berupa daftar hari: jam, misalnya senin: 07.30-16.00")
        merged = _default_hours()
        named: set[Weekday] = set()
        for key, text in value.items():
            day = _validate_weekday(key)
            if day in named:
                raise _invalid(f"jam kerja hari {day.label} ditulis dua kali")
            named.add(day)
            try:
                merged[day] = _validate_hours_value(text)
            except PydanticCustomError as error:
                raise _invalid(f"{day.label}: {error.message()}") from None
        return merged

    @field_validator("working_dates", mode="before")
    @classmethod
    def _dates_or_mapping(cls, value: object) -> object:
        if value is None:
            return {}
        if isinstance(value, list | tuple | set | frozenset):
            return dict.fromkeys(value)
        if isinstance(value, Mapping):
            for key, hours in value.items():
                if isinstance(hours, str) and hours.strip().lower() in _CLOSED_WORDS - {""}:
                    raise _invalid(
                        f"hari kerja tambahan {key} tidak bisa diberi jam {hours!r}; "
                        "untuk meliburkan tanggal, pakai closed_dates"
                    )
        return value

    @field_validator("national_holidays", "always_open", mode="before")
    @classmethod
    def _indonesian_bool(cls, value: object) -> object:
        return _truthy(value)

    @field_validator("closed_dates", mode="after")
    @classmethod
    def _sorted_unique(cls, value: list[date]) -> list[date]:
        return sorted(set(value))

    @model_validator(mode="after")
    def _consistent(self) -> CalendarSettings:
        both = sorted(set(self.closed_dates) & set(self.working_dates))
        if both:
            listed = ", ".join(format_date(day) for day in both)
            raise _invalid(f"tanggal {listed} ada di closed_dates dan juga di working_dates")
        if (
            not self.always_open
            and all(hours is None for hours in self.hours.values())
            and not self.working_dates
        ):
            raise _invalid(
                "kalender tidak punya jam kerja sama sekali: semua hari libur dan tidak ada "
                "working_dates; isi jam kerja atau pakai always_open"
            )
        return self

    @field_serializer("hours")
    def _hours_in_week_order(self, value: dict[Weekday, OfficeHours | None]) -> dict[str, Any]:
        return {day.key: _hours_text(value.get(day)) for day in Weekday}


# --- the calendar ---------------------------------------------------------------------------------


class WorkCalendar:
    """Working time of one office. Pure and deterministic; holiday years are cached.

    Every method taking a ``datetime`` needs it aware (any zone); every ``datetime`` returned is
    aware and in UTC.
    """

    def __init__(self, settings: CalendarSettings | None = None) -> None:
        self.settings = settings if settings is not None else CalendarSettings()
        self.zone = ZoneInfo(self.settings.timezone)
        self.always_open = self.settings.always_open
        self._weekly = tuple(self.settings.hours.get(day) for day in Weekday)
        # Hours of an extra working date given without hours: the first open weekday's hours
        # (normally Senin's), or 07.30-16.00 when no weekday is open.
        self.standard_hours = next(
            (hours for hours in self._weekly if hours is not None), STANDARD_HOURS
        )
        self._closed = frozenset(self.settings.closed_dates)
        self._extra = {
            day: hours if hours is not None else self.standard_hours
            for day, hours in self.settings.working_dates.items()
        }
        self._intervals: dict[date, tuple[datetime, datetime] | None] = {}

    @classmethod
    def from_settings(cls, settings: CalendarSettings) -> WorkCalendar:
        return cls(settings)

    def __repr__(self) -> str:
        return f"WorkCalendar({self.settings!r})"

    # -- zone --

    @property
    def zone_name(self) -> str:
        """``WIB``/``WITA``/``WIT``; for a zone outside Indonesia its IANA name, because its
        abbreviation may change with the date (``bot.words.format.zone_abbreviation`` names it at an instant)."""
        return INDONESIAN_ZONES.get(self.zone.key, self.zone.key)

    def local(self, t: datetime) -> datetime:
        """``t`` on the office's wall clock."""
        return _aware(t).astimezone(self.zone)

    def local_date(self, t: datetime) -> date:
        """The office's calendar date at instant ``t``."""
        return self.local(t).date()

    # -- days --

    def holiday_name(self, d: date) -> str | None:
        """The Indonesian name of the national holiday or cuti bersama on ``d``, if the office
        observes national holidays (even when ``d`` is an extra working date)."""
        if not self.settings.national_holidays:
            return None
        return _national_holidays(d.year).get(d)

    def hours_on(self, d: date) -> OfficeHours | None:
        """Office hours on ``d`` (a ``(start, end)`` pair; end ``time(0)`` is 24.00), or ``None``
        when closed. Precedence: always_open, working_dates, closed_dates, national holidays,
        weekly hours."""
        if self.always_open:
            return ALWAYS_OPEN_HOURS
        extra = self._extra.get(d)
        if extra is not None:
            return extra
        if d in self._closed or self.holiday_name(d) is not None:
            return None
        return self._weekly[d.weekday()]

    def is_working_day(self, d: date) -> bool:
        return self.hours_on(d) is not None

    def closed_reason(self, d: date) -> str | None:
        """Why ``d`` is closed, for people (``Cuti Bersama Hari Raya Natal``, ``libur kantor``,
        ``Sabtu bukan hari kerja``); ``None`` on a working day."""
        if self.is_working_day(d):
            return None
        if d in self._closed:
            return "libur kantor"
        holiday = self.holiday_name(d)
        if holiday is not None:
            return holiday
        return f"{Weekday(d.weekday()).label} bukan hari kerja"

    def working_day_length(self, d: date) -> timedelta:
        """Working time on ``d`` (real elapsed time, so a DST change inside the hours counts);
        zero when closed, 24 hours in a 24/7 office."""
        if self.always_open:
            return _DAY
        interval = self._interval(d)
        return timedelta(0) if interval is None else interval[1] - interval[0]

    @property
    def nominal_day_length(self) -> timedelta:
        """The length of a usual working day (``standard_hours``; 24 hours when 24/7): what one
        ``hari`` means when a working-time span is shown in days."""
        return _DAY if self.always_open else self.standard_hours.length

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        return self.working_day_after(d, 1)

    def working_day_after(self, d: date, n: int) -> date:
        """The ``n``-th working day strictly after ``d`` (``n >= 1``)."""
        if n < 1:
            raise ValueError(f"n must be at least 1, not {n}")
        day = d
        for _ in range(n):
            closed_run = 0
            day += _DAY
            while not self.is_working_day(day):
                closed_run += 1
                if closed_run >= MAX_CLOSED_RUN:
                    raise self._no_working_time(d)
                day += _DAY
        return day

    # -- instants --

    def is_open(self, t: datetime) -> bool:
        """Whether the office works at instant ``t`` (open at opening time, closed at closing)."""
        t = _utc(t)
        if self.always_open:
            return True
        interval = self._interval(self.local_date(t))
        return interval is not None and interval[0] <= t < interval[1]

    def next_open(self, t: datetime) -> datetime:
        """``t`` itself if the office is open then, otherwise the next opening instant."""
        t = _utc(t)
        if self.always_open:
            return t
        for opens, closes in self._intervals_from(self.local_date(t)):
            if closes > t:
                return max(opens, t)
        raise AssertionError("unreachable: _intervals_from never ends")  # pragma: no cover

    def next_close(self, t: datetime) -> datetime | None:
        """The end of the open stretch that contains ``next_open(t)``: the next closing instant.
        Days open until 24.00 followed by a day opening at 00.00 make one stretch. ``None`` when
        the office never closes (24/7, or open non-stop for ``MAX_CLOSED_RUN`` days)."""
        if self.always_open:
            return None
        start = self.next_open(t)
        day = self.local_date(start)
        interval = self._interval(day)
        if interval is None or interval[1] <= start:  # pragma: no cover - next_open guarantees
            raise AssertionError("next_open returned a closed instant")
        closes = interval[1]
        for _ in range(MAX_CLOSED_RUN):
            day += _DAY
            following = self._interval(day)
            if following is None or following[0] != closes:
                return closes
            closes = following[1]
        return None

    # -- arithmetic --

    def add(self, start: datetime, d: Duration) -> datetime:
        """The deadline of a step started at ``start`` with baku mutu ``d``.

        1. A start outside office hours first moves to the next opening (``next_open``); the
           closing instant itself counts as outside.
        2. ``d.days`` hari: the same wall-clock time on the ``d.days``-th following working day,
           clamped into that day's hours (before opening -> its opening; after closing -> its
           closing). Senin 10.00 + 1 hari = Selasa 10.00; Jumat 16.20 + 1 hari = Senin 16.00.
        3. ``d.minutes`` are then added as working time (``add_working``); a deadline may fall
           exactly on a closing instant (Kamis 15.50 + 10 menit = Kamis 16.00).

        A zero duration gives ``next_open(start)``. 24/7: plain addition, 1 hari = 24 hours.
        """
        start = _utc(start)
        if self.always_open:
            return start + timedelta(days=d.days, minutes=d.minutes)
        at = self.next_open(start)
        if d.days:
            local = self.local(at)
            target = self.working_day_after(local.date(), d.days)
            interval = self._interval(target)
            if interval is None:  # pragma: no cover - working_day_after returns working days
                raise AssertionError("working_day_after returned a closed day")
            wanted = datetime.combine(target, local.time(), tzinfo=self.zone).astimezone(UTC)
            at = min(max(wanted, interval[0]), interval[1])
        if d.minutes:
            at = self.add_working(at, timedelta(minutes=d.minutes))
        return at

    def add_working(self, start: datetime, delta: timedelta) -> datetime:
        """The instant after ``delta`` of working time from ``start`` (e.g. reminders every 30
        working minutes). The result may be a closing instant; ``delta == 0`` gives
        ``next_open(start)``."""
        if delta < timedelta(0):
            raise ValueError(f"working time cannot be negative: {delta}")
        start = _utc(start)
        if self.always_open:
            return start + delta
        remaining = delta
        for opens, closes in self._intervals_from(self.local_date(start)):
            if closes <= start:
                continue
            at = max(opens, start)
            if remaining <= closes - at:
                return at + remaining
            remaining -= closes - at
        raise AssertionError("unreachable: _intervals_from never ends")  # pragma: no cover

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time inside ``[a, b)``; zero when ``b <= a``."""
        a, b = _utc(a), _utc(b)
        if b <= a:
            return timedelta(0)
        if self.always_open:
            return b - a
        total = timedelta(0)
        day, last = self.local_date(a), self.local_date(b)
        while day <= last:
            interval = self._interval(day)
            if interval is not None:
                lo, hi = max(interval[0], a), min(interval[1], b)
                if hi > lo:
                    total += hi - lo
            day += _DAY
        return total

    # -- internals --

    def _interval(self, d: date) -> tuple[datetime, datetime] | None:
        """``d``'s office hours as UTC instants ``(opens, closes)``, or ``None`` when closed."""
        if d in self._intervals:
            return self._intervals[d]
        hours = self.hours_on(d)
        interval: tuple[datetime, datetime] | None = None
        if hours is not None:
            opens = datetime.combine(d, hours.start, tzinfo=self.zone).astimezone(UTC)
            end_day = d + _DAY if hours.end == _MIDNIGHT else d
            closes = datetime.combine(end_day, hours.end, tzinfo=self.zone).astimezone(UTC)
            # A DST jump can swallow a very short interval; then nothing is open that day.
            interval = (opens, closes) if closes > opens else None
        if len(self._intervals) > 4096:
            self._intervals.clear()
        self._intervals[d] = interval
        return interval

    def _intervals_from(self, d: date) -> Iterator[tuple[datetime, datetime]]:
        """Office-hour intervals of ``d`` and the days after, in order, without end; raises
        ``NoWorkingTimeError`` after ``MAX_CLOSED_RUN`` consecutive closed days."""
        closed_run = 0
        day = d
        while True:
            interval = self._interval(day)
            if interval is None:
                closed_run += 1
                if closed_run >= MAX_CLOSED_RUN:
                    raise self._no_working_time(d)
            else:
                closed_run = 0
                yield interval
            day += _DAY

    def _no_working_time(self, d: date) -> NoWorkingTimeError:
        return NoWorkingTimeError(
            f"kalender kantor tidak punya jam kerja selama {MAX_CLOSED_RUN} hari berturut-turut "
            f"setelah {format_date(d)}; periksa jam kerja, closed_dates dan working_dates"
        )
