"""What a stored process costs on disk before and after the retention (``bot.chat.retention``), on
the stored databases of ``bench/seed.py``: the job run once as of a moment past the retention of
every stored message (the first run on an old database), then an hour later (what it does every
hour from then on).

Bytes are those SQLite uses: (page_count - freelist_count) x page_size, split by table (with its
indexes) through the dbstat table. The file keeps its size: the pages freed are reused by what the
bot writes next, so it stops growing; only a VACUUM (not needed, not done by the bot) would give them
back to the file system."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bench import seed
from bench.common import Benchmark, Table, header
from bot.chat.retention import Forgotten, Retention
from bot.clock import FakeClock
from storage.base import from_ts
from storage.db import Database

SIZES = (1_000, 10_000, 100_000)
KEEP_FOR = timedelta(days=30)  # the default MESSAGE_RETENTION
MIB = 1024 * 1024


@dataclass(frozen=True)
class Usage:
    file: int  # bytes of the file
    used: int  # bytes of the pages in use
    tables: dict[str, int]  # bytes by table, its indexes included
    outbox_rows: int
    finished: int
    running: int


def usage(path: Path) -> Usage:
    conn = sqlite3.connect(str(path))
    try:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        owner = {
            name: table
            for name, table in conn.execute(
                "SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')"
            )
        }
        tables: dict[str, int] = {}
        for name, size in conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
            table = owner.get(name, name)
            tables[table] = tables.get(table, 0) + int(size)
        outbox = conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        states = dict(conn.execute("SELECT status, COUNT(*) FROM processes GROUP BY status"))
    finally:
        conn.close()
    return Usage(
        file=path.stat().st_size,
        used=(pages - free) * page_size,
        tables=tables,
        outbox_rows=outbox,
        finished=states.get("finished", 0),
        running=states.get("running", 0),
    )


def last_message_at(path: Path) -> datetime:
    conn = sqlite3.connect(str(path))
    try:
        return from_ts(conn.execute("SELECT MAX(created_at) FROM outbox").fetchone()[0])
    finally:
        conn.close()


async def forget(path: Path, now: datetime) -> tuple[Forgotten, bool]:
    """The job once, as of ``now``; and whether the audit chain still verifies."""
    db = await Database.open(path)
    try:
        done = await Retention(db, FakeClock(now), KEEP_FOR, share=1.0).run()
        async with db.read() as tx:
            chain = await tx.audit.verify()
    finally:
        await db.close()
    return done, chain.ok


async def run() -> None:
    header("retention", "bytes stored per process before and after forgetting old messages")
    sizes = Table(
        "Stored bytes per process (pages in use / processes stored, 97% of them finished)",
        [
            "processes",
            "file MiB",
            "before KB",
            "after KB",
            "outbox rows before",
            "after",
            "deleted",
            "job s",
            "batches",
            "longest batch ms",
            "an hour later ms",
            "chain ok",
        ],
    )
    by_table = Table(
        "Bytes per process by table (indexes included), 100,000 stored",
        ["table", "before KB", "after KB", "before share", "after share"],
    )
    for count in SIZES:
        stored = await seed.stored(count)
        before = usage(stored.path)
        # Past the retention of every stored message: the first run on an old database.
        now = last_message_at(stored.path) + KEEP_FOR + timedelta(hours=1)
        first, chain_ok = await forget(stored.path, now)
        later, chain_later = await forget(stored.path, now + timedelta(hours=1))
        after = usage(stored.path)
        processes = before.finished + before.running
        sizes.add(
            count,
            before.file / MIB,
            before.used / processes / 1000,
            after.used / processes / 1000,
            before.outbox_rows,
            after.outbox_rows,
            first.messages,
            first.seconds,
            first.batches,
            first.longest * 1000,
            later.seconds * 1000,
            "yes" if chain_ok and chain_later else "NO",
        )
        if count == SIZES[-1]:
            for table in sorted(before.tables, key=lambda t: -before.tables[t]):
                b, a = before.tables[table], after.tables.get(table, 0)
                if b < processes * 10:
                    continue  # under 10 bytes a process
                by_table.add(
                    table,
                    b / processes / 1000,
                    a / processes / 1000,
                    f"{b / before.used:.0%}",
                    f"{a / after.used:.0%}",
                )
            by_table.notes.append(
                f"{count:,} processes: {before.finished:,} finished, {before.running:,} running; "
                f"the job forgot {first.messages:,} messages and {first.asked:,} prompt links in "
                f"{first.seconds:.1f} s ({first.batches:,} transactions, the longest "
                f"{first.longest * 1000:.1f} ms)"
            )
        stored.path.unlink()
    sizes.notes += [
        "KB = 1,000 bytes. The file keeps its size: SQLite reuses the freed pages (no VACUUM).",
        "job s, batches, longest batch = the job alone, without rests; in the bot it rests 4x as"
        " long as each batch took (a fifth of the event loop at most), so a first run takes about"
        " 5x as long.",
    ]
    sizes.print()
    by_table.print()


BENCHMARK = Benchmark(
    "retention", "bytes per stored process before and after the retention", run, order=60
)
