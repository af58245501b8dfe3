"""The same layers, weights and inputs in rill and in real Keras (TensorFlow 2.x).

Skipped unless the environment variable RILL_TF_PYTHON names a Python interpreter that has
TensorFlow installed; that interpreter runs the Keras side in a subprocess.
"""

import json
import os
import subprocess
import textwrap

import numpy as np
import pytest

from rill import keras

TF_PYTHON = os.environ.get("RILL_TF_PYTHON")
pytestmark = pytest.mark.skipif(not TF_PYTHON, reason="set RILL_TF_PYTHON to a TF interpreter")

# (class name, constructor kwargs, input shape(s) or "ids", call kwargs)
CASES = [
    ("Dense", {"units": 3, "activation": "relu"}, (4, 5), {}),
    ("Dense", {"units": 2, "activity_regularizer": {"class_name": "L2",
                                                    "config": {"l2": 0.3}}}, (2, 3, 4), {}),
    ("BatchNormalization", {"momentum": 0.9}, (6, 3), {"training": True}),
    ("BatchNormalization", {"axis": 1}, (4, 2, 3), {"training": False}),
    ("LayerNormalization", {}, (3, 5), {}),
    ("LayerNormalization", {"axis": [1, 2]}, (2, 3, 4), {}),
    ("ReLU", {"max_value": 2.0, "negative_slope": 0.1, "threshold": 0.5}, (3, 4), {}),
    ("LeakyReLU", {}, (3, 4), {}),
    ("ELU", {"alpha": 0.5}, (3, 4), {}),
    ("Softmax", {"axis": 1}, (2, 3, 4), {}),
    ("PReLU", {"shared_axes": [1]}, (2, 3, 4), {}),
    ("Dot", {"axes": [1, 1], "normalize": True}, [(2, 3, 4), (2, 3, 5)], {}),
    ("Dot", {"axes": 2}, [(2, 3, 4), (2, 5, 4)], {}),
    ("Concatenate", {"axis": 1}, [(2, 3, 4), (2, 1, 4)], {}),
    ("Average", {}, [(2, 3), (2, 3), (2, 3)], {}),
    ("Subtract", {}, [(2, 3), (2, 3)], {}),
    ("Flatten", {"data_format": "channels_first"}, (2, 3, 4), {}),
    ("Reshape", {"target_shape": [-1, 3]}, (2, 6), {}),
    ("Permute", {"dims": [2, 1]}, (2, 3, 4), {}),
    ("RepeatVector", {"n": 3}, (2, 4), {}),
    ("Embedding", {"input_dim": 5, "output_dim": 3}, "ids", {}),
    ("ActivityRegularization", {"l1": 0.1, "l2": 0.2}, (2, 3), {}),
]

TF_SCRIPT = textwrap.dedent("""
    import json, os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np, keras
    out = []
    for case in json.load(sys.stdin):
        kwargs = dict(case["kwargs"])
        if isinstance(kwargs.get("activity_regularizer"), dict):
            kwargs["activity_regularizer"] = keras.regularizers.get(
                kwargs["activity_regularizer"])
        layer = getattr(keras.layers, case["cls"])(**kwargs)
        x = [np.asarray(v, case["dtype"]) for v in case["x"]]
        x = x if case["several"] else x[0]
        layer(x)
        layer.set_weights([np.asarray(w, np.float32) for w in case["weights"]])
        y = layer(x, **case["call"])
        ys = y if isinstance(y, list) else [y]
        shapes = [list(s) if s else s for s in [layer.compute_output_shape(
            [tuple(np.shape(v)) for v in x] if case["several"] else np.shape(x))]]
        out.append({"y": [np.asarray(v).tolist() for v in ys],
                    "weights": [np.asarray(w).tolist() for w in layer.get_weights()],
                    "losses": [float(v) for v in layer.losses],
                    "shape": [None if d is None else int(d) for d in shapes[0]]
                    if not isinstance(shapes[0][0], (list, tuple)) else None})
    json.dump(out, sys.stdout)
""")


def _rill_case(cls_name, kwargs, shape, call, rng):
    several = isinstance(shape, list)
    if shape == "ids":
        xs, dtype = [rng.integers(0, 5, size=(2, 4))], "int32"
    else:
        xs = [rng.standard_normal(s).astype(np.float32) for s in (shape if several else [shape])]
        dtype = "float32"
    layer = getattr(keras.layers, cls_name)(**kwargs)
    x = xs if several else xs[0]
    layer(x)
    # random weights (BatchNormalization: a positive moving variance)
    weights = [np.abs(rng.standard_normal(w.shape.as_list())).astype(np.float32) + 0.5
               if "variance" in w.name else
               rng.standard_normal(w.shape.as_list()).astype(np.float32)
               for w in layer.weights]
    layer.set_weights(weights)
    y = layer(x, **call)
    ys = y if isinstance(y, list) else [y]
    spec = {"cls": cls_name, "kwargs": kwargs, "x": [v.tolist() for v in xs], "dtype": dtype,
            "several": several, "call": call, "weights": [w.tolist() for w in weights]}
    shape_in = [tuple(v.shape) for v in xs] if several else tuple(xs[0].shape)
    mine = {"y": [np.asarray(v) for v in ys], "weights": layer.get_weights(),
            "losses": [float(v) for v in layer.losses],
            "shape": layer.compute_output_shape(shape_in).as_list()}
    return spec, mine


def test_layers_match_keras():
    rng = np.random.default_rng(0)
    specs, mine = zip(*[_rill_case(*case, rng) for case in CASES])
    result = subprocess.run([TF_PYTHON, "-c", TF_SCRIPT], input=json.dumps(specs),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    theirs = json.loads(result.stdout)
    assert len(theirs) == len(CASES)
    for case, a, b in zip(CASES, mine, theirs):
        label = f"{case[0]} {case[1]}"
        assert len(a["y"]) == len(b["y"]) and len(a["weights"]) == len(b["weights"]), label
        for u, v in zip(a["y"], b["y"]):
            np.testing.assert_allclose(u, np.asarray(v), rtol=2e-5, atol=2e-5, err_msg=label)
        for u, v in zip(a["weights"], b["weights"]):
            np.testing.assert_allclose(u, np.asarray(v), rtol=2e-5, atol=2e-6, err_msg=label)
        np.testing.assert_allclose(a["losses"], b["losses"], rtol=2e-5, err_msg=label)
        if b["shape"] is not None:
            assert a["shape"] == b["shape"], label
