"""Report figures on a constructed history with known working times (tests/report_history.py)."""

from __future__ import annotations

import argparse
import dataclasses
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.cli.reports import add_report_arguments, cmd_report
from bot.clock import FakeClock
from bot.documents.reports import (
    PERIOD_KINDS,
    Report,
    Spread,
    UnknownOffice,
    build_report,
    median,
    percentile,
    period,
    period_bounds,
)
from bot.words.format import format_working_duration, short_kegiatan, status_label
from bot.words.reports import MAX_SUMMARY, PERIOD_LABELS, summary_text
from sop.durations import Duration
from sop.loader import load_catalog
from sop.models import SopDefinition
from storage.db import Database
from tests.report_history import (
    NOW,
    PERIOD,
    History,
    hours,
    minutes,
    png_size,
    wib,
)

D = "kapuas-medsos-jdih"
C = "jambi-konten-medsos"


# --- statistics -----------------------------------------------------------------------------------


def test_median_takes_the_middle_or_the_mean_of_the_two_middles() -> None:
    assert median([minutes(10), minutes(5), minutes(8)]) == minutes(8)
    assert median([minutes(5), minutes(8), minutes(10), minutes(10)]) == minutes(9)
    assert median([hours(9, 30), hours(8, 20)]) == hours(8, 55)
    with pytest.raises(ValueError, match="no values"):
        median([])


def test_p90_is_the_nearest_rank_an_observed_value() -> None:
    ten = [minutes(n) for n in range(10, 0, -1)]
    assert percentile(ten, 90) == minutes(9)  # ceil(0.9 * 10) = 9th value
    eleven = [*ten, minutes(11)]
    assert percentile(eleven, 90) == minutes(10)  # ceil(9.9) = 10th value
    assert percentile([minutes(5), minutes(5), minutes(15)], 90) == minutes(15)
    assert percentile([minutes(7)], 90) == minutes(7)
    twenty = [minutes(n) for n in range(1, 21)]
    assert percentile(twenty, 90) == minutes(18)  # exact rank, no float drift
    assert Spread.of([]) == Spread(0, None, None, None)
    with pytest.raises(ValueError, match="percentile"):
        percentile(ten, 0)


def test_working_time_counts_hari_as_the_nominal_working_day() -> None:
    day = hours(8, 30)
    assert format_working_duration(hours(8, 55), day) == "1 hari 25 menit"
    assert format_working_duration(hours(29), day) == "3 hari 3 jam 30 menit"
    assert format_working_duration(minutes(32.5), day) == "33 menit"
    assert format_working_duration(timedelta(0), day) == "0 menit"
    assert format_working_duration(hours(10)) == "10 jam"


def test_short_kegiatan_drops_enumeration_marks_and_cuts_at_a_word() -> None:
    assert (
        short_kegiatan("a. Menghimpun bahan konten b. Membuat konsep", 80)
        == "Menghimpun bahan konten; Membuat konsep"
    )
    cut = short_kegiatan("memberikan disposisi/petunjuk pembuatan konten media sosial JDIH", 40)
    assert cut == "Memberikan disposisi/petunjuk pembuatan…"
    assert len(cut) <= 40


# --- periods --------------------------------------------------------------------------------------


def test_periods_run_from_calendar_starts_to_today_in_office_time() -> None:
    # 20.00 UTC on 10 Mar is already 11 Mar in WIB.
    now = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
    zone = ZoneInfo("Asia/Jakarta")
    today = date(2026, 3, 11)
    assert period("bulan_ini", now, zone) == (date(2026, 3, 1), today)
    assert period("3_bulan", now, zone) == (date(2026, 1, 1), today)
    assert period("semester", now, zone) == (date(2026, 1, 1), today)
    assert period("tahun", now, "WIB") == (date(2026, 1, 1), today)
    august = datetime(2026, 8, 5, 3, 0, tzinfo=UTC)
    assert period("semester", august, zone) == (date(2026, 7, 1), date(2026, 8, 5))
    assert period("3_bulan", august, zone) == (date(2026, 6, 1), date(2026, 8, 5))
    january = datetime(2027, 1, 15, 3, 0, tzinfo=UTC)
    assert period("3_bulan", january, zone) == (date(2026, 11, 1), date(2027, 1, 15))
    assert period("semester", datetime(2026, 6, 30, 16, 59, tzinfo=UTC), zone)[0] == date(
        2026, 1, 1
    )
    assert period("semester", datetime(2026, 6, 30, 17, 0, tzinfo=UTC), zone)[0] == date(2026, 7, 1)
    assert list(PERIOD_LABELS) == list(PERIOD_KINDS)
    with pytest.raises(ValueError, match="tidak dikenal"):
        period("minggu_ini", now, zone)  # type: ignore[arg-type]


