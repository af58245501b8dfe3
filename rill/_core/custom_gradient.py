"""`tf.custom_gradient` and `tf.recompute_grad`.

A function decorated with `custom_gradient` returns `(result, grad_fn)`. Its inner ops run
and are recorded as usual (so an outer tape can still differentiate what `grad_fn` computes
from them, for higher orders), but its results are fresh tensors produced by one recorded
`CustomGradient` op whose inputs are the arguments (and the variables read inside) and whose
gradient is `grad_fn`. Tapes therefore backpropagate through `grad_fn` and never see the
inner ops from the results' side. While a graph is traced, the results also pass through a
`CustomGradientIdentity` op of the graph (rill/ops/custom_gradient_ops.py, reached through
the `_graph_identity` hook) that carries `grad_fn` traced into a sub-graph, so a tape outside
the `tf.function` gets the custom gradient too.
"""

from __future__ import annotations

import functools

from rill._core import context as _context
from rill._core import nest
from rill._core.convert import convert_to_tensor
from rill._core.op import OpDef, core_ops, execute, record
from rill._core.tape import GradientTape, VariableWatcher, differentiable, zeros_like
from rill._core.tensor import EagerTensor, Tensor

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)
_new = object.__new__
# tf.function's AutoGraph leaves functions with this mark as they are (library code)
_DO_NOT_CONVERT = "__rill_do_not_convert__"
# set by rill.ops.custom_gradient_ops: puts the custom gradient into the graph being traced
_graph_identity = None


def _no_kernel(*args, **attrs):
    raise RuntimeError("the CustomGradient op is only recorded on tapes, never run")


def _rule(*inputs, specs, **attrs):
    return specs


def _grad(op, *dys):
    return op.attrs["grad_fn"](*dys)


# Recorded on tapes only (never executed nor added to a graph), so it is not registered.
CUSTOM_GRADIENT = OpDef("CustomGradient", _no_kernel, _rule, _grad, num_outputs=None,
                        public_name="tf.custom_gradient")


def _accepts_variables(fn) -> bool:
    try:
        import inspect  # lazily: it costs import time

        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.name == "variables" or p.kind is p.VAR_KEYWORD for p in params)


def _fresh(t):
    """A new tensor with the value of `t` (an identity that no tape records)."""
    if type(t) is EagerTensor:
        out = _new(EagerTensor)
        out._value = t._value
        return out
    saved = _state.tapes[:]
    _state.tapes.clear()
    try:
        return execute(core_ops.Identity, (t,))
    finally:
        _state.tapes[:] = saved


def _as_input(x):
    """An argument as the op input tapes see (arguments that are not tensors stay as they
    are: nothing watches them)."""
    if isinstance(x, Tensor):
        return x
    try:
        return convert_to_tensor(x)
    except (TypeError, ValueError):
        return x


def _call(f, args: tuple, kwargs: dict):
    with VariableWatcher() as watcher:
        result, grad_fn = f(*args, **kwargs)
    if not callable(grad_fn):
        raise TypeError(f"@tf.custom_gradient: {getattr(f, '__name__', f)!r} must return "
                        f"(result, grad_fn) with a callable grad_fn, got {grad_fn!r}.\nhint: "
                        f"return the result and the function that computes its gradients.")
    flat_args = nest.flatten(args)
    all_inputs = flat_args + nest.flatten(kwargs)
    variables = [v for v in watcher.variables.values()
                 if not any(v is x for x in all_inputs)]
    if variables and not _accepts_variables(grad_fn):
        raise TypeError(f"@tf.custom_gradient grad_fn must accept keyword argument "
                        f"'variables', since function uses variables: {variables}\nhint: "
                        f"define grad_fn(*upstream, variables=None) and return "
                        f"(input_grads, variable_grads).")
    flat_result = nest.flatten(result)
    inputs = tuple(_as_input(x) for x in flat_args) + tuple(variables)
    n_args = len(flat_args)
    name = getattr(f, "__name__", "custom_gradient")

    def actual_grad_fn(*dys):
        if any(d is None for d in dys):
            dys = [d if d is not None else zeros_like(o) for d, o in zip(dys, tensors_out)]
        if variables:
            got = grad_fn(*dys, variables=variables)
            if not isinstance(got, (tuple, list)) or len(got) != 2:
                raise ValueError(f"@tf.custom_gradient {name}: grad_fn must return "
                                 f"(input_grads, variable_grads) when the function uses "
                                 f"variables.\nhint: return a pair: the gradients of the "
                                 f"inputs and a list with one gradient per variable.")
            input_grads, variable_grads = got
            variable_grads = list(nest.flatten(variable_grads))
            if len(variable_grads) != len(variables):
                raise ValueError("Must return gradient for each variable from "
                                 "@custom_gradient grad_fn.")
        else:
            input_grads = grad_fn(*dys)
            variable_grads = []
        flat_grads = nest.flatten(input_grads)
        if len(flat_grads) != n_args:
            raise ValueError(f"custom_gradient function expected to return {n_args} "
                             f"gradients, but returned {len(flat_grads)} instead.")
        return tuple(flat_grads) + tuple(variable_grads)

    if _state.graphs and _graph_identity is not None:
        outputs = _in_graph(flat_result, inputs, variables, actual_grad_fn, name)
    else:
        outputs = tuple(_fresh(t) if isinstance(t, Tensor) else t for t in flat_result)
    tensors_out = tuple(o for o in outputs if isinstance(o, Tensor))

    for tape in _state.tapes:  # variables read while the tapes were paused (recompute_grad)
        for v in variables:
            if id(v) not in tape._ids:
                tape._variable_accessed(v)
    if tensors_out and (_state.tapes or _state.op_hooks):
        attrs = {"grad_fn": actual_grad_fn, "name": name,
                 "specs": [(o.shape, o.dtype) for o in tensors_out]}
        if _active and _state.tapes:
            record(CUSTOM_GRADIENT, inputs, attrs, tensors_out)
        if _state.op_hooks and not (_active and _state.graphs):
            for hook in tuple(_state.op_hooks):
                hook(CUSTOM_GRADIENT, inputs, attrs, tensors_out)
    return nest.pack_sequence_as(result, list(outputs))


