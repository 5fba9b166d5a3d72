"""Conversation state kept in the database, so nothing is lost across restarts: the opaque tokens
behind buttons, and what the bot is waiting for from a person (a note, a hand-in, a title)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from storage.base import Repo, dumps, from_ts, opt_from_ts, opt_ts, ts

TOKEN_BYTES = 9  # 12 characters of base64url: short callback data, unguessable


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


@dataclass(frozen=True)
class ButtonToken:
    token: str
    kind: str
    user_id: int | None
    step_run_id: int | None
    choice: str | None
    handin_id: int | None
    payload: dict[str, Any]
    created_at: datetime
    expires_at: datetime | None
    used_at: datetime | None

    @classmethod
    def of(cls, row: aiosqlite.Row) -> ButtonToken:
        return cls(
            token=row["token"],
            kind=row["kind"],
            user_id=row["user_id"],
            step_run_id=row["step_run_id"],
            choice=row["choice"],
            handin_id=row["handin_id"],
            payload=json.loads(row["payload"]),
            created_at=from_ts(row["created_at"]),
            expires_at=opt_from_ts(row["expires_at"]),
            used_at=opt_from_ts(row["used_at"]),
        )


@dataclass(frozen=True)
class PendingInput:
    user_id: int
    kind: str
    payload: dict[str, Any]
    created_at: datetime
    expires_at: datetime


class Conversation(Repo):
    # --- button tokens --------------------------------------------------------------------------

    async def step_token(self, step_run_id: int, choice: str, now: datetime) -> str:
        """The token of a step run's choice; the same for every message showing that button."""
        existing = await self._scalar(
            "SELECT token FROM button_tokens WHERE kind = 'step' AND step_run_id = ? "
            "AND choice = ?",
            (step_run_id, choice),
        )
        if existing is not None:
            return str(existing)
        token = new_token()
        await self._insert(
            "INSERT INTO button_tokens (token, kind, step_run_id, choice, created_at) "
            "VALUES (?, 'step', ?, ?, ?)",
            (token, step_run_id, choice, ts(now)),
        )
        return token

    async def file_token(self, handin_id: int, now: datetime) -> str:
        """The token of a button that fetches a handed-in file; one per file."""
        existing = await self._scalar(
            "SELECT token FROM button_tokens WHERE kind = 'file' AND handin_id = ?", (handin_id,)
        )
        if existing is not None:
            return str(existing)
        token = new_token()
        await self._insert(
            "INSERT INTO button_tokens (token, kind, handin_id, created_at) "
            "VALUES (?, 'file', ?, ?)",
            (token, handin_id, ts(now)),
        )
        return token

    async def menu_token(
        self,
        kind: str,
        user_id: int,
        payload: dict[str, Any],
        now: datetime,
        expires_at: datetime | None = None,
    ) -> str:
        """A token for a menu button meant for one person only."""
        token = new_token()
        await self._insert(
            "INSERT INTO button_tokens (token, kind, user_id, payload, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (token, kind, user_id, dumps(payload), ts(now), opt_ts(expires_at)),
        )
        return token

    async def token(self, token: str) -> ButtonToken | None:
        row = await self._one("SELECT * FROM button_tokens WHERE token = ?", (token,))
        return ButtonToken.of(row) if row else None

    async def use_token(self, token: str, now: datetime) -> bool:
        """Mark a single-use token used; False when it was used already."""
        changed = await self._update(
            "UPDATE button_tokens SET used_at = ? WHERE token = ? AND used_at IS NULL",
            (ts(now), token),
        )
        return changed > 0

    # --- pending inputs -------------------------------------------------------------------------

    async def expect(
        self, user_id: int, kind: str, payload: dict[str, Any], now: datetime, expires_at: datetime
    ) -> None:
        """Remember what the bot now waits for from this person (replacing anything earlier)."""
        await self._update(
            "INSERT INTO pending_inputs (user_id, kind, payload, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET kind = excluded.kind, "
            "payload = excluded.payload, created_at = excluded.created_at, "
            "expires_at = excluded.expires_at",
            (user_id, kind, dumps(payload), ts(now), ts(expires_at)),
        )

    async def expected(self, user_id: int, now: datetime) -> PendingInput | None:
        row = await self._one(
            "SELECT * FROM pending_inputs WHERE user_id = ? AND expires_at > ?", (user_id, ts(now))
        )
        if row is None:
            return None
        return PendingInput(
            user_id=row["user_id"],
            kind=row["kind"],
            payload=json.loads(row["payload"]),
            created_at=from_ts(row["created_at"]),
            expires_at=from_ts(row["expires_at"]),
        )

    async def forget(self, user_id: int) -> bool:
        removed = await self._update("DELETE FROM pending_inputs WHERE user_id = ?", (user_id,))
        return removed > 0
