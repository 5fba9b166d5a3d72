"""Offices keep to themselves: another office's process looks exactly like one that does not
exist, in every command; an office file's admin manages that office and nothing of another; the
deployment's admins manage them all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.office.access import NotAllowed
from bot.office.admin import Admin
from fakes.telegram import FakeUser
from tests.harness import ADMIN_ID, Harness, start_process, wait_text

KAPUAS_SOP = "kapuas-medsos-jdih"


async def _answers(user: FakeUser, command: str) -> str:
    """The bot's one answer to a command."""
    mark = user.mark()
    await user.send(command)
    return (await user.wait_for(since=mark)).text


async def _two_offices(h: Harness) -> tuple[dict[str, FakeUser], dict[str, FakeUser], int]:
    """Kapuas and Jambi in one deployment (Jambi's Sekretaris its admin); a Jambi process."""
    await h.import_office("kapuas")
    await h.import_office("jambi", admins=["sekretaris"])
    kapuas, jambi = await h.office_people("kapuas"), await h.office_people("jambi")
    defn = h.catalog.definitions["jambi-penurunan-jdih"]
    process = await start_process(h, jambi["kabag_teknis_hukum"], defn, "Penurunan rahasia")
    return kapuas, jambi, process


async def test_another_offices_process_looks_like_one_that_does_not_exist(h: Harness) -> None:
    kapuas, _, process = await _two_offices(h)
    budi = kapuas["kasubbag_hukum_sdm"]
    unknown = 9999
    for command in ("batal", "riwayat"):
        # The same answer, word for word, as for a number no process has.
        theirs = await _answers(budi, f"/{command} {process}")
        nobody = await _answers(budi, f"/{command} {unknown}")
        assert theirs == nobody.replace(str(unknown), str(process)), (theirs, nobody)
        assert theirs == f"Proses #{process} tidak ditemukan."
    proses = await _answers(budi, "/proses")
    assert "Penurunan rahasia" not in proses
    # Nothing changed, and nothing is asked of Budi (no cancel reason waits).
    assert h.bot is not None
    assert h.bot.db is not None
    async with h.bot.db.read() as tx:
        row = await tx.processes.get(process)
        user = await tx.offices.user_by_identity("telegram", str(budi.id))
        assert user is not None
        asked = await tx.conversation.prompts(user.id, h.clock.now())
    assert row is not None
    assert row.status == "running"
    assert asked == []


async def test_an_office_admin_manages_their_office_only(h: Harness) -> None:
    kapuas, jambi, process = await _two_offices(h)
    khoirul = jambi["sekretaris"]
    # Their admin menus open straight on their office: no choice of offices, no Kapuas people.
    people = await _answers(khoirul, "/pengguna")
    assert "KPU Provinsi Jambi" in people
    assert "Kabupaten Kapuas" not in people
    calendar = await _answers(khoirul, "/kalender")
    assert "KPU Provinsi Jambi" in calendar
    assert "Kapuas" not in calendar
    # Kapuas's processes are not theirs to see or cancel.
    budi = kapuas["kasubbag_hukum_sdm"]
    theirs = await start_process(h, budi, h.catalog.definitions[KAPUAS_SOP], "Konten Kapuas")
    assert await _answers(khoirul, f"/batal {theirs}") == f"Proses #{theirs} tidak ditemukan."
    assert await _answers(khoirul, f"/riwayat {theirs}") == f"Proses #{theirs} tidak ditemukan."
    assert "Konten Kapuas" not in await _answers(khoirul, "/proses")
    # Their own office's process, started by someone else, they may cancel as its admin.
    mark = khoirul.mark()
    await khoirul.send(f"/batal {process}")
    await wait_text(khoirul, "alasan pembatalan", mark)
    # The service refuses another office in the words of an unknown one, whatever the call.
    assert h.bot is not None
    assert h.bot.db is not None
    admin = Admin(h.bot.db, h.catalog, h.clock)
    async with h.bot.db.read() as tx:
        kapuas_office = await tx.offices.by_code("kpu-kapuas")
        jambi_office = await tx.offices.by_code("kpu-jambi")
        boss = await tx.offices.user_by_identity("telegram", str(khoirul.id))
        ani = await tx.offices.user_by_identity("telegram", str(kapuas["staf_subbagian"].id))
    assert kapuas_office is not None
    assert jambi_office is not None
    assert boss is not None
    assert ani is not None
    assert boss.admin_of == {jambi_office.id}
    assert not boss.is_admin
    assert not boss.administers(kapuas_office.id)
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: admin.office(boss, kapuas_office.id),
        lambda: admin.people(boss, kapuas_office),
        lambda: admin.set_role(boss, kapuas_office.id, ani.id, "sekretaris", True),
        lambda: admin.create_invite(boss, kapuas_office.id, "sekretaris"),
        lambda: admin.change_calendar(boss, kapuas_office.id, closed=[h.clock.now().date()]),
        lambda: admin.link_group(boss, kapuas_office.id, "telegram", "-100900"),
    ]
    for call in calls:
        with pytest.raises(NotAllowed, match="tidak ditemukan"):
            await call()
    with pytest.raises(NotAllowed, match="bukan Anda kelola"):
        await admin.set_active(boss, ani.id, False)
    assert [o.code for o in await admin.offices(boss)] == ["kpu-jambi"]


async def test_the_deployments_admin_manages_every_office(h: Harness) -> None:
    await _two_offices(h)
    admin = await h.person(ADMIN_ID, "Admin Bot")
    mark = admin.mark()
    await admin.send("/pengguna")
    menu = await admin.wait_for(lambda m: bool(m.buttons), since=mark)
    assert {"KPU Provinsi Jambi", "KPU Kabupaten Kapuas"} <= set(menu.button_texts)


async def test_office_file_admin_flag_is_the_truth_on_each_import(h: Harness) -> None:
    """Imported again without `admin: true`, the Sekretaris is no longer Jambi's admin; a
    person who is both becomes a deployment admin only through the settings' list."""
    _, jambi, _ = await _two_offices(h)
    khoirul = jambi["sekretaris"]
    assert "KPU Provinsi Jambi" in await _answers(khoirul, "/pengguna")
    await h.import_office("jambi")
    assert "hanya untuk admin" in await _answers(khoirul, "/pengguna")


async def test_the_deployments_admins_are_exactly_the_settings_list_at_each_start(
    h: Harness,
) -> None:
    _, jambi, _ = await _two_offices(h)
    assert h.bot is not None
    assert h.bot.db is not None
    db, khoirul = h.bot.db, ("telegram", str(jambi["sekretaris"].id))

    async def marked() -> bool:
        async with db.read() as tx:
            user = await tx.offices.user_by_identity(*khoirul)
        assert user is not None
        return user.is_admin

    listed = Admin(db, h.catalog, h.clock, admins=frozenset({khoirul}))
    assert await listed.mark_deployment_admins() == 1
    assert await marked()
    assert await listed.mark_deployment_admins() == 0
    # Taken off the list: no longer a deployment admin, still Jambi's.
    assert await Admin(db, h.catalog, h.clock).mark_deployment_admins() == 1
    assert not await marked()
    assert "KPU Provinsi Jambi" in await _answers(jambi["sekretaris"], "/pengguna")
