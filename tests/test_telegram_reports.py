"""/laporan, /sop and what /riwayat N adds, through the fake Bot API: a real history made by people
pressing buttons while the clock moves, then the summary, the chart, the XLSX and CSV files, the
flowcharts and the archive PDF as the people receive them; and who is refused."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import date, timedelta

import numpy as np
import openpyxl
from matplotlib.image import imread
from pypdf import PdfReader

from bot.documents.exports import CSV_HEADER, SHEETS
from bot.documents.flowchart import CURRENT_FILL, DONE_FILL, flowchart_png
from bot.words.format import waktu_text
from fakes.telegram import FakeMessage, FakeUser, Mark
from tests.harness import ADMIN_ID, Harness, hand_in, is_step, start_process, wait_text
from tests.report_history import png_size
from tests.sopwalk import sample_handin

CODE = "kapuas-medsos-jdih"


def _step_of(process: int, number: int, total: int) -> Callable[[FakeMessage], bool]:
    return lambda m: is_step(number, total)(m) and f"#{process}" in m.text


async def walk(h: Harness, people: dict[str, FakeUser], title: str, minutes: Sequence[int]) -> int:
    """Start a Kapuas process and answer its steps in order, each positively and after waiting
    the given minutes on the clock, as far as ``minutes`` goes; returns the process number."""
    defn = h.catalog.definitions[CODE]
    total = len(defn.steps)
    marks = {u.id: u.mark() for u in people.values()}
    process = await start_process(h, people["kasubbag_hukum_sdm"], defn, title)
    for step, wait in zip(defn.steps, minutes, strict=False):
        actor = people[step.pelaksana]
        message = await actor.wait_for(
            _step_of(process, defn.index(step.number), total), since=marks[actor.id]
        )
        h.clock.advance(timedelta(minutes=wait))
        before = marks[actor.id] = actor.mark()
        choice = next(c for c in step.effective_choices if c.positive)
        await actor.press(message, choice.label)
        mark = before
        for spec in step.handin:
            mark = await hand_in(
                actor, spec.kind, spec.label, sample_handin(spec, step.number), mark
            )
        if step.handin:
            await wait_text(actor, "Tercatat", mark)
    if len(minutes) < total:
        # Stopped halfway: the next step has reached its actor.
        step = defn.steps[len(minutes)]
        await people[step.pelaksana].wait_for(
            _step_of(process, defn.index(step.number), total),
            since=marks[people[step.pelaksana].id],
        )
    return process


def last_id(user: FakeUser) -> int:
    """The id of the chat's latest message, the person's or the bot's."""
    return max((m.message_id for m in user.messages), default=0)


async def sent_after(user: FakeUser, since_id: int) -> list[FakeMessage]:
    """What the bot sent after message ``since_id``, known to be complete: a /bantuan sent now is
    answered after it, since a chat's messages go out in order."""
    mark = user.mark()
    await user.send("/bantuan")
    await wait_text(user, "Perintah:", mark)
    sent = [m for m in user.bot_messages if m.message_id > since_id]
    assert "Perintah:" in sent[-1].text
    return sent[:-1]


def colours_of(png: bytes) -> set[int]:
    rgb = (imread(io.BytesIO(png))[:, :, :3] * 255).round().astype(np.uint32)
    packed = (rgb[:, :, 0] << 16) | (rgb[:, :, 1] << 8) | rgb[:, :, 2]
    return {int(c) for c in np.unique(packed)}


def hex_colour(value: str) -> int:
    return int(value.lstrip("#"), 16)


async def press_for(user: FakeUser, message: FakeMessage, label: str) -> Mark:
    mark = user.mark()
    answer = await user.press(message, label)
    assert not answer.show_alert, answer.text
    return mark


# --- /laporan -------------------------------------------------------------------------------------


