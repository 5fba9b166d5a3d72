"""The report as XLSX (read back with openpyxl), as CSV, and as the step chart PNG."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import zipfile
from datetime import timedelta

import pytest
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.documents.charts import step_chart_figure, step_chart_png
from bot.documents.exports import CSV_HEADER, DURATION_FORMAT, report_csv, report_xlsx
from bot.documents.reports import Report, Spread
from tests.report_history import (
    History,
    hours,
    minutes,
    png_size,
    synthetic_report,
    wib,
)

D = "kapuas-medsos-jdih"
C = "jambi-konten-medsos"


def _rows(ws: Worksheet) -> list[dict[str, object]]:
    header = [str(c.value) for c in ws[1]]
    return [
        dict(zip(header, values, strict=True))
        for values in ws.iter_rows(min_row=2, values_only=True)
        if values[0] is not None
    ]


def _cell(ws: Worksheet, header: str, row: int) -> object:
    column = [c.value for c in ws[1]].index(header) + 1
    return ws.cell(row=row, column=column)


# --- XLSX -----------------------------------------------------------------------------------------


async def test_xlsx_has_the_views_with_frozen_indonesian_headers(report: Report) -> None:
    wb = load_workbook(io.BytesIO(report_xlsx(report)))
    assert wb.sheetnames == ["Ringkasan", "Langkah", "Proses", "Jabatan"]
    assert wb["Ringkasan"].freeze_panes == "A2"
    assert wb["Langkah"].freeze_panes == "C2"  # SOP code and step number stay in view
    assert wb["Proses"].freeze_panes == "B2"
    assert wb["Jabatan"].freeze_panes == "A2"
    assert wb["Ringkasan"]["A1"].value == "Kode SOP"
    assert wb["Ringkasan"]["A1"].font.bold
    assert wb["Langkah"]["C1"].value == "Kegiatan"
    assert wb["Proses"]["F1"].value == "Mulai (WIB)"
    assert wb["Langkah"].column_dimensions["C"].width >= 40


async def test_xlsx_summary_rows_hold_counts_durations_and_shares(report: Report) -> None:
    wb = load_workbook(io.BytesIO(report_xlsx(report)))
    ws = wb["Ringkasan"]
    rows = {r["Kode SOP"]: r for r in _rows(ws) if r["Kode SOP"] in (C, D)}
    d = rows[D]
    assert (d["Proses dimulai"], d["Proses selesai"], d["Proses dibatalkan"]) == (4, 2, 1)
    assert d["Proses berjalan"] == 1
    assert d["Median waktu proses selesai (jam kerja)"] == hours(10, 30)
    assert d["P90 waktu proses selesai (jam kerja)"] == hours(11, 10)
    assert d["Waktu normal (jam kerja)"] == hours(10, 5)
    assert d["Waktu normal (SOP)"] == "1 hari 1 jam 35 menit"
    assert d["Tepat waktu (%)"] == pytest.approx(13 / 16)
    assert rows[C]["Langkah tanpa baku mutu"] == 3
    row = 3 if ws["A2"].value == C else 2
    median = _cell(ws, "Median waktu proses selesai (jam kerja)", row)
    assert median.number_format == DURATION_FORMAT  # type: ignore[attr-defined]
    # Stored as a plain number (a fraction of a day) that SUM can add, not as text.
    letter = median.column_letter  # type: ignore[attr-defined]
    with zipfile.ZipFile(io.BytesIO(report_xlsx(report))) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    stored = re.search(rf'<c r="{letter}{row}"[^>]*t="n"[^>]*><v>([0-9.]+)</v>', sheet)
    assert stored is not None
    assert float(stored.group(1)) == pytest.approx(10.5 / 24)
    assert _cell(ws, "Tepat waktu (%)", row).number_format == "0%"  # type: ignore[attr-defined]
    labels = [ws.cell(row=r, column=1).value for r in range(1, ws.max_row + 1)]
    assert "Cara hitung" in labels
    notes = " ".join(str(ws.cell(row=r, column=2).value) for r in range(4, ws.max_row + 1))
    assert "1 hari = 8 jam 30 menit kerja" in notes
    assert "1 Des 2026 – 31 Des 2026" in notes


async def test_xlsx_step_rows_match_the_figures(report: Report) -> None:
    wb = load_workbook(io.BytesIO(report_xlsx(report)))
    ws = wb["Langkah"]
    rows = {(r["Kode SOP"], r["Langkah"]): r for r in _rows(ws)}
    assert len(rows) == 13  # 7 steps of C, 6 of D
    d2 = rows[(D, 2)]
    assert d2["Pelaksana"] == "Staf Subbagian"
    assert d2["Baku mutu (SOP)"] == "1 hari"
    assert d2["Baku mutu (jam kerja)"] == hours(8, 30)
    assert d2["Median waktu (jam kerja)"] == hours(8, 55)
    assert d2["P90 waktu (jam kerja)"] == hours(9, 30)
    assert d2["Waktu terlama (jam kerja)"] == hours(9, 30)
    assert (d2["Dijalankan (kali)"], d2["Dijawab (kali)"], d2["Masih terbuka"]) == (4, 2, 1)
    assert (d2["Tepat waktu"], d2["Tepat waktu (%)"]) == (1, 0.5)
    assert (d2["Terlambat (dijawab)"], d2["Terlambat (masih terbuka)"]) == (1, 1)
    d5 = rows[(D, 5)]
    assert d5["Jenis"] == "Persetujuan"
    assert (d5["Dikembalikan (kali)"], d5["Jawaban pengembalian"]) == (1, "Tidak Setuju")
    assert d5["Dikembalikan (%)"] == pytest.approx(1 / 3)
    c5 = rows[(C, 5)]
    assert c5["Baku mutu (SOP)"] == "—"
    assert c5["Baku mutu (jam kerja)"] is None
    assert c5["Tepat waktu (%)"] is None
    assert c5["Median waktu (jam kerja)"] == minutes(30)
    assert rows[(C, 2)]["Median waktu (jam kerja)"] == hours(8, 37) + timedelta(seconds=30)
    for header in ("Median waktu (jam kerja)", "Baku mutu (jam kerja)"):
        assert _cell(ws, header, 2).number_format == DURATION_FORMAT  # type: ignore[attr-defined]


async def test_xlsx_process_and_role_rows(report: Report, history: History) -> None:
    wb = load_workbook(io.BytesIO(report_xlsx(report)))
    rows = {r["No. proses"]: r for r in _rows(wb["Proses"])}
    assert set(rows) == {history.processes[k] for k in ("P1", "P2", "P3", "P4", "P6")}
    p1 = rows[history.processes["P1"]]
    assert p1["Judul"] == "Konten Natal"
    assert p1["Status"] == "Selesai"
    # Naive office wall-clock times: a spreadsheet has no zones.
    assert p1["Mulai (WIB)"] == wib(12, 23, 8, 0).replace(tzinfo=None)
    assert p1["Berakhir (WIB)"] == wib(12, 28, 10, 40).replace(tzinfo=None)
    assert p1["Waktu kerja (jam kerja)"] == hours(11, 10)
    assert p1["Langkah terlambat"] == 2
    p4 = rows[history.processes["P4"]]
    assert (p4["Status"], p4["Langkah saat ini"], p4["Menunggu jabatan"]) == (
        "Berjalan",
        2,
        "Staf Subbagian",
    )
    assert p4["Berakhir (WIB)"] is None
    assert rows[history.processes["P3"]]["Catatan pembatalan"] == (
        "Materi digabung dengan konten lain."
    )
    assert wb["Proses"]["F2"].number_format == "dd/mm/yyyy hh:mm"
    roles = {r["Kode jabatan"]: r for r in _rows(wb["Jabatan"])}
    assert roles["staf_subbagian"]["Terbuka saat ini"] == 1
    assert roles["staf_subbagian"]["Terlambat saat ini"] == 1
    assert roles["kasubbag_hukum_sdm"]["Jabatan"] == "Kasubbag Hukum & SDM"


def test_xlsx_of_an_empty_report_still_has_every_sheet() -> None:
    empty = dataclasses.replace(synthetic_report(), sops=(), processes=())
    wb = load_workbook(io.BytesIO(report_xlsx(empty)))
    assert wb.sheetnames == ["Ringkasan", "Langkah", "Proses", "Jabatan"]
    assert wb["Langkah"].max_row == 1
    texts = [c.value for row in wb["Ringkasan"].iter_rows() for c in row]
    assert "Tidak ada proses yang dimulai dalam periode ini." in texts


# --- CSV ------------------------------------------------------------------------------------------


async def test_csv_is_one_long_table_with_bom_and_whole_minutes(report: Report) -> None:
    data = report_csv(report)
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == CSV_HEADER
    assert all(len(r) == len(CSV_HEADER) for r in rows)
    body = {tuple(r[:6]): r[6:8] for r in rows[1:]}
    # Working times in words in Nilai, and as whole minutes in the last column for computing.
    minutes = {tuple(r[:6]): r[8] for r in rows[1:]}
    assert body[("Ringkasan", D, "", "", "", "Proses dimulai")] == ["4", "proses"]
    assert minutes[("Ringkasan", D, "", "", "", "Proses dimulai")] == ""
    assert body[("Ringkasan", D, "", "", "", "Median waktu proses selesai")] == [
        "1 hari 2 jam",
        "waktu kerja",
    ]
    assert minutes[("Ringkasan", D, "", "", "", "Median waktu proses selesai")] == "630"
    assert body[("Ringkasan", D, "", "", "", "Tepat waktu (%)")] == ["81", "persen"]
    assert body[("Langkah", D, "2", "", "", "Median waktu")] == ["1 hari 25 menit", "waktu kerja"]
    assert minutes[("Langkah", D, "2", "", "", "Median waktu")] == "535"
    assert body[("Langkah", D, "5", "", "", "Dikembalikan")] == ["1", "kali"]
    assert body[("Langkah", D, "5", "", "", "Dikembalikan (%)")] == ["33", "persen"]
    assert body[("Langkah", C, "5", "", "", "Baku mutu")] == ["", "waktu kerja"]
    assert minutes[("Langkah", C, "5", "", "", "Baku mutu")] == ""
    assert body[("Langkah", C, "5", "", "", "Baku mutu (SOP)")] == ["—", "teks"]
    assert len(body) == len(rows) - 1  # every figure named once
    assert body[("Laporan", "", "", "", "", "1 hari kerja")] == ["8 jam 30 menit", "waktu kerja"]
    assert minutes[("Laporan", "", "", "", "", "1 hari kerja")] == "510"
    p1 = str(min(p.id for p in report.processes))
    assert body[("Proses", D, "", "", p1, "Judul")] == ["Konten Natal", "teks"]
    assert body[("Proses", D, "", "", p1, "Mulai")] == ["2026-12-23 08:00", "WIB"]
    assert body[("Jabatan", "", "", "staf_subbagian", "", "Terlambat saat ini")] == [
        "1",
        "langkah",
    ]


# --- chart ----------------------------------------------------------------------------------------


async def test_chart_of_the_report_is_a_sane_png(report: Report) -> None:
    width, height = png_size(step_chart_png(report))
    assert width == 1440
    assert 800 <= height <= 3000
    one_w, one_h = png_size(step_chart_png(report, D))
    assert one_w == 1440
    assert 400 <= one_h < height
    with pytest.raises(ValueError, match="tidak memuat"):
        step_chart_png(report, "jambi-penurunan-jdih")


def test_chart_draws_all_four_sops_and_an_empty_period() -> None:
    report = synthetic_report()
    assert len(report.sops) == 4
    width, height = png_size(step_chart_png(report))
    assert width == 1440
    assert 1500 <= height <= 5000
    empty = dataclasses.replace(report, sops=())
    w, h = png_size(step_chart_png(empty))
    assert (w, 200 <= h <= 600) == (1440, True)


def _edge_report() -> Report:
    """SOP D with a step done in 0 menit, one at five times its baku mutu and one never answered,
    and SOP C with its steps that state no waktu."""
    report = synthetic_report()
    d = next(s for s in report.sops if s.code == D)
    steps = list(d.steps)
    baku = steps[1].baku_mutu_working
    assert baku is not None
    steps[0] = dataclasses.replace(steps[0], time=Spread.of([timedelta(0)] * 3))
    steps[1] = dataclasses.replace(steps[1], time=Spread.of([baku * 5] * 3))
    steps[2] = dataclasses.replace(steps[2], time=Spread.of([]))
    c = next(s for s in report.sops if s.code == C)
    return dataclasses.replace(report, sops=(c, dataclasses.replace(d, steps=tuple(steps))))


def _bars(ax: Axes) -> dict[int, float]:
    """Each row's bar length, by row."""
    return {
        round(p.get_y() + p.get_height() / 2): p.get_width()
        for p in ax.patches
        if isinstance(p, Rectangle)
    }


