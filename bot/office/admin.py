"""Setting an office up: importing its file, inviting people, their roles and stand-ins, and linking
the office group. Every change is in the audit trail."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.clock import Clock
from bot.office.settings import OfficeSettings, calendar_for, settings_of
from sop.loader import Catalog
from storage.db import Database, Tx
from storage.offices import Invite, Office, User

INVITE_DAYS = 7
# The example office files of the two offices in the SOP sources (README: setting up an office).
EXAMPLE_OFFICES = Path(__file__).parent / "examples"


class OfficeFileError(Exception):
    """An office file refused whole; each message names the entry at fault."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


class PersonEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    telegram_id: int = Field(gt=0)
    name: str = Field(min_length=1, max_length=120)
    roles: list[str] = Field(default_factory=list)
    admin: bool = False


class OfficeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")
    name: str = Field(min_length=1)
    timezone: str = "Asia/Jakarta"
    group_chat_id: int | None = None
    sops: list[str] = Field(min_length=1)
    calendar: dict[str, Any] = Field(default_factory=dict)
    reminders: dict[str, Any] = Field(default_factory=dict)
    agenda_template: str | None = None
    report_roles: list[str] | None = None
    people: list[PersonEntry] = Field(default_factory=list)

    @field_validator("group_chat_id")
    @classmethod
    def _group_is_negative(cls, value: int | None) -> int | None:
        if value is not None and value >= 0:
            raise ValueError("group_chat_id grup Telegram selalu negatif, mis. -1001234567890")
        return value

    def settings(self) -> OfficeSettings:
        data: dict[str, Any] = {"calendar": self.calendar, "reminders": self.reminders}
        if self.agenda_template is not None:
            data["agenda_template"] = self.agenda_template
        if self.report_roles is not None:
            data["report_roles"] = tuple(self.report_roles)
        return OfficeSettings.model_validate(data)


@dataclass
class ImportReport:
    office: Office
    created: bool = False
    office_changed: bool = False
    people_added: list[str] = field(default_factory=list)
    people_changed: list[str] = field(default_factory=list)
    roles_added: list[str] = field(default_factory=list)
    roles_removed: list[str] = field(default_factory=list)
    group_linked: bool = False

    @property
    def changed(self) -> bool:
        return bool(
            self.created
            or self.office_changed
            or self.people_added
            or self.people_changed
            or self.roles_added
            or self.roles_removed
            or self.group_linked
        )

    def lines(self) -> list[str]:
        if not self.changed:
            return [f"Kantor {self.office.code}: tidak ada perubahan."]
        verb = "dibuat" if self.created else "diperbarui"
        out = [f"Kantor {self.office.code} ({self.office.name}) {verb}."]
        if self.people_added:
            out.append(f"Orang baru: {', '.join(self.people_added)}.")
        if self.people_changed:
            out.append(f"Data diperbarui: {', '.join(self.people_changed)}.")
        if self.roles_added:
            out.append(f"Peran ditambahkan: {', '.join(self.roles_added)}.")
        if self.roles_removed:
            out.append(f"Peran dicabut: {', '.join(self.roles_removed)}.")
        if self.group_linked:
            out.append("Grup kantor dihubungkan.")
        return out


def read_office_file(path: Path, catalog: Catalog) -> OfficeFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OfficeFileError([f"{path.name}: tidak dapat dibaca ({exc.strerror})"]) from exc
    except yaml.YAMLError as exc:
        raise OfficeFileError([f"{path.name}: YAML tidak valid: {exc}"]) from exc
    return validate_office(raw, path.name, catalog)


def validate_office(raw: Any, source: str, catalog: Catalog) -> OfficeFile:
    """Check an office file whole; every fault is reported, naming its entry."""
    try:
        office = OfficeFile.model_validate(raw)
    except ValidationError as exc:
        messages = []
        for err in exc.errors(include_url=False):
            loc = list(err["loc"])
            where = source
            if loc[:1] == ["people"] and len(loc) > 1 and isinstance(loc[1], int):
                where += f": people[{loc[1] + 1}]"
                loc = loc[2:]
            path = ".".join(str(p) for p in loc)
            text = str(err["msg"]).removeprefix("Value error, ")
            messages.append(f"{where}: {path}: {text}" if path else f"{where}: {text}")
        raise OfficeFileError(messages) from exc
    messages = []
    for code in office.sops:
        if catalog.get(code) is None:
            known = ", ".join(sorted(catalog.definitions))
            messages.append(f"{source}: sops: SOP '{code}' tidak dikenal (yang ada: {known})")
    seen: dict[int, str] = {}
    for n, person in enumerate(office.people, start=1):
        entry = f"{source}: people[{n}] ({person.name})"
        if person.telegram_id in seen:
            other = seen[person.telegram_id]
            messages.append(f"{entry}: telegram_id {person.telegram_id} sudah dipakai oleh {other}")
        seen[person.telegram_id] = person.name
        for role in person.roles:
            if role not in catalog.roles:
                messages.append(f"{entry}: peran '{role}' tidak dikenal")
    for role in office.report_roles or []:
        if role not in catalog.roles:
            messages.append(f"{source}: report_roles: peran '{role}' tidak dikenal")
    try:
        settings = office.settings()
        calendar_for(Office(0, office.code, office.name, office.timezone, None, settings.to_json()))
    except (ValidationError, ValueError) as exc:
        messages.append(f"{source}: pengaturan kantor tidak valid: {exc}")
    if messages:
        raise OfficeFileError(messages)
    return office


