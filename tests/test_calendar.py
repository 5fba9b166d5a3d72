"""The office calendar: working time, deadlines, settings and Indonesian formatting.

Holiday dates used here were printed from the installed ``holidays`` package (0.109):
2026-03-18 Cuti Bersama Hari Suci Nyepi, 03-19 Hari Suci Nyepi, 03-20 Cuti Bersama Idul Fitri,
03-21/22 Idul Fitri (a weekend), 03-23/24 Cuti Bersama Idul Fitri; 2026-12-24 Cuti Bersama Hari
Raya Natal, 12-25 Hari Raya Natal. 2026-11-16 is a Monday, 2026-11-20 a Friday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.office.calendar import (
    DEFAULT_HOURS,
    CalendarSettings,
    NoWorkingTimeError,
    OfficeHours,
    Weekday,
    WorkCalendar,
)
from bot.words.format import (
    format_date,
    format_date_local,
    format_lateness,
    format_local,
    format_time_local,
    format_working_duration,
    zone_abbreviation,
)
from sop.durations import Duration

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
AMS = ZoneInfo("Europe/Amsterdam")


def cal(**fields: Any) -> WorkCalendar:
    return WorkCalendar.from_settings(CalendarSettings.model_validate(fields))


def at(day: date, hour: int, minute: int = 0, zone: ZoneInfo = WIB) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)


def dur(text: str) -> Duration:
    return Duration.parse(text)


MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 11, 16) + timedelta(days=i) for i in range(7))
NEXT_MON = date(2026, 11, 23)
STD = WorkCalendar()


# --- deadlines ------------------------------------------------------------------------------------


def test_thursday_before_closing_plus_10_minutes_is_friday_morning() -> None:
    due = STD.add(at(THU, 15, 55), dur("10 menit"))
    assert due == at(FRI, 7, 35)
    assert due.tzinfo is UTC
    assert format_local(due, STD) == "Jumat, 20 Nov 2026 07.35 WIB"


def test_friday_afternoon_rolls_over_the_weekend() -> None:
    assert STD.add(at(FRI, 16, 25), dur("10 menit")) == at(NEXT_MON, 7, 35)


def test_minutes_may_end_exactly_at_closing() -> None:
    assert STD.add(at(THU, 15, 50), dur("10 menit")) == at(THU, 16)


def test_hours_span_several_days() -> None:
    # 8.5 h on Senin; 10 jam from Senin 07.30 is Selasa 09.00.
    assert STD.add(at(MON, 7, 30), dur("10 jam")) == at(TUE, 9)


def test_step_before_the_idul_fitri_holidays_is_due_after_them() -> None:
    due = STD.add(at(date(2026, 3, 17), 15, 50), dur("1 jam"))
    assert due == at(date(2026, 3, 25), 8, 20)
    for day in range(18, 25):
        assert not STD.is_working_day(date(2026, 3, day))


def test_cuti_bersama_is_closed_unless_national_holidays_are_off() -> None:
    christmas_eve = date(2026, 12, 24)  # a Thursday, cuti bersama ("government" category)
    assert not STD.is_working_day(christmas_eve)
    assert STD.holiday_name(christmas_eve) == "Cuti Bersama Hari Raya Natal"
    assert STD.add(at(date(2026, 12, 23), 15, 55), dur("10 menit")) == at(date(2026, 12, 28), 7, 35)

    own = cal(national_holidays=False)
    assert own.is_working_day(christmas_eve)
    assert own.holiday_name(christmas_eve) is None
    assert own.add(at(date(2026, 12, 23), 15, 55), dur("10 menit")) == at(christmas_eve, 7, 35)


def test_holiday_names_are_indonesian() -> None:
    assert STD.holiday_name(date(2026, 3, 21)) == "Hari Raya Idul Fitri"
    assert STD.holiday_name(date(2026, 8, 17)) == "Hari Kemerdekaan Republik Indonesia"
    assert STD.holiday_name(MON) is None


def test_wita_office_computes_in_its_own_wall_clock() -> None:
    makassar = cal(timezone="Asia/Makassar")
    assert makassar.zone == WITA
    assert makassar.zone_name == "WITA"
    start = at(THU, 15, 55, WITA)
    due = makassar.add(start, dur("10 menit"))
    assert due == at(FRI, 7, 35, WITA) == datetime(2026, 11, 19, 23, 35, tzinfo=UTC)
    assert format_local(due, makassar) == "Jumat, 20 Nov 2026 07.35 WITA"
    # 15.55 WIB is 16.55 WITA: the Makassar office is already closed.
    assert not makassar.is_open(at(THU, 15, 55, WIB))
    assert STD.is_open(at(THU, 15, 55, WIB))


def test_zone_names_of_indonesian_zones() -> None:
    assert cal(timezone="Asia/Jayapura").zone_name == "WIT"
    assert cal(timezone="Asia/Pontianak").zone_name == "WIB"
    assert cal(timezone="WITA").settings.timezone == "Asia/Makassar"
    assert STD.zone_name == "WIB"


def test_extra_working_saturday_uses_standard_hours_or_its_own() -> None:
    open_saturday = cal(working_dates=[SAT])
    assert open_saturday.hours_on(SAT) == (time(7, 30), time(16))
    assert open_saturday.add(at(FRI, 16, 25), dur("10 menit")) == at(SAT, 7, 35)

    short_saturday = cal(working_dates={SAT: "08.00-12.00"})
    assert short_saturday.add(at(FRI, 16, 25), dur("10 menit")) == at(SAT, 8, 5)
    assert short_saturday.add(at(SAT, 11, 55), dur("10 menit")) == at(NEXT_MON, 7, 35)


def test_extra_working_date_default_hours_follow_the_office_monday() -> None:
    office = cal(hours={"senin": "08.00-17.00"}, working_dates=["2026-11-22"])
    assert office.hours_on(SUN) == OfficeHours(time(8), time(17))


def test_extra_working_date_opens_a_holiday() -> None:
    office = cal(working_dates={"2026-12-25": "09.00-12.00"})
    assert office.hours_on(date(2026, 12, 25)) == (time(9), time(12))
    assert office.holiday_name(date(2026, 12, 25)) == "Hari Raya Natal"


def test_extra_closed_date() -> None:
    office = cal(closed_dates=[FRI])
    assert not office.is_working_day(FRI)
    assert office.closed_reason(FRI) == "libur kantor"
    assert office.add(at(THU, 15, 55), dur("10 menit")) == at(NEXT_MON, 7, 35)


def test_closed_reasons() -> None:
    assert STD.closed_reason(MON) is None
    assert STD.closed_reason(SAT) == "Sabtu bukan hari kerja"
    assert STD.closed_reason(date(2026, 3, 19)) == "Hari Suci Nyepi"


def test_always_open_is_plain_addition() -> None:
    office = cal(always_open=True)
    start = at(SAT, 23, 55)
    assert office.is_open(start)
    assert office.add(start, dur("10 menit")) == at(SUN, 0, 5)
    assert office.add(start, dur("2 hari 1 jam")) == start + timedelta(hours=49)
    assert office.add(at(date(2026, 12, 24), 3), dur("1 hari")) == at(date(2026, 12, 25), 3)
    assert office.working_time_between(start, start + timedelta(days=3)) == timedelta(days=3)
    assert office.next_open(start) == start
    assert office.next_close(start) is None
    assert office.hours_on(SUN) == OfficeHours(time(0), time(0))
    assert office.working_day_length(SUN) == timedelta(hours=24)
    assert office.nominal_day_length == timedelta(hours=24)
    assert office.next_working_day(FRI) == SAT


def test_always_open_hari_is_24_hours_across_a_dst_change() -> None:
    office = cal(timezone="Europe/Amsterdam", always_open=True)
    start = datetime(2026, 3, 28, 12, tzinfo=AMS)  # DST starts 2026-03-29 02.00
    assert office.add(start, dur("1 hari")) == start.astimezone(UTC) + timedelta(hours=24)
    assert office.add(start, dur("1 hari")) == datetime(2026, 3, 29, 13, tzinfo=AMS)


# --- hari -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (at(MON, 10), 1, at(TUE, 10)),
        (at(FRI, 10), 1, at(NEXT_MON, 10)),
        (at(THU, 10), 2, at(NEXT_MON, 10)),
        (at(MON, 10), 5, at(NEXT_MON, 10)),
        (at(MON, 7, 30), 1, at(TUE, 7, 30)),
        # Jumat runs until 16.30, Senin only until 16.00: clamped to Senin's closing.
        (at(FRI, 16, 20), 1, at(NEXT_MON, 16)),
        (at(THU, 15, 59), 1, at(FRI, 15, 59)),
        # Rabu 23 Des + 1 hari skips cuti bersama, Natal and the weekend.
        (at(date(2026, 12, 23), 10), 1, at(date(2026, 12, 28), 10)),
        # Selasa 17 Mar + 1 hari skips the whole Nyepi / Idul Fitri week.
        (at(date(2026, 3, 17), 9), 1, at(date(2026, 3, 25), 9)),
    ],
)
def test_hari_keeps_the_wall_clock_on_following_working_days(
    start: datetime, days: int, due: datetime
) -> None:
    assert STD.add(start, Duration(days=days)) == due


def test_hari_then_minutes() -> None:
    assert STD.add(at(MON, 10), dur("1 hari 30 menit")) == at(TUE, 10, 30)
    # Clamped to Senin 16.00, then 10 working minutes on Selasa.
    assert STD.add(at(FRI, 16, 20), dur("1 hari 10 menit")) == at(date(2026, 11, 24), 7, 40)


def test_hari_clamps_into_shorter_and_later_target_days() -> None:
    office = cal(working_dates={SAT: "08.00-12.00"})
    assert office.add(at(FRI, 7, 45), dur("1 hari")) == at(SAT, 8)
    assert office.add(at(FRI, 10, 15), dur("1 hari")) == at(SAT, 10, 15)
    assert office.add(at(FRI, 15), dur("1 hari")) == at(SAT, 12)


def test_hari_keeps_the_wall_clock_across_dst() -> None:
    office = cal(timezone="Europe/Amsterdam")
    start = datetime(2026, 3, 27, 15, tzinfo=AMS)  # Friday, CET (UTC+1)
    due = office.add(start, dur("1 hari"))
    assert due == datetime(2026, 3, 30, 15, tzinfo=AMS) == datetime(2026, 3, 30, 13, tzinfo=UTC)
    assert format_local(due, office) == "Senin, 30 Mar 2026 15.00 CEST"


# --- starts outside office hours ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "due"),
    [
        (at(MON, 6), "10 menit", at(MON, 7, 40)),
        (at(MON, 17), "10 menit", at(TUE, 7, 40)),
        (at(MON, 16), "10 menit", at(TUE, 7, 40)),
        (at(SUN, 10), "10 menit", at(NEXT_MON, 7, 40)),
        (at(SAT, 23, 59), "1 jam", at(NEXT_MON, 8, 30)),
        (at(SUN, 10), "1 hari", at(date(2026, 11, 24), 7, 30)),
        # Kamis 16.00 is closed: it moves to Jumat 07.30, and 1 hari later is Senin 07.30.
        (at(THU, 16), "1 hari", at(NEXT_MON, 7, 30)),
        (at(MON, 5), "1 hari", at(TUE, 7, 30)),
    ],
)
def test_start_outside_hours_moves_to_the_next_opening(
    start: datetime, duration: str, due: datetime
) -> None:
    assert STD.add(start, dur(duration)) == due


def test_zero_duration_is_the_next_opening() -> None:
    assert STD.add(at(SAT, 9), Duration()) == at(NEXT_MON, 7, 30)
    assert STD.add(at(MON, 9), Duration()) == at(MON, 9)
    assert STD.add_working(at(THU, 16), timedelta(0)) == at(FRI, 7, 30)


def test_inputs_in_any_zone_give_utc() -> None:
    start = at(THU, 15, 55).astimezone(ZoneInfo("America/New_York"))
    due = STD.add(start, dur("10 menit"))
    assert due.utcoffset() == timedelta(0)
    assert due == datetime(2026, 11, 20, 0, 35, tzinfo=UTC)


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 11, 19, 10)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="naive"):
        STD.add(naive, dur("10 menit"))
    with pytest.raises(ValueError, match="naive"):
        format_local(naive, STD)


# --- open, close ----------------------------------------------------------------------------------


def test_is_open_boundaries() -> None:
    assert not STD.is_open(at(MON, 7, 29))
    assert STD.is_open(at(MON, 7, 30))
    assert STD.is_open(at(MON, 15, 59))
    assert not STD.is_open(at(MON, 16))
    assert STD.is_open(at(FRI, 16, 15))
    assert not STD.is_open(at(SAT, 10))
    assert not STD.is_open(at(date(2026, 12, 24), 10))


def test_next_open_and_next_close() -> None:
    assert STD.next_open(at(MON, 10)) == at(MON, 10)
    assert STD.next_open(at(FRI, 17)) == at(NEXT_MON, 7, 30)
    assert STD.next_close(at(MON, 10)) == at(MON, 16)
    assert STD.next_close(at(FRI, 10)) == at(FRI, 16, 30)
    assert STD.next_close(at(SAT, 10)) == at(NEXT_MON, 16)


def test_next_close_joins_days_open_until_midnight() -> None:
    office = cal(working_dates={SAT: "08.00-24.00", SUN: "00.00-12.00"})
    assert office.hours_on(SAT) == (time(8), time(0))
    assert office.is_open(at(SUN, 0))
    assert office.next_close(at(SAT, 9)) == at(SUN, 12)
    assert office.add(at(SAT, 23, 55), dur("10 menit")) == at(SUN, 0, 5)


def test_working_day_helpers() -> None:
    assert STD.next_working_day(THU) == FRI
    assert STD.next_working_day(FRI) == NEXT_MON
    assert STD.next_working_day(date(2026, 3, 17)) == date(2026, 3, 25)
    assert STD.working_day_after(MON, 5) == NEXT_MON
    assert STD.working_day_length(MON) == timedelta(hours=8, minutes=30)
    assert STD.working_day_length(FRI) == timedelta(hours=9)
    assert STD.working_day_length(SAT) == timedelta(0)
    assert STD.nominal_day_length == timedelta(hours=8, minutes=30)
    with pytest.raises(ValueError, match="at least 1"):
        STD.working_day_after(MON, 0)


# --- working time between -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (at(MON, 10), at(MON, 11, 15), timedelta(hours=1, minutes=15)),
        (at(MON, 15), at(TUE, 9), timedelta(hours=2, minutes=30)),
        (at(FRI, 16), at(NEXT_MON, 8), timedelta(hours=1)),
        (at(SAT, 8), at(SUN, 20), timedelta(0)),
        (at(MON, 7, 30), at(NEXT_MON, 7, 30), timedelta(hours=4 * 8.5 + 9)),
        (at(date(2026, 3, 17), 15, 50), at(date(2026, 3, 25), 8, 20), timedelta(hours=1)),
        (at(MON, 11), at(MON, 10), timedelta(0)),
        (at(MON, 10), at(MON, 10), timedelta(0)),
    ],
)
def test_working_time_between(a: datetime, b: datetime, expected: timedelta) -> None:
    assert STD.working_time_between(a, b) == expected


def test_working_time_between_mixed_zones() -> None:
    a = at(MON, 10).astimezone(UTC)
    b = at(MON, 12, 0, WITA)  # 11.00 WIB
    assert STD.working_time_between(a, b) == timedelta(hours=1)


def test_add_working_for_reminder_intervals() -> None:
    assert STD.add_working(at(MON, 15, 45), timedelta(minutes=30)) == at(TUE, 7, 45)
    assert STD.add_working(at(MON, 10), timedelta(seconds=90)) == at(MON, 10) + timedelta(
        seconds=90
    )
    with pytest.raises(ValueError, match="negative"):
        STD.add_working(at(MON, 10), timedelta(minutes=-1))


# --- no working time ------------------------------------------------------------------------------


def test_settings_without_any_working_hours_are_refused() -> None:
    closed = dict.fromkeys(("senin", "selasa", "rabu", "kamis", "jumat"), "libur")
    with pytest.raises(ValidationError, match="tidak punya jam kerja sama sekali"):
        CalendarSettings.model_validate({"hours": closed})


def test_calendar_that_runs_out_of_working_days_raises_instead_of_looping() -> None:
    closed = dict.fromkeys(("senin", "selasa", "rabu", "kamis", "jumat"), None)
    office = cal(hours=closed, working_dates=["2026-01-10"])
    assert office.add(at(date(2026, 1, 9), 10), dur("10 menit")) == at(date(2026, 1, 10), 7, 40)
    later = at(date(2026, 2, 1), 10)
    with pytest.raises(NoWorkingTimeError, match="tidak punya jam kerja selama 366 hari"):
        office.add(later, dur("10 menit"))
    with pytest.raises(NoWorkingTimeError):
        office.next_open(later)
    with pytest.raises(NoWorkingTimeError):
        office.next_working_day(date(2026, 2, 1))
    with pytest.raises(NoWorkingTimeError):
        office.add(at(date(2026, 1, 9), 10), dur("1 hari 10 menit"))
    assert office.working_time_between(later, later + timedelta(days=30)) == timedelta(0)


# --- properties -----------------------------------------------------------------------------------

CALENDARS = [
    STD,
    cal(
        timezone="Asia/Makassar",
        hours={"sabtu": "08.00-12.00", "rabu": "10:00-14:30"},
        working_dates={"2026-03-22": "09.00-24.00", "2026-03-23": "00.00-10.00"},
        closed_dates=["2026-03-25", "2026-11-20"],
    ),
    cal(timezone="Europe/Amsterdam", national_holidays=False),
    cal(always_open=True),
]
instants = st.datetimes(
    min_value=datetime(2025, 12, 1),  # noqa: DTZ001 - bounds for hypothesis, made aware below
    max_value=datetime(2027, 1, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
calendars = st.sampled_from(CALENDARS)
durations = st.builds(Duration, days=st.integers(0, 15), minutes=st.integers(0, 3000)) | st.builds(
    Duration, minutes=st.integers(0, 600)
)


@settings(max_examples=300, deadline=None)
@given(calendars, instants, st.integers(0, 10_000))
def test_working_time_to_deadline_is_the_baku_mutu(
    office: WorkCalendar, start: datetime, minutes: int
) -> None:
    due = office.add(start, Duration(minutes=minutes))
    assert office.working_time_between(start, due) == timedelta(minutes=minutes)
    assert due >= start


@settings(max_examples=300, deadline=None)
@given(calendars, instants, st.timedeltas(timedelta(0), timedelta(days=20)))
def test_add_working_inverts_working_time_between(
    office: WorkCalendar, start: datetime, delta: timedelta
) -> None:
    assert office.working_time_between(start, office.add_working(start, delta)) == delta


@settings(max_examples=300, deadline=None)
@given(calendars, instants, instants, durations)
def test_add_is_monotonic_in_start(
    office: WorkCalendar, first: datetime, second: datetime, d: Duration
) -> None:
    early, late = sorted((first, second))
    assert office.add(early, d) <= office.add(late, d)


@settings(max_examples=300, deadline=None)
@given(calendars, instants, durations)
def test_deadline_is_a_working_instant_or_a_closing(
    office: WorkCalendar, start: datetime, d: Duration
) -> None:
    due = office.add(start, d)
    assert due.tzinfo is UTC
    just_before = due - timedelta(microseconds=1)
    assert office.is_open(due) or (office.is_open(just_before) and not d.is_zero)


@settings(max_examples=300, deadline=None)
@given(calendars, instants)
def test_next_open_is_open_and_skips_no_working_time(office: WorkCalendar, t: datetime) -> None:
    opened = office.next_open(t)
    assert office.is_open(opened)
    assert office.working_time_between(t, opened) == timedelta(0)
    closes = office.next_close(t)
    if closes is not None:
        assert closes > opened
        assert not office.is_open(closes)
        assert office.working_time_between(opened, closes) == closes - opened


@settings(max_examples=200, deadline=None)
@given(calendars, instants, st.integers(1, 10))
def test_hari_lands_on_the_nth_following_working_day(
    office: WorkCalendar, start: datetime, days: int
) -> None:
    due = office.add(start, Duration(days=days))
    opened = office.local_date(office.next_open(start))
    if office.always_open:
        # Every hour counts: n hari later at the same wall-clock time (a start at midnight ends
        # at the midnight n days on, which is that date's, not the evening before).
        assert office.local_date(due) == opened + timedelta(days=days)
        return
    # A due time clamped to 24.00 is the next date's midnight.
    assert office.local_date(due - timedelta(microseconds=1)) == office.working_day_after(
        opened, days
    )


# --- settings -------------------------------------------------------------------------------------


def test_default_settings() -> None:
    s = CalendarSettings()
    assert s.timezone == "Asia/Jakarta"
    assert s.hours == dict(DEFAULT_HOURS)
    assert s.hours[Weekday.JUMAT] == (time(7, 30), time(16, 30))
    assert s.hours[Weekday.SABTU] is None
    assert s.national_holidays
    assert not s.always_open


def test_hours_override_only_the_days_named() -> None:
    s = CalendarSettings.model_validate(
        {"hours": {"Sabtu": "08:00-12:00", "jum'at": "libur", "Monday": "7.30 - 15.00"}}
    )
    assert s.hours[Weekday.SABTU] == (time(8), time(12))
    assert s.hours[Weekday.JUMAT] is None
    assert s.hours[Weekday.SENIN] == (time(7, 30), time(15))
    assert s.hours[Weekday.SELASA] == DEFAULT_HOURS[Weekday.SELASA]
    assert s.hours[Weekday.MINGGU] is None


@pytest.mark.parametrize(
    "text", ["07.30-16.00", "07:30-16:00", "7.30 - 16.00", "07.30–16.00", "07.30 s.d. 16.00"]
)
def test_hour_formats(text: str) -> None:
    assert OfficeHours.parse(text) == (time(7, 30), time(16))
    assert str(OfficeHours.parse(text)) == "07.30-16.00"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"hours": {"senin": "07.30-25.00"}}, "jam kerja '07.30-25.00' tidak valid"),
        ({"hours": {"senin": "16.00-07.30"}}, "jam selesai harus sesudah jam mulai"),
        ({"hours": {"senin": "pagi"}}, "jam kerja 'pagi' tidak valid"),
        ({"hours": {"senen": "07.30-16.00"}}, "nama hari 'senen' tidak dikenal"),
        ({"hours": {"jumat": None, "Jumat": "libur"}}, "Jumat ditulis dua kali"),
        ({"hours": ["senin"]}, "jam kerja harus berupa daftar hari"),
        ({"timezone": "Asia/Jakrta"}, "zona waktu 'Asia/Jakrta' tidak dikenal"),
        ({"closed_dates": ["2026-02-30"]}, "tanggal '2026-02-30' tidak ada di kalender"),
        ({"closed_dates": ["besok"]}, "tanggal 'besok' tidak valid"),
        ({"working_dates": {"2026-11-21": "libur"}}, "pakai closed_dates"),
        (
            {"closed_dates": ["2026-11-21"], "working_dates": ["21-11-2026"]},
            "tanggal 21 Nov 2026 ada di closed_dates dan juga di working_dates",
        ),
        ({"holidays": True}, "holidays"),
    ],
)
def test_bad_settings_say_what_is_wrong(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        CalendarSettings.model_validate(fields)


def test_dates_in_iso_or_indonesian_order_and_booleans_in_indonesian() -> None:
    s = CalendarSettings.model_validate(
        {
            "closed_dates": ["20-11-2026", date(2026, 11, 19), "2026-11-20"],
            "working_dates": {"21/11/2026": "08.00-12.00", date(2026, 11, 22): None},
            "national_holidays": "tidak",
            "always_open": "ya",
        }
    )
    assert s.closed_dates == [THU, FRI]
    assert s.working_dates == {SAT: OfficeHours(time(8), time(12)), SUN: None}
    assert not s.national_holidays
    assert s.always_open


def test_settings_round_trip_through_plain_data() -> None:
    s = CalendarSettings.model_validate(
        {
            "timezone": "WITA",
            "hours": {"sabtu": "08.00-12.00", "jumat": None},
            "working_dates": {"2026-11-22": "09.00-24.00", "2026-11-29": None},
            "closed_dates": ["2026-11-19"],
        }
    )
    data = s.model_dump(mode="json")
    assert data["timezone"] == "Asia/Makassar"
    assert data["hours"] == {
        "senin": "07.30-16.00",
        "selasa": "07.30-16.00",
        "rabu": "07.30-16.00",
        "kamis": "07.30-16.00",
        "jumat": None,
        "sabtu": "08.00-12.00",
        "minggu": None,
    }
    assert data["working_dates"] == {"2026-11-22": "09.00-24.00", "2026-11-29": None}
    assert data["closed_dates"] == ["2026-11-19"]
    assert CalendarSettings.model_validate(data) == s


def test_weekday_names() -> None:
    assert Weekday.parse("Ahad") is Weekday.MINGGU
    assert Weekday.parse(" JUMAT ") is Weekday.JUMAT
    assert [day.label for day in Weekday] == [
        "Senin",
        "Selasa",
        "Rabu",
        "Kamis",
        "Jumat",
        "Sabtu",
        "Minggu",
    ]
    with pytest.raises(ValueError, match="tidak dikenal"):
        Weekday.parse(1)


# --- formatting -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (MON, "Senin"),
        (TUE, "Selasa"),
        (WED, "Rabu"),
        (THU, "Kamis"),
        (FRI, "Jumat"),
        (SAT, "Sabtu"),
        (SUN, "Minggu"),
    ],
)
def test_every_day_name(day: date, name: str) -> None:
    assert format_local(at(day, 7, 5), STD) == f"{name}, {day.day} Nov 2026 07.05 WIB"
    assert format_date(day, weekday=True) == f"{name}, {day.day} Nov 2026"


@pytest.mark.parametrize(
    ("month", "abbreviation"),
    list(
        enumerate(
            ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"],
            start=1,
        )
    ),
)
def test_every_month(month: int, abbreviation: str) -> None:
    t = at(date(2026, month, 5), 13, 45)
    assert format_date_local(t, STD) == f"5 {abbreviation} 2026"
    assert format_date(date(2026, month, 28)) == f"28 {abbreviation} 2026"


def test_formatting_converts_to_the_office_zone() -> None:
    t = datetime(2026, 11, 20, 0, 35, tzinfo=UTC)
    assert format_local(t, STD) == "Jumat, 20 Nov 2026 07.35 WIB"
    assert format_local(t, "Asia/Makassar") == "Jumat, 20 Nov 2026 08.35 WITA"
    assert format_local(t, ZoneInfo("Asia/Jayapura")) == "Jumat, 20 Nov 2026 09.35 WIT"
    assert format_time_local(t, "WITA") == "08.35 WITA"
    assert format_date_local(datetime(2026, 11, 19, 17, tzinfo=UTC), STD) == "20 Nov 2026"
    assert format_time_local(t + timedelta(seconds=59), STD) == "07.35 WIB"


def test_zone_abbreviations_outside_indonesia() -> None:
    summer = datetime(2026, 7, 1, tzinfo=UTC)
    winter = datetime(2026, 1, 1, tzinfo=UTC)
    assert zone_abbreviation(AMS, summer) == "CEST"
    assert zone_abbreviation(AMS, winter) == "CET"
    assert zone_abbreviation(ZoneInfo("UTC"), summer) == "UTC"
    assert zone_abbreviation(ZoneInfo("Asia/Kathmandu"), summer) == "UTC+5.45"
    assert zone_abbreviation(ZoneInfo("America/Sao_Paulo"), summer) == "UTC-3"
    assert cal(timezone="Europe/Amsterdam").zone_name == "Europe/Amsterdam"


@pytest.mark.parametrize(
    ("span", "day_length", "text"),
    [
        (timedelta(0), None, "0 menit"),
        (timedelta(seconds=20), None, "kurang dari 1 menit"),
        (timedelta(seconds=40), None, "1 menit"),
        (timedelta(minutes=35), None, "35 menit"),
        (timedelta(hours=1), None, "1 jam"),
        (timedelta(hours=2, minutes=5), None, "2 jam 5 menit"),
        (timedelta(hours=30), None, "30 jam"),
        (timedelta(hours=8, minutes=30), timedelta(hours=8, minutes=30), "1 hari"),
        # One way to write a duration everywhere: every unit that is not zero is shown.
        (timedelta(hours=11, minutes=31), timedelta(hours=8, minutes=30), "1 hari 3 jam 1 menit"),
        (timedelta(hours=8, minutes=35), timedelta(hours=8, minutes=30), "1 hari 5 menit"),
        (timedelta(hours=51), timedelta(hours=24), "2 hari 3 jam"),
        (timedelta(hours=2), timedelta(hours=8, minutes=30), "2 jam"),
    ],
)
def test_format_working_duration(span: timedelta, day_length: timedelta | None, text: str) -> None:
    assert format_working_duration(span, day_length) == text


def test_format_lateness_rounds_up() -> None:
    assert format_lateness(timedelta(seconds=1)) == "1 menit"
    assert format_lateness(timedelta(hours=2, minutes=4, seconds=1)) == "2 jam 5 menit"
    assert format_lateness(timedelta(0)) == "0 menit"
    day = STD.nominal_day_length
    assert format_lateness(timedelta(hours=12), day) == "1 hari 3 jam 30 menit"
    with pytest.raises(ValueError, match="negative"):
        format_lateness(timedelta(minutes=-1))
    with pytest.raises(ValueError, match="negative"):
        format_working_duration(timedelta(minutes=-1))


def test_late_step_reads_naturally() -> None:
    due = STD.add(at(THU, 15, 55), dur("10 menit"))
    done = at(FRI, 9, 40)
    late = STD.working_time_between(due, done)
    assert f"terlambat {format_lateness(late, STD.nominal_day_length)}" == "terlambat 2 jam 5 menit"
