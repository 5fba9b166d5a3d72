"""The archive record PDF: produced on A4, its text read back with pypdf and checked."""

from __future__ import annotations

import argparse
import dataclasses
import io
import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.cli.reports import add_audit_export_arguments, cmd_audit_export
from bot.clock import FakeClock
from bot.documents.archive import (
    BREAK_AFTER,
    ArchiveHandin,
    ArchiveRecord,
    ArchiveStep,
    UnknownProcess,
    archive_pdf,
    render_archive,
)
from storage.db import Database
from tests.report_history import (
    FILE_P1,
    LINK_P1,
    NOTE_P1,
    NOW,
    History,
)

A4 = (595.28, 841.89)


def _read(pdf: bytes) -> tuple[PdfReader, list[str], str]:
    """The reader, each page's text, and all text with whitespace collapsed (table cells wrap)."""
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    pages = [page.extract_text() for page in reader.pages]
    return reader, pages, re.sub(r"\s+", " ", " ".join(pages))


async def test_the_record_of_a_finished_process(history_db: Database, history: History) -> None:
    pid = history.processes["P1"]
    reader, pages, text = _read(await archive_pdf(history_db, pid, NOW))
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(A4[0], abs=0.5)
        assert float(page.mediabox.height) == pytest.approx(A4[1], abs=0.5)
    # The SOP's header block.
    assert "SEKRETARIAT KOMISI PEMILIHAN UMUM KABUPATEN KAPUAS" in text
    assert "REKAMAN PELAKSANAAN STANDAR OPERASIONAL PROSEDUR" in text
    assert "Nomor SOP 3 Tahun 2012" in text
    assert "Tanggal Pengesahan 9 Februari 2012" in text
    assert "Disahkan oleh Sekretaris Komisi Pemilihan Umum Kabupaten Kapuas, Hildayani" in text
    assert "Nama SOP Pengelolaan Media Sosial Jaringan Dokumentasi" in text
    # The process.
    assert f"Proses #{pid}: Konten Natal" in text
    assert "Dimulai oleh Hildayani" in text
    assert "Mulai Rabu, 23 Des 2026 08.00 WIB" in text
    assert "Berakhir Senin, 28 Des 2026 10.40 WIB" in text
    assert "Status Selesai" in text
    assert "Waktu kerja 1 hari 2 jam 40 menit (waktu normal 1 hari 1 jam 35 menit)" in text
    # Step 2 over the Christmas holidays: 9 jam 30 menit of working time, an hour late.
    assert (
        "Selesai: Senin, 28 Des 2026 09.08 WIB 1 hari 1 jam baku mutu 1 hari terlambat 1 jam"
        in text
    )
    assert "Pelaksana: Staf Subbagian — Rina Marlina" in text
    # Step 5 sent back, with its note; then entered a second time.
    assert f"terlambat 5 menit Tidak Setuju Catatan: {NOTE_P1}" in text
    assert "5 (ke-2)" in text
    assert "baku mutu 10 menit tepat waktu Setuju" in text
    # Hand-ins in full, the link clickable.
    assert f"Langkah 6 · Tautan hasil unggah: {LINK_P1}" in text
    assert f"Langkah 3 · Draft konten media sosial: {FILE_P1}" in text
    uris = [
        annot.get_object()["/A"]["/URI"]
        for page in reader.pages
        for annot in page.get("/Annots") or []
    ]
    assert LINK_P1 in uris
    # Page numbers.
    assert len(pages) >= 2
    assert f"Halaman 1 dari {len(pages)}" in pages[0]
    assert f"Halaman {len(pages)} dari {len(pages)}" in pages[-1]


async def test_the_record_carries_the_process_audit_hash(
    history_db: Database, history: History
) -> None:
    pid = history.processes["P1"]
    async with history_db.read() as tx:
        events = await tx.audit.for_process(pid)
        head = await tx.audit.head()
    assert head is not None
    _, _, text = _read(await archive_pdf(history_db, pid, NOW))
    assert f"{len(events)} peristiwa audit tercatat untuk proses ini" in text
    assert f"yang terakhir #{events[-1].id}, Senin, 28 Des 2026 10.40 WIB" in text
    assert events[-1].hash in text
    assert head.hash != events[-1].hash  # later events of other processes are not its hash
    assert head.hash not in text
    assert "sopbot audit verify" in text


