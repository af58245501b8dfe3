"""A bound on the weights a model rebuilt from a file may create.

While a model is rebuilt from a file's config, `Layer.add_weight` calls `check_weight` before
it allocates: a config asking for more values than the file holds weights for (plus a
margin), or for more than `MAX_ELEMENTS` when there is no weights file, is refused with a
`ValueError` naming the layer and the shape, before any memory is taken. Outside loading
there is no bound and the check costs one attribute lookup.
"""

from __future__ import annotations

import contextlib
import threading

MAX_ELEMENTS = 1 << 30  # a bound for configs read without a weights file (model_from_json)
_MARGIN = 1 << 20
_state = threading.local()


@contextlib.contextmanager
def weight_budget(elements: int | None, where: str):
    """Within the block, weights may hold at most `elements` values in all (plus a margin;
    None: `MAX_ELEMENTS`)."""
    previous = getattr(_state, "budget", None)
    _state.budget = [MAX_ELEMENTS if elements is None else elements + _MARGIN, where]
    try:
        yield
    finally:
        _state.budget = previous


def check_weight(layer_name: str, weight_name: str, shape) -> None:
    """Raises ValueError if a weight of `shape` does not fit the current budget."""
    budget = getattr(_state, "budget", None)
    if budget is None:
        return
    count = 1
    for d in shape:
        count *= int(d) if d is not None else 1
    if count > budget[0]:
        raise ValueError(f"{budget[1]}: the config asks layer {layer_name!r} for a weight "
                         f"{weight_name!r} of shape {list(shape)} ({count} values), more than "
                         f"the file's weights can fill ({budget[0]} left).\nhint: the config "
                         f"is damaged or hostile; it does not match its weights.")
    budget[0] -= count


def file_elements(h5root) -> int:
    """The number of values in all datasets of an open HDF5 file (from metadata only)."""
    import h5py
    total = [0]

    def visit(_, obj):
        if isinstance(obj, h5py.Dataset) and obj.shape is not None:
            n = 1
            for d in obj.shape:
                n *= int(d)
            total[0] += n

    h5root.visititems(visit)
    return total[0]
