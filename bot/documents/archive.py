"""The archive record of a process: a printable A4 PDF, the softcopy the SOPs require to keep.

Every SOP's "Pencatatan dan Pendataan" asks to keep the original as hardcopy and softcopy. For one
process the record holds the SOP's header block (instansi, nomor, tanggal pengesahan, disahkan oleh,
nama), the process number and title, who started it, when it started and ended, its status and
working time against the SOP's normal time, then a table with one row per step run: the step's
number and whole kegiatan, its role and who answered it, when it started and was answered (office
local time), the working time taken against the baku mutu, the answer, the note and what was handed
in, and a Paraf column for the actor's initials on the printed copy; then every link, nomor and file
name in full; the audit trail: how many audit events the process has and the hash of the latest,
with how to verify the chain (``sopbot audit verify``); and a place for the signatures that make
the printed copy the original. Pages are numbered "Halaman i dari n".

Nothing is cut: every text is printed whole, whatever its length. A table row cannot run over a
page, so a cell too long for one is carried on in rows of its own ("lanjutan"); a word too wide for
its column (a link) is broken only after ``/ ? & = # - _ .`` and similar marks, never inside a word
when such a mark is there.

``archive_record`` turns the stored rows into an ``ArchiveRecord`` (plain text fields, pure);
``render_archive`` lays a record out as PDF bytes with fpdf2 (pure); ``archive_pdf`` reads and does
both. Fonts: DejaVu Sans and DejaVu Sans Mono from matplotlib's own data folder, so no system font
or network is needed and every Indonesian character (and "—", "✓") prints.

fpdf2 is imported when a record is laid out, and matplotlib's folder is found without importing
matplotlib: the bot imports this module at start, where both would cost most of its start-up time
and memory.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from bot.documents.reports import CANCELLED_OUTCOME, RoleLabels, builtin_roles
from bot.office.calendar import WorkCalendar
from bot.office.settings import calendar_for
from bot.words.format import (
    STATUS_LABEL,
    format_lateness,
    format_local,
    format_long_date,
    format_working_duration,
    normal_time_text,
    status_label,
    waktu_text,
)
from sop.loader import definition_from_json
from sop.models import SopDefinition
from storage.db import Database
from storage.processes import StepRun, StoredHandin
from storage.reports import ProcessRecordRows, ReportQueries

if TYPE_CHECKING:
    from fpdf import FPDF

FONT = "DejaVu"
MONO = "DejaVuMono"
_FONT_FILES = (
    (FONT, "", "DejaVuSans.ttf"),
    (FONT, "B", "DejaVuSans-Bold.ttf"),
    (FONT, "I", "DejaVuSans-Oblique.ttf"),
    (MONO, "", "DejaVuSansMono.ttf"),
)
VERIFY_COMMAND = "sopbot audit verify"
COLUMN_WIDTHS = (13, 46, 36, 27, 52, 16)
"""Millimetres of the step table's columns on A4 portrait (190 mm between the margins): No,
Kegiatan dan pelaksana, Waktu, Lama, Jawaban dan hasil, Paraf."""
STEP_HEADINGS = ("No", "Kegiatan dan pelaksana", "Waktu", "Lama", "Jawaban dan hasil", "Paraf")
CELL_PADDING = 1.0
LINE_MM = 3.6
ROW_LINES = 40
"""The most lines a table row holds; a longer cell goes on in rows of its own, so a row always fits
on a page (about 70 lines do)."""
BREAK_AFTER = "/?&=#-_.,;:+~%"
"""Where a word too wide for its column (a link) may be broken: after one of these."""


class UnknownProcess(LookupError):
    """No process has that number."""


@dataclass(frozen=True)
class ArchiveStep:
    """One step run as the record prints it."""

    number: int
    attempt: int
    """How many times the step had been entered, this run included (2 after a return)."""
    kegiatan: str
    role: str
    actor: str | None
    started: str
    done: str | None
    taken: str
    baku_mutu: str
    timing: str
    """"tepat waktu", "terlambat 5 menit", "masih terbuka", "tanpa baku mutu", ..."""
    answer: str | None
    note: str | None
    handins: tuple[str, ...]


@dataclass(frozen=True)
class ArchiveHandin:
    step: int | None
    """None: handed in when the process started."""
    label: str
    text: str
    link: str | None


@dataclass(frozen=True)
class ArchiveRecord:
    instansi: str
    nomor: str
    tanggal_pengesahan: str
    disahkan_oleh: str
    nama: str
    sop_code: str
    office: str
    process_id: int
    title: str
    starter: str
    started: str
    ended: str | None
    status: str
    end_note: str | None
    working_time: str
    normal_time: str
    steps: tuple[ArchiveStep, ...]
    handins: tuple[ArchiveHandin, ...]
    audit_count: int
    audit_hash: str | None
    audit_last: str | None
    printed: str


# --- from rows to a record ------------------------------------------------------------------------


def _handin_text(h: StoredHandin) -> str:
    match h.kind:
        case "attachment":
            return h.file_name or "berkas tanpa nama"
        case _:
            return h.value


def _timing(run: StepRun, cal: WorkCalendar, now: datetime) -> str:
    day = cal.nominal_day_length
    if run.outcome == CANCELLED_OUTCOME:
        return "proses dibatalkan"
    if run.due_at is None:
        return "tanpa baku mutu"
    end = run.done_at if run.done_at is not None else now
    if end > run.due_at:
        late = format_lateness(cal.working_time_between(run.due_at, end), day)
        return (
            f"terlambat {late}" if run.done_at is not None else f"masih terbuka, terlambat {late}"
        )
    return "tepat waktu" if run.done_at is not None else "masih terbuka"


def archive_record(
    rows: ProcessRecordRows,
    defn: SopDefinition,
    cal: WorkCalendar,
    now: datetime,
    roles: RoleLabels,
) -> ArchiveRecord:
    """The record of one process from its stored rows (``ProcessRecordRows``) and the SOP
    version it started with."""
    p = rows.process
    names = rows.names
    day = cal.nominal_day_length
    by_run: dict[int | None, list[StoredHandin]] = {}
    for h in rows.handins:
        by_run.setdefault(h.step_run_id, []).append(h)
    steps = []
    entered: dict[int, int] = {}
    for run in rows.runs:
        entered[run.step] = entered.get(run.step, 0) + 1
        step = defn.by_number.get(run.step)
        choice = step.choice(run.outcome) if step is not None and run.outcome else None
        if run.outcome == CANCELLED_OUTCOME:
            answer: str | None = STATUS_LABEL["cancelled"]
        else:
            answer = choice.label if choice is not None else run.outcome
        end = run.done_at if run.done_at is not None else now
        steps.append(
            ArchiveStep(
                number=run.step,
                attempt=entered[run.step],
                kegiatan=" ".join(step.kegiatan.split()) if step else f"Langkah {run.step}",
                role=roles.label(run.role),
                actor=names.get(run.done_by) if run.done_by is not None else None,
                started=format_local(run.started_at, cal),
                done=format_local(run.done_at, cal) if run.done_at is not None else None,
                taken=format_working_duration(cal.working_time_between(run.started_at, end), day),
                baku_mutu=waktu_text(step.waktu if step else None),
                timing=_timing(run, cal, now),
                answer=answer,
                note=run.note,
                handins=tuple(f"{h.label}: {_handin_text(h)}" for h in by_run.get(run.id, [])),
            )
        )
    step_of = {r.id: r.step for r in rows.runs}
    handins = tuple(
        ArchiveHandin(
            step=step_of.get(h.step_run_id) if h.step_run_id is not None else None,
            label=h.label,
            text=_handin_text(h),
            link=h.value if h.kind == "link" else None,
        )
        for h in rows.handins
    )
    end = p.ended_at if p.ended_at is not None else now
    approved = defn.header.tanggal_pengesahan
    last = rows.audit.last
    return ArchiveRecord(
        instansi=defn.header.instansi,
        nomor=defn.header.nomor,
        tanggal_pengesahan=format_long_date(approved) if approved else "—",
        disahkan_oleh=defn.header.disahkan_oleh,
        nama=defn.header.nama,
        sop_code=defn.code,
        office=rows.office.name,
        process_id=p.id,
        title=p.title,
        starter=names.get(p.started_by, f"pengguna #{p.started_by}"),
        started=format_local(p.started_at, cal),
        ended=format_local(p.ended_at, cal) if p.ended_at is not None else None,
        status=status_label(p.status),
        end_note=p.end_note,
        working_time=format_working_duration(cal.working_time_between(p.started_at, end), day),
        normal_time=normal_time_text(defn),
        steps=tuple(steps),
        handins=handins,
        audit_count=rows.audit.count,
        audit_hash=last.hash if last is not None else None,
        audit_last=(f"#{last.id}, {format_local(last.at, cal)}" if last is not None else None),
        printed=format_local(now, cal),
    )


# --- layout ---------------------------------------------------------------------------------------


@cache
def font_dir() -> Path:
    """matplotlib's folder of DejaVu fonts (what ``matplotlib.get_data_path()`` names), found
    without importing matplotlib."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:  # pragma: no cover - matplotlib is a dependency
        raise ModuleNotFoundError("matplotlib, whose DejaVu fonts the archive prints with")
    return Path(spec.origin).with_name("mpl-data") / "fonts" / "ttf"


