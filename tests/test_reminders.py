"""Reminders and escalation in the office's working time, through the fake Bot API with the clock
moved (never slept). T0 is Senin 16 Nov 2026 08.00 WIB; the Kapuas office keeps civil-service
hours: Senin-Kamis 07.30-16.00, Jumat 07.30-16.30."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml

from fakes.telegram import FakeMessage, FakeUser
from sop.loader import BUILTIN_DIR
from tests.harness import ADMIN_ID, Harness, is_step, start_process, wait_closed, wait_text

WIB = timedelta(hours=7)


def wib(day: int, hour: int, minute: int) -> datetime:
    """A November 2026 wall-clock time in WIB, as UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - WIB


async def _setup(h: Harness, calendar: dict[str, object] | None = None) -> dict[str, FakeUser]:
    await h.import_office("kapuas", calendar=calendar or {})
    return await h.office_people("kapuas")


async def _tick(h: Harness) -> int:
    assert h.bot is not None
    assert h.bot.scheduler is not None
    assert h.bot.sender is not None
    handled = await h.bot.scheduler.tick()
    await h.bot.sender.drain()
    return handled


def _reminders(user: FakeUser, process: int) -> list[FakeMessage]:
    return [
        m
        for m in user.bot_messages
        if "⏰ Pengingat" in (m.sent_html or m.text) and f"#{process}" in m.text
    ]


async def _started(h: Harness, budi: FakeUser, title: str) -> tuple[int, FakeMessage]:
    mark = budi.mark()
    process = await start_process(h, budi, h.catalog.definitions["kapuas-medsos-jdih"], title)
    return process, await budi.wait_for(is_step(1, 6), since=mark)


async def test_a_late_step_is_reminded_with_its_buttons_then_again_after_the_interval(
    h: Harness,
) -> None:
    people = await _setup(h)
    budi = people["kasubbag_hukum_sdm"]
    process, step1 = await _started(h, budi, "Pengingat")
    assert "batas Senin, 16 Nov 2026 08.10 WIB" in step1.text
    h.clock.set(wib(16, 8, 9))
    assert await _tick(h) == 0
    h.clock.set(wib(16, 8, 11))
    assert await _tick(h) == 1
    (first,) = _reminders(budi, process)
    assert "Pengingat ke-1" in first.text
    assert "terlambat 1 menit" in first.text
    assert first.buttons[0][0].text == "Selesai"
    h.clock.set(wib(16, 8, 15))
    assert await _tick(h) == 0  # the interval is the baku mutu: 10 working minutes
    h.clock.set(wib(16, 8, 21))
    assert await _tick(h) == 1
    assert len(_reminders(budi, process)) == 2
    second = _reminders(budi, process)[1]
    assert "Pengingat ke-2" in second.text
    assert "terlambat 11 menit" in second.text
    # Any copy's button acts; every copy then shows the outcome.
    mark = budi.mark()
    answer = await budi.press(second, "Selesai")
    assert answer.text == "Tercatat: Selesai"
    for message in (step1, first, second):
        await wait_closed(budi, message.message_id, mark)
    h.clock.set(wib(16, 10, 0))
    await _tick(h)
    assert len(_reminders(budi, process)) == 2


async def test_a_step_done_just_before_its_deadline_gets_no_reminder(h: Harness) -> None:
    people = await _setup(h)
    budi = people["kasubbag_hukum_sdm"]
    process, step1 = await _started(h, budi, "Tepat waktu")
    h.clock.set(wib(16, 8, 9))
    await budi.press(step1, "Selesai")
    h.clock.set(wib(16, 8, 40))
    await _tick(h)
    assert _reminders(budi, process) == []
    assert _reminders(people["staf_subbagian"], process) == []