def test_period_bounds_are_local_midnights() -> None:
    lo, hi = period_bounds(date(2026, 12, 1), date(2026, 12, 31), ZoneInfo("Asia/Makassar"))
    assert lo.astimezone(UTC) == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert hi.astimezone(UTC) == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="sebelum"):
        period_bounds(date(2026, 12, 2), date(2026, 12, 1), ZoneInfo("Asia/Jakarta"))


# --- figures --------------------------------------------------------------------------------------


async def test_process_counts_follow_the_cohort_started_in_the_period(
    report: Report, history: History
) -> None:
    ids = {p.id for p in report.processes}
    assert ids == {history.processes[k] for k in ("P1", "P2", "P3", "P4", "P6")}
    assert [s.code for s in report.sops] == [C, D]
    d = report.sop(D)
    assert d is not None
    assert (d.started, d.finished, d.cancelled, d.running) == (4, 2, 1, 1)
    # Finished: P1 11 jam 10 menit (the Natal days do not count), P2 9 jam 50 menit.
    assert d.total == Spread(2, hours(10, 30), hours(11, 10), hours(11, 10))
    assert d.normal_time == Duration(days=1, minutes=95)
    assert d.normal_working == hours(10, 5)  # 1 hari = 8 jam 30 menit, + 95 menit
    c = report.sop(C)
    assert c is not None
    assert (c.started, c.finished, c.cancelled, c.running) == (1, 1, 0, 0)
    assert c.total.median == hours(29)
    assert c.normal_working == hours(26, 45)
    assert c.steps_without_time == 3


async def test_step_working_time_skips_the_holidays_inside_it(report: Report) -> None:
    d = report.sop(D)
    assert d is not None
    step2 = d.steps[1]
    assert step2.number == 2
    assert step2.baku_mutu == Duration(days=1)
    assert step2.baku_mutu_working == hours(8, 30)
    # P1: Rabu 23 Des 08.08 -> Senin 28 Des 09.08 over 24-27 Des = 9 jam 30 menit;
    # P2: 8 jam 20 menit. P3 was cancelled under it, P4 is still open in it.
    assert step2.time == Spread(2, hours(8, 55), hours(9, 30), hours(9, 30))
    assert (step2.runs, step2.answered, step2.open, step2.cancelled) == (4, 2, 1, 1)
    assert (step2.with_deadline, step2.within, step2.late_done, step2.late_open) == (2, 1, 1, 1)
    assert step2.within_share == 0.5
    assert step2.late == 2
    assert step2.over_baku_mutu


async def test_step_within_counts_done_exactly_at_the_deadline(report: Report) -> None:
    d = report.sop(D)
    assert d is not None
    step1, step3 = d.steps[0], d.steps[2]
    # 8, 10, 5 and 10 menit; two of them end exactly on the deadline.
    assert step1.time == Spread(4, minutes(9), minutes(10), minutes(10))
    assert (step1.within, step1.with_deadline, step1.within_share) == (4, 4, 1.0)
    assert not step1.over_baku_mutu
    assert step3.time == Spread(2, minutes(32.5), minutes(45), minutes(45))
    assert (step3.within, step3.late_done) == (1, 1)
    assert d.within == 13
    assert d.with_deadline == 16
    assert d.within_share == pytest.approx(13 / 16)
    assert d.late == 4  # step 2 twice, steps 3 and 5 once each


