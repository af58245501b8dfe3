"""`keras.layers.Layer`: `build`/`call`, the call context, losses, metrics and configs.

A layer is a `tf.Module` whose `__call__` converts NumPy inputs, builds the layer once from
the inputs' shapes (weights are created eagerly, under `tf.init_scope`, even when the first
call is traced), and runs `call` inside a per-thread call context that carries `training`
from outer layers to inner ones (`_call_context.py`). A call on `keras.Input` tensors is
recorded as a `Node` of the functional graph (`node.py`). Weight tracking is in
`_tracking.py`.
"""

from __future__ import annotations

import importlib
import weakref

import rill as tf
from rill._core.graph import GraphTensor
from rill.keras import backend, regularizers
from rill.keras.layers import _call_context as _cc
from rill.keras.layers import node as _node
from rill.keras.layers._call_context import get_mask, set_mask  # noqa: F401 - the mask hook
from rill.keras.layers._tracking import Tracking, _version
from rill.keras.layers.input_spec import assert_input_compatibility
from rill.keras.saving.serialization import AutoConfig

_ctx = _cc.ctx
_loss_holders: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # hold add_loss values
_LAYER_KWARGS = frozenset({"input_shape", "input_dim", "batch_input_shape", "batch_size",
                           "weights", "activity_regularizer", "autocast", "input_dtype",
                           "implementation", "quantization_config"})


