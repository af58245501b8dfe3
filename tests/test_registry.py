"""Registry-wide checks driven by the op spec tables (tests/ops/specs_*.py).

For every op in `rill._core.op.REGISTRY`:
- it is covered by at least one OpSpec (unless it is internal, listed below with the reason);
- it has a gradient function or is declared non-differentiable (grad=None).

For every spec:
- forward: the outputs match the NumPy reference `spec.ref`;
- rule: every op that runs while `spec.fn` runs has a shape/dtype rule that agrees with the
  shapes and dtypes its kernel actually returned;
- traced: `tf.function(spec.fn)` gives what the eager call gives (values; shapes and dtypes
  for specs without a reference, e.g. random ops);
- gradient: <grad f, v> matches the central difference (f(x + eps v) - f(x - eps v)) / 2 eps
  for f = sum(w * fn(x)) with random output weights w and a random direction v (float64);
- second order (spec.second_order): the gradient of h = <grad f, v> in a random direction u
  matches the central difference of h.

An op added without a spec, without a gradient, or with a wrong gradient or rule fails here,
and the test ids name the spec (and so the op).
"""

from __future__ import annotations

import glob
import importlib
import os
import warnings
import zlib

import numpy as np
import pytest

import rill as tf
from rill._core import context
from rill._core.dtypes import as_dtype
from rill._core.op import MISSING_GRADIENT, REGISTRY
from rill._core.tensor_shape import as_shape
from rill.function.retrace import RetracingWarning

# Ops that need no spec, with the reason.
INTERNAL = {
    "AnonymousIteratorV3": "tf.data iterator state inside tf.function (tests/data)",
    "DeleteIterator": "tf.data iterator state inside tf.function (tests/data)",
    "IteratorGetNext": "tf.data iterator step inside tf.function (tests/data)",
    "IteratorGetNextAsOptional": "tf.data iterator step inside tf.function (tests/data)",
    "MatchingFiles": "file system (tests/data/test_readers.py)",
    "ReadFile": "file system (tests/data)",
    "WriteFile": "file system (tests/data)",
    "DecodeCSV": "string parsing, no numeric kernel to compare (tests/data)",
    "ParseExampleV2": "protocol buffer parsing (tests/data, TF-written fixtures)",
    "ParseSingleSequenceExample": "protocol buffer parsing (tests/data)",
    "ParseTensor": "TensorProto parsing (tests/data)",
    "SerializeTensor": "TensorProto bytes, checked against TF's (tests/data)",
    "Const": "graph node holding a captured value (tests/function)",
    "Placeholder": "graph input node (tests/function)",
    "ReadVariableOp": "variable read (tests/core/test_variable.py; every variable gradient)",
    "AssignVariableOp": "variable update (tests/core/test_variable.py)",
    "AssignAddVariableOp": "variable update (tests/core/test_variable.py)",
    "AssignSubVariableOp": "variable update (tests/core/test_variable.py)",
    "ResourceScatterNdUpdate": "variable update (tests/core/test_variable.py)",
    "ResourceScatterUpdate": "variable update (tests/core/test_variable.py)",
    "ResourceStridedSliceAssign": "variable update (tests/core/test_variable.py)",
    "If": "control flow over traced sub-graphs (tests of tf.cond)",
    "Case": "control flow over traced sub-graphs (tests of tf.switch_case)",
    "CaseBranchIndex": "control flow helper of tf.case",
    "While": "control flow over traced sub-graphs (tests of tf.while_loop)",
    "WhileGrad": "the gradient of While (tests of tf.while_loop)",
    "CustomGradientIdentity": "tf.custom_gradient inside traced graphs; its gradient is a "
                              "traced sub-graph (tests/core/test_custom_gradient.py)",
    "PrintV2": "Python side effect (tests of tf.print)",
    "PyFunc": "runs a Python callback (tests of tf.numpy_function)",
    "EagerPyFunc": "runs a Python callback (tests of tf.py_function)",
}

SPEC_DIR = os.path.join(os.path.dirname(__file__), "ops")


