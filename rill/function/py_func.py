"""`tf.py_function` and `tf.numpy_function`: Python code as a stateful op.

The op's kernel calls the Python function, so it runs on every call of a compiled graph (not
only while tracing). `py_function` passes EagerTensors and is differentiable: its gradient is
another `py_function` that reruns the Python function under a tape. `numpy_function` passes
NumPy arrays and has no gradient.
"""

from __future__ import annotations

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core import nest
from rill._core.convert import constant, convert_to_tensor
from rill._core.op import defop, execute
from rill._core.tensor import EagerTensor, wrap
from rill._core.tensor_shape import TensorShape


def _dtypes_of(Tout) -> tuple[list, bool]:
    """(list of DTypes, whether the caller gave a list) for a Tout argument."""
    if Tout is None:
        return [], True
    if isinstance(Tout, (list, tuple)):
        return [_dtypes.as_dtype(t) for t in Tout], True
    return [_dtypes.as_dtype(Tout)], False


def _results(func, out, dtypes: list, what: str) -> tuple:
    """The Python function's results as NumPy values of the declared dtypes."""
    if not dtypes:
        return ()
    flat = list(out) if isinstance(out, (list, tuple)) and (len(dtypes) > 1 or
                                                             len(out) == len(dtypes)) \
        else [out]
    if len(flat) != len(dtypes):
        raise ValueError(f"{what}: the Python function {_name(func)} returned {len(flat)} "
                         f"values but Tout declares {len(dtypes)}.\nhint: make Tout list one "
                         f"dtype per returned value.")
    values = []
    for v, d in zip(flat, dtypes):
        if hasattr(v, "_is_variable"):
            v = v.value()
        if isinstance(v, EagerTensor):
            a = v._value
        elif d is _dtypes.string:
            a = constant(v, dtype=d)._value
        else:
            a = np.asarray(v, dtype=d._np)
        if a.dtype != d._np:
            if isinstance(v, EagerTensor):
                raise TypeError(f"{what}: the Python function {_name(func)} returned a "
                                f"{v.dtype.name} tensor where Tout says {d.name}.\nhint: "
                                f"tf.cast the result or fix Tout.")
            a = a.astype(d._np)
        values.append(a)
    return tuple(values)


def _name(func) -> str:
    return getattr(func, "__name__", repr(func))


def _py_kernel(*args, func, dtypes, eager: bool):
    ins = [wrap(a) for a in args] if eager else [np.asarray(a) for a in args]
    out = func(*ins)
    return _results(func, out, list(dtypes), "tf.py_function" if eager else
                    "tf.numpy_function")


def _py_rule(*args, func, dtypes, eager: bool):
    return [(TensorShape(None), d) for d in dtypes]


def _py_grad(op, *dys):
    func = op.attrs["func"]
    xs = list(op.inputs)
    diff = [i for i, x in enumerate(xs) if x.dtype.is_floating or x.dtype.is_complex]
    if not diff:
        return (None,) * len(xs)
    n = len(xs)

    def backward(*args):
        from rill._core.tape import GradientTape
        ins, gs = list(args[:n]), list(args[n:])
        with GradientTape() as tape:
            for i in diff:
                tape.watch(ins[i])
            out = func(*ins)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        pairs = [(o, g) for o, g in zip(outs, gs) if g is not None]
        grads = tape.gradient([o for o, _ in pairs], [ins[i] for i in diff],
                              output_gradients=[g for _, g in pairs])
        return [g if g is not None else wrap(np.zeros_like(ins[i]._value))
                for g, i in zip(grads, diff)]

    dys = [dy if dy is not None else execute(_zeros(), (o,))
           for dy, o in zip(dys, op.outputs)]
    grads = py_function(backward, xs + dys, [xs[i].dtype for i in diff])
    out = [None] * n
    for g, i in zip(grads, diff):
        out[i] = g
    return tuple(out)


def _zeros():
    from rill._core.op import core_ops
    return core_ops.ZerosLike


EAGER_PY_FUNC = defop("EagerPyFunc", _py_kernel, _py_rule, _py_grad, num_outputs=None,
                      stateful=True, public_name="tf.py_function")
PY_FUNC = defop("PyFunc", _py_kernel, _py_rule, None, num_outputs=None, stateful=True,
                public_name="tf.numpy_function")


def _run(opdef, func, inp, Tout, what: str):
    if not callable(func):
        raise TypeError(f"{what}: func must be callable, got {func!r}.")
    dtypes, as_list = _dtypes_of(Tout)
    if inp is None:
        inp = []
    if not isinstance(inp, (list, tuple)):
        inp = [inp]
    ins = tuple(convert_to_tensor(x) for x in nest.flatten(list(inp)))
    out = execute(opdef, ins, {"func": func, "dtypes": tuple(dtypes),
                               "eager": opdef is EAGER_PY_FUNC})
    if not dtypes:
        return [] if Tout is not None else None
    return list(out) if as_list else out[0]


def py_function(func=None, inp=None, Tout=None, name=None):
    """Runs a Python function on EagerTensors as an op (`tf.py_function`).

    Inside a tf.function the Python code runs on every call. Tout is a dtype (one result)
    or a list of dtypes (a list of results); results have unknown static shapes.

    As a decorator (`@tf.py_function(Tout=tf.float32)`, no `inp`), it makes a function whose
    arguments are the inputs.

    >>> tf.py_function(lambda x: x * 2, [tf.constant(1.0)], Tout=tf.float32).numpy()
    2.0
    """
    if func is None:
        return lambda f: py_function(f, inp, Tout, name)
    if inp is None:
        return _decorated(EAGER_PY_FUNC, func, Tout, "tf.py_function")
    return _run(EAGER_PY_FUNC, func, inp, Tout, "tf.py_function")


def _decorated(opdef, func, Tout, api: str):
    import functools

    @functools.wraps(func)
    def call(*args):
        return _run(opdef, func, list(args), Tout, api)
    return call


def numpy_function(func=None, inp=None, Tout=None, stateful=True, name=None):
    """Runs a Python function on NumPy arrays as an op (`tf.numpy_function`); no gradient."""
    if func is None:
        return lambda f: numpy_function(f, inp, Tout, stateful, name)
    if inp is None:  # used as a decorator: the function's arguments are the inputs
        return _decorated(PY_FUNC, func, Tout, "tf.numpy_function")
    return _run(PY_FUNC, func, inp, Tout, "tf.numpy_function")


__tf_names__ = {"tf": "numpy_function py_function"}