async def test_escalation_to_the_atasan_after_the_longer_lapse_once(h: Harness) -> None:
    people = await _setup(h)
    budi, hilda = people["kasubbag_hukum_sdm"], people["sekretaris"]
    process, _ = await _started(h, budi, "Eskalasi")
    # 10 menit baku mutu: twice that is under an hour, so it escalates an hour after 08.10.
    h.clock.set(wib(16, 9, 9))
    await _tick(h)
    assert not [m for m in hilda.bot_messages if "Eskalasi" in m.text]
    h.clock.set(wib(16, 9, 11))
    await _tick(h)
    (escalation,) = [m for m in hilda.bot_messages if "Eskalasi" in m.text]
    assert f"#{process}" in escalation.text
    assert "Kasubbag Hukum & SDM (Kasubbag Budi)" in escalation.text
    assert "sejak Senin, 16 Nov 2026 08.00 WIB" in escalation.text.replace("Sejak: ", "sejak ")
    assert "terlambat 1 jam 1 menit" in escalation.text
    assert escalation.button_texts == ["Buka langkah"]
    h.clock.set(wib(16, 10, 30))
    await _tick(h)
    assert len([m for m in hilda.bot_messages if "Eskalasi" in m.text]) == 1
    assert h.bot is not None
    assert h.bot.db is not None
    async with h.bot.db.read() as tx:
        kinds = [e.kind for e in await tx.audit.for_process(process)]
    assert kinds.count("step_escalated") == 1
    assert kinds.count("step_reminded") >= 3
    mark = budi.mark()
    await budi.send("/proses")
    shown = await wait_text(budi, "proses berjalan", mark)
    assert "DIESKALASI" in shown.text
    assert "TERLAMBAT" in shown.text


async def test_thursday_afternoon_is_due_friday_morning_and_quiet_hours_are_kept(
    h: Harness,
) -> None:
    people = await _setup(h)
    budi = people["kasubbag_hukum_sdm"]
    h.clock.set(wib(19, 15, 55))  # Kamis
    process, step1 = await _started(h, budi, "Kamis sore")
    assert "batas Jumat, 20 Nov 2026 07.35 WIB" in step1.text
    for night in (wib(19, 16, 30), wib(19, 23, 0), wib(20, 6, 0), wib(20, 7, 34)):
        h.clock.set(night)
        await _tick(h)
    assert _reminders(budi, process) == []
    h.clock.set(wib(20, 7, 36))
    await _tick(h)
    assert len(_reminders(budi, process)) == 1
    # Friday closes at 16.30: a reminder due after that waits for Monday's opening.
    h.clock.set(wib(20, 16, 25))
    await _tick(h)
    count = len(_reminders(budi, process))
    for weekend in (wib(20, 16, 40), wib(21, 10, 0), wib(22, 12, 0), wib(23, 7, 29)):
        h.clock.set(weekend)
        await _tick(h)
    assert len(_reminders(budi, process)) == count
    h.clock.set(wib(23, 7, 30))
    await _tick(h)
    assert len(_reminders(budi, process)) == count + 1


async def test_a_plh_is_reminded_instead_of_the_absent_holder(h: Harness) -> None:
    people = await _setup(h)
    budi, ani, hilda = people["kasubbag_hukum_sdm"], people["staf_subbagian"], people["sekretaris"]
    marks = {u.id: u.mark() for u in people.values()}
    process, step1 = await _started(h, budi, "Saat cuti")
    await budi.press(step1, "Selesai")
    step2 = await ani.wait_for(is_step(2, 6), since=marks[ani.id])
    assert "batas Selasa, 17 Nov 2026 08.00 WIB" in step2.text
    # Ani goes on leave from Wednesday; Hildayani stands in.
    # (The admin sets the Plh: only an admin may.)
    await h.person(ADMIN_ID, "Admin Kantor")
    assert h.bot is not None
    assert h.bot.admin is not None
    assert h.bot.db is not None
    async with h.bot.db.read() as tx:
        office = await tx.offices.by_code("kpu-kapuas")
        ani_user = await tx.offices.user_by_identity("telegram", str(ani.id))
        hilda_user = await tx.offices.user_by_identity("telegram", str(hilda.id))
        admin = await tx.offices.user_by_identity("telegram", str(ADMIN_ID))
    assert office is not None
    assert ani_user is not None
    assert hilda_user is not None
    assert admin is not None
    await h.bot.admin.add_standin(
        admin,
        office.id,
        hilda_user.id,
        "staf_subbagian",
        date(2026, 11, 18),
        date(2026, 11, 20),
        ani_user.id,
    )
    h.clock.set(wib(17, 8, 5))  # Tuesday: Ani is in
    await _tick(h)
    assert len(_reminders(ani, process)) == 1
    assert _reminders(hilda, process) == []
    h.clock.set(wib(18, 8, 5))  # Wednesday: Hildayani stands in
    await _tick(h)
    assert len(_reminders(ani, process)) == 1
    assert len(_reminders(hilda, process)) == 1
    answer = await hilda.press(_reminders(hilda, process)[0], "Selesai")
    assert answer.text == "Tercatat: Selesai"


