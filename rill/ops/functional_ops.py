"""Higher-order functions over the first axis: `tf.map_fn`, `tf.scan`, `tf.foldl`,
`tf.foldr` and `tf.vectorized_map` (which runs its function over the whole batch through
`rill.ops.vectorize`, and falls back to a loop like the others).

Eagerly each is a Python loop over the slices of `elems` (`tf.unstack`) whose results are
stacked, so tapes see ordinary ops. While a `tf.function` traces, the loop is one
`tf.while_loop` that reads the slices from `tf.TensorArray`s and writes the results into
others. Both are built from differentiable ops, so gradients flow through them.
"""

from __future__ import annotations

from rill._core import context as _context
from rill._core import dtypes as _dtypes
from rill._core import nest
from rill._core.errors import InvalidArgumentError, OutOfRangeError
from rill._core.tensor import Tensor
from rill._core.tensor_shape import TensorShape, as_shape
from rill.ops import array_ops, manip_ops, vectorize
from rill.ops._util import to_tensor
from rill.ops.control_flow_ops import while_loop
from rill.ops.tensor_array_ops import TensorArray

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)


# -- arguments -------------------------------------------------------------------------------
def _check_fn(fn, api: str) -> None:
    if not callable(fn):
        raise TypeError(f"{api}: fn must be callable, got {fn!r}.\nhint: pass a function of "
                        f"one slice, e.g. lambda x: x * 2.")


def _flat_elems(elems, api: str) -> list:
    """The tensors of `elems`, each of rank >= 1 with one common first dimension."""
    flat = nest.flatten(elems)
    if not flat or (len(flat) == 1 and flat[0] is None):
        raise ValueError(f"{api}: elems must be a Tensor or (possibly nested) sequence of "
                         f"Tensors. Got {elems!r}, which does not contain any Tensors.\n"
                         f"hint: pass the tensor to map over its first axis.")
    flat = [to_tensor(e) for e in flat]
    n = None
    for e in flat:
        if e.shape.rank == 0:
            raise ValueError(f"{api}: Elements in elems must be 1+ dimensional Tensors, not "
                             f"scalars (got one of shape {e.shape}).\nhint: tf.reshape(x, "
                             f"[-1]) or tf.expand_dims(x, 0) to get a first axis.")
        d = e.shape[0] if e.shape.rank is not None else None
        if d is not None:
            if n is not None and d != n:
                raise ValueError(f"{api}: Dimensions {n} and {d} are not compatible: every "
                                 f"tensor in elems must have the same first dimension.\n"
                                 f"hint: the loop runs over axis 0 of all of them together.")
            n = d
    return flat


def _static_length(flat: list):
    """The number of iterations: a Python int when known, else an int32 tensor."""
    for e in flat:
        if e.shape.rank is not None and e.shape[0] is not None:
            return e.shape[0]
    if not (_active and _state.graphs):
        return int(flat[0].shape[0])
    return array_ops.shape(flat[0])[0]


def _spec_of(leaf, api: str):
    """(dtype, shape) of one leaf of fn_output_signature."""
    if hasattr(leaf, "dtype") and hasattr(leaf, "shape") and not isinstance(leaf, Tensor):
        return _dtypes.as_dtype(leaf.dtype), as_shape(leaf.shape)  # a TensorSpec
    try:
        return _dtypes.as_dtype(leaf), TensorShape(None)
    except TypeError:
        raise TypeError(f"{api}: fn_output_signature must be a tf.DType, a tf.TensorSpec or "
                        f"a nested structure of them, got {leaf!r}.\nhint: e.g. "
                        f"fn_output_signature=tf.float32.") from None


def _result_leaves(result, structure, specs: list, api: str) -> list:
    """fn's result as a flat list of tensors, checked against the expected structure and
    dtypes."""
    try:
        nest.assert_same_structure(structure, result, check_types=False)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{api}: fn returned a value whose structure differs from the "
                         f"expected output structure: {exc}\nhint: pass fn_output_signature= "
                         f"with the structure fn returns (by default it is that of "
                         f"elems).") from None
    out = []
    for value, (dtype, _) in zip(nest.flatten(result), specs):
        t = to_tensor(value) if isinstance(value, Tensor) or hasattr(value, "_is_variable") \
            else to_tensor(value, dtype=dtype)
        if t.dtype is not dtype:
            raise InvalidArgumentError(
                None, "TensorListSetItem",
                f"{api}: TensorArray dtype is {dtype.name} but Op is trying to write dtype "
                f"{t.dtype.name}: fn returned a {t.dtype.name} tensor where {dtype.name} was "
                f"expected.\nhint: pass fn_output_signature=tf.{t.dtype.name} (by default "
                f"the output dtypes are those of elems), or tf.cast the result.")
        out.append(t)
    return out


