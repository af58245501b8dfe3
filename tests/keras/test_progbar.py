"""keras.utils.Progbar: the lines it prints (piped and on a terminal), averaging, time formats."""

import doctest
import io
import re
import sys

import numpy as np
import pytest

import rill as tf
from rill import keras
from rill.keras.utils import progbar as pb

BAR = "━" * 20
TIME = r"\d+(us|ms|s)/step"


class Clock:
    """A fake clock: each call returns the current time; `at` moves it."""

    def __init__(self, t=0.0):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(pb, "_now", c)
    return c


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def fake_terminal(monkeypatch):
    """Replaces sys.stdout by a fake terminal; called in the test body, since pytest's
    capture sets sys.stdout again between a fixture's setup and the test."""
    out = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", out)
    return out


def test_doctests():
    result = doctest.testmod(pb, extraglobs={"keras": keras},
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# -- not a terminal: one final line ------------------------------------------------------------
def test_piped_prints_only_the_final_line(capsys):
    bar = keras.utils.Progbar(5)
    for step in range(1, 6):
        bar.update(step, values=[("loss", float(step)), ("mae", 2.0 * step)])
    out = capsys.readouterr().out
    # mean of 1..5 is 3, of 2..10 is 6
    assert re.fullmatch(rf"5/5 {BAR} 0s {TIME} - loss: 3\.0000 - mae: 6\.0000\n", out), out
    assert "\r" not in out and "\x1b" not in out


def test_averaging_weights_each_value_by_the_steps_it_covers(capsys):
    bar = keras.utils.Progbar(5)
    bar.update(2, [("loss", 1.0)])   # covers steps 1-2
    bar.update(5, [("loss", 4.0)])   # covers steps 3-5
    assert "loss: 2.8000" in capsys.readouterr().out  # (2 * 1 + 3 * 4) / 5


def test_add_advances_by_n(capsys):
    bar = keras.utils.Progbar(4)
    bar.add(1, [("loss", 2.0)])
    bar.add(3, [("loss", 6.0)])
    assert re.fullmatch(rf"4/4 {BAR} 0s {TIME} - loss: 5\.0000\n", capsys.readouterr().out)


def test_stateful_metrics_are_shown_as_given(capsys):
    bar = keras.utils.Progbar(3, stateful_metrics=["acc"])
    for step, (loss, acc) in enumerate([(3.0, 0.2), (2.0, 0.5), (1.0, 0.9)], start=1):
        bar.update(step, {"loss": loss, "acc": acc})  # a dict works too
    out = capsys.readouterr().out
    assert "loss: 2.0000 - acc: 0.9000" in out


def test_stateless_metrics_average_only_the_named_ones(capsys):
    bar = keras.utils.Progbar(2, stateless_metrics=["loss"])
    bar.update(1, [("loss", 1.0), ("acc", 0.1)])
    bar.update(2, [("loss", 3.0), ("acc", 0.3)])
    assert "loss: 2.0000 - acc: 0.3000" in capsys.readouterr().out


def test_value_formats(capsys):
    bar = keras.utils.Progbar(1, stateful_metrics=["tiny", "neg", "t", "arr", "name", "zero"])
    bar.update(1, [("tiny", 1e-5), ("neg", -3.0), ("t", tf.constant(0.25)),
                   ("arr", np.array([1.0, 2.0])), ("name", "adam"), ("zero", 0.0)])
    out = capsys.readouterr().out
    assert ("tiny: 1.0000e-05 - neg: -3.0000 - t: 0.2500 - arr: 1.5000 - name: adam"
            " - zero: 0.0000e+00") in out


def test_count_is_right_aligned_to_the_target(capsys):
    bar = keras.utils.Progbar(100)
    bar.update(7, finalize=True)
    assert capsys.readouterr().out.startswith(f"  7/100 {'━' * 1}{'─' * 19} ")


def test_unknown_target_prints_at_finalize_only(capsys):
    bar = keras.utils.Progbar(None)
    for step in range(1, 4):
        bar.update(step, [("loss", float(step))])
    assert capsys.readouterr().out == ""
    bar.update(3, finalize=True)
    assert re.fullmatch(rf"      3/Unknown 0s {TIME} - loss: 2\.0000\n", capsys.readouterr().out)


def test_verbose_2_prints_one_line_at_the_end(capsys, clock):
    bar = keras.utils.Progbar(4, verbose=2)
    for step in range(1, 5):
        clock.t = 2.0 * step
        bar.update(step, [("loss", 0.5)])
    assert capsys.readouterr().out == "4/4 - 8s - 2s/step - loss: 0.5000\n"


def test_verbose_0_prints_nothing(capsys):
    bar = keras.utils.Progbar(2, verbose=0)
    bar.update(1)
    bar.update(2)
    assert capsys.readouterr().out == ""


# -- time per step and ETA ---------------------------------------------------------------------
@pytest.mark.parametrize("seconds, text", [(2.4, "2s/step"), (1.0, "1s/step"),
                                           (0.04, "40ms/step"), (0.001, "1ms/step"),
                                           (0.00035, "350us/step"), (0.0, "0s/step")])
def test_time_per_unit(seconds, text):
    assert pb.format_time_per_unit(seconds) == text


def test_time_per_step_leaves_out_the_first_step(capsys, clock):
    bar = keras.utils.Progbar(3)
    clock.t = 10.0   # a slow first step (tracing)
    bar.update(1)
    clock.t = 10.05
    bar.update(2)
    clock.t = 10.1
    bar.update(3)
    # (10.1 - 10.0) / 2 steps = 50ms; elapsed 10.1s shows as 10s
    assert capsys.readouterr().out == f"3/3 {BAR} 10s 50ms/step\n"


def test_unit_name(capsys, clock):
    bar = keras.utils.Progbar(2, unit_name="sample")
    clock.t = 1.0
    bar.update(2)
    assert capsys.readouterr().out.endswith(" 500ms/sample\n")


# -- a terminal: the line is rewritten ---------------------------------------------------------
def strip_ansi(text):
    return re.sub(r"\x1b\[\d+m", "", text)


def test_terminal_rewrites_the_line_with_eta(monkeypatch, clock):
    terminal = fake_terminal(monkeypatch)
    bar = keras.utils.Progbar(1000, interval=0.0)
    clock.t = 5.0
    bar.update(1)    # 5s per step so far: ETA 999 * 5 = 4995s = 1:23:15
    out = terminal.getvalue()
    assert out.startswith("\r") and not out.endswith("\n")
    assert strip_ansi(out) == f"\r   1/1000 {BAR} 1:23:15 5s/step"
    # the done part of the bar is green, the rest dim
    assert "\x1b[32m\x1b[0m\x1b[37m" + "━" * 20 in out
    clock.t = 5.5
    bar.update(11)   # (5.5 - 5) / 10 = 50ms per step; ETA 989 * 0.05 = 49.45s
    line = strip_ansi(terminal.getvalue()).split("\r")[-1]
    # padded with 2 spaces over the end of the longer previous line
    assert line == f"  11/1000 {BAR} 49s 50ms/step  "


def test_terminal_eta_in_minutes(monkeypatch, clock):
    terminal = fake_terminal(monkeypatch)
    bar = keras.utils.Progbar(100, interval=0.0)
    clock.t = 1.0
    bar.update(1)    # 99 steps * 1s = 1:39
    assert strip_ansi(terminal.getvalue()).endswith(" 1:39 1s/step")


def test_terminal_green_part_follows_progress(monkeypatch, clock):
    terminal = fake_terminal(monkeypatch)
    bar = keras.utils.Progbar(4)
    bar.update(1)
    assert "\x1b[32m" + "━" * 5 + "\x1b[0m\x1b[37m" + "━" * 15 + "\x1b[0m" in terminal.getvalue()


def test_terminal_final_update_ends_the_line_and_pads(monkeypatch, clock):
    terminal = fake_terminal(monkeypatch)
    bar = keras.utils.Progbar(2, interval=0.0)
    bar.update(1, [("loss", 123456.0)])
    first = strip_ansi(terminal.getvalue())
    clock.t = 1.0
    bar.update(2, [("loss", 0.0)])
    out = strip_ansi(terminal.getvalue())
    assert out.endswith("\n") and out.count("\r") == 2
    final = out[len(first):]
    # the shorter final line is padded with spaces over the longer previous one
    assert len(final.rstrip("\n")) >= len(first)


def test_terminal_redraws_at_most_once_per_interval(monkeypatch, clock):
    terminal = fake_terminal(monkeypatch)
    bar = keras.utils.Progbar(10, interval=1.0)
    for step in range(1, 10):
        clock.t = 0.3 * step
        bar.update(step)
    # drawn at t=0.3 (first), 1.5 (>= 1s later) and 2.7
    assert terminal.getvalue().count("\r") == 3
    bar.update(10)   # the final update is always drawn
    assert terminal.getvalue().count("\r") == 4


def test_unknown_target_on_a_terminal(monkeypatch, clock):
    terminal = fake_terminal(monkeypatch)
    bar = keras.utils.Progbar(None, interval=0.0)
    clock.t = 0.5
    bar.update(1, [("loss", 1.0)])
    assert strip_ansi(terminal.getvalue()) == "\r      1/Unknown 0s 500ms/step - loss: 1.0000"


def test_stream_that_cannot_encode_the_bar(monkeypatch):
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="ascii")
    monkeypatch.setattr(sys, "stdout", out)  # in the test body (see fake_terminal)
    keras.utils.Progbar(2).update(2)
    out.flush()
    assert raw.getvalue().decode().startswith("2/2 " + "=" * 20 + " ")


