"""Debugging switches for autodiff (`rill.debugging`).

- `explain_gradients(True)`: `tape.gradient` warns (`RillGradientWarning`) for each None it
  returns, saying why: the source was not watched, has an integer dtype, does not reach the
  target (and where it was last used), or reaches it only through an op without a gradient.
- `enable_check_numerics()`: the first op, forward or backward, whose output holds NaN or Inf
  raises InvalidArgumentError naming the op and the user's file and line; a NaN gradient
  caused by `tf.where` (the branch that was not selected) is recognized and explained.

Both work through `context.op_hooks`, which every eager op reaches (`op.emit`): an active
hook turns the ops' inline fast paths off, and makes tf.functions run op by op (as TensorFlow
instruments graphs). When both switches are off nothing here runs.
"""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np

from rill._core import context as _context
from rill._core.errors import InvalidArgumentError

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)
_RILL_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
WHERE_OPS = ("SelectV2", "Select")


class RillGradientWarning(UserWarning):
    """Why `tape.gradient` returned None (only while `explain_gradients` is on).

    Silence with `warnings.simplefilter("ignore", rill.debugging.RillGradientWarning)`.
    """


# -- where the user's code is ---------------------------------------------------------------
def _in_rill(filename: str) -> bool:
    return filename.startswith(_RILL_DIR) or filename.startswith("<rill")


def user_location() -> str:
    """`file:line` of the innermost frame outside the rill package (the user's code)."""
    f = sys._getframe(1)
    while f is not None and _in_rill(f.f_code.co_filename):
        f = f.f_back
    if f is None:
        return "<unknown>"
    return f"{f.f_code.co_filename}:{f.f_lineno}"


def warn(message: str) -> None:
    """Issues a RillGradientWarning attributed to the user's line."""
    f = sys._getframe(1)
    level = 2
    while f is not None and _in_rill(f.f_code.co_filename):
        f = f.f_back
        level += 1
    warnings.warn(message, RillGradientWarning, stacklevel=level)


def _locate(opdef, inputs, attrs, outputs) -> None:
    """Op hook: remembers where each op recorded on a GradientTape was run."""
    if not outputs or not (_active and _state.tapes):
        return
    key = id(outputs[0])
    loc = None
    for tape in _state.tapes:
        locs = getattr(tape, "_locs", None)
        if locs is not None and key in tape._ids:
            if loc is None:
                loc = user_location()
            locs[key] = loc


def _sync() -> None:
    checking = _state.checking
    want_locate = _state.explaining or checking
    if want_locate and _locate not in _state.op_hooks:
        _state.op_hooks.insert(0, _locate)
    elif not want_locate and _locate in _state.op_hooks:
        _state.op_hooks.remove(_locate)
    if checking and _check not in _state.op_hooks:
        _state.op_hooks.append(_check)
    elif not checking and _check in _state.op_hooks:
        _state.op_hooks.remove(_check)


# -- explain_gradients ----------------------------------------------------------------------
class explain_gradients:  # noqa: N801 - used like a function, as a switch
    """Makes `tape.gradient` warn (RillGradientWarning) why each None gradient is None.

    `rill.debugging.explain_gradients(True)` turns it on, `explain_gradients(False)` off; as
    a context manager it is on inside the block only. The environment variable
    `RILL_EXPLAIN_GRADIENTS=1` turns it on at import.

    >>> with tf.debugging.explain_gradients():
    ...     x = tf.constant(1.0)
    ...     with tf.GradientTape() as tape:
    ...         y = x * 2.0
    ...     g = tape.gradient(y, x)  # warns: x is a tf.Tensor the tape did not watch
    """

    def __init__(self, enable: bool = True):
        self._previous = _state.explaining
        _state.explaining = bool(enable)
        _sync()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        _state.explaining = self._previous
        _sync()

    def __bool__(self) -> bool:
        return _state.explaining


def _describe(s, i: int, n: int) -> str:
    if getattr(s, "_is_variable", False):
        return f"variable {s.name!r}"
    where = f"source #{i}" if n > 1 else "the source"
    return f"{where} (a tf.Tensor of shape {s.shape} and dtype {s.dtype.name})"


