"""W8 (part): `python -c "import rill"` wall time, median of 7 fresh processes.

    python benchmarks/startup.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from _common import anchor, fmt

# as installed packages are: with bytecode caches written (PYTHONDONTWRITEBYTECODE unset)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def import_time(module: str, runs: int = 7) -> float:
    cmd = [sys.executable, "-c", f"import {module}"]
    subprocess.run(cmd, check=True, env=ENV)  # warm the file and bytecode caches
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, env=ENV)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main():
    rill_s = import_time("rill")
    numpy_s = import_time("numpy")
    tf_s = anchor("W8", "startup_import", "tensorflow")
    print("W8 start-up: python -c 'import X' (s; median of 7)")
    print(f"rill {fmt(rill_s, 3)}   numpy {fmt(numpy_s, 3)}   TensorFlow (anchor) {fmt(tf_s, 3)}")


if __name__ == "__main__":
    main()
