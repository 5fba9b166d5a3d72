"""Setting an office up and keeping it: importing its file, inviting people, their roles and
stand-ins, the office calendar, and linking the office group. Every change is in the audit trail,
and every call that needs an admin checks it here (``NotAllowed``), whatever front end calls."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta

from pydantic import ValidationError

from bot.clock import Clock
from bot.office.access import Access, NotAllowed
from bot.office.files import ImportReport, OfficeFile, OfficeFileError, PersonEntry
from bot.office.settings import OfficeSettings, settings_of
from bot.words.admin import (
    GROUP_ADMIN_ONLY,
    GROUP_OF_OTHER_OFFICE,
    PERSON_OF_OTHER_OFFICES,
    UNKNOWN_OFFICE,
)
from sop.faults import told
from sop.loader import Catalog
from storage.db import Database, Tx
from storage.offices import Holding, Invite, Office, User

INVITE_DAYS = 7
TELEGRAM = "telegram"


class Admin:
    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        clock: Clock,
        *,
        admins: frozenset[tuple[str, str]] = frozenset(),
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.clock = clock
        # (channel, id) of the deployment's admins (ADMIN_TELEGRAM_IDS): admins from first contact.
        self.admins = admins
        self.access = Access(catalog)
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
            group = str(data.group_chat_id) if data.group_chat_id is not None else None
            if group is not None and office.group(TELEGRAM) != group:
                await self._link_group(tx, office, TELEGRAM, group, now)
                report.group_linked = True
            for person in data.people:
                user, added, user_changed = await self._person_of_file(tx, person, now)
                # `admin: true` makes an admin of this office alone; the file is the truth.
                user_changed |= await tx.offices.set_office_admin(
                    office.id, user.id, person.admin, now
                )
                if added:
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

    async def _person_of_file(
        self, tx: Tx, person: PersonEntry, now: datetime
    ) -> tuple[User, bool, bool]:
        """The user an office file's person is: found by any of their identities, created when
        none is known, given the ones they lack. Returns (user, created, changed)."""
        identities = person.identities()
        known = [await tx.offices.user_by_identity(*i) for i in identities]
        owners = {u.id: u for u in known if u is not None}
        if len(owners) > 1:
            names = " dan ".join(u.name for u in owners.values())
            raise OfficeFileError(
                [f"{person.name}: telegram_id dan whatsapp-nya milik dua orang berbeda ({names})"]
            )
        admin = True if any(i in self.admins for i in identities) else None
        first = next((i for i, u in zip(identities, known, strict=True) if u is not None), None)
        user, changed = await tx.offices.upsert_user(
            *(first or identities[0]), person.name, now, is_admin=admin
        )
        for channel, external_id in identities:
            changed |= await tx.offices.add_identity(user.id, channel, external_id, now)
        if person.preferred_channel is not None:
            changed |= await tx.offices.set_preferred_channel(
                user.id, person.preferred_channel, now
            )
        return user, not owners, changed

    # --- people ----------------------------------------------------------------------------------

    async def mark_deployment_admins(self) -> int:
        """At start: exactly the people of the settings' admin lists are the deployment's admins
        (a list edited since the last start takes effect now). Returns how many changed."""
        async with self.db.transaction() as tx:
            return await tx.offices.mark_admins(self.admins, self.clock.now())

    async def user_of(self, channel: str, external_id: str, name: str) -> User | None:
        """The registered, active person behind a channel identity. A deployment admin
        (ADMIN_TELEGRAM_IDS) is registered as an admin by the first message they send."""
        if (channel, external_id) in self.admins:
            return await self._ensure_admin(channel, external_id, name)
        async with self.db.read() as tx:
            found = await tx.offices.user_by_identity(channel, external_id)
        return found if found is not None and found.active else None

    async def _ensure_admin(self, channel: str, external_id: str, name: str) -> User:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            before = await tx.offices.user_by_identity(channel, external_id)
            if before is not None and before.is_admin:
                return before
            user, _ = await tx.offices.upsert_user(
                channel, external_id, before.name if before else name, now, is_admin=True
            )
            await tx.audit.append(
                "admin_registered", now, actor_user_id=user.id, data={"name": user.name}
            )
        return user

    # --- what an admin reads ---------------------------------------------------------------------

    async def offices(self, by: User | None) -> list[Office]:
        """The offices an admin manages: every office for a deployment admin, else their own."""
        admin = self.access.require_admin(by)
        async with self.db.read() as tx:
            return await self.access.offices_managed(tx, admin)

    async def offices_for_group(self, by: User | None) -> list[Office]:
        """The offices a group chat can be linked to, for the admin linking it."""
        admin = self.access.require_admin(by, GROUP_ADMIN_ONLY)
        async with self.db.read() as tx:
            return await self.access.offices_managed(tx, admin)

    async def office(self, by: User | None, office_id: object) -> Office:
        """An office this admin manages; ``NotAllowed`` for anyone else, an unknown office, and
        (in the same words) another office."""
        admin = self.access.require_admin(by)
        office = None
        if isinstance(office_id, int) and admin.administers(office_id):
            async with self.db.read() as tx:
                office = await tx.offices.get(office_id)
        if office is None:
            raise NotAllowed(UNKNOWN_OFFICE)
        return office

    async def people(self, by: User | None, office: Office) -> list[tuple[User, list[Holding]]]:
        self.access.require_office(by, office.id)
        async with self.db.read() as tx:
            return await tx.offices.people(office.id)

    async def person(
        self, by: User | None, office: Office, user_id: int
    ) -> tuple[User, list[Holding]] | None:
        """A person and what they hold in an office."""
        self.access.require_office(by, office.id)
        async with self.db.read() as tx:
            person = await tx.offices.user(user_id)
            holdings = [h for h in await tx.offices.holdings(office.id) if h.user_id == user_id]
        return (person, holdings) if person is not None else None

    async def role_holders(self, by: User | None, office: Office, role: str) -> list[User]:
        """Who holds a role in an office (not counting stand-ins)."""
        self.access.require_office(by, office.id)
        async with self.db.read() as tx:
            holders = [h for h in await tx.offices.holdings(office.id, role) if h.kind == "holder"]
            found = [await tx.offices.user(h.user_id) for h in holders]
        return [u for u in found if u is not None]

    async def office_roles(self, by: User | None, office: Office) -> list[str]:
        """The roles that matter in an office: those its SOPs name (lanes and starters) and those
        who read its reports (the Sekretaris, whom late steps escalate to in the end). Who can be
        invited or stood in for."""
        self.access.require_office(by, office.id)
        async with self.db.read() as tx:
            codes = await tx.offices.sops(office.id)
        keys: set[str] = set(settings_of(office).report_roles)
        for code in codes:
            defn = self.catalog.get(code)
            if defn is not None:
                keys |= set(defn.lanes) | set(defn.starters)
        roles = self.catalog.roles
        return sorted((k for k in keys if k in roles), key=roles.label)

    async def create_invite(self, by: User, office_id: int, role: str) -> Invite:
        self.access.require_office(by, office_id)
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
        self, token: str, channel: str, external_id: str, name: str
    ) -> tuple[User, Office, str] | None:
        """Register whoever opens an invitation with its role; None when it is used or expired."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            invite = await tx.offices.invite(token)
            if invite is None:
                return None
            existing = await tx.offices.user_by_identity(channel, external_id)
            user, _ = await tx.offices.upsert_user(
                channel, external_id, existing.name if existing else name, now
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
        self.access.require_office(by, office_id)
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
        """(De)activate a person, in every office they belong to: an office's admin may do it
        only for someone of no office but theirs."""
        self.access.require_admin(by)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if not by.is_admin:
                theirs = await tx.offices.offices_of(user_id)
                if not theirs or not all(by.administers(o.id) for o in theirs):
                    raise NotAllowed(PERSON_OF_OTHER_OFFICES)
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
        self.access.require_office(by, office_id)
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
        self.on_commit()  # the scheduler wakes: a period that has begun hands its steps over now
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
        self.access.require_office(by, office_id)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            office = await tx.offices.get(office_id)
            if office is None:
                raise NotAllowed(UNKNOWN_OFFICE)
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
            try:
                updated = OfficeSettings.model_validate(
                    {**settings.to_json(), "calendar": calendar}
                )
            except ValidationError as exc:
                # Said in the admin's words, not pydantic's.
                raise ValueError(told(exc, OfficeSettings)) from None
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

    async def link_group(
        self, by: User | None, office_id: int, channel: str, chat_id: str
    ) -> tuple[Office, int]:
        """Make a chat the office's group on its channel; announcements that waited for it go out
        now."""
        admin = self.access.require_office(by, office_id, GROUP_ADMIN_ONLY)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            office = await tx.offices.get(office_id)
            if office is None:
                raise NotAllowed(UNKNOWN_OFFICE)
            previous = await tx.offices.by_group(channel, chat_id)
            if previous is not None and not admin.administers(previous.id):
                # The group belongs to an office this admin does not manage.
                raise NotAllowed(GROUP_OF_OTHER_OFFICE)
            released = await self._link_group(tx, office, channel, chat_id, now, by=admin.id)
            office = await tx.offices.get(office_id) or office
        self.on_commit()
        return office, released

    async def _link_group(
        self,
        tx: Tx,
        office: Office,
        channel: str,
        chat_id: str,
        now: datetime,
        by: int | None = None,
    ) -> int:
        previous = await tx.offices.by_group(channel, chat_id)
        if previous is not None and previous.id != office.id:
            await tx.offices.set_group(previous.id, channel, None, now)
        await tx.offices.set_group(office.id, channel, chat_id, now)
        released = await tx.outbox.release_waiting(office.id, channel, chat_id, now)
        await tx.audit.append(
            "group_linked",
            now,
            office_id=office.id,
            actor_user_id=by,
            data={"channel": channel, "chat": chat_id, "released": released},
        )
        return released