@cache
def _pdf_class() -> Callable[[str], FPDF]:
    """The A4 document with the DejaVu fonts and the page footer, given the footer's text;
    defined on first use, as it imports fpdf2."""
    from fpdf import FPDF

    class _Pdf(FPDF):
        def __init__(self, footer_text: str) -> None:
            super().__init__(orientation="P", unit="mm", format="A4")
            self.footer_text = footer_text
            for family, style, file in _FONT_FILES:
                self.add_font(family, style, str(font_dir() / file))
            self.set_margins(10, 12, 10)
            self.set_auto_page_break(auto=True, margin=16)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FONT, "", 7)
            self.set_text_color(90, 90, 90)
            self.cell(0, 5, self.footer_text, align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, f"Halaman {self.page_no()} dari {{nb}}", align="R")
            self.set_text_color(0, 0, 0)

    return _Pdf


def _line(pdf: FPDF, text: str, size: float = 9, style: str = "", height: float = 4.6) -> None:
    from fpdf.enums import XPos, YPos

    pdf.set_font(FONT, style, size)
    pdf.multi_cell(0, height, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _break_word(pdf: FPDF, word: str, width: float) -> list[str]:
    """A word too wide for ``width`` mm in pieces that fit, each ending after a mark of
    ``BREAK_AFTER`` where there is one (a link breaks after "/" or "-", not inside a word)."""
    pieces: list[str] = []
    rest = word
    while pdf.get_string_width(rest) > width:
        fit = len(rest)
        while fit > 1 and pdf.get_string_width(rest[:fit]) > width:
            fit -= 1
        marks = [i + 1 for i in range(fit - 1) if rest[i] in BREAK_AFTER]
        cut = marks[-1] if marks and marks[-1] > fit // 3 else fit
        pieces.append(rest[:cut])
        rest = rest[cut:]
    return [*pieces, rest]


def breakable(pdf: FPDF, text: str, width: float) -> str:
    """``text`` with every word wider than ``width`` mm (in the current font) broken at sensible
    points, so the PDF's own wrapping never cuts one at a random letter."""
    lines = []
    for line in text.split("\n"):
        words = []
        for word in line.split(" "):
            if pdf.get_string_width(word) > width:
                words.append("\n".join(_break_word(pdf, word, width)))
            else:
                words.append(word)
        lines.append(" ".join(words))
    return "\n".join(lines)


def _wrapped(pdf: FPDF, text: str, width: float) -> list[str]:
    """The lines ``text`` takes in a cell ``width`` mm wide, as the PDF will lay them out."""
    inner = width - 2 * CELL_PADDING - 0.5  # half a millimetre to spare
    prepared = breakable(pdf, text, inner)
    # multi_cell keeps its own cell margin inside the width it is given.
    lines = pdf.multi_cell(
        inner + 2 * pdf.c_margin, LINE_MM, prepared, dry_run=True, output="LINES"
    )
    if not isinstance(lines, list):  # pragma: no cover - output="LINES" gives a list
        return prepared.split("\n")
    return [str(line).rstrip() for line in lines] or [""]


def _split_rows(
    pdf: FPDF, cells: Sequence[str], widths: Sequence[float], carried: str = ""
) -> list[list[str]]:
    """One table row as one or more rows of at most ``ROW_LINES`` lines each: a cell longer than
    that goes on in the rows below, where the first cell says "lanjutan" (``carried``)."""
    wrapped = [_wrapped(pdf, text, width) for text, width in zip(cells, widths, strict=True)]
    count = max(-(-len(lines) // ROW_LINES) for lines in wrapped)
    rows = []
    for part in range(count):
        row = ["\n".join(lines[part * ROW_LINES : (part + 1) * ROW_LINES]) for lines in wrapped]
        if part and carried:
            row[0] = carried
        rows.append(row)
    return rows


def _pairs(pdf: FPDF, pairs: Sequence[tuple[str, str]], label_width: float = 42) -> None:
    from fpdf.fonts import FontFace

    pdf.set_font(FONT, "", 9)
    widths = (label_width, 190 - label_width)
    with pdf.table(
        col_widths=widths,
        width=190,
        first_row_as_headings=False,
        borders_layout="NONE",
        text_align="LEFT",
        line_height=4.6,
        padding=(0.6, 1, 0.6, 0),
    ) as table:
        for label, value in pairs:
            for part, (label_text, value_text) in enumerate(
                _split_rows(pdf, (label, value), widths, carried=f"{label} (lanjutan)")
            ):
                row = table.row()
                row.cell(label_text if part == 0 else "", style=FontFace(emphasis="BOLD"))
                row.cell(value_text)


def _step_rows(record: ArchiveRecord) -> list[tuple[str, str, str, str, str, str]]:
    rows = []
    for s in record.steps:
        number = str(s.number) if s.attempt == 1 else f"{s.number}\n(ke-{s.attempt})"
        who = f"{s.kegiatan}\nPelaksana: {s.role}" + (f" — {s.actor}" if s.actor else "")
        when = f"Mulai:\n{s.started}\nSelesai:\n{s.done or '—'}"
        how_long = f"{s.taken}\nbaku mutu {s.baku_mutu}\n{s.timing}"
        answer = [s.answer or "—"]
        if s.note:
            answer.append(f"Catatan: {s.note}")
        answer += list(s.handins)
        rows.append((number, who, when, how_long, "\n".join(answer), ""))
    return rows


def _signatures(pdf: FPDF, record: ArchiveRecord) -> None:
    """Where the printed copy is signed: by whoever prints and checks it, and by the official who
    acknowledges it; kept on one page."""
    if pdf.get_y() > pdf.h - pdf.b_margin - 58:
        pdf.add_page()
    _line(pdf, "Pengesahan cetakan", 11, "B", 6)
    _line(
        pdf,
        "Dengan paraf setiap pelaksana pada kolom Paraf dan tanda tangan di bawah ini, cetakan ini "
        "menjadi naskah asli (hardcopy) rekaman proses ini.",
        8.5,
    )
    pdf.ln(2)
    pdf.set_font(FONT, "", 9)
    blank = "\n\n\n\n"
    with pdf.table(
        col_widths=(95, 95),
        width=190,
        first_row_as_headings=False,
        borders_layout="NONE",
        text_align="LEFT",
        line_height=4.6,
    ) as table:
        row = table.row()
        row.cell(f"Dicetak dan diperiksa oleh,{blank}Nama: ......................................")
        row.cell(f"Mengetahui,{blank}Nama: ......................................")
        row = table.row()
        row.cell(
            "NIP: ........................................\nTanggal: ..................................."
        )
        row.cell(
            "NIP: ........................................\nTanggal: ..................................."
        )


def render_archive(record: ArchiveRecord) -> bytes:
    """The record laid out on A4 pages, as PDF bytes."""
    from fpdf.enums import XPos, YPos
    from fpdf.fonts import FontFace

    pdf = _pdf_class()(
        f"Proses #{record.process_id} · {record.sop_code} · dicetak {record.printed}"
    )
    pdf.set_title(f"Rekaman proses #{record.process_id}: {record.title}")
    pdf.set_author("sopbot")
    pdf.set_subject(record.nama)
    pdf.add_page()
    _line(pdf, record.instansi.upper(), 10, "B")
    _line(pdf, "REKAMAN PELAKSANAAN STANDAR OPERASIONAL PROSEDUR", 13, "B", 7)
    pdf.ln(1)
    _pairs(
        pdf,
        [
            ("Nomor SOP", record.nomor),
            ("Tanggal Pengesahan", record.tanggal_pengesahan),
            ("Disahkan oleh", record.disahkan_oleh),
            ("Nama SOP", record.nama),
        ],
    )
    pdf.ln(3)
    _line(pdf, f"Proses #{record.process_id}: {record.title}", 12, "B", 6)
    pairs = [
        ("Kantor", record.office),
        ("Dimulai oleh", record.starter),
        ("Mulai", record.started),
        ("Berakhir", record.ended or "— (masih berjalan)"),
        ("Status", record.status),
    ]
    if record.end_note:
        pairs.append(("Catatan akhir", record.end_note))
    pairs.append(("Waktu kerja", f"{record.working_time} (waktu normal {record.normal_time})"))
    _pairs(pdf, pairs)
    pdf.ln(3)
    if pdf.get_y() > pdf.h - pdf.b_margin - 40:  # the heading goes with its table
        pdf.add_page()
    _line(pdf, "Langkah yang dijalankan", 11, "B", 6)
    pdf.set_font(FONT, "", 7.5)
    with pdf.table(
        col_widths=COLUMN_WIDTHS,
        width=190,
        text_align="LEFT",
        v_align="TOP",
        line_height=LINE_MM,
        padding=CELL_PADDING,
        headings_style=FontFace(emphasis="BOLD", fill_color=(228, 234, 241)),
        repeat_headings=1,
    ) as table:
        head = table.row()
        for text in STEP_HEADINGS:
            head.cell(text)
        for values in _step_rows(record):
            for part in _split_rows(pdf, values, COLUMN_WIDTHS, carried="(lan-\njutan)"):
                row = table.row()
                for text in part:
                    row.cell(text)
    pdf.ln(2)
    _line(
        pdf,
        "Lama dihitung dalam jam kerja kantor (malam, akhir pekan, hari libur dan cuti bersama "
        "tidak dihitung).",
        7.5,
        "I",
        3.8,
    )
    if record.handins:
        pdf.ln(2)
        _line(pdf, "Tautan, nomor dan berkas", 11, "B", 6)
        for h in record.handins:
            where = f"Langkah {h.step}" if h.step is not None else "Saat proses dimulai"
            pdf.set_font(FONT, "", 8.5)
            pdf.multi_cell(
                0,
                4.4,
                breakable(pdf, f"{where} · {h.label}: {h.text}", 186),
                align="L",
                link=h.link or "",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
    pdf.ln(3)
    _line(pdf, "Jejak audit", 11, "B", 6)
    if record.audit_hash is None:
        _line(pdf, "Belum ada peristiwa audit tercatat untuk proses ini.", 9)
    else:
        _line(
            pdf,
            f"{record.audit_count} peristiwa audit tercatat untuk proses ini; yang terakhir "
            f"{record.audit_last}. Hash peristiwa terakhir (SHA-256):",
            9,
        )
        pdf.set_font(MONO, "", 8.5)
        pdf.cell(0, 5, record.audit_hash, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        _line(
            pdf,
            "Setiap peristiwa memuat hash peristiwa sebelumnya. Keutuhan seluruh rantai dapat "
            f"diperiksa di server bot dengan perintah: {VERIFY_COMMAND}",
            9,
        )
    pdf.ln(3)
    _line(
        pdf,
        f"Dokumen ini dibuat otomatis oleh sopbot pada {record.printed}. Simpan sebagai naskah "
        "asli elektronik (softcopy) dan cetak sebagai naskah asli (hardcopy) sesuai ketentuan "
        "pencatatan dan pendataan SOP.",
        7.5,
        "I",
        3.8,
    )
    pdf.ln(4)
    _signatures(pdf, record)
    return bytes(pdf.output())


# --- reading --------------------------------------------------------------------------------------


async def archive_pdf(
    db: Database, process_id: int, now: datetime, *, roles: RoleLabels | None = None
) -> bytes:
    """The archive record of a process as A4 PDF bytes; ``UnknownProcess`` when there is none.
    A running process gets a record of its state at ``now``."""
    async with db.read() as tx:
        rows = await ReportQueries(tx.conn).process_record_rows(process_id)
    if rows is None:
        raise UnknownProcess(process_id)
    defn = definition_from_json(rows.version_content, f"SOP versi {rows.process.sop_version[:12]}")
    cal = calendar_for(rows.office)
    record = archive_record(rows, defn, cal, now, roles or builtin_roles())
    # Laying out a PDF takes tens of milliseconds: off the event loop, so the bot keeps answering.
    return await asyncio.to_thread(render_archive, record)
