"""Integer class ids reach the sparse losses and accuracies without casts: the values are
those of NumPy whatever the labels' dtype and shape ((n,) or (n, 1), ints or floats)."""

import numpy as np
import pytest

import rill as tf
from rill import keras

_P = np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3], [0.2, 0.2, 0.6], [0.3, 0.4, 0.3]],
              np.float32)
_LABELS = np.array([1, 2, 2, 0])


def _numpy_xent(labels):
    return -np.log(_P[np.arange(len(_P)), labels.reshape(-1).astype(int)])


def _numpy_accuracy(labels):
    return (np.argmax(_P, -1) == labels.reshape(-1)).astype(np.float32)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "float32", "float64"])
@pytest.mark.parametrize("shape", [(4,), (4, 1)])
def test_sparse_crossentropy_and_accuracy_for_any_label_dtype(dtype, shape):
    labels = _LABELS.astype(dtype).reshape(shape)
    loss = keras.losses.SparseCategoricalCrossentropy()(labels, _P)
    assert float(loss) == pytest.approx(_numpy_xent(labels).mean(), rel=1e-6)
    wrapped = keras.losses.get("sparse_categorical_crossentropy")
    assert float(keras.losses.LossFunctionWrapper(wrapped)(labels, _P)) == \
        pytest.approx(_numpy_xent(labels).mean(), rel=1e-6)
    np.testing.assert_array_equal(
        keras.metrics.sparse_categorical_accuracy(labels, _P).numpy(), _numpy_accuracy(labels))
    metric = keras.metrics.SparseCategoricalAccuracy()
    metric.update_state(labels, _P)
    assert float(metric.result()) == pytest.approx(_numpy_accuracy(labels).mean())


def test_sparse_accuracy_compares_large_class_ids_exactly():
    """Ids above 2**24 are not all float32 numbers; compared as integers they stay exact."""
    n = 2 ** 24 + 2
    labels = np.array([n - 1], np.int64)
    scores = np.zeros((1, n), np.float32)
    scores[0, n - 2] = 1.0  # the prediction is class n - 2, float32(n - 1) == float32(n - 2)
    assert float(keras.metrics.sparse_categorical_accuracy(labels, scores)[0]) == 0.0


def test_compiled_sparse_loss_and_accuracy_match_numpy():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Softmax()])
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    logits = np.log(_P)
    for labels in (_LABELS, _LABELS.reshape(-1, 1), _LABELS.astype(np.int32)):
        loss, acc = model.evaluate(logits, labels, batch_size=4, verbose=0)
        assert loss == pytest.approx(_numpy_xent(labels).mean(), rel=1e-5)
        assert acc == pytest.approx(_numpy_accuracy(labels).mean())


def test_traced_step_casts_no_integer_labels():
    """The compiled step reads integer labels as they come: no Cast of the labels, and no
    ExpandDims/Squeeze pair around the accuracy."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(np.log(_P), _LABELS, batch_size=4, epochs=1, verbose=0)
    fn = next(f for k, f in model._trainer_state.functions.items() if k[0] == "train"
              and f.experimental_get_tracing_count())
    graph = fn.get_concrete_function(tf.constant(np.log(_P)), tf.constant(_LABELS)) \
        .optimized_graph
    labels = [op for op in graph.get_operations() if op.type == "Placeholder"][1].outputs[0]
    readers = {op.type for op in graph.get_operations()
               if any(t is labels for t in op.inputs)}
    assert {"Equal", "SparseSoftmaxCrossEntropyWithLogits"} <= readers
    assert "Cast" not in readers and "ExpandDims" not in readers
