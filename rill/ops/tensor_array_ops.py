"""`tf.TensorArray`: a list of tensors of one dtype and element shape, written and read by
index, usable in eager code and as a loop variable of `tf.while_loop` (and so in autograph
loops over tensors).

Eagerly it is a Python list of tensors (tapes see the tensors themselves). In a graph it is
one dense tensor, the `buffer`, of shape [size, *element_shape], updated by ops that return a
new buffer (`TensorListSetItem`, `TensorListGetItem`): a loop carries the buffer as a loop
variable, and gradients are ordinary tensor gradients. Before the first write the element
shape may be unknown: the buffer is then [size] and the first write of a value of higher rank
reallocates it. Unwritten elements read as zeros, as in TensorFlow.
"""

from __future__ import annotations

import numpy as np

from rill._core import context as _context
from rill._core import dtypes as _dtypes
from rill._core.convert import convert_to_tensor
from rill._core.errors import InvalidArgumentError, OutOfRangeError
from rill._core.graph import constant_value
from rill._core.op import defop, execute
from rill._core.tensor import wrap
from rill._core.tensor_shape import TensorShape, as_shape

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)


# -- the graph ops ----------------------------------------------------------------------------
def _reserve_kernel(size, *, dtype, element_shape):
    return np.zeros((int(size),) + (element_shape or ()), dtype=dtype._np)


def _reserve_rule(size, *, dtype, element_shape):
    n = constant_value(size)
    n = None if n is None else int(n)
    return TensorShape([n] + list(element_shape or ())), dtype


RESERVE = defop("TensorListReserve", _reserve_kernel, _reserve_rule, grad=None,
                public_name="tf.TensorArray")


def _set_item_kernel(buffer, index, value, *, dynamic):
    i, n = int(index), buffer.shape[0]
    if buffer.ndim != value.ndim + 1:  # the first write fixes the element shape
        buffer = np.zeros((n,) + value.shape, dtype=buffer.dtype)
    elif buffer.shape[1:] != value.shape:
        raise InvalidArgumentError(
            None, "TensorListSetItem",
            f"Could not write to TensorArray index {i} because the value shape is "
            f"{list(value.shape)} which is incompatible with the TensorArray's inferred "
            f"element shape: {list(buffer.shape[1:])}.\nhint: write elements of one shape.")
    if i < 0:
        raise OutOfRangeError(None, "TensorListSetItem",
                              f"Tried to write to index {i}: indices must be >= 0.")
    if i >= n:
        if not dynamic:
            raise OutOfRangeError(
                None, "TensorListSetItem",
                f"Tried to write to index {i} but array is not resizeable and size is: {n}\n"
                f"hint: create the TensorArray with dynamic_size=True, or a larger size.")
        grown = np.zeros((i + 1,) + buffer.shape[1:], dtype=buffer.dtype)
        grown[:n] = buffer
        buffer = grown
    else:
        buffer = buffer.copy()
    buffer[i] = value
    return buffer


def _set_item_rule(buffer, index, value, *, dynamic):
    b, v = buffer.shape, value.shape
    n = None if b.rank is None else b[0]
    i = constant_value(index)
    if dynamic and (n is None or i is None or int(i) >= n):
        n = None
    if b.rank is None or v.rank is None or b.rank != v.rank + 1:
        return TensorShape(None if v.rank is None else [n] + v.as_list()), buffer.dtype
    elem = b[1:]
    if not elem.is_compatible_with(v):
        raise ValueError(f"Incompatible shape for value ({v}), expected ({elem})")
    return TensorShape([n]).concatenate(elem.merge_with(v)), buffer.dtype


def _set_item_grad(op, dy):
    buffer, index, value = op.inputs
    d_buffer = fit(write_item(dy, index, _zeros(value), False), buffer)
    return d_buffer, None, read_item(dy, index)


SET_ITEM = defop("TensorListSetItem", _set_item_kernel, _set_item_rule, _set_item_grad,
                 public_name="tf.TensorArray.write")


