"""Storage on a real SQLite file: migrations, round trips, concurrent completion, audit chain."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from sop.loader import load_catalog
from storage.base import Conflict, from_ts, ts
from storage.db import Database, migrations

T0 = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "sopbot.db")
    yield database
    await database.close()


async def _process(db: Database) -> tuple[int, int, int]:
    """An office, a user and a running process of SOP D; returns (office, user, process)."""
    defn = load_catalog().definitions["kapuas-medsos-jdih"]
    async with db.transaction() as tx:
        office, _ = await tx.offices.upsert(
            "kapuas", "KPU Kabupaten Kapuas", "Asia/Jakarta", {}, T0
        )
        user, _ = await tx.offices.upsert_user("telegram", "1001", "Hildayani", T0)
        await tx.processes.keep_version(defn.version, defn.code, defn.canonical_json(), T0)
        pid = await tx.processes.create(
            office_id=office.id,
            sop_code=defn.code,
            sop_version=defn.version,
            title="Konten Hari Pahlawan",
            started_by=user.id,
            current_step=1,
            visit=1,
            started_at=T0,
        )
        await tx.processes.open_step_run(
            process_id=pid,
            step=1,
            visit=1,
            role="kasubbag_hukum_sdm",
            started_at=T0,
            due_at=T0 + timedelta(minutes=10),
            next_alert_at=T0 + timedelta(minutes=10),
        )
    return office.id, user.id, pid


async def test_migrations_from_empty_set_user_version_and_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "baru" / "sopbot.db"
    db = await Database.open(path)
    try:
        assert await db.schema_version() == len(migrations())
        async with db.read() as tx:
            mode = await tx.offices._scalar("PRAGMA journal_mode")
            fks = await tx.offices._scalar("PRAGMA foreign_keys")
            tables = {
                r[0]
                for r in await tx.offices._all("SELECT name FROM sqlite_master WHERE type='table'")
            }
        assert mode == "wal"
        assert fks == 1
        assert {
            "offices",
            "users",
            "role_holders",
            "processes",
            "step_runs",
            "handins",
            "audit_events",
            "outbox",
            "button_tokens",
            "identities",
            "office_groups",
            "prompts",
            "prompt_messages",
            "invites",
            "agenda_numbers",
            "sop_versions",
        } <= tables
    finally:
        await db.close()
    # Opening again applies nothing more.
    again = await Database.open(path)
    assert await again.schema_version() == len(migrations())
    assert await again.migrate() == len(migrations())
    await again.close()


async def test_a_database_newer_than_the_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(RuntimeError, match="newer than this program"):
        await Database.open(path)


def test_time_text_sorts_as_time() -> None:
    a = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    b = a + timedelta(microseconds=1)
    assert ts(a) < ts(b)
    assert from_ts(ts(a)) == a
    with pytest.raises(ValueError, match="naive"):
        ts(datetime(2026, 1, 1))  # noqa: DTZ001


async def test_offices_people_roles_and_standins_round_trip(db: Database) -> None:
    async with db.transaction() as tx:
        office, created = await tx.offices.upsert(
            "jambi", "KPU Provinsi Jambi", "Asia/Jakarta", {"a": 1}, T0
        )
        assert created
        same, changed = await tx.offices.upsert(
            "jambi", "KPU Provinsi Jambi", "Asia/Jakarta", {"a": 1}, T0
        )
        assert not changed
        assert same == office
        assert await tx.offices.set_sops(office.id, ["jambi-konten-medsos", "jambi-penurunan-jdih"])
        assert not await tx.offices.set_sops(
            office.id, ["jambi-penurunan-jdih", "jambi-konten-medsos"]
        )
        kabag, _ = await tx.offices.upsert_user("telegram", "11", "Kabag", T0)
        kasubbag, _ = await tx.offices.upsert_user("telegram", "12", "Kasubbag", T0)
        plh, _ = await tx.offices.upsert_user("telegram", "13", "Plh Kasubbag", T0)
        assert await tx.offices.add_holder(office.id, kabag.id, "kabag_teknis_hukum", T0)
        assert not await tx.offices.add_holder(office.id, kabag.id, "kabag_teknis_hukum", T0)
        await tx.offices.add_holder(office.id, kasubbag.id, "kasubbag_hukum", T0)
        await tx.offices.add_standin(
            office.id,
            plh.id,
            "kasubbag_hukum",
            date(2026, 11, 16),
            date(2026, 11, 20),
            kasubbag.id,
            T0,
        )
    async with db.read() as tx:
        assert await tx.offices.sops(office.id) == ["jambi-konten-medsos", "jambi-penurunan-jdih"]
        assert await tx.offices.roles_of(plh.id, office.id, date(2026, 11, 18)) == {
            "kasubbag_hukum"
        }
        assert await tx.offices.roles_of(plh.id, office.id, date(2026, 11, 21)) == frozenset()
        during = await tx.offices.recipients(office.id, "kasubbag_hukum", date(2026, 11, 18))
        after = await tx.offices.recipients(office.id, "kasubbag_hukum", date(2026, 11, 23))
        assert [u.name for u in during] == ["Plh Kasubbag"]
        assert [u.name for u in after] == ["Kasubbag"]
        # The absent holder keeps the right to act.
        assert await tx.offices.roles_of(kasubbag.id, office.id, date(2026, 11, 18)) == {
            "kasubbag_hukum"
        }
    async with db.transaction() as tx:
        assert await tx.offices.set_active(kasubbag.id, False, T0)
        assert await tx.offices.roles_of(kasubbag.id, office.id, date(2026, 11, 23)) == frozenset()
        assert await tx.offices.recipients(office.id, "kasubbag_hukum", date(2026, 11, 23)) == []


async def test_a_rolled_back_transaction_leaves_nothing(db: Database) -> None:
    async def fail() -> None:
        async with db.transaction() as tx:
            await tx.offices.upsert("x", "X", "Asia/Jakarta", {}, T0)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await fail()
    async with db.read() as tx:
        assert await tx.offices.all() == []


async def test_process_step_runs_handins_and_version_round_trip(db: Database) -> None:
    _, user_id, pid = await _process(db)
    async with db.transaction() as tx:
        process = await tx.processes.get(pid)
        assert process is not None
        run = await tx.processes.current_run(process)
        assert run is not None
        await tx.processes.close_step_run(
            run.id, done_at=T0 + timedelta(minutes=3), done_by=user_id, outcome="selesai", note=None
        )
        await tx.processes.add_handin(
            process_id=pid,
            step_run_id=run.id,
            kind="link",
            label="Tautan",
            value="https://x.go.id/1",
            file_name=None,
            mime_type=None,
            created_by=user_id,
            created_at=T0,
        )
        version = await tx.processes.update_state(
            process, status="running", current_step=2, visit=2
        )
        assert version == process.version + 1
    async with db.read() as tx:
        process = await tx.processes.get(pid)
        assert process is not None
        assert (process.current_step, process.visit, process.version) == (2, 2, 2)
        (run,) = await tx.processes.step_runs(pid)
        assert run.outcome == "selesai"
        assert run.done_at == T0 + timedelta(minutes=3)
        assert run.due_at == T0 + timedelta(minutes=10)
        assert run.next_alert_at is None  # closing a run clears its alerts
        (handin,) = await tx.processes.handins(pid)
        assert handin.value == "https://x.go.id/1"
        content = await tx.processes.version_content(process.sop_version)
    assert content is not None
    assert "kapuas-medsos-jdih" in content


async def test_the_schema_refuses_a_running_process_without_a_step(db: Database) -> None:
    _, _, pid = await _process(db)
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as tx:
            await tx.processes._update(
                "UPDATE processes SET current_step = NULL WHERE id = ?", (pid,)
            )


async def test_two_connections_completing_the_same_step_at_once_exactly_one_wins(
    tmp_path: Path,
) -> None:
    path = tmp_path / "race.db"
    first = await Database.open(path)
    _, user_id, pid = await _process(first)
    second = await Database.open(path)
    try:
        async with first.read() as tx:
            seen = await tx.processes.get(pid)
        assert seen is not None

        async def complete(db: Database) -> str:
            try:
                async with db.transaction() as tx:
                    run = await tx.processes.step_run_at(pid, 1)
                    assert run is not None
                    await tx.processes.close_step_run(
                        run.id, done_at=T0, done_by=user_id, outcome="selesai", note=None
                    )
                    # Both read the same version before racing.
                    await tx.processes.update_state(seen, status="running", current_step=2, visit=2)
                    await tx.processes.open_step_run(
                        process_id=pid,
                        step=2,
                        visit=2,
                        role="staf_subbagian",
                        started_at=T0,
                        due_at=None,
                        next_alert_at=None,
                    )
            except Conflict:
                return "already done"
            return "won"

        results = await asyncio.gather(complete(first), complete(second))
        assert sorted(results) == ["already done", "won"]
        async with second.read() as tx:
            runs = await tx.processes.step_runs(pid)
            process = await tx.processes.get(pid)
        assert [(r.step, r.visit) for r in runs] == [(1, 1), (2, 2)]
        assert process is not None
        assert process.version == 2
    finally:
        await first.close()
        await second.close()


async def test_agenda_numbers_are_used_once(db: Database) -> None:
    office_id, _, pid = await _process(db)
    async with db.transaction() as tx:
        assert await tx.processes.next_agenda_seq(office_id, 2026) == 1
        await tx.processes.take_agenda_number(office_id, 2026, 12, "12/HK.03-ND/15/2026", pid, T0)
        assert await tx.processes.next_agenda_seq(office_id, 2026) == 13
        assert await tx.processes.next_agenda_seq(office_id, 2027) == 1
        with pytest.raises(Conflict):
            await tx.processes.take_agenda_number(office_id, 2026, 12, "12/X/2026", pid, T0)


async def test_outbox_keeps_order_per_chat_and_dedupes(db: Database) -> None:
    async with db.transaction() as tx:
        a1 = await tx.outbox.enqueue(channel="telegram", chat_id="1", payload={"n": 1}, now=T0)
        a2 = await tx.outbox.enqueue(channel="telegram", chat_id="1", payload={"n": 2}, now=T0)
        b1 = await tx.outbox.enqueue(
            channel="telegram", chat_id="2", payload={"n": 3}, now=T0, dedupe_key="r:1"
        )
        assert (
            await tx.outbox.enqueue(
                channel="telegram", chat_id="2", payload={"n": 4}, now=T0, dedupe_key="r:1"
            )
            is None
        )
        assert a1 is not None
        assert a2 is not None
        assert b1 is not None
        assert [i.id for i in await tx.outbox.due(T0, ["telegram"])] == [a1, b1]
        # a1 waits for a retry: a2 must not overtake it.
        await tx.outbox.reschedule(a1, T0 + timedelta(seconds=30), "timeout")
        assert [i.id for i in await tx.outbox.due(T0, ["telegram"])] == [b1]
        await tx.outbox.mark_sent(b1, "2:55", T0)
        assert await tx.outbox.due(T0, ["telegram"]) == []
        assert [i.id for i in await tx.outbox.due(T0 + timedelta(seconds=30), ["telegram"])] == [a1]


async def test_group_messages_wait_for_a_group(db: Database) -> None:
    office_id, _, _ = await _process(db)
    async with db.transaction() as tx:
        item = await tx.outbox.enqueue(
            channel="telegram", chat_id=None, office_id=office_id, payload={}, now=T0
        )
        assert item is not None
        assert await tx.outbox.due(T0 + timedelta(days=1), ["telegram"]) == []
        assert await tx.outbox.release_waiting(office_id, "telegram", "-100200", T0) == 1
        (due,) = await tx.outbox.due(T0, ["telegram"])
    assert due.id == item
    assert due.chat_id == "-100200"


async def test_tokens_and_pending_inputs(db: Database) -> None:
    _, user_id, pid = await _process(db)
    async with db.transaction() as tx:
        run = await tx.processes.step_run_at(pid, 1)
        assert run is not None
        token = await tx.conversation.step_token(run.id, "selesai", T0)
        assert await tx.conversation.step_token(run.id, "selesai", T0) == token
        assert len(token.encode()) <= 64
        found = await tx.conversation.token(token)
        assert found is not None
        assert (found.kind, found.step_run_id, found.choice) == ("step", run.id, "selesai")
        menu = await tx.conversation.menu_token("baru", user_id, {"code": "x"}, T0)
        assert await tx.conversation.use_token(menu, T0)
        assert not await tx.conversation.use_token(menu, T0)
        assert await tx.conversation.token("tidak-ada") is None
        # One prompt per topic: asking again on a topic replaces it (with a new id); another
        # topic waits beside it.
        hour = T0 + timedelta(hours=1)
        first = await tx.conversation.ask(user_id, "proses:1", "note", "#1", {"a": 1}, T0, hour)
        again = await tx.conversation.ask(user_id, "proses:1", "handin", "#1", {"b": 2}, T0, hour)
        other = await tx.conversation.ask(
            user_id, "baru", "start_docs", "baru", {}, T0, hour, wants_file=True
        )
        assert first != again
        assert await tx.conversation.prompt(first, T0) is None
        waiting = await tx.conversation.prompts(user_id, T0)
        assert [(p.id, p.kind, p.payload, p.wants_file) for p in waiting] == [
            (again, "handin", {"b": 2}, False),
            (other, "start_docs", {}, True),
        ]
        on_one = await tx.conversation.prompt_on(user_id, "proses:1", T0)
        assert on_one is not None
        assert on_one.id == again
        assert await tx.conversation.prompts(user_id, T0 + timedelta(hours=2)) == []
        await tx.conversation.asked_in(77, user_id, "proses:1")
        assert await tx.conversation.topic_of_message(77, user_id) == "proses:1"
        assert await tx.conversation.topic_of_message(77, user_id + 1) is None
        assert await tx.conversation.drop_topic(user_id, "proses:1")
        assert not await tx.conversation.drop_topic(user_id, "proses:1")
        dropped = await tx.conversation.drop_all(user_id, T0)
        assert [p.id for p in dropped] == [other]
        assert await tx.conversation.prompts(user_id, T0) == []


# --- Audit chain -----------------------------------------------------------------------------------


async def _events(db: Database, n: int) -> None:
    async with db.transaction() as tx:
        for i in range(n):
            await tx.audit.append(
                "step_closed",
                T0 + timedelta(minutes=i),
                data={"i": i, "catatan": "ok"},
                process_id=1,
                actor_user_id=7,
            )


async def test_audit_chain_verifies_and_is_append_only(db: Database) -> None:
    await _events(db, 5)
    async with db.read() as tx:
        report = await tx.audit.verify()
        events = await tx.audit.for_process(1)
    assert report.ok
    assert report.checked == 5
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        async with db.transaction() as tx:
            await tx.audit._update("UPDATE audit_events SET data = '{}' WHERE id = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        async with db.transaction() as tx:
            await tx.audit._update("DELETE FROM audit_events WHERE id = 2")


def _tamper(path: Path, *statements: str) -> None:
    """Edit the file behind the triggers' back, as someone with the file could."""
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER audit_events_no_update")
        conn.execute("DROP TRIGGER audit_events_no_delete")
        for sql in statements:
            conn.execute(sql)