class Layer(Tracking, tf.Module, AutoConfig):
    """The base class of layers: weights, `build`/`call`, losses, metrics and configs.

    Args:
        trainable: whether the layer's weights are trained (settable later).
        name: a unique default (`dense`, `dense_1`, ...) when None.
        dtype: the dtype of the weights and computations (default: floatx).
        dynamic: True for layers that can only run eagerly (models holding one are not
            compiled into graphs).
        **kwargs: `input_shape`, `input_dim`, `batch_input_shape`, `batch_size` (used by
            Sequential to build), `weights` (initial values), `activity_regularizer`.

    >>> class Scale(keras.layers.Layer):
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight(name="w", shape=(input_shape[-1],),
    ...                                  initializer="ones")
    ...     def call(self, x):
    ...         return x * self.w
    >>> layer = Scale()
    >>> layer(np.array([[1., 2.]])).numpy()
    array([[1., 2.]], dtype=float32)
    >>> [w.name for w in layer.weights]
    ['scale/w:0']
    """

    _keras_module = "keras.layers"
    _TF_MODULE_IGNORED_PROPERTIES = frozenset({"_cache", "_constructor_args", "_inbound_nodes"})
    supports_masking = False
    _activity_regularizer = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "_keras_module" not in cls.__dict__:  # a user's layer is saved under its module
            builtin = cls.__module__.startswith("rill.keras.layers")
            cls._keras_module = "keras.layers" if builtin else None
        cls._call_spec = _cc.call_spec(cls)
        cls._mask_method = cls.compute_mask is not Layer.compute_mask
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_rill_build_wrapper", False):
            cls.build = _cc.wrap_build(build)

    def __init__(self, trainable=True, name=None, dtype=None, dynamic=False, **kwargs):
        unknown = sorted(set(kwargs) - _LAYER_KWARGS)
        if kwargs.get("quantization_config") is not None:
            raise NotImplementedError(f"{type(self).__name__}: quantized layers are not "
                                      f"supported by rill.\nhint: save the model without "
                                      f"quantization (quantization_config=None).")
        if unknown:
            raise TypeError(f"{type(self).__name__}.__init__ got unexpected keyword "
                            f"argument(s) {unknown}.\nhint: layers accept trainable, name, "
                            f"dtype, dynamic, input_shape, input_dim, batch_input_shape, "
                            f"batch_size, activity_regularizer and their own arguments.")
        if name is None:
            base = _cc.snake(type(self).__name__)
            uid = backend.get_uid(base)
            name = base if uid == 1 else f"{base}_{uid - 1}"
        elif not isinstance(name, str) or "/" in name or not name:
            raise ValueError(f"{type(self).__name__}: name must be a non-empty string "
                             f"without '/', got {name!r}.\nhint: name='my_dense'.")
        self._init_tracking()
        d = self.__dict__
        d["_name"] = name
        d["_name_scope"] = tf.name_scope(name)
        d["_scope_name"] = name
        d["_metrics_by_name"] = {}
        d["_losses"] = []
        d["_callable_losses"] = []
        d["_inbound_nodes"] = []
        d["_trainable"] = bool(trainable)
        d["_dynamic"] = bool(dynamic)
        d["_called"] = False
        d.setdefault("built", False)
        d.setdefault("input_spec", None)
        dtype = dtype.get("config", {}).get("name") if isinstance(dtype, dict) else dtype
        dtype = getattr(dtype, "variable_dtype", None) or dtype  # a dtype policy
        d["_dtype"] = backend.standardize_dtype(dtype)
        d["_dtype_obj"] = tf.as_dtype(d["_dtype"])
        d["_autocast"] = kwargs.get("autocast", True) and d["_dtype_obj"].is_floating
        d["_batch_input_shape"] = _cc.batch_input_shape(kwargs)
        d["_initial_weights"] = kwargs.get("weights")
        if kwargs.get("activity_regularizer") is not None:
            d["_activity_regularizer"] = regularizers.get(kwargs["activity_regularizer"])

    # -- calling -----------------------------------------------------------------------------
    def build(self, input_shape) -> None:
        """Creates the weights from the input shape (a `TensorShape`, or a list of them);
        called once, by the first `__call__`. Subclasses call `super().build(...)` last."""
        self.__dict__["_build_input_shape"] = input_shape
        self.__dict__["built"] = True

    def call(self, inputs, *args, **kwargs):
        """The layer's computation; subclasses override it."""
        raise NotImplementedError(
            f"Layer {type(self).__name__} does not have a call() method implemented.\nhint: "
            f"define `def call(self, inputs): ...` returning the outputs.")

    def __call__(self, *args, **kwargs):
        """Runs the layer: converts NumPy inputs (floats to the layer's dtype), builds it on
        the first call, resolves `training` (the argument, else the enclosing layer call's,
        else `call`'s default), passes `training`/`mask` only when `call` takes them,
        replaces the `add_loss` losses at each outermost call, and returns `call`'s result.
        Eager calls after the first skip the layer's name scope (names only matter in
        graphs). On `keras.Input` tensors the call is recorded in the functional graph."""
        if not args:
            args, kwargs = self._inputs_from_kwargs(kwargs)
        d = self.__dict__
        if "_called" not in d:
            raise RuntimeError(f"{type(self).__name__}: the layer was not initialized.\nhint: "
                               f"call super().__init__(**kwargs) first in __init__.")
        x = args[0]
        ctx = _ctx
        depth = ctx.depth
        if len(args) > 1 or type(x) is GraphTensor or not isinstance(x, tf.Tensor) or \
                (d["_autocast"] and x.dtype is not d["_dtype_obj"] and x.dtype.is_floating):
            original = (args, dict(kwargs))
            args, kwargs = _cc.convert_args(args, kwargs,
                                            d["_dtype_obj"] if d["_autocast"] else None)
            if depth == 0:
                graph = _node.symbolic_graph(tf.nest.flatten((args, kwargs)))
                if graph is not None:
                    return self._functional_call(graph, args, kwargs, original)
        if not d.get("built"):
            self._build_from(args)
        has_training, tpos, has_mask, mpos, tdefault, _ = self._call_spec
        if "training" in kwargs:
            training = kwargs["training"]
            if training is None:
                training = ctx.training if ctx.training is not None else tdefault
            if not has_training:
                del kwargs["training"]
            elif training is not None:
                kwargs["training"] = training
        elif tpos is not None and len(args) > tpos:
            training = args[tpos]
            if training is None:
                training = ctx.training if ctx.training is not None else tdefault
                args = (*args[:tpos], training, *args[tpos + 1:])
        else:
            training = ctx.training
            if training is None:
                training = tdefault
            if has_training and training is not None:
                kwargs["training"] = training
        in_mask = None
        if "mask" in kwargs:
            in_mask = kwargs["mask"] if has_mask else kwargs.pop("mask")
        elif _cc.masks:
            in_mask = _cc.input_mask(x)
            if has_mask and in_mask is not None and (mpos is None or len(args) <= mpos):
                kwargs["mask"] = in_mask
        ctx.depth = depth + 1
        saved_training, saved_layer = ctx.training, ctx.layer
        ctx.training = training
        ctx.layer = self
        try:
            if depth == 0 and _loss_holders:
                self._clear_losses()
            if d["_called"] and tf.executing_eagerly():
                outputs = self.call(*args, **kwargs)
            else:
                with d["_name_scope"]:
                    outputs = self.call(*args, **kwargs)
            if self._activity_regularizer is not None:
                self._add_activity_loss(outputs)
            if self._mask_method or in_mask is not None:
                self._set_output_mask(args[0], outputs, in_mask)
        finally:
            ctx.depth = depth
            ctx.training = saved_training
            ctx.layer = saved_layer
        if not d["_called"]:
            d["_called"] = True
        return outputs

    def _inputs_from_kwargs(self, kwargs):
        first = self._call_spec[5]
        for key in (first, "inputs"):
            if key is not None and key in kwargs:
                kwargs = dict(kwargs)
                return (kwargs.pop(key),), kwargs
        raise TypeError(f"{type(self).__name__} ({self.name!r}) was called without inputs.\n"
                        f"hint: pass the input tensor(s) as the first argument: layer(x).")

    def _build_from(self, args) -> None:
        inputs = args[0]
        assert_input_compatibility(self.input_spec, inputs, self.name)
        shapes = tf.nest.map_structure(
            lambda t: t.shape if hasattr(t, "shape") and hasattr(t, "dtype") else None, inputs)
        if type(shapes) is tuple:
            shapes = list(shapes)
        self.__dict__["_build_input_shape"] = shapes
        with tf.init_scope():
            self.build(shapes)
        self.__dict__["built"] = True
        initial = self.__dict__.get("_initial_weights")
        if initial is not None:
            self.__dict__["_initial_weights"] = None
            self.set_weights(initial)

    def _functional_call(self, graph, args, kwargs, original):
        """A call on keras tensors: build eagerly, run `call` with the functional graph
        pushed, record a Node and the outputs' keras history."""
        if not self.built:
            self._build_from(args)
        else:
            assert_input_compatibility(self.input_spec, args[0], self.name)
        has_training, _, has_mask, _, tdefault, _ = self._call_spec
        call_kwargs = dict(kwargs)
        training = call_kwargs.get("training")
        if not has_training:
            call_kwargs.pop("training", None)
        elif training is None:
            call_kwargs.pop("training", None)
            if tdefault is not None:
                call_kwargs["training"] = training = tdefault
        in_mask = call_kwargs.get("mask") if "mask" in call_kwargs else _cc.input_mask(args[0])
        if not has_mask:
            call_kwargs.pop("mask", None)
        elif in_mask is not None:
            call_kwargs["mask"] = in_mask
        ctx = _ctx
        ctx.depth, saved = 1, (ctx.training, ctx.layer)
        ctx.training, ctx.layer = training, self
        try:
            with graph.as_default(), self.__dict__["_name_scope"]:
                outputs = self._symbolic_outputs(graph, args, call_kwargs)
                outputs = _cc.fresh_outputs(outputs, tf.nest.flatten((args, kwargs)))
                if self._mask_method or in_mask is not None:
                    self._set_output_mask(args[0], outputs, in_mask)
        finally:
            ctx.depth = 0
            ctx.training, ctx.layer = saved
            self._clear_losses()  # symbolic losses never reach training
        _node.Node(self, original[0], original[1], outputs)
        self.__dict__["_called"] = True
        return outputs

    def _symbolic_outputs(self, graph, args, kwargs):
        if not self._dynamic:
            try:
                return self.call(*args, **kwargs)
            except tf.errors.OperatorNotAllowedInGraphError as exc:
                if type(self).compute_output_shape is Layer.compute_output_shape:
                    raise type(exc)(
                        f"{exc}\nLayer {self.name!r} uses a tensor as a Python bool "
                        f"in call(), which cannot run on keras.Input tensors.\nhint: use "
                        f"tf.cond/tf.where, or pass dynamic=True and define "
                        f"compute_output_shape().") from exc
        shapes = tf.nest.map_structure(lambda t: getattr(t, "shape", None), args[0])
        out = self.compute_output_shape(shapes)
        return tf.nest.map_structure(
            lambda s: graph.add_placeholder(tf.TensorShape(s), self._dtype_obj, self.name),
            _cc.shape_structure(out))

    def _add_activity_loss(self, outputs) -> None:
        reg = self._activity_regularizer
        for out in tf.nest.flatten(outputs):
            if isinstance(out, tf.Tensor):
                batch = tf.cast(tf.shape(out)[0], out.dtype) if out.shape.rank else 1.0
                self.add_loss(reg(out) / batch)

    def _set_output_mask(self, inputs, outputs, in_mask) -> None:
        if self._mask_method or self.supports_masking:
            out_mask = self.compute_mask(inputs, in_mask)
        else:
            out_mask = None
        flat = tf.nest.flatten(outputs)
        masks = tf.nest.flatten(out_mask) if isinstance(out_mask, (list, tuple)) \
            else [out_mask] * len(flat)
        for t, m in zip(flat, masks):
            if isinstance(t, tf.Tensor):
                set_mask(t, m)

    def compute_mask(self, inputs, mask=None):
        """The mask of the outputs: the input mask for layers that support masking, else
        None."""
        return mask if self.supports_masking else None

    def compute_output_shape(self, input_shape):
        """The output shape for an input shape (batch axis first); by default, found by
        running `call` on symbolic tensors of that shape."""
        if self._dynamic:
            raise NotImplementedError(
                f"Layer {self.name!r} is dynamic, so its output shape cannot be inferred.\n"
                f"hint: define compute_output_shape(self, input_shape) in "
                f"{type(self).__name__}.")
        graph = tf.Graph("compute_output_shape")
        specs = _cc.shape_structure(input_shape)
        holders = tf.nest.map_structure(
            lambda s: graph.add_placeholder(tf.TensorShape(s), self._dtype_obj), specs)
        if not self.built:
            self._build_from((holders,))
        ctx = _ctx
        ctx.depth += 1
        try:
            with graph.as_default():
                out = self.call(holders)
        finally:
            ctx.depth -= 1
            for layer in self._flatten_layers():
                layer.__dict__["_losses"] = [x for x in layer._losses
                                             if getattr(getattr(x, "op", None), "graph",
                                                        None) is not graph]
        return tf.nest.map_structure(lambda t: t.shape, out)

    # -- losses and metrics ------------------------------------------------------------------
    def add_loss(self, loss, inputs=None) -> None:
        """Adds a loss (a scalar tensor, or a zero-argument callable) to `losses`.

        Losses added inside `call` are replaced at the next outermost call; callables added
        outside a call stay, and are evaluated each time `losses` is read.
        """
        d = self.__dict__
        if callable(loss) and not isinstance(loss, tf.Tensor) and _ctx.depth == 0:
            d["_callable_losses"].append(loss)
            return
        if loss is None:
            return
        d["_losses"].append(loss)
        _loss_holders[id(self)] = self

    def _clear_losses(self) -> None:
        if not _loss_holders:
            return
        tree = self._cached("tree_ids", lambda: {id(x) for x in self._flatten_layers()})
        for key in [k for k in list(_loss_holders.keys()) if k in tree]:
            layer = _loss_holders.pop(key, None)
            if layer is not None:
                layer.__dict__["_losses"] = []

    @property
    def losses(self) -> list:
        """The `add_loss` values of this layer and its nested layers (from their last call),
        then the regularization losses of the trainable weights, computed now."""
        out = []
        for layer in self._flatten_layers():
            for x in layer._losses + layer._callable_losses:
                out.append(x() if callable(x) and not isinstance(x, tf.Tensor) else x)
        for v in self.trainable_weights:
            reg = getattr(v, "regularizer", None)
            if reg is not None:
                out.append(reg(v))
        return out

    def add_metric(self, value, name=None, aggregation="mean") -> None:
        """tf.keras 2: updates a `keras.metrics.Mean` (or `Sum` for aggregation="sum") named
        `name` with `value`; the metric is listed in `metrics`."""
        if name is None:
            raise ValueError(f"Layer {self.name!r}: add_metric needs a name for the value.\n"
                             f"hint: self.add_metric(value, name='my_metric').")
        d = self.__dict__
        metric = d["_metrics_by_name"].get(name)
        if metric is None:
            metrics = importlib.import_module("rill.keras.metrics")
            cls = {"mean": metrics.Mean, "sum": metrics.Sum}.get(aggregation)
            if cls is None:
                raise ValueError(f"Layer {self.name!r}: add_metric aggregation must be 'mean' "
                                 f"or 'sum', got {aggregation!r}.")
            with tf.init_scope():
                metric = cls(name=name)
            d["_metrics_by_name"][name] = metric
            d["_metrics"].append(metric)
            _version[0] += 1
        if _node.symbolic_graph(tf.nest.flatten(value)) is None:
            metric.update_state(value)

    @property
    def metrics(self) -> list:
        """The metrics tracked by this layer and its nested layers."""
        out = []
        for layer in self._flatten_layers():
            for m in layer.__dict__.get("_metrics", ()):
                if all(m is not x for x in out):
                    out.append(m)
        return out

    # -- properties --------------------------------------------------------------------------
    @property
    def dtype(self) -> str:
        """The dtype of the layer's weights, as a string ('float32')."""
        return self._dtype

    @property
    def compute_dtype(self) -> str:
        return self._dtype

    @property
    def variable_dtype(self) -> str:
        return self._dtype

    @property
    def dynamic(self) -> bool:
        return self._dynamic

    @property
    def activity_regularizer(self):
        return self._activity_regularizer

    @activity_regularizer.setter
    def activity_regularizer(self, value):
        self.__dict__["_activity_regularizer"] = regularizers.get(value)

    @property
    def batch_input_shape(self):
        return self._batch_input_shape

    def _node_value(self, what: str, get):
        nodes = self.__dict__.get("_inbound_nodes")
        if not nodes:
            raise AttributeError(
                f"Layer {self.name!r} has never been called on keras.Input tensors and thus "
                f"has no defined {what}.\nhint: {what} is defined for layers of a functional "
                f"model or of a Sequential model with a known input shape.")
        values = get(nodes[0])
        return values[0] if isinstance(values, list) and len(values) == 1 else values

    @property
    def input(self):
        """The symbolic input tensor(s) of the layer's first functional call."""
        return self._node_value("input", lambda n: list(n.input_tensors))

    @property
    def output(self):
        """The symbolic output tensor(s) of the layer's first functional call."""
        return self._node_value("output", lambda n: list(n.outputs))

    @property
    def input_shape(self):
        """The input shape(s) of the layer's first functional call, as tuples."""
        return self._node_value("input shape", lambda n: [tuple(s.as_list())
                                                          for s in n.input_shapes])

    @property
    def output_shape(self):
        """The output shape(s) of the layer's first functional call, as tuples."""
        return self._node_value("output shape", lambda n: [tuple(s.as_list())
                                                           for s in n.output_shapes])

    # -- configs -----------------------------------------------------------------------------
    def get_config(self) -> dict:
        """The layer's constructor arguments as plain values: name, trainable and dtype; for
        a subclass without its own get_config, every argument its constructor received."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self._dtype}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = self._batch_input_shape
        if type(self).get_config is Layer.get_config:
            auto = self._auto_config()
            if "batch_input_shape" in config:
                auto.pop("input_shape", None)
            config.update(auto)
        return config

    def get_build_config(self):
        """`{"input_shape": ...}`, the shape(s) the layer was built for (None if unknown),
        for savers that rebuild the layer before loading weights."""
        shapes = self.__dict__.get("_build_input_shape")
        if shapes is None:
            return None
        return {"input_shape": tf.nest.map_structure(
            lambda s: s.as_list() if isinstance(s, tf.TensorShape) and s.rank is not None
            else s, shapes)}

    def build_from_config(self, config) -> None:
        """Builds the layer from `get_build_config()`'s result."""
        if config and config.get("input_shape") is not None and not self.built:
            shapes = _cc.shape_structure(config["input_shape"])
            with tf.init_scope():
                self.build(shapes)
            self.__dict__["built"] = True
            self.__dict__["_build_input_shape"] = shapes

    @classmethod
    def from_config(cls, config: dict):
        """`cls(**config)`, reading Keras 3's dtype-policy dicts too."""
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name")
        try:
            return cls(**config)
        except TypeError as exc:
            raise TypeError(f"{cls.__name__}.from_config: {exc}.\nhint: give {cls.__name__} "
                            f"a get_config() returning exactly its constructor arguments, or "
                            f"override from_config().") from exc

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


Layer._call_spec = _cc.call_spec(Layer)
Layer._mask_method = False
