"""GradientTape and Variable semantics as a table of small scenarios, each run in rill and
checked against values worked by hand (or with NumPy), and, with RILL_TF_PYTHON set, run in
TensorFlow too and compared (values, None results, exception types).

The scenarios aim at the eager tape's shortcuts: a variable read on one tape is an alias of
the variable (not a ReadVariableOp record), reads of an unchanged value inside ops share one
tensor, Python numbers are shared constants, and assign_add writes in place when it can.
Each scenario is a function of the module-level `tf`; the TensorFlow side runs their source
under `import tensorflow as tf`.

One deliberate difference: TensorFlow caches the tensors it makes from Python numbers by
value, so once `0.0` has been converted, `-0.0 * x` multiplies by +0.0; rill keeps the sign
(IEEE), so the parity check ignores the sign of zeros there.
"""

import doctest
import inspect
import json
import math
import sys
import threading

import numpy as np
import pytest

import rill as tf
from tests.conftest import require_tf_python, run_json

SCENARIOS: dict = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


def enc(x):
    """A scenario's result as JSON values: tensors as nested lists, None kept."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, dict):
        return {k: enc(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [enc(e) for e in x]
    if type(x).__name__ == "IndexedSlices":
        x = tf.convert_to_tensor(x)
    return np.asarray(x).tolist()


def err(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type is the result
        return {"error": type(e).__name__}
    return {"error": None}


# -- scenarios ----------------------------------------------------------------------------
@scenario
def persistent_several_calls():
    v = tf.Variable([1.0, 2.0])
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = tf.reduce_sum(v * v) * x
        z = v * x
    return [t.gradient(y, v), t.gradient(y, x), t.gradient(z, [v, x]), t.gradient(y, [v, v]),
            t.gradient(y, v)]


@scenario
def non_persistent_second_call():
    v = tf.Variable(2.0)
    with tf.GradientTape() as t:
        y = v * v
    g = t.gradient(y, v)
    return [g, err(lambda: t.gradient(y, v)), err(lambda: t.jacobian(y, v))]


@scenario
def gradient_inside_persistent_tape():
    v = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as t:
        y = v * v
        g1 = t.gradient(y, v)  # recorded: a persistent tape records its own gradients
        z = y * v
        g2 = t.gradient(z, v)
        w = g1 * v
    return [g1, g2, t.gradient(w, v), t.gradient(z, v)]


@scenario
def read_assign_read():
    v = tf.Variable(2.0)
    with tf.GradientTape() as t:
        a = v * 1.0
        v.assign(3.0)
        b = v * v
        y = a * b
    return [a, b, t.gradient(y, v), v]


@scenario
def read_assign_add_read():
    v = tf.Variable([2.0, 5.0])
    with tf.GradientTape(persistent=True) as t:
        r = v.value()
        a = v * 2.0
        v.assign_add([1.0, 1.0])
        b = v * v
        v.assign_sub([0.5, 0.5])
        c = v + 0.0
        y = tf.reduce_sum(a * b * c)
    return [r, a, b, c, t.gradient(y, v), t.gradient(y, r), v]


@scenario
def assign_add_with_read_outside():
    v = tf.Variable([1.0, 2.0])
    before = v.value()
    v.assign_add([10.0, 10.0])
    with tf.GradientTape() as t:
        inside = v.value()
        v.assign_add([100.0, 100.0])
        y = tf.reduce_sum(inside * v)
    return [before, inside, v, t.gradient(y, v)]


@scenario
def assign_after_recording():
    v = tf.Variable([1.0, 3.0])
    with tf.GradientTape(persistent=True) as t:
        y = v * v
        z = tf.reduce_sum(v)
    v.assign_sub([0.5, 0.5])
    g1 = t.gradient(y, v)
    v.assign_add([10.0, 10.0])
    return [y, g1, t.gradient(z, v), t.gradient(y, v), v]


@scenario
def read_forms():
    v = tf.Variable([1.0, 2.0, 3.0])
    c = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as t:
        outs = {
            "value": v.value(), "read_value": v.read_value(), "identity": tf.identity(v),
            "convert": tf.convert_to_tensor(v), "plus_zero": v + 0.0, "index": v[0],
            "slice": v[1:], "gather": tf.gather(v, [2, 0, 2]),
            "sparse_read": v.sparse_read([1, 1]),
        }
        ys = {k: tf.reduce_sum(o * c[: o.shape[0]] if o.shape.rank else o * 5.0)
              for k, o in outs.items()}
    return {k: [outs[k], t.gradient(ys[k], v)] for k in outs}


@scenario
def read_tensors_as_sources():
    v = tf.Variable([1.0, 2.0])
    x = tf.constant([3.0, 4.0])
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        r = v.read_value()
        y = r * x + v * v
        r2 = v.value()
        z = r2 * 3.0 + r * 5.0
    return [t.gradient(y, [v, r, x]), t.gradient(z, [v, r, r2]),
            t.gradient(y, {"v": v, "r": r, "pair": (x, [v])},
                       output_gradients=tf.constant([1.0, 10.0]))]


@scenario
def targets_that_are_reads():
    v = tf.Variable([1.0, 2.0])
    with tf.GradientTape(persistent=True) as t:
        r = v.value()
        y = v * 2.0
        u = v.assign_add([1.0, 1.0]) * 3.0
    return [t.gradient(r, v), t.gradient([y, r], v), t.gradient(u, v), t.gradient(y, r)]


@scenario
def intermediate_source():
    v = tf.Variable(2.0)
    with tf.GradientTape() as t:
        a = v * v
        b = a * 3.0
        y = b + v
    return t.gradient(y, [a, b, v])


@scenario
def nested_second_order():
    x = tf.Variable(1.5)
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            y = x * x * x
        g = t1.gradient(y, x)
    return [g, t2.gradient(g, x)]


@scenario
def hessian_vector_product():
    v = tf.Variable([1.0, 2.0])
    u = tf.constant([0.5, -1.0])
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            f = tf.reduce_sum(v ** 3) + v[0] * v[1]
        g = t1.gradient(f, v)
        gu = tf.reduce_sum(g * u)
    return [g, t2.gradient(gu, v)]


@scenario
def outer_persistent_around_inner():
    x = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as outer:
        with tf.GradientTape() as inner:
            y = x ** 3
        g = inner.gradient(y, x)
        z = g * x
    return [g, outer.gradient(y, x), outer.gradient(g, x), outer.gradient(z, x)]


@scenario
def read_before_inner_tape():
    v = tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as outer:
        r = v * 1.0  # read while only the outer tape records
        with tf.GradientTape(persistent=True) as inner:
            y = r * r
            z = v * r
        w = v * v
    return [inner.gradient(y, v), inner.gradient(z, v), outer.gradient(y, v),
            outer.gradient(z, v), outer.gradient(w, v)]


@scenario
def nested_tapes_same_variable():
    v = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as outer:
        a = v * v
        with tf.GradientTape() as inner:
            b = v * a
        gi = inner.gradient(b, v)
        c = v * v * v
    return [gi, outer.gradient(gi, v), outer.gradient(c, v), outer.gradient(b, v)]


@scenario
def watch_accessed_false():
    v = tf.Variable(2.0)
    w = tf.Variable(5.0)
    with tf.GradientTape(watch_accessed_variables=False) as t:
        y = v * w
    out = [t.gradient(y, [v, w]), len(t.watched_variables())]
    with tf.GradientTape(watch_accessed_variables=False) as t:
        t.watch(v)
        y = v * w
    out += [t.gradient(y, [v, w]), len(t.watched_variables())]
    with tf.GradientTape(watch_accessed_variables=False, persistent=True) as t:
        y1 = v * v
        t.watch(v)
        y2 = v * v
        y3 = y1 + y2
    out += [t.gradient(y3, v), t.gradient(y1, v), t.gradient(y2, v)]
    return out


@scenario
def stop_recording():
    v = tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as t:
        a = v * v
        with t.stop_recording():
            b = v * v
            g_inside = t.gradient(a, v)
        c = a * b
        d = v * b
    return [b, g_inside, t.gradient(c, v), t.gradient(d, v), t.gradient(b, v)]


@scenario
def reset():
    v = tf.Variable(2.0)
    w = tf.Variable(1.0)
    with tf.GradientTape(persistent=True) as t:
        y = v * v * w
        t.reset()
        z = v * v * v
    return [t.gradient(y, v), t.gradient(z, [v, w]), len(t.watched_variables())]


@scenario
def unconnected_zero():
    v = tf.Variable([1.0, 2.0])
    other = tf.Variable([[1.0, 1.0, 1.0]])
    x = tf.constant(4.0)
    with tf.GradientTape(persistent=True) as t:
        y = tf.reduce_sum(v * 2.0)
    return [t.gradient(y, [v, other, x], unconnected_gradients=tf.UnconnectedGradients.ZERO),
            t.gradient(y, [other, x], unconnected_gradients="zero"),
            t.gradient(y, [other, x]),
            err(lambda: t.gradient(y, v, unconnected_gradients="nonsense"))]


@scenario
def jacobians_with_variables():
    v = tf.Variable([1.0, 2.0, 3.0])
    c = tf.constant([1.0, 2.0, 3.0])
    other = tf.Variable(1.0)
    with tf.GradientTape(persistent=True) as t:
        y = v * v * c
        z = tf.reduce_sum(v) * v
    return [t.jacobian(y, v), t.jacobian(y, v, experimental_use_pfor=False),
            t.jacobian(z, v), t.jacobian(z, v, experimental_use_pfor=False),
            t.jacobian(z, [v, other]),
            t.jacobian(z, [v, other], unconnected_gradients="zero"),
            t.jacobian(z, {"o": other}, experimental_use_pfor=False,
                       unconnected_gradients="zero")]


@scenario
def batch_jacobians():
    w = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    x = tf.constant([[1.0, -1.0], [0.5, 2.0], [3.0, 0.0]])
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = tf.matmul(x, w) * x
    return [t.batch_jacobian(y, x), t.batch_jacobian(y, x, experimental_use_pfor=False),
            err(lambda: t.batch_jacobian(y, tf.constant([1.0, 2.0])))]


@scenario
def function_captures_variable():
    v = tf.Variable([1.0, 2.0])

    @tf.function
    def f(x):
        return tf.reduce_sum(v * v * x)

    x = tf.constant([3.0, 4.0])
    with tf.GradientTape() as t:
        t.watch(x)
        r = v.value()
        y = f(x) + tf.reduce_sum(v) + f(r)
    return t.gradient(y, [v, x])


@scenario
def function_assigns_variable():
    v = tf.Variable(2.0)

    @tf.function
    def step(x):
        v.assign_add(x)
        return v * v

    with tf.GradientTape(persistent=True) as t:
        a = v * 1.0
        y = step(tf.constant(1.0))
        z = a * y
    return [a, y, z, t.gradient(y, v), t.gradient(z, v)]


@scenario
def custom_gradient_variables():
    v = tf.Variable(2.0)

    @tf.custom_gradient
    def f(x):
        y = x * v

        def grad(dy, variables=None):
            return dy * v * 10.0, [dy * x * 100.0]

        return y, grad

    x = tf.constant(3.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = f(x) + v
    return t.gradient(y, [x, v])


@scenario
def forward_accumulator_inside_tape():
    v = tf.Variable([1.0, 2.0])
    u = tf.constant([1.0, 0.5])
    with tf.GradientTape() as t:
        with tf.autodiff.ForwardAccumulator(v, u) as acc:
            y = tf.reduce_sum(v * v * v)
        jvp = acc.jvp(y)
    return [y, jvp, t.gradient(jvp, v)]


@scenario
def forward_over_back():
    v = tf.Variable([1.0, 2.0])
    u = tf.constant([1.0, 0.5])
    with tf.autodiff.ForwardAccumulator(v, u) as acc:
        with tf.GradientTape() as t:
            y = tf.reduce_sum(v ** 3)
        g = t.gradient(y, v)
    return [g, acc.jvp(g)]


@scenario
def non_trainable_variables():
    v = tf.Variable(2.0, trainable=False)
    w = tf.Variable(3.0)
    with tf.GradientTape() as t:
        y = v * w
    out = [t.gradient(y, [v, w]), len(t.watched_variables())]
    with tf.GradientTape() as t:
        t.watch(v)
        y = v * w
    out += [t.gradient(y, [v, w]), len(t.watched_variables())]
    return out


@scenario
def integer_variables():
    i = tf.Variable(3)
    f = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as t:
        y = tf.cast(i, tf.float32) * f
        k = i * 2
    return [y, k, t.gradient(y, [i, f]), t.gradient(k, i),
            t.gradient(y, [i, f], unconnected_gradients="zero"),
            [v.dtype.name for v in t.watched_variables()]]


@scenario
def threads_with_own_tapes():
    v = tf.Variable(2.0)
    barrier = threading.Barrier(2)
    results = {}

    def work(k):
        with tf.GradientTape() as t:  # both tapes record at once, one per thread
            a = v * float(k)
            barrier.wait()
            y = a * v
            barrier.wait()
        results[k] = t.gradient(y, v)

    threads = [threading.Thread(target=work, args=(k,)) for k in (1, 3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return [results[1], results[3]]


@scenario
def keras_dense_loop():
    keras = tf.keras
    layer = keras.layers.Dense(2, activation="tanh")
    model = keras.Sequential([keras.Input((3,)), layer])
    layer.set_weights([np.array([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]], np.float32),
                       np.array([0.05, -0.05], np.float32)])
    x = tf.constant([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])
    target = tf.constant([[0.2, -0.1], [0.0, 0.3]])
    out = []
    for _ in range(2):
        with tf.GradientTape() as t:
            loss = tf.reduce_mean(tf.square(model(x) - target))
        grads = t.gradient(loss, model.trainable_variables)
        out.append([loss, grads])
        for var, g in zip(model.trainable_variables, grads):
            var.assign_sub(0.5 * g)
    out.append([w.numpy() for w in model.trainable_variables])
    return out


@scenario
def watched_variables_order():
    a = tf.Variable(1.0)
    b = tf.Variable(2.0)
    c = tf.Variable(3.0)
    with tf.GradientTape() as t:
        y = c * b
        y = y + a
        t.watch(b)
    before = [v.numpy() for v in t.watched_variables()]  # creation order, not first use
    g = t.gradient(y, [a, b, c])
    after = [v.numpy() for v in t.watched_variables()]
    return [before, g, after]


@scenario
def reused_spent_tape():
    a = tf.Variable(1.0)
    b = tf.Variable(2.0)
    t = tf.GradientTape()
    with t:
        y = a * a
    g1 = t.gradient(y, a)
    first = [v.numpy() for v in t.watched_variables()]
    with t:
        z = b * b * a
    g2 = t.gradient(z, [a, b])
    return [g1, first, g2, [v.numpy() for v in t.watched_variables()]]


@scenario
def numbers_in_binary_ops():
    x = tf.Variable([1.0, -2.0])
    with tf.GradientTape(persistent=True) as t:
        ys = {
            "2*x": 2 * x, "x-1.0": x - 1.0, "1.0-x": 1.0 - x, "-0.0*x": -0.0 * x,
            "x*-0.0": x * -0.0, "x*nan": x * float("nan"), "x/2": x / 2, "2/x": 2 / x,
            "x**2": x ** 2, "2.0**x": 2.0 ** x, "3+x": 3 + x, "x*0": x * 0,
            "x*inf": x * float("inf"), "x+x": x + x, "2*x*x": 2 * x * x,
        }
    return {k: [y, t.gradient(y, x)] for k, y in ys.items()}


@scenario
def numbers_with_watched_constant():
    x = tf.constant([1.0, -2.0])
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        ys = {"2*x": 2 * x, "x-1.0": x - 1.0, "1.0-x": 1.0 - x, "-0.0*x": -0.0 * x,
              "x*nan": x * float("nan"), "2/x": 2 / x, "1.0*x+1.0*x": 1.0 * x + 1.0 * x}
    return {k: [y, t.gradient(y, x)] for k, y in ys.items()}


@scenario
def other_float_dtypes():
    d = tf.Variable([1.0, -2.0], dtype=tf.float64)
    h = tf.Variable([1.0, -2.0], dtype=tf.float16)
    c = tf.Variable(1.0 + 2.0j, dtype=tf.complex64)
    with tf.GradientTape(persistent=True) as t:
        yd = d * 0.1 + 2 * d
        yh = 0.1 * h * h
        yc = c * c
    gd, gh, gc = t.gradient(yd, d), t.gradient(yh, h), t.gradient(yc, c)
    return [yd, gd, [yd.dtype.name, gd.dtype.name], yh, gh, gh.dtype.name,
            [float(np.real(gc)), float(np.imag(gc))]]


@scenario
def while_loop_and_stop_gradient():
    v = tf.Variable(1.5)
    with tf.GradientTape(persistent=True) as t:
        _, x = tf.while_loop(lambda i, x: i < 3, lambda i, x: (i + 1, x * v),
                             [tf.constant(0), tf.constant(1.0)])
        s = tf.stop_gradient(v) * v
    return [x, t.gradient(x, v), t.gradient(s, v)]


@scenario
def repeated_reads_loop():
    v = tf.Variable(1.5)
    with tf.GradientTape() as t:
        y = tf.constant(0.0)
        for k in range(5):
            y = y + v * float(k)
            if k == 2:
                v.assign(2.5)
    return [y, t.gradient(y, v)]


@scenario
def tape_errors():
    t = tf.GradientTape()

    def reenter():
        with t:
            with t:
                pass

    return [err(reenter), err(lambda: tf.GradientTape().watch(1.0)),
            err(lambda: tf.GradientTape().watch("x"))]


# -- values worked by hand ----------------------------------------------------------------
RTE, VE = {"error": "RuntimeError"}, {"error": "ValueError"}


def _batch_jacobian() -> np.ndarray:
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    x = np.array([[1.0, -1.0], [0.5, 2.0], [3.0, 0.0]])
    xw = x @ w  # y[b, i] = xw[b, i] x[b, i]: dy[b, i]/dx[b, j] = w[j, i] x[b, i] + [i=j] xw
    return w.T[None] * x[:, :, None] + np.eye(2)[None] * xw[:, :, None]


def _dense_loop() -> list:
    w = np.array([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]])
    b = np.array([0.05, -0.05])
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])
    target = np.array([[0.2, -0.1], [0.0, 0.3]])
    out = []
    for _ in range(2):
        p = np.tanh(x @ w + b)
        dz = 2 * (p - target) / p.size * (1 - p * p)
        gw, gb = x.T @ dz, dz.sum(0)
        out.append([np.mean((p - target) ** 2), [gw, gb]])
        w, b = w - 0.5 * gw, b - 0.5 * gb
    return out + [[w, b]]


_JZ = [[7.0, 1.0, 1.0], [2.0, 8.0, 2.0], [3.0, 3.0, 9.0]]  # d(sum(v) v)/dv at v = 1, 2, 3
_ZEROS3 = [0.0, 0.0, 0.0]
_H16 = np.array([1.0, -2.0], np.float16)
_NAN, _INF = math.nan, math.inf

EXPECTED = {
    "persistent_several_calls": [[6, 12], 5, [[3, 3], 3], [[6, 12], [6, 12]], [6, 12]],
    "non_persistent_second_call": [4, RTE, RTE],
    # w = g1 v with g1 = 2v recorded: 4v
    "gradient_inside_persistent_tape": [4, 12, 8, 12],
    # y = a b: the first read gets b = 9, the two later ones a * 3 each
    "read_assign_read": [2, 9, 21, 3],
    # through a: 2 b c; through b: 2 v_mid a c; through c: a b
    "read_assign_add_read": [[2, 5], [4, 10], [9, 36], [2.5, 5.5],
                             [45 + 60 + 36, 396 + 660 + 360], None, [2.5, 5.5]],
    "assign_add_with_read_outside": [[1, 2], [11, 12], [111, 112], [122, 124]],
    "assign_after_recording": [[1, 9], [2, 6], [1, 1], [2, 6], [10.5, 12.5]],
    "read_forms": {
        "value": [[1, 2, 3], [1, 2, 3]], "read_value": [[1, 2, 3], [1, 2, 3]],
        "identity": [[1, 2, 3], [1, 2, 3]], "convert": [[1, 2, 3], [1, 2, 3]],
        "plus_zero": [[1, 2, 3], [1, 2, 3]], "index": [1, [5, 0, 0]],
        "slice": [[2, 3], [0, 1, 2]], "gather": [[3, 1, 3], [2, 0, 4]],
        "sparse_read": [[2, 2], [0, 3, 0]]},
    # each read tensor gets its own uses' gradient; v gets all of them
    "read_tensors_as_sources": [[[5, 8], [3, 4], [1, 2]], [[8, 8], [5, 5], [3, 3]],
                                {"v": [5, 80], "r": [3, 40], "pair": [[1, 20], [[5, 80]]]}],
    "targets_that_are_reads": [[1, 1], [3, 3], [3, 3], None],
    "intermediate_source": [3, 1, 13],
    "nested_second_order": [6.75, 9],
    "hessian_vector_product": [[5, 13], [2, -11.5]],  # H = [[6, 1], [1, 12]]
    "outer_persistent_around_inner": [12, 12, 12, 36],
    "read_before_inner_tape": [None, 3, 6, 6, 6],
    # gi = a (the inner tape does not see a's read), which the outer tape saw: 2v
    "nested_tapes_same_variable": [4, 4, 12, 12],
    "watch_accessed_false": [[None, None], 0, [5, None], 1, 4, None, 4],
    "stop_recording": [9, 6, 54, 9, None],
    "reset": [None, [12, None], 1],
    "unconnected_zero": [[[2, 2], [[0, 0, 0]], 0], [[[0, 0, 0]], 0], [None, None], VE],
    "jacobians_with_variables": [np.diag([2.0, 8.0, 18.0]), np.diag([2.0, 8.0, 18.0]),
                                 _JZ, _JZ, [_JZ, None], [_JZ, _ZEROS3], {"o": _ZEROS3}],
    "batch_jacobians": [_batch_jacobian(), _batch_jacobian(), VE],
    # 2 v x + 1 + 3 v^2 (f(r) with r read from v is sum(v^3)), and v^2
    "function_captures_variable": [[10, 29], [1, 4]],
    "function_assigns_variable": [2, 9, 18, 6, 21],
    "custom_gradient_variables": [20, 301],
    "forward_accumulator_inside_tape": [9, 9, [6, 6]],  # sum 3v^2 u, 6 v u
    "forward_over_back": [[3, 12], [6, 6]],
    "non_trainable_variables": [[None, 2], 1, [3, 2], 2],
    "integer_variables": [6, 6, [None, 3], None, [0, 3], ["int32", "float32"]],
    "threads_with_own_tapes": [4, 12],
    "keras_dense_loop": _dense_loop(),
    "watched_variables_order": [[1, 2, 3], [1, 3, 2], [1, 2, 3]],
    "reused_spent_tape": [2, [1], [4, 4], [1, 2]],
    "numbers_in_binary_ops": {
        "2*x": [[2, -4], [2, 2]], "x-1.0": [[0, -3], [1, 1]], "1.0-x": [[0, 3], [-1, -1]],
        "-0.0*x": [[-0.0, 0.0], [-0.0, -0.0]], "x*-0.0": [[-0.0, 0.0], [-0.0, -0.0]],
        "x*nan": [[_NAN, _NAN], [_NAN, _NAN]], "x/2": [[0.5, -1], [0.5, 0.5]],
        "2/x": [[2, -1], [-2, -0.5]], "x**2": [[1, 4], [2, -4]],
        "2.0**x": [[2, 0.25], [2 * math.log(2), 0.25 * math.log(2)]],
        "3+x": [[4, 1], [1, 1]], "x*0": [[0.0, -0.0], [0.0, 0.0]],
        "x*inf": [[_INF, -_INF], [_INF, _INF]], "x+x": [[2, -4], [2, 2]],
        "2*x*x": [[2, 8], [4, -8]]},
    "numbers_with_watched_constant": {
        "2*x": [[2, -4], [2, 2]], "x-1.0": [[0, -3], [1, 1]], "1.0-x": [[0, 3], [-1, -1]],
        "-0.0*x": [[-0.0, 0.0], [-0.0, -0.0]], "x*nan": [[_NAN, _NAN], [_NAN, _NAN]],
        "2/x": [[2, -1], [-2, -0.5]], "1.0*x+1.0*x": [[2, -4], [2, 2]]},
    "other_float_dtypes": [[2.1, -4.2], [2.1, 2.1], ["float64", "float64"],
                           np.float16(0.1) * _H16 * _H16, 2 * np.float16(0.1) * _H16,
                           "float16", [2, -4]],  # the complex gradient: conj(2c)
    "while_loop_and_stop_gradient": [3.375, 6.75, 1.5],
    "repeated_reads_loop": [1.5 * 3 + 2.5 * 7, 10],
    "tape_errors": [VE, VE, VE],
}


# -- comparison ---------------------------------------------------------------------------
def _is_array_like(x) -> bool:
    """A number, an array, or nested lists of numbers of one rectangular shape."""
    if isinstance(x, np.ndarray) or isinstance(x, (int, float)) and not isinstance(x, bool):
        return True
    if not (isinstance(x, list) and x and all(_is_array_like(e) for e in x)):
        return False
    return len({np.shape(e) for e in x}) == 1


def mismatches(got, want, path: str, signed_zeros: bool, rtol: float = 1e-5) -> list:
    """Where `got` differs from `want` (nested lists, dicts, None, strings and numbers)."""
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(got) != set(want):
            return [f"{path}: got {got!r}, want keys {sorted(want)}"]
        return [m for k in want for m in mismatches(got[k], want[k], f"{path}.{k}",
                                                    signed_zeros, rtol)]
    if _is_array_like(want) and _is_array_like(got):
        g, w = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
        if g.shape != w.shape or not np.allclose(g, w, rtol=rtol, atol=1e-6, equal_nan=True):
            return [f"{path}: got {got!r}, want {np.asarray(want).tolist()!r}"]
        zeros = (g == 0) & (w == 0)
        if signed_zeros and (np.signbit(g[zeros]) != np.signbit(w[zeros])).any():
            return [f"{path}: signs of zeros differ: got {got!r}, want {want!r}"]
        return []
    if isinstance(want, list) and isinstance(got, list) and len(got) == len(want):
        return [m for i, (a, b) in enumerate(zip(got, want))
                for m in mismatches(a, b, f"{path}[{i}]", signed_zeros, rtol)]
    return [] if got == want else [f"{path}: got {got!r}, want {want!r}"]


def run_rill(name: str):
    return enc(SCENARIOS[name]())


def test_every_scenario_has_hand_values():
    assert set(EXPECTED) == set(SCENARIOS)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_rill_matches_hand_values(name):
    rtol = 1e-3 if name == "other_float_dtypes" else 1e-5  # float16
    assert mismatches(run_rill(name), EXPECTED[name], name, True, rtol) == []


def test_sparse_read_docstring():
    from rill._core import variable
    finder = doctest.DocTestFinder()
    tests = [t for t in finder.find(variable.Variable.sparse_read, "sparse_read",
                                    globs={"tf": tf})]
    runner = doctest.DocTestRunner()
    for t in tests:
        runner.run(t)
    assert runner.summarize(verbose=False).attempted > 0
    assert runner.summarize(verbose=False).failed == 0


# -- parity with TensorFlow ---------------------------------------------------------------
_PRELUDE = '''
import json
import math
import threading

import numpy as np
import tensorflow as tf

SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn

'''

_RUN = '''
out = {}
for name, fn in SCENARIOS.items():
    try:
        out[name] = enc(fn())
    except Exception as e:  # a scenario that fails is reported, not fatal
        out[name] = {"scenario_failed": f"{type(e).__name__}: {e}"[:300]}
print(json.dumps(out))
'''


def tensorflow_script() -> str:
    """The scenarios' source, run under `import tensorflow as tf`."""
    parts = [_PRELUDE, inspect.getsource(enc), inspect.getsource(err)]
    parts += [inspect.getsource(fn) for fn in SCENARIOS.values()]
    return "\n\n".join(parts) + _RUN


@pytest.fixture(scope="module")
def tensorflow_results():
    return run_json(require_tf_python(), tensorflow_script())


# TensorFlow converts -0.0 through a cache keyed by value (see the module docstring)
_SIGN_OF_ZERO_DIFFERS = {"numbers_in_binary_ops", "numbers_with_watched_constant"}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_parity_with_tensorflow(name, tensorflow_results):
    theirs = tensorflow_results[name]
    assert "scenario_failed" not in theirs, theirs
    # a JSON round trip, so that both sides compare the same kinds of values
    ours = json.loads(json.dumps(run_rill(name)))
    rtol = 1e-3 if name == "other_float_dtypes" else 1e-5
    assert mismatches(ours, theirs, name, name not in _SIGN_OF_ZERO_DIFFERS, rtol) == []


if __name__ == "__main__":  # prints the TensorFlow script, to run it by hand
    sys.stdout.write(tensorflow_script())
