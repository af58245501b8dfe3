"""Shared fixtures.

Parity with TensorFlow: some tests run the same code in rill and in real TensorFlow and
compare. They find TensorFlow one way only, the environment variable `RILL_TF_PYTHON`: the
path of a Python interpreter that can `import tensorflow` (TensorFlow need not be importable
by the Python that runs pytest, and rill never imports it). For example

    RILL_TF_PYTHON=/opt/tf/bin/python python -m pytest tests

Such tests take the `tf_python` fixture (or call `require_tf_python()`): unset, they are
skipped; set to something that is not an executable file, they fail, so that a broken setup
never passes as a skip.
"""

import json
import os
import subprocess

import numpy as np
import pytest

TF_PYTHON_VARIABLE = "RILL_TF_PYTHON"


def require_tf_python() -> str:
    """The path in RILL_TF_PYTHON; skips the calling test when it is unset, fails it when
    it names no executable file."""
    path = os.environ.get(TF_PYTHON_VARIABLE, "")
    if not path:
        pytest.skip(f"parity with TensorFlow: set {TF_PYTHON_VARIABLE} to a Python that has "
                    f"tensorflow to run this test")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"{TF_PYTHON_VARIABLE}={path!r} is not an executable file.\nhint: point it "
                    f"at a Python interpreter that can import tensorflow, or unset it.")
    return path


def run_script(python: str, code: str, *args: str, timeout: int = 600, env=None) -> str:
    """Runs `code` with the interpreter `python` (rill's or TensorFlow's) and returns its
    standard output; fails the test with the end of its standard error when it fails."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    proc = subprocess.run([python, "-c", code, *args], capture_output=True, text=True,
                          timeout=timeout, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def run_json(python: str, code: str, *args: str, **kwargs):
    """`run_script`, whose last line of output is JSON: that value."""
    return json.loads(run_script(python, code, *args, **kwargs).strip().splitlines()[-1])


@pytest.fixture
def tf_python() -> str:
    """The Python interpreter that has TensorFlow (see the module docstring)."""
    return require_tf_python()


@pytest.fixture
def rng():
    return np.random.default_rng(0)
