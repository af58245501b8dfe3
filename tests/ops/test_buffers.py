"""Result arrays recycled between kernel calls (rill/ops/_buffers.py): an array comes back
only when nothing but the pool refers to it, whatever else held it (a name, a view, a
tensor, a variable, another thread)."""

import threading

import numpy as np
import pytest

import rill as tf
from rill.ops import _buffers, nn_ops
from rill.ops import _conv_kernels as K

SHAPE = (64, 13, 13, 32)  # 1.4 MB of float32: pooled


def _addr(a) -> int:
    return a.__array_interface__["data"][0]


@pytest.fixture(autouse=True)
def fresh_pool():
    _buffers.clear()
    yield
    _buffers.clear()


def test_an_array_nobody_holds_comes_back():
    a = _buffers.empty(SHAPE, np.float32)
    where = _addr(a)
    del a
    b = _buffers.empty(SHAPE, np.float32)
    assert _addr(b) == where and b.shape == SHAPE and b.dtype == np.float32


@pytest.mark.parametrize("holder", [
    lambda a: a,
    lambda a: a[1:],
    lambda a: a.reshape(-1),
    lambda a: memoryview(a),
    lambda a: tf.constant(a),
    lambda a: tf.Variable(a),
    lambda a: [a],
])
def test_an_array_still_referenced_never_comes_back(holder):
    a = _buffers.empty(SHAPE, np.float32)
    a.fill(1.0)
    kept = holder(a)
    first = kept[0] if isinstance(kept, list) else kept
    values = np.asarray(first.numpy() if hasattr(first, "numpy") else first)
    shared = np.shares_memory(values, a)  # tensors and variables may hold a copy
    where = _addr(a)
    del a
    b = _buffers.empty(SHAPE, np.float32)
    assert _addr(b) != where or not shared
    b.fill(2.0)
    assert np.all(values == 1.0)


def test_zeros_clears_a_recycled_array():
    a = _buffers.empty(SHAPE, np.float32)
    a.fill(np.nan)
    del a
    z = _buffers.zeros(SHAPE, np.float32)
    assert not np.signbit(z).any() and np.count_nonzero(z) == 0


def test_small_arrays_are_not_held_and_keys_are_shape_and_dtype():
    _buffers.empty((4, 4), np.float32)
    assert not _buffers._held  # malloc's heap serves those without faults
    a = _buffers.empty(SHAPE, np.float32)
    where = _addr(a)
    del a
    for shape, dtype in [(SHAPE, np.float64), (SHAPE, np.int32), (SHAPE[::-1], np.float32)]:
        b = _buffers.empty(shape, dtype)
        assert (b.shape, b.dtype) == (shape, dtype) and _addr(b) != where


def test_the_pool_stays_within_its_bounds(monkeypatch):
    monkeypatch.setattr(_buffers, "MAX_BYTES", 16 << 20)
    held = [_buffers.empty((n, 1 << 16), np.float32) for n in range(1, 12)]  # 0.25-2.75 MB
    held += [_buffers.empty((3, 1 << 16), np.float32) for _ in range(12)]
    assert _buffers._bytes[0] <= 16 << 20
    assert all(len(v) <= _buffers.PER_SHAPE for v in _buffers._held.values())
    assert _buffers._bytes[0] == sum(a.nbytes for v in _buffers._held.values() for a in v)
    addrs = [_addr(a) for a in held]
    assert len(set(addrs)) == len(addrs)  # every array in use is its own


def test_threads_never_share_an_array():
    seen, errors = [], []

    def work(k):
        for i in range(50):
            a = _buffers.empty(SHAPE, np.float32)
            a.fill(k)
            if not np.all(a == k):
                errors.append((k, i))
            seen.append(_addr(a))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(seen)) <= 4 + _buffers.PER_SHAPE


def test_kernel_results_survive_later_calls():
    """Pooled results of one step are not overwritten by the next while still held."""
    rng = np.random.default_rng(3)
    pads, outs = [(0, 0)] * 2, [13, 13]
    xs = [rng.standard_normal((64, 26, 26, 32)).astype(np.float32) for _ in range(3)]
    ys = [K.max_pool(x, (2, 2), (2, 2), pads, outs) for x in xs]
    gs = [K.max_pool_grad(x, y, y, (2, 2), (2, 2), pads, outs) for x, y in zip(xs, ys)]
    rs = [nn_ops._relu_grad_kernel(y, y) for y in ys]
    for x, y, g, r in zip(xs, ys, gs, rs):
        want = x.reshape(64, 13, 2, 13, 2, 32).max(axis=(2, 4))
        np.testing.assert_array_equal(y, want)
        np.testing.assert_array_equal(r, np.where(want > 0, want, 0))
        np.testing.assert_array_equal(g.reshape(64, 13, 2, 13, 2, 32).sum(axis=(2, 4)), want)
