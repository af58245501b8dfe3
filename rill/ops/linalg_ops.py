"""`tf.linalg`: einsum and tensordot, matrix inverse, determinants, factorizations (Cholesky,
QR, SVD), solves, diagonals, band parts, traces and norms.

Each op is one block: kernel, rule and gradient side by side. Gradients are written with
public rill ops (einsum does most of the index work), so they can be differentiated again.
"""

from __future__ import annotations

import numpy as np

from rill._core import dtypes as _dtypes
from rill._core.convert import constant
from rill._core.errors import InvalidArgumentError
from rill._core.graph import constant_value
from rill._core.op import defop, execute
from rill._core.tensor_shape import TensorShape
from rill.ops import math_ops as _m
from rill.ops import reduction_ops as _r
from rill.ops._util import broadcast_shapes, to_tensor, unbroadcast

_ELL = "@"  # one character standing for "..." inside parsed equations
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _error(op: str, fn: str, message: str, hint: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, op, f"{fn}: {message}\nhint: {hint}")


def _conj(x):
    return _m.conj(x) if x.dtype.is_complex else x


def _matrix_rule(x, name):
    """Checks that `x` is a batch of matrices (rank >= 2)."""
    s = x.shape
    if s.rank is not None and s.rank < 2:
        raise ValueError(f"{name} needs a tensor of rank >= 2 (a batch of matrices), got "
                         f"shape {s}")
    return s


def _square_rule(x, *, name, **attrs):
    s = _matrix_rule(x, name)
    if s.rank is not None and None not in s[-2:] and s[-1] != s[-2]:
        raise ValueError(f"{name} needs square matrices, got shape {s}")
    return s


def _square_input(x, fn: str, op: str):
    x = to_tensor(x)
    s = x.shape
    if s.rank is not None and (s.rank < 2 or (None not in s[-2:] and s[-1] != s[-2])):
        raise _error(op, fn, f"input must be a batch of square matrices (shape [..., M, M]), "
                     f"got shape {s}.", "pass a tensor whose last two dimensions are equal.")
    if not (x.dtype.is_floating or x.dtype.is_complex):
        raise _error(op, fn, f"input must be float or complex, got {x.dtype.name}.",
                     "cast it first, e.g. tf.cast(x, tf.float32).")
    return x


# -- einsum -------------------------------------------------------------------------------
def _parse_einsum(equation: str, n: int) -> tuple[list[str], str]:
    """Explicit subscripts of an equation ('...' written as one '@'); implicit outputs are the
    letters used exactly once, sorted, after '...' when any input has it."""
    eq = equation.replace(" ", "").replace("...", _ELL)
    lhs, arrow, out = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != n:
        raise ValueError(f"tf.einsum: the equation {equation!r} names {len(ins)} operand(s) "
                         f"but {n} were given.\nhint: give one comma-separated subscript per "
                         f"input tensor.")
    for s in ins + [out]:
        for c in s:
            if c not in _LETTERS and c != _ELL:
                raise ValueError(f"tf.einsum: invalid character {c!r} in equation "
                                 f"{equation!r}.\nhint: subscripts are letters a-z, A-Z and "
                                 f"'...'.")
        if s.count(_ELL) > 1:
            raise ValueError(f"tf.einsum: '...' appears twice in one subscript of "
                             f"{equation!r}.\nhint: use at most one ellipsis per operand.")
    if not arrow:
        counts: dict = {}
        for c in "".join(ins):
            counts[c] = counts.get(c, 0) + 1
        out = (_ELL if _ELL in counts else "") + "".join(
            sorted(c for c, k in counts.items() if k == 1 and c != _ELL))
    for c in out:
        if out.count(c) > 1:
            raise ValueError(f"tf.einsum: output subscript {c!r} appears twice in "
                             f"{equation!r}.\nhint: output subscripts must be unique.")
        if c != _ELL and not any(c in s for s in ins):
            raise ValueError(f"tf.einsum: output subscript {c!r} of {equation!r} appears in "
                             f"no input.\nhint: every output letter must label an input "
                             f"axis.")
    return ins, out


def _einsum_shapes(ins: list[str], out: str, shapes: list[TensorShape], equation: str):
    """Output shape of an explicit equation (None dims where unknown)."""
    sizes: dict = {}
    ell = TensorShape([])
    for sub, s in zip(ins, shapes):
        if s.rank is None:
            if _ELL in sub:
                ell = TensorShape(None)
            continue
        letters = sub.replace(_ELL, "")
        dims = s.as_list()
        if _ELL in sub:
            n_ell = len(dims) - len(letters)
            if n_ell < 0:
                raise ValueError(f"operand of shape {s} has fewer axes than subscripts "
                                 f"{sub.replace(_ELL, '...')!r} in {equation!r}")
            at = sub.index(_ELL)
            ell = broadcast_shapes(ell, TensorShape(dims[at:at + n_ell]), "Einsum")
            dims = dims[:at] + dims[at + n_ell:]
        elif len(dims) != len(letters):
            raise ValueError(f"operand of shape {s} (rank {len(dims)}) does not match its "
                             f"subscripts {sub!r} in {equation!r}")
        for c, d in zip(letters, dims):
            old = sizes.get(c)
            if old is not None and d is not None and old != d:
                raise ValueError(f"dimension {c!r} has size {old} in one place and {d} in "
                                 f"another in {equation!r}")
            if old is None:
                sizes[c] = d
    if _ELL in out and ell.rank is None:
        return TensorShape(None)
    if _ELL not in out and ell.rank:
        raise ValueError(f"the inputs have broadcast axes ('...') of shape {ell} but the "
                         f"output of {equation!r} has no '...'")
    dims = []
    for c in out:
        dims.extend(ell.as_list() if c == _ELL else [sizes.get(c)])
    return TensorShape(dims)


