"""The same Keras program run by rill and by real TensorFlow/Keras 3 (when the interpreter named
by RILL_TF_PYTHON exists): summaries, History, evaluate and predict must agree."""

import os
import sys

import numpy as np
import pytest

from tests.conftest import run_json

TF_PYTHON = os.environ.get("RILL_TF_PYTHON")

PROGRAM = r'''
import json, os, sys
import numpy as np
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["COLUMNS"] = "80"
if sys.argv[1] == "tf":
    import keras
else:
    from rill import keras

rng = np.random.RandomState(0)
X = rng.randn(40, 4).astype("float32")
y = (X @ np.float32([[1.0], [-1.0], [0.5], [2.0]]) + 0.1).astype("float32")
labels = rng.randint(0, 3, 40)
out = {}

model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="tanh", name="h"),
                          keras.layers.Dense(1, name="o")], name="seq")
model.set_weights([np.full((4, 5), 0.1, "float32") + np.eye(4, 5, dtype="float32"),
                   np.zeros(5, "float32"), np.linspace(-1, 1, 5, dtype="float32")[:, None],
                   np.float32([0.2])])
lines = []
model.summary(print_fn=lines.append)
out["seq_summary"] = lines[0]
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse", metrics=["mae"])
h = model.fit(X, y, batch_size=8, epochs=3, shuffle=False, verbose=0, validation_split=0.25)
out["history"] = h.history
out["params"] = h.params
out["evaluate"] = model.evaluate(X, y, verbose=0)
out["predict"] = model.predict(X[:5], verbose=0).tolist()

a = keras.Input((4,), name="a")
b = keras.Input((2,), name="b")
hid = keras.layers.Dense(3, activation="relu", name="hid")(a)
cat = keras.layers.concatenate([hid, b], name="cat")
main = keras.layers.Dense(1, name="main")(cat)
aux = keras.layers.Dense(3, activation="softmax", name="aux")(hid)
f = keras.Model([a, b], [main, aux], name="two")
f.set_weights([np.full((4, 3), 0.2, "float32"), np.zeros(3, "float32"),
               np.full((5, 1), -0.1, "float32"), np.zeros(1, "float32"),
               np.eye(3, dtype="float32"), np.zeros(3, "float32")])
lines = []
f.summary(print_fn=lines.append)
out["fun_summary"] = lines[0]
f.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
          loss={"main": "mse", "aux": "sparse_categorical_crossentropy"},
          loss_weights={"main": 1.0, "aux": 0.5}, metrics={"aux": ["accuracy"]})
h = f.fit([X, X[:, :2]], [y, labels], batch_size=10, epochs=2, shuffle=False, verbose=0)
out["fun_history"] = h.history
out["fun_evaluate"] = f.evaluate([X, X[:, :2]], [y, labels], batch_size=10, verbose=0)
print(json.dumps(out))
'''
# evaluate uses equal batches: Keras 3 weighs the per-output loss trackers by the static
# batch size of the trace, which a relaxed trace for a partial batch loses (rill weighs
# every batch by its size, which gives the per-sample mean)


def _run(python: str, which: str) -> dict:
    return run_json(python, PROGRAM, which, timeout=300, env={"COLUMNS": "80"})


@pytest.mark.skipif(not TF_PYTHON, reason="set RILL_TF_PYTHON to a Python with TensorFlow")
def test_same_program_same_results_as_keras_3():
    ours = _run(sys.executable, "rill")
    theirs = _run(TF_PYTHON, "tf")
    assert ours["seq_summary"] == theirs["seq_summary"]
    assert ours["fun_summary"] == theirs["fun_summary"]
    assert ours["params"] == theirs["params"]
    for key in ("history", "fun_history"):
        assert sorted(ours[key]) == sorted(theirs[key])
        for k in ours[key]:
            np.testing.assert_allclose(ours[key][k], theirs[key][k], rtol=2e-4, atol=1e-6)
    np.testing.assert_allclose(ours["evaluate"], theirs["evaluate"], rtol=2e-4)
    np.testing.assert_allclose(ours["fun_evaluate"], theirs["fun_evaluate"], rtol=2e-4)
    np.testing.assert_allclose(ours["predict"], theirs["predict"], rtol=2e-4, atol=1e-6)
