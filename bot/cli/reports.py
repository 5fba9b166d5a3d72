"""Command-line entry points for reports, archive records and SOP flowcharts.

``bot.cli.main`` wires them in (see ``add_report_arguments``, ``add_audit_export_arguments`` and
``cmd_sop_png``). Every command prints Indonesian messages and returns an exit code: 0 done,
1 failed (a file that cannot be written, broken SOP files), 2 bad input (unknown office, process or
SOP code, a bad date, an end before the start, a format that needs ``--out``, a file name whose
ending is not its format's, no database file).

What a command needs is imported when it runs: ``sopbot --help`` and the parser import only this
module's top, and the document libraries load only when a file is made.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.clock import SystemClock

if TYPE_CHECKING:
    from bot.documents.reports import Report
    from storage.db import Database

FORMATS = ("text", "csv", "xlsx")
SUFFIXES = {"text": (".txt",), "csv": (".csv",), "xlsx": (".xlsx",)}
"""The file name endings of each format: a file is written in the format its name says."""
EXAMPLE_OFFICE = "kpu-kabupaten-kapuas"
"""The office code the help shows: one of the example office files (bot/office/examples)."""

OK, FAILED, BAD_INPUT = 0, 1, 2


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def _parse_date(value: str | date, what: str) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        _err(f"Tanggal {what} {value!r} tidak valid; tulis TTTT-BB-HH, misalnya 2026-12-31.")
        return None


def check_suffix(out: Path | str, suffixes: str | Sequence[str], option: str) -> bool:
    """Whether ``out`` ends as its format needs (``.png`` for a PNG); says so when it does not,
    so no file is written in another format than its name says."""
    allowed = (suffixes,) if isinstance(suffixes, str) else tuple(suffixes)
    if Path(out).suffix.lower() in allowed:
        return True
    example = Path(out).with_suffix(allowed[0]).name if Path(out).name else f"berkas{allowed[0]}"
    _err(
        f"{option} {out}: nama berkasnya harus berakhiran {' atau '.join(allowed)}, "
        f"misalnya {example}."
    )
    return False


SQLITE_HEADER = b"SQLite format 3\x00"


def database_problem(path: Path, *, must_exist: bool = True) -> str | None:
    """Why ``path`` cannot be the bot's database, in Indonesian, or None: a missing file (when it
    must exist), a folder, or a file that is not an SQLite database (opening one would fail)."""
    from sop.faults import os_reason

    if path.is_dir():
        return f"Basis data {path} adalah sebuah folder, bukan berkas."
    if not path.exists():
        return f"Basis data {path} tidak ditemukan." if must_exist else None
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except OSError as exc:
        return f"Basis data {path} tidak dapat dibaca: {os_reason(exc)}."
    if head and head != SQLITE_HEADER:
        return f"Berkas {path} bukan basis data sopbot (SQLite)."
    return None


def _database_path(database: Path | str | None) -> Path | None:
    from bot.settings import Settings

    if database is not None:
        path = Path(database)
    else:
        path = Settings().database_path
    problem = database_problem(path)
    if problem is not None:
        _err(problem)
        return None
    return path


def _write(out: Path, data: bytes) -> bool:
    from sop.faults import os_reason

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        _err(f"Tidak dapat menulis {out}: {os_reason(exc)}.")
        return False
    return True


def _size(data: bytes) -> str:
    return f"{len(data) / 1024:.0f} KB" if len(data) >= 1024 else f"{len(data)} bita"


async def _office_codes(db: Database) -> list[str]:
    from storage.reports import ReportQueries

    async with db.read() as tx:
        return await ReportQueries(tx.conn).office_codes()


async def _report(path: Path, office: str, start: date, end: date, now: datetime) -> Report | str:
    from bot.documents.reports import UnknownOffice, build_report
    from storage.db import Database

    db = await Database.open(path)
    try:
        try:
            return await build_report(db, office, start, end, now)
        except UnknownOffice:
            known = ", ".join(await _office_codes(db)) or "belum ada"
            return f"Kantor {office!r} tidak dikenal. Kode kantor yang ada: {known}."
    finally:
        await db.close()


def cmd_report(
    office: str,
    start: str | date,
    end: str | date,
    fmt: str,
    out: Path | str | None,
    database: Path | str | None,
    *,
    chart: Path | str | None = None,
    now: datetime | None = None,
) -> int:
    """``sopbot report``: the report of an office for processes started from ``start`` to
    ``end`` (inclusive, office-local dates), as text (printed, or written to ``out``), CSV
    (printed or written) or XLSX (written to ``out``); ``chart`` also writes the step chart PNG."""
    from bot.documents.charts import step_chart_png
    from bot.documents.exports import report_csv, report_xlsx
    from bot.words.format import format_dates
    from bot.words.reports import summary_text

    if fmt not in FORMATS:
        _err(f"Format {fmt!r} tidak dikenal; pakai text, csv atau xlsx.")
        return BAD_INPUT
    if fmt == "xlsx" and out is None:
        _err("Format xlsx perlu --out BERKAS, misalnya --out laporan.xlsx.")
        return BAD_INPUT
    if out is not None and not check_suffix(out, SUFFIXES[fmt], "--out"):
        return BAD_INPUT
    if chart is not None and not check_suffix(chart, ".png", "--chart"):
        return BAD_INPUT
    first, last = _parse_date(start, "awal"), _parse_date(end, "akhir")
    if first is None or last is None:
        return BAD_INPUT
    if last < first:
        _err(f"Tanggal akhir {last.isoformat()} sebelum tanggal awal {first.isoformat()}.")
        return BAD_INPUT
    path = _database_path(database)
    if path is None:
        return BAD_INPUT
    result = asyncio.run(_report(path, office, first, last, now or SystemClock().now()))
    if isinstance(result, str):
        _err(result)
        return BAD_INPUT
    report = result
    data = {
        "text": lambda: (summary_text(report) + "\n").encode(),
        "csv": lambda: report_csv(report),
        "xlsx": lambda: report_xlsx(report),
    }[fmt]()
    what = f"Laporan {report.office_name} ({format_dates(report.start, report.end)})"
    if out is None:
        sys.stdout.write(data.decode("utf-8-sig"))
    elif _write(Path(out), data):
        print(f"{what} ditulis ke {out} ({fmt}, {_size(data)}).")
    else:
        return FAILED
    if chart is not None:
        png = step_chart_png(report)
        if not _write(Path(chart), png):
            return FAILED
        print(f"Grafik waktu per langkah ditulis ke {chart} ({_size(png)}).", file=_status(out))
    return OK


def _status(out: Path | str | None) -> TextIO:
    """Where confirmations go: stderr when the report itself went to stdout."""
    return sys.stderr if out is None else sys.stdout


async def _archive(path: Path, process_id: int, now: datetime) -> bytes | None:
    from bot.documents.archive import UnknownProcess, archive_pdf
    from storage.db import Database

    db = await Database.open(path)
    try:
        return await archive_pdf(db, process_id, now)
    except UnknownProcess:
        return None
    finally:
        await db.close()


def cmd_audit_export(
    process_id: int | str,
    out: Path | str,
    database: Path | str | None,
    *,
    now: datetime | None = None,
) -> int:
    """``sopbot audit export N --out FILE``: the archive record of process N as a PDF."""
    try:
        number = int(process_id)
    except ValueError:
        _err(f"Nomor proses {process_id!r} tidak valid; tulis angka, misalnya 12.")
        return BAD_INPUT
    if not check_suffix(out, ".pdf", "--out"):
        return BAD_INPUT
    path = _database_path(database)
    if path is None:
        return BAD_INPUT
    pdf = asyncio.run(_archive(path, number, now or SystemClock().now()))
    if pdf is None:
        _err(f"Proses #{number} tidak ditemukan.")
        return BAD_INPUT
    if not _write(Path(out), pdf):
        return FAILED
    print(f"Rekaman proses #{number} ditulis ke {out} (PDF A4, {_size(pdf)}).")
    return OK


def cmd_sop_png(
    code: str, out: Path | str, sop_dirs: Sequence[Path] = (), *, columns: bool = False
) -> int:
    """``sopbot sop show CODE --png FILE [--lengkap]``: the SOP's flowchart as a PNG; with
    ``columns`` it carries the form's Kelengkapan and Output columns."""
    from bot.documents.flowchart import flowchart_png
    from sop.loader import SopFileError, load_catalog

    if not check_suffix(out, ".png", "--png"):
        return BAD_INPUT
    try:
        catalog = load_catalog(list(sop_dirs))
    except SopFileError as exc:
        _err("Berkas SOP bermasalah:")
        for message in exc.messages:
            _err(f"  {message}")
        return FAILED
    defn = catalog.get(code)
    if defn is None:
        known = ", ".join(sorted(catalog.definitions))
        _err(f"SOP {code!r} tidak dikenal. Kode yang ada: {known}")
        return BAD_INPUT
    png = flowchart_png(defn, catalog.roles, columns=columns)
    if not _write(Path(out), png):
        return FAILED
    print(f"Diagram alir SOP {code} ditulis ke {out} ({_size(png)}).")
    return OK