def explain_nones(tape, targets: list, sources: list, grads: list) -> None:
    """Warns, for each None in `grads`, why the gradient of that source is None."""
    n = len(sources)
    for i, (s, g) in enumerate(zip(sources, grads)):
        if g is None:
            warn(f"tape.gradient returned None for {_describe(s, i, n)}: "
                 f"{_reason(tape, targets, s)}")


def _is_diff(x) -> bool:
    dt = x.dtype
    return dt._kind in "fc"


def _reason(tape, targets: list, s) -> str:
    is_var = getattr(s, "_is_variable", False)
    if not _is_diff(s):
        return (f"it has dtype {s.dtype.name}, and only floating and complex values have "
                f"gradients (TensorFlow returns None too).\nhint: cast to a float dtype before "
                f"the computation (x = tf.cast(x, tf.float32)) and differentiate with respect "
                f"to the float tensor.")
    ids = tape._ids
    if id(s) not in ids:
        if is_var and not s.trainable:
            return ("the variable is not trainable (trainable=False), so the tape did not "
                    "watch it.\nhint: call tape.watch(v) inside the `with` block, or create "
                    "the variable with trainable=True.")
        if is_var and not tape._watch_accessed_variables:
            return ("the tape was created with watch_accessed_variables=False and never told "
                    "to watch this variable.\nhint: call tape.watch(v) inside the `with` "
                    "block.")
        if is_var:
            return ("the variable was not read while the tape was recording, so nothing "
                    "connects it to the target.\nhint: compute the target inside the `with "
                    "tf.GradientTape()` block.")
        return ("it is a tf.Tensor that the tape did not watch; tapes watch only trainable "
                "variables automatically.\nhint: call tape.watch(x) inside the `with "
                "tf.GradientTape()` block, before x is used.")
    if not any(_is_diff(t) for t in targets if hasattr(t, "dtype")):
        dts = ", ".join(t.dtype.name for t in targets if hasattr(t, "dtype"))
        return (f"the target has dtype {dts}; integer and bool values carry no gradient.\n"
                f"hint: compute the target in a float dtype.")
    records = tape._records_with_reads()
    if not any(id(t) in ids for t in targets):
        return ("the target was not computed from anything the tape watched while it was "
                "recording (was it computed outside the `with` block, or inside "
                "tape.stop_recording()?).\nhint: compute the target inside the `with "
                "tf.GradientTape()` block.")
    locs = tape._locs
    # the records the targets depend on, and those that depend on the source
    need = {id(t) for t in targets}
    upstream = set()
    for rec in reversed(records):
        if any(id(o) in need for o in rec.outputs):
            upstream.add(id(rec))
            need.update(id(x) for x in rec.inputs)
    reach = {id(s)}
    path, uses = [], []
    for rec in records:
        if any(id(x) in reach for x in rec.inputs):
            reach.update(id(o) for o in rec.outputs)
            if id(rec) in upstream:
                path.append(rec)
    direct = {id(s)}
    for rec in records:
        if rec.opdef.name == "ReadVariableOp" and id(rec.inputs[0]) == id(s):
            direct.update(id(o) for o in rec.outputs)
        elif any(id(x) in direct for x in rec.inputs):
            uses.append(rec)
    if not path:
        if uses:
            last = uses[-1]
            where = locs.get(id(last.outputs[0])) if last.outputs else None
            at = f" at {where}" if where else ""
            return (f"the target does not depend on it: it was last used by "
                    f"{last.opdef.name} ({last.opdef.public_name}){at}, and nothing from there "
                    f"leads to the target.\nhint: check that the target is computed from "
                    f"this value (and not from a copy made with .numpy() or a Python "
                    f"number).")
        return ("the target does not depend on it: no op used it while the tape was "
                "recording.\nhint: check that the target is computed from this value inside "
                "the `with` block (and not from a copy made with .numpy()).")
    blockers = []
    for rec in path:
        opdef = rec.opdef
        where = locs.get(id(rec.outputs[0])) if rec.outputs else None
        at = f" at {where}" if where else ""
        if opdef.name == "StopGradient":
            blockers.append(f"tf.stop_gradient{at}, which blocks gradients on purpose")
        elif opdef.grad is None:
            blockers.append(f"{opdef.name} ({opdef.public_name}){at}, which has no gradient")
        elif rec.outputs and not any(_is_diff(o) for o in rec.outputs):
            dts = ", ".join(o.dtype.name for o in rec.outputs)
            blockers.append(f"{opdef.name} ({opdef.public_name}){at}, which outputs {dts}: "
                            f"integer and bool tensors carry no gradient")
    if blockers:
        return (f"every path from it to the target goes through an op that passes no "
                f"gradient: {'; '.join(blockers)}.\nhint: non-differentiable ops (argmax, "
                f"comparisons, rounding, casts to integers) give None, as in TensorFlow; use a "
                f"differentiable surrogate (e.g. softmax instead of argmax) or "
                f"tf.custom_gradient.")
    names = ", ".join(sorted({rec.opdef.name for rec in path}))
    return (f"the gradient functions on its path to the target ({names}) gave no gradient "
            f"for it.\nhint: check the gradients of these ops with respect to this input.")