def _load():
    specs, broken = [], []
    for path in sorted(glob.glob(os.path.join(SPEC_DIR, "specs_*.py"))):
        name = os.path.basename(path)[:-3]
        try:
            module = importlib.import_module(f"tests.ops.{name}")
        except Exception as exc:  # reported by test_spec_modules_import
            broken.append((name, f"{type(exc).__name__}: {exc}"))
            continue
        for spec in getattr(module, "SPECS", []):
            specs.append((name, spec))
    return specs, broken


SPECS, BROKEN = _load()
_ids = {}


def _spec_id(entry) -> str:
    module, spec = entry
    base = f"{module[6:]}:{spec.name}"
    n = _ids.get(base, 0)
    _ids[base] = n + 1
    return base if n == 0 else f"{base}#{n}"


SPEC_IDS = [_spec_id(e) for e in SPECS]
REF_SPECS = [(e, i) for e, i in zip(SPECS, SPEC_IDS) if e[1].ref is not None]
GRAD_SPECS = [(e, i) for e, i in zip(SPECS, SPEC_IDS) if e[1].grad]
SECOND_SPECS = [(e, i) for e, i in zip(SPECS, SPEC_IDS) if e[1].grad and e[1].second_order]


# -- helpers ------------------------------------------------------------------------------
def _rng(spec) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(spec.name.encode()))


def _inputs(spec):
    return [np.asarray(a) for a in spec.inputs(_rng(spec))]


def _tensors(arrays):
    return [tf.constant(a) for a in arrays]


def _as_list(out) -> list:
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _is_float(a) -> bool:
    return np.asarray(a).dtype.kind in "fc"


def _run_captured(spec, arrays):
    """Runs a spec with an op hook, which every eager op reaches (no tricks needed)."""
    captured = []

    def hook(opdef, inputs, attrs, outputs):
        captured.append((opdef, inputs, attrs, outputs))

    context.op_hooks.append(hook)
    try:
        out = spec.fn(*_tensors(arrays))
    finally:
        context.op_hooks.remove(hook)
    return out, captured


def _value(t) -> np.ndarray:
    return np.asarray(tf.convert_to_tensor(t))


# -- coverage -----------------------------------------------------------------------------
def test_spec_modules_import():
    assert not BROKEN, f"spec modules that fail to import: {BROKEN}"


def test_every_op_has_a_spec():
    covered = {op for _, spec in SPECS for op in spec.ops}
    missing = sorted(name for name in REGISTRY if name not in covered and name not in INTERNAL)
    assert not missing, (f"registered ops without an OpSpec in tests/ops/specs_*.py: {missing}"
                         f"\nhint: add a spec (or list the op in INTERNAL with the reason).")


def test_specs_name_registered_ops():
    unknown = sorted({op for _, spec in SPECS for op in spec.ops if op not in REGISTRY})
    assert not unknown, f"specs name ops that are not registered: {unknown}"


def test_no_differentiable_op_lacks_a_gradient():
    missing = sorted(name for name, opdef in REGISTRY.items() if opdef.grad is MISSING_GRADIENT)
    assert not missing, (f"ops without a gradient function: {missing}\nhint: give each a "
                         f"gradient, or declare it non-differentiable with grad=None.")


# -- forward and rules --------------------------------------------------------------------
@pytest.mark.parametrize("entry", [e for e, _ in REF_SPECS], ids=[i for _, i in REF_SPECS])
def test_forward_matches_reference(entry):  # specs without a reference: random ops
    _, spec = entry
    arrays = _inputs(spec)
    got = _as_list(spec.fn(*_tensors(arrays)))
    want = _as_list(spec.ref(*[a.copy() for a in arrays]))
    assert len(got) == len(want), f"{len(got)} outputs, reference has {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        gv, wv = _value(g), np.asarray(w)
        assert gv.shape == wv.shape, f"output {i}: shape {gv.shape}, reference {wv.shape}"
        if gv.dtype.kind in "fc":
            np.testing.assert_allclose(gv, wv, rtol=spec.rtol, atol=spec.atol,
                                       err_msg=f"output {i}")
        else:
            np.testing.assert_array_equal(gv, wv, err_msg=f"output {i}")


