"""`tf.TensorArray`: a list of tensors of one dtype and element shape, written and read by
index, usable in eager code and as a loop variable of `tf.while_loop` (and so in autograph
loops over tensors).

Eagerly it is a Python list of tensors (tapes see the tensors themselves). In a graph it is
one tensor, the list, whose static spec is the dense [size, *element_shape] and whose value
is a persistent `TensorList` (`_tensor_list.py`): ops return a new list (`TensorListSetItem`)
or read one (`TensorListGetItem`, `TensorListStack`), a loop carries the list as a loop
variable, and a write costs O(1), so filling n elements in a traced loop costs O(n). The
gradient of a list is a list (a tape's zeros and sums work on lists), so gradients through
writes, reads, stack and unstack are ordinary op gradients. Unwritten elements read as zeros,
as in TensorFlow.
"""

from __future__ import annotations

import numpy as np

from rill._core import context as _context
from rill._core import dtypes as _dtypes
from rill._core.composite import TypeSpec
from rill._core.convert import convert_to_tensor
from rill._core.errors import InvalidArgumentError, OutOfRangeError
from rill._core.graph import constant_value
from rill._core.op import core_ops, defop, execute
from rill._core.tensor import wrap
from rill._core.tensor_shape import TensorShape, as_shape
from rill.ops._tensor_list import TensorList, _Store, as_list

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)


# -- the graph ops ----------------------------------------------------------------------------
# A list's static spec is the dense [size, *element_shape]; its value is a TensorList (a dense
# array is accepted wherever a list is, and split into its rows).
def _reserve_kernel(size, *, dtype, element_shape):
    return TensorList.empty(int(size), element_shape, dtype._np)


def _reserve_rule(size, *, dtype, element_shape):
    n = constant_value(size)
    n = None if n is None else int(n)
    return TensorShape([n] + list(element_shape or ())), dtype


RESERVE = defop("TensorListReserve", _reserve_kernel, _reserve_rule, grad=None,
                public_name="tf.TensorArray")


def _set_item_kernel(items, index, value, *, dynamic):
    items = as_list(items)
    i, n = int(index), items.size
    elem = items.element_shape
    if elem is not None and elem != np.shape(value):
        raise InvalidArgumentError(
            None, "TensorListSetItem",
            f"Could not write to TensorArray index {i} because the value shape is "
            f"{list(np.shape(value))} which is incompatible with the TensorArray's inferred "
            f"element shape: {list(elem)}.\nhint: write elements of one shape.")
    if i < 0:
        raise OutOfRangeError(None, "TensorListSetItem",
                              f"Tried to write to index {i}: indices must be >= 0.")
    if i >= n and not dynamic:
        raise OutOfRangeError(
            None, "TensorListSetItem",
            f"Tried to write to index {i} but array is not resizeable and size is: {n}\n"
            f"hint: create the TensorArray with dynamic_size=True, or a larger size.")
    return items.set(i, value)


def _set_item_rule(items, index, value, *, dynamic):
    b, v = items.shape, value.shape
    n = None if b.rank is None else b[0]
    i = constant_value(index)
    if dynamic and (n is None or i is None or int(i) >= n):
        n = None
    if b.rank is None or v.rank is None or b.rank != v.rank + 1:
        return TensorShape(None if v.rank is None else [n] + v.as_list()), items.dtype
    elem = b[1:]
    if not elem.is_compatible_with(v):
        raise ValueError(f"Incompatible shape for value ({v}), expected ({elem})")
    return TensorShape([n]).concatenate(elem.merge_with(v)), items.dtype


def _set_item_grad(op, dy):
    items, index, value = op.inputs
    d_items = resize(write_item(dy, index, _zeros(value), True), items)
    return d_items, None, read_item(dy, index)


SET_ITEM = defop("TensorListSetItem", _set_item_kernel, _set_item_rule, _set_item_grad,
                 public_name="tf.TensorArray.write")


def _get_item_kernel(items, index):
    items = as_list(items)
    i, n = int(index), items.size
    if not 0 <= i < n:
        raise OutOfRangeError(None, "TensorListGetItem",
                              f"Tried to read from index {i} but array size is: {n}\n"
                              f"hint: read indices in [0, size()).")
    v = items.get(i)
    return items.zeros() if v is None else v


def _get_item_rule(items, index):
    b = items.shape
    return (TensorShape(None) if b.rank is None else b[1:]), items.dtype


