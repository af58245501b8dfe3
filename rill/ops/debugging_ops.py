"""`tf.debugging`: assertions, `check_numerics` and `Assert`.

Two ops: `CheckNumerics` (an identity that raises on NaN/Inf; its gradient checks the incoming
gradient too) and `Assert` (raises when its condition is false; no outputs). The `assert_*`
functions check at once when their inputs' values are known (eager execution, or constants
while tracing) and otherwise add comparison ops and an `Assert` to the traced graph, as
TensorFlow does. Assertions return None eagerly and the `Assert` operation while tracing.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from rill._core import context as _context
from rill._core import dtypes as _dtypes
from rill._core.errors import InvalidArgumentError
from rill._core.graph import constant_value
from rill._core.op import defop, execute
from rill._core.tensor import Reference, Tensor, is_symbolic_tensor, is_tensor  # noqa: F401
from rill.ops._util import binary_inputs, same_rule, to_tensor

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)
_CHECKABLE = (_dtypes.bfloat16, _dtypes.float16, _dtypes.float32, _dtypes.float64)
_SUMMARIZE = 3


def _tf():
    import rill
    return rill


# -- CheckNumerics --------------------------------------------------------------------------
def _check_numerics_kernel(x, *, message):
    if not np.isfinite(x).all():
        nan, inf = bool(np.isnan(x).any()), bool(np.isinf(x).any())
        what = "Inf and NaN" if nan and inf else ("NaN" if nan else "Inf")
        raise InvalidArgumentError(
            None, "CheckNumerics",
            f"{message} : Tensor had {what} values [Op:CheckNumerics]\n"
            f"hint: find the first op producing it with tf.debugging.enable_check_numerics().")
    return x


def _check_numerics_grad(op, dy):
    return (check_numerics(dy, "Not a number (NaN) or infinity (Inf) values detected in "
                               "gradient. " + op.attrs["message"]),)


CHECK_NUMERICS = defop("CheckNumerics", _check_numerics_kernel, same_rule,
                       _check_numerics_grad, stateful=True,
                       public_name="tf.debugging.check_numerics")


def check_numerics(tensor, message, name=None):
    """Returns `tensor`, raising InvalidArgumentError if it holds NaN or Inf values.

    The gradient is checked the same way, so NaN gradients are caught too.

    >>> tf.debugging.check_numerics(tf.constant([1., 2.]), "ok").numpy()
    array([1., 2.], dtype=float32)
    """
    x = to_tensor(tensor)
    if x.dtype not in _CHECKABLE:
        raise InvalidArgumentError(
            None, "CheckNumerics",
            f"tf.debugging.check_numerics: the tensor must be bfloat16, float16, float32 or "
            f"float64, got {x.dtype.name} [Op:CheckNumerics]\nhint: integer and bool tensors "
            f"cannot hold NaN or Inf; check only floating-point tensors.")
    return execute(CHECK_NUMERICS, (x,), {"message": str(message)})


def assert_all_finite(t, msg, name=None, x=None, message=None):
    """`check_numerics` under its assertion name (`tf.debugging.assert_all_finite`)."""
    return check_numerics(t if x is None else x, msg if message is None else message)


# -- Assert ---------------------------------------------------------------------------------
def _summarize(v, summarize: int) -> str:
    """One data item of an assertion message: strings as bytes, arrays as their first values."""
    v = np.asarray(v)
    if v.dtype == object and v.ndim == 0:
        return repr(v[()])
    flat = v.reshape(-1)
    n = flat.size if summarize is None or summarize < 0 else summarize
    items = [repr(x) if isinstance(x, bytes) else str(x) for x in flat[:n]]
    return ", ".join(items) + (", ..." if flat.size > n else "")


def _assert_message(condition_text: str, data, summarize) -> str:
    parts = [_summarize(d, summarize) for d in data]
    return f"Expected {condition_text!r} to be true. Summarized data: " + "\n".join(parts)


def _assert_kernel(condition, *data, summarize):
    if not np.all(condition):
        items = []
        for d in data:
            d = np.asarray(d)
            if d.dtype == object and d.ndim == 0:
                v = d[()]
                items.append(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v))
            else:
                items.append(_summarize(d, summarize).replace(",", ""))
        raise InvalidArgumentError(None, "Assert", "assertion failed: " +
                                   " ".join(f"[{i}]" for i in items) + " [Op:Assert]")
    return ()


def _assert_rule(condition, *data, summarize):
    if condition.shape.rank not in (None, 0):
        raise ValueError(f"Assert's condition must be a scalar, got shape {condition.shape}")
    return []


ASSERT = defop("Assert", _assert_kernel, _assert_rule, grad=None, num_outputs=0,
               stateful=True, public_name="tf.debugging.Assert")


def Assert(condition, data, summarize=None, name=None):  # noqa: N802 - TensorFlow's name
    """Raises InvalidArgumentError, showing `data`, when the scalar `condition` is false.

    Returns None when executing eagerly, and the `Assert` operation while tracing (the
    traced function runs it on every call).

    >>> tf.debugging.Assert(tf.constant(True), ["never shown"]) is None
    True
    """
    cond = to_tensor(condition)
    if cond.shape.rank not in (None, 0):
        raise ValueError(f"tf.debugging.Assert: condition must be a scalar, got shape "
                         f"{cond.shape}.\nhint: reduce it first, e.g. tf.reduce_all(x > 0).")
    if not (_active and _state.graphs):
        if bool(cond._value):
            return None
        values = [to_tensor(d)._value for d in data]
        raise InvalidArgumentError(None, "Assert", _assert_message(
            str(condition), values, _SUMMARIZE if summarize is None else summarize))
    inputs = (cond, *(to_tensor(d) for d in data))
    execute(ASSERT, inputs, {"summarize": _SUMMARIZE if summarize is None else summarize})
    return _state.graphs[-1].operations[-1]


# -- comparisons ----------------------------------------------------------------------------
def _opdef_like(op: str, fn: str):
    return SimpleNamespace(name=op, public_name=fn)


def _values(*ts):
    """The NumPy values of tensors when all are known now (eager or constants), else None."""
    vals = [constant_value(t) for t in ts]
    return None if any(v is None for v in vals) else [np.asarray(v) for v in vals]


def _fail(message, lines) -> InvalidArgumentError:
    text = "\n".join(([str(message)] if message else []) + lines)
    return InvalidArgumentError(None, "Assert", text)


def _binary_check(x, y, np_cmp, public: str, sym: str, op: str, fn: str, message, summarize,
                  data=None):
    x, y = binary_inputs(x, y, _opdef_like(op, fn))
    vals = _values(x, y)
    n = _SUMMARIZE if summarize is None else summarize
    if vals is not None:
        xv, yv = vals
        try:
            ok = np_cmp(xv, yv)
        except ValueError:
            raise InvalidArgumentError(
                None, op, f"{fn}: Incompatible shapes: {list(xv.shape)} vs. {list(yv.shape)} "
                f"[Op:{op}]\nhint: x and y must have equal or broadcastable shapes.") from None
        if np.all(ok):
            return None
        lines = [f"Condition x {sym} y did not hold."]
        if xv.shape == yv.shape and xv.ndim:
            bad = np.argwhere(~np.asarray(ok))[:n]
            lines += [f"Indices of first {len(bad)} different values:", str(bad),
                      "Corresponding x values:", str(xv[tuple(bad.T)]),
                      "Corresponding y values:", str(yv[tuple(bad.T)])]
        xf, yf = xv.reshape(-1)[:n], yv.reshape(-1)[:n]
        lines += [f"First {xf.size} elements of x:", str(xf),
                  f"First {yf.size} elements of y:", str(yf)]
        raise _fail(message, lines)
    tf = _tf()
    cond = tf.reduce_all(getattr(tf.math, public)(x, y))
    items = ([message] if message else []) + (list(data) if data else []) + [
        f"Condition x {sym} y did not hold element-wise:", "x = ", x, "y = ", y]
    return Assert(cond, items, summarize=n)


def _unary_check(x, np_cmp, public: str, sym: str, fn: str, message, summarize, data=None):
    x = to_tensor(x)
    if not (x.dtype.is_floating or x.dtype.is_integer):
        raise TypeError(f"{fn}: x must be a real numeric tensor, got {x.dtype.name}.\n"
                        f"hint: compare numbers only.")
    n = _SUMMARIZE if summarize is None else summarize
    vals = _values(x)
    if vals is not None:
        (xv,) = vals
        if np.all(np_cmp(xv)):
            return None
        raise _fail(message, [f"Condition x {sym} 0 did not hold element-wise:",
                              f"x (shape={_shape_text(xv.shape)} dtype={x.dtype.name}) = ",
                              _summarize(xv, n)])
    tf = _tf()
    zero = tf.zeros_like(x)
    cond = tf.reduce_all(getattr(tf.math, public)(x, zero))
    items = ([message] if message else []) + (list(data) if data else []) + [
        f"Condition x {sym} 0 did not hold element-wise:", "x = ", x]
    return Assert(cond, items, summarize=n)


def _shape_text(shape) -> str:
    return f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"


def assert_equal(x, y, message=None, summarize=None, name=None):
    """Raises InvalidArgumentError unless x == y elementwise (with broadcasting).

    >>> tf.debugging.assert_equal(tf.constant([1, 2]), [1, 2]) is None
    True
    """
    return _binary_check(x, y, np.equal, "equal", "==", "Equal", "tf.debugging.assert_equal",
                         message, summarize)


def assert_none_equal(x, y, message=None, summarize=None, name=None):
    """Raises InvalidArgumentError unless x != y for every element."""
    return _binary_check(x, y, np.not_equal, "not_equal", "!=", "NotEqual",
                         "tf.debugging.assert_none_equal", message, summarize)


def assert_less(x, y, message=None, summarize=None, name=None):
    """Raises InvalidArgumentError unless x < y elementwise."""
    return _binary_check(x, y, np.less, "less", "<", "Less", "tf.debugging.assert_less",
                         message, summarize)


def assert_less_equal(x, y, message=None, summarize=None, name=None):
    """Raises InvalidArgumentError unless x <= y elementwise."""
    return _binary_check(x, y, np.less_equal, "less_equal", "<=", "LessEqual",
                         "tf.debugging.assert_less_equal", message, summarize)


def assert_greater(x, y, message=None, summarize=None, name=None):
    """Raises InvalidArgumentError unless x > y elementwise."""
    return _binary_check(x, y, np.greater, "greater", ">", "Greater",
                         "tf.debugging.assert_greater", message, summarize)


def assert_greater_equal(x, y, message=None, summarize=None, name=None):
    """Raises InvalidArgumentError unless x >= y elementwise."""
    return _binary_check(x, y, np.greater_equal, "greater_equal", ">=", "GreaterEqual",
                         "tf.debugging.assert_greater_equal", message, summarize)


def assert_positive(x, message=None, summarize=None, name=None):
    """Raises InvalidArgumentError unless every element of x is > 0."""
    return _unary_check(x, lambda v: v > 0, "greater", ">", "tf.debugging.assert_positive",
                        message, summarize)


def assert_negative(x, message=None, summarize=None, name=None):
    """Raises InvalidArgumentError unless every element of x is < 0."""
    return _unary_check(x, lambda v: v < 0, "less", "<", "tf.debugging.assert_negative",
                        message, summarize)


def assert_non_negative(x, message=None, summarize=None, name=None):
    """Raises InvalidArgumentError unless every element of x is >= 0."""
    return _unary_check(x, lambda v: v >= 0, "greater_equal", ">=",
                        "tf.debugging.assert_non_negative", message, summarize)


def assert_non_positive(x, message=None, summarize=None, name=None):
    """Raises InvalidArgumentError unless every element of x is <= 0."""
    return _unary_check(x, lambda v: v <= 0, "less_equal", "<=",
                        "tf.debugging.assert_non_positive", message, summarize)


def assert_near(x, y, rtol=None, atol=None, message=None, summarize=None, name=None):
    """Raises InvalidArgumentError unless |x - y| <= atol + rtol * |y| elementwise.

    The tolerances default to 10 * eps of the dtype (1.19e-6 for float32).
    """
    fn = "tf.debugging.assert_near"
    x, y = binary_inputs(x, y, _opdef_like("Sub", fn))
    if not (x.dtype.is_floating or x.dtype.is_complex):
        raise TypeError(f"{fn}: x and y must be floating-point or complex, got "
                        f"{x.dtype.name}.\nhint: use tf.debugging.assert_equal for integers.")
    eps = float(np.finfo(np.float32 if x.dtype.real_dtype.size < 4 else
                         x.dtype.real_dtype.as_numpy_dtype).eps)
    rtol = 10 * eps if rtol is None else rtol
    atol = 10 * eps if atol is None else atol
    n = _SUMMARIZE if summarize is None else summarize
    head = f"x and y not equal to tolerance rtol = {rtol}, atol = {atol}"
    vals = _values(x, y)
    if vals is not None:
        xv, yv = vals
        if np.all(np.abs(xv - yv) <= atol + rtol * np.abs(yv)):
            return None
        raise _fail(message, [head, f"x (shape={_shape_text(xv.shape)} dtype={x.dtype.name}) = ",
                              _summarize(xv, n),
                              f"y (shape={_shape_text(yv.shape)} dtype={y.dtype.name}) = ",
                              _summarize(yv, n)])
    tf = _tf()
    tol = tf.add(tf.cast(atol, x.dtype.real_dtype),
                 tf.multiply(tf.cast(rtol, x.dtype.real_dtype), tf.abs(y)))
    cond = tf.reduce_all(tf.math.less_equal(tf.abs(tf.subtract(x, y)), tol))
    return Assert(cond, ([message] if message else []) + [head, "x = ", x, "y = ", y],
                  summarize=n)


# -- ranks, types, shapes -------------------------------------------------------------------
def _prefix(message) -> str:
    return f"{message}.  " if message else ""


def _static_rank_check(x, ok, want: str, message, fn: str):
    x = to_tensor(x)
    rank = x.shape.rank
    if rank is not None:
        if not ok(rank):
            raise ValueError(f"{_prefix(message)}Tensor must have rank {want}.  Received rank "
                             f"{rank}, shape {x.shape}\nhint: reshape the tensor or fix the "
                             f"caller ({fn}).")
        return None
    tf = _tf()
    r = tf.size(tf.shape(x))
    return r, x


def assert_rank(x, rank, message=None, name=None):
    """Raises ValueError (statically) or InvalidArgumentError unless x has rank `rank`."""
    rv = constant_value(rank) if not isinstance(rank, int) else rank
    if rv is None:
        raise ValueError("tf.debugging.assert_rank: rank must be known when tracing.\n"
                         "hint: pass a Python int.")
    rv = int(rv)
    out = _static_rank_check(x, lambda r: r == rv, str(rv), message,
                             "tf.debugging.assert_rank")
    if out is None:
        return None
    tf = _tf()
    return Assert(tf.math.equal(out[0], rv), [_prefix(message) + f"Tensor must have rank {rv}."])


def assert_rank_at_least(x, rank, message=None, name=None):
    """Raises unless x has rank >= `rank`."""
    rv = int(constant_value(rank) if not isinstance(rank, int) else rank)
    out = _static_rank_check(x, lambda r: r >= rv, f"at least {rv}", message,
                             "tf.debugging.assert_rank_at_least")
    if out is None:
        return None
    tf = _tf()
    return Assert(tf.math.greater_equal(out[0], rv),
                  [_prefix(message) + f"Tensor must have rank at least {rv}."])


def assert_rank_in(x, ranks, message=None, name=None):
    """Raises unless the rank of x is one of `ranks`."""
    rs = tuple(int(r) for r in ranks)
    out = _static_rank_check(x, lambda r: r in rs, f"in {rs}", message,
                             "tf.debugging.assert_rank_in")
    if out is None:
        return None
    tf = _tf()
    cond = tf.reduce_any(tf.math.equal(out[0], to_tensor(list(rs), dtype=_dtypes.int32)))
    return Assert(cond, [_prefix(message) + f"Tensor must have rank in {rs}."])


def assert_scalar(tensor, message=None, name=None):
    """Raises ValueError unless `tensor` is a scalar (rank 0)."""
    x = to_tensor(tensor)
    if x.shape.rank is not None and x.shape.rank != 0:
        raise ValueError(f"{_prefix(message)}Expected scalar shape, saw shape: {x.shape}.\n"
                         f"hint: reduce or index the tensor to a scalar.")
    return x


def assert_type(tensor, tf_type, message=None, name=None):
    """Raises TypeError unless `tensor` has dtype `tf_type`."""
    want = _dtypes.as_dtype(tf_type)
    got = tensor.dtype if hasattr(tensor, "dtype") else to_tensor(tensor).dtype
    if got != want:
        raise TypeError(f"{_prefix(message)}tensor must be of type {want!r}; got {got!r}\n"
                        f"hint: tf.cast(tensor, {want!r}).")


def assert_integer(x, message=None, name=None):
    """Raises TypeError unless x has an integer dtype."""
    t = x if hasattr(x, "dtype") else to_tensor(x)
    if not t.dtype.is_integer:
        raise TypeError(f'{_prefix(message)}Expected "x" to be integer type.  Found: tensor of '
                        f'dtype {t.dtype}\nhint: tf.cast(x, tf.int32).')


def assert_same_float_dtype(tensors=None, dtype=None):
    """The common floating dtype of `tensors` (and `dtype`); raises ValueError otherwise."""
    found = _dtypes.as_dtype(dtype) if dtype is not None else None
    for t in tensors or ():
        d = t.dtype
        if found is None:
            found = d
        elif d != found:
            raise ValueError(f"Expected {found!r}, got {d!r} for tensor {t!r}.\nhint: tf.cast "
                             f"all tensors to one floating dtype.")
    if found is None:
        return _dtypes.float32
    if not found.is_floating:
        raise ValueError(f"Expected floating point type, got {found!r}.")
    return found


def assert_proper_iterable(values):
    """Raises TypeError if `values` is a tensor, array or string rather than a collection."""
    if isinstance(values, (Tensor, np.ndarray, str, bytes)) or hasattr(values, "_is_variable") \
            or not hasattr(values, "__iter__"):
        raise TypeError(f"Expected argument 'values' to be a \"proper\" iterable.  Found: "
                        f"{type(values)}\nhint: pass a list or tuple.")


def is_numeric_tensor(tensor) -> bool:
    """True for a tensor of a numeric (not bool or string) dtype."""
    return isinstance(tensor, Tensor) and tensor.dtype.is_numeric


def _parse_spec(spec, fn: str):
    """A shape spec as (any leading dims?, [int | str | None, ...])."""
    if isinstance(spec, str):
        spec = list(spec)
    elif hasattr(spec, "as_list"):
        spec = spec.as_list()
    spec = list(spec)
    lead = bool(spec) and (spec[0] is Ellipsis or spec[0] == "*")
    dims = spec[1:] if lead else spec
    for d in dims:
        if not (d is None or isinstance(d, (int, np.integer, str))):
            raise ValueError(f"{fn}: a shape spec holds ints, names and None, got {d!r}.\n"
                             f"hint: e.g. [(x, ('N', 'D')), (y, ('N',))].")
    return lead, [int(d) if isinstance(d, (int, np.integer)) else d for d in dims]


def _desc(x) -> str:
    return f"shape={x.shape} dtype={x.dtype.name}"


def assert_shapes(shapes, data=None, summarize=None, message=None, name=None):
    """Checks shapes against specs with named dimensions (`tf.debugging.assert_shapes`).

    A spec lists sizes (ints), names bound to one size across all tensors ('N'), None (any)
    and may start with '...' or '*' (any leading dimensions). An empty spec means a scalar.
    Known shapes are checked now (ValueError); unknown sizes while tracing add Asserts.

    >>> x, y = tf.ones([2, 3]), tf.ones([2])
    >>> tf.debugging.assert_shapes([(x, ('N', 'D')), (y, ('N',))]) is None
    True
    """
    fn = "tf.debugging.assert_shapes"
    items = shapes.items() if isinstance(shapes, dict) else shapes
    bound: dict = {}  # name -> (size or None, tensor, axis)
    dynamic = []  # (tensor, axis, expected size or (tensor, axis), text)
    for x, spec in items:
        x = to_tensor(x.deref() if isinstance(x, Reference) else x)
        lead, dims = _parse_spec(spec, fn)
        shape = x.shape
        rank = shape.rank
        if not dims and not lead:  # scalar spec: rank 0, or one element
            dims = [1] if rank == 1 else []
        if rank is not None:
            if (rank < len(dims)) if lead else (rank != len(dims)):
                want = f"at least {len(dims)}" if lead else str(len(dims))
                raise ValueError(f"{_prefix(message)}Tensor {_desc(x)} must have rank {want}.  "
                                 f"Received rank {rank}, shape {shape}\nhint: the spec "
                                 f"{tuple(spec)} has {len(dims)} dimensions.")
            axes = range(rank - len(dims), rank)
        else:
            axes = range(-len(dims), 0) if lead else range(len(dims))
        for axis, d in zip(axes, dims):
            actual = shape[axis] if rank is not None else None
            if d is None:
                continue
            if isinstance(d, str):
                if d not in bound:
                    bound[d] = (actual, x, axis)
                    continue
                size, src, src_axis = bound[d]
                origin = f"Specified by tensor {_desc(src)} dimension {src_axis} ('{d}')"
                if size is None and actual is not None:
                    bound[d] = (actual, x, axis)
            else:
                size, src, src_axis = d, None, None
                origin = "Specified explicitly"
            want = f"size {size}" if size is not None else "that size"
            text = f"{_prefix(message)}{origin}.  Tensor {_desc(x)} dimension {axis} must have "\
                   f"{want}."
            if size is not None and actual is not None:
                if size != actual:
                    raise ValueError(f"{text}  Received size {actual}, shape {shape}\nhint: "
                                     f"fix the tensor or the spec {tuple(spec)}.")
            else:
                dynamic.append((x, axis, size if size is not None else (src, src_axis), text))
    if not dynamic:
        return None
    tf = _tf()
    ops = []
    for x, axis, want, text in dynamic:
        got = _dim_tensor(tf, x, axis)
        want = _dim_tensor(tf, *want) if isinstance(want, tuple) else want
        ops.append(Assert(tf.math.equal(got, want),
                          [text, "Received size", got, "expected", want] + list(data or []),
                          summarize=summarize))
    return ops[-1]


def _dim_tensor(tf, x, axis: int):
    s = tf.shape(x)
    rank = x.shape.rank
    if rank is not None:
        return tf.unstack(s, num=rank)[axis]
    return tf.gather(s, axis if axis >= 0 else tf.add(tf.size(s), axis))


__tf_names__ = {
    "tf debugging": "Assert assert_equal assert_greater assert_less assert_rank",
    "debugging": "assert_all_finite assert_greater_equal assert_integer assert_less_equal "
                 "assert_near assert_negative assert_non_negative assert_non_positive "
                 "assert_none_equal assert_positive assert_proper_iterable assert_rank_at_least "
                 "assert_rank_in assert_same_float_dtype assert_scalar assert_shapes assert_type "
                 "check_numerics is_numeric_tensor",
}