def _einsum_kernel(*xs, equation):
    if xs and xs[0].dtype.kind == "V":  # bfloat16: NumPy's einsum needs a native type
        out = _einsum_kernel(*(x.astype(np.float32) for x in xs), equation=equation)
        return out.astype(xs[0].dtype)
    try:
        # NumPy's own loop is fastest for small operands; big contractions go to BLAS
        # (tensordot) along a cached path, whose planning costs some 40 us
        if len(xs) == 2 and min(xs[0].size, xs[1].size) >= 1024 or \
                len(xs) > 2 and max(x.size for x in xs) >= 256:
            return np.einsum(equation, *xs, optimize=_path(equation, xs))
        return np.einsum(equation, *xs)
    except ValueError as exc:  # say which subscript disagrees with which shape
        ins, out = _parse_einsum(equation, len(xs))
        message = str(exc)
        try:
            _einsum_shapes(ins, out, [TensorShape(x.shape) for x in xs], equation)
        except ValueError as detail:
            message = str(detail)
        raise _error("Einsum", "tf.einsum", f"{message} (input shapes "
                     f"{', '.join(str(x.shape) for x in xs)}).",
                     "make each subscript's letters match the axes of its operand.") from None


_PATHS: dict = {}


def _path(equation, xs):
    """The contraction order of a large einsum (BLAS through tensordot), cached per shapes."""
    key = (equation,) + tuple(x.shape for x in xs)
    p = _PATHS.get(key)
    if p is None:
        if len(_PATHS) > 512:
            _PATHS.clear()
        p = _PATHS[key] = np.einsum_path(equation, *xs, optimize="greedy")[0]
    return p


def _einsum_rule(*xs, equation):
    ins, out = _parse_einsum(equation, len(xs))
    for x in xs[1:]:
        if x.dtype is not xs[0].dtype:
            raise ValueError(f"all inputs must have one dtype, got {xs[0].dtype.name} and "
                             f"{x.dtype.name}")
    return _einsum_shapes(ins, out, [x.shape for x in xs], equation), xs[0].dtype


def _fresh(used: str):
    for c in _LETTERS:
        if c not in used:
            yield c


def _einsum_grad(op, dy):
    xs = op.inputs
    ins, out = _parse_einsum(op.attrs["equation"], len(xs))
    grads = []
    for k, x in enumerate(xs):
        if not op.needs_grad(k):
            grads.append(None)
            continue
        operands = [dy] + [_conj(xs[j]) for j in range(len(xs)) if j != k]
        subs = [out] + [ins[j] for j in range(len(xs)) if j != k]
        fresh = _fresh("".join(ins) + out)
        target = ""
        for pos, c in enumerate(ins[k]):
            if c != _ELL and c in target:  # a diagonal: d x_ii = eye_ij d x_ij
                f = next(fresh)
                n = _static_dim(x, ins[k], pos)
                operands.append(constant(np.eye(n, dtype=x.dtype._np)))
                subs.append(c + f)
                c = f
            target += c
        if any(c != _ELL and c not in "".join(subs) for c in target):
            operands.append(execute(_m.ONES_LIKE, (x,)))  # broadcasts over summed-out axes
            subs.append(target)
        drop = _ELL in out and _ELL not in target
        eq = ",".join(subs) + "->" + (_ELL + target if drop else target)
        g = einsum(eq.replace(_ELL, "..."), *operands)
        if drop:
            n_ell = _ellipsis_rank(dy, out)
            g = _r.reduce_sum(g, axis=list(range(n_ell))) if n_ell else g
        elif _ELL in target:
            g = unbroadcast(g, x)
        grads.append(g)
    return tuple(grads)


def _static_dim(x, sub: str, pos: int) -> int:
    rank = x.shape.rank
    d = None
    if rank is not None:
        d = x.shape[pos if _ELL not in sub[:pos] else pos - 1 + rank - (len(sub) - 1)]
    if d is None:
        raise ValueError("tf.einsum: the gradient of a repeated subscript (a diagonal) needs "
                         "that dimension to be known statically.\nhint: give the tf.function "
                         "an input_signature with that dimension set.")
    return d


def _ellipsis_rank(t, sub: str) -> int:
    if t.shape.rank is None:
        raise ValueError("tf.einsum: the gradient needs the rank of the output to be known.\n"
                         "hint: give the tf.function an input_signature with a known rank.")
    return t.shape.rank - (len(sub) - 1)


EINSUM = defop("Einsum", _einsum_kernel, _einsum_rule, _einsum_grad, num_outputs=1,
               public_name="tf.einsum")
_EQS: dict = {}


def einsum(equation, *inputs, **kwargs):
    """Tensor contraction over the axes named in an Einstein-summation equation.

    Supports explicit (`'ij,jk->ik'`) and implicit (`'ij,jk'`) outputs, `...` broadcasting,
    traces and diagonals (`'ii->'`, `'ii->i'`).

    >>> tf.einsum('ij,jk->ik', tf.ones([2, 3]), tf.ones([3, 4])).shape
    TensorShape([2, 4])
    """
    if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
        inputs = tuple(inputs[0])
    key = (equation, len(inputs))
    eq = _EQS.get(key)
    if eq is None:
        if not isinstance(equation, str):
            raise TypeError(f"tf.einsum: equation must be a str, got {equation!r}.\nhint: "
                            f"tf.einsum('ij,jk->ik', a, b)")
        ins, out = _parse_einsum(equation, len(inputs))
        eq = _EQS[key] = (",".join(ins) + "->" + out).replace(_ELL, "...")
    xs = tuple(to_tensor(x) for x in inputs)
    if len(xs) > 1 and len({x.dtype for x in xs}) > 1:
        raise _error("Einsum", "tf.einsum", "all inputs must have one dtype, got "
                     f"{', '.join(x.dtype.name for x in xs)}.",
                     "tf.cast the inputs to one dtype first.")
    return execute(EINSUM, xs, {"equation": eq})


