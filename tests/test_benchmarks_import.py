"""Every benchmark script imports (they share helpers, e.g. keras_fit.py takes the W3 floor
from custom_loop.py): a renamed helper breaks the import, not a benchmark run later. Nothing
is timed here; the scripts' `main` is not run."""

import importlib
import pathlib
import sys

import pytest

BENCH = pathlib.Path(__file__).resolve().parent.parent / "benchmarks"
SCRIPTS = sorted(p.stem for p in BENCH.glob("*.py") if not p.stem.startswith("_"))


@pytest.mark.parametrize("name", SCRIPTS)
def test_benchmark_script_imports(name, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    module = importlib.import_module(name)
    assert callable(getattr(module, "main", None)), f"benchmarks/{name}.py has no main()"
    sys.modules.pop(name, None)
