"""Read-only queries behind the reports, the charts and the archive record.

Every query the evaluation needs is here, so the figures (``bot.documents.reports``) and the archive record
(``bot.documents.archive``) stay pure functions of the rows. Construct with ``ReportQueries(tx.conn)`` inside
``async with db.read() as tx``: the whole report is then read from one consistent snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from storage.audit import AuditEvent
from storage.base import Repo, ts
from storage.offices import OFFICE_ROWS, Office
from storage.processes import ProcessRow, StepRun, StoredHandin


@dataclass(frozen=True)
class ReportRows:
    """Everything an office report is computed from.

    ``processes`` are those started in the period (the cohort) and ``runs`` all their step runs, up
    to the moment of reading; ``open_runs`` are the runs open now in any running process of the
    office, whenever it started (for the per-role "now" figures). ``versions`` maps each SOP version
    the cohort uses to its stored definition JSON; ``names`` maps user ids to names.
    """

    office: Office
    processes: tuple[ProcessRow, ...]
    runs: tuple[StepRun, ...]
    open_runs: tuple[StepRun, ...]
    versions: dict[str, str]
    names: dict[int, str]


@dataclass(frozen=True)
class AuditSummary:
    """How many audit events a process has, and its latest one (None when it has none)."""

    count: int
    last: AuditEvent | None


@dataclass(frozen=True)
class ProcessRecordRows:
    """Everything the archive record of one process is made from."""

    office: Office
    process: ProcessRow
    version_content: str
    runs: tuple[StepRun, ...]
    handins: tuple[StoredHandin, ...]
    names: dict[int, str]
    audit: AuditSummary


class ReportQueries(Repo):
    """Read-only: no method here writes."""

    # --- offices and people ---------------------------------------------------------------------

    async def office_by_code(self, code: str) -> Office | None:
        row = await self._one(f"{OFFICE_ROWS} WHERE o.code = ?", (code,))
        return Office.of(row) if row else None

    async def office_codes(self) -> list[str]:
        return [str(r[0]) for r in await self._all("SELECT code FROM offices ORDER BY code")]

    async def office_by_id(self, office_id: int) -> Office | None:
        row = await self._one(f"{OFFICE_ROWS} WHERE o.id = ?", (office_id,))
        return Office.of(row) if row else None

    async def user_names(self, user_ids: Iterable[int]) -> dict[int, str]:
        ids = sorted(set(user_ids))
        if not ids:
            return {}
        marks = ",".join("?" for _ in ids)
        rows = await self._all(
            f"SELECT id, name FROM users WHERE id IN ({marks})",  # noqa: S608 - only placeholders are interpolated
            tuple(ids),
        )
        return {int(r["id"]): str(r["name"]) for r in rows}

    # --- SOP versions ---------------------------------------------------------------------------

    async def version_contents(self, versions: Iterable[str]) -> dict[str, str]:
        wanted = sorted(set(versions))
        if not wanted:
            return {}
        marks = ",".join("?" for _ in wanted)
        rows = await self._all(
            f"SELECT version, content FROM sop_versions WHERE version IN ({marks})",  # noqa: S608 - only placeholders are interpolated
            tuple(wanted),
        )
        return {str(r["version"]): str(r["content"]) for r in rows}

    # --- processes and their runs ---------------------------------------------------------------

    async def processes_started(
        self, office_id: int, start: datetime, end: datetime
    ) -> list[ProcessRow]:
        """Processes of an office started in ``[start, end)``, oldest first."""
        rows = await self._all(
            "SELECT * FROM processes WHERE office_id = ? AND started_at >= ? AND started_at < ? "
            "ORDER BY started_at, id",
            (office_id, ts(start), ts(end)),
        )
        return [ProcessRow.of(r) for r in rows]

    async def runs_of_processes_started(
        self, office_id: int, start: datetime, end: datetime
    ) -> list[StepRun]:
        """Every step run of the processes ``processes_started`` returns, in process and visit
        order."""
        rows = await self._all(
            "SELECT s.* FROM step_runs s JOIN processes p ON p.id = s.process_id "
            "WHERE p.office_id = ? AND p.started_at >= ? AND p.started_at < ? "
            "ORDER BY s.process_id, s.visit",
            (office_id, ts(start), ts(end)),
        )
        return [StepRun.of(r) for r in rows]

    async def open_runs(self, office_id: int) -> list[StepRun]:
        """Step runs open now in the office's running processes, oldest first."""
        rows = await self._all(
            "SELECT s.* FROM step_runs s JOIN processes p ON p.id = s.process_id "
            "WHERE p.office_id = ? AND p.status = 'running' AND s.done_at IS NULL "
            "ORDER BY s.started_at, s.id",
            (office_id,),
        )
        return [StepRun.of(r) for r in rows]

    async def process(self, process_id: int) -> ProcessRow | None:
        row = await self._one("SELECT * FROM processes WHERE id = ?", (process_id,))
        return ProcessRow.of(row) if row else None

    async def runs_of(self, process_id: int) -> list[StepRun]:
        rows = await self._all(
            "SELECT * FROM step_runs WHERE process_id = ? ORDER BY visit", (process_id,)
        )
        return [StepRun.of(r) for r in rows]

    async def handins_of(self, process_id: int) -> list[StoredHandin]:
        rows = await self._all(
            "SELECT * FROM handins WHERE process_id = ? ORDER BY id", (process_id,)
        )
        return [StoredHandin.of(r) for r in rows]

    # --- audit ----------------------------------------------------------------------------------

    async def audit_summary(self, process_id: int) -> AuditSummary:
        count = await self._scalar(
            "SELECT COUNT(*) FROM audit_events WHERE process_id = ?", (process_id,)
        )
        row = await self._one(
            "SELECT * FROM audit_events WHERE process_id = ? ORDER BY id DESC LIMIT 1",
            (process_id,),
        )
        return AuditSummary(count=int(count or 0), last=AuditEvent.of(row) if row else None)

    # --- whole reads ----------------------------------------------------------------------------

    async def report_rows(self, office: Office, start: datetime, end: datetime) -> ReportRows:
        """The rows of an office report for processes started in ``[start, end)``."""
        processes = await self.processes_started(office.id, start, end)
        runs = await self.runs_of_processes_started(office.id, start, end)
        open_runs = await self.open_runs(office.id)
        versions = await self.version_contents(p.sop_version for p in processes)
        people = [p.started_by for p in processes]
        people += [r.done_by for r in runs if r.done_by is not None]
        return ReportRows(
            office=office,
            processes=tuple(processes),
            runs=tuple(runs),
            open_runs=tuple(open_runs),
            versions=versions,
            names=await self.user_names(people),
        )

    async def process_record_rows(self, process_id: int) -> ProcessRecordRows | None:
        """The rows of one process's archive record; None when there is no such process."""
        process = await self.process(process_id)
        if process is None:
            return None
        office = await self.office_by_id(process.office_id)
        contents = await self.version_contents([process.sop_version])
        if office is None or process.sop_version not in contents:
            raise LookupError(f"process {process_id} refers to a missing office or SOP version")
        runs = await self.runs_of(process_id)
        handins = await self.handins_of(process_id)
        people = [process.started_by]
        people += [r.done_by for r in runs if r.done_by is not None]
        people += [r.return_by for r in runs if r.return_by is not None]
        people += [h.created_by for h in handins]
        return ProcessRecordRows(
            office=office,
            process=process,
            version_content=contents[process.sop_version],
            runs=tuple(runs),
            handins=tuple(handins),
            names=await self.user_names(people),
            audit=await self.audit_summary(process_id),
        )
