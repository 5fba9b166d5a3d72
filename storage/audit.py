"""The audit trail: append-only, every event chained to the one before by its hash.

Each event's hash is SHA-256 over the previous event's hash and the event's own fields in canonical
JSON. Triggers refuse UPDATE and DELETE; ``verify`` recomputes the chain and names the first event
that does not fit, which catches an edit made behind the triggers' back, a removed event and a
forged one.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.base import Repo, Row, dumps, from_ts, ts

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: datetime
    office_id: int | None
    process_id: int | None
    actor_user_id: int | None
    kind: str
    data: dict[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, row: Row) -> AuditEvent:
        return cls(
            id=row["id"],
            at=from_ts(row["at"]),
            office_id=row["office_id"],
            process_id=row["process_id"],
            actor_user_id=row["actor_user_id"],
            kind=row["kind"],
            data=json.loads(row["data"]),
            prev_hash=row["prev_hash"],
            hash=row["hash"],
        )


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_id: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def event_hash(
    prev_hash: str,
    *,
    event_id: int,
    at: str,
    office_id: int | None,
    process_id: int | None,
    actor_user_id: int | None,
    kind: str,
    data: str,
) -> str:
    body = dumps(
        {
            "id": event_id,
            "at": at,
            "office_id": office_id,
            "process_id": process_id,
            "actor_user_id": actor_user_id,
            "kind": kind,
            "data": data,
        }
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


class AuditLog(Repo):
    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__(conn)
        # The chain's head once read in this transaction (which holds the write lock, and is
        # this repository's life): the next append need not read it again.
        self._head: tuple[int, str] | None = None

    async def append(
        self,
        kind: str,
        at: datetime,
        *,
        data: dict[str, Any] | None = None,
        office_id: int | None = None,
        process_id: int | None = None,
        actor_user_id: int | None = None,
    ) -> AuditEvent:
        """Append an event. Call inside a write transaction: it reads the chain's head."""
        if self._head is None:
            row = await self._one("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1")
            self._head = (row["id"], row["hash"]) if row else (0, GENESIS)
        last_id, prev_hash = self._head
        event_id = last_id + 1
        at_text = ts(at)
        body = dumps(data or {})
        digest = event_hash(
            prev_hash,
            event_id=event_id,
            at=at_text,
            office_id=office_id,
            process_id=process_id,
            actor_user_id=actor_user_id,
            kind=kind,
            data=body,
        )
        await self._insert(
            "INSERT INTO audit_events (id, at, office_id, process_id, actor_user_id, kind, data, "
            "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event_id,
                at_text,
                office_id,
                process_id,
                actor_user_id,
                kind,
                body,
                prev_hash,
                digest,
            ),
        )
        self._head = (event_id, digest)
        return AuditEvent(
            id=event_id,
            at=from_ts(at_text),
            office_id=office_id,
            process_id=process_id,
            actor_user_id=actor_user_id,
            kind=kind,
            data=json.loads(body),
            prev_hash=prev_hash,
            hash=digest,
        )

    async def for_process(self, process_id: int) -> list[AuditEvent]:
        rows = await self._all(
            "SELECT * FROM audit_events WHERE process_id = ? ORDER BY id", (process_id,)
        )
        return [AuditEvent.of(r) for r in rows]

    async def head(self) -> AuditEvent | None:
        row = await self._one("SELECT * FROM audit_events ORDER BY id DESC LIMIT 1")
        return AuditEvent.of(row) if row else None

    async def verify(self, batch: int = 5000) -> ChainReport:
        """Recompute the whole chain; report the first event that does not fit."""
        prev_hash, expected_id, checked = GENESIS, 1, 0
        last_id = 0
        while True:
            rows = await self._all(
                "SELECT * FROM audit_events WHERE id > ? ORDER BY id LIMIT ?", (last_id, batch)
            )
            if not rows:
                return ChainReport(checked=checked)
            for row in rows:
                event_id = row["id"]
                if event_id != expected_id:
                    return ChainReport(
                        checked, event_id, f"event {expected_id} is missing before event {event_id}"
                    )
                if row["prev_hash"] != prev_hash:
                    return ChainReport(
                        checked, event_id, "its previous-hash does not match the event before it"
                    )
                digest = event_hash(
                    prev_hash,
                    event_id=event_id,
                    at=row["at"],
                    office_id=row["office_id"],
                    process_id=row["process_id"],
                    actor_user_id=row["actor_user_id"],
                    kind=row["kind"],
                    data=row["data"],
                )
                if digest != row["hash"]:
                    return ChainReport(checked, event_id, "its content does not match its hash")
                prev_hash, expected_id, last_id = row["hash"], expected_id + 1, event_id
                checked += 1
