"""Composite tensors (`tf.RaggedTensor`, `tf.SparseTensor`): the base class and the dispatch
of public ops on them.

A composite tensor is a value made of several tensors (its components). The engine knows
only this much of them:

- `convert_to_tensor` refuses one with `CompositeTensorError` (TensorFlow's ValueError), so
  ops that never heard of ragged or sparse tensors fail as in TensorFlow;
- an op that TensorFlow dispatches on composites catches that error where its conversion
  fails (so the dense path costs nothing) and calls `dispatch(api, args, kwargs)`, which asks
  the composite's class for its own version (`_rill_dispatch`);
- `tf.function`, `tf.nest` (`expand_composites=True`) and control flow see it through
  `_rill_components()` / `_rill_with_components(components)`;
- a tape differentiates the one tensor `_rill_gradient_tensor()` gives (a ragged tensor's
  flat_values) and returns `_rill_with_gradient(g)`.
"""

from __future__ import annotations


class TypeSpec:
    """Base class of the specs that describe values (`tf.TypeSpec`): TensorSpec and the specs
    of composite tensors and TensorArrays. A spec equals another of its class with the same
    `_key()`, and hashes by it; `shape` and `dtype` read `_shape` and `_dtype`."""

    __slots__ = ()

    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    def _key(self) -> tuple:
        """What makes two specs of this class equal (hashable)."""
        raise NotImplementedError

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and self._key() == other._key()

    def __ne__(self, other) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self._key())


class CompositeTensor:
    """Base class of values made of tensors (`tf.__internal__.CompositeTensor`)."""

    __slots__ = ()

    def _rill_components(self) -> list:
        """The component tensors, in a fixed order."""
        raise NotImplementedError

    def _rill_with_components(self, components: list):
        """A value of the same kind and static structure made of `components`."""
        raise NotImplementedError

    def _rill_gradient_tensor(self):
        """The tensor a tape differentiates for this value (as a source or a target), or
        None when gradients do not reach it (TensorFlow's `__composite_gradient__`)."""
        return None

    def _rill_with_gradient(self, gradient):
        """The gradient for this value, from the gradient of `_rill_gradient_tensor()`."""
        raise NotImplementedError

    @classmethod
    def _rill_dispatch(cls, api: str, args: tuple, kwargs: dict, fn=None):
        """This class's version of the public op `api` (e.g. "tf.concat") called with
        `args`/`kwargs`, or NotImplemented. `fn` is the public function when the caller has
        it (elementwise ops)."""
        return NotImplemented


class CompositeTensorError(ValueError):
    """Raised by `convert_to_tensor` for a composite tensor (TensorFlow raises ValueError)."""

    def __init__(self, value):
        self.value = value
        kind = type(value).__name__
        super().__init__(
            f"Attempt to convert a value ({value!r}) with an unsupported type (<class "
            f"'{type(value).__module__}.{kind}'>) to a Tensor.\nA {kind} is made of several "
            f"tensors and has no single dense value.\nhint: convert it explicitly "
            f"({_HINTS.get(kind, 'see its to_tensor method')}), or use the tf.ragged/"
            f"tf.sparse version of the op.")


_HINTS = {"RaggedTensor": "rt.to_tensor()", "SparseTensor": "tf.sparse.to_dense(st)"}


def _composites(args: tuple, kwargs: dict) -> list:
    found = []
    for a in list(args) + list(kwargs.values()):
        if isinstance(a, CompositeTensor):
            found.append(a)
        elif isinstance(a, (list, tuple)):
            found.extend(x for x in a if isinstance(x, CompositeTensor))
    return found


def dispatch(api: str, args: tuple, kwargs: dict | None = None, fn=None):
    """Runs the composite version of the public op `api` on arguments among which one is a
    composite tensor; raises TensorFlow's error when no composite class implements it."""
    kwargs = kwargs or {}
    found = _composites(args, kwargs)
    for cls in dict.fromkeys(type(c) for c in found):
        out = cls._rill_dispatch(api, args, kwargs, fn)
        if out is not NotImplemented:
            return out
    if found:
        raise CompositeTensorError(found[0])
    raise TypeError(f"{api}: no composite tensor among the arguments.")


__tf_names__ = {"tf": "TypeSpec"}