def _get_item_grad(op, dy):
    items, index = op.inputs
    return write_item(execute(ZEROS, (items,)), index, _dense(dy), False), None


GET_ITEM = defop("TensorListGetItem", _get_item_kernel, _get_item_rule, _get_item_grad,
                 public_name="tf.TensorArray.read")


def _zeros_kernel(items):
    if type(items) is TensorList:
        return TensorList.empty(items.size, items.element_shape, items.dtype)
    return TensorList.empty(len(items), np.shape(items)[1:], items.dtype)


# the zeros of a list in O(1) (ZerosLike of a list whose shape is known would be folded into
# a dense constant while a function is optimized, and split again at every use)
ZEROS = defop("TensorListZerosLike", _zeros_kernel, lambda items: (items.shape, items.dtype),
              grad=None, public_name="tf.TensorArray (gradient)")


def _stack_kernel(items, *, element_shape=None):
    return items.stack() if type(items) is TensorList else items


def _stack_rule(items, *, element_shape=None):
    shape = items.shape
    if element_shape is not None:  # what the TensorArray knows of its elements
        known = TensorShape([None] + list(element_shape))
        if shape.is_compatible_with(known):
            shape = shape.merge_with(known)
    return shape, items.dtype


STACK = defop("TensorListStack", _stack_kernel, _stack_rule,
              lambda op, dy: (from_tensor(_dense(dy)),),
              public_name="tf.TensorArray.stack")
FROM_TENSOR = defop("TensorListFromTensor", TensorList.from_array,
                    lambda x: (x.shape, x.dtype), lambda op, dy: (stack_items(dy),),
                    public_name="tf.TensorArray.unstack")


def _resize_kernel(items, like):
    return as_list(items).resized(len(like))


def _resize_rule(items, like):
    a, b = items.shape, like.shape
    n = None if b.rank is None else b[0]
    return (TensorShape([n]).concatenate(a[1:]) if a.rank is not None
            else TensorShape(None)), items.dtype


RESIZE = defop("TensorListResize", _resize_kernel, _resize_rule,
               lambda op, dy: (resize(dy, op.inputs[0]), None),
               public_name="tf.TensorArray (gradient)")


def _scatter_kernel(items, values, indices, *, dynamic):
    items = as_list(items)
    idx = np.asarray(indices).reshape(-1)
    n = items.size
    elem = items.element_shape
    if len(idx) != len(values):
        raise InvalidArgumentError(None, "TensorListScatterIntoExistingList",
                                   f"TensorArray.scatter: {len(idx)} indices for "
                                   f"{len(values)} values.\nhint: pass one index per row.")
    if elem is not None and elem != np.shape(values)[1:]:
        raise InvalidArgumentError(
            None, "TensorListScatterIntoExistingList",
            f"TensorArray.scatter: values of shape {list(np.shape(values)[1:])} are "
            f"incompatible with the element shape {list(elem)}.\nhint: scatter rows of the "
            f"elements' shape.")
    if len(idx) and (idx.min() < 0 or (not dynamic and idx.max() >= n)):
        bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
        raise OutOfRangeError(None, "TensorListScatterIntoExistingList",
                              f"Tried to write to index {bad} but array is not resizeable "
                              f"and size is: {n}\nhint: use indices in [0, size()), or "
                              f"dynamic_size=True.")
    return items.set_many(idx.tolist(), list(values))


def _scatter_rule(items, values, indices, *, dynamic):
    b = items.shape
    n = None if b.rank is None or dynamic else b[0]
    return TensorShape([n]).concatenate(values.shape[1:]), items.dtype


def _scatter_grad(op, dy):
    items, values, indices = op.inputs
    from rill.ops.gather_scatter_ops import gather
    cleared = execute(SCATTER, (dy, _zeros(values), indices), {"dynamic": True})
    return resize(cleared, items), gather(stack_items(dy), indices), None


SCATTER = defop("TensorListScatterIntoExistingList", _scatter_kernel, _scatter_rule,
                _scatter_grad, public_name="tf.TensorArray.scatter")


def _lengths(like: TensorList) -> list:
    """The first-axis length of each element of `like` (unwritten ones: its element shape's)."""
    elem = like.element_shape
    out = []
    for i in range(like.size):
        v = like.get(i)
        if v is None and not elem:
            raise InvalidArgumentError(None, "TensorListConcat",
                                       f"TensorArray.concat: element {i} was never written "
                                       f"and its shape is unknown.\nhint: write every "
                                       f"element, or pass element_shape=.")
        out.append(len(v) if v is not None else elem[0])
    return out