def tensordot(a, b, axes, name=None):
    """Sums the products of `a` and `b` over the given axes.

    `axes` is an int N (the last N axes of `a` with the first N of `b`) or a pair of axis
    lists.

    >>> tf.tensordot(tf.ones([2, 3]), tf.ones([3, 4]), axes=1).shape
    TensorShape([2, 4])
    """
    a, b = to_tensor(a), to_tensor(b)
    ra, rb = a.shape.rank, b.shape.rank
    if ra is None or rb is None:
        raise ValueError("tf.tensordot: the ranks of a and b must be known.\nhint: give the "
                         "tf.function an input_signature with known ranks.")
    if isinstance(axes, (int, np.integer)) or (hasattr(axes, "shape") and not
                                               np.ndim(constant_value(axes))):
        n = int(constant_value(axes)) if hasattr(axes, "shape") else int(axes)
        if n < 0 or n > min(ra, rb):
            raise ValueError(f"tf.tensordot: axes={n} must be in [0, {min(ra, rb)}] for "
                             f"ranks {ra} and {rb}.\nhint: axes counts the trailing axes of "
                             f"a summed with the leading axes of b.")
        ax_a, ax_b = list(range(ra - n, ra)), list(range(n))
    else:
        if len(axes) != 2:
            raise ValueError(f"tf.tensordot: axes must be an int or a pair of axis lists, got "
                             f"{axes!r}.\nhint: axes=[[1], [0]]")
        ax_a, ax_b = (np.atleast_1d(np.asarray(constant_value(v) if hasattr(v, "shape")
                                               else v)).astype(int).tolist() for v in axes)
        if len(ax_a) != len(ax_b):
            raise ValueError(f"tf.tensordot: the axis lists {ax_a} and {ax_b} differ in "
                             f"length.\nhint: pair each axis of a with one axis of b.")
        ax_a = [x % ra for x in ax_a]
        ax_b = [x % rb for x in ax_b]
    la, lb = _LETTERS[:ra], list(_LETTERS[ra:ra + rb])
    for i, j in zip(ax_a, ax_b):
        lb[j] = la[i]
    lb = "".join(lb)
    out = "".join(c for i, c in enumerate(la) if i not in ax_a) + \
        "".join(c for j, c in enumerate(lb) if j not in ax_b)
    return einsum(f"{la},{lb}->{out}", a, b)


# -- transposes ---------------------------------------------------------------------------
def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """Transposes the last two axes (conjugating too when `conjugate`).

    >>> tf.linalg.matrix_transpose(tf.ones([2, 3, 4])).shape
    TensorShape([2, 4, 3])
    """
    a = to_tensor(a)
    if a.shape.rank is not None and a.shape.rank < 2:
        raise ValueError(f"tf.linalg.matrix_transpose: input must have rank >= 2, got shape "
                         f"{a.shape}.\nhint: a vector has no matrix transpose; reshape it to "
                         f"[1, n] or [n, 1] first.")
    t = einsum("...ij->...ji", a)
    return _m.conj(t) if conjugate and a.dtype.is_complex else t


def adjoint(matrix, name=None):
    """Conjugate transpose of the last two axes (`tf.linalg.adjoint`)."""
    return matrix_transpose(matrix, conjugate=True)


# -- inverse, determinants ----------------------------------------------------------------
def _linalg_call(fn, op: str, public: str, message: str):
    def kernel(*args, **attrs):
        try:
            return fn(*args, **attrs)
        except np.linalg.LinAlgError:
            raise _error(op, public, message, "check the matrix for singularity or "
                         "conditioning (and symmetry/definiteness where required).") from None
    return kernel


def _inv(x, *, adjoint):
    return np.linalg.inv(np.swapaxes(x, -1, -2).conj() if adjoint else x)


def _inv_grad(op, dy):
    y = op.outputs[0]
    if op.attrs["adjoint"]:  # y = inv(A^H): dA = -y dy^H y
        return (_m.negative(_m.matmul(y, _m.matmul(dy, y, adjoint_a=True))),)
    return (_m.negative(_m.matmul(y, _m.matmul(dy, y, adjoint_b=True), adjoint_a=True)),)


INV = defop("MatrixInverse",
            _linalg_call(_inv, "MatrixInverse", "tf.linalg.inv", "Input is not invertible."),
            lambda x, **a: (_square_rule(x, name="MatrixInverse"), x.dtype), _inv_grad,
            public_name="tf.linalg.inv")


def inv(input, adjoint=False, name=None):  # noqa: A002 - TensorFlow's name
    """Inverse of each square matrix of a batch (of its adjoint when `adjoint`).

    >>> tf.linalg.inv(tf.constant([[2., 0.], [0., 4.]])).numpy()
    array([[0.5 , 0.  ],
           [0.  , 0.25]], dtype=float32)
    """
    x = _square_input(input, "tf.linalg.inv", "MatrixInverse")
    return execute(INV, (x,), {"adjoint": bool(adjoint)})


def _batch_rule(x, **attrs):
    s = _square_rule(x, name="MatrixDeterminant")
    return (s[:-2] if s.rank is not None else TensorShape(None)), x.dtype


def _det_kernel(x):
    out = np.linalg.det(x)
    return out if isinstance(out, np.ndarray) else x.dtype.type(out)


def _det_grad(op, dy):
    a_inv_h = inv(op.inputs[0], adjoint=True)
    return (einsum("...,...ij->...ij", _m.multiply(dy, _conj(op.outputs[0])), a_inv_h),)


DET = defop("MatrixDeterminant", _det_kernel, _batch_rule, _det_grad,
            public_name="tf.linalg.det")


def det(input, name=None):  # noqa: A002 - TensorFlow's name
    """Determinant of each square matrix of a batch.

    >>> float(tf.linalg.det(tf.constant([[1., 2.], [3., 4.]])))
    -2.0...
    """
    return execute(DET, (_square_input(input, "tf.linalg.det", "MatrixDeterminant"),))


def _slogdet_kernel(x):
    sign, logdet = np.linalg.slogdet(x)
    if not isinstance(sign, np.ndarray):
        sign, logdet = x.dtype.type(sign), x.real.dtype.type(logdet)
    return sign.astype(x.dtype, copy=False), logdet.astype(x.dtype, copy=False)


def _slogdet_rule(x):
    s, d = _batch_rule(x)
    return [(s, d), (s, d)]


def _slogdet_grad(op, dsign, dlog):
    return (einsum("...,...ij->...ij", dlog, inv(op.inputs[0], adjoint=True)),)


SLOGDET = defop("LogMatrixDeterminant", _slogdet_kernel, _slogdet_rule, _slogdet_grad,
                num_outputs=2, public_name="tf.linalg.slogdet")


def slogdet(input, name=None):  # noqa: A002 - TensorFlow's name
    """Sign and log of the absolute value of the determinant, stable where `det` overflows.

    Returns `(sign, log_abs_determinant)`.
    """
    x = _square_input(input, "tf.linalg.slogdet", "LogMatrixDeterminant")
    return execute(SLOGDET, (x,))


def logdet(matrix, name=None):
    """Log-determinant of Hermitian positive definite matrices (through Cholesky)."""
    chol = cholesky(matrix)
    return _m.multiply(_r.reduce_sum(_m.log(_real(diag_part(chol))), axis=-1), 2.0)


def _real(x):
    if x.dtype.is_complex:
        from rill.ops.math_ops import real
        return real(x)
    return x