async def test_a_step_without_waktu_is_reminded_after_a_working_day(
    tmp_path: Path, h: Harness
) -> None:
    own = tmp_path / "sop-kantor"
    own.mkdir()
    source = yaml.safe_load((BUILTIN_DIR / "kapuas-medsos-jdih.yaml").read_text())
    source["code"] = "kapuas-tanpa-waktu"
    del source["steps"][1]["waktu"]
    (own / "kapuas-tanpa-waktu.yaml").write_text(yaml.safe_dump(source, allow_unicode=True))
    h.settings_overrides = {"sop_dirs": [own]}
    await h.restart()
    await h.import_office("kapuas", sops=["kapuas-tanpa-waktu"], calendar={})
    people = await h.office_people("kapuas")
    budi, ani = people["kasubbag_hukum_sdm"], people["staf_subbagian"]
    marks = {u.id: u.mark() for u in people.values()}
    assert h.bot is not None
    assert h.bot.catalog is not None
    process = await start_process(
        h, budi, h.bot.catalog.definitions["kapuas-tanpa-waktu"], "Tanpa baku mutu"
    )
    await budi.press(await budi.wait_for(is_step(1, 6), since=marks[budi.id]), "Selesai")
    step2 = await ani.wait_for(is_step(2, 6), since=marks[ani.id])
    assert "Baku mutu: — (SOP tidak menetapkan waktu)" in step2.text
    h.clock.set(wib(17, 7, 59))
    await _tick(h)
    assert _reminders(ani, process) == []
    h.clock.set(wib(17, 8, 1))
    await _tick(h)
    (reminder,) = _reminders(ani, process)
    assert "belum selesai" in reminder.text
    assert "SOP tidak menetapkan baku mutu" in reminder.text


async def test_a_restart_between_deadline_and_reminder_delivers_it_exactly_once(h: Harness) -> None:
    people = await _setup(h)
    budi = people["kasubbag_hukum_sdm"]
    process, _ = await _started(h, budi, "Restart")
    await h.stop()
    h.clock.set(wib(16, 8, 15))  # the deadline passes while the bot is down
    await h.start()  # starting sweeps once: the reminder goes out
    await budi.wait_for(lambda m: "⏰ Pengingat ke-1" in m.text)
    await h.restart()
    await _tick(h)
    await _tick(h)
    assert len(_reminders(budi, process)) == 1
    h.clock.set(wib(16, 8, 26))
    await h.restart()
    await budi.wait_for(lambda m: "⏰ Pengingat ke-2" in m.text)
    await _tick(h)
    assert len(_reminders(budi, process)) == 2


async def test_a_clock_jump_brings_one_reminder_and_the_escalation_not_a_flood(h: Harness) -> None:
    people = await _setup(h)
    budi, hilda = people["kasubbag_hukum_sdm"], people["sekretaris"]
    process, _ = await _started(h, budi, "Lompatan jam")
    h.clock.set(wib(19, 10, 0))  # three days later
    await _tick(h)
    await _tick(h)
    assert len(_reminders(budi, process)) == 1
    assert len([m for m in hilda.bot_messages if "Eskalasi" in m.text]) == 1


