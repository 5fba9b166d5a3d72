"""Offices, their people, who holds which role (and who stands in), and invitations.

A person is known on one or more chat channels by an identity each (the channel's id of them,
which is also the address of their private chat); an office has a group chat per channel."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from storage.base import Repo, Row, dumps, from_ts, opt_ts, ts


@dataclass(frozen=True)
class Office:
    id: int
    code: str
    name: str
    timezone: str
    settings: dict[str, Any]
    groups: dict[str, str] = field(default_factory=dict)  # channel -> the office group's chat

    def group(self, channel: str) -> str | None:
        return self.groups.get(channel)

    @classmethod
    def of(cls, row: Row) -> Office:
        return cls(
            id=row["id"],
            code=row["code"],
            name=row["name"],
            timezone=row["timezone"],
            settings=json.loads(row["settings"]),
            groups=dict(json.loads(row["groups"])) if row["groups"] else {},
        )


@dataclass(frozen=True)
class Identity:
    """A person on one channel: the channel's id of them (a Telegram user id, a WhatsApp number)
    and a business-scoped id where the channel has one."""

    channel: str
    external_id: str
    scoped_id: str | None = None


@dataclass(frozen=True)
class User:
    id: int
    name: str
    is_admin: bool  # an admin of the deployment: every office
    active: bool
    identities: tuple[Identity, ...] = ()
    preferred_channel: str | None = None
    admin_of: frozenset[int] = frozenset()  # the offices this person is an admin of

    def administers(self, office_id: int) -> bool:
        """Whether this person manages an office: a deployment admin, or that office's admin."""
        return self.active and (self.is_admin or office_id in self.admin_of)

    @property
    def any_admin(self) -> bool:
        """An admin of the deployment or of at least one office."""
        return self.active and (self.is_admin or bool(self.admin_of))

    def address(self, channel: str | None = None) -> Identity | None:
        """Where the person is reached: on ``channel`` if given, else on their preferred channel,
        else on the first channel they became known on."""
        wanted = channel or self.preferred_channel
        for identity in self.identities:
            if identity.channel == wanted:
                return identity
        return self.identities[0] if self.identities and channel is None else None

    @classmethod
    def of(cls, row: Row) -> User:
        ids = json.loads(row["ids"]) if row["ids"] else []
        return cls(
            id=row["id"],
            name=row["name"],
            is_admin=bool(row["is_admin"]),
            active=bool(row["active"]),
            identities=tuple(Identity(str(c), str(e), s) for c, e, s in ids),
            preferred_channel=row["preferred_channel"],
            admin_of=frozenset(json.loads(row["admin_of"]) if row["admin_of"] else ()),
        )


# Users with their identities (oldest first) and the offices they administer, and offices with
# their groups, in one row each.
USER_ROWS = (
    "SELECT u.*, (SELECT json_group_array(json_array(i.channel, i.external_id, i.scoped_id)) "
    "FROM "
    "(SELECT * FROM identities WHERE user_id = u.id ORDER BY created_at, channel) i) AS ids, "
    "(SELECT json_group_array(a.office_id) FROM office_admins a WHERE a.user_id = u.id) "
    "AS admin_of "
    "FROM users u"
)
OFFICE_ROWS = (
    "SELECT o.*, (SELECT json_group_object(g.channel, g.chat_id) FROM office_groups g "
    "WHERE g.office_id = o.id) AS groups FROM offices o"
)


@dataclass(frozen=True)
class Holding:
    """A role held in an office, or a stand-in (plh) for a date range."""

    id: int
    office_id: int
    user_id: int
    role: str
    kind: str  # 'holder' | 'plh'
    absent_user_id: int | None
    valid_from: date | None
    valid_until: date | None
    handed_over: bool = False  # a stand-in's open steps were sent to them as the period began
    handed_back: bool = False  # ... and back to the holders as it ended

    @classmethod
    def of(cls, row: Row) -> Holding:
        return cls(
            id=row["id"],
            office_id=row["office_id"],
            user_id=row["user_id"],
            role=row["role"],
            kind=row["kind"],
            absent_user_id=row["absent_user_id"],
            valid_from=date.fromisoformat(row["valid_from"]) if row["valid_from"] else None,
            valid_until=date.fromisoformat(row["valid_until"]) if row["valid_until"] else None,
            handed_over=row["handed_over_at"] is not None,
            handed_back=row["handed_back_at"] is not None,
        )

    def covers(self, day: date) -> bool:
        if self.kind == "holder":
            return True
        if self.valid_from is None or self.valid_until is None:
            return False
        return self.valid_from <= day <= self.valid_until