async def test_sent_back_counts_negative_answers_with_their_labels(report: Report) -> None:
    d, c = report.sop(D), report.sop(C)
    assert d is not None
    assert c is not None
    step5 = d.steps[4]
    assert step5.negative_labels == ("Tidak Setuju",)
    assert step5.time == Spread(3, minutes(5), minutes(15), minutes(15))
    assert (step5.answered, step5.sent_back) == (3, 1)
    assert step5.sent_back_share == pytest.approx(1 / 3)
    assert (step5.within, step5.late_done) == (2, 1)
    assert [s.sent_back for s in d.steps] == [0, 0, 0, 0, 1, 0]
    assert d.sent_back == 1
    c3 = c.steps[2]
    assert c3.negative_labels == ("Ada koreksi",)
    assert (c3.answered, c3.sent_back) == (2, 1)
    assert c.sent_back == 1


async def test_steps_without_waktu_are_timed_but_left_out_of_shares(report: Report) -> None:
    c = report.sop(C)
    assert c is not None
    for step in c.steps[4:]:
        assert step.baku_mutu is None
        assert step.baku_mutu_working is None
        assert step.with_deadline == 0
        assert step.within_share is None
        assert step.late == 0
        assert not step.over_baku_mutu
    assert [s.time.median for s in c.steps[4:]] == [minutes(30), minutes(20), minutes(10)]
    # Step 2 twice: 15 jam 30 menit, then 1 jam 45 menit after the correction.
    assert c.steps[1].time == Spread(
        2, hours(8, 37) + timedelta(seconds=30), hours(15, 30), hours(15, 30)
    )
    assert c.steps[3].time.median == hours(9, 30)
    assert (c.steps[3].within, c.steps[3].late_done) == (0, 1)
    assert (c.within, c.with_deadline) == (5, 6)


async def test_roles_count_open_and_late_steps_now_in_any_running_process(
    report: Report,
) -> None:
    roles = {r.role: r for r in report.roles}
    # P4 waits on the Staf (late since Rabu 08.10); P5, started in November, on the Kasubbag.
    staf, kasubbag = roles["staf_subbagian"], roles["kasubbag_hukum_sdm"]
    assert (staf.label, staf.open_now, staf.late_now) == ("Staf Subbagian", 1, 1)
    assert (kasubbag.open_now, kasubbag.late_now) == (1, 1)
    assert (staf.answered, staf.late_done) == (5, 1)
    assert roles["tim_desain"].late_done == 1
    assert roles["pengelola_jdih"].open_now == 0
    assert {r.role for r in report.roles[:2]} == {"staf_subbagian", "kasubbag_hukum_sdm"}


async def test_an_open_step_before_its_deadline_is_not_late(
    history_db: Database, history: History
) -> None:
    early = wib(12, 29, 16, 0)  # P4's step 2 is due Rabu 30 Des 08.10
    report = await build_report(history_db, "kapuas", *PERIOD, early)
    roles = {r.role: r for r in report.roles}
    assert (roles["staf_subbagian"].open_now, roles["staf_subbagian"].late_now) == (1, 0)
    d = report.sop(D)
    assert d is not None
    assert d.steps[1].late_open == 0


async def test_process_rows_carry_times_status_and_lateness(
    report: Report, history: History
) -> None:
    rows = {p.id: p for p in report.processes}
    p1 = rows[history.processes["P1"]]
    assert (status_label(p1.status), p1.working_time, p1.late_steps, p1.sent_back) == (
        "Selesai",
        hours(11, 10),
        2,
        1,
    )
    assert p1.starter == "Hildayani"
    assert p1.normal_working == hours(10, 5)
    p3 = rows[history.processes["P3"]]
    assert (status_label(p3.status), p3.working_time) == ("Dibatalkan", hours(1, 5))
    assert p3.end_note == "Materi digabung dengan konten lain."
    p4 = rows[history.processes["P4"]]
    # Running: Selasa 08.00-16.00 and Rabu 07.30-10.00.
    assert (status_label(p4.status), p4.working_time) == ("Berjalan", hours(10, 30))
    assert (p4.current_step, p4.current_role, p4.late_steps) == (2, "Staf Subbagian", 1)
    p6 = rows[history.processes["P6"]]
    assert p6.starter == "Ahmad Fauzi"
    assert p6.working_time == hours(29)


