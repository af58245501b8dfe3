"""tf.RaggedTensor and tf.ragged: TensorFlow's ragged tensor guide, the chapter's examples,
indexing, conversions, dispatched ops, gradients through flat_values and tf.function.

Expected values are the guide's printed results (quoted), Python lists built row by row, or
NumPy; printed forms were taken from TensorFlow 2.21 (noted where used).
"""

import numpy as np
import pytest

import rill as tf


def digits():
    return tf.ragged.constant([[3, 1, 4, 1], [], [5, 9, 2], [6], []])


# -- the guide: operations ---------------------------------------------------------------------
def test_guide_overview_ops():
    d = digits()
    words = tf.ragged.constant([["So", "long"], ["thanks", "for", "all", "the", "fish"]])
    assert tf.add(d, 3).to_list() == [[6, 4, 7, 4], [], [8, 12, 5], [9], []]
    means = tf.reduce_mean(d, axis=1).numpy()
    np.testing.assert_allclose(means, [2.25, np.nan, 16 / 3, 6.0, np.nan])
    assert tf.concat([d, [[5, 3]]], axis=0).to_list() == [[3, 1, 4, 1], [], [5, 9, 2], [6],
                                                          [], [5, 3]]
    assert tf.strings.substr(words, 0, 2).to_list() == [[b"So", b"lo"],
                                                        [b"th", b"fo", b"al", b"th", b"fi"]]
    assert d[0].numpy().tolist() == [3, 1, 4, 1]
    assert d[:, :2].to_list() == [[3, 1], [], [5, 9], [6], []]
    assert d[:, -2:].to_list() == [[4, 1], [], [9, 2], [6], []]
    other = tf.ragged.constant([[1, 2, 3, 4], [], [5, 6, 7], [8], []])
    assert (d + other).to_list() == [[4, 3, 7, 5], [], [10, 15, 9], [14], []]
    assert tf.ragged.map_flat_values(lambda x: x * 2 + 1, d).to_list() == [
        [7, 3, 9, 3], [], [11, 19, 5], [13], []]


def test_guide_constructors():
    values = [3, 1, 4, 1, 5, 9, 2]
    want = [[3, 1, 4, 1], [], [5, 9], [2]]
    assert tf.RaggedTensor.from_value_rowids(values, [0, 0, 0, 0, 2, 2, 3]).to_list() == want
    assert tf.RaggedTensor.from_row_lengths(values, [4, 0, 2, 1]).to_list() == want
    assert tf.RaggedTensor.from_row_splits(values, [0, 4, 4, 6, 7]).to_list() == want
    assert tf.RaggedTensor.from_row_starts(values, [0, 4, 4, 6]).to_list() == want
    assert tf.RaggedTensor.from_row_limits(values, [4, 4, 6, 7]).to_list() == want
    assert tf.RaggedTensor.from_value_rowids(values, [0, 0, 0, 0, 2, 2, 3],
                                             nrows=5).to_list() == want + [[]]
    nested = tf.RaggedTensor.from_nested_row_splits([1, 2, 3, 4], ([0, 2, 4], [0, 1, 3, 3, 4]))
    assert nested.to_list() == [[[1], [2, 3]], [[], [4]]]
    assert nested.ragged_rank == 2
    lengths = tf.RaggedTensor.from_nested_row_lengths([1, 2, 3], ([2, 1], [1, 2, 0]))
    assert lengths.to_list() == [[[1], [2, 3]], [[]]]


def test_ragged_constant_ranks_and_shapes():
    paragraphs = tf.ragged.constant([
        [["I", "have", "a", "cat"], ["His", "name", "is", "Mat"]],
        [["Do", "you", "want", "to", "come", "visit"], ["I'm", "free", "tomorrow"]]])
    assert paragraphs.ragged_rank == 2  # the guide: "Number of partitioned dimensions: 2"
    assert paragraphs.shape == tf.TensorShape([2, None, None])
    uniform = tf.ragged.constant([[[1, 2], [3, 4]], [[5, 6]]], ragged_rank=1)
    assert uniform.shape == tf.TensorShape([2, None, 2])
    assert uniform.flat_values.shape == tf.TensorShape([3, 2])
    assert tf.ragged.constant([[[1, 2], [3, 4]], [[5, 6]]], inner_shape=(2,)).shape == \
        tf.TensorShape([2, None, 2])
    assert tf.ragged.constant([[], []], dtype=tf.int64).flat_values.dtype == tf.int64
    assert tf.ragged.constant([[1, 2.5], [3]]).dtype == tf.float32
    assert tf.ragged.constant([[1], []], row_splits_dtype=tf.int32).row_splits.dtype == \
        tf.int32
    assert isinstance(tf.ragged.constant([1, 2], ragged_rank=0), tf.Tensor)
    with pytest.raises(ValueError, match="same nesting depth"):
        tf.ragged.constant([[1, [2]], [3]])