def _get_item_kernel(buffer, index):
    i, n = int(index), buffer.shape[0]
    if not 0 <= i < n:
        raise OutOfRangeError(None, "TensorListGetItem",
                              f"Tried to read from index {i} but array size is: {n}\n"
                              f"hint: read indices in [0, size()).")
    return buffer[i]


def _get_item_rule(buffer, index):
    b = buffer.shape
    return (TensorShape(None) if b.rank is None else b[1:]), buffer.dtype


def _get_item_grad(op, dy):
    buffer, index = op.inputs
    return write_item(_zeros(buffer), index, dy, False), None


GET_ITEM = defop("TensorListGetItem", _get_item_kernel, _get_item_rule, _get_item_grad,
                 public_name="tf.TensorArray.read")


def _fit_kernel(x, like):
    if x.shape == like.shape:
        return x
    out = np.zeros(like.shape, dtype=x.dtype)
    if x.ndim == like.ndim and x.shape[1:] == like.shape[1:]:
        m = min(x.shape[0], like.shape[0])
        out[:m] = x[:m]
    return out


FIT = defop("TensorArrayFit", _fit_kernel, lambda x, like: (like.shape, x.dtype),
            lambda op, dy: (fit(dy, op.inputs[0]), None),
            public_name="tf.TensorArray (gradient)")


def write_item(buffer, index, value, dynamic: bool):
    return execute(SET_ITEM, (buffer, index, value), {"dynamic": dynamic})


def read_item(buffer, index):
    return execute(GET_ITEM, (buffer, index))


def fit(x, like):
    """`x` cut or zero-padded along its first axis to the shape of `like` (zeros where the
    element shapes differ): the gradient of a buffer that was grown or reallocated."""
    return execute(FIT, (x, like))


def _zeros(t):
    from rill._core.op import REGISTRY
    return execute(REGISTRY["ZerosLike"], (t,))


def _index(i):
    return convert_to_tensor(i, dtype=_dtypes.int32) if not hasattr(i, "dtype") else i


