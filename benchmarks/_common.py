"""Timing helpers shared by the benchmarks. Benchmarks print; they never assert."""

from __future__ import annotations

import json
import os
import statistics
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ANCHORS = os.path.join(ROOT, "..", "shared", "bench", "anchors", "results.json")


def per_call_us(fn, blocks: int = 15, target_s: float = 0.01, warmup: int = 20) -> float:
    """Median microseconds per call over `blocks` blocks of about `target_s` seconds each."""
    for _ in range(warmup):
        fn()
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt >= target_s / 4 or n >= 1 << 20:
            break
        n *= 2
    n = max(1, int(n * target_s / max(dt, 1e-9)))
    samples = []
    for _ in range(blocks):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(samples)


def alternating(fns: list, rounds: int = 21, target_s: float = 0.005) -> list:
    """Microseconds per call of each function in each round, measured in alternating blocks
    so that changes in a shared machine's load reach every function alike."""
    counts = [max(1, int(target_s / (per_call_us(f, blocks=3) * 1e-6))) for f in fns]
    samples: list = [[] for _ in fns]
    for _ in range(rounds):
        for f, n, out in zip(fns, counts, samples):
            t0 = time.perf_counter()
            for _ in range(n):
                f()
            out.append((time.perf_counter() - t0) / n * 1e6)
    return samples


def interleaved_ratio(fn, floor, rounds: int = 41, target_s: float = 0.002) -> tuple:
    """Median microseconds per call of `fn` and `floor` (alternating blocks), and the median
    of the rounds' ratios (each round times both back to back)."""
    a, b = alternating([fn, floor], rounds, target_s)
    return (statistics.median(a), statistics.median(b),
            statistics.median(x / y for x, y in zip(a, b)))


def anchor(workload: str, case: str, impl: str, mode: str | None = None):
    """The median of a competing system from ../shared/bench (None when unavailable)."""
    try:
        with open(ANCHORS) as f:
            results = json.load(f)["results"]
    except (OSError, ValueError, KeyError):
        return None
    for r in results:
        if r["workload"] == workload and r["case"] == case and r["impl"] == impl and \
                (mode is None or r["mode"] == mode):
            return r["median"]
    return None


def optional_import(name: str):
    try:
        return __import__(name)
    except Exception:
        return None


def fmt(x, digits: int = 2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def table(rows: list, headers: list) -> str:
    cells = [headers] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