@pytest.mark.parametrize("entry", SPECS, ids=SPEC_IDS)
def test_rules_agree_with_kernels(entry):
    _, spec = entry
    _, captured = _run_captured(spec, _inputs(spec))
    ran = {opdef.name for opdef, *_ in captured}
    assert ran & set(spec.ops), (f"running the spec executed none of {spec.ops} (ran: "
                                 f"{sorted(ran)})")
    for opdef, inputs, attrs, outputs in captured:
        specs = opdef.rule(*inputs, **attrs)
        if opdef.num_outputs == 1:
            specs = [specs]
        specs = list(specs)
        assert len(specs) == len(outputs), (f"{opdef.name}: rule gives {len(specs)} outputs, "
                                            f"kernel {len(outputs)}")
        for k, ((shape, dtype), out) in enumerate(zip(specs, outputs)):
            actual = np.shape(out._value)
            rule_shape = as_shape(shape)
            if getattr(out._value, "element_shape", ()) is None:  # a list of ragged elements
                actual = (len(out._value),) + (None,) * ((rule_shape.rank or 1) - 1)
            assert rule_shape.is_compatible_with(actual), (
                f"{opdef.name} output {k}: rule shape {rule_shape}, kernel shape {actual}")
            if rule_shape.is_fully_defined():
                assert tuple(rule_shape.as_list()) == tuple(actual), (
                    f"{opdef.name} output {k}: rule shape {rule_shape}, kernel {actual}")
            assert as_dtype(dtype) is out.dtype, (
                f"{opdef.name} output {k}: rule dtype {as_dtype(dtype).name}, kernel dtype "
                f"{out.dtype.name}")


@pytest.mark.parametrize("entry", SPECS, ids=SPEC_IDS)
def test_traced_equals_eager(entry):
    _, spec = entry
    arrays = _inputs(spec)
    eager = _as_list(spec.fn(*_tensors(arrays)))
    with warnings.catch_warnings():  # specs share helper lambdas: a new tf.function each
        warnings.simplefilter("ignore", RetracingWarning)
        traced = _as_list(tf.function(spec.fn)(*_tensors(arrays)))
    assert len(traced) == len(eager), f"{len(traced)} outputs traced, {len(eager)} eager"
    for i, (t, e) in enumerate(zip(traced, eager)):
        tv, ev = _value(t), _value(e)
        assert tv.shape == ev.shape and tv.dtype == ev.dtype, (
            f"output {i}: traced {tv.shape} {tv.dtype}, eager {ev.shape} {ev.dtype}")
        if spec.ref is None:
            continue  # random ops: the traced graph draws other numbers
        if tv.dtype.kind in "fc":
            np.testing.assert_allclose(tv, ev, rtol=max(spec.rtol, 1e-12), atol=spec.atol,
                                       err_msg=f"output {i}")
        else:
            np.testing.assert_array_equal(tv, ev, err_msg=f"output {i}")


# -- gradients ----------------------------------------------------------------------------
def _weights(spec, outs) -> list:
    rng = np.random.default_rng(zlib.crc32(spec.name.encode()) + 1)
    return [rng.standard_normal(np.shape(_value(o))) if _is_float(_value(o)) else None
            for o in outs]


def _weighted_sum(outs, weights):
    terms = []
    for o, w in zip(outs, weights):
        if w is not None:
            o = tf.convert_to_tensor(o)
            if o.dtype.is_complex:
                o = tf.math.real(o)
            terms.append(tf.reduce_sum(tf.multiply(o, tf.constant(w.astype(o.dtype.name)))))
    return tf.add_n(terms) if len(terms) > 1 else terms[0]


def _f_value(spec, arrays, weights) -> float:
    outs = _as_list(spec.fn(*_tensors(arrays)))
    total = 0.0
    for o, w in zip(outs, weights):
        if w is not None:
            total += float(np.real(np.sum(_value(o) * w)))
    return total


def _float_positions(arrays) -> list:
    return [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]


def _grads(spec, arrays, weights, positions):
    """Analytic gradients of f with respect to the float inputs (zeros for None)."""
    xs = _tensors(arrays)
    with tf.GradientTape() as tape:
        for i in positions:
            tape.watch(xs[i])
        f = _weighted_sum(_as_list(spec.fn(*xs)), weights)
    gs = tape.gradient(f, [xs[i] for i in positions])
    return [np.zeros_like(arrays[i]) if g is None else _value(g)
            for g, i in zip(gs, positions)]


