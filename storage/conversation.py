"""Conversation state kept in the database, so nothing is lost across restarts: the opaque tokens
behind buttons, and what the bot is waiting for from a person (a note, a hand-in, a title), one
prompt per person and topic, with the messages that asked it."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.base import Repo, Row, dumps, from_ts, opt_from_ts, opt_ts, ts

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
    def of(cls, row: Row) -> ButtonToken:
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
class Prompt:
    """Something the bot asked a person and waits for: a note, a hand-in, a title, a date. One
    per person and topic (``proses:12``, a new process, the office's settings)."""

    id: int
    user_id: int
    topic: str
    kind: str
    label: str  # names what is asked, for a person choosing which question a message answers
    payload: dict[str, Any]
    process_id: int | None
    wants_file: bool
    created_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, row: Row) -> Prompt:
        return cls(
            id=row["id"],
            user_id=row["user_id"],
            topic=row["topic"],
            kind=row["kind"],
            label=row["label"],
            payload=json.loads(row["payload"]),
            process_id=row["process_id"],
            wants_file=bool(row["wants_file"]),
            created_at=from_ts(row["created_at"]),
            expires_at=from_ts(row["expires_at"]),
        )


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

    # --- prompts ---------------------------------------------------------------------------------

    async def ask(
        self,
        user_id: int,
        topic: str,
        kind: str,
        label: str,
        payload: dict[str, Any],
        now: datetime,
        expires_at: datetime,
        *,
        process_id: int | None = None,
        wants_file: bool = False,
    ) -> int:
        """Wait for an answer from this person on ``topic``, replacing what was asked on it
        before (a new id: a button of the earlier prompt no longer answers it)."""
        await self._update("DELETE FROM prompts WHERE user_id = ? AND topic = ?", (user_id, topic))
        return await self._insert(
            "INSERT INTO prompts (user_id, topic, kind, label, payload, process_id, wants_file, "
            "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                user_id,
                topic,
                kind,
                label,
                dumps(payload),
                process_id,
                int(wants_file),
                ts(now),
                ts(expires_at),
            ),
        )

    async def asked_in(self, outbox_id: int, user_id: int, topic: str) -> None:
        """The message (an outbox row) that asked ``user_id`` about ``topic``."""
        await self._update(
            "INSERT OR REPLACE INTO prompt_messages (outbox_id, user_id, topic) VALUES (?, ?, ?)",
            (outbox_id, user_id, topic),
        )

    async def forget_asked(self, outbox_ids: Iterable[int]) -> int:
        """Forget which topic these messages asked about (their outbox rows are going)."""
        found = list(outbox_ids)
        if not found:
            return 0
        marks = ",".join("?" for _ in found)
        return await self._update(
            f"DELETE FROM prompt_messages WHERE outbox_id IN ({marks})",  # noqa: S608 - only placeholders are interpolated
            tuple(found),
        )

    async def topic_of_message(self, outbox_id: int, user_id: int) -> str | None:
        found = await self._scalar(
            "SELECT topic FROM prompt_messages WHERE outbox_id = ? AND user_id = ?",
            (outbox_id, user_id),
        )
        return None if found is None else str(found)

    async def prompts(self, user_id: int, now: datetime) -> list[Prompt]:
        """What the bot waits for from this person, the earliest asked first."""
        rows = await self._all(
            "SELECT * FROM prompts WHERE user_id = ? AND expires_at > ? ORDER BY id",
            (user_id, ts(now)),
        )
        return [Prompt.of(r) for r in rows]

    async def prompt(self, prompt_id: int, now: datetime) -> Prompt | None:
        row = await self._one(
            "SELECT * FROM prompts WHERE id = ? AND expires_at > ?", (prompt_id, ts(now))
        )
        return Prompt.of(row) if row else None

    async def prompt_on(self, user_id: int, topic: str, now: datetime) -> Prompt | None:
        row = await self._one(
            "SELECT * FROM prompts WHERE user_id = ? AND topic = ? AND expires_at > ?",
            (user_id, topic, ts(now)),
        )
        return Prompt.of(row) if row else None

    async def drop_prompt(self, prompt_id: int) -> bool:
        return await self._update("DELETE FROM prompts WHERE id = ?", (prompt_id,)) > 0

    async def drop_topic(self, user_id: int, topic: str) -> bool:
        removed = await self._update(
            "DELETE FROM prompts WHERE user_id = ? AND topic = ?", (user_id, topic)
        )
        return removed > 0

    async def drop_all(self, user_id: int, now: datetime) -> list[Prompt]:
        """Drop everything asked of this person; returns what was still awaited."""
        awaited = await self.prompts(user_id, now)
        await self._update("DELETE FROM prompts WHERE user_id = ?", (user_id,))
        return awaited
