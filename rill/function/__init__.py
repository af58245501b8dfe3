"""`tf.function` and its parts: tracing, the trace cache, optimization, code generation.

Import submodules with `from rill.function import codegen` (not `import rill.function.x as
y`): `rill.function` in the `rill` namespace is the `tf.function` decorator itself.
"""

from rill.function.concrete import ConcreteFunction
from rill.function.function import Function, function
from rill.function.retrace import RetracingWarning
from rill.function.signature import TensorSpec
