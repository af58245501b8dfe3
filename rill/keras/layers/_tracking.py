"""Weight tracking for layers: attributes, sub-layers, weights, `add_weight`.

Layers, variables and metrics assigned as attributes (also inside lists, tuples and dicts)
are found in assignment order, not by name. The flattened lists (`weights`,
`trainable_weights`, the layer tree) are cached per layer and recomputed after any tracked
assignment, `add_weight` or `trainable` change in any layer (one global version number). A
container mutated after assignment (`self.blocks.append(...)`) is seen at the next such
change, which building the new block's weights is.
"""

from __future__ import annotations

import contextlib
import sys

import numpy as np

import rill as tf
from rill.keras import backend, constraints, initializers, regularizers
from rill.keras.layers._call_context import ctx as _ctx

_version = [0]  # bumped when any layer's tracked structure changes: caches compare to it
_TRACKED_TYPES = (tf.Module, tf.Variable, list, tuple, dict)
_BOOKKEEPING = frozenset({"_constructor_args", "_tracked_names", "_own_weights",
                          "_own_weight_ids", "_metrics", "_cache", "_metrics_by_name",
                          "_losses", "_callable_losses", "_inbound_nodes", "_initial_weights"})


def _is_metric(x) -> bool:
    return isinstance(x, tf.Module) and not isinstance(x, Tracking) and \
        hasattr(x, "update_state") and hasattr(x, "result")


def _leaves(value):
    """The layers, variables and metrics in an attribute value (lists, tuples, dicts)."""
    if isinstance(value, (Tracking, tf.Variable)) or _is_metric(value):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)


