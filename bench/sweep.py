"""The deadline sweep when nothing is due: 1k, 10k and 100k running processes whose alerts all lie
in the future; the time of one sweep (find the due alerts, then the next wake-up)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from bench.common import SOP_D, TOKEN, Benchmark, Table, catalog, header, percentile, settings
from bot.app import Options, SopBot
from bot.clock import FakeClock
from fakes.telegram import FakeBotApi
from sop.loader import Catalog
from storage.db import Database

T0 = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)  # Senin 08.00 WIB
SIZES = (1_000, 10_000, 100_000)
SWEEPS = 300


async def _open_processes(path: Path, cat: Catalog, count: int) -> None:
    """``count`` running SOP D processes at step 1 whose alerts lie a year ahead, written through
    the storage repositories in large transactions."""
    db = await Database.open(path)
    defn = cat.definitions[SOP_D]
    try:
        async with db.transaction() as tx:
            office, _ = await tx.offices.upsert(
                "sweep", "KPU Uji Sapu", "Asia/Jakarta", {"calendar": {"always_open": True}}, T0
            )
            await tx.offices.set_sops(office.id, [SOP_D])
            user, _ = await tx.offices.upsert_user("telegram", "800000", "Kasubbag", T0)
            await tx.offices.add_holder(office.id, user.id, "kasubbag_hukum_sdm", T0)
            await tx.processes.keep_version(defn.version, defn.code, defn.canonical_json(), T0)
        later = T0 + timedelta(days=365)
        done = 0
        while done < count:
            batch = min(5_000, count - done)
            async with db.transaction() as tx:
                for i in range(batch):
                    started = T0 + timedelta(seconds=done + i)
                    pid = await tx.processes.create(
                        office_id=office.id,
                        sop_code=defn.code,
                        sop_version=defn.version,
                        title=f"Proses {done + i}",
                        started_by=user.id,
                        current_step=1,
                        visit=1,
                        started_at=started,
                    )
                    await tx.processes.open_step_run(
                        process_id=pid,
                        step=1,
                        visit=1,
                        role="kasubbag_hukum_sdm",
                        started_at=started,
                        due_at=later,
                        next_alert_at=later + timedelta(seconds=done + i),
                    )
            done += batch
    finally:
        await db.close()


async def sweep() -> None:
    header("sweep", "the deadline sweep with 1k/10k/100k open processes and nothing due")
    cat = catalog()
    table = Table(
        "Sweep cost when nothing is due (one sweep: due alerts, then the next wake-up)",
        ["open processes", "sweeps", "p50 (ms)", "p99 (ms)", "max (ms)", "set-up"],
    )
    for size in SIZES:
        with TemporaryDirectory(prefix="sopbot-bench-") as folder:
            path = Path(folder) / f"sweep-{size}.db"
            began = time.perf_counter()
            await _open_processes(path, cat, size)
            setup = time.perf_counter() - began
            clock = FakeClock(T0 + timedelta(days=1))
            async with FakeBotApi(TOKEN, bot_username="sopbot_bench_bot", clock=clock) as api:
                bot = SopBot(
                    settings(api.base_url, api.base_file_url, path),
                    Options(clock=clock, poll_timeout=10),
                )
                await bot.start()
                try:
                    assert bot.scheduler is not None
                    times = []
                    for _ in range(SWEEPS):
                        t = time.perf_counter()
                        handled = await bot.scheduler.tick()
                        times.append(time.perf_counter() - t)
                        assert handled == 0
                finally:
                    await bot.stop()
        table.add(
            size,
            SWEEPS,
            percentile(times, 50) * 1000,
            percentile(times, 99) * 1000,
            max(times) * 1000,
            f"{setup:.0f} s",
        )
    table.notes = [
        "A sweep reads the partial index of open runs with an alert (step_runs_alerts): its cost",
        "depends on what is due, not on how many processes exist or have finished.",
    ]
    table.print()


BENCHMARK = Benchmark(
    "sweep", "the deadline sweep with 1k/10k/100k open processes", sweep, order=30
)
