"""The bot as the press benchmark runs it: its own process, configured through the environment as
``sopbot run`` is, with the time of every SQL statement it runs noted for the benchmark's counts.

    python -m bench.bot_process <notes file>

Runs until SIGTERM or SIGINT, then stops the bot and writes the notes: one line per statement,
its ``time.monotonic()`` (the same clock in every process of the machine) and 1 for a BEGIN.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path

from bot.app import Options, SopBot
from bot.logs import setup_logging
from bot.settings import Settings


async def main() -> list[tuple[float, bool]]:
    """Run the bot until signalled; the statements' notes."""
    settings = Settings()
    setup_logging(settings.log_level, settings.secrets())
    bot = SopBot(settings, Options(backoff_base=0.05, backoff_max=0.5, poll_timeout=10))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    notes: list[tuple[float, bool]] = []
    await bot.start()
    try:
        assert bot.db is not None
        bot.db.trace(lambda sql: notes.append((time.monotonic(), sql.startswith("BEGIN"))))
        await stop.wait()
    finally:
        await bot.stop()
    return notes


if __name__ == "__main__":
    noted = asyncio.run(main())
    Path(sys.argv[1]).write_text(
        "".join(f"{at:.6f} {int(begin)}\n" for at, begin in noted), encoding="utf-8"
    )