class Tracking:
    """The tracking half of `Layer` (a mixin; `Layer.__init__` sets up the bookkeeping with
    `_init_tracking`)."""

    def _init_tracking(self) -> None:
        d = self.__dict__
        early = {k: v for k, v in d.items() if k not in _BOOKKEEPING}  # set before init
        d["_tracked_names"] = {}
        d["_own_weights"] = []
        d["_own_weight_ids"] = set()
        d["_metrics"] = []
        d["_cache"] = {}
        d["_cache_version"] = -1
        for key, value in early.items():
            if isinstance(value, _TRACKED_TYPES):
                d["_tracked_names"][key] = None
                self._track(value)
        _version[0] += 1

    # -- attributes ------------------------------------------------------------------
    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        d = self.__dict__
        tracked = d.get("_tracked_names")
        if tracked is None:
            return
        if name in tracked or isinstance(value, _TRACKED_TYPES):
            tracked[name] = None
            self._track(value)
            _version[0] += 1
            _notify_restore(self)

    def __delattr__(self, name):
        object.__delattr__(self, name)
        self.__dict__.get("_tracked_names", {}).pop(name, None)
        _version[0] += 1

    def _track(self, value) -> None:
        d = self.__dict__
        for leaf in _leaves(value):
            if isinstance(leaf, tf.Variable):
                if id(leaf) not in d["_own_weight_ids"]:
                    self._check_new_variable(leaf.name)
                    d["_own_weight_ids"].add(id(leaf))
                    d["_own_weights"].append(leaf)
            elif _is_metric(leaf) and all(m is not leaf for m in d["_metrics"]):
                d["_metrics"].append(leaf)

    def _check_new_variable(self, what: str) -> None:
        if _ctx.layer is self and self.__dict__.get("_called"):
            raise ValueError(
                f"Layer {self.name!r} ({type(self).__name__}) created the variable {what!r} "
                f"in call() after its first call: the weights of a layer must be created "
                f"once.\nhint: create them in build() (or __init__) with self.add_weight(...), "
                f"and only use them in call().")

    def _cached(self, key: str, compute):
        d = self.__dict__
        if d["_cache_version"] != _version[0]:
            d["_cache"] = {}
            d["_cache_version"] = _version[0]
        cache = d["_cache"]
        value = cache.get(key)
        if value is None:
            value = cache[key] = compute()
        return value

    def _direct_layers(self) -> list:
        out, seen = [], {id(self)}
        d = self.__dict__
        for name in list(d.get("_tracked_names", ())):
            for leaf in _leaves(d.get(name)):
                if isinstance(leaf, Tracking) and id(leaf) not in seen:
                    seen.add(id(leaf))
                    out.append(leaf)
        return out

    def _flatten_layers(self, include_self: bool = True, recursive: bool = True):
        """This layer (with `include_self`) and its nested layers, depth first, in the
        order they were assigned, each once."""
        if recursive:
            layers = self._cached("flat_layers", self._compute_flat_layers)
            return iter(layers if include_self else layers[1:])
        direct = self._cached("direct_layers", self._direct_layers)
        return iter(([self] if include_self else []) + direct)

    def _compute_flat_layers(self) -> list:
        out, seen = [], set()

        def visit(layer):
            if id(layer) in seen:
                return
            seen.add(id(layer))
            out.append(layer)
            for sub in layer._direct_layers():
                visit(sub)

        visit(self)
        return out

    # -- weights -----------------------------------------------------------------------------
    def _weight_lists(self) -> tuple:
        return self._cached("weight_lists", self._compute_weight_lists)

    def _compute_weight_lists(self) -> tuple:
        own = list(self.__dict__["_own_weights"])
        ids = self.__dict__["_own_weight_ids"]
        for name in list(self.__dict__["_tracked_names"]):  # containers mutated later
            for leaf in _leaves(self.__dict__.get(name)):
                if isinstance(leaf, tf.Variable) and id(leaf) not in ids:
                    ids.add(id(leaf))
                    own.append(leaf)
                    self.__dict__["_own_weights"].append(leaf)
        own_t = [v for v in own if v.trainable]
        own_n = [v for v in own if not v.trainable]
        weights, trainable, frozen = own_t + own_n, list(own_t), list(own_n)
        seen = [{id(v) for v in lst} for lst in (weights, trainable, frozen)]
        for sub in self._direct_layers():
            for lst, s, sub_list in zip((weights, trainable, frozen), seen, sub._weight_lists()):
                for v in sub_list:
                    if id(v) not in s:
                        s.add(id(v))
                        lst.append(v)
        if not self.__dict__["_trainable"]:
            trainable, frozen = [], list(weights)
        return weights, trainable, frozen

    @property
    def weights(self) -> list:
        """Every weight of the layer and its nested layers (own trainable ones, own
        non-trainable ones, then each nested layer's), in creation order."""
        return list(self._weight_lists()[0])

    @property
    def trainable_weights(self) -> list:
        """The weights that training updates (none when `trainable` is False)."""
        return list(self._weight_lists()[1])

    @property
    def non_trainable_weights(self) -> list:
        """The weights that training does not update (all of them when frozen)."""
        return list(self._weight_lists()[2])

    @property
    def variables(self) -> list:
        return list(self._weight_lists()[0])

    @property
    def trainable_variables(self) -> list:
        return list(self._weight_lists()[1])

    @property
    def non_trainable_variables(self) -> list:
        return list(self._weight_lists()[2])

    @property
    def trainable(self) -> bool:
        return self.__dict__["_trainable"]

    @trainable.setter
    def trainable(self, value) -> None:
        for layer in self._flatten_layers():
            layer.__dict__["_trainable"] = bool(value)
        _version[0] += 1

    def add_weight(self, *args, **kwargs) -> tf.Variable:
        """Creates a weight of this layer and returns it (a `tf.Variable`).

        tf.keras 2's `add_weight(name, shape, dtype=None, initializer=None, regularizer=None,
        trainable=True, constraint=None)` and Keras 3's `add_weight(shape, initializer,
        dtype, trainable, autocast, regularizer, constraint, ..., name=None)` are both
        accepted (a string first argument is the name). The initializer defaults to
        "glorot_uniform" ("zeros" for integer dtypes); the variable's `.regularizer` is
        added to `losses` and its `.constraint` is applied by optimizers after each update.
        """
        a = _bind_add_weight(type(self).__name__, args, kwargs)
        name = a.get("name") or "variable"
        self._check_new_variable(name)
        dtype = backend.standardize_dtype(a.get("dtype") or self._dtype)
        shape = _weight_shape(a.get("shape"), name, self.name)
        limits = sys.modules.get("rill.keras.saving.limits")
        if limits is not None:  # while a file loads: refuse absurd shapes before allocating
            limits.check_weight(self.name, name, shape)
        init = a.get("initializer")
        if init is None:
            init = "glorot_uniform" if tf.as_dtype(dtype).is_floating else "zeros"
        init = initializers.get(init)
        regularizer = regularizers.get(a.get("regularizer"))
        constraint = constraints.get(a.get("constraint"))
        trainable = True if a.get("trainable") is None else bool(a["trainable"])
        with tf.init_scope():
            scope = tf.get_current_name_scope()
            inner = "" if scope == self.name or scope.endswith("/" + self.name) else self.name
            with tf.name_scope(inner) if inner else contextlib.nullcontext():
                value = init(shape, dtype=dtype)
                v = tf.Variable(value, trainable=trainable, name=name, dtype=dtype,
                                constraint=constraint)
        v.regularizer = regularizer
        v.path = v.name[:-2] if v.name.endswith(":0") else v.name
        d = self.__dict__
        d["_own_weights"].append(v)
        d["_own_weight_ids"].add(id(v))
        _version[0] += 1
        _notify_restore(self)
        return v

    add_variable = add_weight

    def get_weights(self) -> list:
        """The weights' values as NumPy arrays, in the order of `weights`."""
        return [np.array(v) for v in self.weights]

    def set_weights(self, weights) -> None:
        """Sets the weights from NumPy arrays, in the order of `weights`."""
        mine = self.weights
        weights = list(weights)
        if len(weights) != len(mine):
            raise ValueError(
                f"Layer {self.name!r}: set_weights got {len(weights)} arrays, but the layer "
                f"has {len(mine)} weights ({[v.name for v in mine]}).\nhint: pass one array "
                f"per weight, in the order of layer.get_weights(); build the layer first "
                f"(call it on data) if it has none yet.")
        for v, value in zip(mine, weights):
            value = np.asarray(value)
            want = tuple(v.shape.as_list())
            if tuple(value.shape) != want:
                raise ValueError(f"Layer {self.name!r}: weight {v.name!r} has shape {want}, "
                                 f"but set_weights got an array of shape "
                                 f"{tuple(value.shape)}.\nhint: pass arrays shaped like "
                                 f"layer.get_weights(), in the same order.")
        for v, value in zip(mine, weights):
            v.assign(np.asarray(value, dtype=v.dtype.as_numpy_dtype))

    def count_params(self) -> int:
        """The number of scalars in the weights."""
        if not self.built and not self.weights:
            raise ValueError(f"You tried to call count_params on layer {self.name!r}, but the "
                             f"layer isn't built.\nhint: call the layer on data, or "
                             f"layer.build(input_shape), first.")
        return int(sum(int(np.prod(v.shape.as_list())) for v in self.weights))


