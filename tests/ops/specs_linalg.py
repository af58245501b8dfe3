"""Op specs for rill/ops/linalg_ops.py (format: tests/ops/opspec.py)."""

import numpy as np

from rill.ops import linalg_ops as L
from rill.ops import math_ops as M
from tests.ops.opspec import OpSpec, normal


def _well(n, batch=()):
    """inputs helper: well-conditioned square matrices."""
    return lambda rng: rng.standard_normal(batch + (n, n)) + n * np.eye(n)


def _spd(n, batch=()):
    def make(rng):
        b = rng.standard_normal(batch + (n, n))
        return b @ np.swapaxes(b, -1, -2) + n * np.eye(n)
    return make


def _ins(*makers):
    return lambda rng: [m(rng) for m in makers]


def _sym(a):
    return M.multiply(M.add(a, L.matrix_transpose(a)), 0.5)


def _einsum(eq, *shapes, second_order=True):
    return OpSpec(["Einsum"], lambda *xs: L.einsum(eq, *xs),
                  _ins(*(normal(*s) for s in shapes)),
                  ref=lambda *xs: np.einsum(eq, *xs), second_order=second_order,
                  name=f"Einsum[{eq}]")


def _diag_np(d, k=0):
    n = d.shape[-1] + abs(k)
    out = np.zeros(d.shape[:-1] + (n, n))
    for i in range(d.shape[-1]):
        out[..., i + max(-k, 0), i + max(k, 0)] = d[..., i]
    return out


def _band_np(x, lo, up):
    m, n = x.shape[-2:]
    i, j = np.arange(m)[:, None], np.arange(n)[None, :]
    keep = ((lo < 0) | (i - j <= lo)) & ((up < 0) | (j - i <= up))
    return x * keep


def _set_diag_np(x, d, k=0):
    out = x.copy()
    for i in range(d.shape[-1]):
        out[..., i + max(-k, 0), i + max(k, 0)] = d[..., i]
    return out


def _svd_parts(x):
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return [s, u ** 2, np.swapaxes(vh, -1, -2) ** 2]


def _eigh_parts(x):
    e, v = np.linalg.eigh(x)
    return [e, v ** 2]


def _eigh_fn(a):
    e, v = L.eigh(_sym(a))
    return [e, M.square(v)]


def _svd_fn(x):
    s, u, v = L.svd(x)
    return [s, M.square(u), M.square(v)]