# --- argparse wiring ------------------------------------------------------------------------------


def _run_report(args: argparse.Namespace) -> int:
    return cmd_report(
        args.office,
        args.start,
        args.end,
        args.format,
        args.out,
        args.database,
        chart=args.chart,
    )


def _run_audit_export(args: argparse.Namespace) -> int:
    return cmd_audit_export(args.process, args.out, args.database)


def add_report_arguments(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Register ``report`` on the top-level subparsers (``args.func`` runs it)."""
    p = subparsers.add_parser(
        "report",
        help="laporan evaluasi SOP sebuah kantor untuk satu periode",
        description=(
            "Angka evaluasi SOP untuk proses yang dimulai dalam periode (tanggal kantor, "
            "keduanya termasuk): jumlah proses, waktu kerja per langkah dibanding baku mutu, "
            "langkah yang dikembalikan, langkah terbuka per jabatan."
        ),
    )
    p.add_argument(
        "--office", required=True, metavar="KODE", help=f"kode kantor, mis. {EXAMPLE_OFFICE}"
    )
    p.add_argument(
        "--from", dest="start", required=True, metavar="TTTT-BB-HH", help="tanggal awal periode"
    )
    p.add_argument(
        "--to",
        dest="end",
        required=True,
        metavar="TTTT-BB-HH",
        help="tanggal akhir periode (termasuk)",
    )
    p.add_argument("--format", choices=FORMATS, default="text", help="bawaan: text")
    p.add_argument(
        "--out",
        metavar="BERKAS",
        help="tulis ke berkas yang namanya sesuai formatnya: *.txt, *.csv, *.xlsx (wajib untuk "
        "xlsx)",
    )
    p.add_argument("--chart", metavar="BERKAS", help="tulis juga grafik per langkah (*.png)")
    p.add_argument("--database", metavar="BERKAS", help="berkas basis data (bawaan: DATABASE_PATH)")
    p.set_defaults(func=_run_report)
    return p


def add_audit_export_arguments(
    audit_subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Register ``export N --out FILE`` under ``audit``."""
    p = audit_subparsers.add_parser(
        "export", help="rekaman arsip satu proses (PDF A4): langkah, waktu, hash audit"
    )
    p.add_argument("process", metavar="N", help="nomor proses")
    p.add_argument("--out", required=True, metavar="BERKAS", help="berkas PDF yang ditulis (*.pdf)")
    p.add_argument("--database", metavar="BERKAS", help="berkas basis data (bawaan: DATABASE_PATH)")
    p.set_defaults(func=_run_audit_export)
    return p
