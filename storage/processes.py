"""SOP versions, processes, their step runs and hand-ins, and the office agenda book."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from storage.base import Conflict, Repo, Row, from_ts, opt_from_ts, opt_ts, ts


@dataclass(frozen=True)
class ProcessRow:
    id: int
    office_id: int
    sop_code: str
    sop_version: str
    title: str
    started_by: int
    status: str
    current_step: int | None
    visit: int
    version: int
    started_at: datetime
    ended_at: datetime | None
    end_note: str | None

    @classmethod
    def of(cls, row: Row) -> ProcessRow:
        return cls(
            id=row["id"],
            office_id=row["office_id"],
            sop_code=row["sop_code"],
            sop_version=row["sop_version"],
            title=row["title"],
            started_by=row["started_by"],
            status=row["status"],
            current_step=row["current_step"],
            visit=row["visit"],
            version=row["version"],
            started_at=from_ts(row["started_at"]),
            ended_at=opt_from_ts(row["ended_at"]),
            end_note=row["end_note"],
        )


@dataclass(frozen=True)
class StepRun:
    id: int
    process_id: int
    step: int
    visit: int
    role: str
    started_at: datetime
    due_at: datetime | None
    done_at: datetime | None
    done_by: int | None
    outcome: str | None
    note: str | None
    returned_from: int | None
    return_note: str | None
    return_by: int | None
    next_alert_at: datetime | None
    reminders_sent: int
    escalated_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.done_at is None

    @classmethod
    def of(cls, row: Row) -> StepRun:
        return cls(
            id=row["id"],
            process_id=row["process_id"],
            step=row["step"],
            visit=row["visit"],
            role=row["role"],
            started_at=from_ts(row["started_at"]),
            due_at=opt_from_ts(row["due_at"]),
            done_at=opt_from_ts(row["done_at"]),
            done_by=row["done_by"],
            outcome=row["outcome"],
            note=row["note"],
            returned_from=row["returned_from"],
            return_note=row["return_note"],
            return_by=row["return_by"],
            next_alert_at=opt_from_ts(row["next_alert_at"]),
            reminders_sent=row["reminders_sent"],
            escalated_at=opt_from_ts(row["escalated_at"]),
        )


@dataclass(frozen=True)
class StoredHandin:
    id: int
    process_id: int
    step_run_id: int | None
    kind: str
    label: str
    value: str
    file_name: str | None
    mime_type: str | None
    created_by: int
    created_at: datetime

    @classmethod
    def of(cls, row: Row) -> StoredHandin:
        return cls(
            id=row["id"],
            process_id=row["process_id"],
            step_run_id=row["step_run_id"],
            kind=row["kind"],
            label=row["label"],
            value=row["value"],
            file_name=row["file_name"],
            mime_type=row["mime_type"],
            created_by=row["created_by"],
            created_at=from_ts(row["created_at"]),
        )


class Processes(Repo):
    # --- SOP versions ---------------------------------------------------------------------------

    async def keep_version(self, version: str, code: str, content: str, now: datetime) -> None:
        await self._update(
            "INSERT OR IGNORE INTO sop_versions (version, code, content, first_seen_at) "
            "VALUES (?, ?, ?, ?)",
            (version, code, content, ts(now)),
        )

    async def version_content(self, version: str) -> str | None:
        value = await self._scalar("SELECT content FROM sop_versions WHERE version = ?", (version,))
        return str(value) if value is not None else None

    # --- processes ------------------------------------------------------------------------------

    async def create(
        self,
        *,
        office_id: int,
        sop_code: str,
        sop_version: str,
        title: str,
        started_by: int,
        current_step: int,
        visit: int,
        started_at: datetime,
    ) -> int:
        return await self._insert(
            "INSERT INTO processes (office_id, sop_code, sop_version, title, started_by, status, "
            "current_step, visit, started_at) VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?)",
            (
                office_id,
                sop_code,
                sop_version,
                title,
                started_by,
                current_step,
                visit,
                ts(started_at),
            ),
        )

    async def get(self, process_id: int) -> ProcessRow | None:
        row = await self._one("SELECT * FROM processes WHERE id = ?", (process_id,))
        return ProcessRow.of(row) if row else None

    async def update_state(
        self,
        process: ProcessRow,
        *,
        status: str,
        current_step: int | None,
        visit: int,
        ended_at: datetime | None = None,
        end_note: str | None = None,
    ) -> int:
        """Write a new state if nobody changed the process since ``process`` was read.

        Returns the new version; raises Conflict when the optimistic lock fails.
        """
        changed = await self._update(
            "UPDATE processes SET status = ?, current_step = ?, visit = ?, ended_at = ?, "
            "end_note = ?, version = version + 1 WHERE id = ? AND version = ?",
            (
                status,
                current_step,
                visit,
                opt_ts(ended_at),
                end_note,
                process.id,
                process.version,
            ),
        )
        if changed != 1:
            raise Conflict(f"process {process.id} changed since version {process.version}")
        return process.version + 1

    async def list_for_office(
        self, office_id: int, status: str | None = "running", limit: int = 50
    ) -> list[ProcessRow]:
        if status is None:
            rows = await self._all(
                "SELECT * FROM processes WHERE office_id = ? ORDER BY id DESC LIMIT ?",
                (office_id, limit),
            )
        else:
            rows = await self._all(
                "SELECT * FROM processes WHERE office_id = ? AND status = ? ORDER BY id LIMIT ?",
                (office_id, status, limit),
            )
        return [ProcessRow.of(r) for r in rows]

    async def in_period(self, office_id: int, start: datetime, end: datetime) -> list[ProcessRow]:
        """Processes of an office started in [start, end)."""
        rows = await self._all(
            "SELECT * FROM processes WHERE office_id = ? AND started_at >= ? AND started_at < ? "
            "ORDER BY id",
            (office_id, ts(start), ts(end)),
        )
        return [ProcessRow.of(r) for r in rows]

    # --- step runs ------------------------------------------------------------------------------

    async def open_step_run(
        self,
        *,
        process_id: int,
        step: int,
        visit: int,
        role: str,
        started_at: datetime,
        due_at: datetime | None,
        next_alert_at: datetime | None,
        returned_from: int | None = None,
        return_note: str | None = None,
        return_by: int | None = None,
    ) -> int:
        try:
            return await self._insert(
                "INSERT INTO step_runs (process_id, step, visit, role, started_at, due_at, "
                "next_alert_at, returned_from, return_note, return_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    process_id,
                    step,
                    visit,
                    role,
                    ts(started_at),
                    opt_ts(due_at),
                    opt_ts(next_alert_at),
                    returned_from,
                    return_note,
                    return_by,
                ),
            )
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"process {process_id} already has visit {visit}") from exc

    async def close_step_run(
        self,
        step_run_id: int,
        *,
        done_at: datetime,
        done_by: int,
        outcome: str,
        note: str | None,
    ) -> None:
        changed = await self._update(
            "UPDATE step_runs SET done_at = ?, done_by = ?, outcome = ?, note = ?, "
            "next_alert_at = NULL WHERE id = ? AND done_at IS NULL",
            (ts(done_at), done_by, outcome, note, step_run_id),
        )
        if changed != 1:
            raise Conflict(f"step run {step_run_id} is already done")

    async def step_run(self, step_run_id: int) -> StepRun | None:
        row = await self._one("SELECT * FROM step_runs WHERE id = ?", (step_run_id,))
        return StepRun.of(row) if row else None

    async def step_run_at(self, process_id: int, visit: int) -> StepRun | None:
        row = await self._one(
            "SELECT * FROM step_runs WHERE process_id = ? AND visit = ?", (process_id, visit)
        )
        return StepRun.of(row) if row else None

    async def step_runs(self, process_id: int) -> list[StepRun]:
        rows = await self._all(
            "SELECT * FROM step_runs WHERE process_id = ? ORDER BY visit", (process_id,)
        )
        return [StepRun.of(r) for r in rows]

    async def open_runs_for_roles(
        self, office_id: int, roles: frozenset[str], limit: int = 50
    ) -> list[tuple[ProcessRow, StepRun]]:
        """Open step runs of an office whose role is among ``roles``, oldest first."""
        if not roles:
            return []
        marks = ",".join("?" for _ in roles)
        rows = await self._all(
            f"SELECT s.id AS run_id FROM step_runs s JOIN processes p ON p.id = s.process_id "  # noqa: S608 - only placeholders are interpolated
            f"WHERE s.done_at IS NULL AND p.office_id = ? AND s.role IN ({marks}) "
            "ORDER BY s.started_at, s.id LIMIT ?",
            (office_id, *sorted(roles), limit),
        )
        found = []
        for r in rows:
            run = await self.step_run(r["run_id"])
            assert run is not None  # noqa: S101
            process = await self.get(run.process_id)
            assert process is not None  # noqa: S101
            found.append((process, run))
        return found

    async def current_run(self, process: ProcessRow) -> StepRun | None:
        if process.status != "running":
            return None
        return await self.step_run_at(process.id, process.visit)

    # --- hand-ins -------------------------------------------------------------------------------

    async def add_handin(
        self,
        *,
        process_id: int,
        step_run_id: int | None,
        kind: str,
        label: str,
        value: str,
        file_name: str | None,
        mime_type: str | None,
        created_by: int,
        created_at: datetime,
    ) -> int:
        return await self._insert(
            "INSERT INTO handins (process_id, step_run_id, kind, label, value, file_name, "
            "mime_type, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                process_id,
                step_run_id,
                kind,
                label,
                value,
                file_name,
                mime_type,
                created_by,
                ts(created_at),
            ),
        )

    async def handins(self, process_id: int) -> list[StoredHandin]:
        rows = await self._all(
            "SELECT * FROM handins WHERE process_id = ? ORDER BY id", (process_id,)
        )
        return [StoredHandin.of(r) for r in rows]

    async def handin(self, handin_id: int) -> StoredHandin | None:
        row = await self._one("SELECT * FROM handins WHERE id = ?", (handin_id,))
        return StoredHandin.of(row) if row else None

    # --- agenda book ----------------------------------------------------------------------------

    async def next_agenda_seq(self, office_id: int, year: int) -> int:
        top = await self._scalar(
            "SELECT MAX(seq) FROM agenda_numbers WHERE office_id = ? AND year = ?",
            (office_id, year),
        )
        return int(top or 0) + 1

    async def take_agenda_number(
        self, office_id: int, year: int, seq: int, nomor: str, process_id: int, now: datetime
    ) -> None:
        try:
            await self._insert(
                "INSERT INTO agenda_numbers (office_id, year, seq, nomor, process_id, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (office_id, year, seq, nomor, process_id, ts(now)),
            )
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"agenda number {seq}/{year} is taken") from exc

    async def agenda_owner(self, office_id: int, year: int, seq: int) -> int | None:
        value = await self._scalar(
            "SELECT process_id FROM agenda_numbers WHERE office_id = ? AND year = ? AND seq = ?",
            (office_id, year, seq),
        )
        return int(value) if value is not None else None

    # --- alerts (reminders and escalation) ------------------------------------------------------

    async def due_alerts(self, now: datetime, limit: int = 200) -> list[StepRun]:
        """Open step runs whose next reminder or escalation is due, oldest first. Reads only the
        partial index of open runs with an alert, so finished processes cost nothing."""
        rows = await self._all(
            "SELECT * FROM step_runs WHERE done_at IS NULL AND next_alert_at IS NOT NULL "
            "AND next_alert_at <= ? ORDER BY next_alert_at, id LIMIT ?",
            (ts(now), limit),
        )
        return [StepRun.of(r) for r in rows]

    async def next_alert_at(self) -> datetime | None:
        value = await self._scalar(
            "SELECT MIN(next_alert_at) FROM step_runs WHERE done_at IS NULL "
            "AND next_alert_at IS NOT NULL"
        )
        return from_ts(value) if value else None

    async def record_alert(
        self,
        run: StepRun,
        *,
        next_alert_at: datetime | None,
        reminded: bool,
        escalated_at: datetime | None,
    ) -> bool:
        """Move a run's alert on, if nobody did meanwhile (the run is still open and its alert is
        the one that was read); False when it was not this caller's to move."""
        changed = await self._update(
            "UPDATE step_runs SET next_alert_at = ?, reminders_sent = reminders_sent + ?, "
            "escalated_at = COALESCE(escalated_at, ?) WHERE id = ? AND done_at IS NULL "
            "AND next_alert_at IS ? AND reminders_sent = ?",
            (
                opt_ts(next_alert_at),
                1 if reminded else 0,
                opt_ts(escalated_at),
                run.id,
                opt_ts(run.next_alert_at),
                run.reminders_sent,
            ),
        )
        return changed == 1

    async def explain_due_alerts(self, now: datetime) -> list[str]:
        """The query plan of ``due_alerts`` (to check that it uses its index)."""
        rows = await self._all(
            "EXPLAIN QUERY PLAN SELECT * FROM step_runs WHERE done_at IS NULL "
            "AND next_alert_at IS NOT NULL AND next_alert_at <= ? ORDER BY next_alert_at, id "
            "LIMIT 200",
            (ts(now),),
        )
        return [str(r["detail"]) for r in rows]