def test_chart_bars_are_each_steps_median_over_its_baku_mutu_on_a_plain_axis() -> None:
    report = _edge_report()
    fig = step_chart_figure(report)
    sop_c, sop_d = fig.axes
    for ax in fig.axes:
        assert ax.get_xscale() == "linear"
        assert ax.get_xlim() == (0.0, 3.0)  # one axis for all, up to 300%
    texts = [t.get_text() for t in sop_d.texts]
    bars = _bars(sop_d)
    assert bars[0] == 0  # "0 menit" has no length (it had a long bar on the log axis)
    assert "0 menit / 10 menit (0%)" in texts
    assert bars[1] == 3.0  # 500% stops at the edge, marked, and its figure is written
    assert "»" in texts
    assert "5 hari / 1 hari (500%)" in texts
    assert 2 not in bars  # never answered: no bar, said so
    assert "belum ada yang dijawab" in texts
    for row, step in enumerate(next(s for s in report.sops if s.code == D).steps[3:], start=3):
        assert step.time.median is not None
        assert step.baku_mutu_working is not None
        assert bars[row] == pytest.approx(step.time.median / step.baku_mutu_working)
    c_texts = [t.get_text() for t in sop_c.texts]
    assert c_texts.count("tanpa baku mutu") == 3
    assert set(_bars(sop_c)) == {0, 1, 2, 3}  # the steps with a baku mutu only


