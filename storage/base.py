"""What every repository shares: time as text, and small query helpers over one connection.

The connection is a plain ``sqlite3`` one, used on the event loop's thread. A statement here is an
indexed lookup or write of microseconds; sending each one to a database thread and back cost
30–110 µs of waiting per hop, about 90% of a transition, so each transaction runs here without
one. The helpers stay ``async`` so a repository reads like the rest of the code and callers need
not care; they never suspend. What can wait long (another process holding the write lock) is
waited for in ``Database`` without blocking the loop."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

Row = sqlite3.Row


class Conflict(Exception):
    """Someone else changed the row first (optimistic lock or unique key)."""


def ts(instant: datetime) -> str:
    """A UTC instant as fixed-width ISO text, so that text order is time order."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime given to storage")
    # isoformat is C-fast; strftime was a tenth of a transition's Python time.
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def from_ts(text: str) -> datetime:
    # fromisoformat reads the fixed format above (Z included, Python 3.11+) in C; strptime was
    # a quarter of the service's CPU time in the press benchmark.
    return datetime.fromisoformat(text)


def opt_ts(instant: datetime | None) -> str | None:
    return ts(instant) if instant is not None else None


def opt_from_ts(text: str | None) -> datetime | None:
    return from_ts(text) if text is not None else None


def dumps(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class Repo:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    async def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Row | None:
        row: Row | None = self.conn.execute(sql, params).fetchone()
        return row

    async def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[Row]:
        return self.conn.execute(sql, params).fetchall()

    async def _scalar(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        row = await self._one(sql, params)
        return row[0] if row is not None else None

    async def _insert(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        cur = self.conn.execute(sql, params)
        if cur.lastrowid is None:
            raise RuntimeError("insert returned no row id")
        return cur.lastrowid

    async def _update(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        return self.conn.execute(sql, params).rowcount