# -- diagonals and bands ------------------------------------------------------------------
def _diag_index(rows: int, cols: int, k: int):
    n = max(0, min(rows + min(k, 0), cols - max(k, 0)))
    i = np.arange(n)
    return i - min(k, 0), i + max(k, 0)


def _diag_sizes(n, k, num_rows, num_cols):
    if num_rows < 0 and num_cols < 0:
        side = None if n is None else n + abs(k)
        return side, side
    rows = num_rows if num_rows >= 0 else (None if n is None else n + max(-k, 0))
    cols = num_cols if num_cols >= 0 else (None if n is None else n + max(k, 0))
    if None not in (n, rows, cols) and max(0, min(rows + min(k, 0), cols - max(k, 0))) != n:
        raise ValueError(f"a diagonal of length {n} at k={k} does not fit a {rows}x{cols} "
                         f"matrix (num_rows={num_rows}, num_cols={num_cols})")
    return rows, cols


def _diag_kernel(d, *, k, num_rows, num_cols, padding_value):
    rows, cols = _diag_sizes(d.shape[-1], k, num_rows, num_cols)
    out = np.full(d.shape[:-1] + (rows, cols), padding_value, dtype=d.dtype)
    r, c = _diag_index(rows, cols, k)
    out[..., r, c] = d
    return out


def _diag_rule(d, *, k, num_rows, num_cols, padding_value):
    s = d.shape
    if s.rank is None:
        return TensorShape(None), d.dtype
    if s.rank < 1:
        raise ValueError(f"diagonal must have rank >= 1, got shape {s}")
    return s[:-1].concatenate(_diag_sizes(s[-1], k, num_rows, num_cols)), d.dtype


DIAG = defop("MatrixDiagV3", _diag_kernel, _diag_rule,
             lambda op, dy: (diag_part(dy, k=op.attrs["k"]),), public_name="tf.linalg.diag")


def diag(diagonal, name="diag", k=0, num_rows=-1, num_cols=-1, padding_value=0,
         align="RIGHT_LEFT"):
    """A batch of matrices with `diagonal` on diagonal `k` (0 main, > 0 above, < 0 below).

    >>> tf.linalg.diag(tf.constant([1, 2])).numpy()
    array([[1, 0],
           [0, 2]], dtype=int32)
    """
    d = to_tensor(diagonal)
    k = _single_k(k, "tf.linalg.diag")
    return execute(DIAG, (d,), {"k": k, "num_rows": int(num_rows), "num_cols": int(num_cols),
                                "padding_value": padding_value})


def _single_k(k, fn: str) -> int:
    v = constant_value(k) if hasattr(k, "shape") else np.asarray(k)
    if v is None or np.ndim(v) > 1 or (np.ndim(v) == 1 and (len(v) > 2 or v[0] != v[-1])):
        raise NotImplementedError(f"{fn}: only a single diagonal k (a Python int) is "
                                  f"supported, got k={k!r}.\nhint: take the diagonals one "
                                  f"at a time and tf.stack them.")
    return int(np.asarray(v).reshape(-1)[0])


def _diag_part_kernel(x, *, k):
    r, c = _diag_index(x.shape[-2], x.shape[-1], k)
    return x[..., r, c]


def _diag_part_rule(x, *, k):
    s = _matrix_rule(x, "MatrixDiagPartV3")
    if s.rank is None:
        return TensorShape(None), x.dtype
    m, n = s[-2], s[-1]
    size = None if m is None or n is None else max(0, min(m + min(k, 0), n - max(k, 0)))
    return s[:-2].concatenate([size]), x.dtype


DIAG_PART = defop("MatrixDiagPartV3", _diag_part_kernel, _diag_part_rule,
                  lambda op, dy: (set_diag(execute(_m.ZEROS_LIKE, (op.inputs[0],)), dy,
                                           k=op.attrs["k"]),),
                  public_name="tf.linalg.diag_part")


def diag_part(input, name="diag_part", k=0, padding_value=0,  # noqa: A002 - TF's name
              align="RIGHT_LEFT"):
    """Diagonal `k` of each matrix of a batch.

    >>> tf.linalg.diag_part(tf.constant([[1, 2], [3, 4]])).numpy()
    array([1, 4], dtype=int32)
    """
    x = to_tensor(input)
    if x.shape.rank is not None and x.shape.rank < 2:
        raise ValueError(f"tf.linalg.diag_part: input must have rank >= 2, got shape "
                         f"{x.shape}.\nhint: use tf.linalg.diag to build a matrix from a "
                         f"vector.")
    return execute(DIAG_PART, (x,), {"k": _single_k(k, "tf.linalg.diag_part")})


def _set_diag_kernel(x, d, *, k):
    out = x.copy()
    r, c = _diag_index(x.shape[-2], x.shape[-1], k)
    out[..., r, c] = d
    return out


def _set_diag_rule(x, d, *, k):
    s = _matrix_rule(x, "MatrixSetDiagV3")
    if x.dtype is not d.dtype:
        raise ValueError(f"input and diagonal dtypes differ: {x.dtype.name} vs {d.dtype.name}")
    return s, x.dtype


def _set_diag_grad(op, dy):
    k = op.attrs["k"]
    gx = set_diag(dy, execute(_m.ZEROS_LIKE, (op.inputs[1],)), k=k) if op.needs_grad(0) \
        else None
    gd = diag_part(dy, k=k) if op.needs_grad(1) else None
    return gx, gd


SET_DIAG = defop("MatrixSetDiagV3", _set_diag_kernel, _set_diag_rule, _set_diag_grad,
                 public_name="tf.linalg.set_diag")


def set_diag(input, diagonal, name="set_diag", k=0,  # noqa: A002 - TensorFlow's name
             align="RIGHT_LEFT"):
    """A copy of `input` with diagonal `k` of each matrix replaced by `diagonal`."""
    x = to_tensor(input)
    d = to_tensor(diagonal, dtype=x.dtype) if not hasattr(diagonal, "dtype") else \
        to_tensor(diagonal)
    return execute(SET_DIAG, (x, d), {"k": _single_k(k, "tf.linalg.set_diag")})


def _band_kernel(x, lower, upper):
    m, n = x.shape[-2], x.shape[-1]
    i = np.arange(m)[:, None]
    j = np.arange(n)[None, :]
    keep = np.ones((m, n), dtype=bool)
    lower, upper = int(lower), int(upper)
    if lower >= 0:
        keep &= i - j <= lower
    if upper >= 0:
        keep &= j - i <= upper
    return np.where(keep, x, np.zeros((), dtype=x.dtype))