def _in_graph(flat_result: list, inputs: tuple, variables: list, grad_fn, name: str) -> tuple:
    """The results while a graph is traced: outputs of one `CustomGradientIdentity` op that
    carries `grad_fn` in the graph (for tapes outside the function, which record the graph's
    ops as it runs). Tapes are paused: they record the `CustomGradient` op instead."""
    saved = _state.tapes[:]
    _state.tapes.clear()
    try:
        graph = _state.graphs[-1]
        results = [t for t in flat_result if isinstance(t, Tensor)]
        n_args = len(inputs) - len(variables)
        grad_inputs = [x if isinstance(x, Tensor) and differentiable(x) else None
                       for x in inputs[:n_args]]
        grad_inputs += [graph.read_variable(v) for v in variables]
        dy_specs = [(t.shape, t.dtype) for t in results]
        outs = iter(_graph_identity(results, grad_inputs, grad_fn, dy_specs, name))
    finally:
        _state.tapes[:] = saved
    return tuple(next(outs) if isinstance(t, Tensor) else t for t in flat_result)


def custom_gradient(f=None):
    """Decorator that gives a function its own gradient (`tf.custom_gradient`).

    The function returns `(result, grad_fn)`; `grad_fn(*upstream)` returns one gradient per
    argument. If the function reads variables, `grad_fn(*upstream, variables=...)` returns
    `(input_grads, variable_grads)`.

    >>> @tf.custom_gradient
    ... def log1pexp(x):
    ...     e = tf.exp(x)
    ...     def grad(upstream):
    ...         return upstream * (1 - 1 / (1 + e))
    ...     return tf.math.log(1 + e), grad
    >>> x = tf.constant(100.0)
    >>> with tf.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = log1pexp(x)
    >>> float(tape.gradient(y, x))
    1.0
    """
    if f is None:
        return custom_gradient

    @functools.wraps(f)
    def decorated(*args, **kwargs):
        return _call(f, args, kwargs)

    setattr(decorated, _DO_NOT_CONVERT, True)
    return decorated


class _Paused:
    """Suspends every tape and accumulator, keeping only variable watchers."""

    def __enter__(self):
        self.saved = _state.tapes[:]
        _state.tapes[:] = [t for t in self.saved if isinstance(t, VariableWatcher)]

    def __exit__(self, *exc):
        _state.tapes[:] = self.saved


def recompute_grad(f):
    """Computes `f` without keeping its intermediate tensors for the backward pass, which
    runs `f` again (`tf.recompute_grad`): memory for compute.

    >>> dense = tf.recompute_grad(lambda x: tf.tanh(x) * 2.0)
    >>> x = tf.constant(0.0)
    >>> with tf.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = dense(x)
    >>> float(tape.gradient(y, x))
    2.0
    """

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        def inner(*flat):
            with _Paused():
                result = f(*nest.pack_sequence_as(args, list(flat)), **kwargs)

            def grad_fn(*dys, variables=None):
                # fresh tensors of the context grad_fn runs in (a traced sub-graph captures
                # the forward's tensors: the tape must watch what f reads there)
                xs = [execute(core_ops.Identity, (x,)) if isinstance(x, Tensor) else x
                      for x in flat]
                sources = [x for x in xs if isinstance(x, Tensor) and differentiable(x)]
                extra = list(variables or [])
                with GradientTape(watch_accessed_variables=False) as tape:
                    tape.watch(sources + extra)
                    again = f(*nest.pack_sequence_as(args, list(xs)), **kwargs)
                grads = tape.gradient(nest.flatten(again), sources + extra,
                                      output_gradients=list(dys))
                by_id = {id(s): g for s, g in zip(sources, grads[:len(sources)])}
                input_grads = [by_id.get(id(x)) for x in xs]
                if variables:
                    return input_grads, grads[len(sources):]
                return input_grads

            return result, grad_fn

        flat = [convert_to_tensor(x) if isinstance(x, Tensor) or
                getattr(x, "_is_variable", False) else x for x in nest.flatten(args)]
        return _call(inner, tuple(flat), {})

    setattr(wrapper, _DO_NOT_CONVERT, True)
    return wrapper


__tf_names__ = {"tf": "custom_gradient recompute_grad"}