async def test_a_period_without_processes_gives_an_empty_report(
    history_db: Database, history: History
) -> None:
    report = await build_report(history_db, "kapuas", date(2027, 1, 1), date(2027, 1, 31), NOW)
    assert report.is_empty
    assert report.sops == ()
    # The per-role "now" figures still show the open steps.
    assert sum(r.open_now for r in report.roles) == 2
    text = summary_text(report)
    assert "Tidak ada proses yang dimulai dalam periode ini." in text


async def test_unknown_office_and_reversed_period_are_refused(
    history_db: Database, history: History
) -> None:
    with pytest.raises(UnknownOffice):
        await build_report(history_db, "tidak-ada", *PERIOD, NOW)
    with pytest.raises(ValueError, match="sebelum"):
        await build_report(history_db, "kapuas", date(2026, 12, 31), date(2026, 12, 1), NOW)


async def test_steps_come_from_the_stored_version_not_todays_file(
    history_db: Database, history: History
) -> None:
    today = load_catalog().definitions[D]
    raw = today.model_dump(mode="json")
    raw["steps"][0]["kegiatan"] = "Memberikan disposisi (versi lama)"
    raw["steps"][0]["waktu"] = "20 menit"
    old = SopDefinition.model_validate(raw)
    start = wib(12, 8, 8, 0)
    async with history_db.transaction() as tx:
        await tx.processes.keep_version(old.version, old.code, old.canonical_json(), start)
        pid = await tx.processes.create(
            office_id=history.office_id,
            sop_code=D,
            sop_version=old.version,
            title="Konten versi lama",
            started_by=history.users["kasubbag_hukum_sdm"],
            current_step=1,
            visit=1,
            started_at=start,
        )
        run = await tx.processes.open_step_run(
            process_id=pid,
            step=1,
            visit=1,
            role="kasubbag_hukum_sdm",
            started_at=start,
            due_at=start + minutes(20),
            next_alert_at=None,
        )
        await tx.processes.close_step_run(
            run,
            done_at=start + minutes(15),
            done_by=history.users["kasubbag_hukum_sdm"],
            outcome="selesai",
            note=None,
        )
    report = await build_report(history_db, "kapuas", date(2026, 12, 8), date(2026, 12, 8), NOW)
    d = report.sop(D)
    assert d is not None
    assert d.steps[0].kegiatan == "Memberikan disposisi (versi lama)"
    assert d.steps[0].baku_mutu == Duration(minutes=20)
    assert d.steps[0].within == 1


# --- summary text ---------------------------------------------------------------------------------


async def test_summary_text_is_short_plain_indonesian(report: Report) -> None:
    text = summary_text(report)
    assert len(text) <= MAX_SUMMARY
    lines = text.splitlines()
    assert lines[0] == "Laporan SOP KPU Kabupaten Kapuas"
    assert lines[1] == "Periode: 1 Des 2026 – 31 Des 2026 (proses yang dimulai dalam periode ini)"
    assert lines[2] == "Keadaan per Rabu, 30 Des 2026 10.00 WIB"
    assert "Proses: 4 dimulai, 2 selesai, 1 dibatalkan, 1 berjalan" in lines
    assert (
        "Waktu proses selesai: median 1 hari 2 jam, P90 1 hari 2 jam 40 menit "
        "(waktu normal 1 hari 1 jam 35 menit)"
    ) in lines
    assert "Langkah tepat waktu: 13 dari 16 (81%)" in lines
    assert "Dikembalikan: langkah 5 sebanyak 1 kali (Tidak Setuju)" in lines
    assert "Dikembalikan: langkah 3 sebanyak 1 kali (Ada koreksi)" in lines
    assert any(
        line.startswith("Median melebihi baku mutu:") and "langkah 2 (1 hari 25 menit" in line
        for line in lines
    )
    assert "- Staf Subbagian: 1 terbuka, 1 terlambat" in lines
    assert "(waktu normal 3 hari 1 jam 15 menit + 3 langkah tanpa waktu)" in text
    assert "1 hari = 8 jam 30 menit kerja" in text
    assert "tanpa baku mutu (—) tidak dihitung" in text
    for markup in ("<b>", "</", "**", "__", "`", "[", "]("):
        assert markup not in text