def _empty(dtype, shape: TensorShape):
    dims = [0] + (shape.as_list() if shape.is_fully_defined() else [])
    return array_ops.zeros(dims, dtype=dtype)


def _input_arrays(flat: list, n) -> list:
    """TensorArrays holding the slices of each tensor of elems (read inside the loop)."""
    return [TensorArray(e.dtype, size=n, element_shape=e.shape[1:] if e.shape.rank is not None
                        else None).unstack(e) for e in flat]


# -- map_fn --------------------------------------------------------------------------------
def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True, swap_memory=False,
           infer_shape=True, name=None, fn_output_signature=None):
    """Applies `fn` to each slice of `elems` along axis 0 and stacks the results
    (`tf.map_fn`).

    `elems` may be a nested structure of tensors with one common first dimension; `fn`
    receives slices in that structure. By default `fn` must return the structure and dtypes
    of `elems`; otherwise say what it returns with `fn_output_signature` (a `tf.DType`,
    `tf.TensorSpec` or nested structure of them; `dtype` is the older name).

    >>> tf.map_fn(lambda row: tf.reduce_sum(row), tf.constant([[1, 2], [3, 4]])).numpy()
    array([3, 7], dtype=int32)
    """
    api = "tf.map_fn"
    _check_fn(fn, api)
    flat = _flat_elems(elems, api)
    signature = fn_output_signature if fn_output_signature is not None else dtype
    if signature is None:
        structure = elems  # fn may change the shapes, not the dtypes
        specs = [(e.dtype, TensorShape(None)) for e in flat]
    else:
        structure = signature
        specs = [_spec_of(leaf, api) for leaf in nest.flatten(signature)]
    if not (_active and _state.graphs):
        outs = _eager_map(fn, elems, flat, structure, specs, api)
    else:
        outs = _graph_map(fn, elems, flat, structure, specs, api)
    return nest.pack_sequence_as(structure, outs)


def _eager_map(fn, elems, flat: list, structure, specs: list, api: str) -> list:
    n = int(flat[0].shape[0])
    if n == 0:
        return [_empty(d, s) for d, s in specs]
    slices = [manip_ops.unstack(e, num=n) for e in flat]
    results = [_result_leaves(fn(nest.pack_sequence_as(elems, [s[i] for s in slices])),
                              structure, specs, api) for i in range(n)]
    return [manip_ops.stack(list(column)) for column in zip(*results)]


def _graph_map(fn, elems, flat: list, structure, specs: list, api: str) -> list:
    n = _static_length(flat)
    inputs = _input_arrays(flat, n)
    outputs = [TensorArray(d, size=n, element_shape=s if s.is_fully_defined() else None)
               for d, s in specs]
    traced = []  # the shapes fn returned while the body was traced

    def body(i, *tas):
        x = nest.pack_sequence_as(elems, [ta.read(i) for ta in inputs])
        values = _result_leaves(fn(x), structure, specs, api)
        traced[:] = [v.shape for v in values]
        return (i + 1, *[ta.write(i, v) for ta, v in zip(tas, values)])

    _, *tas = while_loop(lambda i, *tas: i < n, body, (0, *outputs), name="map")
    return [_with_static_shape(ta.stack(), n, s) for ta, s in zip(tas, traced)]


def _with_static_shape(t, n, elem: TensorShape):
    """`t` with the static shape [n, *elem] merged in (what the loop body showed)."""
    lead = n if isinstance(n, int) else None
    if elem.rank is not None and hasattr(t, "set_shape"):
        shape = TensorShape([lead]).concatenate(elem)
        if t.shape.is_compatible_with(shape):
            t.set_shape(shape)
    return t


# -- scan and folds ------------------------------------------------------------------------
def _fold(fn, elems, initializer, reverse: bool, keep_all: bool, api: str):
    """The loop behind scan (keep_all: every accumulator, stacked) and foldl/foldr (the last
    accumulator)."""
    _check_fn(fn, api)
    flat = _flat_elems(elems, api)
    if not (_active and _state.graphs):
        return _eager_fold(fn, elems, flat, initializer, reverse, keep_all, api)
    return _graph_fold(fn, elems, flat, initializer, reverse, keep_all, api)