# -- check numerics -------------------------------------------------------------------------
class BackwardFrame:
    """What the check-numerics hook needs to know about a running backward pass."""

    __slots__ = ("rec", "masked", "locs")

    def __init__(self, locs=None):
        self.rec = None
        self.masked: dict = {}  # id(tensor) -> (where record, branch index) it flows into
        self.locs = locs

    def after(self, rec, in_grads) -> None:
        """Notes the inputs of a where op's branches (and what feeds them, elementwise or
        not): their gradients are zero where the branch was not selected."""
        masked = self.masked
        if rec.opdef.name in WHERE_OPS and len(rec.inputs) == 3:
            for i in (1, 2):
                masked[id(rec.inputs[i])] = (rec, i)
            return
        if masked:
            for o in rec.outputs:
                m = masked.get(id(o))
                if m is not None:
                    for x in rec.inputs:
                        masked.setdefault(id(x), m)
                    return


def _check(opdef, inputs, attrs, outputs) -> None:
    """Op hook: raises at the first floating output that holds NaN or Inf."""
    for i, o in enumerate(outputs):
        v = getattr(o, "_value", None)
        if v is None:
            continue
        dt = v.dtype
        if dt.kind not in "fc" and dt.name != "bfloat16":
            continue
        with np.errstate(all="ignore"):
            total = np.add.reduce(v, axis=None) if v.ndim else v
            if np.isfinite(total) or (v.ndim and np.isfinite(v).all()):
                continue
        raise _nonfinite_error(opdef, inputs, outputs, i, np.asarray(v))


def _counts(v: np.ndarray) -> list:
    lines = []
    for label, mask in (("NaN", np.isnan(v)), ("+Inf", np.isposinf(v)),
                        ("-Inf", np.isneginf(v))):
        n = int(np.count_nonzero(mask))
        if n:
            lines.append(f"  # of {label} elements: {n}")
    return lines