SPECS = [
    _einsum("ij,jk->ik", (3, 4), (4, 2)),
    _einsum("ij->ji", (3, 4)),
    _einsum("ij", (3, 4)),
    _einsum("ba", (3, 4)),
    _einsum("ii->", (3, 3)),
    _einsum("ii->i", (3, 3)),
    _einsum("iij->j", (2, 2, 3)),
    _einsum("ij->", (3, 4)),
    _einsum("ij->j", (3, 4)),
    _einsum("i,j->ij", (3,), (4,)),
    _einsum("bij,bjk->bik", (2, 3, 4), (2, 4, 2)),
    _einsum("...ij,...jk->...ik", (2, 3, 4), (4, 2)),
    _einsum("...ij,...jk->...ik", (2, 1, 3, 4), (3, 4, 2)),
    _einsum("...i,...i->...", (2, 3), (3,)),
    _einsum("ij,jk,kl->il", (2, 3), (3, 4), (4, 2)),
    _einsum("i,i->", (5,), (5,)),
    OpSpec(["Einsum"], lambda a, b: L.tensordot(a, b, axes=[[1, 2], [1, 0]]),
           _ins(normal(2, 3, 4), normal(4, 3, 2)),
           ref=lambda a, b: np.tensordot(a, b, axes=[[1, 2], [1, 0]]), name="tensordot"),
    OpSpec(["MatrixInverse"], L.inv, _ins(_well(3, (2,))), ref=np.linalg.inv,
           second_order=True),
    OpSpec(["MatrixInverse"], lambda x: L.inv(x, adjoint=True), _ins(_well(3)),
           ref=lambda x: np.linalg.inv(x.T), name="MatrixInverse[adjoint]"),
    OpSpec(["MatrixDeterminant"], L.det, _ins(_well(3, (2,))), ref=np.linalg.det,
           second_order=True),
    OpSpec(["LogMatrixDeterminant"], lambda x: list(L.slogdet(x)),
           _ins(lambda rng: rng.standard_normal((2, 3, 3))),
           ref=lambda x: list(np.linalg.slogdet(x)), second_order=True),
    OpSpec(["MatrixDiagV3"], L.diag, _ins(normal(2, 3)), ref=_diag_np, second_order=True),
    OpSpec(["MatrixDiagV3"], lambda d: L.diag(d, k=1), _ins(normal(3)),
           ref=lambda d: _diag_np(d, 1), name="MatrixDiagV3[k=1]"),
    OpSpec(["MatrixDiagV3"], lambda d: L.diag(d, num_rows=4), _ins(normal(3)),
           ref=lambda d: np.vstack([np.diag(d), np.zeros((1, 3))]),
           name="MatrixDiagV3[num_rows]"),
    OpSpec(["MatrixDiagPartV3"], L.diag_part, _ins(normal(2, 3, 4)),
           ref=lambda x: np.diagonal(x, axis1=-2, axis2=-1), second_order=True),
    OpSpec(["MatrixDiagPartV3"], lambda x: L.diag_part(x, k=-1), _ins(normal(3, 4)),
           ref=lambda x: np.diagonal(x, offset=-1), name="MatrixDiagPartV3[k=-1]"),
    OpSpec(["MatrixSetDiagV3"], L.set_diag, _ins(normal(2, 3, 3), normal(2, 3)),
           ref=_set_diag_np, second_order=True),
    OpSpec(["MatrixSetDiagV3"], lambda x, d: L.set_diag(x, d, k=1),
           _ins(normal(3, 3), normal(2)), ref=lambda x, d: _set_diag_np(x, d, 1),
           name="MatrixSetDiagV3[k=1]"),
    OpSpec(["MatrixBandPart"], lambda x: L.band_part(x, 1, 0), _ins(normal(2, 3, 4)),
           ref=lambda x: _band_np(x, 1, 0), second_order=True),
    OpSpec(["MatrixBandPart"], lambda x: L.band_part(x, -1, 1), _ins(normal(4, 3)),
           ref=lambda x: _band_np(x, -1, 1), name="MatrixBandPart[-1,1]"),
    OpSpec(["Cholesky"], lambda a: L.cholesky(_sym(a)), _ins(_spd(3, (2,))),
           ref=np.linalg.cholesky, second_order=True),
    OpSpec(["MatrixSolve"], L.solve, _ins(_well(3, (2,)), normal(2, 3, 2)),
           ref=np.linalg.solve, second_order=True),
    OpSpec(["MatrixSolve"], lambda a, b: L.solve(a, b, adjoint=True),
           _ins(_well(3), normal(3, 2)), ref=lambda a, b: np.linalg.solve(a.T, b),
           name="MatrixSolve[adjoint]"),
    OpSpec(["MatrixSolve"], L.solve, _ins(_well(3), normal(2, 3, 1)),
           ref=np.linalg.solve, name="MatrixSolve[broadcast]"),
    OpSpec(["Qr"], lambda x: list(L.qr(x)), _ins(normal(2, 4, 3)),
           ref=lambda x: list(np.linalg.qr(x)), second_order=True),
    OpSpec(["Qr"], lambda x: list(L.qr(x)), _ins(normal(2, 3, 5)),
           ref=lambda x: list(np.linalg.qr(x)), name="Qr[wide]"),
    OpSpec(["Qr"], lambda x: list(L.qr(x, full_matrices=True)), _ins(normal(3, 4)),
           ref=lambda x: list(np.linalg.qr(x, mode="complete")), name="Qr[wide, full]"),
    OpSpec(["Qr"], lambda x: list(L.qr(x)), _ins(normal(3, 3)),
           ref=lambda x: list(np.linalg.qr(x)), name="Qr[square]"),
    OpSpec(["Svd"], _svd_fn, _ins(normal(2, 4, 3)), ref=_svd_parts),
    OpSpec(["Svd"], _svd_fn, _ins(normal(3, 5)), ref=_svd_parts, name="Svd[wide]"),
    OpSpec(["SelfAdjointEigV2"], _eigh_fn, _ins(_spd(3, (2,))), ref=_eigh_parts),
    OpSpec(["SelfAdjointEigV2"], lambda a: L.eigvalsh(_sym(a)), _ins(_spd(3)),
           ref=np.linalg.eigvalsh, second_order=True, name="SelfAdjointEigV2[values]"),
    OpSpec(["Svd"], lambda x: L.svd(x, compute_uv=False), _ins(normal(4, 3)),
           ref=lambda x: np.linalg.svd(x, compute_uv=False), name="Svd[s only]",
           second_order=True),
]
