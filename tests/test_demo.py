"""The README's demo runs to the end (it needs scikit-learn's bundled data, in the test
extra) and tells the chapter's story: fit, evaluate, a custom loop, save and reload."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_demo_runs_and_reloads_the_same_model():
    pytest.importorskip("sklearn")
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "demo.py")],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    text = out.stdout
    assert "same predictions: True" in text and "same predictions: False" not in text
    assert "Could not locate layer 'MyDense'" in text
    assert "Total params: 1,293" in text  # 10*30+30 + 30*30+30 + 30+1, by hand