@pytest.mark.parametrize(
    ("statements", "broken", "reason"),
    [
        (
            ['UPDATE audit_events SET data = \'{"i":2,"catatan":"diubah"}\' WHERE id = 3'],
            3,
            "content",
        ),
        (["UPDATE audit_events SET actor_user_id = 8 WHERE id = 4"], 4, "content"),
        (["DELETE FROM audit_events WHERE id = 2"], 3, "missing"),
        (
            [
                "UPDATE audit_events SET hash = 'f' || substr(hash, 2) WHERE id = 2",
            ],
            2,
            "content",
        ),
    ],
)
async def test_audit_tampering_is_detected_and_the_first_broken_event_named(
    tmp_path: Path, statements: list[str], broken: int, reason: str
) -> None:
    path = tmp_path / "audit.db"
    db = await Database.open(path)
    await _events(db, 5)
    await db.close()
    _tamper(path, *statements)
    db = await Database.open(path)
    try:
        async with db.read() as tx:
            report = await tx.audit.verify(batch=2)
    finally:
        await db.close()
    assert not report.ok
    assert report.broken_id == broken
    assert report.reason is not None
    assert reason in report.reason


async def test_a_rehashed_forgery_still_breaks_at_the_next_event(tmp_path: Path) -> None:
    """Someone rewrites event 2 and recomputes its hash: event 3 no longer points at it."""
    from storage.audit import event_hash

    path = tmp_path / "forge.db"
    db = await Database.open(path)
    await _events(db, 4)
    async with db.read() as tx:
        (e1, e2, *_rest) = await tx.audit.for_process(1)
    await db.close()
    forged = '{"catatan":"palsu","i":1}'
    digest = event_hash(
        e1.hash,
        event_id=2,
        at=ts(e2.at),
        office_id=None,
        process_id=1,
        actor_user_id=7,
        kind="step_closed",
        data=forged,
    )
    _tamper(path, f"UPDATE audit_events SET data = '{forged}', hash = '{digest}' WHERE id = 2")  # noqa: S608
    db = await Database.open(path)
    async with db.read() as tx:
        report = await tx.audit.verify()
    await db.close()
    assert report.broken_id == 3
    assert report.reason is not None
    assert "previous-hash" in report.reason


