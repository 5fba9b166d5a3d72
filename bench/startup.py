"""Start-up and memory: from starting ``python -m bot run`` to its first getUpdates at the fake Bot
API, and the bot process's peak resident memory (VmHWM), on a database with only the office and on
one with 100k stored processes; and how long ``sopbot --help`` and importing the bot take.

The bot runs as its own process, configured through the environment as an operator would, against
the fake Bot API served by this process. After the first getUpdates every person of the office
writes /tugas and /proses and waits for the answers; the peak memory is read from
/proc/<pid>/status just before the bot is stopped (SIGTERM). Every start gets a fresh copy of its
database: the bot remembers the update ids it handled, and a new fake numbers its updates from the
same first id, so a second start on the same file would drop the people's messages as seen.

Python's bytecode of the bot and its libraries is written before anything is timed (even where
PYTHONDONTWRITEBYTECODE is set), as an installed bot has it: otherwise a start would also time
compiling every module changed since the last run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.bot_process import base_environment, environment, stop
from bench.common import (
    ADMIN_ID,
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
COMMAND_RUNS = 5
STORED = 100_000
WAIT = 60.0


@dataclass(frozen=True)
class Start:
    seconds: float  # process start -> first getUpdates at the fake
    cpu_seconds: float  # the bot's user + system time by then (less moved by a busy machine)
    peak_at_start_kib: int  # VmHWM when the first getUpdates arrived
    peak_kib: int  # VmHWM after the office's people used it


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


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
        env = environment(api.base_url, api.base_file_url, database, ADMIN_ID)
        with tempfile.TemporaryDirectory() as cwd:  # no .env of a developer's checkout
            began = time.monotonic()
            bot = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=env, cwd=cwd
            )
            try:
                first = await api.wait_for_call("getUpdates", answered=False, timeout=WAIT)
                at_start = _kib(bot.pid, "VmHWM")
                cpu = _cpu_seconds(bot.pid)
                for person in people:
                    for command in ("/tugas", "/proses"):
                        mark = person.mark()
                        await person.send(command)
                        await person.wait_for(since=mark, timeout=WAIT)
                peak = _kib(bot.pid, "VmHWM")
            finally:
                await stop(bot, WAIT)
    return Start(first.time - began, cpu, at_start, peak)


async def run() -> None:
    header("startup", "python -m bot run to the first getUpdates; peak memory; sopbot --help")
    table = Table(
        "Start to first getUpdates, and peak RSS (VmHWM) of the bot process",
        [
            "database",
            "runs",
            "start s (median)",
            "min",
            "max",
            "cpu s (median)",
            "peak MiB at start",
            "peak MiB after use",
        ],
    )
    # Bytecode written first (see the docstring): a start then times what an installed bot does.
    await asyncio.to_thread(_timed, [sys.executable, "-c", "import bot.app, bot.cli.main"])
    with tempfile.TemporaryDirectory(prefix="sopbot-startup-") as name:
        template = Path(name) / "office-only.db"
        await make_template(template)  # the office and one finished process
        fresh = Path(name) / "start.db"

        async def office_only() -> Path:
            return _fresh_copy(template, fresh)

        async def many() -> Path:
            return (await stored(STORED)).path  # a fresh copy of the kept database each time

        store = await stored(STORED)
        databases: Sequence[tuple[str, Callable[[], Awaitable[Path]]]] = (
            ("office, 1 process", office_only),
            (f"{store.count:,} processes", many),
        )
        for label, database in databases:
            runs = [await start_once(await database()) for _ in range(RUNS)]
            seconds = [r.seconds for r in runs]
            table.add(
                label,
                len(runs),
                median(seconds),
                min(seconds),
                max(seconds),
                median([r.cpu_seconds for r in runs]),
                max(r.peak_at_start_kib for r in runs) / 1024,
                max(r.peak_kib for r in runs) / 1024,
            )
        size = store.path.stat().st_size / 2**30
        table.notes = [f"the database with {store.count:,} processes is {size:.2f} GiB on disk."]
    table.print()
    commands = Table(
        "Commands that start no bot: from starting the process to its exit",
        ["command", "runs", "seconds (median)", "min", "max"],
    )
    for label, argv in (
        ("sopbot --help", _sopbot("--help")),
        ("python -c 'import bot.app'", [sys.executable, "-c", "import bot.app"]),
    ):
        seconds = [await asyncio.to_thread(_timed, argv) for _ in range(COMMAND_RUNS)]
        commands.add(label, len(seconds), median(seconds), min(seconds), max(seconds))
    commands.notes = [
        f"sopbot is run as {' '.join(Path(a).name for a in _sopbot('--help'))}; importing "
        "bot.app is everything `sopbot run` imports before it reads its settings."
    ]
    commands.print()


def _fresh_copy(source: Path, target: Path) -> Path:
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return target


def _sopbot(*args: str) -> list[str]:
    """The installed ``sopbot`` script beside this interpreter, or ``python -m bot`` without it."""
    script = Path(sys.executable).with_name("sopbot")
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "bot", *args]


def _timed(argv: Sequence[str]) -> float:
    """Wall seconds from starting ``argv`` to its exit. (No peak memory: a child's ru_maxrss on
    Linux counts the parent's resident memory at the fork, this whole benchmark process.)"""
    began = time.monotonic()
    subprocess.run(  # noqa: S603 - our own interpreter and script
        argv,
        env=base_environment(),
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return time.monotonic() - began


BENCHMARK = Benchmark("startup", "start to first getUpdates, peak RSS with 100k", run, order=30)