async def test_the_record_of_a_cancelled_and_of_a_running_process(
    history_db: Database, history: History
) -> None:
    _, _, cancelled = _read(await archive_pdf(history_db, history.processes["P3"], NOW))
    assert "Status Dibatalkan" in cancelled
    assert "Catatan akhir Materi digabung dengan konten lain." in cancelled
    assert "Dibatalkan" in cancelled
    assert "proses dibatalkan" in cancelled
    _, _, running = _read(await archive_pdf(history_db, history.processes["P4"], NOW))
    assert "Berakhir — (masih berjalan)" in running
    assert "Status Berjalan" in running
    assert "masih terbuka, terlambat 1 jam 50 menit" in running  # due Rabu 08.10, now 10.00
    _, _, sop_c = _read(await archive_pdf(history_db, history.processes["P6"], NOW))
    assert "baku mutu — tanpa baku mutu" in sop_c
    assert "Ada koreksi Catatan: Judul konten terlalu panjang." in sop_c


async def test_an_unknown_process_is_refused(history_db: Database, history: History) -> None:
    with pytest.raises(UnknownProcess):
        await archive_pdf(history_db, 999, NOW)


RUNNING = ArchiveRecord(  # a running SOP C process of Jambi; tests replace what they need
    instansi="Sekretariat Komisi Pemilihan Umum Provinsi Jambi",
    nomor="17 Tahun 2025",
    tanggal_pengesahan="10 Januari 2025",
    disahkan_oleh="Sekretaris",
    nama="Pembuatan dan Pengunggahan Konten",
    sop_code="jambi-konten-medsos",
    office="KPU Provinsi Jambi",
    process_id=42,
    title="Konten Pemilu Serentak",
    starter="Ahmad Fauzi",
    started="Senin, 14 Des 2026 08.00 WIB",
    ended=None,
    status="Berjalan",
    end_note=None,
    working_time="3 hari",
    normal_time="3 hari 1 jam 15 menit + 3 langkah tanpa waktu",
    steps=(),
    handins=(),
    audit_count=0,
    audit_hash=None,
    audit_last=None,
    printed="Rabu, 30 Des 2026 10.00 WIB",
)


def test_a_long_record_runs_over_numbered_pages() -> None:
    step = ArchiveStep(
        number=2,
        attempt=1,
        kegiatan="Menghimpun bahan konten media sosial — “kutipan” dan ✓",
        role="Tim Kreatif",
        actor="Sari Wulandari",
        started="Senin, 14 Des 2026 08.15 WIB",
        done="Selasa, 15 Des 2026 15.15 WIB",
        taken="1 hari 7 jam",
        baku_mutu="2 hari",
        timing="tepat waktu",
        answer="Selesai",
        note="Catatan yang cukup panjang " * 6,
        handins=(),
    )
    record = dataclasses.replace(
        RUNNING, steps=tuple(dataclasses.replace(step, attempt=i + 1) for i in range(40))
    )
    _, pages, text = _read(render_archive(record))
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"Halaman {number} dari {len(pages)}" in page
        if "Pelaksana:" in page:  # the table's heading is repeated on every page it runs on
            assert "No Kegiatan dan pelaksana Waktu Lama Jawaban dan hasil" in page
    assert sum("Pelaksana:" in page for page in pages) >= 3
    assert "“kutipan” dan ✓" in text
    assert "2 (ke-40)" in text
    assert "Belum ada peristiwa audit tercatat untuk proses ini." in text


# --- command line ---------------------------------------------------------------------------------


def test_audit_export_writes_the_pdf(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    report_template: tuple[Path, History],
) -> None:
    monkeypatch.setattr("bot.cli.reports.SystemClock", lambda: FakeClock(NOW))
    database, history = tmp_path / "cli.db", report_template[1]
    shutil.copyfile(report_template[0], database)
    pid = history.processes["P1"]
    out = tmp_path / "arsip" / f"proses-{pid}.pdf"
    parser = argparse.ArgumentParser(prog="sopbot")
    audit = parser.add_subparsers(dest="command").add_parser("audit")
    add_audit_export_arguments(audit.add_subparsers(dest="audit_command", required=True))
    args = parser.parse_args(
        ["audit", "export", str(pid), "--out", str(out), "--database", str(database)]
    )
    assert args.func(args) == 0
    assert f"Rekaman proses #{pid} ditulis ke {out}" in capsys.readouterr().out
    _, _, text = _read(out.read_bytes())
    assert f"Proses #{pid}: Konten Natal" in text
    assert "dicetak Rabu, 30 Des 2026 10.00 WIB" in text  # the (fixed) clock's moment
    assert cmd_audit_export(999, out, database) == 2
    assert "Proses #999 tidak ditemukan." in capsys.readouterr().err
    assert cmd_audit_export("satu", out, database) == 2
    assert "tulis angka" in capsys.readouterr().err
    assert cmd_audit_export(pid, out, tmp_path / "tidak-ada.db") == 2
    blocked = tmp_path / "berkas-biasa"
    blocked.write_text("bukan folder")
    assert cmd_audit_export(pid, blocked / "x.pdf", database) == 1
    assert "Tidak dapat menulis" in capsys.readouterr().err