def _nonfinite_error(opdef, inputs, outputs, index: int, v: np.ndarray) -> InvalidArgumentError:
    kinds = [k for k, m in (("NaN", np.isnan(v)), ("Inf", np.isinf(v))) if m.any()]
    lines = [f'!!! Detected Infinity or NaN in output {index} of eagerly-executing op '
             f'"{opdef.name}" (# of outputs: {len(outputs)}) !!!',
             f"  dtype: {v.dtype}", f"  shape: {v.shape}"] + _counts(v)
    for j, x in enumerate(inputs):
        xv = getattr(x, "_value", None)
        if xv is not None:
            lines.append(f"  input {j}: shape {np.shape(xv)} dtype {np.asarray(xv).dtype}")
    user = user_location()
    frames, backward_reach = _state.numerics_frames, _state.backward_reach
    frame = frames[-1] if frames else None
    hint = None
    if backward_reach and frame is not None and frame.rec is not None:
        rec = frame.rec
        fwd = frame.locs.get(id(rec.outputs[0])) if frame.locs and rec.outputs else None
        lines.append(f"  in the backward pass (tape.gradient called at {user}), while "
                     f"computing the gradient of {rec.opdef.name} ({rec.opdef.public_name})"
                     + (f", whose forward op ran at {fwd}" if fwd else "") + ".")
        trap = _where_trap(frame, rec, v)
        if trap is not None:
            lines.append(trap[0])
            hint = trap[1]
        else:
            hint = (f"the gradient of {rec.opdef.name} is not finite at these inputs; make the "
                    f"forward computation stable there (tf.clip_by_value, a stable formula, "
                    f"or tf.custom_gradient with a stable gradient).")
    elif backward_reach:
        lines.append(f"  in the backward pass (tape.gradient called at {user}).")
        hint = "make the forward computation stable where its gradient is not finite."
    else:
        lines.append(f"  in the forward pass, at {user} ({opdef.public_name}).")
        hint = (f"check the inputs of {opdef.public_name} (e.g. log or sqrt of values <= 0, "
                f"exp of large values, 0/0); if this value is later discarded by tf.where, "
                f"apply the where to the inputs first (the 'double where' trick).")
    lines.append(f" : Tensor had {' and '.join(kinds)} values [Op:{opdef.name}]")
    lines.append(f"hint: {hint}")
    return InvalidArgumentError(None, opdef.name, "\n".join(lines))


def _where_trap(frame: BackwardFrame, rec, v: np.ndarray):
    """(explanation, hint) when the non-finite gradient comes from a where branch that was
    not selected at the offending positions; None otherwise."""
    m = None
    for o in rec.outputs:
        m = frame.masked.get(id(o))
        if m is not None:
            break
    if m is None:
        return None
    where_rec, branch = m
    cond = getattr(where_rec.inputs[0], "_value", None)
    wloc = frame.locs.get(id(where_rec.outputs[0])) if frame.locs else None
    at = f" at {wloc}" if wloc else ""
    if cond is not None:
        unselected = np.logical_not(cond) if branch == 1 else np.asarray(cond, dtype=bool)
        try:
            unselected = np.broadcast_to(unselected, v.shape)
        except ValueError:
            unselected = None
        if unselected is not None and np.any(~np.isfinite(v) & ~unselected):
            return None  # also non-finite where the branch was selected: not the trap
    text = (f"  This is the tf.where trap: the value comes from the "
            f"{'true' if branch == 1 else 'false'} branch of tf.where ({where_rec.opdef.name}"
            f"{at}), which was not selected at these positions. tf.where sends a zero gradient "
            f"there, but the gradient of {rec.opdef.name} at those inputs is infinite or "
            f"undefined, and 0 * inf = NaN.")
    hint = ("apply the where to the inputs first (the 'double where' trick): "
            "safe_x = tf.where(cond, x, <a harmless value>); "
            "y = tf.where(cond, f(safe_x), other).")
    return text, hint


def enable_check_numerics(stack_height_limit: int = 30, path_length_limit: int = 50) -> None:
    """Raises InvalidArgumentError at the first op (forward or backward) that produces NaN
    or Inf, naming the op and the user's file and line (`tf.debugging.enable_check_numerics`).

    >>> tf.debugging.enable_check_numerics()
    >>> tf.math.log(tf.constant([0.0]))  # doctest: +SKIP
    InvalidArgumentError: ... Detected Infinity or NaN in output 0 of ... op "Log" ...
    >>> tf.debugging.disable_check_numerics()
    """
    _state.checking = True
    _sync()


def disable_check_numerics() -> None:
    """Turns `enable_check_numerics` off."""
    _state.checking = False
    _sync()


if os.environ.get("RILL_EXPLAIN_GRADIENTS", "") not in ("", "0"):
    _context.explain_default = True  # threads started later explain too
    explain_gradients(True)


__tf_names__ = {
    "debugging": "disable_check_numerics enable_check_numerics explain_gradients "
                 "RillGradientWarning",
}