def _band_rule(x, lower, upper):
    return _matrix_rule(x, "MatrixBandPart"), x.dtype


BAND_PART = defop("MatrixBandPart", _band_kernel, _band_rule,
                  lambda op, dy: (execute(BAND_PART, (dy,) + op.inputs[1:]), None, None),
                  public_name="tf.linalg.band_part")


def band_part(input, num_lower, num_upper, name=None):  # noqa: A002 - TensorFlow's name
    """Keeps a band of each matrix: `num_lower` subdiagonals and `num_upper` superdiagonals
    (negative: keep the whole triangle); zeros elsewhere.

    >>> tf.linalg.band_part(tf.ones([3, 3]), 0, -1).numpy()  # upper triangle
    array([[1., 1., 1.],
           [0., 1., 1.],
           [0., 0., 1.]], dtype=float32)
    """
    x = to_tensor(input)
    if x.shape.rank is not None and x.shape.rank < 2:
        raise ValueError(f"tf.linalg.band_part: input must have rank >= 2, got shape "
                         f"{x.shape}.\nhint: pass a (batch of) matrices.")
    lo = to_tensor(num_lower, dtype=_dtypes.int64) if not hasattr(num_lower, "dtype") \
        else to_tensor(num_lower)
    up = to_tensor(num_upper, dtype=_dtypes.int64) if not hasattr(num_upper, "dtype") \
        else to_tensor(num_upper)
    return execute(BAND_PART, (x, lo, up))


def trace(x, name=None):
    """Sum of the main diagonal of each matrix of a batch.

    >>> int(tf.linalg.trace(tf.constant([[1, 2], [3, 4]])))
    5
    """
    return _r.reduce_sum(diag_part(x), axis=-1)


def eye(num_rows, num_columns=None, batch_shape=None, dtype=_dtypes.float32, name=None):
    """Identity matrix (or a batch of them); `num_columns` makes it rectangular.

    >>> tf.eye(2).numpy()
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """
    dtype = _dtypes.as_dtype(dtype)
    sizes = []
    for arg, v in (("num_rows", num_rows), ("num_columns", num_columns)):
        c = constant_value(v) if hasattr(v, "shape") else v
        if v is not None and c is None:
            raise NotImplementedError(f"tf.eye: {arg} must be known while tracing, got the "
                                      f"symbolic tensor {v}.\nhint: pass a Python int.")
        if c is not None and (np.ndim(c) or int(c) < 0):
            raise _error("Eye", "tf.eye", f"{arg} must be a non-negative scalar, got {c!r}.",
                         "pass a Python int >= 0.")
        sizes.append(None if c is None else int(c))
    m = np.eye(sizes[0], sizes[1], dtype=dtype._np)
    if batch_shape is not None:
        b = constant_value(batch_shape) if hasattr(batch_shape, "shape") else batch_shape
        b = tuple(int(d) for d in np.asarray(b).reshape(-1))
        m = np.broadcast_to(m, b + m.shape).copy()
    return constant(m)


# -- factorizations and solves ------------------------------------------------------------
def _cholesky_grad(op, dl):
    l_mat = op.outputs[0]
    l_inv = inv(l_mat)
    middle = _m.matmul(l_mat, dl, adjoint_a=True)
    middle = set_diag(middle, _m.multiply(diag_part(middle), 0.5))
    middle = band_part(middle, -1, 0)
    g = _m.matmul(_m.matmul(l_inv, middle, adjoint_a=True), l_inv)
    return (_m.multiply(_m.add(g, adjoint(g)), 0.5),)


CHOLESKY = defop("Cholesky",
                 _linalg_call(np.linalg.cholesky, "Cholesky", "tf.linalg.cholesky",
                              "Cholesky decomposition was not successful. The input might "
                              "not be valid (it must be symmetric positive definite)."),
                 lambda x: (_square_rule(x, name="Cholesky"), x.dtype), _cholesky_grad,
                 public_name="tf.linalg.cholesky")


def cholesky(input, name=None):  # noqa: A002 - TensorFlow's name
    """Lower-triangular Cholesky factor L of symmetric (Hermitian) positive definite
    matrices, A = L L^H. Only the lower triangle of `input` is read.

    >>> tf.linalg.cholesky(tf.constant([[4., 2.], [2., 2.]])).numpy()
    array([[2., 0.],
           [1., 1.]], dtype=float32)
    """
    return execute(CHOLESKY, (_square_input(input, "tf.linalg.cholesky", "Cholesky"),))


def _solve_kernel(a, b, *, adjoint):
    if adjoint:
        a = np.swapaxes(a, -1, -2).conj()
    return np.linalg.solve(a, b)


def _solve_rule(a, b, *, adjoint):
    sa = _square_rule(a, name="MatrixSolve")
    sb = _matrix_rule(b, "MatrixSolve")
    if a.dtype is not b.dtype:
        raise ValueError(f"matrix and rhs dtypes differ: {a.dtype.name} vs {b.dtype.name}")
    if sa.rank is None or sb.rank is None:
        return TensorShape(None), a.dtype
    if sa[-1] is not None and sb[-2] is not None and sa[-1] != sb[-2]:
        raise ValueError(f"matrix of shape {sa} and rhs of shape {sb} are incompatible")
    batch = broadcast_shapes(sa[:-2], sb[:-2], "MatrixSolve")
    return batch.concatenate([sa[-1] if sa[-1] is not None else sb[-2], sb[-1]]), a.dtype


def _solve_grad(op, dx):
    a, b = op.inputs
    x = op.outputs[0]
    adj = op.attrs["adjoint"]
    gb = solve(a, dx, adjoint=not adj)
    ga = None
    if op.needs_grad(0):
        ga = _m.negative(_m.matmul(x, gb, adjoint_b=True) if adj else
                         _m.matmul(gb, x, adjoint_b=True))
        ga = unbroadcast(ga, a)
    return ga, (unbroadcast(gb, b) if op.needs_grad(1) else None)


SOLVE = defop("MatrixSolve",
              _linalg_call(_solve_kernel, "MatrixSolve", "tf.linalg.solve",
                           "Input matrix is not invertible."),
              _solve_rule, _solve_grad, public_name="tf.linalg.solve")


