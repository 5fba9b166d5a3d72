"""Running SOP instances as the engine sees them: a process with its office, the SOP version it
started with (kept even when the file has changed since), and the office's working calendar.
Loading them is here; acting on them is ``bot.process.workflow``'s, telling people about them is
``bot.process.step_messages``'."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.office.access import Access
from bot.office.calendar import WorkCalendar
from bot.office.settings import calendar_for
from sop import engine
from sop.engine import Actor, ProcessState, Status
from sop.loader import Catalog, definition_from_json
from sop.models import SopDefinition
from storage.db import Tx
from storage.offices import Office, User
from storage.processes import ProcessRow, StepRun


@dataclass
class Context:
    """A process with what acting on it needs."""

    process: ProcessRow
    office: Office
    defn: SopDefinition
    calendar: WorkCalendar

    async def record(
        self, tx: Tx, kind: str, now: datetime, *, by: int | None = None, **data: Any
    ) -> None:
        """An event of this process in the audit trail, with who and when."""
        await tx.audit.append(
            kind,
            now,
            office_id=self.office.id,
            process_id=self.process.id,
            actor_user_id=by,
            data=data or None,
        )

    def state(self) -> ProcessState:
        return ProcessState(
            status=Status(self.process.status),
            current_step=self.process.current_step,
            visit=self.process.visit,
            started_by=self.process.started_by,
            step_started_at=None,
        )


class Instances:
    def __init__(self, catalog: Catalog, access: Access, *, always_open: bool = False) -> None:
        self.catalog = catalog
        self.access = access
        self.always_open = always_open
        self._versions: dict[str, SopDefinition] = {}

    def calendar(self, office: Office) -> WorkCalendar:
        return calendar_for(office, always_open=self.always_open)

    async def definition(self, tx: Tx, version: str) -> SopDefinition:
        """The definition a process started with, even when the file has changed since."""
        found = self._versions.get(version)
        if found is None:
            content = await tx.processes.version_content(version)
            if content is None:
                raise LookupError(f"SOP version {version} is not stored")
            found = definition_from_json(content)
            self._versions[version] = found
        return found

    async def context(self, tx: Tx, process_id: int) -> Context | None:
        process = await tx.processes.get(process_id)
        if process is None:
            return None
        office = await tx.offices.get(process.office_id)
        if office is None:
            return None
        defn = await self.definition(tx, process.sop_version)
        return Context(process, office, defn, self.calendar(office))

    async def actor(self, tx: Tx, user: User, office: Office, now: datetime) -> Actor:
        return await self.access.actor(tx, user, office, now)

    async def startable(
        self, tx: Tx, user: User, now: datetime
    ) -> list[tuple[Office, SopDefinition]]:
        """The SOPs this person may start, in each office they belong to."""
        found = []
        for office in await tx.offices.offices_of(user.id):
            actor = await self.actor(tx, user, office, now)
            for code in await tx.offices.sops(office.id):
                defn = self.catalog.get(code)
                if defn is not None and engine.can_start(defn, actor):
                    found.append((office, defn))
        return found

    async def open_tasks(self, tx: Tx, user: User, now: datetime) -> list[tuple[Context, StepRun]]:
        """The open steps this person may act on now, in every office they belong to."""
        found: list[tuple[Context, StepRun]] = []
        for office in await tx.offices.offices_of(user.id):
            actor = await self.actor(tx, user, office, now)
            for process, run in await tx.processes.open_runs_for_roles(office.id, actor.roles):
                defn = await self.definition(tx, process.sop_version)
                found.append((Context(process, office, defn, self.calendar(office)), run))
        return found

    @staticmethod
    async def names(tx: Tx, ids: Iterable[int | None]) -> dict[int, str]:
        """The names of the given users, by id."""
        names = {}
        for user_id in set(ids):
            if user_id is not None and (u := await tx.offices.user(user_id)) is not None:
                names[user_id] = u.name
        return names
