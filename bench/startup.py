"""Start-up and memory: from starting ``python -m bot run`` to its first getUpdates at the fake Bot
API, and the bot process's peak resident memory (VmHWM), on a database with only the office and on
one with 100k stored processes.

The bot runs as its own process, configured through the environment as an operator would, against
the fake Bot API served by this process. After the first getUpdates every person of the office
writes /tugas and /proses and waits for the answers; the peak memory is read from
/proc/<pid>/status just before the bot is stopped (SIGTERM).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import (
    ADMIN_ID,
    ROOT,
    TOKEN,
    Benchmark,
    Table,
    catalog,
    header,
    median,
    office_file,
)
from bench.seed import make_template, stored
from fakes.telegram import FakeBotApi

RUNS = 3
STORED = 100_000
WAIT = 60.0


@dataclass(frozen=True)
class Start:
    seconds: float  # process start -> first getUpdates at the fake
    peak_at_start_kib: int  # VmHWM when the first getUpdates arrived
    peak_kib: int  # VmHWM after the office's people used it


def _kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(f"{field} not in /proc/{pid}/status")


async def start_once(database: Path) -> Start:
    office = office_file(catalog())
    async with FakeBotApi(TOKEN, bot_username="sopbot_bench_bot") as api:
        people = [
            api.user(p.telegram_id, p.name, started=True)
            for p in office.people
            if p.telegram_id is not None
        ]
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "TELEGRAM_API_BASE_FILE_URL": api.base_file_url,
            "DATABASE_PATH": str(database),
            "ADMIN_TELEGRAM_IDS": str(ADMIN_ID),
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
        with tempfile.TemporaryDirectory() as cwd:  # no .env of a developer's checkout
            began = time.monotonic()
            bot = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=env, cwd=cwd
            )
            try:
                first = await api.wait_for_call("getUpdates", answered=False, timeout=WAIT)
                at_start = _kib(bot.pid, "VmHWM")
                for person in people:
                    for command in ("/tugas", "/proses"):
                        mark = person.mark()
                        await person.send(command)
                        await person.wait_for(since=mark, timeout=WAIT)
                peak = _kib(bot.pid, "VmHWM")
            finally:
                if bot.returncode is None:
                    bot.send_signal(signal.SIGTERM)
                    try:
                        await asyncio.wait_for(bot.wait(), WAIT)
                    except TimeoutError:
                        bot.kill()
                        await bot.wait()
    return Start(first.time - began, at_start, peak)


async def run() -> None:
    header("startup", "python -m bot run to the first getUpdates; peak memory")
    table = Table(
        "Start to first getUpdates, and peak RSS (VmHWM) of the bot process",
        [
            "database",
            "runs",
            "start s (median)",
            "min",
            "max",
            "peak MiB at start",
            "peak MiB after use",
        ],
    )
    with tempfile.TemporaryDirectory(prefix="sopbot-startup-") as name:
        empty = Path(name) / "office-only.db"
        await make_template(empty)  # the office and one finished process
        store = await stored(STORED)
        for label, database in (
            ("office, 1 process", empty),
            (f"{store.count:,} processes", store.path),
        ):
            runs = [await start_once(database) for _ in range(RUNS)]
            seconds = [r.seconds for r in runs]
            table.add(
                label,
                len(runs),
                median(seconds),
                min(seconds),
                max(seconds),
                max(r.peak_at_start_kib for r in runs) / 1024,
                max(r.peak_kib for r in runs) / 1024,
            )
        size = store.path.stat().st_size / 2**30
        imports = await _import_seconds()
        table.notes = [
            f"the database with {store.count:,} processes is {size:.2f} GiB on disk.",
            f"importing the bot's modules alone (python -c 'import bot.app') takes {imports:.2f} s.",
        ]
    table.print()


async def _import_seconds() -> float:
    """Median wall time of a fresh interpreter that only imports the bot."""
    times = []
    for _ in range(RUNS):
        began = time.monotonic()
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "import bot.app", env={**os.environ, "PYTHONPATH": str(ROOT)}
        )
        await child.wait()
        times.append(time.monotonic() - began)
    return median(times)


BENCHMARK = Benchmark("startup", "start to first getUpdates, peak RSS with 100k", run, order=30)