def _concat_kernel(items, like):
    items, like = as_list(items), as_list(like)
    parts, elem = [], items.element_shape
    for i, n in enumerate(_lengths(like)):
        v = items.get(i)
        if v is None:  # unwritten: zeros shaped as `like`'s element
            ref = like.get(i)
            tail = np.shape(ref)[1:] if ref is not None else (elem or like.element_shape)[1:]
            v = np.zeros((n,) + tuple(tail), items.dtype)
        parts.append(v)
    if not parts:
        return np.zeros((0,) + tuple((elem or (0,))[1:]), items.dtype)
    try:
        return np.concatenate(parts)
    except ValueError:
        raise InvalidArgumentError(
            None, "TensorListConcat", "TensorArray.concat: the elements differ in shape "
            "beyond their first axis: " + ", ".join(str(list(np.shape(p))) for p in parts)
            + "\nhint: only the first axis of the elements may differ.") from None


def _concat_rule(items, like):
    b = items.shape
    if b.rank is None or b.rank < 2:
        return TensorShape(None), items.dtype
    n = b[0] * b[1] if b[0] is not None and b[1] is not None else None
    return TensorShape([n]).concatenate(b[2:]), items.dtype


def _split_like_kernel(value, like):
    like = as_list(like)
    ends = np.cumsum(_lengths(like))[:-1]
    pieces = np.split(np.asarray(value), ends) if like.size else []
    return TensorList(_Store(dict(enumerate(pieces))), like.size, like.element_shape,
                      np.asarray(value).dtype)


def _split_kernel(value, lengths):
    lengths = np.asarray(lengths).reshape(-1)
    value = np.asarray(value)
    if value.ndim == 0 or lengths.sum() != len(value):
        raise InvalidArgumentError(
            None, "TensorListSplit", f"Expected sum of lengths to be equal to values.shape[0], "
            f"but sum of lengths is {int(lengths.sum())} and value's shape is: "
            f"{list(value.shape)}\nhint: the lengths must add up to the first dimension of "
            f"the value split.")
    pieces = np.split(value, np.cumsum(lengths)[:-1]) if len(lengths) else []
    same = len(set(lengths.tolist())) == 1
    elem = (int(lengths[0]),) + value.shape[1:] if same else None
    return TensorList(_Store(dict(enumerate(pieces))), len(pieces), elem, value.dtype)


def _split_rule(value, lengths):
    n = lengths.shape[0] if lengths.shape.rank == 1 else None
    known = constant_value(lengths)
    first = None
    if known is not None and len(set(np.asarray(known).reshape(-1).tolist())) == 1:
        first = int(np.asarray(known).reshape(-1)[0])
    tail = value.shape[1:] if value.shape.rank is not None else None
    if tail is None:
        return TensorShape(None), value.dtype
    return TensorShape([n, first]).concatenate(tail), value.dtype


CONCAT = defop("TensorListConcat", _concat_kernel, _concat_rule,
               lambda op, dy: (execute(SPLIT_LIKE, (_dense(dy), op.inputs[1])), None),
               public_name="tf.TensorArray.concat")
SPLIT_LIKE = defop("TensorListSplitLike", _split_like_kernel,
                   lambda value, like: (like.shape, value.dtype),
                   lambda op, dy: (execute(CONCAT, (dy, op.inputs[1])), None),
                   public_name="tf.TensorArray (gradient)")
SPLIT = defop("TensorListSplit", _split_kernel, _split_rule,
              lambda op, dy: (execute(CONCAT, (dy, op.outputs[0])), None),
              public_name="tf.TensorArray.split")


def scatter_items(items, values, indices, dynamic: bool):
    return execute(SCATTER, (items, values, indices), {"dynamic": dynamic})


def write_item(items, index, value, dynamic: bool):
    return execute(SET_ITEM, (items, index, value), {"dynamic": dynamic})


def read_item(items, index):
    return execute(GET_ITEM, (items, index))


def stack_items(items, element_shape: tuple | None = None):
    return execute(STACK, (items,), {"element_shape": element_shape} if element_shape
                   is not None else {})


def from_tensor(x):
    return execute(FROM_TENSOR, (x,))


def resize(items, like):
    """`items` cut or zero-padded to the size of `like`: the gradient of a list that grew."""
    return execute(RESIZE, (items, like))