async def test_a_nested_transaction_is_refused_rather_than_waiting_forever(db: Database) -> None:
    from storage.db import NestedTransaction

    async def nested() -> None:
        async with db.read(), db.transaction():
            pass

    with pytest.raises(NestedTransaction):
        await asyncio.wait_for(nested(), 5)
    # Other tasks are not affected: each runs its own transactions.
    async with db.transaction() as tx:
        await tx.offices.upsert("x", "X", "Asia/Jakarta", {}, T0)


async def test_the_senders_query_reads_only_pending_messages(db: Database) -> None:
    async with db.transaction() as tx:
        for i in range(300):
            item = await tx.outbox.enqueue(
                channel="telegram", chat_id=str(i % 7), payload={"i": i}, now=T0
            )
            assert item is not None
            if i % 10:
                await tx.outbox.mark_sent(item, "1", T0)
    async with db.read() as tx:
        plan = await tx.outbox.explain_due(T0, ["telegram"])
        due = await tx.outbox.due(T0, ["telegram"])
    assert any("USING INDEX outbox_pending_by_id" in line for line in plan), plan
    assert not any(line.strip() == "SCAN o" for line in plan), plan
    assert len(due) == 7  # the first pending message of each chat


async def test_a_database_of_an_earlier_version_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "lama.db"
    (version, name, sql) = migrations()[0]
    with sqlite3.connect(path) as conn:
        conn.executescript(sql)
        conn.execute(f"PRAGMA user_version = {version}")
        conn.execute(
            "INSERT INTO offices (code, name, created_at, updated_at) VALUES ('lama', 'Kantor Lama', 'x', 'x')"
        )
    db = await Database.open(path)
    try:
        assert await db.schema_version() == len(migrations()) > 1
        async with db.read() as tx:
            office = await tx.offices.by_code("lama")
            indexes = {
                r[0]
                for r in await tx.offices._all("SELECT name FROM sqlite_master WHERE type='index'")
            }
        assert office is not None
        assert "outbox_pending_by_id" in indexes
    finally:
        await db.close()
    assert name.startswith("0001_")


