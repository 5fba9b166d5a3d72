"""The archive record of a process: a printable A4 PDF, the softcopy the SOPs require to keep.

Every SOP's "Pencatatan dan Pendataan" asks to keep the original as hardcopy and softcopy. For one
process the record holds the SOP's header block (instansi, nomor, tanggal pengesahan, disahkan oleh,
nama), the process number and title, who started it, when it started and ended, its status and
working time against the SOP's normal time, then a table with one row per step run: the step's
number and (short) kegiatan, its role and who answered it, when it started and was answered (office
local time), the working time taken against the baku mutu, the answer, the note and what was handed
in; then every link, nomor and file name in full; and the audit trail: how many audit events the
process has and the hash of the latest, with how to verify the chain (``sopbot audit verify``).
Pages are numbered "Halaman i dari n".

``archive_record`` turns the stored rows into an ``ArchiveRecord`` (plain text fields, pure);
``render_archive`` lays a record out as PDF bytes with fpdf2 (pure); ``archive_pdf`` reads and does
both. Fonts: DejaVu Sans and DejaVu Sans Mono from matplotlib's own data folder, so no system font
or network is needed and every Indonesian character (and "—", "✓") prints.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

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
    short_kegiatan,
    status_label,
    waktu_text,
)
from sop.loader import definition_from_json
from sop.models import SopDefinition
from storage.db import Database
from storage.processes import StepRun, StoredHandin
from storage.reports import ProcessRecordRows, ReportQueries

FONT = "DejaVu"
MONO = "DejaVuMono"
_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_FONT_FILES = (
    (FONT, "", "DejaVuSans.ttf"),
    (FONT, "B", "DejaVuSans-Bold.ttf"),
    (FONT, "I", "DejaVuSans-Oblique.ttf"),
    (MONO, "", "DejaVuSansMono.ttf"),
)
VERIFY_COMMAND = "sopbot audit verify"
COLUMN_WIDTHS = (12, 44, 44, 30, 60)
"""Millimetres of the step table's columns on A4 portrait (190 mm between the margins)."""


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
                kegiatan=short_kegiatan(step.kegiatan, 90) if step else f"Langkah {run.step}",
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


class _Pdf(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        for family, style, file in _FONT_FILES:
            self.add_font(family, style, str(_FONT_DIR / file))
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


def _line(pdf: FPDF, text: str, size: float = 9, style: str = "", height: float = 4.6) -> None:
    pdf.set_font(FONT, style, size)
    pdf.multi_cell(0, height, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _pairs(pdf: FPDF, pairs: Sequence[tuple[str, str]], label_width: float = 42) -> None:
    pdf.set_font(FONT, "", 9)
    with pdf.table(
        col_widths=(label_width, 190 - label_width),
        width=190,
        first_row_as_headings=False,
        borders_layout="NONE",
        text_align="LEFT",
        line_height=4.6,
        padding=(0.6, 1, 0.6, 0),
    ) as table:
        for label, value in pairs:
            row = table.row()
            row.cell(label, style=FontFace(emphasis="BOLD"))
            row.cell(value)


def _step_rows(record: ArchiveRecord) -> list[tuple[str, str, str, str, str]]:
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
        rows.append((number, who, when, how_long, "\n".join(answer)))
    return rows


def render_archive(record: ArchiveRecord) -> bytes:
    """The record laid out on A4 pages, as PDF bytes."""
    pdf = _Pdf(f"Proses #{record.process_id} · {record.sop_code} · dicetak {record.printed}")
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
    _line(pdf, "Langkah yang dijalankan", 11, "B", 6)
    pdf.set_font(FONT, "", 7.5)
    with pdf.table(
        col_widths=COLUMN_WIDTHS,
        width=190,
        text_align="LEFT",
        v_align="TOP",
        line_height=3.6,
        padding=1,
        headings_style=FontFace(emphasis="BOLD", fill_color=(228, 234, 241)),
        repeat_headings=1,
    ) as table:
        head = table.row()
        for text in ("No", "Kegiatan dan pelaksana", "Waktu", "Lama", "Jawaban dan hasil"):
            head.cell(text)
        for values in _step_rows(record):
            row = table.row()
            for text in values:
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
                f"{where} · {h.label}: {h.text}",
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