def solve(matrix, rhs, adjoint=False, name=None):
    """Solves `matrix @ x = rhs` (or `adjoint(matrix) @ x = rhs`) for x, batched.

    >>> tf.linalg.solve(tf.constant([[2., 0.], [0., 4.]]), tf.constant([[2.], [4.]])).numpy()
    array([[1.],
           [1.]], dtype=float32)
    """
    a = _square_input(matrix, "tf.linalg.solve", "MatrixSolve")
    b = to_tensor(rhs)
    if a.dtype is not b.dtype:
        raise _error("MatrixSolve", "tf.linalg.solve", f"matrix is {a.dtype.name} but rhs is "
                     f"{b.dtype.name}.", "tf.cast both to one dtype.")
    if b.shape.rank is not None and b.shape.rank < 2:
        raise _error("MatrixSolve", "tf.linalg.solve", f"rhs must have shape [..., M, K], got "
                     f"{b.shape}.", "for a vector rhs use rhs[:, tf.newaxis] (one column).")
    return execute(SOLVE, (a, b), {"adjoint": bool(adjoint)})


def _qr_kernel(x, *, full_matrices):
    q, r = np.linalg.qr(x, mode="complete" if full_matrices else "reduced")
    return q, r


def _qr_rule(x, *, full_matrices):
    s = _matrix_rule(x, "Qr")
    if s.rank is None:
        return [(TensorShape(None), x.dtype)] * 2
    m, n = s[-2], s[-1]
    k = None if m is None or n is None else min(m, n)
    b = s[:-2]
    if full_matrices:
        return [(b.concatenate([m, m]), x.dtype), (b.concatenate([m, n]), x.dtype)]
    return [(b.concatenate([m, k]), x.dtype), (b.concatenate([k, n]), x.dtype)]


def _copyltu(m):
    """The symmetric matrix whose lower triangle is that of `m`."""
    low = band_part(m, -1, 0)
    return _m.subtract(_m.add(low, matrix_transpose(low)), diag(diag_part(m)))


def _qr_grad(op, dq, dr):
    a = op.inputs[0]
    q, r = op.outputs
    m, n = (a.shape[-2], a.shape[-1]) if a.shape.rank is not None else (None, None)
    if m is None or n is None or (op.attrs["full_matrices"] and m > n):
        raise NotImplementedError(
            "tf.linalg.qr: the gradient needs the matrix shape to be known, and is not "
            "defined for full_matrices=True with rows > columns (Q is not unique).\nhint: "
            "use full_matrices=False.")
    if a.dtype.is_complex:
        raise NotImplementedError("tf.linalg.qr: the gradient of complex QR is not "
                                  "implemented.\nhint: split into real and imaginary parts.")
    if m >= n:
        return (_qr_grad_tall(q, r, dq, dr),)
    # wide: A = [X | Y] with X = Q U square and Y = Q V, so V = Q^T Y also moves with Q
    from rill.ops.manip_ops import concat
    y, dv = a[..., m:], dr[..., m:]
    dx = _qr_grad_tall(q, r[..., :m], _m.add(dq, _m.matmul(y, dv, transpose_b=True)),
                       dr[..., :m])
    return (concat([dx, _m.matmul(q, dv)], -1),)


def _qr_grad_tall(q, r, dq, dr):
    """dA for A = QR (reduced, rows >= columns): (dQ + Q copyltu(M)) R^-T with
    M = R dR^T - dQ^T Q."""
    mid = _m.subtract(_m.matmul(r, dr, transpose_b=True), _m.matmul(dq, q, transpose_a=True))
    rhs = _m.add(dq, _m.matmul(q, _copyltu(mid)))
    return matrix_transpose(solve(r, matrix_transpose(rhs)))


QR = defop("Qr", _qr_kernel, _qr_rule, _qr_grad, num_outputs=2, public_name="tf.linalg.qr")


def qr(input, full_matrices=False, name=None):  # noqa: A002 - TensorFlow's name
    """QR factorization of each matrix: `input = q @ r`, q with orthonormal columns and r
    upper triangular. Returns `(q, r)`.
    """
    x = to_tensor(input)
    _check_float_matrix(x, "tf.linalg.qr", "Qr")
    return execute(QR, (x,), {"full_matrices": bool(full_matrices)})


def _check_float_matrix(x, fn: str, op: str):
    if x.shape.rank is not None and x.shape.rank < 2:
        raise _error(op, fn, f"input must have rank >= 2, got shape {x.shape}.",
                     "pass a (batch of) matrices.")
    if not (x.dtype.is_floating or x.dtype.is_complex):
        raise _error(op, fn, f"input must be float or complex, got {x.dtype.name}.",
                     "tf.cast it to tf.float32 or tf.float64.")


def _svd_kernel(x, *, full_matrices, compute_uv):
    if not compute_uv:
        return (np.linalg.svd(x, compute_uv=False).astype(x.real.dtype, copy=False),)
    u, s, vh = np.linalg.svd(x, full_matrices=full_matrices)
    return s.astype(x.real.dtype, copy=False), u, np.swapaxes(vh, -1, -2).conj()


def _svd_rule(x, *, full_matrices, compute_uv):
    s = _matrix_rule(x, "Svd")
    real = x.dtype.real_dtype
    if s.rank is None:
        specs = [(TensorShape(None), real), (TensorShape(None), x.dtype),
                 (TensorShape(None), x.dtype)]
        return specs if compute_uv else specs[:1]
    m, n = s[-2], s[-1]
    k = None if m is None or n is None else min(m, n)
    b = s[:-2]
    specs = [(b.concatenate([k]), real)]
    if compute_uv:
        ucols, vcols = (m, n) if full_matrices else (k, k)
        specs += [(b.concatenate([m, ucols]), x.dtype), (b.concatenate([n, vcols]), x.dtype)]
    return specs


