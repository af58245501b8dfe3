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
