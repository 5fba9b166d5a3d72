"""A report as files: a spreadsheet (XLSX) for people and a CSV for other tools.

XLSX (``report_xlsx``): sheets "Ringkasan" (one row per SOP, then how the figures are counted),
"Langkah" (one row per SOP step), "Proses" (one row per process) and "Jabatan" (one row per role).
Headers are Indonesian, in row 1, frozen (in "Langkah" the SOP code and step number columns too, in
"Proses" the process number). Working times are real spreadsheet durations (fractions of a day with
the ``[h]:mm`` number format: hours of working time, so cells can be summed and compared; a
``hari`` of baku mutu is written as the office's nominal working day, e.g. 8:30). Local times are
naive spreadsheet dates in the office's zone, named in the header (``Mulai (WIB)``). Texts are whole:
a step's kegiatan is the form's own, never cut (the cell wraps).

CSV (``report_csv``): one long-format ("tidy") file holding every view, one figure per row:
``Bagian, Kode SOP, Langkah, Jabatan, No. proses, Ukuran, Nilai, Satuan, Nilai (menit kerja)``
(the first six name a figure uniquely). One file, so a single download carries the whole report,
and a pivot table rebuilds any view. A working time is written in ``Nilai`` as the bot writes every
duration (``1 hari 2 jam``, one hari being the office's nominal working day; ``Satuan`` = ``waktu
kerja``) and again in ``Nilai (menit kerja)`` as whole minutes, the number to sum and compare; that
column is empty for every other figure. Shares are whole percents, so no decimal separator is needed
whatever the reader's locale. Encoded UTF-8 with a BOM (Excel then reads the accents right),
comma-separated, CRLF line ends (RFC 4180). For Excel, prefer the XLSX.

openpyxl is imported when a workbook is made, not when the bot starts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.documents.reports import Report, SopFigures, StepFigures
from bot.words.format import (
    KIND_LABEL,
    format_dates,
    format_local,
    format_working_duration,
    status_label,
    waktu_text,
)
from bot.words.reports import method_note

if TYPE_CHECKING:
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.worksheet import Worksheet

DURATION_FORMAT = "[h]:mm"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
PERCENT_FORMAT = "0%"
SHEETS = ("Ringkasan", "Langkah", "Proses", "Jabatan")

CSV_HEADER = (
    "Bagian",
    "Kode SOP",
    "Langkah",
    "Jabatan",
    "No. proses",
    "Ukuran",
    "Nilai",
    "Satuan",
    "Nilai (menit kerja)",
)
WORKING = "waktu kerja"
"""The ``Satuan`` of a working time: its ``Nilai`` in words, its minutes in the last column."""


# --- CSV ------------------------------------------------------------------------------------------


def _minutes(td: timedelta) -> int:
    """Whole minutes, rounded as ``format_working_duration`` rounds them."""
    return int((td + timedelta(seconds=30)) // timedelta(minutes=1))


def _whole(text: str) -> str:
    """A text of the SOP whole, on one line: a file keeps what the form says, never cut."""
    return " ".join(text.split())


def _percent(value: float | None) -> int | None:
    return None if value is None else round(value * 100)


def _local_text(report: Report, t: datetime | None) -> str:
    return "" if t is None else t.astimezone(report.zone).strftime("%Y-%m-%d %H:%M")


Row = tuple[str, str, str, str, str, str, object, str, int | None]


def _csv_rows(report: Report) -> Iterator[Row]:
    def row(
        part: str,
        measure: str,
        value: object,
        unit: str = "",
        *,
        sop: str = "",
        step: str = "",
        role: str = "",
        process: str = "",
        day: timedelta | None = report.day_length,
    ) -> Row:
        if isinstance(value, timedelta):
            words = format_working_duration(value, day)
            return (part, sop, step, role, process, measure, words, unit, _minutes(value))
        return (part, sop, step, role, process, measure, value, unit, None)

    yield row("Laporan", "Kantor", report.office_name)
    yield row("Laporan", "Kode kantor", report.office_code)
    yield row("Laporan", "Periode awal", report.start.isoformat(), "tanggal")
    yield row("Laporan", "Periode akhir", report.end.isoformat(), "tanggal")
    yield row("Laporan", "Keadaan per", _local_text(report, report.now), report.zone_name)
    yield row("Laporan", "1 hari kerja", report.day_length, WORKING, day=None)
    for sop in report.sops:
        for measure, value, unit in _sop_measures(sop):
            yield row("Ringkasan", measure, value, unit, sop=sop.code)
        for step in sop.steps:
            for measure, value, unit in _step_measures(step):
                yield row("Langkah", measure, value, unit, sop=sop.code, step=str(step.number))
    for p in report.processes:
        measures: list[tuple[str, object, str]] = [
            ("Judul", p.title, "teks"),
            ("Dimulai oleh", p.starter, "teks"),
            ("Status", status_label(p.status), "teks"),
            ("Mulai", _local_text(report, p.started_at), report.zone_name),
            ("Berakhir", _local_text(report, p.ended_at), report.zone_name),
            ("Waktu kerja", p.working_time, WORKING),
            ("Waktu normal", p.normal_working, WORKING),
            ("Langkah saat ini", p.current_step, "langkah"),
            ("Langkah terlambat", p.late_steps, "langkah"),
            ("Dikembalikan", p.sent_back, "kali"),
            ("Catatan pembatalan", p.end_note, "teks"),
        ]
        for measure, value, unit in measures:
            yield row("Proses", measure, value, unit, sop=p.sop_code, process=str(p.id))
    for r in report.roles:
        for measure, value, unit in (
            ("Nama jabatan", r.label, "teks"),
            ("Terbuka saat ini", r.open_now, "langkah"),
            ("Terlambat saat ini", r.late_now, "langkah"),
            ("Dijawab dalam periode", r.answered, "langkah"),
            ("Dijawab terlambat", r.late_done, "langkah"),
        ):
            yield row("Jabatan", measure, value, unit, role=r.role)


def _sop_measures(sop: SopFigures) -> list[tuple[str, object, str]]:
    return [
        ("Nama SOP", sop.name, "teks"),
        ("Nomor SOP", sop.nomor, "teks"),
        ("Proses dimulai", sop.started, "proses"),
        ("Proses selesai", sop.finished, "proses"),
        ("Proses dibatalkan", sop.cancelled, "proses"),
        ("Proses berjalan", sop.running, "proses"),
        ("Median waktu proses selesai", sop.total.median, WORKING),
        ("P90 waktu proses selesai", sop.total.p90, WORKING),
        ("Waktu normal", sop.normal_working, WORKING),
        ("Langkah tanpa baku mutu", sop.steps_without_time, "langkah"),
        ("Langkah dengan baku mutu", sop.with_deadline, "langkah"),
        ("Langkah tepat waktu", sop.within, "langkah"),
        ("Tepat waktu (%)", _percent(sop.within_share), "persen"),
        ("Langkah terlambat", sop.late, "langkah"),
        ("Dikembalikan", sop.sent_back, "kali"),
    ]


def _step_measures(step: StepFigures) -> list[tuple[str, object, str]]:
    return [
        ("Kegiatan", _whole(step.kegiatan), "teks"),
        ("Pelaksana", step.role_label, "teks"),
        ("Baku mutu (SOP)", waktu_text(step.baku_mutu), "teks"),
        ("Baku mutu", step.baku_mutu_working, WORKING),
        ("Dijalankan", step.runs, "kali"),
        ("Dijawab", step.answered, "kali"),
        ("Masih terbuka", step.open, "kali"),
        ("Dibatalkan", step.cancelled, "kali"),
        ("Median waktu", step.time.median, WORKING),
        ("P90 waktu", step.time.p90, WORKING),
        ("Waktu terlama", step.time.maximum, WORKING),
        ("Dengan baku mutu", step.with_deadline, "kali"),
        ("Tepat waktu", step.within, "kali"),
        ("Tepat waktu (%)", _percent(step.within_share), "persen"),
        ("Terlambat (dijawab)", step.late_done, "kali"),
        ("Terlambat (masih terbuka)", step.late_open, "kali"),
        ("Dikembalikan", step.sent_back, "kali"),
        ("Dikembalikan (%)", _percent(step.sent_back_share), "persen"),
    ]


def report_csv(report: Report) -> bytes:
    """The whole report as one long-format CSV (see the module's docstring)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for r in _csv_rows(report):
        writer.writerow(["" if cell is None else cell for cell in r])
    return buffer.getvalue().encode("utf-8-sig")


# --- XLSX -----------------------------------------------------------------------------------------

Value = str | int | float | datetime | timedelta | None


class _Column:
    def __init__(self, header: str, fmt: str | None = None, width: int | None = None) -> None:
        self.header = header
        self.fmt = fmt
        self.width = width


def _local(report: Report, t: datetime | None) -> datetime | None:
    return None if t is None else t.astimezone(report.zone).replace(tzinfo=None)


def _wrapped() -> Alignment:
    """A cell whose text wraps, from the top."""
    from openpyxl.styles import Alignment

    return Alignment(wrap_text=True, vertical="top")


def _bold() -> Font:
    from openpyxl.styles import Font

    return Font(bold=True)


def _table(
    ws: Worksheet,
    columns: Sequence[_Column],
    rows: Sequence[Sequence[Value]],
    freeze: str = "A2",
) -> None:
    from openpyxl.styles import PatternFill
    from openpyxl.utils import get_column_letter

    ws.append([c.header for c in columns])
    for cell in ws[1]:
        cell.font = _bold()
        cell.fill = PatternFill("solid", fgColor="DDE5F0")
        cell.alignment = _wrapped()
    for values in rows:
        ws.append(list(values))
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        if column.fmt is not None:
            for (cell,) in ws.iter_rows(
                min_row=2, max_row=len(rows) + 1, min_col=index, max_col=index
            ):
                cell.number_format = column.fmt
        ws.column_dimensions[letter].width = column.width or _fit(column, rows, index - 1)
    ws.freeze_panes = freeze
    ws.row_dimensions[1].height = 32


def _fit(column: _Column, rows: Sequence[Sequence[Value]], index: int) -> int:
    longest = max(len(word) for word in column.header.split())
    for values in rows:
        value = values[index]
        if isinstance(value, str):
            longest = max(longest, min(len(value), 60))
        elif isinstance(value, datetime):
            longest = max(longest, 16)
        elif value is not None:
            longest = max(longest, 8)
    return max(8, min(longest + 2, 62))


def _duration(td: timedelta | None) -> timedelta | None:
    """A working time rounded to the second (a spreadsheet shows no finer)."""
    if td is None:
        return None
    return timedelta(seconds=round(td.total_seconds()))


def _summary_sheet(ws: Worksheet, report: Report) -> None:
    columns = [
        _Column("Kode SOP"),
        _Column("Nama SOP", width=48),
        _Column("Nomor SOP"),
        _Column("Proses dimulai"),
        _Column("Proses selesai"),
        _Column("Proses dibatalkan"),
        _Column("Proses berjalan"),
        _Column("Median waktu proses selesai (jam kerja)", DURATION_FORMAT, 14),
        _Column("P90 waktu proses selesai (jam kerja)", DURATION_FORMAT, 14),
        _Column("Waktu normal (jam kerja)", DURATION_FORMAT, 12),
        _Column("Waktu normal (SOP)", width=22),
        _Column("Langkah tanpa baku mutu"),
        _Column("Langkah dengan baku mutu"),
        _Column("Langkah tepat waktu"),
        _Column("Tepat waktu (%)", PERCENT_FORMAT),
        _Column("Langkah terlambat"),
        _Column("Dikembalikan (kali)"),
    ]
    rows: list[list[Value]] = [
        [
            sop.code,
            sop.name,
            sop.nomor,
            sop.started,
            sop.finished,
            sop.cancelled,
            sop.running,
            _duration(sop.total.median),
            _duration(sop.total.p90),
            _duration(sop.normal_working),
            waktu_text(sop.normal_time),
            sop.steps_without_time,
            sop.with_deadline,
            sop.within,
            sop.within_share,
            sop.late,
            sop.sent_back,
        ]
        for sop in report.sops
    ]
    _table(ws, columns, rows)
    for (cell,) in ws.iter_rows(min_row=2, max_row=len(rows) + 1, min_col=2, max_col=2):
        cell.alignment = _wrapped()
    notes: list[tuple[str, str]] = [
        ("Kantor", f"{report.office_name} ({report.office_code})"),
        (
            "Periode",
            f"{format_dates(report.start, report.end)}: proses yang dimulai dalam periode ini",
        ),
        ("Keadaan per", format_local(report.now, report.zone)),
        ("Cara hitung", method_note(report)),
    ]
    if report.is_empty:
        notes.append(("", "Tidak ada proses yang dimulai dalam periode ini."))
    start = len(rows) + 3
    for offset, (label, text) in enumerate(notes):
        ws.cell(row=start + offset, column=1, value=label).font = _bold()
        ws.cell(row=start + offset, column=2, value=text)


def _steps_sheet(ws: Worksheet, report: Report) -> None:
    columns = [
        _Column("Kode SOP"),
        _Column("Langkah", width=9),
        _Column("Kegiatan", width=48),
        _Column("Pelaksana", width=22),
        _Column("Jenis"),
        _Column("Baku mutu (SOP)", width=12),
        _Column("Baku mutu (jam kerja)", DURATION_FORMAT, 12),
        _Column("Dijalankan (kali)"),
        _Column("Dijawab (kali)"),
        _Column("Masih terbuka"),
        _Column("Dibatalkan"),
        _Column("Median waktu (jam kerja)", DURATION_FORMAT, 12),
        _Column("P90 waktu (jam kerja)", DURATION_FORMAT, 12),
        _Column("Waktu terlama (jam kerja)", DURATION_FORMAT, 12),
        _Column("Dengan baku mutu"),
        _Column("Tepat waktu"),
        _Column("Tepat waktu (%)", PERCENT_FORMAT),
        _Column("Terlambat (dijawab)"),
        _Column("Terlambat (masih terbuka)"),
        _Column("Dikembalikan (kali)"),
        _Column("Dikembalikan (%)", PERCENT_FORMAT),
        _Column("Jawaban pengembalian", width=16),
    ]
    rows: list[list[Value]] = [
        [
            sop.code,
            step.number,
            _whole(step.kegiatan),
            step.role_label,
            KIND_LABEL[step.kind],
            waktu_text(step.baku_mutu),
            _duration(step.baku_mutu_working),
            step.runs,
            step.answered,
            step.open,
            step.cancelled,
            _duration(step.time.median),
            _duration(step.time.p90),
            _duration(step.time.maximum),
            step.with_deadline,
            step.within,
            step.within_share,
            step.late_done,
            step.late_open,
            step.sent_back,
            step.sent_back_share,
            " / ".join(step.negative_labels) or None,
        ]
        for sop in report.sops
        for step in sop.steps
    ]
    _table(ws, columns, rows, freeze="C2")
    for (cell,) in ws.iter_rows(min_row=2, max_row=len(rows) + 1, min_col=3, max_col=3):
        cell.alignment = _wrapped()


def _processes_sheet(ws: Worksheet, report: Report) -> None:
    zone = report.zone_name
    columns = [
        _Column("No. proses", width=10),
        _Column("Kode SOP"),
        _Column("Judul", width=36),
        _Column("Dimulai oleh", width=20),
        _Column("Status"),
        _Column(f"Mulai ({zone})", DATETIME_FORMAT, 17),
        _Column(f"Berakhir ({zone})", DATETIME_FORMAT, 17),
        _Column("Waktu kerja (jam kerja)", DURATION_FORMAT, 12),
        _Column("Waktu normal (jam kerja)", DURATION_FORMAT, 12),
        _Column("Langkah saat ini"),
        _Column("Menunggu jabatan", width=20),
        _Column("Langkah terlambat"),
        _Column("Dikembalikan (kali)"),
        _Column("Catatan pembatalan", width=30),
    ]
    rows: list[list[Value]] = [
        [
            p.id,
            p.sop_code,
            p.title,
            p.starter,
            status_label(p.status),
            _local(report, p.started_at),
            _local(report, p.ended_at),
            _duration(p.working_time),
            _duration(p.normal_working),
            p.current_step,
            p.current_role,
            p.late_steps,
            p.sent_back,
            p.end_note,
        ]
        for p in report.processes
    ]
    _table(ws, columns, rows, freeze="B2")


def _roles_sheet(ws: Worksheet, report: Report) -> None:
    columns = [
        _Column("Jabatan", width=26),
        _Column("Kode jabatan", width=20),
        _Column("Terbuka saat ini"),
        _Column("Terlambat saat ini"),
        _Column("Dijawab dalam periode"),
        _Column("Dijawab terlambat"),
    ]
    rows: list[list[Value]] = [
        [r.label, r.role, r.open_now, r.late_now, r.answered, r.late_done] for r in report.roles
    ]
    _table(ws, columns, rows)


_SHEET_WRITERS: tuple[tuple[str, Callable[[Worksheet, Report], None]], ...] = (
    ("Ringkasan", _summary_sheet),
    ("Langkah", _steps_sheet),
    ("Proses", _processes_sheet),
    ("Jabatan", _roles_sheet),
)


def report_xlsx(report: Report) -> bytes:
    """The report as a workbook (see the module's docstring)."""
    from openpyxl import Workbook

    wb = Workbook()
    first = wb.active
    if first is not None:
        wb.remove(first)
    for title, write in _SHEET_WRITERS:
        write(wb.create_sheet(title), report)
    wb.properties.title = f"Laporan SOP {report.office_name}"
    wb.properties.creator = "sopbot"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
