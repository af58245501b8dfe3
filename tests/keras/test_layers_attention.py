"""Attention layers: Attention, AdditiveAttention, MultiHeadAttention, GroupQueryAttention and
EinsumDense, against NumPy references written here (einsum over the copied weights), with
masks (keras masks, attention_mask, causal), gradients and traced == eager."""

import json
import types

import numpy as np
import pytest

import rill as tf
from rill import keras
from rill.keras.layers._rnn_cell import module_objects
from tests.keras.layer_harness import run_layer_test
from tests.keras.tf_layer_parity import assert_parity, run_docstrings

L = types.SimpleNamespace(**module_objects())
pytestmark = pytest.mark.filterwarnings("ignore::rill.function.retrace.RetracingWarning")


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def softmax(s, axes=(-1,), keep=None):
    if keep is not None:
        s = np.where(keep, s, -1e9)
    e = np.exp(s - s.max(axis=axes, keepdims=True))
    w = e / e.sum(axis=axes, keepdims=True)
    return w if keep is None else np.where(keep, w, 0.0)


def causal(tq, tv):
    return np.arange(tq)[:, None] >= np.arange(tv)[None, :]


# -- Attention and AdditiveAttention ----------------------------------------------------------
@pytest.mark.parametrize("kind", ["dot", "dot-scale", "concat", "concat-scale", "additive",
                                  "additive-noscale"])