class Admin:
    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        clock: Clock,
        *,
        admin_ids: frozenset[int] = frozenset(),
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.clock = clock
        self.admin_ids = admin_ids
        self.on_commit = on_commit

    # --- the office file -------------------------------------------------------------------------

    async def import_office(self, data: OfficeFile, *, by: int | None = None) -> ImportReport:
        """Create or update an office from its file. The file is the truth about the roles of the
        people it lists in this office; people not listed keep what they have."""
        now = self.clock.now()
        settings = data.settings().to_json()
        async with self.db.transaction() as tx:
            existing = await tx.offices.by_code(data.code)
            office, changed = await tx.offices.upsert(
                data.code, data.name, data.timezone, settings, now
            )
            report = ImportReport(office=office, created=existing is None, office_changed=changed)
            if await tx.offices.set_sops(office.id, data.sops):
                report.office_changed = True
            if data.group_chat_id is not None and office.group_chat_id != str(data.group_chat_id):
                await self._link_group(tx, office, str(data.group_chat_id), now)
                report.group_linked = True
            for person in data.people:
                before = await tx.offices.user_by_telegram(person.telegram_id)
                admin = True if person.admin or person.telegram_id in self.admin_ids else None
                user, user_changed = await tx.offices.upsert_user(
                    person.telegram_id, person.name, now, is_admin=admin
                )
                if before is None:
                    report.people_added.append(person.name)
                elif user_changed:
                    report.people_changed.append(person.name)
                current = {
                    h.role
                    for h in await tx.offices.holdings(office.id)
                    if h.user_id == user.id and h.kind == "holder"
                }
                for role in person.roles:
                    if role not in current and await tx.offices.add_holder(
                        office.id, user.id, role, now
                    ):
                        report.roles_added.append(
                            f"{person.name}: {self.catalog.roles.label(role)}"
                        )
                for role in sorted(current - set(person.roles)):
                    if await tx.offices.remove_holder(office.id, user.id, role):
                        report.roles_removed.append(
                            f"{person.name}: {self.catalog.roles.label(role)}"
                        )
            office = await tx.offices.get(office.id) or office
            report.office = office
            if report.changed:
                await tx.audit.append(
                    "office_imported",
                    now,
                    office_id=office.id,
                    actor_user_id=by,
                    data={"code": office.code, "summary": report.lines()},
                )
        if report.changed:
            self.on_commit()
        return report

    # --- people ----------------------------------------------------------------------------------

    async def ensure_admin(self, telegram_id: int, name: str) -> User | None:
        """Someone listed in ADMIN_TELEGRAM_IDS is an admin from the first message they send."""
        if telegram_id not in self.admin_ids:
            return None
        now = self.clock.now()
        async with self.db.transaction() as tx:
            before = await tx.offices.user_by_telegram(telegram_id)
            if before is not None and before.is_admin:
                return before
            user, _ = await tx.offices.upsert_user(
                telegram_id, before.name if before else name, now, is_admin=True
            )
            await tx.audit.append(
                "admin_registered", now, actor_user_id=user.id, data={"name": user.name}
            )
        return user

    async def create_invite(self, by: User, office_id: int, role: str) -> Invite:
        now = self.clock.now()
        token = secrets.token_urlsafe(16)  # 22 characters, fits a /start payload
        async with self.db.transaction() as tx:
            await tx.offices.create_invite(
                token, office_id, role, by.id, now, now + timedelta(days=INVITE_DAYS)
            )
            await tx.audit.append(
                "invite_created", now, office_id=office_id, actor_user_id=by.id, data={"role": role}
            )
            invite = await tx.offices.invite(token)
        assert invite is not None  # noqa: S101
        return invite

    async def accept_invite(
        self, token: str, telegram_id: int, name: str
    ) -> tuple[User, Office, str] | None:
        """Register whoever opens an invitation with its role; None when it is used or expired."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            invite = await tx.offices.invite(token)
            if invite is None:
                return None
            existing = await tx.offices.user_by_telegram(telegram_id)
            user, _ = await tx.offices.upsert_user(
                telegram_id, existing.name if existing else name, now
            )
            if not await tx.offices.use_invite(token, user.id, now):
                return None
            if not user.active:
                await tx.offices.set_active(user.id, True, now)
            await tx.offices.add_holder(invite.office_id, user.id, invite.role, now)
            office = await tx.offices.get(invite.office_id)
            assert office is not None  # noqa: S101
            await tx.audit.append(
                "invite_accepted",
                now,
                office_id=office.id,
                actor_user_id=user.id,
                data={"role": invite.role, "invited_by": invite.created_by},
            )
        return user, office, invite.role

    async def set_role(
        self, by: User, office_id: int, user_id: int, role: str, holds: bool
    ) -> bool:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if holds:
                changed = await tx.offices.add_holder(office_id, user_id, role, now)
            else:
                changed = await tx.offices.remove_holder(office_id, user_id, role)
            if changed:
                await tx.audit.append(
                    "role_added" if holds else "role_removed",
                    now,
                    office_id=office_id,
                    actor_user_id=by.id,
                    data={"user": user_id, "role": role},
                )
        return changed

    async def set_active(self, by: User, user_id: int, active: bool) -> bool:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            changed = await tx.offices.set_active(user_id, active, now)
            if changed:
                await tx.audit.append(
                    "user_activated" if active else "user_deactivated",
                    now,
                    actor_user_id=by.id,
                    data={"user": user_id},
                )
        return changed

    async def add_standin(
        self,
        by: User,
        office_id: int,
        user_id: int,
        role: str,
        start: date,
        end: date,
        absent_user_id: int | None,
    ) -> int:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            holding = await tx.offices.add_standin(
                office_id, user_id, role, start, end, absent_user_id, now
            )
            await tx.audit.append(
                "standin_added",
                now,
                office_id=office_id,
                actor_user_id=by.id,
                data={
                    "user": user_id,
                    "role": role,
                    "from": start.isoformat(),
                    "until": end.isoformat(),
                    "absent": absent_user_id,
                },
            )
        return holding

    # --- the office calendar ---------------------------------------------------------------------

    async def change_calendar(
        self,
        by: User,
        office_id: int,
        *,
        closed: list[date] | None = None,
        working: list[date] | None = None,
        remove: list[date] | None = None,
    ) -> Office:
        """Add extra closed dates or extra working dates to an office's calendar, or remove them.
        A date moved from one list to the other leaves the first. Raises ValueError (with an
        Indonesian message) when the result is not a valid calendar."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            office = await tx.offices.get(office_id)
            if office is None:
                raise ValueError("kantor tidak ditemukan")
            settings = settings_of(office)
            calendar = dict(settings.calendar)
            closed_dates = {date.fromisoformat(str(d)) for d in calendar.get("closed_dates", [])}
            working_raw = calendar.get("working_dates", {})
            if isinstance(working_raw, list):
                working_raw = dict.fromkeys(working_raw)
            working_dates = {date.fromisoformat(str(d)): h for d, h in working_raw.items()}
            for d in closed or []:
                working_dates.pop(d, None)
                closed_dates.add(d)
            for d in working or []:
                closed_dates.discard(d)
                working_dates.setdefault(d, None)
            for d in remove or []:
                closed_dates.discard(d)
                working_dates.pop(d, None)
            calendar["closed_dates"] = sorted(d.isoformat() for d in closed_dates)
            calendar["working_dates"] = {d.isoformat(): h for d, h in sorted(working_dates.items())}
            updated = OfficeSettings.model_validate({**settings.to_json(), "calendar": calendar})
            await tx.offices.update_settings(office.id, updated.to_json(), now)
            await tx.audit.append(
                "calendar_changed",
                now,
                office_id=office.id,
                actor_user_id=by.id,
                data={
                    "closed": [d.isoformat() for d in closed or []],
                    "working": [d.isoformat() for d in working or []],
                    "removed": [d.isoformat() for d in remove or []],
                },
            )
            changed = await tx.offices.get(office.id)
        assert changed is not None  # noqa: S101
        return changed

    # --- the office group ------------------------------------------------------------------------

    async def link_group(self, by: User, office_id: int, chat_id: str) -> tuple[Office, int]:
        """Make a chat the office's group; announcements that waited for it go out now."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            office = await tx.offices.get(office_id)
            assert office is not None  # noqa: S101
            released = await self._link_group(tx, office, chat_id, now, by=by.id)
            office = await tx.offices.get(office_id) or office
        self.on_commit()
        return office, released

    async def _link_group(
        self, tx: Tx, office: Office, chat_id: str, now: datetime, by: int | None = None
    ) -> int:
        previous = await tx.offices.by_group(chat_id)
        if previous is not None and previous.id != office.id:
            await tx.offices.set_group(previous.id, None, now)
        await tx.offices.set_group(office.id, chat_id, now)
        released = await tx.outbox.release_waiting(office.id, chat_id, now)
        await tx.audit.append(
            "group_linked",
            now,
            office_id=office.id,
            actor_user_id=by,
            data={"chat": chat_id, "released": released},
        )
        return released