def _dense(dy):
    return dy._to_dense() if hasattr(dy, "_to_dense") else dy  # a tf.IndexedSlices gradient


def _zeros(t):
    return execute(core_ops.ZerosLike, (t,))


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
        # one element shape for this array and those its writes return (a loop's body
        # writing elements of a known shape makes it known after the loop, as in TensorFlow)
        self._shape_cell = [as_shape(element_shape) if element_shape is not None
                            else TensorShape(None)]
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
        ta._shape_cell = self._shape_cell
        if element_shape is not None:
            ta._element_shape = element_shape
        ta._buffer, ta._list = buffer, items
        ta._clear, ta._cleared = self._clear, set()
        return ta

    @property
    def _element_shape(self) -> TensorShape:
        return self._shape_cell[0]

    @_element_shape.setter
    def _element_shape(self, shape: TensorShape) -> None:
        self._shape_cell[0] = shape

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
            return from_tensor(self._stack_eager())
        return self._buffer

    def _is_eager(self) -> bool:
        return self._list is not None and not (_active and _state.graphs)

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
        if self._is_eager():
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
        if self._is_eager():
            from rill.ops.manip_ops import unstack
            self._list = list(unstack(t)) + self._list[n:]
            self._element_shape = elem
            return self
        return self._new(buffer=from_tensor(t), element_shape=elem)

    def scatter(self, indices, value, name=None) -> TensorArray:
        """Writes the slices of `value` at `indices` (`value[k]` becomes element
        `indices[k]`); returns the new TensorArray."""
        t = self._value(value)
        if t.shape.rank == 0:
            raise ValueError("TensorArray.scatter needs a value of rank >= 1.\nhint: its "
                             "slices along the first axis are the elements written.")
        elem = self._merged_shape(t.shape[1:])
        if self._is_eager():
            from rill.ops.manip_ops import unstack
            ta = self
            for i, v in zip(np.asarray(indices).reshape(-1).tolist(), unstack(t)):
                ta = ta.write(i, v)
            return ta
        idx = convert_to_tensor(indices, dtype=_dtypes.int32) \
            if not hasattr(indices, "dtype") else indices
        return self._new(buffer=scatter_items(self._graph_buffer(), t, idx, self._dynamic),
                         element_shape=elem)

    # -- reading -----------------------------------------------------------------------------
    def _zeros(self):
        if not self._element_shape.is_fully_defined():
            raise ValueError("TensorArray: cannot make the zeros of an unwritten element "
                             "whose shape is unknown.\nhint: pass element_shape= to "
                             "tf.TensorArray, or write the element first.")
        return wrap(np.zeros(self._element_shape.as_list(), dtype=self._dtype._np))

    def read(self, index, name=None):
        """Element `index` (zeros if it was never written)."""
        if self._is_eager():
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
        if self._is_eager():
            return self._stack_eager()
        elem = self._element_shape
        return stack_items(self._graph_buffer(),
                           None if elem.rank is None else tuple(elem.as_list()))

    def _stack_eager(self):
        from rill.ops.manip_ops import stack
        if not self._list:
            if not self._element_shape.is_fully_defined():
                return wrap(np.zeros((0,), dtype=self._dtype._np))
            return wrap(np.zeros([0] + self._element_shape.as_list(), self._dtype._np))
        return stack([x if x is not None else self._zeros() for x in self._list])

    def gather(self, indices, name=None):
        """The elements at `indices`, stacked."""
        from rill.ops.gather_scatter_ops import gather
        return gather(self.stack(), indices)

    def concat(self, name=None):
        """All elements concatenated along their first axis (their first dimensions may
        differ, as after `split`)."""
        if self._is_eager():
            from rill.ops.manip_ops import concat
            if not self._list:
                return self._stack_eager()
            return concat([x if x is not None else self._zeros() for x in self._list], 0)
        b = self._graph_buffer()
        if b.shape.rank is not None and b.shape.rank < 2:
            raise ValueError("TensorArray.concat needs elements of rank >= 1.")
        return execute(CONCAT, (b, b))

    def split(self, value, lengths, name=None) -> TensorArray:
        """The TensorArray whose element `i` is the next `lengths[i]` rows of `value`.

        >>> ta = tf.TensorArray(tf.float32, size=3).split([1., 2., 3., 4., 5., 6.],
        ...                                                [1, 2, 3])
        >>> ta.read(1).numpy()
        array([2., 3.], dtype=float32)
        """
        t = self._value(value)
        if t.shape.rank == 0:
            raise ValueError("TensorArray.split needs a value of rank >= 1.")
        lens = convert_to_tensor(lengths, dtype=_dtypes.int64) \
            if not hasattr(lengths, "dtype") else lengths
        known = constant_value(lens)
        size = len(self._list) if self._list is not None else (
            self._buffer.shape[0] if self._buffer.shape.rank else None)
        if known is not None:
            known = np.asarray(known).reshape(-1)
            if not self._dynamic and size is not None and len(known) != size:
                raise InvalidArgumentError(
                    None, "TensorArraySplitV3",
                    f"TensorArray's size is not equal to the size of lengths ({size} vs. "
                    f"{len(known)}), and the TensorArray is not marked as dynamically "
                    f"resizeable.\nhint: create it with size={len(known)} or "
                    f"dynamic_size=True.")
        same = known is not None and len(set(known.tolist())) == 1
        elem = TensorShape([int(known[0]) if same else None]).concatenate(t.shape[1:])
        elem = self._merged_shape(elem) if same else elem
        if self._is_eager():
            if known is None:
                known = np.asarray(lens).reshape(-1)
            if int(known.sum()) != (t.shape[0] if t.shape[0] is not None else -1):
                _split_kernel(np.asarray(t), known)  # raises TensorFlow's error
            from rill.ops.manip_ops import split
            self._list = list(split(t, known.tolist(), 0)) if len(known) else []
            self._element_shape = elem
            return self
        return self._new(buffer=execute(SPLIT, (t, lens)), element_shape=elem)

    def size(self, name=None):
        """The number of elements, as an int32 scalar tensor."""
        if self._is_eager():
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