def test_printing_matches_tensorflow():
    # repr in TensorFlow 2.21
    assert repr(digits()) == "<tf.RaggedTensor [[3, 1, 4, 1], [], [5, 9, 2], [6], []]>"
    assert str(tf.ragged.constant([["a", "b"], ["c"]])) == \
        "<tf.RaggedTensor [[b'a', b'b'], [b'c']]>"
    assert repr(tf.ragged.constant([[1.5, 2], [3]])) == "<tf.RaggedTensor [[1.5, 2.0], [3.0]]>"
    long = repr(tf.ragged.constant([[1, 2], [3]] * 10))
    assert long.split("\n")[0] == ("<tf.RaggedTensor [[1, 2], [3], [1, 2], [3], [1, 2], [3], "
                                   "[1, 2], [3], [1, 2], [3], [1, 2],")
    assert repr(tf.RaggedTensor.from_tensor([[1, 2, 0], [3, 0, 0]])) == \
        "<tf.RaggedTensor [[1, 2, 0],\n [3, 0, 0]]>"


def test_partition_accessors():
    d = digits()
    assert d.row_splits.numpy().tolist() == [0, 4, 4, 7, 8, 8]
    assert d.row_lengths().numpy().tolist() == [4, 0, 3, 1, 0]
    assert d.value_rowids().numpy().tolist() == [0, 0, 0, 0, 2, 2, 2, 3]
    assert int(d.nrows()) == 5
    assert d.row_starts().numpy().tolist() == [0, 4, 4, 7, 8]
    assert d.row_limits().numpy().tolist() == [4, 4, 7, 8, 8]
    assert d.bounding_shape().numpy().tolist() == [5, 4]
    assert d.values.numpy().tolist() == [3, 1, 4, 1, 5, 9, 2, 6]
    assert d.shape == tf.TensorShape([5, None])
    assert d.with_flat_values(d.flat_values * 0).to_list() == [[0] * 4, [], [0] * 3, [0], []]
    rt3 = tf.ragged.constant([[[1, 2], [3]], [[4]]])
    assert [s.numpy().tolist() for s in rt3.nested_row_splits] == [[0, 2, 3], [0, 2, 3, 4]]
    assert rt3.merge_dims(0, 1).to_list() == [[1, 2], [3], [4]]
    assert rt3.merge_dims(1, 2).to_list() == [[1, 2, 3], [4]]
    arr = d.numpy()
    assert arr.dtype == object and [a.tolist() for a in arr] == d.to_list()


def test_conversions():
    d = digits()
    assert d.to_tensor().numpy().tolist() == [[3, 1, 4, 1], [0] * 4, [5, 9, 2, 0],
                                              [6, 0, 0, 0], [0] * 4]
    assert d.to_tensor(default_value=-1, shape=[3, 2]).numpy().tolist() == [[3, 1], [-1, -1],
                                                                            [5, 9]]
    assert tf.ragged.constant([["a"], []]).to_tensor().numpy().tolist() == [[b"a"], [b""]]
    st = d.to_sparse()
    assert st.indices.numpy().tolist() == [[0, 0], [0, 1], [0, 2], [0, 3], [2, 0], [2, 1],
                                           [2, 2], [3, 0]]
    assert st.dense_shape.numpy().tolist() == [5, 4]
    assert tf.RaggedTensor.from_sparse(st).to_list() == d.to_list()
    t = tf.constant([[1, 2, 0], [3, 0, 0]])
    assert tf.RaggedTensor.from_tensor(t, padding=0).to_list() == [[1, 2], [3]]
    assert tf.RaggedTensor.from_tensor(t, lengths=[2, 1]).to_list() == [[1, 2], [3]]
    assert tf.RaggedTensor.from_tensor(t).to_list() == [[1, 2, 0], [3, 0, 0]]
    two = tf.RaggedTensor.from_tensor(tf.zeros([2, 3, 4]), ragged_rank=2)
    assert two.ragged_rank == 2 and two.to_tensor().shape == tf.TensorShape([2, 3, 4])


