"""tf.TensorShape: unknown dimensions and ranks, compatibility, merging, concatenation."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rill as tf

S = tf.TensorShape


def test_construction_and_text():
    s = S([2, None, 3])
    assert repr(s) == "TensorShape([2, None, 3])" and str(s) == "(2, None, 3)"
    assert str(S([None])) == "(None,)" and str(S([4])) == "(4,)"
    assert repr(S([])) == "TensorShape([])" and str(S([])) == "()" and S([]).rank == 0
    assert repr(S(None)) == "TensorShape(None)" and str(S(None)) == "<unknown>"
    assert S(3) == [3] and S(np.array([2, 3])) == [2, 3] and S((2, 3)) == [2, 3]
    assert S(tf.constant([[1, 2, 3]]).shape) == [1, 3]
    assert S([np.int64(2), tf.constant(3)]) == [2, 3]


def test_rank_dims_and_lists():
    s = S([2, None])
    assert s.rank == 2 and s.ndims == 2 and len(s) == 2
    assert s.as_list() == [2, None] and s.dims == [2, None] and list(s) == [2, None]
    assert s[0] == 2 and s[1] is None and s[-1] is None
    assert S([2, 3, 4])[1:] == S([3, 4]) and S([1, 2, 3])[::-1] == [3, 2, 1]
    assert 2 in S([1, 2]) and None in S([1, None])
    u = S(None)
    assert u.rank is None and u.dims is None and u[0] is None and u[1:] == S(None)
    with pytest.raises(ValueError, match="unknown"):
        u.as_list()
    with pytest.raises(ValueError):
        len(u)
    with pytest.raises(IndexError):
        S([1, 2, 3])[5]


def test_num_elements_and_fully_defined():
    assert S([2, 3]).num_elements() == 6 and S([]).num_elements() == 1
    assert S([2, None]).num_elements() is None and S(None).num_elements() is None
    assert S([2, 3]).is_fully_defined() and not S([2, None]).is_fully_defined()
    assert not S(None).is_fully_defined()
    with pytest.raises(ValueError, match="not fully defined"):
        S([None]).assert_is_fully_defined()


def test_compatibility():
    s = S([2, None])
    assert s.is_compatible_with([2, 3]) and s.is_compatible_with(S(None))
    assert not s.is_compatible_with([3, 3]) and not S([2]).is_compatible_with([2, 1])
    s.assert_is_compatible_with([None, 7])
    with pytest.raises(ValueError, match="are incompatible"):
        S([2]).assert_is_compatible_with([3])
    assert S([2, 3]).most_specific_compatible_shape([2, 4]) == [2, None]


def test_merge_with():
    assert S([2, None]).merge_with([None, 3]) == [2, 3]
    assert S(None).merge_with([1]) == [1] and S([1]).merge_with(S(None)) == [1]
    with pytest.raises(ValueError, match="not compatible"):
        S([2, None]).merge_with([3, 3])
    with pytest.raises(ValueError):
        S([2, None]).merge_with([3])


def test_concatenate_and_add():
    assert S([2, None]).concatenate([4]) == [2, None, 4]
    assert S([2]).concatenate(S(None)) == S(None)
    assert S([2]) + S([3]) == [2, 3] and S([2]) + [3] == [2, 3] and [3] + S([2]) == [3, 2]


def test_rank_helpers():
    assert S([2, 3]).with_rank(2) == [2, 3] and S(None).with_rank(2) == [None, None]
    with pytest.raises(ValueError, match="must have rank 3"):
        S([2, 3]).with_rank(3)
    assert S([2, 3]).with_rank_at_least(1) == [2, 3]
    with pytest.raises(ValueError, match="at least 3"):
        S([2, 3]).with_rank_at_least(3)
    with pytest.raises(ValueError, match="at most 1"):
        S([2, 3]).with_rank_at_most(1)
    S([2]).assert_has_rank(1)
    with pytest.raises(ValueError, match="must have rank 2"):
        S([2]).assert_has_rank(2)
    with pytest.raises(ValueError, match="same rank"):
        S([2]).assert_same_rank(S([2, 3]))


def test_equality():
    assert S([2, 3]) == [2, 3] and S([2, 3]) == (2, 3) and [2, 3] == S([2, 3])
    assert S([2, None]) == [2, None] and S([2, 3]) != [2, 4]
    assert S(None) == S(None) and S([2]) != S(None)
    assert (S([2, 3]) == "ab") is False
    assert hash(S([2, 3])) == hash(S([2, 3]))
    assert bool(S([])) and bool(S([0])) and not bool(S(None))
    assert pickle.loads(pickle.dumps(S([2, None]))) == [2, None]


@pytest.mark.parametrize("bad, exc, match", [
    ([-1, 2], ValueError, "Dimension -1 must be >= 0"),
    ([-2], ValueError, "Dimension -2 must be >= 0"),
    ([2.0], TypeError, "must be integer or None or have an __index__"),
    ([2.5], TypeError, "__index__"),
    (["a"], TypeError, "__index__"),
])
def test_invalid_dimensions(bad, exc, match):
    with pytest.raises(exc, match=match):
        S(bad)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 5)), max_size=4),
       st.lists(st.one_of(st.none(), st.integers(0, 5)), max_size=4))
def test_merge_is_compatible_with_both(a, b):
    sa, sb = S(a), S(b)
    if sa.is_compatible_with(sb):
        m = sa.merge_with(sb)
        assert m.is_compatible_with(sa) and m.is_compatible_with(sb)
        assert m == sb.merge_with(sa)
        known = sum(d is not None for d in m)
        assert known >= max(sum(d is not None for d in a), sum(d is not None for d in b))
    else:
        with pytest.raises(ValueError):
            sa.merge_with(sb)
    assert (sa + sb).as_list() == a + b