@pytest.mark.parametrize("traced", [False, True])
def test_attention_against_numpy(kind, traced):
    q, v, k = _rand(2, 3, 4, seed=1), _rand(2, 5, 4, seed=2), _rand(2, 5, 4, seed=3)
    q_mask = np.array([[1, 1, 0], [1, 1, 1]], bool)
    v_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    if kind.startswith("additive"):
        layer = L.AdditiveAttention(use_scale=kind == "additive")
    else:
        layer = L.Attention(use_scale=kind.endswith("scale"), score_mode=kind.split("-")[0])
    layer([q, v, k])
    if layer.weights:
        layer.set_weights([np.full(w.shape.as_list(), 0.7, np.float32) for w in layer.weights])
    call = tf.function(lambda *a, **kw: layer(*a, **kw)) if traced else layer
    out, weights = call([q, v, k], mask=[q_mask, v_mask], return_attention_scores=True,
                        use_causal_mask=True)
    pair = q[:, :, None, :] + k[:, None, :, :]
    if kind.startswith("dot"):
        scores = np.einsum("bqd,bkd->bqk", q, k) * (0.7 if kind.endswith("scale") else 1.0)
    elif kind.startswith("concat"):
        scale = 0.7 if kind.endswith("scale") else 1.0
        scores = 0.7 * np.tanh(scale * pair).sum(-1)
    else:
        scores = ((0.7 if kind == "additive" else 1.0) * np.tanh(pair)).sum(-1)
    keep = v_mask[:, None, :] & causal(3, 5)[None]
    expected_w = softmax(np.where(keep, scores, scores - 1e9))
    expected = np.einsum("bqk,bkd->bqd", expected_w, v) * q_mask[..., None]
    np.testing.assert_allclose(weights, expected_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_attention_mask_propagation_and_errors():
    emb = keras.layers.Embedding(10, 4, mask_zero=True)
    ids_q, ids_v = np.array([[1, 2, 0]]), np.array([[3, 0, 4, 5]])
    q, v = emb(ids_q), emb(ids_v)
    out = L.Attention()([q, v])
    from rill.keras.layers._call_context import get_mask
    np.testing.assert_array_equal(get_mask(out), ids_q != 0)
    np.testing.assert_array_equal(out[0, 2], 0.0)  # a masked query outputs zeros
    with pytest.raises(ValueError, match=r"Attention 'att'.*\[query, value\].*\nhint"):
        L.Attention(name="att")(np.ones((1, 2, 3), np.float32))
    with pytest.raises(ValueError, match="score_mode"):
        L.Attention(score_mode="cosine")


# -- MultiHeadAttention -----------------------------------------------------------------------
def mha_reference(layer, query, value, key=None, mask=None, axes=(1,)):
    """Projections, softmax over `axes`, combination and output projection with NumPy."""
    w = [np.asarray(x, np.float64) for x in layer.get_weights()]
    key = value if key is None else key
    bias = layer.use_bias
    parts = [(w[2 * i], w[2 * i + 1]) if bias else (w[i], 0) for i in range(4)]
    q = np.einsum("...d,dnh->...nh", query, parts[0][0]) + parts[0][1]
    k = np.einsum("...d,dnh->...nh", key, parts[1][0]) + parts[1][1]
    v = np.einsum("...d,dnh->...nh", value, parts[2][0]) + parts[2][1]
    q = q / np.sqrt(layer.key_dim)
    if axes == (1,):
        scores = np.einsum("bqnh,bknh->bnqk", q, k)
        keep = None if mask is None else mask[:, None]
        weights = softmax(scores, (-1,), keep)
        heads = np.einsum("bnqk,bknh->bqnh", weights, v)
    else:  # attention over the two axes of (batch, a, b, heads, size)
        scores = np.einsum("bxynh,bzwnh->bnxyzw", q, k)
        weights = softmax(scores, (-2, -1))
        heads = np.einsum("bnxyzw,bzwnh->bxynh", weights, v)
    out = np.einsum("...nh,nho->...o", heads, parts[3][0]) + parts[3][1]
    return out, weights


@pytest.mark.parametrize("traced", [False, True])
@pytest.mark.parametrize("setting", ["plain", "attention_mask", "causal", "value_dim",
                                     "no_bias", "key"])
def test_multi_head_attention_against_numpy(setting, traced):
    q, v = _rand(2, 4, 6, seed=1), _rand(2, 5, 6, seed=2)
    kwargs = {"value_dim": 3, "output_shape": 7} if setting == "value_dim" else \
        {"use_bias": False} if setting == "no_bias" else {}
    layer = L.MultiHeadAttention(num_heads=2, key_dim=4, **kwargs)
    call_kwargs, mask, key = {}, None, None
    if setting == "attention_mask":
        mask = np.random.default_rng(3).random((2, 4, 5)) > 0.4
        mask[:, :, 0] = True
        call_kwargs["attention_mask"] = mask
    elif setting == "causal":
        v = _rand(2, 4, 6, seed=2)
        call_kwargs["use_causal_mask"] = True
        mask = np.broadcast_to(causal(4, 4), (2, 4, 4))
    elif setting == "key":
        key = _rand(2, 5, 3, seed=4)
    fn = tf.function(lambda *a, **kw: layer(*a, **kw)) if traced else layer
    out, weights = fn(q, v, key, return_attention_scores=True, **call_kwargs)
    expected, expected_w = mha_reference(layer, q, v, key, mask)
    np.testing.assert_allclose(weights, expected_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    assert out.shape == (2, 4, 7 if setting == "value_dim" else 6)


def test_multi_head_attention_over_two_axes():
    x = _rand(2, 3, 4, 5)
    layer = L.MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=(1, 2))
    out, weights = layer(x, x, return_attention_scores=True)
    expected, expected_w = mha_reference(layer, x, x, axes=(1, 2))
    assert weights.shape == (2, 2, 3, 4, 3, 4)
    np.testing.assert_allclose(weights, expected_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_multi_head_attention_weights_config_and_symbolic():
    layer = L.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")
    layer(_rand(1, 3, 8), _rand(1, 5, 8))
    assert [w.name for w in layer.weights] == [
        f"mha/{p}/{k}:0" for p in ("query", "key", "value", "attention_output")
        for k in ("kernel", "bias")]
    assert [tuple(w.shape.as_list()) for w in layer.weights] == [
        (8, 2, 4), (2, 4), (8, 2, 4), (2, 4), (8, 2, 4), (2, 4), (2, 4, 8), (8,)]
    config = json.loads(json.dumps(layer.get_config()))
    clone = L.MultiHeadAttention.from_config(config)
    assert clone.get_config() == config
    clone(_rand(1, 3, 8), _rand(1, 5, 8))
    clone.set_weights(layer.get_weights())
    q, v = _rand(1, 3, 8, seed=5), _rand(1, 5, 8, seed=6)
    np.testing.assert_allclose(clone(q, v), layer(q, v), rtol=1e-6)
    qi, vi = keras.Input((None, 8)), keras.Input((None, 8))
    out = L.MultiHeadAttention(num_heads=2, key_dim=4)(qi, vi, use_causal_mask=False)
    assert tuple(out.shape.as_list()) == (None, None, 8)
    model = keras.Model([qi, vi], out)
    assert model([q, v]).shape == (1, 3, 8)
    with pytest.raises(ValueError, match=r"num_heads must be a positive integer.*\nhint"):
        L.MultiHeadAttention(num_heads=0, key_dim=2)


def test_multi_head_attention_reads_keras_masks():
    emb = keras.layers.Embedding(10, 6, mask_zero=True)
    ids = np.array([[3, 4, 0, 0], [5, 0, 0, 0]])
    x = emb(ids)
    layer = L.MultiHeadAttention(num_heads=2, key_dim=3)
    out, weights = layer(x, x, return_attention_scores=True)
    mask = (ids != 0)
    keep = mask[:, :, None] & mask[:, None, :]
    expected, expected_w = mha_reference(layer, np.asarray(x), np.asarray(x), mask=keep)
    np.testing.assert_allclose(weights, expected_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    from rill.keras.layers._call_context import get_mask
    np.testing.assert_array_equal(get_mask(out), mask)


def test_multi_head_attention_gradients_and_dropout():
    layer = L.MultiHeadAttention(num_heads=2, key_dim=2, dropout=0.5, dtype="float64")
    q = tf.constant(_rand(2, 3, 4).astype(np.float64))
    v = tf.constant(_rand(2, 3, 4, seed=1).astype(np.float64))
    layer(q, v)
    probe = _rand(2, 3, 4, seed=2).astype(np.float64)

    def loss():
        return tf.reduce_sum(layer(q, v, use_causal_mask=True) * probe)

    with tf.GradientTape() as tape:
        value = loss()
    grads = tape.gradient(value, layer.trainable_weights)
    rng = np.random.default_rng(0)
    eps, originals = 1e-6, [np.asarray(w) for w in layer.trainable_weights]
    dirs = [rng.standard_normal(o.shape) for o in originals]
    analytic = sum(float(np.sum(np.asarray(g) * d)) for g, d in zip(grads, dirs))
    values = []
    for sign in (1, -1):
        for w, o, d in zip(layer.trainable_weights, originals, dirs):
            w.assign(o + sign * eps * d)
        values.append(float(loss()))
    np.testing.assert_allclose(analytic, (values[0] - values[1]) / (2 * eps), rtol=1e-6)
    for w, o in zip(layer.trainable_weights, originals):
        w.assign(o)
    assert not np.allclose(layer(q, v, training=True), layer(q, v, training=False))
    np.testing.assert_array_equal(layer(q, v), layer(q, v, training=False))


# -- GroupQueryAttention ----------------------------------------------------------------------
@pytest.mark.parametrize("traced", [False, True])
def test_group_query_attention_against_numpy(traced):
    q, v = _rand(2, 4, 6, seed=1), _rand(2, 5, 6, seed=2)
    layer = L.GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2)
    mask = np.random.default_rng(3).random((2, 4, 5)) > 0.3
    mask[:, :, 0] = True
    fn = tf.function(lambda *a, **kw: layer(*a, **kw)) if traced else layer
    out, weights = fn(q, v, attention_mask=mask, return_attention_scores=True)
    wq, bq, wk, bk, wv, bv, wo, bo = [np.asarray(w, np.float64) for w in layer.get_weights()]
    qp = (np.einsum("bqm,muh->bquh", q, wq) + bq) / np.sqrt(3)
    kp = np.repeat(np.einsum("bkm,mvh->bkvh", v, wk) + bk, 2, axis=2)
    vp = np.repeat(np.einsum("bkm,mvh->bkvh", v, wv) + bv, 2, axis=2)
    expected_w = softmax(np.einsum("bquh,bkuh->buqk", qp, kp), (-1,), mask[:, None])
    expected = np.einsum("bquh,uhm->bqm", np.einsum("buqk,bkuh->bquh", expected_w, vp),
                         wo) + bo
    np.testing.assert_allclose(weights, expected_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    assert [tuple(w.shape.as_list()) for w in layer.weights][::2] == \
        [(6, 4, 3), (6, 2, 3), (6, 2, 3), (4, 3, 6)]
    config = layer.get_config()
    assert L.GroupQueryAttention.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="multiple of num_key_value_heads"):
        L.GroupQueryAttention(head_dim=2, num_query_heads=3, num_key_value_heads=2)


# -- EinsumDense ------------------------------------------------------------------------------
@pytest.mark.parametrize("equation,output_shape,bias_axes,in_shape,kernel,bias,out", [
    ("ab,bc->ac", 4, "c", (2, 3), (3, 4), (4,), (2, 4)),
    ("abc,cde->abde", (None, 2, 4), "de", (2, 5, 3), (3, 2, 4), (2, 4), (2, 5, 2, 4)),
    ("abc,cd->abd", (5, 4), "b", (2, 5, 3), (3, 4), (5, 1), (2, 5, 4)),
    ("...b,bc->...c", 4, "c", (2, 5, 3), (3, 4), (4,), (2, 5, 4)),
    ("ab...,bc->ac...", (4,), "c", (2, 3, 5), (3, 4), (4, 1), (2, 4, 5)),
    ("abcd,cde->abe", (None, 3), None, (2, 5, 2, 4), (2, 4, 3), None, (2, 5, 3)),
])
def test_einsum_dense_shapes_and_values(equation, output_shape, bias_axes, in_shape, kernel,
                                        bias, out):
    layer = L.EinsumDense(equation, output_shape=output_shape, bias_axes=bias_axes,
                          bias_initializer="ones")
    x = _rand(*in_shape)
    y = layer(x)
    assert tuple(layer.kernel.shape.as_list()) == kernel and y.shape == out
    assert (layer.bias is None) == (bias is None)
    expected = np.einsum(equation, x, np.asarray(layer.kernel))
    if bias is not None:
        assert tuple(layer.bias.shape.as_list()) == bias
        expected = expected + np.asarray(layer.bias)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    assert tuple(layer.compute_output_shape(in_shape).as_list()) == out


def test_einsum_dense_errors():
    with pytest.raises(ValueError, match=r"EinsumDense: invalid equation.*\nhint"):
        L.EinsumDense("ab->b", 3)
    with pytest.raises(ValueError, match="kernel axis 'z'"):
        L.EinsumDense("ab,bz->ab", 3)(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="bias axis 'q'"):
        L.EinsumDense("ab,bc->ac", 3, bias_axes="q")(np.ones((2, 3), np.float32))


# -- the omnibus harness ----------------------------------------------------------------------
HARNESS = [
    (L.Attention, {}, [(2, 3, 4), (2, 5, 4)], (2, 3, 4), 0, {}),
    (L.Attention, {"use_scale": True, "score_mode": "concat", "dropout": 0.2},
     [(2, 3, 4), (2, 5, 4), (2, 5, 4)], (2, 3, 4), 2,
     {"run_training_check": False}),  # rank-0 weights: see test_scalar_weights_train
    (L.AdditiveAttention, {}, [(2, 3, 4), (2, 5, 4)], (2, 3, 4), 1, {}),
    (L.EinsumDense, {"equation": "abc,cde->abde", "output_shape": (None, 2, 3),
                     "bias_axes": "de"}, (2, 4, 5), (2, 4, 2, 3), 2, {}),
    (L.EinsumDense, {"equation": "...b,bc->...c", "output_shape": 3, "activation": "relu",
                     "kernel_regularizer": "l2"}, (2, 4, 5), (2, 4, 3), 1,
     {"expected_num_losses": 1}),
]


# the layers this file covers, for the omnibus test's check that every public layer is
# tested (MultiHeadAttention and GroupQueryAttention take two inputs: dedicated tests above)
COVERED = (L.Attention, L.AdditiveAttention, L.EinsumDense, L.MultiHeadAttention,
           L.GroupQueryAttention)


@pytest.mark.parametrize("case", HARNESS, ids=lambda c: f"{c[0].__name__}-{sorted(c[1])}")
def test_harness(case):
    cls, kwargs, in_shape, out_shape, n_train, extra = case
    run_layer_test(cls, kwargs, input_shape=in_shape, expected_output_shape=out_shape,
                   expected_num_trainable_weights=n_train, custom_objects=module_objects(),
                   **extra)


def test_scalar_weights_train():
    layer = L.Attention(use_scale=True, score_mode="concat")
    q, v = _rand(2, 3, 4), _rand(2, 5, 4, seed=1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer([q, v]) ** 2)
    grads = tape.gradient(loss, layer.trainable_weights)
    assert all(g is not None and np.isfinite(float(g)) for g in grads)


def test_attention_layers_in_a_trained_model():
    """A keras.io-style transformer block trained with fit."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 20, size=(256, 8))
    y = (ids[:, 0] > 10).astype(np.float32)
    inputs = keras.Input((8,), dtype="int32")
    x = keras.layers.Embedding(20, 16)(inputs)
    att = L.MultiHeadAttention(num_heads=2, key_dim=8)(x, x)
    x = keras.layers.LayerNormalization()(x + att)
    x = keras.layers.Dense(16, activation="relu")(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(ids, y, epochs=6, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.9


def test_docstring_examples():
    run_docstrings("attention", "multi_head_attention", "einsum_dense")


# -- parity with TensorFlow (RILL_TF_PYTHON: see tests/conftest.py) -------------------------
def _spec(name, **kwargs):
    return {"layer": name, "kwargs": kwargs}


def test_parity_with_tensorflow(tf_python):
    rng = np.random.default_rng(0)
    q, v = _rand(2, 4, 6, seed=1), _rand(2, 5, 6, seed=2)
    am = rng.random((2, 4, 5)) > 0.3
    am[:, :, 0] = True
    qm = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
    vm = np.array([[1, 1, 1, 1, 0], [1, 1, 1, 0, 0]], bool)
    cases = []
    for kw in [{}, {"use_scale": True}, {"score_mode": "concat"},
               {"score_mode": "concat", "use_scale": True}]:
        cases.append((_spec("Attention", **kw), [[q, v]], {"return_attention_scores": True}))
        cases.append((_spec("Attention", **kw), [[q, v, 0.5 * v]],
                      {"mask": [qm, vm], "use_causal_mask": True}))
    cases += [
        (_spec("AdditiveAttention"), [[q, v]], {"mask": [qm, vm],
                                                "return_attention_scores": True}),
        (_spec("AdditiveAttention", use_scale=False), [[q, v]], {}),
        (_spec("MultiHeadAttention", num_heads=2, key_dim=3), [q, v],
         {"return_attention_scores": True}),
        (_spec("MultiHeadAttention", num_heads=2, key_dim=3, value_dim=4, output_shape=5),
         [q, v, 2 * v], {"attention_mask": am}),
        (_spec("MultiHeadAttention", num_heads=2, key_dim=3, use_bias=False), [q, q],
         {"use_causal_mask": True, "return_attention_scores": True}),
        (_spec("MultiHeadAttention", num_heads=2, key_dim=3), [q, v], {"value_mask": vm}),
        (_spec("MultiHeadAttention", num_heads=2, key_dim=2, attention_axes=[1, 2]),
         [_rand(2, 3, 4, 5, seed=3)] * 2, {"return_attention_scores": True}),
        (_spec("MultiHeadAttention", num_heads=2, key_dim=3, use_gate=True,
               sliding_window=2), [q, q], {}),
        (_spec("GroupQueryAttention", head_dim=3, num_query_heads=4, num_key_value_heads=2),
         [q, v], {"return_attention_scores": True}),
        (_spec("GroupQueryAttention", head_dim=3, num_query_heads=4, num_key_value_heads=2),
         [q, q], {"use_causal_mask": True, "attention_mask": am[:, :, :4]}),
        (_spec("EinsumDense", equation="abc,cde->abde", output_shape=[None, 2, 3],
               bias_axes="de"), [q], {}),
        (_spec("EinsumDense", equation="...b,bc->...c", output_shape=3, bias_axes="c",
               activation="relu"), [q], {}),
        (_spec("EinsumDense", equation="ab...,bc->ac...", output_shape=[3], bias_axes="c"),
         [q], {}),
    ]
    assert_parity(L, cases, tf_python)