class TensorArraySpec(TypeSpec):
    """Describes a `tf.TensorArray`: element shape, dtype, `dynamic_size` and `infer_shape`
    (`tf.TensorArraySpec`).

    >>> tf.TensorArraySpec([2], tf.float32)
    TensorArraySpec(TensorShape([2]), tf.float32, False, True)
    >>> tf.TensorArraySpec([None]).is_compatible_with(tf.TensorArraySpec([2]))
    True
    """

    __slots__ = ("_element_shape", "_dtype", "_dynamic_size", "_infer_shape")

    def __init__(self, element_shape=None, dtype=_dtypes.float32, dynamic_size=False,
                 infer_shape=True):
        self._element_shape = as_shape(element_shape)
        self._dtype = _dtypes.as_dtype(dtype)
        self._dynamic_size = bool(dynamic_size)
        self._infer_shape = bool(infer_shape)

    @classmethod
    def from_value(cls, value: TensorArray) -> TensorArraySpec:
        """The spec of a TensorArray."""
        if not isinstance(value, TensorArray):
            raise TypeError(f"TensorArraySpec.from_value: expected a tf.TensorArray, got "
                            f"{type(value).__name__}.\nhint: pass the TensorArray itself.")
        return cls(value.element_shape, value.dtype, value.dynamic_size, value._infer_shape)

    @property
    def value_type(self):
        return TensorArray

    def is_compatible_with(self, other) -> bool:
        """Same dtype, dynamic_size and infer_shape, and compatible element shapes (a
        TensorArray is compared through its spec)."""
        if isinstance(other, TensorArray):
            other = TensorArraySpec.from_value(other)
        return isinstance(other, TensorArraySpec) and other._dtype is self._dtype and \
            other._dynamic_size == self._dynamic_size and \
            other._infer_shape == self._infer_shape and \
            self._element_shape.is_compatible_with(other._element_shape)

    def is_subtype_of(self, other) -> bool:
        """Whether every TensorArray this spec describes is described by `other` too."""
        if not isinstance(other, TensorArraySpec) or not self.is_compatible_with(other):
            return False
        mine, theirs = self._element_shape, other._element_shape
        if theirs.rank is None:
            return True
        return mine.rank == theirs.rank and all(
            b is None or a == b for a, b in zip(mine.as_list(), theirs.as_list()))

    def _key(self) -> tuple:
        return (self._element_shape._dims, self._dtype.name, self._dynamic_size,
                self._infer_shape)

    def __repr__(self) -> str:
        s = self._element_shape
        return (f"TensorArraySpec(TensorShape({s.as_list() if s.rank is not None else None}), "
                f"{self._dtype!r}, {self._dynamic_size}, {self._infer_shape})")


__tf_names__ = {"tf": "TensorArray TensorArraySpec"}
