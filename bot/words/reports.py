"""A report told in words: the summary the chat sends and ``sopbot report`` prints, the period
buttons, the note on how the figures are counted (also the spreadsheet's "Cara hitung"), and what
/laporan and /sop say in chat.

The figures themselves are ``bot.documents.reports``; the files laid out from them (chart, XLSX,
CSV) keep their own captions and column headers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from bot.chat.messages import Rich
from bot.words.format import (
    format_dates,
    format_local,
    format_working_duration,
    normal_time_words,
    percent,
    sop_title,
    waktu_text,
)
from sop.models import SopDefinition

if TYPE_CHECKING:
    from bot.documents.reports import PeriodKind, Report, SopFigures

MAX_SUMMARY = 3500
"""The longest summary text: one chat message (Telegram's limit is 4096, WhatsApp's similar)."""

PERIOD_LABELS: Mapping[PeriodKind, str] = {
    "bulan_ini": "Bulan ini",
    "3_bulan": "3 bulan terakhir",
    "semester": "Semester ini",
    "tahun": "Tahun ini",
}
"""Button labels for the periods, in ``PERIOD_KINDS`` order."""


def method_note(report: Report) -> str:
    """How the figures are counted, for people (summary, spreadsheet)."""
    day = format_working_duration(report.day_length)
    return (
        "Waktu dihitung dalam jam kerja kantor: malam, akhir pekan, hari libur nasional dan "
        f"cuti bersama tidak dihitung; 1 hari = {day} kerja. Median = nilai tengah; P90 = 90% "
        "selesai dalam waktu itu atau kurang. Langkah tanpa baku mutu (—) tidak dihitung dalam "
        "persentase tepat waktu."
    )


def _sop_section(index: int, sop: SopFigures, report: Report) -> list[str]:
    day = report.day_length

    def taken(td: timedelta | None) -> str:
        return format_working_duration(td or timedelta(0), day)

    lines = [f"{index}. {sop.name} ({sop.code})"]
    lines.append(
        f"Proses: {sop.started} dimulai, {sop.finished} selesai, {sop.cancelled} dibatalkan, "
        f"{sop.running} berjalan"
    )
    normal = normal_time_words(sop.normal_time, sop.steps_without_time)
    if sop.total.median is not None and sop.total.p90 is not None:
        lines.append(
            f"Waktu proses selesai: median {taken(sop.total.median)}, "
            f"P90 {taken(sop.total.p90)} (waktu normal {normal})"
        )
    else:
        lines.append(f"Waktu proses selesai: belum ada proses selesai (waktu normal {normal})")
    if sop.with_deadline:
        lines.append(
            f"Langkah tepat waktu: {sop.within} dari {sop.with_deadline} "
            f"({percent(sop.within_share)})"
        )
    over = [s for s in sop.steps if s.over_baku_mutu]
    if over:
        worst = sorted(
            over,
            key=lambda s: -(s.time.median or timedelta(0)) / (s.baku_mutu_working or day),
        )[:3]
        parts = [
            f"langkah {s.number} ({taken(s.time.median)}; baku mutu {waktu_text(s.baku_mutu)})"
            for s in worst
        ]
        lines.append("Median melebihi baku mutu: " + ", ".join(parts))
    late_open = sum(s.late_open for s in sop.steps)
    if late_open:
        lines.append(f"Langkah terlambat yang masih terbuka: {late_open}")
    returned = [s for s in sop.steps if s.sent_back]
    if returned:
        top = sorted(returned, key=lambda s: (-s.sent_back, s.number))[:2]
        parts = [
            f"langkah {s.number} sebanyak {s.sent_back} kali ({' / '.join(s.negative_labels)})"
            for s in top
        ]
        lines.append("Dikembalikan: " + ", ".join(parts))
    return lines


def summary_text(report: Report) -> str:
    """The report in a few lines of plain text, at most ``MAX_SUMMARY`` characters."""
    head = [
        f"Laporan SOP {report.office_name}",
        f"Periode: {format_dates(report.start, report.end)} "
        "(proses yang dimulai dalam periode ini)",
        f"Keadaan per {format_local(report.now, report.zone)}",
    ]
    if report.is_empty:
        head += ["", "Tidak ada proses yang dimulai dalam periode ini."]
    sections = [_sop_section(i, sop, report) for i, sop in enumerate(report.sops, start=1)]
    roles = [r for r in report.roles if r.open_now]
    role_lines: list[str] = []
    if roles:
        role_lines.append("Langkah terbuka per jabatan saat ini:")
        for r in roles[:8]:
            late = f", {r.late_now} terlambat" if r.late_now else ""
            role_lines.append(f"- {r.label}: {r.open_now} terbuka{late}")
        if len(roles) > 8:
            role_lines.append(f"- dan {len(roles) - 8} jabatan lain")
    tail = ["Catatan: " + method_note(report)]
    if not report.is_empty:
        tail.append("Rincian per langkah dan per proses ada di grafik dan berkas XLSX/CSV.")

    def assemble(shown: int) -> str:
        blocks = [head, *sections[:shown]]
        if shown < len(sections):
            blocks.append([f"… dan {len(sections) - shown} SOP lain: lihat berkas XLSX."])
        if role_lines:
            blocks.append(role_lines)
        blocks.append(tail)
        return "\n\n".join("\n".join(block) for block in blocks)

    shown = len(sections)
    text = assemble(shown)
    while len(text) > MAX_SUMMARY and shown > 0:
        shown -= 1
        text = assemble(shown)
    if len(text) > MAX_SUMMARY:
        text = text[: MAX_SUMMARY - 1] + "…"
    return text


# --- /laporan and /sop in chat -------------------------------------------------------------------


def refused(roles: Sequence[str]) -> str:
    return (
        f"Maaf, laporan SOP hanya untuk admin bot dan pemegang peran {', '.join(roles)} "
        "(termasuk Plh). Hubungi admin kantor bila Anda seharusnya dapat membukanya."
    )


NOT_FOR_YOU = "Laporan kantor ini bukan untuk Anda."


def choose_office() -> Rich:
    return Rich().b("Laporan SOP").nl().add("Pilih kantor:")


OTHER_PERIOD = "Pilih periode lain:"
EMPTY_PERIOD = "Tidak ada proses dalam periode ini."


def choose_period(office_name: str) -> Rich:
    text = Rich().b(f"Laporan SOP — {office_name}").nl()
    return text.add("Pilih periode (proses yang dimulai dalam periode itu, sampai hari ini):")


def download_label(label: str) -> str:
    return f"Unduh {label}"


def chart_caption(office_name: str, start: date, end: date) -> Rich:
    caption = Rich().b("Median waktu kerja per langkah dibanding baku mutu").nl()
    caption.add(f"{office_name} · {format_dates(start, end)}").nl()
    return caption.i(
        "Panjang batang: median dibanding baku mutu (garis hitam = 100%). Hijau: dalam baku "
        "mutu · merah: melebihi."
    )


def report_sent(period_label: str) -> str:
    return f"Laporan {period_label.lower()} dikirim."


def file_caption(office_name: str, label: str, start: date, end: date) -> Rich:
    text = Rich().b(f"Laporan SOP {office_name} ({label})").nl()
    return text.add(f"Proses yang dimulai {format_dates(start, end)}, keadaan saat berkas dibuat.")


def file_made(label: str) -> str:
    return f"Berkas {label} disiapkan."


NO_SOPS = "Kantor Anda belum menjalankan SOP apa pun di bot ini. Hubungi admin kantor."
SOP_NOT_HERE = "SOP ini tidak dijalankan di kantor Anda."
FLOWCHART_SENT = "Diagram alir dikirim."


def sop_list(sops: Sequence[SopDefinition], *, admin: bool) -> Rich:
    text = Rich().b("SOP" if admin else "SOP kantor Anda").nl()
    for defn in sops:
        text.add(f"• {sop_title(defn)}").nl()
    return text.add("Tekan salah satu untuk melihat diagram alirnya.")


def sop_caption(defn: SopDefinition, normal_time: str) -> Rich:
    h = defn.header
    text = Rich().b(h.nama).nl()
    text.add(f"SOP Nomor {h.nomor} · {len(defn.steps)} langkah").nl()
    return text.add(f"Waktu normal: {normal_time}")