def _acc_leaves(result, structure, specs: list, api: str) -> list:
    try:
        nest.assert_same_structure(structure, result, check_types=False)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{api}: fn must return a value of the structure of the accumulator "
                         f"({exc}).\nhint: return the new accumulator, in the structure of "
                         f"initializer (or of elems when there is no initializer).") from None
    out = []
    for value, (dtype, _) in zip(nest.flatten(result), specs):
        t = to_tensor(value) if isinstance(value, Tensor) or hasattr(value, "_is_variable") \
            else to_tensor(value, dtype=dtype)
        if t.dtype is not dtype:
            raise TypeError(f"{api}: the accumulator enters the loop with type {dtype.name} "
                            f"but fn returned type {t.dtype.name}; its type should remain "
                            f"constant.\nhint: tf.cast fn's result to tf.{dtype.name}, or "
                            f"start from an initializer of dtype {t.dtype.name}.")
        out.append(t)
    return out


def _eager_fold(fn, elems, flat, initializer, reverse, keep_all, api):
    n = int(flat[0].shape[0])
    slices = [manip_ops.unstack(e, num=n) for e in flat] if n else [[] for _ in flat]
    order = list(range(n - 1, -1, -1)) if reverse else list(range(n))

    def elem(i):
        return nest.pack_sequence_as(elems, [s[i] for s in slices])

    if initializer is None:
        if n == 0:
            raise OutOfRangeError(None, "TensorListGetItem",
                                  f"{api}: Tried to read from index 0 but array size is: 0 "
                                  f"(elems is empty and there is no initializer).\nhint: pass "
                                  f"an initializer for sequences that may be empty.")
        structure = elems
        acc = _acc_leaves(elem(order[0]), structure, [(t.dtype, None) for t in flat], api)
        order = order[1:]
    else:
        structure = initializer
        acc = [to_tensor(a) for a in nest.flatten(initializer)]
    specs = [(a.dtype, a.shape) for a in acc]
    history = [acc]
    for i in order:
        acc = _acc_leaves(fn(nest.pack_sequence_as(structure, acc), elem(i)), structure, specs,
                          api)
        history.append(acc)
    if not keep_all:
        return nest.pack_sequence_as(structure, acc)
    if initializer is not None:
        history = history[1:]
    if reverse:
        history = history[::-1]
    if not history:
        return nest.pack_sequence_as(structure, [_empty(d, s) for d, s in specs])
    return nest.pack_sequence_as(structure,
                                 [manip_ops.stack(list(col)) for col in zip(*history)])


def _graph_fold(fn, elems, flat, initializer, reverse, keep_all, api):
    n = _static_length(flat)
    inputs = _input_arrays(flat, n)

    def elem(i):
        return nest.pack_sequence_as(elems, [ta.read(i) for ta in inputs])

    last = n - 1
    if initializer is None:
        structure = elems
        acc = [ta.read(last if reverse else 0) for ta in inputs]
        start = 1
    else:
        structure = initializer
        acc = [to_tensor(a) for a in nest.flatten(initializer)]
        start = 0
    specs = [(a.dtype, a.shape) for a in acc]
    outputs = []
    if keep_all:
        outputs = [TensorArray(a.dtype, size=n, element_shape=a.shape
                               if a.shape.is_fully_defined() else None) for a in acc]
        if initializer is None:
            outputs = [ta.write(last if reverse else 0, a) for ta, a in zip(outputs, acc)]
    k = len(acc)

    def body(step, *state):
        i = last - step if reverse else step
        acc = _acc_leaves(fn(nest.pack_sequence_as(structure, list(state[:k])), elem(i)),
                          structure, specs, api)
        tas = [ta.write(i, a) for ta, a in zip(state[k:], acc)]
        return (step + 1, *acc, *tas)

    _, *state = while_loop(lambda step, *state: step < n, body, (start, *acc, *outputs),
                           name="scan" if keep_all else "fold")
    if not keep_all:
        return nest.pack_sequence_as(structure, state[:k])
    return nest.pack_sequence_as(
        structure, [_with_static_shape(ta.stack(), n, s) for ta, (_, s) in zip(state[k:], specs)])