async def test_a_database_of_the_telegram_only_schema_moves_to_channels(tmp_path: Path) -> None:
    """Data made by the schema before channels (users.telegram_id, offices.group_chat_id,
    callback_tokens) is carried over: identities per channel, groups per channel, button tokens,
    and an announcement still waiting for the office group is released by linking one."""
    path = tmp_path / "telegram-saja.db"
    with sqlite3.connect(path) as conn:
        for version, _name, sql in migrations()[:2]:
            conn.executescript(sql)
            conn.execute(f"PRAGMA user_version = {version}")
        conn.executescript(
            """
            INSERT INTO offices (id, code, name, group_chat_id, created_at, updated_at)
                VALUES (1, 'kapuas', 'KPU Kapuas', '-100200', 'x', 'x'),
                       (2, 'jambi', 'KPU Jambi', NULL, 'x', 'x');
            INSERT INTO users (id, telegram_id, name, is_admin, created_at, updated_at)
                VALUES (7, 1201, 'Hildayani', 1, '2026-01-01T00:00:00.000000+00:00', 'x'),
                       (8, NULL, 'Tanpa Telegram', 0, 'x', 'x');
            INSERT INTO role_holders (office_id, user_id, role, created_at)
                VALUES (1, 7, 'sekretaris', 'x');
            INSERT INTO callback_tokens (token, kind, user_id, payload, created_at)
                VALUES ('tok', 'menu', 7, '{}', '2026-01-01T00:00:00.000000+00:00');
            INSERT INTO outbox (created_at, chat_id, office_id, kind, payload, state, not_before)
                VALUES ('x', NULL, 2, 'send', '{}', 'waiting', 'x');
            """
        )
    db = await Database.open(path)
    try:
        async with db.read() as tx:
            hilda = await tx.offices.user_by_identity("telegram", "1201")
            other = await tx.offices.user(8)
            kapuas = await tx.offices.by_code("kapuas")
            jambi = await tx.offices.by_code("jambi")
            token = await tx.conversation.token("tok")
            linked = await tx.offices.by_group("telegram", "-100200")
            holders = await tx.offices.recipients(1, "sekretaris", date(2026, 11, 16))
            columns = {r[1] for r in await tx.offices._all("PRAGMA table_info(users)")}
            broken = await tx.offices._all("PRAGMA foreign_key_check")
        assert hilda is not None
        # An admin who belongs to an office was made so by its file: that office's admin now.
        assert (hilda.id, hilda.name, hilda.is_admin) == (7, "Hildayani", False)
        assert hilda.admin_of == {1}
        assert [(i.channel, i.external_id) for i in hilda.identities] == [("telegram", "1201")]
        assert other is not None
        assert other.identities == ()
        assert "telegram_id" not in columns
        assert kapuas is not None
        assert kapuas.group("telegram") == "-100200"
        assert linked == kapuas
        assert jambi is not None
        assert jambi.groups == {}
        assert token is not None
        assert token.user_id == 7
        assert [u.id for u in holders] == [7]
        assert broken == []
        async with db.transaction() as tx:
            assert await tx.outbox.release_waiting(2, "telegram", "-100300", T0) == 1
    finally:
        await db.close()


