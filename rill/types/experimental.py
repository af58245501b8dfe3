"""`tf.types.experimental`: the tracing protocol of `tf.function` for user classes."""

from rill.function.concrete import ConcreteFunction
from rill.function.function import Function as PolymorphicFunction
from rill.function.trace_type import PlaceholderContext, TraceType, TracingContext

GenericFunction = PolymorphicFunction

__all__ = ["ConcreteFunction", "GenericFunction", "PlaceholderContext", "PolymorphicFunction",
           "TraceType", "TracingContext"]