def _svd_grad(op, ds, du=None, dv=None):
    a = op.inputs[0]
    if a.dtype.is_complex:
        raise NotImplementedError("tf.linalg.svd: the gradient of a complex SVD is not "
                                  "implemented.\nhint: split into real and imaginary parts.")
    if not op.attrs["compute_uv"]:
        s, u, v = svd(a, full_matrices=False)
        return (_m.matmul(einsum("...ij,...j->...ij", u, ds), v, transpose_b=True),)
    s, u, v = op.outputs
    m, n = (a.shape[-2], a.shape[-1]) if a.shape.rank is not None else (None, None)
    if op.attrs["full_matrices"] and (m is None or m != n):
        raise NotImplementedError("tf.linalg.svd: the gradient with full_matrices=True is "
                                  "implemented for square matrices only.\nhint: use "
                                  "full_matrices=False.")
    if m is not None and n is not None and m < n:  # A^T = V S U^T
        return (matrix_transpose(_svd_grad_tall(s, v, u, ds, dv, du)),)
    return (_svd_grad_tall(s, u, v, ds, du, dv),)


def _svd_grad_tall(s, u, v, ds, du, dv):
    """dA for A = U diag(s) V^T with rows >= columns (V square)."""
    s2 = _m.square(s)
    rows = einsum("...i,...j->...ij", s2, execute(_m.ONES_LIKE, (s,)))  # rows[i, j] = s_i^2
    eye_k = diag(execute(_m.ONES_LIKE, (s,)))
    # f[i, j] = 1 / (s_j^2 - s_i^2) off the diagonal, 0 on it
    f = _m.subtract(_m.divide_no_check(1.0, _m.add(_m.subtract(matrix_transpose(rows), rows),
                                                   eye_k)), eye_k)
    utdu = _m.matmul(u, du, transpose_a=True)
    vtdv = _m.matmul(v, dv, transpose_a=True)
    j = _m.multiply(f, _m.subtract(utdu, matrix_transpose(utdu)))
    k = _m.multiply(f, _m.subtract(vtdv, matrix_transpose(vtdv)))
    inner = _m.add(_m.add(einsum("...ij,...j->...ij", j, s), einsum("...i,...ij->...ij", s, k)),
                   diag(ds))
    g = _m.matmul(_m.matmul(u, inner), v, transpose_b=True)
    # the part of dU outside the column space of U: (I - U U^T) dU S^-1 V^T
    du_perp = _m.subtract(du, _m.matmul(u, utdu))
    extra = _m.matmul(einsum("...ij,...j->...ij", du_perp, _m.divide_no_check(1.0, s)), v,
                      transpose_b=True)
    return _m.add(g, extra)


SVD = defop("Svd", _svd_kernel, _svd_rule, _svd_grad, num_outputs=None,
            public_name="tf.linalg.svd")


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """Singular value decomposition `tensor = u @ diag(s) @ adjoint(v)`.

    Returns `s` (descending) when `compute_uv=False`, else `(s, u, v)`; note that TensorFlow
    returns v, not its adjoint as NumPy does.
    """
    x = to_tensor(tensor)
    _check_float_matrix(x, "tf.linalg.svd", "Svd")
    out = execute(SVD, (x,), {"full_matrices": bool(full_matrices),
                              "compute_uv": bool(compute_uv)})
    return out if compute_uv else out[0]


# -- norms --------------------------------------------------------------------------------
def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):  # noqa: A002
    """Vector or matrix norm (`tf.norm`, `tf.linalg.norm`).

    `ord` is 'euclidean' (2-norm of the flattened axes), 'fro', 1, 2, np.inf or any p > 0
    for vectors; 'fro', 'euclidean', 1, 2 and np.inf for matrices (`axis` a pair).

    >>> float(tf.norm(tf.constant([3., 4.])))
    5.0
    """
    from rill.ops.math_ops import abs as abs_
    from rill.ops.math_ops import sqrt
    from rill.ops.reduction_ops import reduce_max
    x = to_tensor(tensor)
    rank = x.shape.rank
    is_matrix = isinstance(axis, (list, tuple)) and len(axis) == 2
    if axis is not None and not is_matrix:
        if isinstance(axis, (list, tuple)):
            if len(axis) != 1:
                raise ValueError(f"tf.norm: 'axis' must be None, an int or a pair of ints, "
                                 f"got {axis!r}.\nhint: axis=[-2, -1] for a matrix norm.")
            axis = axis[0]
        axis = int(axis)
    valid = ("euclidean", "fro", 1, 2, np.inf) if is_matrix else None
    if (is_matrix and ord not in valid) or (not is_matrix and ord != "euclidean" and not (
            isinstance(ord, (int, float)) and not isinstance(ord, bool) and ord > 0)):
        raise ValueError(f"tf.norm: 'ord' must be a supported vector norm ('euclidean', 1, "
                         f"2, np.inf or a p > 0) or, with a pair of axes, a matrix norm "
                         f"('euclidean', 'fro', 1, 2, np.inf); got ord={ord!r}, axis="
                         f"{axis!r}.\nhint: e.g. tf.norm(x, ord=1, axis=-1).")
    keep = bool(keepdims)
    if ord in ("euclidean", "fro") or (ord == 2 and not is_matrix):
        ax = list(axis) if is_matrix else axis
        sq = _m.multiply(x, _m.conj(x)) if x.dtype.is_complex else _m.square(x)
        return sqrt(_real(_r.reduce_sum(sq, axis=ax, keepdims=keep)))
    if not is_matrix:
        a = _real(abs_(x))
        if ord == 1:
            return _r.reduce_sum(a, axis=axis, keepdims=keep)
        if ord == np.inf:
            return reduce_max(a, axis=axis, keepdims=keep)
        p = float(ord)
        return _m.pow(_r.reduce_sum(_m.pow(a, p), axis=axis, keepdims=keep), 1.0 / p)
    r0, r1 = (int(axis[0]) % rank, int(axis[1]) % rank) if rank is not None else axis
    if ord == 2:
        if rank is None:
            raise ValueError("tf.norm: the matrix 2-norm needs the rank of the tensor to be "
                             "known.\nhint: give the tf.function an input_signature with a "
                             "known rank.")
        letters = _LETTERS[:rank]
        rest = "".join(c for i, c in enumerate(letters) if i not in (r0, r1))
        moved = einsum(f"{letters}->{rest}{letters[r0]}{letters[r1]}", x)
        out = reduce_max(svd(moved, compute_uv=False), axis=-1)
        if keep:
            from rill.ops.math_ops import reshape_to
            dims = [1 if i in (r0, r1) else d for i, d in enumerate(x.shape.as_list())]
            out = reshape_to(out, TensorShape(dims), x)
        return out
    a = _real(abs_(x))
    # ord 1: largest column sum; ord inf: largest row sum
    sum_axis = r0 if ord == 1 else r1
    sums = _r.reduce_sum(a, axis=sum_axis, keepdims=True)
    return reduce_max(sums, axis=[r0, r1], keepdims=keep)