async def test_24_7_offices_count_every_hour(h: Harness) -> None:
    people = await _setup(h, {"always_open": True})
    budi = people["kasubbag_hukum_sdm"]
    h.clock.set(wib(21, 23, 55))  # Saturday night
    process, step1 = await _started(h, budi, "Malam Minggu")
    assert "batas Minggu, 22 Nov 2026 00.05 WIB" in step1.text
    h.clock.set(wib(22, 0, 6))
    await _tick(h)
    assert len(_reminders(budi, process)) == 1


async def test_the_deadline_lookup_reads_its_index(h: Harness) -> None:
    assert h.bot is not None
    assert h.bot.db is not None
    async with h.bot.db.read() as tx:
        plan = " ".join(await tx.processes.explain_due_alerts(wib(16, 8, 0)))
    assert "step_runs_alerts" in plan
    assert "SCAN step_runs" not in plan


async def test_the_atasan_opens_the_escalated_step_from_the_escalation(h: Harness) -> None:
    people = await _setup(h)
    budi, hilda = people["kasubbag_hukum_sdm"], people["sekretaris"]
    process, _ = await _started(h, budi, "Dibuka atasan")
    h.clock.set(wib(16, 9, 11))
    await _tick(h)
    (escalation,) = [m for m in hilda.bot_messages if "Eskalasi" in m.text]
    mark = hilda.mark()
    answer = await hilda.press(escalation, "Buka langkah")
    assert answer.text == "Pesan langkah dikirim."
    view = await hilda.wait_for(lambda m: "Langkah 1 dari 6" in m.text, since=mark)
    assert f"#{process}" in view.text
    assert "Dilihat sebagai atasan" in view.text
    assert "Selesai" not in view.button_texts  # the choice is the role holder's, not the atasan's
    # Once the step is done the button says so.
    await budi.press(_reminders(budi, process)[0], "Selesai")
    answer = await hilda.press(escalation, "Buka langkah")
    assert answer.text is not None
    assert "sudah selesai" in answer.text


async def test_an_admin_adds_an_extra_working_saturday_from_chat(h: Harness) -> None:
    people = await _setup(h)
    budi = people["kasubbag_hukum_sdm"]
    admin = await h.person(9001, "Admin Kantor")
    mark = admin.mark()
    await admin.send("/kalender")
    shown = await wait_text(admin, "Kalender kerja — KPU Kabupaten Kapuas (WIB)", mark)
    assert "Senin 07.30-16.00" in shown.text
    assert "Jumat 07.30-16.30" in shown.text
    assert "Cuti Bersama Hari Raya Natal" in shown.text
    mark = admin.mark()
    await admin.press(shown, "➕ Hari kerja tambahan")
    await admin.wait_for(lambda m: m.force_reply, since=mark)
    mark = admin.mark()
    await admin.send("21-11-2026")
    await wait_text(admin, "Tercatat: 21 Nov 2026 menjadi hari kerja tambahan", mark)
    updated = await wait_text(admin, "Hari kerja tambahan: Sabtu, 21 Nov 2026", mark)
    assert "➖ Hapus tanggal" in updated.button_texts
    h.clock.set(wib(21, 9, 0))  # that Saturday
    process, step1 = await _started(h, budi, "Sabtu kerja")
    assert "batas Sabtu, 21 Nov 2026 09.10 WIB" in step1.text
    # A date that is not a date is refused and changes nothing.
    mark = admin.mark()
    await admin.send("/kalender")
    shown = await wait_text(admin, "Kalender kerja", mark)
    mark = admin.mark()
    await admin.press(shown, "➕ Hari libur kantor")
    await admin.wait_for(lambda m: m.force_reply, since=mark)
    mark = admin.mark()
    await admin.send("31-02-2026")
    await wait_text(admin, "Tanggal tidak dikenali", mark)
    assert process > 0