_K2_ORDER = ("name", "shape", "dtype", "initializer", "regularizer", "trainable", "constraint")
_K3_ORDER = ("shape", "initializer", "dtype", "trainable", "autocast", "regularizer",
             "constraint", "aggregation", "overwrite_with_gradient", "name")
_ADD_WEIGHT_KWARGS = frozenset(_K2_ORDER + _K3_ORDER + (
    "use_resource", "synchronization", "partitioner", "caching_device",
    "experimental_autocast"))


def _bind_add_weight(owner: str, args: tuple, kwargs: dict) -> dict:
    order = _K2_ORDER if args and isinstance(args[0], str) else _K3_ORDER
    if len(args) > len(order):
        raise TypeError(f"{owner}.add_weight takes at most {len(order)} positional arguments, "
                        f"got {len(args)}.\nhint: pass name=..., shape=..., initializer=... "
                        f"as keywords.")
    out = dict(kwargs)
    for key, value in zip(order, args):
        if key in out:
            raise TypeError(f"{owner}.add_weight got several values for {key!r}.")
        out[key] = value
    unknown = sorted(set(out) - _ADD_WEIGHT_KWARGS)
    if unknown:
        raise TypeError(f"{owner}.add_weight got unexpected keyword argument(s) {unknown}.\n"
                        f"hint: use name, shape, dtype, initializer, regularizer, trainable, "
                        f"constraint.")
    return out


def _notify_restore(layer) -> None:
    """Lets a pending `tf.train.Checkpoint` restore reach weights created after it."""
    train = sys.modules.get("rill.train")
    if train is not None:
        train._notify_created(layer)


def _weight_shape(shape, name: str, layer: str) -> tuple:
    if shape is None:
        return ()
    if isinstance(shape, int):
        shape = (shape,)
    dims = tf.TensorShape(shape)
    if not dims.is_fully_defined():
        raise ValueError(f"Layer {layer!r}: add_weight({name!r}) needs a fully defined shape, "
                         f"got {dims}.\nhint: build the weight from known dimensions (e.g. "
                         f"input_shape[-1]); the batch size is not known at build time.")
    return tuple(dims.as_list())