def test_indexing_and_slicing():
    d = digits()
    assert d[-3].numpy().tolist() == [5, 9, 2]
    assert d[1:3].to_list() == [[], [5, 9, 2]]
    assert d[::2].to_list() == [[3, 1, 4, 1], [5, 9, 2], []]
    assert d[:, ::2].to_list() == [[3, 4], [], [5, 2], [6], []]
    assert int(d[0, 1]) == 1
    with pytest.raises(ValueError, match="Cannot index into an inner ragged dimension."):
        d[:, 1]
    with pytest.raises(IndexError, match="Row key 7 out of bounds"):
        d[7]
    rt3 = tf.ragged.constant([[[1, 2], [3]], [[4]]])
    assert rt3[0].to_list() == [[1, 2], [3]]
    assert rt3[0, 1].numpy().tolist() == [3]
    assert rt3[:, :, 1:].to_list() == [[[2], []], [[]]]
    uniform = tf.ragged.constant([[[1, 2], [3, 4]], [[5, 6]]], ragged_rank=1)
    assert uniform[..., 0].to_list() == [[1, 3], [5]]
    assert [r.numpy().tolist() for r in tf.ragged.constant([[1], [2, 3]])] == [[1], [2, 3]]


# -- dispatched ops ----------------------------------------------------------------------------
def test_elementwise_math_and_comparisons():
    d = digits()
    assert (d * 2 - 1).to_list() == [[5, 1, 7, 1], [], [9, 17, 3], [11], []]
    assert (-d).to_list()[0] == [-3, -1, -4, -1]
    assert (d > 2).to_list() == [[True, False, True, False], [], [True, True, False], [True],
                                 []]
    assert (d == 1).to_list()[0] == [False, True, False, True]
    assert tf.abs(-d).to_list() == d.to_list()
    assert tf.maximum(d, 4).to_list() == [[4, 4, 4, 4], [], [5, 9, 4], [6], []]
    floats = tf.cast(d, tf.float32)
    np.testing.assert_allclose(tf.sqrt(floats).flat_values.numpy(),
                               np.sqrt(d.flat_values.numpy()), rtol=1e-6)
    np.testing.assert_allclose((floats / 2).flat_values.numpy(), d.flat_values.numpy() / 2)
    col = tf.constant([[1], [2], [3], [4], [5]])  # one value per row, broadcast in the row
    assert (d + col).to_list() == [[4, 2, 5, 2], [], [8, 12, 5], [10], []]
    with pytest.raises(tf.errors.InvalidArgumentError):
        d + tf.ragged.constant([[1], [], [], [], [1]])  # other row lengths
    with pytest.raises(tf.errors.InvalidArgumentError):
        d + tf.constant([1, 2, 3, 4, 5])  # TensorFlow refuses this broadcast too


def test_reductions():
    d = digits()
    assert tf.reduce_sum(d, axis=1).numpy().tolist() == [9, 0, 16, 6, 0]
    assert tf.reduce_sum(d, axis=0).numpy().tolist() == [14, 10, 6, 1]
    assert int(tf.reduce_sum(d)) == 31
    assert tf.reduce_max(d, axis=0).numpy().tolist() == [6, 9, 4, 1]
    assert tf.reduce_min(d, axis=1).numpy().tolist()[::2] == [1, 2, np.iinfo(np.int32).max]
    assert tf.reduce_prod(d, axis=1).numpy().tolist() == [12, 1, 90, 6, 1]
    assert tf.reduce_any(d > 5, axis=1).numpy().tolist() == [False, False, True, True, False]
    assert tf.reduce_all(d > 0, axis=1).numpy().tolist() == [True] * 5
    assert tf.reduce_sum(d, axis=1, keepdims=True).numpy().tolist() == [[9], [0], [16], [6],
                                                                        [0]]
    assert tf.reduce_mean(d, axis=1).dtype == tf.float64  # as TensorFlow, for integers
    rt3 = tf.ragged.constant([[[1, 2], [3]], [[4]]])
    assert tf.reduce_sum(rt3, axis=2).to_list() == [[3, 3], [4]]
    assert tf.reduce_sum(rt3, axis=1).to_list() == [[4, 2], [4]]
    assert tf.reduce_sum(rt3, axis=0).to_list() == [[5, 2], [3]]
    uniform = tf.ragged.constant([[[1, 2], [3, 4]], [[5, 6]]], ragged_rank=1)
    assert tf.reduce_sum(uniform, axis=1).numpy().tolist() == [[4, 6], [5, 6]]
    assert tf.reduce_sum(uniform, axis=2).to_list() == [[3, 7], [11]]
    assert tf.reduce_sum(uniform, axis=0).numpy().tolist() == [[6, 8], [3, 4]]