def _all_texts(fig: Figure) -> list[Text]:
    texts = list(fig.texts)
    for ax in fig.axes:
        texts += [*ax.texts, *ax.get_xticklabels(), *ax.get_yticklabels(), ax.xaxis.label]
    for legend in fig.legends:
        texts += legend.get_texts()
    return [t for t in texts if t.get_text().strip() and t.get_visible()]


async def test_chart_texts_do_not_overlap_and_every_sop_name_is_whole(report: Report) -> None:
    for each in (report, synthetic_report(), _edge_report()):
        fig = step_chart_figure(each)
        FigureCanvasAgg(fig)
        fig.draw_without_rendering()  # places the axis labels
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        texts = _all_texts(fig)
        boxes = [t.get_window_extent(renderer).padded(-1) for t in texts]
        for i, a in enumerate(boxes):
            for j in range(i + 1, len(boxes)):
                assert not a.overlaps(boxes[j]), (texts[i].get_text(), texts[j].get_text())
        shown = {" ".join(t.get_text().split()) for t in fig.texts}
        for sop in each.sops:
            assert " ".join(sop.name.split()) in shown  # wrapped, never cut
        assert all(t.get_text() != "…" for t in texts)


def test_exports_keep_the_whole_kegiatan() -> None:
    report = synthetic_report()
    step = next(s for s in report.sops if s.code == D).steps[3]  # a long kegiatan
    whole = " ".join(step.kegiatan.split())
    assert len(whole) > 90
    assert step.short != whole  # what the files used to hold
    ws = load_workbook(io.BytesIO(report_xlsx(report)))["Langkah"]
    kegiatan = [r["Kegiatan"] for r in _rows(ws)]
    assert whole in kegiatan
    assert _cell(ws, "Kegiatan", 2).alignment.wrap_text  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(report_csv(report).decode("utf-8-sig"))))
    assert whole in [r[6] for r in rows if r[5] == "Kegiatan"]