# -- the chapter's custom loop -----------------------------------------------------------------
def test_serves_the_custom_training_loop(capsys):
    """The chapter's loop shows mean_loss and the MAE, which are running means already."""
    n_steps, batch_size = 4, 32
    losses = [4.0, 2.0, 3.0, 1.0]
    bar = keras.utils.Progbar(n_steps * batch_size, stateful_metrics=["loss", "mae"])
    for step in range(1, n_steps + 1):
        mean_loss = sum(losses[:step]) / step
        bar.update(step * batch_size, values=[("loss", mean_loss), ("mae", 1.0 / step)])
    out = capsys.readouterr().out
    assert re.fullmatch(rf"128/128 {BAR} 0s {TIME} - loss: 2\.5000 - mae: 0\.2500\n", out)


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, match", [
    (dict(target=-1), "`target` must be a non-negative int"),
    (dict(target=2.5), "`target` must be a non-negative int"),
    (dict(target=3, verbose=3), "`verbose` must be 0, 1 or 2"),
    (dict(target=3, stateful_metrics=["a"], stateless_metrics=["b"]), "both"),
])
def test_errors(kwargs, match):
    with pytest.raises(ValueError, match=match) as info:
        keras.utils.Progbar(**kwargs)
    assert "Progbar" in str(info.value) and "hint:" in str(info.value)
