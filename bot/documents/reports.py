"""The evaluation figures of an office's SOP work: what the yearly SOP review needs.

For an office and a period, per SOP: processes started / finished / cancelled / running, the working
time of finished processes (median, P90) against the SOP's normal time; per step, the working time
taken (median, P90, max) against its baku mutu, the share done within it, and how often it was sent
back; per role, the steps open and late now. ``build_report`` reads the rows (``storage.reports``)
and ``compute_report`` turns them into a ``Report``; everything after the read is pure. The report
in words (the summary, the note on how it is counted) is ``bot.words.reports``.

Rules (stated once here, and in the report's own notes for people):

* The period is a range of office-local dates, both ends inclusive. A report covers the processes
  **started** in it (a cohort) and follows each of them to ``now``: a process started in the period
  and finished after it counts as finished, with all its step runs.
* Working time counts office hours only, on the office calendar (``calendar_for(office)``): nights,
  weekends, national holidays and cuti bersama do not count. The working time of a step run is
  ``working_time_between(started_at, done_at or now)``; of a finished process,
  ``working_time_between(started_at, ended_at)``.
* A baku mutu in working time: its minutes as working minutes, each ``hari`` as
  ``calendar.nominal_day_length`` (8 jam 30 menit for the standard hours). The chart and the
  median-against-baku-mutu comparisons use that. Whether one run was on time uses the deadline the
  bot computed when the step began (``due_at``): within = ``done_at <= due_at``; late = done after
  ``due_at``, or still open with ``due_at < now``.
* Steps whose SOP states no waktu have no deadline: their baku mutu shows as "—" and they are left
  out of every within/late share.
* A run closed with a negative choice of its step (Ada koreksi, Tidak Setuju) is "sent back". A run
  closed because the process was cancelled under it (``batal``) is neither answered nor timed.
* Times are taken from answered runs only (open and cancelled runs are counted apart).
* The per-role "now" figures (steps open, and late, at ``now``) cover every running process of
  the office, whenever it started; the per-role answered counts cover the cohort.
* Median: the middle value, the mean of the two middle values for an even count. P90: the
  nearest-rank 90th percentile, the smallest observed value with at least 90% of the values at or
  below it (``sorted[ceil(0.9 n) - 1]``), so it is always a time that really happened.
* Step names, kinds and baku mutu come from the SOP version each process started with (never
  today's file); when the cohort holds several versions of one SOP, a step is labelled as the
  newest of them states it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Literal, Protocol, get_args
from zoneinfo import ZoneInfo

from bot.office.calendar import WorkCalendar, resolve_zone
from bot.office.settings import calendar_for
from bot.words.format import short_kegiatan
from sop.durations import Duration
from sop.loader import definition_from_json, load_catalog
from sop.models import Kind, SopDefinition, Step
from storage.db import Database
from storage.processes import ProcessRow, StepRun
from storage.reports import ReportQueries, ReportRows

CANCELLED_OUTCOME = "batal"

PeriodKind = Literal["bulan_ini", "3_bulan", "semester", "tahun"]
PERIOD_KINDS: tuple[PeriodKind, ...] = get_args(PeriodKind)
"""The periods a report is asked for (``period``); their button labels are
``bot.words.reports.PERIOD_LABELS``."""


class RoleLabels(Protocol):
    """Anything that names a role for people (``sop.models.RoleBook``)."""

    def label(self, key: str) -> str: ...


class UnknownOffice(LookupError):
    """No office has that code."""


# --- statistics -----------------------------------------------------------------------------------


def median(values: Sequence[timedelta]) -> timedelta:
    """The middle value; the mean of the two middle values for an even count."""
    if not values:
        raise ValueError("median of no values")
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def percentile(values: Sequence[timedelta], pct: int) -> timedelta:
    """Nearest-rank percentile: the smallest value with at least ``pct``% of values at or below."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 < pct <= 100:
        raise ValueError(f"percentile must be in (0, 100], not {pct}")
    ordered = sorted(values)
    rank = -(-pct * len(ordered) // 100)  # ceil without floats
    return ordered[rank - 1]


@dataclass(frozen=True)
class Spread:
    """Median, P90 and maximum of a set of working times; all None when the set is empty."""

    count: int
    median: timedelta | None
    p90: timedelta | None
    maximum: timedelta | None

    @classmethod
    def of(cls, values: Sequence[timedelta]) -> Spread:
        if not values:
            return cls(0, None, None, None)
        return cls(len(values), median(values), percentile(values, 90), max(values))


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepFigures:
    """One step of one SOP over the runs of the cohort."""

    number: int
    kegiatan: str
    short: str
    role: str
    role_label: str
    kind: Kind
    baku_mutu: Duration | None
    baku_mutu_working: timedelta | None
    negative_labels: tuple[str, ...]
    runs: int
    """Entries into the step (a step sent back to is entered again)."""
    answered: int
    """Runs closed with one of the step's choices."""
    open: int
    cancelled: int
    """Runs closed because the process was cancelled under them."""
    time: Spread
    """Working time of the answered runs."""
    with_deadline: int
    """Answered runs that had a deadline (the SOP states a waktu)."""
    within: int
    late_done: int
    late_open: int
    """Runs open now and past their deadline."""
    sent_back: int

    @property
    def within_share(self) -> float | None:
        return share(self.within, self.with_deadline)

    @property
    def sent_back_share(self) -> float | None:
        return share(self.sent_back, self.answered)

    @property
    def late(self) -> int:
        return self.late_done + self.late_open

    @property
    def over_baku_mutu(self) -> bool:
        """Whether the median working time exceeds the baku mutu."""
        return (
            self.baku_mutu_working is not None
            and self.time.median is not None
            and self.time.median > self.baku_mutu_working
        )


@dataclass(frozen=True)
class SopFigures:
    code: str
    name: str
    nomor: str
    versions: int
    started: int
    finished: int
    cancelled: int
    running: int
    total: Spread
    """Working time of the finished processes, start to end."""
    normal_time: Duration
    normal_working: timedelta
    steps_without_time: int
    steps: tuple[StepFigures, ...]

    @property
    def with_deadline(self) -> int:
        return sum(s.with_deadline for s in self.steps)

    @property
    def within(self) -> int:
        return sum(s.within for s in self.steps)

    @property
    def within_share(self) -> float | None:
        return share(self.within, self.with_deadline)

    @property
    def late(self) -> int:
        return sum(s.late for s in self.steps)

    @property
    def sent_back(self) -> int:
        return sum(s.sent_back for s in self.steps)


@dataclass(frozen=True)
class RoleFigures:
    role: str
    label: str
    open_now: int
    """Open step runs of the role now, in any running process of the office."""
    late_now: int
    """Of those, the ones past their deadline."""
    answered: int
    """Runs of the cohort the role answered."""
    late_done: int
    """Of those, the ones done after their deadline."""


@dataclass(frozen=True)
class ProcessFigures:
    id: int
    sop_code: str
    title: str
    starter: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    working_time: timedelta
    """Start to end (or to now while running), in working time."""
    normal_working: timedelta
    current_step: int | None
    current_role: str | None
    late_steps: int
    sent_back: int
    end_note: str | None


@dataclass(frozen=True)
class Report:
    office_code: str
    office_name: str
    zone: ZoneInfo
    zone_name: str
    day_length: timedelta
    """What one ``hari`` is in working time (``WorkCalendar.nominal_day_length``)."""
    start: date
    end: date
    """Inclusive."""
    now: datetime
    sops: tuple[SopFigures, ...]
    roles: tuple[RoleFigures, ...]
    processes: tuple[ProcessFigures, ...]

    def sop(self, code: str) -> SopFigures | None:
        return next((s for s in self.sops if s.code == code), None)

    @property
    def is_empty(self) -> bool:
        return not self.processes


# --- periods --------------------------------------------------------------------------------------


def period(kind: PeriodKind, now: datetime, zone: ZoneInfo | str) -> tuple[date, date]:
    """The office-local dates ``(first, last)``, both inclusive, of a period ending today.

    Every period runs up to and including today (the office-local date of ``now``):

    * ``bulan_ini``: from the 1st of the current month;
    * ``3_bulan``: from the 1st of the month two months back (the current month and the two
      before it: on 10 Mar, 1 Jan to 10 Mar);
    * ``semester``: from 1 Jan or 1 Jul, whichever half-year today is in;
    * ``tahun``: from 1 Jan of the current year.
    """
    tz = zone if isinstance(zone, ZoneInfo) else resolve_zone(zone)
    today = now.astimezone(tz).date()
    match kind:
        case "bulan_ini":
            first = today.replace(day=1)
        case "3_bulan":
            months = today.year * 12 + today.month - 1 - 2
            first = date(months // 12, months % 12 + 1, 1)
        case "semester":
            first = date(today.year, 1 if today.month <= 6 else 7, 1)
        case "tahun":
            first = date(today.year, 1, 1)
        case _:
            raise ValueError(f"periode {kind!r} tidak dikenal")
    return first, today


def period_bounds(start: date, end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants ``[start 00.00, day after end 00.00)`` of an inclusive local date range."""
    if end < start:
        raise ValueError("tanggal akhir periode sebelum tanggal awalnya")
    lo = datetime.combine(start, time(0), tzinfo=zone)
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone)
    return lo, hi


# --- computing ------------------------------------------------------------------------------------


def baku_mutu_working(waktu: Duration, day_length: timedelta) -> timedelta:
    """A baku mutu in working time: minutes as working minutes, each hari as ``day_length``."""
    return waktu.days * day_length + timedelta(minutes=waktu.minutes)


def _is_late(run: StepRun, now: datetime) -> bool:
    if run.due_at is None:
        return False
    if run.done_at is None:
        return run.due_at < now
    return run.outcome != CANCELLED_OUTCOME and run.done_at > run.due_at


def _is_sent_back(run: StepRun, step: Step | None) -> bool:
    if step is None or run.outcome is None:
        return False
    choice = step.choice(run.outcome)
    return choice is not None and not choice.positive


@dataclass
class _StepTally:
    runs: int = 0
    answered: int = 0
    open: int = 0
    cancelled: int = 0
    with_deadline: int = 0
    within: int = 0
    late_done: int = 0
    late_open: int = 0
    sent_back: int = 0
    times: list[timedelta] = field(default_factory=list)


def _count_run(
    tally: _StepTally, run: StepRun, step: Step | None, cal: WorkCalendar, now: datetime
) -> None:
    tally.runs += 1
    if run.done_at is None:
        tally.open += 1
        tally.late_open += _is_late(run, now)
        return
    if run.outcome == CANCELLED_OUTCOME:
        tally.cancelled += 1
        return
    tally.answered += 1
    tally.times.append(cal.working_time_between(run.started_at, run.done_at))
    if run.due_at is not None:
        tally.with_deadline += 1
        if run.done_at <= run.due_at:
            tally.within += 1
        else:
            tally.late_done += 1
    tally.sent_back += _is_sent_back(run, step)


def _sop_figures(
    code: str,
    processes: Sequence[ProcessRow],
    runs_by_process: Mapping[int, Sequence[StepRun]],
    definitions: Mapping[str, SopDefinition],
    cal: WorkCalendar,
    roles: RoleLabels,
    now: datetime,
) -> SopFigures:
    newest = definitions[processes[-1].sop_version]
    used = [definitions[v] for v in dict.fromkeys(p.sop_version for p in processes)]
    # A step as the newest version that has it states it.
    steps: dict[int, Step] = {}
    for defn in used:
        steps.update(defn.by_number)
    steps.update(newest.by_number)
    tallies: dict[int, _StepTally] = {n: _StepTally() for n in steps}
    for process in processes:
        defn = definitions[process.sop_version]
        for run in runs_by_process.get(process.id, ()):
            tally = tallies.setdefault(run.step, _StepTally())
            _count_run(tally, run, defn.by_number.get(run.step), cal, now)
    day = cal.nominal_day_length
    figures = []
    for number in sorted(tallies):
        t = tallies[number]
        step = steps.get(number)
        waktu = step.waktu if step else None
        figures.append(
            StepFigures(
                number=number,
                kegiatan=step.kegiatan if step else f"Langkah {number}",
                short=short_kegiatan(step.kegiatan) if step else f"Langkah {number}",
                role=step.pelaksana if step else "",
                role_label=roles.label(step.pelaksana) if step else "",
                kind=step.kind if step else Kind.TUGAS,
                baku_mutu=waktu,
                baku_mutu_working=baku_mutu_working(waktu, day) if waktu else None,
                negative_labels=tuple(c.label for c in step.effective_choices if not c.positive)
                if step
                else (),
                runs=t.runs,
                answered=t.answered,
                open=t.open,
                cancelled=t.cancelled,
                time=Spread.of(t.times),
                with_deadline=t.with_deadline,
                within=t.within,
                late_done=t.late_done,
                late_open=t.late_open,
                sent_back=t.sent_back,
            )
        )
    totals = [
        cal.working_time_between(p.started_at, p.ended_at)
        for p in processes
        if p.status == "finished" and p.ended_at is not None
    ]
    return SopFigures(
        code=code,
        name=newest.header.nama,
        nomor=newest.header.nomor,
        versions=len(used),
        started=len(processes),
        finished=sum(p.status == "finished" for p in processes),
        cancelled=sum(p.status == "cancelled" for p in processes),
        running=sum(p.status == "running" for p in processes),
        total=Spread.of(totals),
        normal_time=newest.normal_time,
        normal_working=baku_mutu_working(newest.normal_time, day),
        steps_without_time=newest.steps_without_time,
        steps=tuple(figures),
    )


def _process_figures(
    process: ProcessRow,
    runs: Sequence[StepRun],
    defn: SopDefinition,
    cal: WorkCalendar,
    roles: RoleLabels,
    names: Mapping[int, str],
    now: datetime,
) -> ProcessFigures:
    end = process.ended_at if process.ended_at is not None else now
    current = next((r for r in runs if r.done_at is None), None)
    return ProcessFigures(
        id=process.id,
        sop_code=process.sop_code,
        title=process.title,
        starter=names.get(process.started_by, f"pengguna #{process.started_by}"),
        status=process.status,
        started_at=process.started_at,
        ended_at=process.ended_at,
        working_time=cal.working_time_between(process.started_at, end),
        normal_working=baku_mutu_working(defn.normal_time, cal.nominal_day_length),
        current_step=process.current_step if process.status == "running" else None,
        current_role=roles.label(current.role) if current is not None else None,
        late_steps=sum(_is_late(r, now) for r in runs),
        sent_back=sum(_is_sent_back(r, defn.by_number.get(r.step)) for r in runs),
        end_note=process.end_note,
    )


def _role_figures(
    runs: Iterable[StepRun], open_runs: Iterable[StepRun], roles: RoleLabels, now: datetime
) -> tuple[RoleFigures, ...]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for run in open_runs:
        c = counts[run.role]
        c[0] += 1
        c[1] += _is_late(run, now)
    for run in runs:
        if run.done_at is None or run.outcome == CANCELLED_OUTCOME:
            continue
        c = counts[run.role]
        c[2] += 1
        c[3] += _is_late(run, now)
    found = [
        RoleFigures(role, roles.label(role), c[0], c[1], c[2], c[3]) for role, c in counts.items()
    ]
    return tuple(sorted(found, key=lambda r: (-r.late_now, -r.open_now, r.label.lower())))


def compute_report(
    rows: ReportRows,
    definitions: Mapping[str, SopDefinition],
    cal: WorkCalendar,
    start: date,
    end: date,
    now: datetime,
    roles: RoleLabels,
) -> Report:
    """The figures of ``rows`` (see ``ReportRows``); ``definitions`` maps each SOP version of the
    cohort to its definition."""
    runs_by_process: dict[int, list[StepRun]] = defaultdict(list)
    for run in rows.runs:
        runs_by_process[run.process_id].append(run)
    by_code: dict[str, list[ProcessRow]] = defaultdict(list)
    for process in sorted(rows.processes, key=lambda p: (p.started_at, p.id)):
        by_code[process.sop_code].append(process)
    sops = tuple(
        _sop_figures(code, by_code[code], runs_by_process, definitions, cal, roles, now)
        for code in sorted(by_code)
    )
    processes = tuple(
        _process_figures(
            p,
            runs_by_process.get(p.id, []),
            definitions[p.sop_version],
            cal,
            roles,
            rows.names,
            now,
        )
        for p in sorted(rows.processes, key=lambda p: p.id)
    )
    return Report(
        office_code=rows.office.code,
        office_name=rows.office.name,
        zone=cal.zone,
        zone_name=cal.zone_name,
        day_length=cal.nominal_day_length,
        start=start,
        end=end,
        now=now,
        sops=sops,
        roles=_role_figures(rows.runs, rows.open_runs, roles, now),
        processes=processes,
    )


@cache
def builtin_roles() -> RoleLabels:
    """The role book of the built-in SOP files."""
    return load_catalog().roles


async def build_report(
    db: Database,
    office_code: str,
    start: date,
    end: date,
    now: datetime,
    *,
    roles: RoleLabels | None = None,
) -> Report:
    """Read and compute the report of an office for processes started from ``start`` to ``end``
    (office-local dates, inclusive). Raises ``UnknownOffice`` and, when ``end < start``,
    ``ValueError``."""
    if end < start:
        raise ValueError("tanggal akhir periode sebelum tanggal awalnya")
    async with db.read() as tx:
        queries = ReportQueries(tx.conn)
        office = await queries.office_by_code(office_code)
        if office is None:
            raise UnknownOffice(office_code)
        cal = calendar_for(office)
        lo, hi = period_bounds(start, end, cal.zone)
        rows = await queries.report_rows(office, lo, hi)
    definitions = {
        version: definition_from_json(content, f"SOP versi {version[:12]}")
        for version, content in rows.versions.items()
    }
    return compute_report(rows, definitions, cal, start, end, now, roles or builtin_roles())
