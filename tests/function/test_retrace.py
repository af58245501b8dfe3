"""The retracing warning: when it appears, and what it says."""

import warnings

import rill as tf
from rill.function import RetracingWarning


def _traces(fn, calls):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for args in calls:
            fn(*args)
    return [w for w in caught if issubclass(w.category, RetracingWarning)]


def test_warns_after_five_retraces_naming_the_shape_change():
    @tf.function
    def scale(x):
        return x * 2.0

    caught = _traces(scale, [(tf.zeros([n]),) for n in range(1, 8)])
    assert len(caught) == 1  # once per function
    msg = str(caught[0].message)
    assert "tf.function 'scale'" in msg and "was traced 5 times" in msg
    assert "test_retrace.py" in msg  # where it is defined and where it was called
    assert caught[0].filename == __file__
    assert "argument 'x' changed shape from (4,) to (5,)" in msg
    assert "input_signature=[tf.TensorSpec(shape=(None,), dtype=tf.float32)]" in msg
    assert "reduce_retracing=True" in msg


def test_warning_names_a_changing_python_value():
    f = tf.function(lambda x, n: x * n)
    caught = _traces(f, [(tf.constant(1.0), float(n)) for n in range(6)])
    msg = str(caught[0].message)
    assert "argument 'n' is a Python float whose value changed from 3.0 to 4.0" in msg
    assert "pass a tensor instead (tf.constant(4.0))" in msg


def test_warning_names_a_changing_dtype():
    f = tf.function(lambda x: x)
    dtypes = [tf.float32, tf.float64, tf.int32, tf.int64, tf.int16]
    caught = _traces(f, [(tf.zeros([2], d),) for d in dtypes])
    assert "argument 'x' changed dtype from int64 to int16" in str(caught[0].message)
    assert "tf.cast" in str(caught[0].message)


def test_warning_names_new_objects():
    class Opts:
        __hash__ = None

    f = tf.function(lambda x, opts: x)
    caught = _traces(f, [(tf.constant(1.0), Opts()) for _ in range(5)])
    msg = str(caught[0].message)
    assert "argument 'opts' is a new object" in msg and "identity" in msg


def test_warning_names_a_nested_change():
    f = tf.function(lambda d: d["a"])
    caught = _traces(f, [({"a": tf.zeros([n])},) for n in range(1, 6)])
    assert "argument 'd_a' changed shape" in str(caught[0].message)


def test_no_warning_when_calls_reuse_graphs():
    f = tf.function(lambda x: x + 1)
    calls = [(tf.zeros([n % 2 + 1]),) for n in range(50)]
    assert _traces(f, calls) == []
    assert f.experimental_get_tracing_count() == 2


def test_no_warning_for_a_few_traces_spread_over_many_calls():
    f = tf.function(lambda x: x + 1)
    calls = []
    for n in range(1, 7):
        calls += [(tf.zeros([n]),)] * 3  # each shape is reused
    assert _traces(f, calls) == []


def test_warns_when_a_function_is_created_in_a_loop():
    def body(x):
        return x + 1

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(5):
            tf.function(body)(tf.constant(1))
    msgs = [str(w.message) for w in caught if issubclass(w.category, RetracingWarning)]
    assert len(msgs) == 1 and "outside the loop" in msgs[0] and "'body'" in msgs[0]


def test_reduce_retracing_avoids_the_warning():
    f = tf.function(lambda x: x * 2.0, reduce_retracing=True)
    assert _traces(f, [(tf.zeros([n]),) for n in range(1, 10)]) == []


def test_warning_can_be_silenced():
    f = tf.function(lambda x: x)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=RetracingWarning)
        for n in range(8):
            f(n)
    assert not [w for w in caught if issubclass(w.category, RetracingWarning)]