def test_concat_stack_gather_where_boolean_mask():
    d = digits()
    assert tf.concat([d, d], axis=1).to_list() == [r + r for r in d.to_list()]
    assert tf.concat([tf.ragged.constant([[1, 2], [3]]), tf.constant([[4, 5]])],
                     axis=0).to_list() == [[1, 2], [3], [4, 5]]
    assert tf.stack([d, d], axis=1).to_list() == [[r, r] for r in d.to_list()]
    assert tf.stack([d, d]).to_list() == [d.to_list(), d.to_list()]
    assert tf.ragged.stack([tf.constant([1, 2]), tf.constant([3])]).to_list() == [[1, 2], [3]]
    assert tf.gather(d, [2, 0]).to_list() == [[5, 9, 2], [3, 1, 4, 1]]
    assert tf.gather(tf.constant([10, 20, 30]), tf.ragged.constant([[0, 1], [2]])).to_list() \
        == [[10, 20], [30]]
    assert tf.where(d > 2, d, -d).to_list() == [[3, -1, 4, -1], [], [5, 9, -2], [6], []]
    assert tf.where(d > 4).numpy().tolist() == [[2, 0], [2, 1], [3, 0]]
    assert tf.boolean_mask(d, d > 2).to_list() == [[3, 4], [], [5, 9], [6], []]
    assert tf.ragged.boolean_mask(d, [True, False, True, False, False]).to_list() == [
        [3, 1, 4, 1], [5, 9, 2]]
    assert tf.ragged.boolean_mask([[1, 2, 3], [4, 5, 6]],
                                  [[True, False, True], [False, False, True]]).to_list() == \
        [[1, 3], [6]]


def test_range_shape_size_and_segments():
    assert tf.ragged.range([3, 5, 1], [5, 5, 4]).to_list() == [[3, 4], [], [1, 2, 3]]
    assert tf.ragged.range([3, 5, 1]).to_list() == [[0, 1, 2], [0, 1, 2, 3, 4], [0]]
    assert tf.ragged.range([0., 1.], 2., 0.5).to_list() == [[0., 0.5, 1., 1.5], [1., 1.5]]
    d = digits()
    assert repr(tf.shape(d)) == \
        "<DynamicRaggedShape lengths=[5, (4, 0, 3, 1, 0)] num_row_partitions=1>"  # TF 2.21
    assert int(tf.size(d)) == 8 and int(tf.rank(d)) == 2
    assert tf.zeros_like(d).to_list() == [[0] * 4, [], [0] * 3, [0], []]
    assert tf.ragged.row_splits_to_segment_ids([0, 2, 2, 3]).numpy().tolist() == [0, 0, 2]
    assert tf.ragged.segment_ids_to_row_splits([0, 0, 2]).numpy().tolist() == [0, 2, 2, 3]


def test_strings_on_ragged_inputs():
    words = tf.strings.split(["a bc", "def"])
    assert tf.strings.length(words).to_list() == [[1, 2], [3]]
    assert tf.strings.upper(words).to_list() == [[b"A", b"BC"], [b"DEF"]]
    assert tf.strings.reduce_join(words, axis=1, separator="-").numpy().tolist() == \
        [b"a-bc", b"def"]


# -- gradients through flat_values ---------------------------------------------------------------
def test_gradients_flow_through_flat_values():
    x = tf.constant([1., 2., 3., 4.])
    with tf.GradientTape() as tape:
        tape.watch(x)
        rt = tf.RaggedTensor.from_row_lengths(x, [3, 0, 1])
        loss = tf.reduce_sum(tf.reduce_max(rt, axis=1) * tf.constant([1., 0., 2.])) + \
            tf.reduce_sum(rt.to_tensor() ** 2) + tf.reduce_sum(rt[0])
    # max of row 0 is 3 (weight 1), of row 2 is 4 (weight 2); squares give 2x; rt[0] adds 1
    assert tape.gradient(loss, x).numpy().tolist() == [3., 5., 8., 10.]


