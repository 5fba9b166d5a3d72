"""What the benchmarks share: the machine's description, the figures table, percentiles, the bench
office (the example Kapuas office file, SOP D) and a bot wired to the local fake Bot API."""

from __future__ import annotations

import math
import os
import platform
import statistics
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.app import Options, SopBot
from bot.office.files import OfficeFile, read_office_file
from bot.settings import Settings
from sop.handins import Handin
from sop.loader import Catalog, load_catalog
from sop.models import HandinKind

ROOT = Path(__file__).resolve().parent.parent
OFFICE_FILE = ROOT / "bot" / "office" / "examples" / "kpu-kabupaten-kapuas.yaml"
SOP_D = "kapuas-medsos-jdih"
TOKEN = "123456789:BENCH-token-for-the-local-fake-api-x"  # noqa: S105 - only the fake knows it
ADMIN_ID = 100000299
GROUP_ID = -1001000000203  # the office's Telegram group, where step 6 announces its link


@dataclass(frozen=True)
class Answer:
    """One answer of the SOP D walk: the step, the choice, its note and its hand-ins."""

    step: int
    choice: str
    note: str | None = None
    handins: tuple[Handin, ...] = ()


def _file(label: str, name: str) -> Handin:
    return Handin(HandinKind.ATTACHMENT, label, f"BQACAgUAAxkB-{name}", name, "application/pdf")


# SOP D (kapuas-medsos-jdih) from disposisi to upload, with one Tidak Setuju at step 5 that sends
# the draft back to step 4: eight answers, eight transitions after the start.
WALK: tuple[Answer, ...] = (
    Answer(1, "selesai"),
    Answer(2, "selesai"),
    Answer(3, "selesai", handins=(_file("Draf konten media sosial", "draf.pdf"),)),
    Answer(4, "selesai", handins=(_file("Draf konten hasil suntingan", "suntingan.pdf"),)),
    Answer(5, "tidak_setuju", note="Caption belum menyebut nomor keputusan."),
    Answer(4, "selesai", handins=(_file("Draf konten hasil suntingan", "suntingan-2.pdf"),)),
    Answer(5, "setuju"),
    Answer(
        6,
        "selesai",
        handins=(
            Handin(
                HandinKind.LINK,
                "Tautan konten yang diunggah",
                "https://www.instagram.com/p/kpukapuas-jdih/",
            ),
        ),
    ),
)


@dataclass(frozen=True)
class Benchmark:
    name: str
    about: str
    run: Callable[[], Coroutine[Any, Any, None]]
    order: int = 50  # where it comes in a full run


@dataclass
class Table:
    """A table of figures, printed with aligned columns."""

    title: str
    columns: Sequence[str]
    rows: list[Sequence[object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *row: object) -> None:
        self.rows.append(row)

    def print(self) -> None:
        cells = [[str(c) for c in self.columns]] + [[_cell(c) for c in row] for row in self.rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(self.columns))]
        print(f"\n{self.title}")
        for index, row in enumerate(cells):
            print(
                "  "
                + "  ".join(
                    c.rjust(w) if i else c.ljust(w)
                    for i, (c, w) in enumerate(zip(row, widths, strict=True))
                )
            )
            if index == 0:
                print("  " + "  ".join("-" * w for w in widths))
        for note in self.notes:
            print(f"  {note}")
        sys.stdout.flush()


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def memory_total() -> str:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return "unknown memory"


def machine() -> str:
    """One line that says where the figures come from."""
    return (
        f"{os.cpu_count()} cores ({cpu_model()}), {memory_total()}, "
        f"Python {platform.python_version()} on {platform.system()} {platform.release()}"
    )


def header(name: str, about: str) -> None:
    print(f"\n=== {name}: {about}")
    print(f"machine: {machine()}")
    sys.stdout.flush()


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def catalog() -> Catalog:
    return load_catalog()


def office_file(cat: Catalog) -> OfficeFile:
    """The example Kapuas office, with its group linked (so step 6's link has somewhere to go)."""
    return read_office_file(OFFICE_FILE, cat).model_copy(update={"group_chat_id": GROUP_ID})


def settings(base_url: str, file_url: str, database: Path) -> Settings:
    return Settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=base_url,
        telegram_api_base_file_url=file_url,
        database_path=database,
        admin_telegram_ids=[ADMIN_ID],
        log_level="WARNING",
    )


def bot_for(base_url: str, file_url: str, database: Path) -> SopBot:
    """The real bot (system clock) against the fake Bot API at ``base_url``."""
    return SopBot(
        settings(base_url, file_url, database),
        Options(backoff_base=0.05, backoff_max=0.5, poll_timeout=10),
    )
