"""The tracing protocol for user classes: `tf.types.experimental.TraceType`.

An argument whose class defines `__tf_tracing_type__(context)` is keyed, in the cache of
traced graphs, by the TraceType that method returns: calls whose trace types are equal reuse
one graph, and a call whose type `is_subtype_of` a traced one reuses that graph too. The
function is traced with the type's `placeholder_value(...)` in place of the argument (the
object itself when the type does not give one). With `reduce_retracing=True`, a new type is
relaxed to `most_specific_common_supertype` of it and the previous one when that exists.
"""

from __future__ import annotations

import abc


class TraceType(abc.ABC):
    """The type of a value as tf.function's tracing sees it (TensorFlow's TraceType).

    Subclasses define `is_subtype_of`, `most_specific_common_supertype`,
    `placeholder_value`, `__eq__` and `__hash__`.

    >>> class Kind(tf.types.experimental.TraceType):
    ...     def __init__(self, kind): self.kind = kind
    ...     def is_subtype_of(self, other): return self == other
    ...     def most_specific_common_supertype(self, others):
    ...         return self if all(self == o for o in others) else None
    ...     def placeholder_value(self, placeholder_context=None): return self.kind
    ...     def __eq__(self, other): return isinstance(other, Kind) and self.kind == other.kind
    ...     def __hash__(self): return hash(self.kind)
    >>> class Fruit:
    ...     def __init__(self, kind): self.kind = kind
    ...     def __tf_tracing_type__(self, context): return Kind(self.kind)
    >>> f = tf.function(lambda fruit, x: x * (2.0 if fruit == "apple" else 3.0))
    >>> float(f(Fruit("apple"), tf.constant(1.0)))  # traced with the placeholder "apple"
    2.0
    >>> _ = f(Fruit("apple"), tf.constant(1.0)); f.experimental_get_tracing_count()
    1
    """

    @abc.abstractmethod
    def is_subtype_of(self, other: TraceType) -> bool:
        """Whether a graph traced for `other` also serves values of this type."""

    @abc.abstractmethod
    def most_specific_common_supertype(self, others) -> TraceType | None:
        """The narrowest type that this one and all `others` are subtypes of, or None."""

    @abc.abstractmethod
    def placeholder_value(self, placeholder_context=None):
        """The value the function is traced with for arguments of this type."""

    def to_tensors(self, value) -> list:
        """The tensors of `value` that the graph takes as inputs (none by default)."""
        return []

    def from_tensors(self, tensors):
        return self.placeholder_value(None)

    def flatten(self) -> list:
        return []

    def cast(self, value, cast_context=None):
        return value

    @abc.abstractmethod
    def __eq__(self, other) -> bool:
        """Equal trace types share traced graphs."""

    @abc.abstractmethod
    def __hash__(self) -> int:
        """Consistent with __eq__."""


class TracingContext:
    """What `__tf_tracing_type__(context)` receives (TensorFlow's TracingContext)."""


class PlaceholderContext:
    """What `placeholder_value(placeholder_context)` receives."""


_TRACING = TracingContext()
_PLACEHOLDER = PlaceholderContext()


def trace_type_of(value):
    """The TraceType of a value whose class defines `__tf_tracing_type__`, else None."""
    method = getattr(type(value), "__tf_tracing_type__", None)
    if method is None:
        return None
    return method(value, _TRACING)


def placeholder(value):
    """What the traced function receives in place of `value`."""
    tt = trace_type_of(value)
    if tt is None:
        return value
    try:
        return tt.placeholder_value(_PLACEHOLDER)
    except NotImplementedError:
        return value
