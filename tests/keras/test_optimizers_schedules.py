"""keras.optimizers.schedules: values against the formulas, traced equals eager, configs."""

import math

import numpy as np
import pytest

import rill as tf
from rill import keras

# each test makes its own tf.functions: the engine's warning about that is expected here
pytestmark = pytest.mark.filterwarnings("ignore:tf.function was created and traced")

S = keras.optimizers.schedules
STEPS = [0, 1, 2, 5, 9, 10, 11, 17, 30, 45, 100]


def exponential(step, lr=0.1, n=10, rate=0.5, staircase=False):
    p = step / n
    return lr * rate ** (math.floor(p) if staircase else p)


def piecewise(step, bounds=(5, 10, 30), values=(1.0, 0.5, 0.25, 0.125)):
    for b, v in zip(bounds, values):
        if step <= b:
            return v
    return values[-1]


def polynomial(step, lr=0.1, n=10, end=0.01, power=2.0, cycle=False):
    if cycle:
        n = n * max(1, math.ceil(step / n))
    else:
        step = min(step, n)
    return (lr - end) * (1 - step / n) ** power + end


def inverse_time(step, lr=0.1, n=10, rate=0.5, staircase=False):
    p = step / n
    return lr / (1 + rate * (math.floor(p) if staircase else p))


def cosine(step, lr=0.1, n=20, alpha=0.1, target=None, warmup=0):
    if target is not None and step < warmup:
        return lr + (target - lr) * step / warmup
    top = lr if target is None else target
    s = min(step - warmup, n)
    return top * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * s / n)) + alpha)


def restarts(step, lr=0.1, first=10, t_mul=2.0, m_mul=0.5, alpha=0.1):
    # walk the periods one by one: length first * t_mul**i, peak m_mul**i
    start, length, i = 0.0, float(first), 0
    while step >= start + length:
        start, length, i = start + length, length * t_mul, i + 1
    frac = (step - start) / length
    return lr * ((1 - alpha) * m_mul ** i * 0.5 * (1 + math.cos(math.pi * frac)) + alpha)


CASES = [
    (S.ExponentialDecay(0.1, 10, 0.5), exponential),
    (S.ExponentialDecay(0.1, 10, 0.5, staircase=True),
     lambda s: exponential(s, staircase=True)),
    (S.PiecewiseConstantDecay([5, 10, 30], [1.0, 0.5, 0.25, 0.125]), piecewise),
    (S.PolynomialDecay(0.1, 10, 0.01, power=2.0), polynomial),
    (S.PolynomialDecay(0.1, 10, 0.01, power=2.0, cycle=True),
     lambda s: polynomial(s, cycle=True)),
    (S.InverseTimeDecay(0.1, 10, 0.5), inverse_time),
    (S.InverseTimeDecay(0.1, 10, 0.5, staircase=True),
     lambda s: inverse_time(s, staircase=True)),
    (S.CosineDecay(0.1, 20, alpha=0.1), cosine),
    (S.CosineDecay(0.0, 20, alpha=0.1, warmup_target=0.2, warmup_steps=10),
     lambda s: cosine(s, 0.0, target=0.2, warmup=10)),
    (S.CosineDecayRestarts(0.1, 10, t_mul=2.0, m_mul=0.5, alpha=0.1), restarts),
    (S.CosineDecayRestarts(0.1, 10, t_mul=1.0, m_mul=0.5, alpha=0.1),
     lambda s: restarts(s, t_mul=1.0)),
]
IDS = [type(s).__name__ + str(i) for i, (s, _) in enumerate(CASES)]


@pytest.mark.parametrize("schedule,formula", CASES, ids=IDS)
def test_values_against_formula(schedule, formula):
    for step in STEPS:
        got = schedule(step)
        assert got.dtype == tf.float32
        assert float(got) == pytest.approx(formula(step), rel=1e-5, abs=1e-7), step
        assert float(schedule(tf.constant(step, tf.int64))) == float(got)


@pytest.mark.parametrize("schedule,formula", CASES, ids=IDS)
def test_traced_equals_eager_with_one_trace(schedule, formula):
    step_var = tf.Variable(0, dtype=tf.int64)
    fn = tf.function(lambda: schedule(step_var))
    for step in STEPS:
        step_var.assign(step)
        assert float(fn()) == float(schedule(step))
    assert fn.experimental_get_tracing_count() == 1


@pytest.mark.parametrize("schedule,formula", CASES, ids=IDS)
def test_config_round_trip(schedule, formula):
    config = S.serialize(schedule)
    assert config["module"] == "keras.optimizers.schedules"
    assert config["class_name"] == type(schedule).__name__
    clone = S.deserialize(config)
    assert type(clone) is type(schedule) and clone.get_config() == schedule.get_config()
    assert type(schedule).from_config(schedule.get_config()).get_config() == config["config"]
    for step in STEPS[:5]:
        assert float(clone(step)) == float(schedule(step))


def test_keras_config_keys():
    assert S.CosineDecay(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1, "decay_steps": 10, "alpha": 0.0, "name": "CosineDecay",
        "warmup_target": None, "warmup_steps": 0}
    assert S.CosineDecayRestarts(0.1, 10).get_config()["name"] == "SGDRDecay"
    assert S.PiecewiseConstantDecay([1], [1.0, 0.5]).get_config()["name"] == \
        "PiecewiseConstant"


def test_custom_schedule_uses_auto_config():
    class Halving(S.LearningRateSchedule):
        def __init__(self, initial_learning_rate, every=10):
            self.initial_learning_rate, self.every = initial_learning_rate, every

        def __call__(self, step):
            return self.initial_learning_rate * 0.5 ** tf.floor(
                tf.cast(step, tf.float32) / self.every)

    s = Halving(0.8, every=2)
    assert s.get_config() == {"initial_learning_rate": 0.8, "every": 2}
    assert float(s(5)) == pytest.approx(0.2)
    opt = keras.optimizers.SGD(learning_rate=s)
    config = opt.get_config()
    clone = keras.optimizers.SGD.from_config(config, custom_objects={"Halving": Halving})
    assert isinstance(clone._learning_rate, Halving)


def test_errors():
    with pytest.raises(ValueError, match="ExponentialDecay: argument `decay_steps` must be > 0"
                                         "(.|\n)*hint:"):
        S.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="length of boundaries(.|\n)*hint:"):
        S.PiecewiseConstantDecay([1, 2], [1.0, 0.5])
    with pytest.raises(NotImplementedError, match="must override `__call__"):
        S.LearningRateSchedule()(1)
    with pytest.raises(ValueError, match="Could not locate learning rate schedule 'Nope'"):
        S.deserialize({"class_name": "Nope", "config": {}})


def test_schedule_drives_optimizer_values():
    sched = S.PiecewiseConstantDecay([1], [1.0, 0.25])
    opt = keras.optimizers.SGD(learning_rate=sched)
    w = tf.Variable(0.0)
    fn = tf.function(lambda: opt.apply_gradients([(tf.constant(1.0), w)]))
    seen = []
    for _ in range(4):
        fn()
        seen.append(float(w))
    np.testing.assert_allclose(seen, [-1.0, -2.0, -2.25, -2.5])
