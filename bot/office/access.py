"""Who may see and do what. Every service asks here before it acts, so a front end (Telegram,
WhatsApp, the command line) cannot forget a check: a refusal is a ``NotAllowed`` carrying the
sentence the person reads.

- A person acts in the roles they hold in an office, or stand in for (Plh), on the office's day.
- The deployment's admins (ADMIN_TELEGRAM_IDS, ADMIN_WHATSAPP_NUMBERS) manage every office and see
  everything; an office's admin (``admin: true`` in its file) manages and sees that office alone.
- A process, its files and its timeline are for the people of its office; to anyone else it looks
  exactly like a process that does not exist.
- Reports are for the office's admins and the holders of the office's report roles.
"""

from __future__ import annotations

from datetime import datetime

from bot.office.settings import DEFAULT_REPORT_ROLES, calendar_for, settings_of
from bot.words.admin import ADMIN_ONLY, UNKNOWN_OFFICE
from sop.engine import Actor
from sop.loader import Catalog
from sop.models import SopDefinition
from storage.db import Tx
from storage.offices import Office, User


class NotAllowed(Exception):
    """A refusal; ``text`` says why, in the words the person reads."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class Access:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    @staticmethod
    def require_admin(user: User | None, refusal: str = ADMIN_ONLY) -> User:
        """An admin of the deployment or of some office (which office: ``require_office``)."""
        if user is None or not user.any_admin:
            raise NotAllowed(refusal)
        return user

    @staticmethod
    def require_office(user: User | None, office_id: int, refusal: str = ADMIN_ONLY) -> User:
        """An admin of this office. Another office's admin hears the same as a stranger to it:
        that the office is not known, not that it exists and is someone else's."""
        if user is None or not user.any_admin:
            raise NotAllowed(refusal)
        if not user.administers(office_id):
            raise NotAllowed(UNKNOWN_OFFICE)
        return user

    async def actor(self, tx: Tx, user: User, office: Office, now: datetime) -> Actor:
        """The person as the engine sees them in an office now: their roles on the office's day."""
        day = calendar_for(office).local_date(now)
        roles = await tx.offices.roles_of(user.id, office.id, day)
        return Actor(user_id=user.id, roles=roles, is_admin=user.administers(office.id))

    async def offices_seen(self, tx: Tx, user: User) -> list[Office]:
        """The offices a person sees: their own (where they hold a role or are its admin);
        every office for a deployment admin."""
        return await tx.offices.all() if user.is_admin else await tx.offices.offices_of(user.id)

    async def offices_managed(self, tx: Tx, user: User) -> list[Office]:
        """The offices a person is admin of: every office for a deployment admin."""
        if user.is_admin:
            return await tx.offices.all()
        return [o for o in await tx.offices.offices_of(user.id) if user.administers(o.id)]

    async def may_view(self, tx: Tx, user: User, office_id: int) -> bool:
        """Whether a person may see an office's processes, their files and timelines."""
        return any(o.id == office_id for o in await self.offices_seen(tx, user))

    async def may_report(self, tx: Tx, user: User, office: Office, now: datetime) -> bool:
        """The office's admins, and people holding or standing in for one of its report roles."""
        if user.administers(office.id):
            return True
        actor = await self.actor(tx, user, office, now)
        return bool(actor.roles & set(settings_of(office).report_roles))

    async def report_offices(
        self, tx: Tx, user: User, now: datetime
    ) -> tuple[list[Office], list[str]]:
        """The offices this person may read reports of, and (for a refusal) the labels of the
        roles that may, in the offices they belong to."""
        candidates = await self.offices_seen(tx, user)
        allowed = [o for o in candidates if await self.may_report(tx, user, o, now)]
        keys = dict.fromkeys(
            role for o in candidates for role in settings_of(o).report_roles
        ) or dict.fromkeys(DEFAULT_REPORT_ROLES)
        return allowed, [self.catalog.roles.label(k) for k in keys]

    async def visible_sops(self, tx: Tx, user: User) -> list[SopDefinition]:
        """The SOPs the person's offices run (admins: every SOP the bot knows)."""
        if user.is_admin:
            return self.catalog.all()
        codes = {
            code
            for office in await tx.offices.offices_of(user.id)
            for code in await tx.offices.sops(office.id)
        }
        found = [self.catalog.get(c) for c in sorted(codes)]
        return [d for d in found if d is not None]
