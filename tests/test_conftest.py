"""The RILL_TF_PYTHON helper of tests/conftest.py: skip when unset, fail when misset."""

import sys

import pytest

from tests.conftest import TF_PYTHON_VARIABLE, require_tf_python


def test_unset_skips(monkeypatch):
    monkeypatch.delenv(TF_PYTHON_VARIABLE, raising=False)
    with pytest.raises(pytest.skip.Exception, match=TF_PYTHON_VARIABLE):
        require_tf_python()


def test_a_path_that_is_not_a_program_fails(monkeypatch, tmp_path):
    for bad in (str(tmp_path / "missing"), str(tmp_path)):
        monkeypatch.setenv(TF_PYTHON_VARIABLE, bad)
        with pytest.raises(pytest.fail.Exception, match="is not an executable file"):
            require_tf_python()


def test_an_interpreter_is_returned(monkeypatch):
    monkeypatch.setenv(TF_PYTHON_VARIABLE, sys.executable)
    assert require_tf_python() == sys.executable
