"""The NumPy kernels of rill's convolution and pooling ops (`conv_ops.py` declares the ops).

Everything is channels-last, with any number of spatial axes (1-D, 2-D and 3-D share one
code path), strides, dilations, explicit paddings and groups; float32 stays float32.

A convolution is a few large BLAS products on contiguous operands:

- forward:     `cols @ w` (then + bias and max(., 0) per chunk in the fused op), where
               `cols` (windows, K * C) is one copy of a strided view of the
               padded input (im2col without a Python loop over positions);
- input grad:  one product per kernel offset, `dy @ w[k].T`, each a contiguous block added
               into that offset's slice of the padded input gradient (col2im by slices,
               never `np.add.at`); offsets that cannot overlap assign instead of adding;
- filter grad: `cols.T @ dy`.

With few input channels (C < 4) a row of `cols` would be copied a handful of floats at a
time, so the kernels build the transposed matrix (K * C, windows) instead: one contiguous
block per kernel offset and channel. Grouped convolutions run the same products batched over
groups. Every product first asks rill's BLAS policy for a thread count (`blas.for_flops`).
A depthwise convolution is such a grouped one (a group per channel); with one filter per
channel (channel multiplier 1) its gradients' products are scalings, done elementwise: the
batched 1x1 products and the channels-first layout cost 2-3x more (MobileNet-like shapes,
CPU time: input gradient 15 ms against 41, filter gradient 6.5 against 16; the depthwise
kernels this replaced took 15 and 11, and 2-6x more with a multiplier above 1).

Profile of the W6 network (2 cores, float32, batch 64): the products are ~75% of a
convolution's time; building `cols` by reshaping one strided view is ~3x faster than copying
K slices into it, and the per-offset layout of the input gradient halves the cost of col2im
against adding strided column blocks.

Measured again with the fused ops (CPU time on one core, so other processes' load counts
less; W6 step ~23 ms, products ~7.5 ms of it): the rest is passes bound by memory over the
26x26x32 activation, which is cold by the time the backward pass reads it (max-pool
gradient 3.4 ms cold vs 2.0 ms hot). Alternatives measured and not kept: the input gradient
as one (rows, F) @ (F, K * C) product plus col2im by strided column blocks (+20%), or as 9
separate tap products (+5-15%); the tiled max-pool gradient by one 6-D comparison against
the broadcast maximum with the ties cleared on quarter views (-5%, within noise), or row by
row with the maximum repeated along the last axis (slower); a separable argmax (slower).

Measured a third time (one core, CPU time, batch 64; W6 step ~25 ms, ~19.5 ms wall on two
threads): conv2's three products are 7.5 ms at OpenBLAS's speed on this machine and the
kernels around them add ~1 ms each. Not kept: the input gradient's col2im by contiguous
shifts (dy embedded in a grid of the padded input's row length, so each offset's block adds
to one contiguous span: the sums 3x faster, but the products on the grid's zeros cost as
much); bias and relu passes against whole-chunk operands instead of a broadcast row or a
scalar (2x faster in isolation, no gain in the kernel); threads for the passes bound by
memory (still no gain, also with cold inputs); larger or smaller chunks (640 KB best).

Pooling is separable: a max (or sum) over a (k1, k2) window is a max over k1 rows of a max
over k2 columns, so a window costs k1 + k2 passes, not k1 * k2. The max-pool gradient finds
each window's first maximum (TensorFlow's tie rule) with one equality mask per window
position; non-overlapping windows write their share instead of accumulating it (and zero
only what lies past the last window). Its fused form routes ReluGrad(dy, y), the gradient of
a rectifier before the pooling, by starting the first-maximum search from the mask y > 0:
no pass of its own (W6: 0.5 ms).

Every kernel walks the batch in chunks of a few images (about `CHUNK_BYTES` of
intermediates each), so a chunk's im2col matrix, product and col2im sums stay in cache
(~25% faster than whole-batch passes). Large convolutions whose products are thick enough
to be bound by arithmetic, not memory, share their chunks among rill's intra-op threads
(`blas.large_product_threads()`), each taking the next unclaimed chunk and running it whole
-- copies, sums and products on one BLAS thread -- so the copies and sums are parallel too,
and a busy machine degrades gracefully where OpenBLAS's own threads spin (measured 4x
slower than one thread under load). When the user controls BLAS (OPENBLAS_NUM_THREADS)
kernels stay on the calling thread.

The im2col matrix and the input gradient's per-offset products go to per-thread scratch
buffers kept between calls (`_scratch`), so their pages are not mapped and faulted again at
every call: under glibc's default malloc settings fresh multi-megabyte arrays come from mmap,
and a W6 step can spend more time in page faults than in its products. Results (the
convolution's output, the input gradient, pooled values, pooling gradients) come from
`_buffers`, which hands out again an array of the same shape that nothing refers to any
longer: W6 went from ~3,300 page faults per step (~31 ms a step, on a virtual machine where
a fault costs ~10 us) to none (~20 ms).
"""