def _eigh_kernel(x, *, compute_v):
    if not compute_v:
        return (np.linalg.eigvalsh(x).astype(x.real.dtype, copy=False),)
    e, v = np.linalg.eigh(x)
    return e.astype(x.real.dtype, copy=False), v


def _eigh_rule(x, *, compute_v):
    s = _square_rule(x, name="SelfAdjointEigV2")
    real = x.dtype.real_dtype
    if s.rank is None:
        specs = [(TensorShape(None), real), (TensorShape(None), x.dtype)]
    else:
        specs = [(s[:-1], real), (s, x.dtype)]
    return specs if compute_v else specs[:1]


def _eigh_grad(op, de, dv=None):
    a = op.inputs[0]
    if a.dtype.is_complex:
        raise NotImplementedError("tf.linalg.eigh: the gradient of a complex (Hermitian) "
                                  "eigendecomposition is not implemented.\nhint: split into "
                                  "real and imaginary parts.")
    if op.attrs["compute_v"]:
        e, v = op.outputs
    else:
        e, v = eigh(a)
    inner = diag(de)
    if dv is not None and op.attrs["compute_v"]:
        ones = execute(_m.ONES_LIKE, (e,))
        rows = einsum("...i,...j->...ij", e, ones)  # rows[i, j] = e_i
        eye_k = diag(ones)
        # f[i, j] = 1 / (e_j - e_i) off the diagonal, 0 on it
        f = _m.subtract(_m.divide_no_check(1.0, _m.add(_m.subtract(matrix_transpose(rows),
                                                                   rows), eye_k)), eye_k)
        inner = _m.add(inner, _m.multiply(f, _m.matmul(v, dv, transpose_a=True)))
    g = _m.matmul(_m.matmul(v, inner), v, transpose_b=True)
    # the kernel reads the lower triangle only: fold the upper part's gradient onto it
    g = band_part(_m.add(g, matrix_transpose(g)), -1, 0)
    return (set_diag(g, _m.multiply(diag_part(g), 0.5)),)


EIGH = defop("SelfAdjointEigV2", _eigh_kernel, _eigh_rule, _eigh_grad, num_outputs=None,
             public_name="tf.linalg.eigh")


def eigh(tensor, name=None):
    """Eigenvalues (ascending) and eigenvectors of self-adjoint matrices: `(e, v)` with
    `tensor = v @ diag(e) @ adjoint(v)`. Only the lower triangle is read."""
    return execute(EIGH, (_square_input(tensor, "tf.linalg.eigh", "SelfAdjointEigV2"),),
                   {"compute_v": True})


def eigvalsh(tensor, name=None):
    """Eigenvalues (ascending) of self-adjoint matrices."""
    x = _square_input(tensor, "tf.linalg.eigvalsh", "SelfAdjointEigV2")
    return execute(EIGH, (x,), {"compute_v": False})[0]


def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """Solves `matrix @ x = rhs` for triangular matrices (only the lower or upper triangle
    of `matrix` is read)."""
    tri = band_part(matrix, -1, 0) if lower else band_part(matrix, 0, -1)
    return solve(tri, rhs, adjoint=adjoint)


def cholesky_solve(chol, rhs, name=None):
    """Solves `A x = rhs` given the Cholesky factor `chol` of A (`tf.linalg.cholesky`)."""
    y = triangular_solve(chol, rhs, lower=True)
    return triangular_solve(chol, y, lower=True, adjoint=True)


def matvec(a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False,
           name=None):
    """Matrix-vector product over the last axes, batched: `a @ b[..., None]` squeezed.

    >>> tf.linalg.matvec(tf.eye(2), tf.constant([1., 2.])).numpy()
    array([1., 2.], dtype=float32)
    """
    a = to_tensor(a)
    if adjoint_a and a.dtype.is_complex:
        a = _m.conj(a)
    eq = "...ji,...j->...i" if transpose_a or adjoint_a else "...ij,...j->...i"
    return einsum(eq, a, b)


def global_norm(t_list, name=None):
    """sqrt(sum of the squared L2 norms of the tensors of `t_list`); None entries are
    skipped."""
    ts = [to_tensor(t) for t in t_list if t is not None]
    if not ts:
        raise ValueError("tf.linalg.global_norm: t_list has no tensors.\nhint: pass a list "
                         "of tensors, e.g. gradients.")
    from rill.ops.math_ops import sqrt
    total = _m.add_n([_r.reduce_sum(_m.square(t)) for t in ts])
    return sqrt(total)


def normalize(tensor, ord="euclidean", axis=None, name=None):  # noqa: A002 - TF's name
    """`tensor / norm` and the norm (kept dims): `(normalized, norm)`."""
    n = norm(tensor, ord=ord, axis=axis, keepdims=True)
    return _m.divide_no_check(tensor, n), n


def pinv(a, rcond=None, validate_args=False, name=None):
    """Moore-Penrose pseudo-inverse through the SVD; singular values below
    rcond * max(s) count as zero (default rcond: 10 * max(rows, cols) * eps)."""
    from rill.ops.reduction_ops import reduce_max
    x = to_tensor(a)
    _check_float_matrix(x, "tf.linalg.pinv", "Svd")
    if rcond is None:
        s = x.shape
        big = max(s[-2] or 1, s[-1] or 1) if s.rank is not None else 1
        rcond = 10.0 * big * float(x.dtype.real_dtype._finfo().eps)
    sv, u, v = svd(x)
    cutoff = _m.multiply(reduce_max(sv, axis=-1, keepdims=True), rcond)
    keep = _m.greater(sv, cutoff)
    safe = _m.select(keep, sv, execute(_m.ONES_LIKE, (sv,)))
    s_inv = _m.select(keep, _m.divide_no_check(1.0, safe), execute(_m.ZEROS_LIKE, (sv,)))
    return _m.matmul(einsum("...ij,...j->...ij", v, _m.cast(s_inv, x.dtype)), u,
                     adjoint_b=True)


__tf_names__ = {
    "tf linalg": "einsum eye norm tensordot",
    "linalg": "adjoint band_part cholesky cholesky_solve det diag diag_part eigh eigvalsh "
              "global_norm inv logdet matrix_transpose matvec normalize pinv qr set_diag slogdet "
              "solve svd trace triangular_solve",
}