def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False,
         infer_shape=True, reverse=False, name=None):
    """The successive accumulators `a = fn(a, x)` over the slices `x` of `elems` along axis 0,
    stacked (`tf.scan`).

    Without `initializer` the first slice is the first accumulator (and the first output).
    `reverse=True` runs from the last slice; outputs stay aligned with `elems`.

    >>> tf.scan(lambda a, x: a + x, tf.constant([1, 2, 3, 4])).numpy()
    array([ 1,  3,  6, 10], dtype=int32)
    """
    return _fold(fn, elems, initializer, bool(reverse), True, "tf.scan")


def foldl(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """`fn(...fn(fn(initializer, x[0]), x[1])..., x[n-1])` over the slices of `elems` along
    axis 0 (`tf.foldl`); without `initializer`, `x[0]` starts.

    >>> float(tf.foldl(lambda a, x: a * 10 + x, tf.constant([1., 2., 3.])))
    123.0
    """
    return _fold(fn, elems, initializer, False, False, "tf.foldl")


def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """Like `foldl`, from the last slice to the first (`tf.foldr`).

    >>> float(tf.foldr(lambda a, x: a * 10 + x, tf.constant([1., 2., 3.])))
    321.0
    """
    return _fold(fn, elems, initializer, True, False, "tf.foldr")


# -- vectorized_map --------------------------------------------------------------------------
def vectorized_map(fn, elems, fallback_to_while_loop=True, warn=True):
    """`fn` applied to every slice of `elems` along axis 0, results stacked
    (`tf.vectorized_map`); unlike `map_fn` the output structure and dtypes are whatever `fn`
    returns.

    `fn` is traced once and its graph run over the whole batch (`rill.ops.vectorize`): each
    op by its batching rule, an op without one once per slice (TensorFlow's while-loop
    fallback; with `fallback_to_while_loop=False` that raises `ValueError`, and `warn` logs
    it). A function that cannot be traced (Python control flow on a tensor) or has effects
    (variable updates, prints) runs as a loop over the slices, as does a batch of unknown size.

    >>> tf.vectorized_map(lambda r: r * 2, tf.constant([[1, 2], [3, 4]])).numpy()
    array([[2, 4],
           [6, 8]], dtype=int32)
    """
    api = "tf.vectorized_map"
    _check_fn(fn, api)
    flat = _flat_elems(elems, api)
    n = _static_length(flat)
    if type(n) is int and n > 0:
        out = vectorize.vectorized_map(fn, flat, elems, n, fallback_to_while_loop, warn)
        if out is not NotImplemented:
            return out
    return _loop_map(fn, elems, flat, api)


def _loop_map(fn, elems, flat: list, api: str):
    """vectorized_map as a loop over the slices."""
    slices_spec = [(e.shape[1:] if e.shape.rank is not None else TensorShape(None), e.dtype)
                   for e in flat]
    if not (_active and _state.graphs):
        n = int(flat[0].shape[0])
        if n == 0:  # the output structure is fn's: find it from one slice of zeros
            probe = [array_ops.zeros(s.as_list(), dtype=d) for s, d in slices_spec]
            result = fn(nest.pack_sequence_as(elems, probe))
            return nest.map_structure(lambda r: _empty(to_tensor(r).dtype, to_tensor(r).shape),
                                      result)
        slices = [manip_ops.unstack(e, num=n) for e in flat]
        results = [fn(nest.pack_sequence_as(elems, [s[i] for s in slices])) for i in range(n)]
        first = results[0]
        columns = [[to_tensor(x) for x in nest.flatten(r)] for r in results]
        return nest.pack_sequence_as(first, [manip_ops.stack(list(c)) for c in zip(*columns)])
    from rill.function.signature import TensorSpec
    from rill.ops._subgraph import trace

    # the output structure is what fn returns: trace it once on a slice (in a throwaway
    # graph) to learn it, then loop as map_fn does
    _, result = trace(lambda *xs: fn(nest.pack_sequence_as(elems, list(xs))),
                      [(s, d) for s, d in slices_spec], "vectorized_map_probe")
    signature = nest.map_structure(
        lambda r: TensorSpec(to_tensor(r).shape, to_tensor(r).dtype), result)
    return map_fn(fn, elems, fn_output_signature=signature)


__tf_names__ = {"tf": "foldl foldr map_fn scan vectorized_map"}