from __future__ import annotations

import itertools
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from rill._core import blas as _blas
from rill.ops import _buffers
from rill.ops.nn_ops import masked

_as_strided = np.lib.stride_tricks.as_strided
SMALL_C = 4  # below this many channels per group, im2col is built transposed (see above)
CHUNK_BYTES = 640 << 10  # intermediates per batch chunk: a chunk stays in a core's L2
PARALLEL_COST = 1 << 22  # multiply-adds above which threads pay off
PARALLEL_DEPTH = 16  # products thinner than this are bound by memory, where threads don't help
SCRATCH_BYTES = 8 << 20  # largest per-thread scratch buffer kept between calls


# -- geometry -----------------------------------------------------------------------------
def geometry(sizes, ksizes, strides, dilations, padding, explicit):
    """Output sizes and (before, after) paddings per spatial axis (None where unknown).

    SAME: output ceil(n / s), total padding max((out - 1) * s + effective_k - n, 0), the
    smaller half before (TensorFlow's rule); VALID: none; EXPLICIT: `explicit` pairs.
    """
    outs, pads = [], []
    for i, (n, k, s, d) in enumerate(zip(sizes, ksizes, strides, dilations)):
        ek = None if k is None else (k - 1) * d + 1
        if padding == "SAME":
            o = None if n is None else -(-n // s)
            total = None if n is None or k is None else max((o - 1) * s + ek - n, 0)
            pads.append(None if total is None else (total // 2, total - total // 2))
        else:
            b, a = explicit[i] if padding == "EXPLICIT" else (0, 0)
            o = None
            if n is not None and k is not None:
                room = n + b + a - ek + s
                if room <= -s:
                    raise ValueError(f"Computed output size would be negative: {-(-room // s)} "
                                     f"[input_size: {n}, effective_filter_size: {ek}, stride: "
                                     f"{s}]; the window is larger than the (padded) input")
                o = max(room // s, 0)
            pads.append((b, a))
        outs.append(o)
    return outs, pads


def pad(x, pads, value=0, channels_first=False):
    """Pads the spatial axes of a channels-last x; with `channels_first` the copy also moves
    the channels to the front, (C, N, *spatial)."""
    padded = any(b or a for b, a in pads)
    if not padded and not channels_first:
        return x
    n, c = x.shape[0], x.shape[-1]
    spatial = tuple(s + b + a for s, (b, a) in zip(x.shape[1:-1], pads))
    inner = tuple(slice(b, b + s) for s, (b, _) in zip(x.shape[1:-1], pads))
    if channels_first:
        shape, where, x = (c, n) + spatial, (slice(None), slice(None)) + inner, \
            np.moveaxis(x, -1, 0)
    else:
        shape, where = (n,) + spatial + (c,), (slice(None),) + inner
    if not padded:
        out = np.empty(shape, dtype=x.dtype)
    elif value:
        out = np.full(shape, value, dtype=x.dtype)
    else:
        out = np.zeros(shape, dtype=x.dtype)
    out[where] = x
    return out


def crop(xp, pads, sizes):
    """The unpadded part of a channels-last xp."""
    return xp[(slice(None),) + tuple(slice(b, b + n) for (b, _), n in zip(pads, sizes))]


def slices(pos, strides, dilations, outs):
    """Index of the elements that kernel offset `pos` touches, one per output position."""
    return (slice(None),) + tuple(slice(p * d, p * d + s * (o - 1) + 1, s)
                                  for p, s, d, o in zip(pos, strides, dilations, outs))


def _disjoint(ksizes, strides, dilations):
    """Whether no input element is touched by two kernel offsets (windows do not overlap)."""
    return all((k - 1) * d < s for k, s, d in zip(ksizes, strides, dilations))


def matmul(a, b):
    """`a @ b` (batched), after setting BLAS threads for its size; keeps a's dtype."""
    m, k = a.shape[-2:]
    batch = max(math.prod(a.shape[:-2]), math.prod(b.shape[:-2]))
    _blas.for_flops(batch * m * k * b.shape[-1])
    out = np.matmul(a, b)
    return out if out.dtype == a.dtype else out.astype(a.dtype)  # bfloat16 comes back f32


def _matmul_into(a, b, out):
    """out[...] = a @ b (out= where NumPy's BLAS path allows it)."""
    if out.dtype == a.dtype and out.dtype.kind in "fc" and out.dtype.itemsize >= 4:
        _blas.for_flops(math.prod(a.shape[:-1]) * a.shape[-1] * b.shape[-1])
        np.matmul(a, b, out=out)
    else:
        out[...] = matmul(a, b)


_scratch_local = threading.local()


def _scratch(tag: str, shape: tuple, dtype) -> np.ndarray:
    """An uninitialized buffer of `shape` for intermediates that never leave a kernel, kept
    per thread between calls. Fresh buffers of this size come from mmap under glibc's
    default malloc settings, and every page of them then faults when first written (measured
    on W6: ~4,000 faults, ~12 ms of a ~32 ms step, when the process has not happened to
    raise glibc's threshold); reuse makes that cost independent of the process's history."""
    size, dtype = math.prod(shape), np.dtype(dtype)
    if size * dtype.itemsize > SCRATCH_BYTES:
        return np.empty(shape, dtype)
    bufs = _scratch_local.__dict__
    buf = bufs.get((tag, dtype))
    if buf is None or buf.size < size:
        buf = bufs[(tag, dtype)] = np.empty(size, dtype)
    return buf[:size].reshape(shape)


_pool: dict = {"executor": None, "size": 0, "pid": 0}
_pool_lock = threading.Lock()


def _executor(workers: int) -> ThreadPoolExecutor:
    """The kernels' worker threads (created on first use; again after a fork)."""
    with _pool_lock:
        if _pool["size"] != workers or _pool["pid"] != os.getpid():
            _pool["executor"] = ThreadPoolExecutor(workers, thread_name_prefix="rill-conv")
            _pool["size"], _pool["pid"] = workers, os.getpid()
        return _pool["executor"]


def _blas_policy_on() -> bool:
    """False when the user set OPENBLAS_NUM_THREADS (or RILL_NO_BLAS_THREADS): rill then
    leaves threads alone, so kernels run on the calling thread."""
    return bool(_blas._state.get("enabled", True))


def _per_chunk(bytes_per_image: int) -> int:
    return max(1, CHUNK_BYTES // max(int(bytes_per_image), 1))


def _gemm_cost(macs: int, *dims) -> int:
    """The multiply-adds of a kernel's products for `_chunked`, 0 (stay serial) when a
    product dimension is under PARALLEL_DEPTH: such products and the copies and sums around
    them are bound by memory bandwidth, which a second thread only shares (measured: no
    gain on elementwise passes, 1.4-1.5x on W6's second convolution)."""
    return macs if min(dims) >= PARALLEL_DEPTH else 0


def _chunked(n: int, per: int, cost: int, fn) -> list:
    """[fn(a, b) for the chunks [a, b) of `per` images covering [0, n)], in chunk order.

    With `cost` (multiply-adds, see `_gemm_cost`) of at least PARALLEL_COST, rill's
    intra-op threads share the chunks, each taking the next unclaimed one (the caller is one
    of them, so a busy machine that never schedules a helper only loses the helper); each
    product then runs on one BLAS thread."""
    chunks = [(a, min(a + per, n)) for a in range(0, n, per)]
    threads = min(_blas.large_product_threads(), len(chunks)) \
        if cost >= PARALLEL_COST and _blas_policy_on() else 1
    if threads <= 1:
        return [fn(a, b) for a, b in chunks]
    _blas.set_threads(1)
    results, errors = [None] * len(chunks), []
    claim = itertools.count()  # next() is atomic under the GIL
    left = [len(chunks)]
    finished = threading.Condition()

    def work():
        for i in iter(claim.__next__, None):
            if i >= len(chunks):
                return
            try:
                results[i] = fn(*chunks[i])
            except BaseException as exc:  # re-raised by the caller
                errors.append(exc)
            with finished:
                left[0] -= 1
                if not left[0]:
                    finished.notify_all()

    pool = _executor(threads - 1)
    for _ in range(threads - 1):
        pool.submit(work)
    work()
    with finished:
        finished.wait_for(lambda: not left[0])
    if errors:
        raise errors[0]
    return results


# -- convolution --------------------------------------------------------------------------
def _cols(x, ksizes, strides, dilations, pads, outs, groups):
    """im2col: every window of x as a row, (groups, windows, K * C / groups), ordered
    (offset, channel) like a filter reshaped to (K * C, F). For few channels per group the
    result is a transposed view of a contiguous (groups, K * C / groups, windows) array."""
    n, c = x.shape[0], x.shape[-1]
    cg, k = c // groups, math.prod(ksizes)
    rows = n * math.prod(outs)
    if k == 1 and all(s == 1 for s in strides) and not any(b or a for b, a in pads):
        return x.reshape(rows, groups, cg).transpose(1, 0, 2)  # 1x1: x itself, no copy
    ns = len(ksizes)
    if cg >= SMALL_C:
        xp = pad(x, pads)
        st = xp.strides
        view = _as_strided(  # (groups, n, *outs, *ksizes, cg), read-only
            xp, (groups, n) + tuple(outs) + tuple(ksizes) + (cg,),
            (cg * st[-1], st[0]) + tuple(st[1 + i] * strides[i] for i in range(ns)) +
            tuple(st[1 + i] * dilations[i] for i in range(ns)) + (st[-1],), writeable=False)
        out = _scratch("cols", (groups, rows, k * cg), x.dtype)
        np.copyto(out.reshape(view.shape), view)  # the one copy
        return out
    xcf = pad(x, pads, channels_first=True)  # (c, n, *padded)
    st = xcf.strides
    view = _as_strided(  # (groups, *ksizes, cg, n, *outs)
        xcf, (groups,) + tuple(ksizes) + (cg, n) + tuple(outs),
        (cg * st[0],) + tuple(st[2 + i] * dilations[i] for i in range(ns)) + (st[0], st[1]) +
        tuple(st[2 + i] * strides[i] for i in range(ns)), writeable=False)
    out = _scratch("cols", (groups, k * cg, rows), x.dtype)
    np.copyto(out.reshape(view.shape), view)
    return out.transpose(0, 2, 1)


def conv(x, w, strides, dilations, pads, outs, bias=None, relu=False):
    """y[n, o, f] = sum_{k, c} xpad[n, o * s + k * d, g(f) * Cg + c] w[k, c, f], where the
    filter w is (*K, C / groups, F) and output channel f belongs to group f // (F / groups).

    With `bias` (F,) and `relu` (the fused op), y + bias and max(., 0) are applied to each
    chunk while it is in cache: the same values as BiasAdd and Relu, without their passes."""
    ksizes, cg, f = w.shape[:-2], w.shape[-2], w.shape[-1]
    n, groups = x.shape[0], x.shape[-1] // cg
    k, p = math.prod(ksizes), math.prod(outs)
    out = _buffers.empty((n * p, f), x.dtype)
    wg = w.reshape(-1, f) if groups == 1 else \
        np.ascontiguousarray(w.reshape(-1, groups, f // groups).transpose(1, 0, 2))

    def run(a, b):
        cols = _cols(x[a:b], ksizes, strides, dilations, pads, outs, groups)
        part = out[a * p:b * p]
        if groups == 1:
            _matmul_into(cols[0], wg, part)
        else:
            part[...] = matmul(cols, wg).transpose(1, 0, 2).reshape(-1, f)
        if bias is not None:
            part += bias
        if relu:
            np.maximum(part, 0, out=part)

    _chunked(n, _per_chunk(p * max(k * x.shape[-1], f) * x.itemsize),
             _gemm_cost(n * p * k * cg * f, k * cg, f // groups), run)
    return out.reshape((n,) + tuple(outs) + (f,))


def _parts(d, wt):
    """d @ wt[k] for every kernel offset k, into scratch (a (K, rows, C) product)."""
    _blas.for_flops(wt.shape[0] * d.shape[0] * d.shape[1] * wt.shape[-1])
    out = _scratch("parts", (wt.shape[0], d.shape[0], wt.shape[-1]), wt.dtype)
    if out.dtype != d.dtype or out.dtype.kind not in "fc" or out.dtype.itemsize < 4:
        out[...] = matmul(d, wt)
    else:
        np.matmul(d, wt, out=out)
    return out


def conv_input(sizes, w, dy, strides, dilations, pads, outs):
    """The gradient of `conv` with respect to x, of shape `sizes` (also the transposed
    convolution of dy)."""
    n, c = sizes[0], sizes[-1]
    ksizes, cg, f = w.shape[:-2], w.shape[-2], w.shape[-1]
    groups, k, p = c // cg, math.prod(ksizes), math.prod(outs)
    fg = f // groups
    padded = tuple(s + b + a for s, (b, a) in zip(sizes[1:-1], pads))
    wk = w.reshape(k, cg, groups, fg)
    disjoint = _disjoint(ksizes, strides, dilations)
    scale = cg == fg == 1  # a group per channel, one filter each: products are scalings
    few = cg < SMALL_C and not scale  # channels outermost, as `_cols` builds them
    if few:
        wt = wk.transpose(0, 2, 1, 3)  # (k, groups, cg, fg)
        dxp = np.zeros((c, n) + padded, dtype=dy.dtype)
    else:
        wt = wk[:, :, 0].transpose(0, 2, 1) if groups == 1 else wk.transpose(0, 2, 3, 1)
        dxp = _buffers.zeros((n,) + padded + (c,), dy.dtype)
    wt = np.ascontiguousarray(wt)  # once: a strided operand costs ~50% more per product

    lead = (slice(None),) if few else ()
    where = [(pos, lead + slices(pos, strides, dilations, outs)) for pos in np.ndindex(*ksizes)]

    def run(a, b):
        dyg = dy[a:b].reshape(-1, groups, fg).transpose(1, 0, 2)  # (groups, rows, fg)
        if few:  # parts[k] = w[k] @ dy.T
            parts = matmul(wt, dyg.transpose(0, 2, 1)).reshape(
                tuple(ksizes) + (c, b - a) + tuple(outs))
            target = dxp[:, a:b]
        else:  # parts[k] = dy @ w[k].T, one contiguous (images, *outs, c) block per offset
            parts = dy[a:b] * wk.reshape((k,) + (1,) * (len(sizes) - 1) + (c,)) if scale else \
                _parts(dyg[0], wt) if groups == 1 else matmul(dyg, wt).transpose(0, 2, 1, 3)
            parts = parts.reshape(tuple(ksizes) + (b - a,) + tuple(outs) + (c,))
            target = dxp[a:b]
        for pos, sl in where:
            if disjoint:
                target[sl] = parts[pos]
            else:
                target[sl] += parts[pos]

    _chunked(n, _per_chunk(k * p * c * dy.itemsize), _gemm_cost(n * p * k * cg * f, cg, fg),
             run)
    if few:
        return np.ascontiguousarray(crop(np.moveaxis(dxp, 0, -1), pads, sizes[1:-1]))
    return crop(dxp, pads, sizes[1:-1])


def conv_filter(x, wshape, dy, strides, dilations, pads, outs):
    """The gradient of `conv` with respect to its filter, of shape `wshape`: the sum over
    batch chunks of cols.T @ dy."""
    ksizes, cg, f = wshape[:-2], wshape[-2], wshape[-1]
    n, groups = x.shape[0], x.shape[-1] // cg
    k, p, fg = math.prod(ksizes), math.prod(outs), f // groups
    scale = cg == fg == 1 and x.dtype.kind == "f"  # as in conv_input (einsum: no bfloat16)
    where = [slices(pos, strides, dilations, outs) for pos in np.ndindex(*ksizes)]
    dot = "nxyzc"[:len(outs) + 1] + "c"
    dot = f"{dot},{dot}->c"

    def run(a, b):
        if scale:  # dw[k, c] = the sum over positions of x[window k, c] * dy[c]
            xp, d = pad(x[a:b], pads), dy[a:b]
            return np.stack([np.einsum(dot, xp[sl], d) for sl in where])
        cols = _cols(x[a:b], ksizes, strides, dilations, pads, outs, groups)
        d = dy[a:b].reshape(-1, f)
        if groups == 1:
            return matmul(cols[0].T, d)
        return matmul(cols.transpose(0, 2, 1), d.reshape(-1, groups, fg).transpose(1, 0, 2))

    parts = _chunked(n, _per_chunk(p * k * x.shape[-1] * x.itemsize),
                     _gemm_cost(n * p * k * cg * f, k * cg, fg), run)
    if not parts:
        return np.zeros(wshape, dtype=x.dtype)
    dw = parts[0]
    for part in parts[1:]:  # in chunk order: the same sum on any number of threads
        dw += part
    if groups == 1 or scale:
        return dw.reshape(wshape)
    return dw.reshape((groups, -1, cg, fg)).transpose(1, 2, 0, 3).reshape(wshape)


# -- pooling ------------------------------------------------------------------------------
def lowest(dtype):
    """The padding value of max pooling."""
    return -np.inf if dtype.kind in "fV" else np.iinfo(dtype).min


def _reduce_windows(xp, ksize, strides, outs, combine, out):
    """Writes combine(...) over each window of xp into `out`, one spatial axis at a time
    (separable); axes with a window of 1 only subsample."""
    index = [slice(None)] + [slice(None) if k > 1 else slice(0, s * (o - 1) + 1, s)
                             for k, s, o in zip(ksize, strides, outs)] + [slice(None)]
    cur = xp[tuple(index)]
    axes = [i for i, k in enumerate(ksize) if k > 1]
    if not axes:
        out[...] = cur
        return out
    for j, axis in enumerate(axes, start=1):
        k, s, o = ksize[axis], strides[axis], outs[axis]
        index = [slice(None)] * cur.ndim
        parts = []
        for i in range(k):
            index[axis + 1] = slice(i, i + s * (o - 1) + 1, s)
            parts.append(cur[tuple(index)])
        acc = combine(parts[0], parts[1], out=out if j == len(axes) else None)
        for part in parts[2:]:
            combine(acc, part, out=acc)
        cur = acc
    return out


def _pooled(x, outs):
    return _buffers.empty((x.shape[0],) + tuple(outs) + (x.shape[-1],), x.dtype)


def max_pool(x, ksize, strides, pads, outs):
    """The maximum of each window (padding never wins)."""
    out, low = _pooled(x, outs), lowest(x.dtype)
    _chunked(x.shape[0], _per_chunk(x[:1].nbytes), 0, lambda a, b: _reduce_windows(
        pad(x[a:b], pads, low), ksize, strides, outs, np.maximum, out[a:b]))
    return out


def _first_max_masks(xp, y, ksize, strides, outs, live=None):
    """For each window offset, where it holds its window's first maximum (TF's tie rule);
    only among the outputs where `live` (a mask this consumes) is true, if given."""
    ones = (1,) * len(ksize)
    positions = list(np.ndindex(*ksize))
    free = live  # outputs whose maximum has not been found yet (None: all)
    for i, pos in enumerate(positions):
        sl = slices(pos, strides, ones, outs)
        hit = xp[sl] == y
        if free is None:
            free = ~hit
        else:
            hit &= free
            if i + 1 < len(positions):
                free ^= hit
        yield sl, hit


def max_pool_grad(x, y, dy, ksize, strides, pads, outs, relu=False):
    """dy routed to the first maximum of each window. With `relu`, dy * (y > 0) is routed
    (ReluGrad(dy, y), the gradient of a rectifier before the pooling, moved onto the pooled
    gradient), the mask folded into the first window offset's, so it costs no pass of its
    own (the fused op of traced graphs)."""
    low, ones = lowest(x.dtype), (1,) * len(ksize)
    padded = tuple(s + b + a for s, (b, a) in zip(x.shape[1:-1], pads))
    disjoint = _disjoint(ksize, strides, ones)
    tiled = disjoint and all(k == s for k, s in zip(ksize, strides))
    shape = (x.shape[0],) + padded + (x.shape[-1],)
    if tiled:  # the windows cover all but the ends past the last window: zero only those
        dxp = _buffers.empty(shape, dy.dtype)
        for i, (o, s) in enumerate(zip(outs, strides)):
            dxp[(slice(None),) * (i + 1) + (slice(o * s, None),)] = 0
    else:
        dxp = _buffers.zeros(shape, dy.dtype)
    # dy * mask is exact when dy is finite (a nan or inf outside the mask must give 0)
    finite = dy.dtype.kind != "f" or bool(np.isfinite(dy).all())
    if relu and not finite:  # ReluGrad's own values (inf * 0 is nan), then routed
        dy, relu = np.multiply(dy, y > 0, dtype=dy.dtype), False

    def run(a, b):
        target, g = dxp[a:b], dy[a:b]
        live = y[a:b] > 0 if relu else None
        for sl, hit in _first_max_masks(pad(x[a:b], pads, low), y[a:b], ksize, strides, outs,
                                        live):
            if disjoint and finite:
                np.multiply(g, hit, out=target[sl])
            elif disjoint:
                target[sl] = masked(hit, g)
            else:
                target[sl] += g * hit if finite else masked(hit, g)

    _chunked(x.shape[0], _per_chunk(x[:1].nbytes), 0, run)
    return crop(dxp, pads, x.shape[1:-1])


def max_pool_grad_grad(x, y, ddx, ksize, strides, pads, outs):
    """ddx read at the first maximum of each window (the gradient of max_pool_grad in dy)."""
    xp, ddxp = pad(x, pads, lowest(x.dtype)), pad(ddx, pads)
    out = np.zeros(y.shape, dtype=ddx.dtype)
    for sl, hit in _first_max_masks(xp, y, ksize, strides, outs):
        out += masked(hit, ddxp[sl])  # exactly one hit per output
    return out


def counts(sizes, ksize, strides, pads, outs, dtype):
    """How many real (unpadded) inputs each output window averages: a separable product."""
    total = np.ones((), dtype=dtype)
    ns = len(ksize)
    for i, (n, k, s, (b, _), o) in enumerate(zip(sizes, ksize, strides, pads, outs)):
        start = np.arange(o) * s
        c = np.minimum(start + k, b + n) - np.maximum(start, b)
        total = total * c.astype(dtype).reshape((o,) + (1,) * (ns - i - 1) + (1,))
    return total


def avg_pool(x, ksize, strides, pads, outs):
    """The mean of each window over its real (unpadded) inputs."""
    out = _pooled(x, outs)
    _chunked(x.shape[0], _per_chunk(x[:1].nbytes), 0, lambda a, b: _reduce_windows(
        pad(x[a:b], pads), ksize, strides, outs, np.add, out[a:b]))
    if any(b or a for b, a in pads):
        out /= counts(x.shape[1:-1], ksize, strides, pads, outs, x.dtype)
    else:
        out *= x.dtype.type(1.0 / math.prod(ksize))
    return out


def avg_pool_grad(sizes, dy, ksize, strides, pads, outs):
    """dy spread evenly over each window's real inputs."""
    ones = (1,) * len(ksize)
    g = dy / counts(sizes[1:-1], ksize, strides, pads, outs, dy.dtype)
    padded = (sizes[0],) + tuple(s + b + a for s, (b, a) in zip(sizes[1:-1], pads)) + \
        (sizes[-1],)
    dxp = _buffers.zeros(padded, dy.dtype)
    disjoint = _disjoint(ksize, strides, ones)

    def run(a, b):
        target, part = dxp[a:b], g[a:b]
        for pos in np.ndindex(*ksize):
            sl = slices(pos, strides, ones, outs)
            if disjoint:
                target[sl] = part
            else:
                target[sl] += part

    _chunked(sizes[0], _per_chunk(dxp[:1].nbytes), 0, run)
    return crop(dxp, pads, sizes[1:-1])
