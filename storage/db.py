"""The database: one SQLite file in WAL mode with foreign keys on, migrated at start.

Every write happens in ``Database.transaction()``: BEGIN IMMEDIATE, serialized within the process by
an asyncio lock (one connection is shared by all coroutines) and across processes by SQLite's
write lock. ``Database.read()`` gives a consistent snapshot for queries.

The connection is used on the event loop's thread (see ``storage.base``): a transaction makes no
hop to another thread, so it costs what SQLite and Python cost. Only one wait can be long: another
process (``sopbot office import``, a report) holding the write lock. BEGIN IMMEDIATE is therefore
tried without SQLite's own blocking wait and retried with ``asyncio.sleep``, so the bot goes on
serving while it waits; once it has begun, nothing in the transaction waits for a lock (in WAL
mode readers never block, and the writer holds the write lock).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from storage.audit import AuditLog
from storage.base import Conflict
from storage.conversation import Conversation
from storage.files import Files
from storage.inbound import Inbound
from storage.offices import Offices
from storage.outbox import Outbox
from storage.processes import Processes

__all__ = ["Conflict", "Database", "NestedTransaction", "Tx"]

log = logging.getLogger(__name__)

# How long a statement may wait for a lock on the loop's thread (a rare WAL-index recovery); the
# write lock itself is waited for in ``_begin`` without blocking the loop, for up to BUSY_WAIT.
BUSY_TIMEOUT_MS = 50
BUSY_WAIT = 10.0
BUSY_RETRY = 0.02
# Commits between two checkpoints of the write-ahead log. SQLite's own checkpoint (every 1,000
# pages) runs inside the COMMIT that crosses it and syncs the file: a few milliseconds that some
# unlucky press paid, two thirds of all commit time. Checkpoints run instead in a worker thread on
# a connection of their own (PASSIVE: they never block the bot's reads or writes).
CHECKPOINT_EVERY = 16
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
FOREIGN_KEYS_OFF = "-- foreign_keys: off"
# Set while a task is inside a transaction or snapshot; a nested one would wait for itself forever.
_inside: contextvars.ContextVar[Database | None] = contextvars.ContextVar("inside", default=None)


class NestedTransaction(RuntimeError):
    """A transaction or snapshot opened inside another on the same database."""


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration shipped in storage/migrations, in order."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match[1]), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    for expected, (version, name, _) in enumerate(found, start=1):
        if version != expected:
            raise RuntimeError(f"migration {name} is out of sequence (expected {expected:04d})")
    return found


class Database:
    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._lock = asyncio.Lock()
        self._commits = 0
        self._checkpointing: asyncio.Task[None] | None = None
        self._checkpointer: sqlite3.Connection | None = None

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), isolation_level=None)
        try:
            # A file that is not a database is refused here, and its connection closed.
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            if str(path) != ":memory:":
                conn.execute("PRAGMA wal_autocheckpoint = 0")  # see CHECKPOINT_EVERY
            db = cls(conn, path)
            await db.migrate()
        except BaseException:
            conn.close()
            raise
        return db

    async def close(self) -> None:
        if self._checkpointing is not None:
            await asyncio.gather(self._checkpointing, return_exceptions=True)
        async with self._lock:
            self._conn.close()
        if self._checkpointer is not None:
            self._checkpointer.close()

    def _committed(self) -> None:
        """A commit: every ``CHECKPOINT_EVERY``, the log is checkpointed in the background."""
        self._commits += 1
        if self._commits % CHECKPOINT_EVERY or str(self.path) == ":memory:":
            return
        if self._checkpointing is None or self._checkpointing.done():
            self._checkpointing = asyncio.get_running_loop().create_task(self._checkpoint())

    async def _checkpoint(self) -> None:
        try:
            await asyncio.to_thread(self._checkpoint_now)
        except sqlite3.Error as exc:  # a busy checkpoint is simply tried again later
            log.warning("checkpoint of %s skipped: %s", self.path, exc)

    def _checkpoint_now(self) -> None:
        """In a worker thread (one at a time): copy the log's committed pages into the file."""
        if self._checkpointer is None:
            self._checkpointer = sqlite3.connect(
                str(self.path), isolation_level=None, check_same_thread=False
            )
            self._checkpointer.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def trace(self, callback: Callable[[str], object] | None) -> None:
        """Call ``callback`` with every SQL statement run (benchmarks count them); None stops."""
        self._conn.set_trace_callback(callback)

    async def migrate(self) -> int:
        """Apply every migration newer than PRAGMA user_version, each in its own transaction."""
        async with self._lock:
            current = self._user_version()
            shipped = migrations()
            if current > len(shipped):
                raise RuntimeError(
                    f"database {self.path} has schema version {current}, newer than this program "
                    f"knows ({len(shipped)})"
                )
            for version, name, sql in shipped[current:]:
                await self._apply(version, name, sql)
            return self._user_version()

    async def _apply(self, version: int, name: str, sql: str) -> None:
        """One migration in one transaction. A migration that rebuilds a table others refer to
        starts with ``-- foreign_keys: off``: SQLite's way (foreign keys off outside the
        transaction, and every reference checked before it commits)."""
        rebuilds = sql.startswith(FOREIGN_KEYS_OFF)
        if rebuilds:
            self._conn.execute("PRAGMA foreign_keys = OFF")
        try:
            await self._begin("BEGIN IMMEDIATE")
            try:
                for statement in _statements(sql):
                    self._conn.execute(statement)
                if rebuilds:
                    broken = self._conn.execute("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration {name} breaks references: {broken[:5]}")
                self._conn.execute(f"PRAGMA user_version = {version}")
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        finally:
            if rebuilds:
                self._conn.execute("PRAGMA foreign_keys = ON")

    def _user_version(self) -> int:
        row = self._conn.execute("PRAGMA user_version").fetchone()
        return int(row[0]) if row else 0

    async def schema_version(self) -> int:
        async with self._lock:
            return self._user_version()

    def _enter(self) -> contextvars.Token[Database | None]:
        if _inside.get() is self:
            raise NestedTransaction("a transaction is already open in this task on this database")
        return _inside.set(self)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """A write transaction; commits on success, rolls back on any exception."""
        mark = self._enter()
        try:
            async with self._lock:
                await self._begin("BEGIN IMMEDIATE")
                try:
                    yield Tx(self._conn)
                    self._conn.execute("COMMIT")
                    self._committed()
                except BaseException:
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise
        finally:
            _inside.reset(mark)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """A read-only snapshot (BEGIN DEFERRED ... ROLLBACK)."""
        mark = self._enter()
        try:
            async with self._lock:
                await self._begin("BEGIN")
                try:
                    yield Tx(self._conn)
                finally:
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
        finally:
            _inside.reset(mark)

    async def _begin(self, statement: str) -> None:
        """Begin a transaction. Another process holding the write lock is waited for here, in
        steps of ``BUSY_RETRY`` that leave the loop free, for up to ``BUSY_WAIT``."""
        deadline = time.monotonic() + BUSY_WAIT
        while True:
            try:
                self._conn.execute(statement)
                return
            except sqlite3.OperationalError as exc:
                busy = "locked" in str(exc) or "busy" in str(exc)
                if not busy or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(BUSY_RETRY)


def _statements(sql: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--") and not buffer.strip():
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise RuntimeError(f"incomplete SQL statement in migration: {buffer.strip()[:60]}")
    return statements


class Tx:
    """A unit of work on one connection; repositories hang off it."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.offices = Offices(conn)
        self.processes = Processes(conn)
        self.audit = AuditLog(conn)
        self.outbox = Outbox(conn)
        self.conversation = Conversation(conn)
        self.inbound = Inbound(conn)
        self.files = Files(conn)