# --- nothing cut, any length (issue 12) -----------------------------------------------------------

LONG_LINK = (
    "https://jdih.kpu.go.id/dokumen/keputusan/2026/nomor-12/lampiran?unduh=ya&versi=2"
    "&berkas=keputusan-kpu-nomor-12-tahun-2026-tentang-pedoman-teknis-pengelolaan-jdih.pdf"
)
KEGIATAN = (
    "Menghimpun bahan konten media sosial; membuat konsep konten media sosial dan menyampaikan "
    "konsep konten media sosial kepada Kepala Subbagian Hukum untuk dikoreksi sebelum didesain"
)


def _record(note: str, handins: tuple[str, ...] = (), end_note: str | None = None) -> ArchiveRecord:
    step = ArchiveStep(
        number=2,
        attempt=1,
        kegiatan=KEGIATAN,
        role="Tim Kreatif",
        actor="Sari Wulandari",
        started="Senin, 14 Des 2026 08.15 WIB",
        done="Selasa, 15 Des 2026 15.15 WIB",
        taken="1 hari 7 jam",
        baku_mutu="2 hari",
        timing="tepat waktu",
        answer="Ada koreksi",
        note=note,
        handins=handins,
    )
    return dataclasses.replace(
        RUNNING,
        process_id=43,
        end_note=end_note,
        steps=(step,),
        handins=(ArchiveHandin(step=2, label="Tautan", text=LONG_LINK, link=LONG_LINK),),
    )


def _words(count: int, seed: str) -> str:
    return " ".join(f"{seed}{i}" for i in range(count))


@pytest.mark.parametrize("length", [3_200, 12_000, 40_000])
def test_a_note_of_any_length_is_printed_whole_across_pages(length: int) -> None:
    note = _words(length // 8, "koreksi")  # 3,000+ characters used to fail: row too high
    end_note = _words(600, "batal")
    _, pages, text = _read(render_archive(_record(note, end_note=end_note)))
    for whole in (note, end_note):  # every word, in order (page footers come between)
        words = whole.split()
        found = [text.find(f" {word} ") for word in words]
        assert -1 not in found, whole[:40]
        assert found == sorted(found)
    assert f"Halaman {len(pages)} dari {len(pages)}" in pages[-1]
    if length > 10_000:
        assert "(lan- jutan)" in text  # the row goes on in rows of its own
        assert len(pages) >= 3


def test_the_whole_kegiatan_and_links_broken_only_at_sensible_points() -> None:
    record = _record("Perbaiki judul.", handins=(f"Tautan hasil unggah: {LONG_LINK}",))
    _, pages, text = _read(render_archive(record))
    assert KEGIATAN in text  # whole, not cut at 90 characters
    lines = [line for page in pages for line in page.splitlines()]
    pieces = [line for line in lines if line and line in LONG_LINK and len(line) > 8]
    assert "".join(pieces).count("https://") >= 1
    for piece in pieces:
        end = LONG_LINK.index(piece) + len(piece)
        if end < len(LONG_LINK):
            assert piece[-1] in BREAK_AFTER, piece  # never inside a word


def test_the_record_has_a_place_for_paraf_and_signatures() -> None:
    _, pages, text = _read(render_archive(_record("Perbaiki judul.")))
    assert "No Kegiatan dan pelaksana Waktu Lama Jawaban dan hasil Paraf" in text
    assert "Pengesahan cetakan" in text
    assert "Dicetak dan diperiksa oleh," in text
    assert "Mengetahui," in text
    assert text.count("NIP: ") == 2
    assert "Pengesahan cetakan" in pages[-1]
