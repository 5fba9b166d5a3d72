"""Press latency: a person presses a step's button; how long until the step is committed and the next
actor's step message reaches Telegram, with 1k, 10k and 100k processes already stored.

The real bot (PTB long polling, the dialog, the workflow, sqlite3, the outbox sender) runs against
the project's fake Bot API over real HTTP on 127.0.0.1, in this same process and event loop. A
press is timed from the moment the simulated person presses (the callback update is queued where
the bot's waiting long poll takes it at once) to the moment the fake receives the sendMessage to
the next actor's chat; the fake logs the arrival time of every call. Each fresh process gives two
samples: step 1 (Kasubbag, Selesai -> Staf) and step 2 (Staf, Selesai -> Pengelola JDIH).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bench.common import (
    SOP_D,
    TOKEN,
    Benchmark,
    Table,
    bot_for,
    catalog,
    header,
    office_file,
    percentile,
)
from bench.seed import stored
from bot.app import SopBot
from bot.process.workflow import Done
from fakes.telegram import FakeBotApi, FakeMessage, FakeUser

SIZES = (1_000, 10_000, 100_000)
SAMPLES = 200  # measured presses per size, two per fresh process
BUDGET = 45.0  # seconds of measuring per size at most: fewer presses when they are slow
WARMUP = 4  # presses before measuring (connections, caches, PTB's first update)
WAIT = 30.0


async def _press(
    api: FakeBotApi, user: FakeUser, message: FakeMessage, label: str, next_chat: int
) -> tuple[float, float]:
    """Press and return (seconds to the next actor's message, seconds to the press's answer)."""
    mark = len(api.calls)
    began = time.monotonic()
    await user.press(message, label, timeout=WAIT)
    answer = await api.wait_for_call("answerCallbackQuery", after=mark, timeout=WAIT)
    sent = await api.wait_for_call(
        "sendMessage", lambda c: c.params.get("chat_id") == next_chat, after=mark, timeout=WAIT
    )
    return sent.time - began, answer.time - began


def _step_message(pid: int, index: int) -> Callable[[FakeMessage], bool]:
    return lambda m: (
        f"Proses #{pid} " in m.text and f"Langkah {index} dari" in m.text and bool(m.buttons)
    )


async def _measure(database: Path, presses: int) -> tuple[list[float], list[float]]:
    """Presses on fresh processes among the stored ones: (next-message latencies, answer ones)."""
    cat = catalog()
    office = office_file(cat)
    async with FakeBotApi(TOKEN, bot_username="sopbot_bench_bot") as api:
        bot: SopBot = bot_for(api.base_url, api.base_file_url, database)
        await bot.start()
        try:
            assert bot.db is not None
            assert bot.workflow is not None
            async with bot.db.read() as tx:
                stored = await tx.offices.by_code(office.code)
                assert stored is not None
                held = {h.role: h.user_id for h in await tx.offices.holdings(stored.id)}
            chats = {
                role: api.user(p.telegram_id, p.name, started=True)
                for p in office.people
                for role in p.roles
                if p.telegram_id is not None
            }
            kasubbag, staf, jdih = (
                chats["kasubbag_hukum_sdm"],
                chats["staf_subbagian"],
                chats["pengelola_jdih"],
            )
            to_next: list[float] = []
            to_answer: list[float] = []
            rounds = (WARMUP + presses + 1) // 2
            measuring_since = time.monotonic()
            for n in range(rounds):
                if n * 2 == WARMUP:
                    measuring_since = time.monotonic()
                if n * 2 > WARMUP and time.monotonic() - measuring_since > BUDGET:
                    break
                mark_k, mark_s = kasubbag.mark(), staf.mark()
                started = await bot.workflow.start(
                    held["kasubbag_hukum_sdm"], stored.id, SOP_D, f"Konten uji kecepatan {n}"
                )
                assert isinstance(started, Done), started
                pid = started.process_id
                step1 = await kasubbag.wait_for(_step_message(pid, 1), since=mark_k, timeout=WAIT)
                first = await _press(api, kasubbag, step1, "Selesai", staf.id)
                step2 = await staf.wait_for(_step_message(pid, 2), since=mark_s, timeout=WAIT)
                second = await _press(api, staf, step2, "Selesai", jdih.id)
                for latency, answered in (first, second):
                    to_next.append(latency)
                    to_answer.append(answered)
            return to_next[WARMUP:][:presses], to_answer[WARMUP:][:presses]
        finally:
            await bot.stop()


async def run() -> None:
    header("press", "button press to the next actor's step message at Telegram")
    table = Table(
        "Press latency (ms): press -> state committed -> next actor's sendMessage at the fake API",
        ["processes stored", "presses", "p50", "p99", "max", "answer p50", "answer p99"],
    )
    seeding = []
    for size in SIZES:
        store = await stored(size)
        seeding.append(
            f"{size:,}: {'kept from an earlier run, ' if store.cached else ''}"
            f"seeded in {store.seconds:.0f} s"
        )
        to_next, to_answer = await _measure(store.path, SAMPLES)
        store.path.unlink()
        table.add(
            size,
            len(to_next),
            percentile(to_next, 50) * 1000,
            percentile(to_next, 99) * 1000,
            max(to_next) * 1000,
            percentile(to_answer, 50) * 1000,
            percentile(to_answer, 99) * 1000,
        )
    table.notes = [
        "answer = the press's answerCallbackQuery (the spinner stops on the phone).",
        f"{SAMPLES} presses per size, or as many as {BUDGET:.0f} s allow after {WARMUP} warm-up ones.",
        "Bot, fake Bot API and the pressing people share one process and event loop.",
        "stored processes (through the storage repositories): " + "; ".join(seeding) + ".",
    ]
    table.print()


BENCHMARK = Benchmark("press", "press latency with 1k/10k/100k processes stored", run, order=10)
