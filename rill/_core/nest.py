"""`tf.nest`: flatten and rebuild nested lists, tuples, namedtuples and dicts.

Dicts flatten in sorted key order, as in TensorFlow. Everything else is a leaf.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rill._core.composite import CompositeTensor


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_nested(x) -> bool:
    return isinstance(x, (list, tuple, Mapping))


def _children(x) -> list:
    if isinstance(x, Mapping):
        return [x[k] for k in _sorted(x)]
    return list(x)


def _sorted(mapping) -> list:
    try:
        return sorted(mapping)
    except TypeError:
        return list(mapping)


def flatten(structure, expand_composites: bool = False) -> list:
    """The leaves of `structure`, depth first; with `expand_composites`, composite tensors
    (RaggedTensor, SparseTensor) count as their component tensors."""
    if not is_nested(structure) and not (expand_composites and _composite(structure)):
        return [structure]
    out: list = []
    _flatten_into(structure, out, expand_composites)
    return out


def _composite(x) -> bool:
    return isinstance(x, CompositeTensor)


def _flatten_into(x, out: list, expand: bool = False) -> None:
    if isinstance(x, (list, tuple, Mapping)):
        for c in _children(x):
            _flatten_into(c, out, expand)
    elif expand and isinstance(x, CompositeTensor):
        out.extend(x._rill_components())
    else:
        out.append(x)


def _rebuild(like, items: list):
    if isinstance(like, Mapping):
        keys = _sorted(like)
        built = dict(zip(keys, items))
        if type(like) is dict:
            return {k: built[k] for k in like}
        return type(like)((k, built[k]) for k in like)
    if _is_namedtuple(like):
        return type(like)(*items)
    if isinstance(like, tuple):
        return tuple(items)
    return type(like)(items) if type(like) is not list else items


def pack_sequence_as(structure, flat_sequence, expand_composites: bool = False):
    """Rebuilds `structure` with the leaves taken in order from `flat_sequence`."""
    flat = list(flat_sequence)
    if not is_nested(structure) and not (expand_composites and _composite(structure)):
        if len(flat) != 1:
            raise ValueError(f"Structure is a scalar but {len(flat)} values were given.")
        return flat[0]
    pos = [0]

    def build(like):
        if isinstance(like, (list, tuple, Mapping)):
            return _rebuild(like, [build(c) for c in _children(like)])
        if expand_composites and isinstance(like, CompositeTensor):
            n = len(like._rill_components())
            parts = flat[pos[0]:pos[0] + n]
            if len(parts) != n:
                raise ValueError("Too few values to pack into the structure.")
            pos[0] += n
            return like._rill_with_components(parts)
        i = pos[0]
        if i >= len(flat):
            raise ValueError("Too few values to pack into the structure.")
        pos[0] = i + 1
        return flat[i]

    result = build(structure)
    if pos[0] != len(flat):
        raise ValueError(f"Structure has {pos[0]} leaves but {len(flat)} values were given.")
    return result


def map_structure(func: Callable, *structures, **kwargs):
    """Applies `func` to corresponding leaves of structures with the same layout."""
    if not structures:
        raise ValueError("map_structure needs at least one structure.")
    for s in structures[1:]:
        assert_same_structure(structures[0], s)
    flats = [flatten(s) for s in structures]
    return pack_sequence_as(structures[0], [func(*leaves) for leaves in zip(*flats)])


def assert_same_structure(a, b, check_types: bool = True, expand_composites: bool = False):
    if is_nested(a) != is_nested(b):
        raise ValueError(f"The two structures don't have the same nested structure: {a!r} "
                         f"and {b!r}.")
    if not is_nested(a):
        return
    ca, cb = _children(a), _children(b)
    if len(ca) != len(cb):
        raise ValueError(f"The two structures don't have the same number of elements: "
                         f"{a!r} and {b!r}.")
    if isinstance(a, Mapping) and set(a) != set(b):
        raise ValueError(f"The two dicts don't have the same keys: {list(a)} and {list(b)}.")
    for x, y in zip(ca, cb):
        assert_same_structure(x, y, check_types)
