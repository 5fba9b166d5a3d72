"""The bot as the press benchmark runs it: its own process, configured through the environment as
``sopbot run`` is, with the time of every SQL statement it runs noted for the benchmark's counts.

    python -m bench.bot_process <notes file>

Runs until SIGTERM or SIGINT, then stops the bot and writes the notes: one line per statement,
its ``time.monotonic()`` (the same clock in every process of the machine) and 1 for a BEGIN.

Also what the benchmarks that run a bot process share: its environment, and stopping it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from bench.common import ROOT, TOKEN
from bot.app import Options, SopBot
from bot.logs import setup_logging
from bot.settings import Settings


def base_environment() -> dict[str, str]:
    """This process's environment, with the bot on the path and bytecode written (an installed
    bot has its bytecode; a start must not time compiling it)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": str(ROOT)}


def environment(base_url: str, file_url: str, database: Path, admin_id: int) -> dict[str, str]:
    """The settings of a bot against the fake Bot API at ``base_url``, as an operator gives them."""
    return {
        **base_environment(),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": base_url,
        "TELEGRAM_API_BASE_FILE_URL": file_url,
        "DATABASE_PATH": str(database),
        "ADMIN_TELEGRAM_IDS": str(admin_id),
        "LOG_LEVEL": "WARNING",
    }


async def stop(process: asyncio.subprocess.Process, wait: float) -> None:
    """SIGTERM, as an operator stops the bot; SIGKILL if it has not ended within ``wait``."""
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), wait)
    except TimeoutError:
        process.kill()
        await process.wait()


async def main() -> list[tuple[float, bool]]:
    """Run the bot until signalled; the statements' notes."""
    settings = Settings()
    setup_logging(settings.log_level, settings.secrets())
    bot = SopBot(settings, Options(backoff_base=0.05, backoff_max=0.5, poll_timeout=10))
    signalled = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, signalled.set)
    notes: list[tuple[float, bool]] = []
    await bot.start()
    try:
        assert bot.db is not None
        bot.db.trace(lambda sql: notes.append((time.monotonic(), sql.startswith("BEGIN"))))
        await signalled.wait()
    finally:
        await bot.stop()
    return notes


if __name__ == "__main__":
    noted = asyncio.run(main())
    Path(sys.argv[1]).write_text(
        "".join(f"{at:.6f} {int(begin)}\n" for at, begin in noted), encoding="utf-8"
    )
