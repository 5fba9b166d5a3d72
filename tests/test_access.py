"""Permissions live in the services: every Admin call that needs an admin refuses anyone else,
whichever front end calls it, and changes nothing; and the command table is what the bot obeys."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.chat.commands import COMMANDS, Where, Who, menu
from bot.clock import FakeClock
from bot.office.access import NotAllowed
from bot.office.admin import Admin
from bot.office.files import validate_office
from bot.words.chat import help_text
from sop.loader import load_catalog
from storage.db import Database
from storage.offices import Office, User
from tests.harness import T0, Harness, office_data, wait_text

CATALOG = load_catalog()


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[Database, Admin, Office, User, User]]:
    db = await Database.open(tmp_path / "sopbot.db")
    admin = Admin(db, CATALOG, FakeClock(T0), admins=frozenset({("telegram", "9001")}))
    data = validate_office(office_data("kapuas"), "kapuas.yaml", CATALOG)
    report = await admin.import_office(data)
    boss = await admin.user_of("telegram", "9001", "Admin Kantor")
    staff = await admin.user_of("telegram", "1203", "Staf Ani")
    assert boss is not None
    assert staff is not None
    yield db, admin, report.office, boss, staff
    await db.close()


async def _audit_count(db: Database) -> int:
    async with db.read() as tx:
        return int(await tx.offices._scalar("SELECT COUNT(*) FROM audit_events"))


async def test_every_admin_call_refuses_a_non_admin_and_changes_nothing(
    setup: tuple[Database, Admin, Office, User, User],
) -> None:
    db, admin, office, boss, staff = setup
    today = date(2026, 11, 16)
    calls: list[Callable[[User | None], Awaitable[Any]]] = [
        lambda by: admin.offices(by),
        lambda by: admin.office(by, office.id),
        lambda by: admin.people(by, office),
        lambda by: admin.person(by, office, staff.id),
        lambda by: admin.role_holders(by, office, "sekretaris"),
        lambda by: admin.office_roles(by, office),
        lambda by: admin.offices_for_group(by),
        lambda by: admin.create_invite(by, office.id, "staf_subbagian"),  # type: ignore[arg-type]
        lambda by: admin.set_role(by, office.id, staff.id, "sekretaris", True),  # type: ignore[arg-type]
        lambda by: admin.set_active(by, staff.id, False),  # type: ignore[arg-type]
        lambda by: admin.add_standin(by, office.id, staff.id, "sekretaris", today, today, None),  # type: ignore[arg-type]
        lambda by: admin.change_calendar(by, office.id, closed=[today]),  # type: ignore[arg-type]
        lambda by: admin.link_group(by, office.id, "telegram", "-100500"),
    ]
    before = await _audit_count(db)
    for call in calls:
        for outsider in (staff, None):
            with pytest.raises(NotAllowed) as refused:
                await call(outsider)
            assert "admin" in refused.value.text
    assert await _audit_count(db) == before
    async with db.read() as tx:
        unchanged = await tx.offices.get(office.id)
        ani = await tx.offices.user(staff.id)
    assert unchanged == office
    assert ani == staff
    # The admin may do each of them.
    for call in calls:
        await call(boss)
    assert await _audit_count(db) > before


async def test_an_unknown_office_is_refused_like_any_other(
    setup: tuple[Database, Admin, Office, User, User],
) -> None:
    _, admin, _, boss, _ = setup
    for office_id in (999, "1", None):
        with pytest.raises(NotAllowed, match="tidak ditemukan"):
            await admin.office(boss, office_id)


def test_the_menus_and_the_help_are_made_from_the_command_table() -> None:
    private = menu(Where.PRIVATE)
    assert [name for name, _ in private] == [
        c.name for c in COMMANDS if c.where is Where.PRIVATE and c.in_menu
    ]
    assert all(c.who is not Who.ADMIN for c in COMMANDS if (c.name, c.help) in private)
    member, admin = help_text(COMMANDS, admin=False), help_text(COMMANDS, admin=True)
    for c in COMMANDS:
        line = f"/{c.name}{' ' + c.usage if c.usage else ''} — {c.help}"
        if c.who is Who.MEMBER:
            assert line in member
        if c.who is Who.ADMIN:
            assert line not in member
            assert line in admin


async def test_every_command_in_the_table_reaches_its_handler(h: Harness) -> None:
    """The router resolves each row; a registered person typing any private command gets an
    answer from its flow (never "tidak dikenal")."""
    await h.import_office("kapuas")
    people = await h.office_people("kapuas")
    ani = people["staf_subbagian"]
    assert h.bot is not None
    assert h.bot.dialog is not None
    for c in COMMANDS:
        handler = h.bot.dialog.commands[c.name]
        assert callable(handler)
        if c.where is not Where.PRIVATE or c.name == "start":
            continue
        mark = ani.mark()
        await ani.send(f"/{c.name}")
        answer = await ani.wait_for(since=mark)
        assert "tidak dikenal" not in answer.text, c.name


async def test_a_group_command_sent_privately_is_pointed_to_the_group(h: Harness) -> None:
    await h.import_office("kapuas")
    ani = (await h.office_people("kapuas"))["staf_subbagian"]
    mark = ani.mark()
    await ani.send("/grup")
    await wait_text(ani, "di dalam grup kantor", mark)


async def test_a_calendar_change_that_leaves_no_working_time_is_refused_in_indonesian(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "sopbot.db")
    try:
        admin = Admin(db, CATALOG, FakeClock(T0), admins=frozenset({("telegram", "9001")}))
        raw = office_data("kapuas")
        only_day = "2026-11-21"
        closed_week = dict.fromkeys(
            ("senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu"), "libur"
        )
        raw["calendar"] = {"hours": closed_week, "working_dates": [only_day]}
        report = await admin.import_office(validate_office(raw, "kapuas.yaml", CATALOG))
        boss = await admin.user_of("telegram", "9001", "Admin Kantor")
        assert boss is not None
        with pytest.raises(ValueError, match="tidak punya jam kerja") as refused:
            await admin.change_calendar(
                boss, report.office.id, remove=[date.fromisoformat(only_day)]
            )
        text = str(refused.value)
        for jargon in (
            "validation error",
            "pydantic",
            "type=",
            "errors.pydantic.dev",
            "Value error",
        ):
            assert jargon not in text, text
    finally:
        await db.close()


async def test_a_file_that_is_not_a_database_is_refused_and_closed(tmp_path: Path) -> None:
    path = tmp_path / "bukan.db"
    path.write_bytes(b"ini bukan basis data SQLite, hanya teks biasa " * 100)

    def open_on_it() -> int:
        """How many of this process's file descriptors point at the file."""
        fds = Path("/proc/self/fd")
        return sum(1 for fd in fds.iterdir() if _points_at(fd, path))

    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        await Database.open(path)
    # The connection opened for it is closed: the file is not held open.
    assert open_on_it() == 0


def _points_at(fd: Path, path: Path) -> bool:
    try:
        return fd.resolve() == path.resolve()
    except OSError:
        return False
