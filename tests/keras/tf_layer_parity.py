"""Helpers of the recurrent and attention layers' tests: the docstring examples, and layer
cases run in rill and in real Keras (a subprocess of RILL_TF_PYTHON) with the same
weights and inputs, for the parity tests of the recurrent and attention layers.

A case is `(layer spec, args, call kwargs)`. A layer spec is `{"layer": class name,
"kwargs": {...}}` (a kwarg may itself be a layer spec, or a list of them: Bidirectional's
`layer`, Sequential's `layers`; the names are looked up in `module`, which on the TensorFlow
side is `keras.layers` plus `Sequential`); args and
call kwargs hold NumPy arrays anywhere in nested lists. Each side builds the layer, calls it
once, takes rill's weights (`set_weights`), calls it again and returns the flat outputs.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
import types

import numpy as np

_CODEC = textwrap.dedent("""
    import numpy as np

    def encode(x):
        if isinstance(x, (list, tuple)):
            return [encode(v) for v in x]
        if isinstance(x, dict):
            return {k: encode(v) for k, v in x.items()}
        if hasattr(x, "shape") and hasattr(x, "dtype"):
            a = np.asarray(x)
            return {"__array__": a.tolist(), "dtype": str(a.dtype)}
        return x

    def decode(x, make_layer):
        if isinstance(x, list):
            return [decode(v, make_layer) for v in x]
        if isinstance(x, dict):
            if "__array__" in x:
                return np.asarray(x["__array__"], dtype=x["dtype"])
            if "layer" in x and "kwargs" in x:
                return make_layer(x)
            return {k: decode(v, make_layer) for k, v in x.items()}
        return x

    def run(module, cases, weights=None):
        def make_layer(spec):
            kwargs = decode(spec["kwargs"], make_layer)
            return getattr(module, spec["layer"])(**kwargs)
        results = []
        for i, (spec, args, kwargs) in enumerate(cases):
            layer = make_layer(spec)
            args, kwargs = decode(args, make_layer), decode(kwargs, make_layer)
            layer(*args, **kwargs)
            if weights is not None:
                layer.set_weights([np.asarray(w, np.float32) for w in weights[i]])
            out = layer(*args, **kwargs)
            flat = []
            def walk(o):
                if isinstance(o, (list, tuple)):
                    for v in o:
                        walk(v)
                else:
                    flat.append(np.asarray(o))
            walk(out)
            results.append({"outputs": encode(flat),
                            "weights": encode([np.asarray(w) for w in layer.get_weights()])})
        return results
""")

_TF_MAIN = textwrap.dedent("""
    import json, os, sys, types
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import keras
    payload = json.load(sys.stdin)
    weights = decode(payload["weights"], None)
    names = {k: getattr(keras.layers, k) for k in dir(keras.layers) if not k.startswith("_")}
    module = types.SimpleNamespace(**names, Sequential=keras.Sequential)
    json.dump(run(module, payload["cases"], weights), sys.stdout)
""")

_ns: dict = {}
exec(_CODEC, _ns)  # the same codec on both sides
encode, run = _ns["encode"], _ns["run"]


def run_rill(module, cases) -> list:
    """The cases in rill: [{"outputs": [...], "weights": [...]}] (encoded)."""
    return run(module, cases)


def run_tf(tf_python: str, cases, weights) -> list:
    """The cases in real Keras, with `weights` (one list per case) set before the call."""
    payload = json.dumps({"cases": encode(cases), "weights": encode(weights)})
    proc = subprocess.run([tf_python, "-c", _CODEC + _TF_MAIN], input=payload,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode:
        raise RuntimeError(f"the TensorFlow side failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout)


def decoded(values: list) -> list:
    return [np.asarray(v["__array__"], dtype=v["dtype"]) for v in values]


def assert_parity(module, cases, tf_python: str, rtol=1e-5, atol=1e-6) -> None:
    """Same outputs (rtol 1e-5) in rill and Keras for every case, weights copied from
    rill."""
    ours = run_rill(module, cases)
    weights = [decoded(r["weights"]) for r in ours]
    theirs = run_tf(tf_python, cases, weights)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        xa, xb = decoded(a["outputs"]), decoded(b["outputs"])
        assert len(xa) == len(xb), (i, cases[i][0], len(xa), len(xb))
        for j, (u, v) in enumerate(zip(xa, xb)):
            assert u.shape == v.shape, (i, cases[i][0], j, u.shape, v.shape)
            np.testing.assert_allclose(u, v, rtol=rtol, atol=atol,
                                       err_msg=f"case {i} {cases[i][0]} output {j}")


# -- docstring examples -------------------------------------------------------------------------
def run_docstrings(*names: str) -> None:
    """Runs the examples in the docstrings of `rill.keras.layers.<name>` modules, with
    `keras.layers` holding the recurrent and attention layers (until keras.layers exports
    them itself)."""
    import doctest
    import importlib

    import rill as tf
    from rill import keras
    from rill.keras.layers._rnn_cell import module_objects

    layers = types.SimpleNamespace(**module_objects())
    shim = types.SimpleNamespace(**{k: getattr(keras, k) for k in ("Input", "Model",
                                                                   "Sequential")},
                                 layers=layers)
    for name in names:
        module = importlib.import_module(f"rill.keras.layers.{name}")
        result = doctest.testmod(module, extraglobs={"tf": tf, "keras": shim, "np": np})
        assert result.failed == 0, name
