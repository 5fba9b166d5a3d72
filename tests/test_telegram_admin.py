"""Setting an office up: the office file, invitations, roles, stand-ins, the group, the menu."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import yaml

from fakes.telegram import FakeUser
from tests.harness import ADMIN_ID, Harness, is_step, office_data, start_process, wait_text

REPO = Path(__file__).resolve().parent.parent


def _cli(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bot", *args, "--database", str(db)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin"},
    )


def test_office_import_twice_changes_nothing_the_second_time(tmp_path: Path) -> None:
    db = tmp_path / "sopbot.db"
    for name in ("kpu-kabupaten-kapuas.yaml", "kpu-provinsi-jambi.yaml"):
        first = _cli("office", "import", str(REPO / "bot" / "office" / "examples" / name), db=db)
        assert first.returncode == 0, first.stderr
        assert "dibuat" in first.stdout
        second = _cli("office", "import", str(REPO / "bot" / "office" / "examples" / name), db=db)
        assert second.returncode == 0, second.stderr
        assert second.stdout.strip().endswith("tidak ada perubahan.")


def test_a_bad_office_file_is_refused_whole_naming_its_entries(tmp_path: Path) -> None:
    data = office_data("kapuas")
    data["sops"].append("sop-tak-dikenal")
    data["people"][1]["roles"] = ["humas"]
    data["people"][2]["telegram_id"] = data["people"][0]["telegram_id"]
    path = tmp_path / "kantor.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    db = tmp_path / "sopbot.db"
    done = _cli("office", "import", str(path), db=db)
    assert done.returncode == 1
    assert "SOP 'sop-tak-dikenal' tidak dikenal" in done.stderr
    assert "people[2] (Kasubbag Budi): peran 'humas' tidak dikenal" in done.stderr
    assert "people[3] (Staf Ani): telegram_id 1201 sudah dipakai oleh Hildayani" in done.stderr
    # Nothing was written: importing the good file afterwards creates the office.
    good = tmp_path / "baik.yaml"
    good.write_text(yaml.safe_dump(office_data("kapuas"), allow_unicode=True))
    assert "dibuat" in _cli("office", "import", str(good), db=db).stdout


async def _admin(h: Harness) -> FakeUser:
    return await h.person(ADMIN_ID, "Admin Kantor")


async def _menu_press(user: FakeUser, command: str, *labels: str) -> str:
    """Send a command and press through its menus; returns the text of the last message."""
    mark = user.mark()
    await user.send(command)
    for label in labels:
        menu = await user.wait_for(lambda m, want=label: want in m.button_texts, since=mark)  # type: ignore[misc]
        mark = user.mark()
        await user.press(menu, label)
    last = await user.wait_for(since=mark)
    return last.text


async def test_the_command_menu_is_set_in_indonesian(h: Harness) -> None:
    private = h.api.commands(scope={"type": "all_private_chats"})
    assert [c for c, _ in private] == [
        "tugas",
        "baru",
        "proses",
        "riwayat",
        "sop",
        "laporan",
        "batal",
        "bantuan",
    ]
    assert private[0][1] == "Langkah yang menunggu Anda"
    groups = h.api.commands(scope={"type": "all_group_chats"})
    assert [c for c, _ in groups] == ["grup"]


async def test_an_invitation_registers_its_opener_once(h: Harness) -> None:
    await h.import_office("kapuas")
    admin = await _admin(h)
    text = await _menu_press(admin, "/undang", "Staf Subbagian")
    assert "Undangan Staf Subbagian — KPU Kabupaten Kapuas" in text
    link = next(word for word in text.split() if word.startswith("https://t.me/"))
    token = link.split("start=")[1]
    assert link.startswith(f"https://t.me/{h.api.bot_username}?start=")
    newcomer = h.api.user(3001, "Rudi")
    mark = newcomer.mark()
    await newcomer.send(f"/start {token}")
    welcome = await wait_text(newcomer, "Selamat datang", mark)
    assert "Staf Subbagian di KPU Kabupaten Kapuas" in welcome.text
    late = h.api.user(3002, "Orang Lain")
    mark = late.mark()
    await late.send(f"/start {token}")
    refused = await wait_text(late, "sudah dipakai atau kedaluwarsa", mark)
    assert refused is not None
    # The newcomer now gets Staf Subbagian steps.
    people = await h.office_people("kapuas")
    budi = people["kasubbag_hukum_sdm"]
    marks = {budi.id: budi.mark(), newcomer.id: newcomer.mark()}
    await start_process(h, budi, h.catalog.definitions["kapuas-medsos-jdih"], "Dengan orang baru")
    await budi.press(await budi.wait_for(is_step(1, 6), since=marks[budi.id]), "Selesai")
    await newcomer.wait_for(is_step(2, 6), since=marks[newcomer.id])


async def test_an_expired_invitation_is_refused(h: Harness) -> None:
    await h.import_office("kapuas")
    admin = await _admin(h)
    text = await _menu_press(admin, "/undang", "Pengelola JDIH")
    token = next(w for w in text.split() if w.startswith("https://t.me/")).split("start=")[1]
    h.clock.advance(timedelta(days=8))
    late = h.api.user(3003, "Terlambat")
    mark = late.mark()
    await late.send(f"/start {token}")
    await wait_text(late, "kedaluwarsa", mark)


async def test_admin_commands_are_refused_to_others(h: Harness) -> None:
    await h.import_office("kapuas")
    ani = (await h.office_people("kapuas"))["staf_subbagian"]
    for command in ("/undang", "/pengguna", "/plh"):
        mark = ani.mark()
        await ani.send(command)
        await wait_text(ani, "hanya untuk admin", mark)
    group = h.api.group(-100800, "Grup lain")
    await group.add_bot(by=ani)
    mark = group.mark()
    await group.send(ani, "/grup")
    await group.wait_for(lambda m: "Hanya admin bot atau admin kantor" in m.text, since=mark)
    assert h.bot is not None
    assert h.bot.db is not None
    async with h.bot.db.read() as tx:
        office = await tx.offices.by_code("kpu-kapuas")
    assert office is not None
    assert office.group("telegram") is None


async def test_roles_are_added_removed_and_people_deactivated_from_chat(h: Harness) -> None:
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    admin = await _admin(h)
    mark = admin.mark()
    await admin.send("/pengguna")
    listing = await admin.wait_for(
        lambda m: "Pengguna KPU Kabupaten Kapuas (4)" in m.text, since=mark
    )
    mark = admin.mark()
    await admin.press(listing, "Staf Ani")
    person = await admin.wait_for(lambda m: "Staf Ani — KPU" in m.text, since=mark)
    mark = admin.mark()
    await admin.press(person, "➕ Tambah peran")
    choose = await admin.wait_for(lambda m: "Pengelola JDIH" in m.button_texts, since=mark)
    mark = admin.mark()
    answer = await admin.press(choose, "Pengelola JDIH")
    assert answer.text == "Peran Pengelola JDIH ditambahkan."
    updated = await admin.wait_for(
        lambda m: "➖ Cabut Pengelola JDIH" in m.button_texts, since=mark
    )
    mark = admin.mark()
    answer = await admin.press(updated, "➖ Cabut Staf Subbagian")
    assert answer.text == "Peran Staf Subbagian dicabut."
    updated = await admin.wait_for(
        lambda m: (
            "➖ Cabut Staf Subbagian" not in m.button_texts and "Nonaktifkan" in m.button_texts
        ),
        since=mark,
    )
    mark = admin.mark()
    await admin.press(updated, "Nonaktifkan")
    await admin.wait_for(
        lambda m: "nonaktif" in m.text and "Aktifkan lagi" in m.button_texts, since=mark
    )
    ani = people["staf_subbagian"]
    mark = ani.mark()
    await ani.send("/tugas")
    await wait_text(ani, "belum terdaftar", mark)
    assert h.bot is not None
    assert h.bot.db is not None
    async with h.bot.db.read() as tx:
        kinds = [e.kind for e in await tx.audit.for_process(0)]
        rows = await tx.audit._all("SELECT kind FROM audit_events ORDER BY id")
    assert kinds == []
    assert [r[0] for r in rows][-3:] == ["role_added", "role_removed", "user_deactivated"]


async def test_a_plh_gets_the_step_instead_of_the_absent_holder(h: Harness) -> None:
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    admin = await _admin(h)
    ani, hilda, budi = people["staf_subbagian"], people["sekretaris"], people["kasubbag_hukum_sdm"]
    text = await _menu_press(admin, "/plh", "Staf Subbagian", "Hildayani")
    assert "rentang tanggal" in text
    mark = admin.mark()
    await admin.send("16-11-2026 s.d. 20-11-2026")
    done = await wait_text(
        admin, "Tercatat: Hildayani menjadi Plh Staf Subbagian menggantikan Staf Ani", mark
    )
    assert "16 Nov 2026 s.d. 20 Nov 2026" in done.text
    await wait_text(hilda, "Anda ditetapkan sebagai Plh Staf Subbagian", mark)
    marks = {u.id: u.mark() for u in people.values()}
    await start_process(h, budi, h.catalog.definitions["kapuas-medsos-jdih"], "Saat Ani cuti")
    await budi.press(await budi.wait_for(is_step(1, 6), since=marks[budi.id]), "Selesai")
    step2 = await hilda.wait_for(is_step(2, 6), since=marks[hilda.id])
    assert not any(is_step(2, 6)(m) for m in ani.bot_messages)
    # The absent holder may still act on the step (a holder keeps the role).
    assert h.bot is not None
    assert h.bot.sender is not None
    mark = ani.mark()
    await ani.send("/tugas")
    tasks = await wait_text(ani, "Langkah yang menunggu Anda (1)", mark)
    assert tasks is not None
    answer = await hilda.press(step2, "Selesai")
    assert answer.text == "Tercatat: Selesai"


async def test_a_plh_set_while_a_step_waits_gets_it_and_hands_it_back_at_the_end(
    h: Harness,
) -> None:
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    admin = await _admin(h)
    ani, hilda, budi = people["staf_subbagian"], people["sekretaris"], people["kasubbag_hukum_sdm"]
    marks = {u.id: u.mark() for u in people.values()}
    await start_process(h, budi, h.catalog.definitions["kapuas-medsos-jdih"], "Sebelum Ani cuti")
    await budi.press(await budi.wait_for(is_step(1, 6), since=marks[budi.id]), "Selesai")
    await ani.wait_for(is_step(2, 6), since=marks[ani.id])
    # Ani goes on leave with step 2 open: the Plh gets it the moment the period is recorded.
    await _menu_press(admin, "/plh", "Staf Subbagian", "Hildayani")
    mark = admin.mark()
    await admin.send("16-11-2026 s.d. 17-11-2026")
    await wait_text(admin, "Tercatat: Hildayani menjadi Plh", mark)
    handed = await hilda.wait_for(is_step(2, 6), since=marks[hilda.id])
    assert "Anda Plh Staf Subbagian sampai Selasa, 17 Nov 2026" in handed.text
    # The period ends with the step still open: it goes back to Ani, said so.
    assert h.bot is not None
    assert h.bot.scheduler is not None
    mark = ani.mark()
    h.clock.advance(timedelta(days=2))
    await h.bot.scheduler.tick()
    # The first step message Ani gets after the period: the hand-back, before any reminder.
    back = await ani.wait_for(is_step(2, 6), since=mark)
    assert "Masa Plh Staf Subbagian (Hildayani) telah berakhir" in back.text
    # Once each: another sweep hands nothing again.
    assert await h.bot.scheduler.tick() == 0
    assert h.bot.db is not None
    async with h.bot.db.read() as tx:
        rows = await tx.audit._all(
            "SELECT kind FROM audit_events WHERE kind LIKE 'standin_handed%' ORDER BY id"
        )
    assert [r[0] for r in rows] == ["standin_handed_over", "standin_handed_back"]
    answer = await ani.press(back, "Selesai")
    assert answer.text == "Tercatat: Selesai"


async def test_an_admin_listed_in_the_settings_is_admin_from_the_first_message(h: Harness) -> None:
    admin = h.api.user(ADMIN_ID, "Admin Baru")
    mark = admin.mark()
    await admin.send("/bantuan")
    helped = await wait_text(admin, "Perintah admin", mark)
    assert "/undang" in helped.text


async def test_a_step_whose_role_nobody_holds_is_reported_to_the_admins(h: Harness) -> None:
    data_path_people = office_data("kapuas")["people"]
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    admin = await _admin(h)
    # The staff member leaves: nobody holds Staf Subbagian.
    await _menu_press(admin, "/pengguna", "Staf Ani", "➖ Cabut Staf Subbagian")
    budi = people["kasubbag_hukum_sdm"]
    marks = {budi.id: budi.mark(), admin.id: admin.mark()}
    process = await start_process(
        h, budi, h.catalog.definitions["kapuas-medsos-jdih"], "Tanpa staf"
    )
    await budi.press(await budi.wait_for(is_step(1, 6), since=marks[budi.id]), "Selesai")
    told = await admin.wait_for(
        lambda m: "Langkah tanpa pelaksana" in m.text, since=marks[admin.id]
    )
    assert f"#{process}" in told.text
    assert "Staf Subbagian" in told.text
    assert len(data_path_people) == 4


async def test_roles_offered_include_the_atasan_and_report_readers(h: Harness) -> None:
    await h.import_office("kapuas")
    admin = await _admin(h)
    mark = admin.mark()
    await admin.send("/undang")
    menu = await admin.wait_for(lambda m: "Pilih peran" in m.text, since=mark)
    # SOP D's lanes, plus the Sekretaris: the Kasubbag's atasan and a reader of the reports.
    assert sorted(menu.button_texts) == sorted(
        ["Kasubbag Hukum & SDM", "Staf Subbagian", "Pengelola JDIH", "Sekretaris"]
    )
