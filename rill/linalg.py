"""`tf.linalg`: the public linear-algebra namespace (explicit re-exports of
`rill.ops.linalg_ops`; matmul is `tf.matmul`, l2_normalize is `tf.nn.l2_normalize`)."""

from rill.ops.linalg_ops import (
    adjoint,
    band_part,
    cholesky,
    cholesky_solve,
    det,
    diag,
    diag_part,
    eigh,
    eigvalsh,
    einsum,
    eye,
    global_norm,
    inv,
    logdet,
    matrix_transpose,
    matvec,
    norm,
    normalize,
    pinv,
    qr,
    set_diag,
    slogdet,
    solve,
    svd,
    tensordot,
    trace,
    triangular_solve,
)
from rill.ops.math_ops import matmul
from rill.ops.nn_ops import l2_normalize

__all__ = [
    "adjoint", "band_part", "cholesky", "cholesky_solve", "det", "diag", "diag_part", "eigh",
    "eigvalsh", "einsum", "eye", "global_norm", "inv", "l2_normalize", "logdet", "matmul",
    "matrix_transpose", "matvec", "norm", "normalize", "pinv", "qr", "set_diag", "slogdet",
    "solve", "svd", "tensordot", "trace", "triangular_solve",
]
