"""``python -m bench [NAME...]``: run every benchmark, or the ones named, printing their figures."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import math
import pkgutil
import sys
import time
from collections.abc import Sequence

import bench
from bench.common import Benchmark, machine


def yardstick() -> float:
    """Milliseconds a fixed pure-Python loop takes now (best of three). A shared virtual machine's
    speed moves during a day: figures of two runs compare only next to their yardsticks."""
    best = math.inf
    for _ in range(3):
        began = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i * i % 7
        best = min(best, time.perf_counter() - began)
    return best * 1000


def benchmarks() -> dict[str, Benchmark]:
    """Every module of this package that defines ``BENCHMARK``, in the order of ``ORDER``."""
    found: dict[str, Benchmark] = {}
    for info in pkgutil.iter_modules(bench.__path__):
        module = importlib.import_module(f"bench.{info.name}")
        item = getattr(module, "BENCHMARK", None)
        if isinstance(item, Benchmark):
            found[item.name] = item
    return dict(sorted(found.items(), key=lambda kv: (kv[1].order, kv[0])))


def main(argv: Sequence[str] | None = None) -> int:
    known = benchmarks()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"one of: {', '.join(known)}")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in known]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(known)}")
    chosen = [known[n] for n in args.names] if args.names else list(known.values())
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    print(f"sopbot benchmarks on {machine()}")
    print(f"command: python -m bench {' '.join(args.names)}".rstrip())
    began = time.perf_counter()
    for item in chosen:
        speed = yardstick()
        started = time.perf_counter()
        asyncio.run(item.run())
        print(
            f"({item.name} took {time.perf_counter() - started:.0f} s; before it, the yardstick"
            f" (a fixed pure-Python loop) took {speed:.0f} ms, after it {yardstick():.0f} ms)"
        )
        sys.stdout.flush()
    print(f"\nall benchmarks took {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
