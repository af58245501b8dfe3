"""The op registry and the one dispatch point every op goes through.

An op is declared once with `defop`: its TensorFlow type name, a NumPy kernel, a shape/dtype
rule and a gradient. `execute` hands it to whatever is active: the kernel now (eager; the op
is recorded on every tape that watches an input) or a new node of the graph being traced.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rill._core import context as _context
from rill._core.errors import InvalidArgumentError, OpError
from rill._core.tensor import EagerTensor

_new = object.__new__
_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)


class _MissingGradient:
    def __repr__(self):
        return "<no gradient registered>"


MISSING_GRADIENT = _MissingGradient()


class OpDef:
    """One op: TensorFlow type name, kernel, shape/dtype rule and gradient.

    kernel(*arrays, **attrs) -> array | tuple of arrays
        Computes on NumPy arrays (or NumPy scalars for rank 0).
    rule(*inputs, **attrs) -> (shape, dtype) | list of (shape, dtype)
        Computes output specs from the inputs' static `.shape` and `.dtype` (inputs may be
        eager or symbolic tensors; `rill._core.graph.constant_value` reads known values).
    grad(op, *output_grads) -> tuple of input gradients (Tensor | None)
        The vector-Jacobian product, written with rill ops so it can itself be
        differentiated. `op` has `.inputs`, `.outputs`, `.attrs` and `get_attr(name)`.
        `None` declares the op non-differentiable.
    numpy_grad(x, y, dy, reach) -> (gx, gy) NumPy values (or None each) | None
        Optional, for a few hot binary ops: `grad` on NumPy values (`x`, `y` the input
        tensors, `dy` the output gradient's value), which the backward pass uses while
        nothing is active (no tape records it, no hook, no graph). `reach` holds the ids of
        the inputs that need a gradient. It returns None where it defers to `grad` (other
        dtypes, say); registry tests check both.
    """

    __slots__ = ("name", "kernel", "rule", "grad", "num_outputs", "stateful", "public_name",
                 "numpy_grad", "__dict__")

    def __init__(self, name: str, kernel: Callable, rule: Callable, grad=MISSING_GRADIENT,
                 num_outputs: int | None = 1, stateful: bool = False,
                 public_name: str | None = None, numpy_grad: Callable | None = None):
        # num_outputs None: the kernel returns a tuple whose length depends on the attributes
        self.name = name
        self.kernel = kernel
        self.rule = rule
        self.grad = grad
        self.num_outputs = num_outputs
        self.stateful = stateful
        self.public_name = public_name or name
        self.numpy_grad = numpy_grad

    @property
    def differentiable(self) -> bool:
        return self.grad is not None

    def __repr__(self) -> str:
        return f"<OpDef {self.name}>"


REGISTRY: dict[str, OpDef] = {}

# The ops `_core` runs without defining them (the tape sums and seeds gradients, stacks
# Jacobian rows, reads variables in graphs). `_core` never imports `rill.ops`: it names the
# ops here, and `defop` fills `core_ops` as their modules declare them on `import rill`.
CORE_OP_NAMES = frozenset(("AddN", "GatherV2", "Identity", "OnesLike", "Pack",
                           "ReadVariableOp", "Reshape", "ZerosLike"))


class _CoreOps:
    """`core_ops.AddN` etc.: the OpDefs of `CORE_OP_NAMES`, set by `defop`."""

    def __getattr__(self, name: str):
        if name in CORE_OP_NAMES:
            raise RuntimeError(
                f"rill._core needs the op {name!r}, which is declared in rill.ops, but no "
                f"module has declared it yet.\nhint: import rill (which imports rill.ops) "
                f"instead of importing rill._core modules alone.")
        raise AttributeError(f"{name!r} is not one of the ops rill._core needs "
                             f"({', '.join(sorted(CORE_OP_NAMES))})")


core_ops = _CoreOps()


def defop(name: str, kernel: Callable, rule: Callable, grad=MISSING_GRADIENT,
          num_outputs: int = 1, stateful: bool = False, public_name: str | None = None,
          numpy_grad: Callable | None = None) -> OpDef:
    """Declares an op and adds it to the registry. Names are unique.

    A gradient that runs the op itself (or a sibling declared later) names it through a
    closure or a module global, which is looked up when the gradient runs."""
    if name in REGISTRY:
        raise ValueError(f"op {name!r} is already registered")
    opdef = OpDef(name, kernel, rule, grad, num_outputs, stateful, public_name, numpy_grad)
    REGISTRY[name] = opdef
    if name in CORE_OP_NAMES:
        setattr(core_ops, name, opdef)
    return opdef


class OpRecord:
    """What a tape keeps of one eager op execution; also what gradient functions receive."""

    __slots__ = ("opdef", "inputs", "attrs", "outputs", "reach")

    def __init__(self, opdef, inputs, attrs, outputs):
        self.opdef = opdef
        self.inputs = inputs
        self.attrs = attrs
        self.outputs = outputs
        self.reach = None  # set by the backward pass while it runs this op's gradient

    @property
    def type(self) -> str:
        return self.opdef.name

    def get_attr(self, name: str):
        return self.attrs[name]

    def needs_grad(self, i: int) -> bool:
        """Whether the running backward pass wants the gradient of input `i` (lets a
        gradient function skip work for constant inputs, e.g. the exponent of `x ** 2`)."""
        reach = self.reach
        if reach is None:
            backward_reach = _state.backward_reach
            reach = backward_reach[-1] if backward_reach else None
        return reach is None or id(self.inputs[i]) in reach


_EMPTY: dict = {}


def execute(opdef: OpDef, inputs: tuple, attrs: dict = _EMPTY):
    """Runs or traces one op on already-converted input tensors.

    Returns one tensor, or a tuple of tensors when the op has several outputs.
    """
    if _active:  # one thread-local lookup for the three lists
        graphs, tapes, hooks = _state.lists
        if graphs:
            return graphs[-1].create_op(opdef, inputs, attrs)
    else:
        tapes = hooks = None
    try:
        if len(inputs) == 2:  # the common case, without a comprehension
            a, b = inputs
            vals = (a._value, b._value)
        else:
            vals = [x._value for x in inputs]
    except AttributeError:
        graph = _open_graph(inputs)
        if graph is None:
            raise _symbolic_outside_graph(opdef, inputs) from None
        return graph.create_op(opdef, inputs, attrs)
    try:
        out = opdef.kernel(*vals, **attrs)
    except OpError:
        raise
    except Exception as exc:  # kernels raise NumPy's errors; users get TensorFlow's types
        if not isinstance(exc, FP_WARNINGS):
            raise kernel_error(opdef, inputs, attrs, exc) from exc
        # a warning made an error: kernels with effects (control flow) run their graphs
        # quietly, others fail before any effect, so running again is safe
        out = _quiet_rerun(opdef, vals, inputs, attrs)
    if opdef.num_outputs == 1:
        result = _new(EagerTensor)
        result._value = out
        outputs = (result,)
    else:
        outputs = tuple(_wrap_out(o) for o in out)
        result = outputs
    if tapes or hooks:
        emit(opdef, inputs, attrs, outputs, tapes, hooks)
    return result


def emit(opdef: OpDef, inputs: tuple, attrs: dict, outputs: tuple, tapes, hooks) -> None:
    """What follows an eager kernel while a tape or a hook is active: the record on every
    tape that watches an input, then the op hooks. `execute` ends so, and so do the public
    functions' eager fast paths (`rill.ops._util`), which skip `execute`'s argument checks:
    with nothing active they return the kernel's result as it is, so every op that tapes
    and hooks could see reaches them."""
    if tapes:
        record(opdef, inputs, attrs, outputs, tapes)
    if hooks:
        for hook in tuple(hooks):
            hook(opdef, inputs, attrs, outputs)


# NumPy warns (RuntimeWarning) where TensorFlow's kernels return inf and nan silently; under
# `-W error` the warning is an exception. `quiet` runs a kernel with NumPy's floating-point
# errors ignored (set through NumPy 2's context variable: about 0.2 us, np.errstate takes
# 1 us), and `execute` reruns a kernel quietly when such a warning was raised, which costs
# nothing when none is.
FP_WARNINGS = (RuntimeWarning, FloatingPointError)
try:
    from numpy._core._multiarray_umath import _extobj_contextvar as _fp_var
    with np.errstate(all="ignore"):
        _FP_IGNORE = _fp_var.get()
except ImportError:  # NumPy 1.x
    _fp_var = None


def quiet(fn: Callable) -> Callable:
    """`fn` run with NumPy's floating-point warnings off (overflow to inf, 0/0, log(0)...),
    whatever the warning filters: as TensorFlow's kernels, it returns inf and nan silently."""
    if _fp_var is not None:
        def run(*args, **kwargs):
            token = _fp_var.set(_FP_IGNORE)
            try:
                return fn(*args, **kwargs)
            finally:
                _fp_var.reset(token)
    else:
        def run(*args, **kwargs):
            with np.errstate(all="ignore"):
                return fn(*args, **kwargs)
    run.__name__ = getattr(fn, "__name__", "kernel")
    run.quiet_of = fn  # compiled graphs call fn itself inside one quiet region
    return run


def _quiet_rerun(opdef: OpDef, vals, inputs: tuple, attrs: dict):
    try:
        return quiet(opdef.kernel)(*vals, **attrs)
    except OpError:
        raise
    except Exception as exc:
        raise kernel_error(opdef, inputs, attrs, exc) from exc


def _wrap_out(value):
    t = _new(EagerTensor)
    t._value = value
    return t


def record(opdef: OpDef, inputs: tuple, attrs: dict, outputs: tuple, tapes=None) -> None:
    """Records an executed op on every active tape (of this thread, or `tapes`) that watches
    one of its inputs."""
    if tapes is None:
        tapes = _state.tapes
    if len(tapes) == 1 and len(outputs) == 1:  # the common case, without the inner loops
        tape = tapes[0]
        ids = tape._ids
        for x in inputs:
            if id(x) in ids:
                tape._records.append(OpRecord(opdef, inputs, attrs, outputs))
                ids.add(id(outputs[0]))
                return
        return
    rec = None
    for tape in tapes:
        ids = tape._ids
        for x in inputs:
            if id(x) in ids:
                break
        else:
            continue
        if rec is None:
            rec = OpRecord(opdef, inputs, attrs, outputs)
        tape._records.append(rec)
        for o in outputs:
            ids.add(id(o))


def kernel_error(opdef: OpDef, inputs: tuple, attrs: dict, exc: Exception) -> OpError:
    """Turns a NumPy exception raised inside a kernel into an InvalidArgumentError."""
    if isinstance(exc, ValueError) and "could not be broadcast" in str(exc):
        return _broadcast_error(opdef, inputs)
    shapes = ", ".join(f"{tuple(x._value.shape)} {x.dtype.name}" for x in inputs
                       if isinstance(x, EagerTensor))
    attr_text = f" with {attrs}" if attrs else ""
    return InvalidArgumentError(
        None, opdef.name,
        f"{opdef.public_name} (op {opdef.name}) failed on inputs [{shapes}]{attr_text}: "
        f"{type(exc).__name__}: {exc} [Op:{opdef.name}]\n"
        f"hint: check the shapes and values of the arguments of {opdef.public_name}.")


def _broadcast_error(opdef: OpDef, inputs: tuple) -> OpError:
    """TensorFlow's message for operands that do not broadcast, naming the first pair."""
    shapes = [tuple(np.shape(x._value)) for x in inputs if isinstance(x, EagerTensor)]
    a, b = shapes[0], shapes[-1]
    for i in range(len(shapes)):
        for j in range(i + 1, len(shapes)):
            try:
                np.broadcast_shapes(shapes[i], shapes[j])
            except ValueError:
                a, b = shapes[i], shapes[j]
                break
        else:
            continue
        break
    text = lambda s: "[" + ",".join(map(str, s)) + "]"  # noqa: E731
    return InvalidArgumentError(
        None, opdef.name,
        f"Incompatible shapes: {text(a)} vs. {text(b)} [Op:{opdef.name}]\n"
        f"{opdef.public_name}: shapes {a} and {b} cannot be broadcast together.\n"
        f"hint: broadcasting matches dimensions from the last one, and each pair must be equal "
        f"or 1: reshape one side or add an axis (tf.expand_dims, x[:, None]).")


def _open_graph(inputs: tuple):
    """The graph of a symbolic input whose graph takes ops outside of tracing, if any.

    This is the seam Keras' functional API builds on: `keras.Input` makes placeholders of a
    graph with `open_for_ops = True`, so `tf.concat([a, b], 1)` or `a * 2` on them, outside
    any `tf.function`, adds a node there (as TensorFlow dispatches ops on KerasTensors).
    """
    for x in inputs:
        graph = getattr(getattr(x, "op", None), "graph", None)
        if getattr(graph, "open_for_ops", False):
            return graph
    return None


def _symbolic_outside_graph(opdef: OpDef, inputs: tuple) -> Exception:
    from rill._core.errors import InvalidArgumentError as _E
    return _E(None, opdef.name,
              f"{opdef.public_name} (op {opdef.name}) got a symbolic tensor from a traced "
              f"tf.function graph outside of that function.\n"
              f"hint: return the tensor from the tf.function instead of storing it in a "
              f"Python variable during tracing.")