@dataclass(frozen=True)
class Invite:
    token: str
    office_id: int
    role: str
    created_by: int | None
    expires_at: datetime
    used_by: int | None


class Offices(Repo):
    """Offices, people, their roles and stand-ins. People are read many times in one transaction
    (each holder of a role, each name in a step's history); they are kept for the transaction,
    which is this repository's life, and forgotten on any write through it."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__(conn)
        self._users: dict[int, User | None] = {}

    async def _insert(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        self._users.clear()
        return await super()._insert(sql, params)

    async def _update(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        self._users.clear()
        return await super()._update(sql, params)

    # --- offices --------------------------------------------------------------------------------

    async def get(self, office_id: int) -> Office | None:
        row = await self._one(f"{OFFICE_ROWS} WHERE o.id = ?", (office_id,))
        return Office.of(row) if row else None

    async def by_code(self, code: str) -> Office | None:
        row = await self._one(f"{OFFICE_ROWS} WHERE o.code = ?", (code,))
        return Office.of(row) if row else None

    async def by_group(self, channel: str, chat_id: str) -> Office | None:
        row = await self._one(
            f"{OFFICE_ROWS} WHERE o.id = (SELECT office_id FROM office_groups "  # noqa: S608 - only fixed SQL and placeholders are interpolated
            "WHERE channel = ? AND chat_id = ?)",
            (channel, chat_id),
        )
        return Office.of(row) if row else None

    async def all(self) -> list[Office]:
        return [Office.of(r) for r in await self._all(f"{OFFICE_ROWS} ORDER BY o.code")]

    async def upsert(
        self, code: str, name: str, timezone: str, settings: dict[str, Any], now: datetime
    ) -> tuple[Office, bool]:
        """Create or update an office by code; returns it and whether anything changed."""
        existing = await self.by_code(code)
        if existing is None:
            await self._insert(
                "INSERT INTO offices (code, name, timezone, settings, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (code, name, timezone, dumps(settings), ts(now), ts(now)),
            )
        elif (existing.name, existing.timezone, existing.settings) != (name, timezone, settings):
            await self._update(
                "UPDATE offices SET name = ?, timezone = ?, settings = ?, updated_at = ? "
                "WHERE id = ?",
                (name, timezone, dumps(settings), ts(now), existing.id),
            )
        else:
            return existing, False
        office = await self.by_code(code)
        assert office is not None  # noqa: S101
        return office, True

    async def set_group(
        self, office_id: int, channel: str, chat_id: str | None, now: datetime
    ) -> None:
        """Link the office's group on a channel (replacing the one before), or unlink it."""
        await self._update(
            "DELETE FROM office_groups WHERE office_id = ? AND channel = ?", (office_id, channel)
        )
        if chat_id is not None:
            await self._insert(
                "INSERT INTO office_groups (office_id, channel, chat_id, linked_at) "
                "VALUES (?, ?, ?, ?)",
                (office_id, channel, chat_id, ts(now)),
            )

    async def update_settings(
        self, office_id: int, settings: dict[str, Any], now: datetime
    ) -> None:
        await self._update(
            "UPDATE offices SET settings = ?, updated_at = ? WHERE id = ?",
            (dumps(settings), ts(now), office_id),
        )

    async def sops(self, office_id: int) -> list[str]:
        rows = await self._all(
            "SELECT sop_code FROM office_sops WHERE office_id = ? ORDER BY sop_code", (office_id,)
        )
        return [r[0] for r in rows]

    async def set_sops(self, office_id: int, codes: list[str]) -> bool:
        current = set(await self.sops(office_id))
        wanted = set(codes)
        if current == wanted:
            return False
        for code in current - wanted:
            await self._update(
                "DELETE FROM office_sops WHERE office_id = ? AND sop_code = ?", (office_id, code)
            )
        for code in sorted(wanted - current):
            await self._insert(
                "INSERT INTO office_sops (office_id, sop_code) VALUES (?, ?)", (office_id, code)
            )
        return True

    # --- users ----------------------------------------------------------------------------------

    async def user(self, user_id: int) -> User | None:
        if user_id in self._users:
            return self._users[user_id]
        row = await self._one(f"{USER_ROWS} WHERE u.id = ?", (user_id,))
        found = self._users[user_id] = User.of(row) if row else None
        return found

    async def user_by_identity(self, channel: str, external_id: str) -> User | None:
        row = await self._one(
            f"{USER_ROWS} WHERE u.id = (SELECT user_id FROM identities "  # noqa: S608 - only fixed SQL and placeholders are interpolated
            "WHERE channel = ? AND external_id = ?)",
            (channel, external_id),
        )
        return User.of(row) if row else None

    async def upsert_user(
        self,
        channel: str,
        external_id: str,
        name: str,
        now: datetime,
        *,
        is_admin: bool | None = None,
    ) -> tuple[User, bool]:
        """The person known on ``channel`` as ``external_id``, created when new; their name and
        admin mark updated. Returns them and whether anything changed."""
        existing = await self.user_by_identity(channel, external_id)
        if existing is None:
            user_id = await self._insert(
                "INSERT INTO users (name, is_admin, created_at, updated_at) VALUES (?, ?, ?, ?)",
                (name, int(bool(is_admin)), ts(now), ts(now)),
            )
            await self.add_identity(user_id, channel, external_id, now)
        else:
            admin = existing.is_admin if is_admin is None else is_admin
            if (existing.name, existing.is_admin) == (name, admin):
                return existing, False
            await self._update(
                "UPDATE users SET name = ?, is_admin = ?, updated_at = ? WHERE id = ?",
                (name, int(admin), ts(now), existing.id),
            )
            user_id = existing.id
        user = await self.user(user_id)
        assert user is not None  # noqa: S101
        return user, True

    async def add_identity(
        self, user_id: int, channel: str, external_id: str, now: datetime
    ) -> bool:
        """Know a person on one more channel; False when that identity was theirs already."""
        return (
            await self._update(
                "INSERT OR IGNORE INTO identities (user_id, channel, external_id, created_at) "
                "VALUES (?, ?, ?, ?)",
                (user_id, channel, external_id, ts(now)),
            )
            > 0
        )

    async def set_scoped_id(self, channel: str, external_id: str, scoped_id: str) -> None:
        """The business-scoped id a channel gives a person, kept beside their number."""
        await self._update(
            "UPDATE identities SET scoped_id = ? WHERE channel = ? AND external_id = ?",
            (scoped_id, channel, external_id),
        )

    async def set_preferred_channel(self, user_id: int, channel: str | None, now: datetime) -> bool:
        changed = await self._update(
            "UPDATE users SET preferred_channel = ?, updated_at = ? "
            "WHERE id = ? AND preferred_channel IS NOT ?",
            (channel, ts(now), user_id, channel),
        )
        return changed > 0

    async def set_admin(self, user_id: int, is_admin: bool, now: datetime) -> None:
        await self._update(
            "UPDATE users SET is_admin = ?, updated_at = ? WHERE id = ?",
            (int(is_admin), ts(now), user_id),
        )

    async def set_active(self, user_id: int, active: bool, now: datetime) -> bool:
        changed = await self._update(
            "UPDATE users SET active = ?, updated_at = ? WHERE id = ? AND active != ?",
            (int(active), ts(now), user_id, int(active)),
        )
        return changed > 0

    async def admins(self, office_id: int | None = None) -> list[User]:
        """The deployment's admins, and with ``office_id`` that office's admins too."""
        rows = await self._all(
            f"{USER_ROWS} WHERE u.active = 1 AND (u.is_admin = 1 OR u.id IN "  # noqa: S608 - only fixed SQL and placeholders are interpolated
            "(SELECT user_id FROM office_admins WHERE office_id = ?)) ORDER BY u.id",
            (office_id,),
        )
        return [User.of(r) for r in rows]

    async def set_office_admin(
        self, office_id: int, user_id: int, admin: bool, now: datetime
    ) -> bool:
        """Make a person an admin of an office, or no longer; False when nothing changed."""
        if admin:
            sql = (
                "INSERT OR IGNORE INTO office_admins (office_id, user_id, created_at) "
                "VALUES (?, ?, ?)"
            )
            return await self._update(sql, (office_id, user_id, ts(now))) > 0
        return (
            await self._update(
                "DELETE FROM office_admins WHERE office_id = ? AND user_id = ?",
                (office_id, user_id),
            )
            > 0
        )

    async def mark_admins(self, identities: Iterable[tuple[str, str]], now: datetime) -> int:
        """Make exactly the people known by ``identities`` the deployment's admins (the
        settings' lists); returns how many people's mark changed."""
        wanted = {
            u.id
            for u in [await self.user_by_identity(c, e) for c, e in identities]
            if u is not None
        }
        marked = {int(r[0]) for r in await self._all("SELECT id FROM users WHERE is_admin = 1")}
        for user_id in wanted ^ marked:
            await self.set_admin(user_id, user_id in wanted, now)
        return len(wanted ^ marked)

    async def people(self, office_id: int) -> list[tuple[User, list[Holding]]]:
        """Everyone with a role (or stand-in) in the office, with their holdings, by name."""
        rows = await self._all(
            "SELECT * FROM role_holders WHERE office_id = ? ORDER BY role, id", (office_id,)
        )
        by_user: dict[int, list[Holding]] = {}
        for r in rows:
            by_user.setdefault(r["user_id"], []).append(Holding.of(r))
        users = [await self.user(uid) for uid in by_user]
        pairs = [(u, by_user[u.id]) for u in users if u is not None]
        return sorted(pairs, key=lambda p: p[0].name.lower())

    # --- roles and stand-ins --------------------------------------------------------------------

    async def add_holder(self, office_id: int, user_id: int, role: str, now: datetime) -> bool:
        return (
            await self._update(
                "INSERT OR IGNORE INTO role_holders (office_id, user_id, role, kind, created_at) "
                "VALUES (?, ?, ?, 'holder', ?)",
                (office_id, user_id, role, ts(now)),
            )
            > 0
        )

    async def remove_holder(self, office_id: int, user_id: int, role: str) -> bool:
        removed = await self._update(
            "DELETE FROM role_holders WHERE office_id = ? AND user_id = ? AND role = ? "
            "AND kind = 'holder'",
            (office_id, user_id, role),
        )
        return removed > 0

    async def add_standin(
        self,
        office_id: int,
        user_id: int,
        role: str,
        valid_from: date,
        valid_until: date,
        absent_user_id: int | None,
        now: datetime,
    ) -> int:
        return await self._insert(
            "INSERT INTO role_holders (office_id, user_id, role, kind, absent_user_id, "
            "valid_from, valid_until, created_at) VALUES (?, ?, ?, 'plh', ?, ?, ?, ?)",
            (
                office_id,
                user_id,
                role,
                absent_user_id,
                valid_from.isoformat(),
                valid_until.isoformat(),
                ts(now),
            ),
        )

    async def standins_to_hand(self) -> list[tuple[Holding, Office]]:
        """Stand-ins whose open steps are still to be handed over or back, with their office."""
        rows = await self._all(
            "SELECT * FROM role_holders WHERE kind = 'plh' "
            "AND (handed_over_at IS NULL OR handed_back_at IS NULL) ORDER BY id"
        )
        found = []
        for row in rows:
            holding = Holding.of(row)
            office = await self.get(holding.office_id)
            if office is not None:
                found.append((holding, office))
        return found

    async def mark_handed(self, holding_id: int, back: bool, now: datetime) -> bool:
        """Mark a stand-in's steps handed over (or back); False when that was done already."""
        column = "handed_back_at" if back else "handed_over_at"
        changed = await self._update(
            f"UPDATE role_holders SET {column} = ? WHERE id = ? AND {column} IS NULL",  # noqa: S608 - one of two fixed column names
            (ts(now), holding_id),
        )
        return changed > 0

    async def remove_standin(self, holding_id: int) -> bool:
        removed = await self._update(
            "DELETE FROM role_holders WHERE id = ? AND kind = 'plh'", (holding_id,)
        )
        return removed > 0

    async def holdings(self, office_id: int, role: str | None = None) -> list[Holding]:
        if role is None:
            rows = await self._all(
                "SELECT * FROM role_holders WHERE office_id = ? ORDER BY role, kind, id",
                (office_id,),
            )
        else:
            rows = await self._all(
                "SELECT * FROM role_holders WHERE office_id = ? AND role = ? ORDER BY kind, id",
                (office_id, role),
            )
        return [Holding.of(r) for r in rows]

    async def holdings_of(self, user_id: int) -> list[Holding]:
        rows = await self._all(
            "SELECT * FROM role_holders WHERE user_id = ? ORDER BY office_id, role", (user_id,)
        )
        return [Holding.of(r) for r in rows]

    async def roles_of(self, user_id: int, office_id: int, day: date) -> frozenset[str]:
        """The roles a person may act in on that (office-local) day: held, or stood in for."""
        user = await self.user(user_id)
        if user is None or not user.active:
            return frozenset()
        rows = await self._all(
            "SELECT * FROM role_holders WHERE user_id = ? AND office_id = ?", (user_id, office_id)
        )
        return frozenset(h.role for h in map(Holding.of, rows) if h.covers(day))

    async def offices_of(self, user_id: int) -> list[Office]:
        """The offices a person belongs to: where they hold a role, stand in, or are admin."""
        rows = await self._all(
            f"{OFFICE_ROWS} WHERE o.id IN (SELECT office_id FROM role_holders WHERE user_id = ?) "  # noqa: S608 - only fixed SQL and placeholders are interpolated
            "OR o.id IN (SELECT office_id FROM office_admins WHERE user_id = ?) ORDER BY o.code",
            (user_id, user_id),
        )
        return [Office.of(r) for r in rows]

    async def recipients(self, office_id: int, role: str, day: date) -> list[User]:
        """Who gets a step of this role on that day: the holders, except those a stand-in
        replaces (a stand-in naming nobody replaces all holders), plus the stand-ins."""
        holdings = [h for h in await self.holdings(office_id, role) if h.covers(day)]
        standins = [h for h in holdings if h.kind == "plh"]
        replaced_all = any(h.absent_user_id is None for h in standins)
        absent = {h.absent_user_id for h in standins}
        chosen: list[int] = []
        for h in holdings:
            if h.kind == "holder" and (replaced_all or h.user_id in absent):
                continue
            if h.user_id not in chosen:
                chosen.append(h.user_id)
        users = [await self.user(uid) for uid in chosen]
        return [u for u in users if u is not None and u.active]

    # --- invitations ----------------------------------------------------------------------------

    async def create_invite(
        self,
        token: str,
        office_id: int,
        role: str,
        created_by: int | None,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        await self._insert(
            "INSERT INTO invites (token, office_id, role, created_by, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (token, office_id, role, created_by, ts(now), ts(expires_at)),
        )

    async def invite(self, token: str) -> Invite | None:
        row = await self._one("SELECT * FROM invites WHERE token = ?", (token,))
        if row is None:
            return None
        return Invite(
            token=row["token"],
            office_id=row["office_id"],
            role=row["role"],
            created_by=row["created_by"],
            expires_at=from_ts(row["expires_at"]),
            used_by=row["used_by"],
        )

    async def use_invite(self, token: str, user_id: int, now: datetime) -> bool:
        """Mark an unused, unexpired invitation used; False if it was used or expired."""
        used = await self._update(
            "UPDATE invites SET used_by = ?, used_at = ? "
            "WHERE token = ? AND used_by IS NULL AND expires_at > ?",
            (user_id, opt_ts(now), token, ts(now)),
        )
        return used > 0