async def test_a_long_summary_is_cut_to_one_message(report: Report) -> None:
    many = report.sops * 30
    big = dataclasses.replace(report, sops=many)
    text = summary_text(big)
    assert len(text) <= MAX_SUMMARY
    assert "SOP lain: lihat berkas XLSX." in text
    assert "Langkah terbuka per jabatan saat ini:" in text
    assert text.rstrip().endswith("berkas XLSX/CSV.")


# --- command line ---------------------------------------------------------------------------------


@pytest.fixture
def database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, report_template: tuple[Path, History]
) -> Path:
    # Commands run without ``now`` read the clock: make it the history's fixed moment.
    monkeypatch.setattr("bot.cli.reports.SystemClock", lambda: FakeClock(NOW))
    path = tmp_path / "cli.db"
    shutil.copyfile(report_template[0], path)
    return path


def test_report_command_prints_text_and_writes_csv_xlsx_and_chart(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cmd_report("kapuas", "2026-12-01", "2026-12-31", "text", None, database) == 0
    out = capsys.readouterr().out
    assert out.startswith("Laporan SOP KPU Kabupaten Kapuas\n")
    assert "Proses: 4 dimulai, 2 selesai, 1 dibatalkan, 1 berjalan" in out
    assert cmd_report("kapuas", "2026-12-01", "2026-12-31", "csv", None, database) == 0
    assert capsys.readouterr().out.startswith("Bagian,Kode SOP,Langkah")
    xlsx, png = tmp_path / "hasil" / "laporan.xlsx", tmp_path / "grafik.png"
    code = cmd_report(
        "kapuas", "2026-12-01", "2026-12-31", "xlsx", xlsx, database, chart=png, now=NOW
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert f"ditulis ke {xlsx} (xlsx," in printed
    assert f"Grafik waktu per langkah ditulis ke {png}" in printed
    assert load_workbook(xlsx).sheetnames[:3] == ["Ringkasan", "Langkah", "Proses"]
    assert png_size(png.read_bytes())[0] == 1440


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("tidak-ada", "2026-12-01", "2026-12-31", "text"), "Kode kantor yang ada: kapuas."),
        (("kapuas", "2026-12-31", "2026-12-01", "text"), "sebelum tanggal awal"),
        (("kapuas", "31-12-2026", "2026-12-31", "text"), "tulis TTTT-BB-HH"),
        (("kapuas", "2026-12-01", "2026-12-31", "pdf"), "pakai text, csv atau xlsx"),
        (("kapuas", "2026-12-01", "2026-12-31", "xlsx"), "Format xlsx perlu --out"),
    ],
)
def test_report_command_refuses_bad_input_with_exit_code_2(
    database: Path,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, str, str, str],
    message: str,
) -> None:
    assert cmd_report(*args, None, database) == 2
    assert message in capsys.readouterr().err


def test_report_command_without_a_database_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "tidak-ada.db"
    assert cmd_report("kapuas", "2026-12-01", "2026-12-31", "text", None, missing) == 2
    assert "tidak ditemukan" in capsys.readouterr().err
    assert not missing.exists()


def test_report_arguments_wire_into_a_parser(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser(prog="sopbot")
    add_report_arguments(parser.add_subparsers(dest="command", required=True))
    out = tmp_path / "laporan.csv"
    period = ["--from", "2026-12-01", "--to", "2026-12-31"]
    files = ["--out", str(out), "--database", str(database)]
    args = parser.parse_args(["report", "--office", "kapuas", *period, "--format", "csv", *files])
    assert args.func(args) == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbfBagian,")
    with pytest.raises(SystemExit):
        parser.parse_args(["report", "--office", "kapuas", "--from", "2026-12-01"])
    capsys.readouterr()
