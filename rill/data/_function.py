"""User functions of transformations (map, filter, scan, ...): traced once into a graph.

As in TensorFlow, the function is converted by autograph and traced with tf.function over
the input's element_spec, so Python side effects run once, at `Dataset.map` time; each
element then runs the compiled graph on NumPy values (no tensor objects, no dispatch), which
is also what lets worker threads run it in parallel. If tracing fails (code that needs
values, such as `.numpy()`), rill warns and runs the function eagerly on every element
instead; its output structure is then learned from the first element.
"""

from __future__ import annotations

import warnings

from rill._core.tensor_shape import TensorShape
from rill.data import _composite as _C
from rill.data import _structure as S
from rill.function.function import Function
from rill.function.signature import TensorSpec
from rill.ops.ragged.ragged_tensor import RaggedTensorSpec


def _name(fn) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


def _converted(fn):
    """`fn` converted by autograph (as written when it cannot be converted)."""
    try:
        from rill.function.autograph import convert
        return convert(fn)
    except Exception:  # noqa: BLE001 - lambdas without source, builtins, ...
        return fn


def _listless(out):
    """Lists returned by a function are tuples of components, as in TensorFlow."""
    if isinstance(out, list):
        return tuple(_listless(x) for x in out)
    if isinstance(out, tuple) and not hasattr(type(out), "_fields"):
        return tuple(_listless(x) for x in out)
    if isinstance(out, dict):
        return {k: _listless(v) for k, v in out.items()}
    return out


class StructuredFunction:
    """`fn` over elements of `in_structure`: `self(flat values) -> flat values`, and
    `out_structure`, the spec structure of its results.

    A tuple element is passed as positional arguments (`fn(*element)`), anything else as
    one argument, as TensorFlow does.
    """

    def __init__(self, fn, in_structure, what: str, trace: bool = True):
        if not callable(fn):
            raise TypeError(f"{what}: expected a callable, got {fn!r}.")
        self.fn = fn
        self.what = what
        self.in_structure = in_structure
        self._unpack = type(in_structure) is tuple
        self._lazy_input = None  # for the eager fallback: a dataset giving a first element
        self.traced = False
        self.out_structure = None
        # rows of 2-D ragged tensors are dense tensors: traced as such; other ragged and
        # sparse elements run the function eagerly (composite values are not carried
        # through traced dataset functions yet)
        if trace and all(isinstance(s, TensorSpec) or _C.is_dense_like(s)
                         for s in S.flatten(in_structure)):
            self._trace()
        if not self.traced:
            self.call = self._eager

    def _user_call(self, args):
        if self._unpack:
            return self._converted(*args)
        return self._converted(args)

    def _trace(self) -> None:
        specs = [TensorSpec(s.shape, s.dtype) for s in S.flatten(self.in_structure)]
        self._converted = _converted(self.fn)
        structure = self.in_structure

        def flat_fn(*flat):
            return _listless(self._user_call(S.pack(structure, flat)))
        try:
            cf = Function(flat_fn, name=_name(self.fn), autograph=False) \
                .get_concrete_function(*specs)
        except Exception as exc:  # noqa: BLE001 - any failure: run eagerly instead
            warnings.warn(
                f"{self.what}: could not trace {_name(self.fn)} into a graph "
                f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                f"running it eagerly on every element, so its Python side effects run for "
                f"each element.\nhint: use tensor ops only (tf.py_function for Python code) "
                f"to have it traced once.", stacklevel=4)
            self._converted = self.fn
            return
        out = cf.structured_outputs
        leaves = S.flatten(out)
        if any(x is None for x in leaves):
            raise TypeError(f"{self.what}: {_name(self.fn)} returned None (in {out!r}); it "
                            f"must return tensors.\nhint: add a `return`.")
        self.out_structure = S.map_structure(
            lambda t: _unsized(_C.spec_of(t)) if isinstance(t, _C.COMPOSITE_VALUES)
            else TensorSpec(t.shape, t.dtype), out)
        run, slots = cf._run, cf._out_slots
        if slots == list(range(len(slots))):
            self.call = run
        else:
            self.call = lambda *values: (lambda o: tuple(o[i] for i in slots))(run(*values))
        if any(isinstance(t, _C.COMPOSITE_VALUES) for t in leaves):
            self.call = _regrouping(self.call, leaves, S.flatten(self.out_structure))
        self.traced = True
        self._cf = cf

    def _eager(self, *values):
        args = S.pack(self.in_structure, [S._wrap(v) if isinstance(s, TensorSpec) or
                                          _C.is_dense_like(s) else v
                                          for s, v in zip(S.flatten(self.in_structure),
                                                          values)])
        out = _listless(self.fn(*args) if self._unpack else self.fn(args))
        flat = tuple(S.to_value(x, self.what) for x in S.flatten(out))
        if self.out_structure is None:
            self.out_structure = S.pack(out, [_unsized(S.leaf_spec(v)) for v in flat])
        return flat

    def output_structure(self, input_dataset):
        """The output spec structure (for an eager fallback: run on the first element)."""
        if self.out_structure is None:
            for x in input_dataset._iterate(_first_context(input_dataset)):
                if type(x) is S.Error:
                    x.raise_()
                self._eager(*x)
                break
            else:
                raise ValueError(f"{self.what}: cannot tell the element_spec of an eagerly run "
                                 f"function over an empty dataset.\nhint: make the function "
                                 f"traceable.")
        return self.out_structure


def _regrouping(call, leaves, specs):
    """`call` (flat component values) -> flat leaf values, ragged and sparse results made
    from their components (a 1-D "ragged" result of ragged_rank 0 stays an array)."""
    sizes = [len(t._rill_components()) if isinstance(t, _C.COMPOSITE_VALUES) else 0
             for t in leaves]

    def regrouped(*values):
        flat, i, out = call(*values), 0, []
        for t, n in zip(leaves, sizes):
            if n:
                out.append(t._rill_with_components([S._wrap(c) for c in flat[i:i + n]]))
                i += n
            else:
                out.append(flat[i])
                i += 1
        return tuple(out)
    return regrouped


def _unsized(spec):
    """A ragged result's spec without its row count (TensorFlow's traced shape)."""
    if isinstance(spec, RaggedTensorSpec) and spec.shape.rank:
        return RaggedTensorSpec(TensorShape([None]).concatenate(spec.shape[1:]), spec.dtype,
                                spec.ragged_rank, spec.row_splits_dtype)
    return spec


def _first_context(ds):
    from rill.data.iterators import Context
    return Context(ds)