def _directions(spec, arrays, positions, salt: int) -> list:
    rng = np.random.default_rng(zlib.crc32(spec.name.encode()) + salt)
    return [rng.standard_normal(arrays[i].shape) for i in positions]


def _shifted(arrays, positions, dirs, eps):
    out = [a.copy() for a in arrays]
    for i, d in zip(positions, dirs):
        out[i] = arrays[i] + eps * d
    return out


def _close(analytic: float, numeric: float, scale: float, spec, factor: float = 1.0) -> bool:
    tol = factor * (max(spec.atol, 1e-7) + max(spec.rtol, 1e-6) * max(abs(numeric), scale))
    return abs(analytic - numeric) <= tol


def _differentiable_case(entry):
    """The spec, its inputs, the positions of its floating inputs and output weights. A
    spec checked for gradients must have both (else it declares grad=False)."""
    _, spec = entry
    arrays = _inputs(spec)
    positions = _float_positions(arrays)
    assert positions, (f"spec {spec.name} has grad=True but no floating input.\nhint: declare "
                       f"it grad=False (integer, bool and comparison ops).")
    weights = _weights(spec, _as_list(spec.fn(*_tensors(arrays))))
    assert any(w is not None for w in weights), (
        f"spec {spec.name} has grad=True but no floating output.\nhint: declare it "
        f"grad=False.")
    return spec, arrays, positions, weights


@pytest.mark.parametrize("entry", [e for e, _ in GRAD_SPECS], ids=[i for _, i in GRAD_SPECS])
def test_gradient_matches_numerical(entry):
    spec, arrays, positions, weights = _differentiable_case(entry)
    grads = _grads(spec, arrays, weights, positions)
    dirs = _directions(spec, arrays, positions, 2)
    analytic = float(sum(np.real(np.sum(g * d)) for g, d in zip(grads, dirs)))
    scale = float(sum(np.sum(np.abs(g * d)) for g, d in zip(grads, dirs)))
    eps = 1e-6
    numeric = (_f_value(spec, _shifted(arrays, positions, dirs, eps), weights)
               - _f_value(spec, _shifted(arrays, positions, dirs, -eps), weights)) / (2 * eps)
    assert _close(analytic, numeric, scale, spec), (
        f"{spec.ops}: directional derivative from the gradient {analytic!r}, numerical "
        f"{numeric!r}")


def _h_value(spec, arrays, weights, positions, v) -> float:
    grads = _grads(spec, arrays, weights, positions)
    return float(sum(np.real(np.sum(g * d)) for g, d in zip(grads, v)))


@pytest.mark.parametrize("entry", [e for e, _ in SECOND_SPECS], ids=[i for _, i in SECOND_SPECS])
def test_second_order_matches_numerical(entry):
    spec, arrays, positions, weights = _differentiable_case(entry)
    v = _directions(spec, arrays, positions, 3)
    u = _directions(spec, arrays, positions, 4)
    xs = _tensors(arrays)
    sources = [xs[i] for i in positions]
    with tf.GradientTape() as outer:
        outer.watch(sources)
        with tf.GradientTape() as inner:
            inner.watch(sources)
            f = _weighted_sum(_as_list(spec.fn(*xs)), weights)
        gs = inner.gradient(f, sources)
        terms = [tf.reduce_sum(tf.multiply(tf.convert_to_tensor(g), tf.constant(d)))
                 for g, d in zip(gs, v) if g is not None]
        h = tf.add_n(terms) if len(terms) > 1 else (terms[0] if terms else None)
    if h is None:
        hv = [None] * len(sources)
    else:
        hv = outer.gradient(h, sources)
    hv = [np.zeros_like(arrays[i]) if g is None else _value(g) for g, i in zip(hv, positions)]
    analytic = float(sum(np.real(np.sum(g * d)) for g, d in zip(hv, u)))
    scale = float(sum(np.sum(np.abs(g * d)) for g, d in zip(hv, u)))
    eps = 1e-5
    numeric = (_h_value(spec, _shifted(arrays, positions, u, eps), weights, positions, v)
               - _h_value(spec, _shifted(arrays, positions, u, -eps), weights, positions, v)
               ) / (2 * eps)
    assert _close(analytic, numeric, scale, spec, factor=10.0), (
        f"{spec.ops}: second directional derivative from nested tapes {analytic!r}, "
        f"numerical {numeric!r}")