async def test_waiting_answers_of_the_one_per_person_schema_become_prompts(
    tmp_path: Path,
) -> None:
    """A note asked before prompts had topics is still awaited after the upgrade, on its
    process's topic and named by it; a title being asked for keeps the new process's topic."""
    path = tmp_path / "satu-per-orang.db"
    with sqlite3.connect(path) as conn:
        for version, _name, sql in migrations()[:4]:
            conn.executescript(sql)
            conn.execute(f"PRAGMA user_version = {version}")
        conn.executescript(
            """
            INSERT INTO offices (id, code, name, created_at, updated_at)
                VALUES (1, 'kapuas', 'KPU Kapuas', 'x', 'x');
            INSERT INTO users (id, name, created_at, updated_at)
                VALUES (7, 'Hildayani', 'x', 'x'), (8, 'Dedi', 'x', 'x');
            INSERT INTO sop_versions (version, code, content, first_seen_at)
                VALUES ('v1', 'A', '{}', 'x');
            INSERT INTO processes (id, office_id, sop_code, sop_version, title, started_by, status,
                                   current_step, visit, started_at)
                VALUES (12, 1, 'A', 'v1', 'SK Ketua', 7, 'running', 5, 1, 'x');
            INSERT INTO pending_inputs (user_id, kind, payload, created_at, expires_at)
                VALUES (7, 'note', '{"run": 3, "choice": "ada_koreksi", "process": 12}',
                        '2026-11-16T00:00:00.000000+00:00', '2099-01-01T00:00:00.000000+00:00'),
                       (8, 'title', '{"office": 1, "code": "A"}',
                        '2026-11-16T00:00:00.000000+00:00', '2099-01-01T00:00:00.000000+00:00');
            """
        )
    db = await Database.open(path)
    try:
        async with db.read() as tx:
            note = await tx.conversation.prompts(7, T0)
            title = await tx.conversation.prompts(8, T0)
            broken = await tx.offices._all("PRAGMA foreign_key_check")
        assert [(p.topic, p.kind, p.process_id, p.label) for p in note] == [
            ("proses:12", "note", 12, "#12 SK Ketua")
        ]
        assert note[0].payload["run"] == 3
        assert [(p.topic, p.kind, p.process_id) for p in title] == [("baru", "title", None)]
        assert broken == []
    finally:
        await db.close()


async def test_a_transaction_cancelled_as_it_begins_leaves_none_open(db: Database) -> None:
    """A task stopped while its BEGIN waits for the connection's thread (a frontend's worker at
    shutdown) must not leave the transaction open for the next one."""

    async def begin() -> None:
        async with db.transaction():
            await asyncio.sleep(1)

    for _ in range(20):
        task = asyncio.create_task(begin())
        await asyncio.sleep(0)  # the task is now waiting for its BEGIN
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with db.transaction() as tx:
            await tx.offices.all()
        async with db.read() as tx:
            await tx.offices.all()
