"""Lines of Python in the engine (`rill/_core`, `rill/ops`, `rill/function`) and in `rill/`.

`python benchmarks/size.py` (also the first table of `benchmarks/run.py`). Size is a feature:
docs/architecture.md keeps these figures; regenerate them with this script.
"""

from __future__ import annotations

import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent / "rill"
ENGINE = ("_core", "ops", "function")


def lines(path: pathlib.Path) -> int:
    """Lines of every .py file under `path` (sub-packages included)."""
    return sum(len(p.read_bytes().splitlines()) for p in path.rglob("*.py"))


def main() -> None:
    counts = {f"rill/{d}": lines(ROOT / d) for d in ENGINE}
    print("size: lines of Python")
    for name, n in counts.items():
        print(f"  {name:<16}{n:>8,}")
    print(f"  {'engine':<16}{sum(counts.values()):>8,}")
    print(f"  {'rill/ (all)':<16}{lines(ROOT):>8,}")


if __name__ == "__main__":
    main()