async def test_laporan_gives_summary_chart_and_files_of_a_real_history(h: Harness) -> None:
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    # Step 1 (baku mutu 10 menit) takes 20 and then 40 minutes: its median, 30, is over.
    first = await walk(h, people, "Konten Hari Guru", [20, 30, 10, 10, 5, 5])
    second = await walk(h, people, "Konten Hari Ibu", [40])
    hilda = people["sekretaris"]
    mark = hilda.mark()
    await hilda.send("/laporan")
    menu = await hilda.wait_for(lambda m: "Bulan ini" in m.button_texts, since=mark)
    assert "Laporan SOP — KPU Kabupaten Kapuas" in menu.text
    assert menu.button_texts == ["Bulan ini", "3 bulan terakhir", "Semester ini", "Tahun ini"]
    mark = await press_for(hilda, menu, "Bulan ini")
    summary = await hilda.wait_for(lambda m: "Unduh XLSX" in m.button_texts, since=mark)
    text = summary.text
    assert text.startswith("Laporan SOP KPU Kabupaten Kapuas")
    assert "Periode: 1 Nov 2026 – 16 Nov 2026" in text
    assert "Proses: 2 dimulai, 1 selesai, 0 dibatalkan, 1 berjalan" in text
    assert "Waktu proses selesai: median 1 jam 20 menit" in text
    assert "Langkah tepat waktu: 5 dari 7 (71%)" in text
    assert "Median melebihi baku mutu: langkah 1 (30 menit; baku mutu 10 menit)" in text
    assert summary.button_texts == ["Unduh XLSX", "Unduh CSV"]
    chart = await hilda.wait_for(lambda m: m.photo is not None, since=mark)
    assert chart.photo is not None
    assert "Median waktu kerja per langkah dibanding baku mutu" in chart.text
    width, height = png_size(chart.photo.content)
    assert width == 1440
    assert 400 < height < 3000
    assert len(chart.photo.content) > 20_000

    mark = await press_for(hilda, summary, "Unduh XLSX")
    xlsx = await hilda.wait_for(lambda m: m.document is not None, since=mark)
    assert xlsx.document is not None
    assert xlsx.document.file_name == "laporan-sop-kpu-kapuas-2026-11-01-2026-11-16.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(xlsx.document.content))
    assert book.sheetnames == list(SHEETS)
    cells = {str(c) for row in book["Proses"].iter_rows(values_only=True) for c in row}
    assert {"Konten Hari Guru", "Konten Hari Ibu"} <= cells

    mark = await press_for(hilda, summary, "Unduh CSV")
    sheet = await hilda.wait_for(lambda m: m.document is not None, since=mark)
    assert sheet.document is not None
    assert sheet.document.file_name == "laporan-sop-kpu-kapuas-2026-11-01-2026-11-16.csv"
    rows = list(csv.reader(io.StringIO(sheet.document.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_HEADER
    assert {str(first), str(second)} <= {row[4] for row in rows[1:]}
    assert all(row[1] == CODE for row in rows[1:] if row[1])


async def test_an_admin_of_two_offices_picks_one_and_an_empty_period_says_so(h: Harness) -> None:
    await h.import_office("kapuas")
    await h.import_office("jambi")
    admin = await h.person(ADMIN_ID, "Admin Kantor")
    mark = admin.mark()
    await admin.send("/laporan")
    offices = await admin.wait_for(lambda m: "Pilih kantor" in m.text, since=mark)
    assert offices.button_texts == ["KPU Provinsi Jambi", "KPU Kabupaten Kapuas"]
    mark = await press_for(admin, offices, "KPU Provinsi Jambi")
    periods = await admin.wait_for(lambda m: "Tahun ini" in m.button_texts, since=mark)
    assert "Laporan SOP — KPU Provinsi Jambi" in periods.text
    mark = await press_for(admin, periods, "Tahun ini")
    empty = await wait_text(admin, "Tidak ada proses yang dimulai dalam periode ini.", mark)
    assert empty.text.startswith("Laporan SOP KPU Provinsi Jambi")
    assert "Periode: 1 Jan 2026 – 16 Nov 2026" in empty.text
    # No chart and no files for nothing; the other periods instead.
    assert empty.button_texts == ["Bulan ini", "3 bulan terakhir", "Semester ini"]
    sent = await sent_after(admin, empty.message_id)
    assert all(m.photo is None and m.document is None for m in sent)


async def test_laporan_is_refused_to_a_person_without_a_report_role(h: Harness) -> None:
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    await walk(h, people, "Konten Hari Guru", [5])
    ani = people["staf_subbagian"]
    mark = ani.mark()
    command = await ani.send("/laporan")
    refused = await wait_text(ani, "laporan SOP hanya untuk admin", mark)
    assert "Sekretaris" in refused.text
    assert "Kasubbag Hukum & SDM" in refused.text  # the Kapuas office names its Kasubbag
    assert not refused.buttons
    assert [m.message_id for m in await sent_after(ani, command.message_id)] == [refused.message_id]


async def test_a_plh_of_the_sekretaris_may_read_the_report(h: Harness) -> None:
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    admin = await h.person(ADMIN_ID, "Admin Kantor")
    ani = people["staf_subbagian"]
    # /plh offers the roles the office's SOPs name, which Sekretaris is not here: the service.
    assert h.bot is not None
    assert h.bot.db is not None
    assert h.bot.admin is not None
    async with h.bot.db.read() as tx:
        office = await tx.offices.by_code("kpu-kapuas")
        by = await tx.offices.user_by_identity("telegram", str(admin.id))
        standin = await tx.offices.user_by_identity("telegram", str(ani.id))
    assert office is not None
    assert by is not None
    assert standin is not None
    mark = ani.mark()
    await ani.send("/laporan")
    await wait_text(ani, "laporan SOP hanya untuk admin", mark)
    today = date(2026, 11, 16)
    await h.bot.admin.add_standin(by, office.id, standin.id, "sekretaris", today, today, None)
    mark = ani.mark()
    await ani.send("/laporan")
    menu = await ani.wait_for(lambda m: "Bulan ini" in m.button_texts, since=mark)
    assert "Laporan SOP — KPU Kabupaten Kapuas" in menu.text
    # The stand-in was for today only: tomorrow the open menu no longer gives the report.
    h.clock.advance(timedelta(days=1))
    answer = await ani.press(menu, "Bulan ini")
    assert answer.show_alert
    assert answer.text == "Laporan kantor ini bukan untuk Anda."


async def test_a_report_role_taken_away_stops_the_open_menu(h: Harness) -> None:
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    admin = await h.person(ADMIN_ID, "Admin Kantor")
    hilda = people["sekretaris"]
    mark = hilda.mark()
    await hilda.send("/laporan")
    menu = await hilda.wait_for(lambda m: "Bulan ini" in m.button_texts, since=mark)
    mark = admin.mark()
    await admin.send("/pengguna")
    for label in ("Hildayani", "➖ Cabut Sekretaris"):
        shown = await admin.wait_for(lambda m, want=label: want in m.button_texts, since=mark)  # type: ignore[misc]
        mark = await press_for(admin, shown, label)
    await admin.wait_for(lambda m: "➕ Tambah peran" in m.button_texts, since=mark)
    before = last_id(hilda)
    answer = await hilda.press(menu, "Bulan ini")
    assert answer.show_alert
    assert answer.text == "Laporan kantor ini bukan untuk Anda."
    assert not menu.edited
    assert await sent_after(hilda, before) == []


# --- /sop -----------------------------------------------------------------------------------------


async def test_sop_lists_the_office_sops_and_sends_a_flowchart(h: Harness) -> None:
    await h.import_office("kapuas")
    await h.import_office("jambi")
    people = await h.office_people("kapuas")
    budi = people["kasubbag_hukum_sdm"]
    mark = budi.mark()
    await budi.send("/sop")
    listing = await budi.wait_for(lambda m: bool(m.buttons), since=mark)
    assert listing.button_texts == ["Pengelolaan Media Sosial JDIH"]
    mark = await press_for(budi, listing, "Pengelolaan Media Sosial JDIH")
    sent = await budi.wait_for(lambda m: m.photo is not None, since=mark)
    assert sent.photo is not None
    defn = h.catalog.definitions[CODE]
    assert sent.photo.content == flowchart_png(defn, h.catalog.roles)
    assert "SOP Nomor 3 Tahun 2012 · 6 langkah" in sent.text
    assert f"Waktu normal: {waktu_text(defn.normal_time)}" in sent.text
    # An admin sees every SOP the bot knows.
    admin = await h.person(ADMIN_ID, "Admin Kantor")
    mark = admin.mark()
    await admin.send("/sop")
    every = await admin.wait_for(lambda m: bool(m.buttons), since=mark)
    assert len(every.button_texts) == len(h.catalog.definitions)


# --- /riwayat N -----------------------------------------------------------------------------------


async def test_riwayat_sends_the_progress_flowchart_and_the_archive_pdf(h: Harness) -> None:
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    process = await walk(h, people, "Konten Hari Pahlawan", [5])
    ani = people["staf_subbagian"]
    mark = ani.mark()
    await ani.send(f"/riwayat {process}")
    timeline = await wait_text(ani, "Status: berjalan", mark)
    drawn = await ani.wait_for(lambda m: m.photo is not None, since=mark)
    assert drawn.message_id > timeline.message_id
    assert drawn.photo is not None
    assert f"Diagram alir proses #{process}" in drawn.text
    assert "Langkah sekarang: 2 dari 6" in drawn.text
    colours = colours_of(drawn.photo.content)
    assert hex_colour(CURRENT_FILL) in colours
    assert hex_colour(DONE_FILL) in colours
    assert drawn.button_texts == ["Arsip (PDF)"]
    mark = await press_for(ani, drawn, "Arsip (PDF)")
    archive = await ani.wait_for(lambda m: m.document is not None, since=mark)
    assert archive.document is not None
    assert archive.document.file_name == f"arsip-proses-{process}.pdf"
    pdf = PdfReader(io.BytesIO(archive.document.content))
    assert "Konten Hari Pahlawan" in "".join(page.extract_text() for page in pdf.pages)


async def test_the_archive_stays_within_the_office_of_the_process(h: Harness) -> None:
    await h.import_office("kapuas")
    await h.import_office("jambi")
    people = await h.office_people("kapuas")
    process = await walk(h, people, "Konten Rahasia Kantor", [5])
    # Someone of another office does not even learn the process exists.
    outsider = await h.person(1101, "Khoirul")
    mark = outsider.mark()
    command = await outsider.send(f"/riwayat {process}")
    refused = await wait_text(outsider, f"Proses #{process} tidak ditemukan.", mark)
    sent = await sent_after(outsider, command.message_id)
    assert [m.message_id for m in sent] == [refused.message_id]
    # Someone who leaves the office after asking cannot press the archive button any more.
    ani = people["staf_subbagian"]
    mark = ani.mark()
    await ani.send(f"/riwayat {process}")
    drawn = await ani.wait_for(lambda m: "Arsip (PDF)" in m.button_texts, since=mark)
    admin = await h.person(ADMIN_ID, "Admin Kantor")
    mark = admin.mark()
    await admin.send("/pengguna")
    for label in ("KPU Kabupaten Kapuas", "Staf Ani", "➖ Cabut Staf Subbagian"):
        shown = await admin.wait_for(lambda m, want=label: want in m.button_texts, since=mark)  # type: ignore[misc]
        mark = await press_for(admin, shown, label)
    await admin.wait_for(lambda m: "➕ Tambah peran" in m.button_texts, since=mark)
    before = last_id(ani)
    answer = await ani.press(drawn, "Arsip (PDF)")
    assert answer.show_alert
    assert answer.text == "Arsip ini hanya untuk orang di kantor proses ini."
    assert await sent_after(ani, before) == []
    # Nor can another person press the button someone else was given.
    budi = people["kasubbag_hukum_sdm"]
    answer = await budi.press(drawn, "Arsip (PDF)")
    assert answer.show_alert
    assert not any(m.document is not None for m in ani.bot_messages)