# -- the public class ---------------------------------------------------------------------------
class TensorArray:
    """A list of tensors of one dtype, indexed by integers (`tf.TensorArray`).

    Writes return the new TensorArray: always use the result (`ta = ta.write(i, x)`).

    >>> ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    >>> for i in range(3):
    ...     ta = ta.write(i, float(i) * 2)
    >>> ta.stack().numpy()
    array([0., 2., 4.], dtype=float32)
    """

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None,
                 tensor_array_name=None, handle=None, flow=None, infer_shape=True,
                 element_shape=None, colocate_with_first_write_call=True, name=None):
        self._dtype = _dtypes.as_dtype(dtype)
        self._dynamic = bool(dynamic_size)
        self._element_shape = as_shape(element_shape) if element_shape is not None \
            else TensorShape(None)
        self._infer_shape = infer_shape
        if size is None and flow is None:
            if not self._dynamic:
                raise ValueError("tf.TensorArray: size must be given unless dynamic_size=True."
                                 "\nhint: tf.TensorArray(dtype, size=n) or size=0, "
                                 "dynamic_size=True.")
            size = 0
        self._list = None
        self._buffer = None
        # clear_after_read=True: eagerly an element is freed once read, as in TensorFlow (whose
        # eager arrays also do so by default; rill's keep elements unless asked)
        self._clear = bool(clear_after_read)
        self._cleared: set = set()
        if flow is not None:
            self._buffer = convert_to_tensor(flow)
        elif _state.graphs or not isinstance(size, (int, np.integer)) and \
                constant_value(size) is None:
            elem = tuple(self._element_shape.as_list()) \
                if self._element_shape.is_fully_defined() else None
            self._buffer = execute(RESERVE, (_index(size),),
                                   {"dtype": self._dtype, "element_shape": elem})
        else:
            self._list = [None] * int(constant_value(size) if hasattr(size, "dtype") else size)

    def _new(self, buffer=None, items=None, element_shape=None) -> TensorArray:
        ta = object.__new__(TensorArray)
        ta._dtype, ta._dynamic, ta._infer_shape = self._dtype, self._dynamic, self._infer_shape
        ta._element_shape = self._element_shape if element_shape is None else element_shape
        ta._buffer, ta._list = buffer, items
        ta._clear, ta._cleared = self._clear, set()
        return ta

    # -- properties ------------------------------------------------------------------------
    @property
    def dtype(self) -> _dtypes.DType:
        return self._dtype

    @property
    def element_shape(self) -> TensorShape:
        return self._element_shape

    @property
    def dynamic_size(self) -> bool:
        return self._dynamic

    @property
    def flow(self):
        return self._graph_buffer()

    @property
    def handle(self):
        return None

    def __repr__(self) -> str:
        return f"<tf.TensorArray dtype={self._dtype.name} element_shape={self._element_shape}>"

    # -- composite protocol (tf.while_loop / tf.cond carry the buffer) --------------------------
    def _rill_components(self) -> list:
        return [self._graph_buffer()]

    def _rill_with_components(self, components: list) -> TensorArray:
        buffer = components[0]
        elem = self._element_shape
        if elem.rank is None and (buffer.shape.rank or 0) > 1:  # rank 1: maybe unset
            elem = buffer.shape[1:]
        return self._new(buffer=buffer, element_shape=elem)

    def _rill_invariants(self) -> list:
        elem = self._element_shape
        return [TensorShape([None]).concatenate(elem) if elem.rank is not None
                else TensorShape(None)]

    def _graph_buffer(self):
        if self._buffer is None:  # an eager TensorArray used in a graph: its current value
            self._buffer = self.stack()
        return self._buffer

    # -- writing -----------------------------------------------------------------------------
    def _value(self, value):
        try:
            t = convert_to_tensor(value, dtype=self._dtype) if not hasattr(value, "dtype") \
                else convert_to_tensor(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"TensorArray.write: cannot convert {value!r} to "
                            f"{self._dtype.name}: {exc}") from None
        if t.dtype is not self._dtype:
            raise InvalidArgumentError(
                None, "TensorListSetItem",
                f"TensorArray dtype is {self._dtype.name} but Op is trying to write dtype "
                f"{t.dtype.name}.\nhint: tf.cast the value to tf.{self._dtype.name}.")
        return t

    def _merged_shape(self, shape: TensorShape) -> TensorShape:
        if not self._element_shape.is_compatible_with(shape):
            raise ValueError(f"Incompatible shape for value ({shape}), expected "
                             f"({self._element_shape}).\nhint: every element of a "
                             f"TensorArray has one shape.")
        return self._element_shape.merge_with(shape) if self._infer_shape \
            else self._element_shape

    def write(self, index, value, name=None) -> TensorArray:
        """Sets element `index` to `value`; returns the new TensorArray."""
        t = self._value(value)
        elem = self._merged_shape(t.shape)
        if self._list is not None and not (_active and _state.graphs):
            i = int(index)
            if i < 0 or (i >= len(self._list) and not self._dynamic):
                raise OutOfRangeError(
                    None, "TensorListSetItem",
                    f"Tried to write to index {i} but array is not resizeable and size is: "
                    f"{len(self._list)}\nhint: create the TensorArray with dynamic_size=True.")
            if i >= len(self._list):
                self._list.extend([None] * (i + 1 - len(self._list)))
            self._list[i] = t  # eagerly the array is updated in place, as in TensorFlow
            self._cleared.discard(i)
            self._element_shape = elem
            return self
        return self._new(buffer=write_item(self._graph_buffer(), _index(index), t,
                                           self._dynamic), element_shape=elem)

    def unstack(self, value, name=None) -> TensorArray:
        """The TensorArray whose elements are the slices of `value` along its first axis."""
        t = self._value(value)
        if t.shape.rank == 0:
            raise ValueError("TensorArray.unstack needs a tensor of rank >= 1.")
        n = t.shape[0] if t.shape.rank is not None else None
        if not self._dynamic and n is not None and self._list is not None \
                and n > len(self._list):
            raise ValueError(f"Cannot unstack {n} tensors into a TensorArray of static size "
                             f"{len(self._list)}.\nhint: create it with size={n} or "
                             f"dynamic_size=True.")
        elem = self._merged_shape(t.shape[1:])
        if self._list is not None and not (_active and _state.graphs):
            from rill.ops.manip_ops import unstack
            self._list = list(unstack(t)) + self._list[n:]
            self._element_shape = elem
            return self
        return self._new(buffer=t, element_shape=elem)

    def scatter(self, indices, value, name=None) -> TensorArray:
        """Writes the slices of `value` at `indices` (indices known while tracing)."""
        idx = constant_value(indices)
        if idx is None:
            raise NotImplementedError("TensorArray.scatter needs indices known when tracing."
                                      "\nhint: write the elements in a loop.")
        from rill.ops.manip_ops import unstack
        ta = self
        for i, v in zip(np.asarray(idx).reshape(-1).tolist(), unstack(self._value(value))):
            ta = ta.write(i, v)
        return ta

    # -- reading -----------------------------------------------------------------------------
    def _zeros(self):
        if not self._element_shape.is_fully_defined():
            raise ValueError("TensorArray: cannot make the zeros of an unwritten element "
                             "whose shape is unknown.\nhint: pass element_shape= to "
                             "tf.TensorArray, or write the element first.")
        return wrap(np.zeros(self._element_shape.as_list(), dtype=self._dtype._np))

    def read(self, index, name=None):
        """Element `index` (zeros if it was never written)."""
        if self._list is not None and not (_active and _state.graphs):
            i = int(index)
            if not 0 <= i < len(self._list):
                raise OutOfRangeError(None, "TensorListGetItem",
                                      f"Tried to read from index {i} but array size is: "
                                      f"{len(self._list)}")
            if i in self._cleared:
                raise InvalidArgumentError(
                    None, "TensorArrayReadV3", f"Could not read index {i} twice because it was "
                    f"cleared after a previous read (perhaps try setting clear_after_read = "
                    f"false?)\nAn eager TensorArray frees each element when it is read.\nhint: "
                    f"keep the value read, or create the array with clear_after_read=False.")
            item = self._list[i]
            if item is None:
                return self._zeros()
            if self._clear:
                self._list[i] = None
                self._cleared.add(i)
            return item
        return read_item(self._graph_buffer(), _index(index))

    def stack(self, name=None):
        """All elements stacked along a new first axis."""
        if self._list is not None and not (_active and _state.graphs):
            from rill.ops.manip_ops import stack
            if not self._list:
                if not self._element_shape.is_fully_defined():
                    return wrap(np.zeros((0,), dtype=self._dtype._np))
                return wrap(np.zeros([0] + self._element_shape.as_list(), self._dtype._np))
            items = [x if x is not None else self._zeros() for x in self._list]
            return stack(items)
        return self._graph_buffer()

    def gather(self, indices, name=None):
        """The elements at `indices`, stacked."""
        from rill.ops.gather_scatter_ops import gather
        return gather(self.stack(), indices)

    def concat(self, name=None):
        """All elements concatenated along their first axis."""
        from rill.ops.array_ops import reshape, shape
        from rill.ops.manip_ops import concat
        s = self.stack()
        if s.shape.rank is not None and s.shape.rank < 2:
            raise ValueError("TensorArray.concat needs elements of rank >= 1.")
        if s.shape.rank is not None and s.shape[2:].is_fully_defined():
            return reshape(s, [-1] + s.shape[2:].as_list())
        return reshape(s, concat([[-1], shape(s)[2:]], 0))

    def size(self, name=None):
        """The number of elements, as an int32 scalar tensor."""
        if self._list is not None and not (_active and _state.graphs):
            return wrap(np.int32(len(self._list)))
        b = self._graph_buffer()
        if b.shape.rank is not None and b.shape[0] is not None:
            return convert_to_tensor(np.int32(b.shape[0]))
        from rill.ops.array_ops import shape
        return shape(b)[0]

    # -- the rest of the API ----------------------------------------------------------------
    def identity(self) -> TensorArray:
        return self

    def close(self, name=None):
        return None

    def mark_used(self) -> None:
        return None

    def grad(self, source, flow=None, name=None):
        raise NotImplementedError("TensorArray.grad is TensorFlow 1 API; use tf.GradientTape "
                                  "on the tensors you read.")