def test_gradient_through_gather_and_concat_of_ragged():
    x = tf.Variable([1., 2., 3.])
    with tf.GradientTape() as tape:
        rt = tf.RaggedTensor.from_row_splits(x, [0, 2, 3])
        both = tf.concat([tf.gather(rt, [1, 0]), rt], axis=1)
        loss = tf.reduce_sum(both * both)
    # every value appears twice in `both`: d/dx sum 2 x^2 = 4x
    assert tape.gradient(loss, x).numpy().tolist() == [4., 8., 12.]


# -- tf.function and specs ---------------------------------------------------------------------
def test_ragged_spec():
    spec = tf.RaggedTensorSpec([None, None], tf.int32)
    assert repr(spec) == "RaggedTensorSpec(TensorShape([None, None]), tf.int32, 1, tf.int64)"
    assert tf.RaggedTensorSpec(shape=[2, None, 3]).ragged_rank == 2
    assert tf.RaggedTensorSpec.from_value(digits()) == tf.RaggedTensorSpec([5, None],
                                                                           tf.int32)
    assert spec.is_compatible_with(digits())


def test_guide_tf_function_with_input_signature():
    @tf.function(input_signature=[tf.RaggedTensorSpec(shape=[None, None], dtype=tf.int32)])
    def max_and_min(rt):
        return (tf.math.reduce_max(rt, axis=-1), tf.math.reduce_min(rt, axis=-1))

    hi, lo = max_and_min(tf.ragged.constant([[1, 2], [3], [4, 5, 6]]))
    assert hi.numpy().tolist() == [2, 3, 6] and lo.numpy().tolist() == [1, 3, 4]
    hi, _ = max_and_min(tf.ragged.constant([[7], [8, 9]]))
    assert hi.numpy().tolist() == [7, 9]
    assert max_and_min.experimental_get_tracing_count() == 1
    with pytest.raises(TypeError):
        max_and_min(tf.ragged.constant([[1.5]]))


def test_ragged_inputs_and_outputs_of_traced_functions():
    @tf.function
    def step(rt):
        for _ in tf.range(2):  # autograph loop carrying a RaggedTensor
            rt = rt * 2
        return rt, tf.reduce_sum(rt, axis=1)

    out, sums = step(digits())
    assert isinstance(out, tf.RaggedTensor)
    assert out.to_list() == [[12, 4, 16, 4], [], [20, 36, 8], [24], []]
    assert sums.numpy().tolist() == [36, 0, 64, 24, 0]
    cf = step.get_concrete_function(tf.RaggedTensorSpec([None, None], tf.int32))
    ops = [op.type for op in cf.graph.get_operations()]
    assert ops[:2] == ["Placeholder", "Placeholder"]  # flat_values and row_splits

    @tf.function
    def split_words(s):
        return tf.strings.split(s)

    assert split_words(tf.constant(["a b", "c"])).to_list() == [[b"a", b"b"], [b"c"]]


def test_gradient_through_a_traced_function_with_ragged_values():
    x = tf.Variable([1., 2., 3.])

    @tf.function
    def loss():
        rt = tf.RaggedTensor.from_row_splits(x, [0, 2, 3])
        return tf.reduce_sum(tf.reduce_sum(rt * rt, axis=1))

    with tf.GradientTape() as tape:
        value = loss()
    assert float(value) == 14.
    assert tape.gradient(value, x).numpy().tolist() == [2., 4., 6.]


def test_errors():
    with pytest.raises(ValueError, match="factory methods"):
        tf.RaggedTensor([1], [0, 1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="do not form a valid "
                                                             "RaggedTensor"):
        tf.RaggedTensor.from_row_splits([1, 2, 3], [0, 2])
    with pytest.raises(ValueError, match="Attempt to convert a value"):
        tf.linalg.det(digits())  # not dispatched: TensorFlow's conversion error


def test_tape_watches_a_ragged_tensor_through_its_flat_values():
    # TensorFlow differentiates a RaggedTensor source through its flat_values and returns a
    # RaggedTensor gradient of the same row structure
    rt = tf.ragged.constant([[1.0, 2.0], [3.0]])
    with tf.GradientTape() as tape:
        tape.watch(rt)
        y = tf.reduce_sum(rt * rt)
    g = tape.gradient(y, rt)
    assert isinstance(g, tf.RaggedTensor)
    assert g.to_list() == [[2.0, 4.0], [6.0]]  # d(x^2)/dx = 2x
    with tf.GradientTape() as tape:
        tape.watch(rt)
        z = rt * 3.0
    g_list = tape.gradient(z, [rt])  # a ragged target is summed, as any target
    assert g_list[0].to_list() == [[3.0, 3.0], [3.0]]
