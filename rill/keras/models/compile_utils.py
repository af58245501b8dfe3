"""What `compile()` keeps: the loss container, the metrics container and the name lookups.

`CompileLoss` maps the `loss` argument (one loss, a list by output position, or a dict by
output name) onto the model's outputs and returns the weighted total; `CompileMetrics` does
the same for `metrics`/`weighted_metrics` and is itself a metric named "compile_metrics"
whose `result()` is a dict (Keras 3). Both are built on the first batch, when the shapes of
the targets and predictions are known (that is when "accuracy" becomes binary, categorical
or sparse categorical accuracy).
"""

from __future__ import annotations

import difflib
import importlib

import rill as tf


def _module(name: str):
    return importlib.import_module(f"rill.keras.{name}")


_NOT_NAMES = frozenset({"Loss", "LossFunctionWrapper", "Metric", "MeanMetricWrapper",
                        "Optimizer", "accuracy_kind", "resolve_accuracy", "get", "serialize",
                        "deserialize"})


def _public_names(kind: str, module, base) -> list[str]:
    names = []
    for n in dir(module):
        obj = getattr(module, n)
        if n.startswith("_") or n in _NOT_NAMES or not callable(obj):
            continue
        if isinstance(obj, type) and base is not None and not issubclass(obj, base):
            continue
        where = getattr(obj, "__module__", "") or ""
        if where.startswith("rill.keras") and not where.startswith("rill.keras.saving"):
            names.append(n.lower() if kind == "optimizers" else n)
    if kind == "metrics":
        names += ["accuracy", "acc", "crossentropy", "ce"]
    return sorted(set(names))


def _get(kind: str, identifier, base_name: str | None):
    """`keras.<kind>.get(identifier)` with an error that lists the valid names."""
    module = _module(kind)
    try:
        obj = module.get(identifier)
    except (ValueError, TypeError) as exc:
        base = getattr(module, base_name, None) if base_name else None
        valid = _public_names(kind, module, base)
        singular = {"losses": "loss", "metrics": "metric"}.get(kind, kind[:-1])
        close = difflib.get_close_matches(str(identifier), valid, n=3, cutoff=0.6)
        maybe = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
        raise ValueError(
            f"compile: unknown {singular} {identifier!r}{maybe}.\nvalid names: "
            f"{', '.join(valid)}\nhint: pass one of these names, a keras.{kind} object, or "
            f"{'a function' if kind != 'optimizers' else 'an instance'}.") from exc
    if obj is None:
        raise ValueError(f"compile: could not interpret {identifier!r} ({kind}).")
    return obj


def get_optimizer(identifier):
    """The optimizer for `compile(optimizer=...)` (a name, config or instance)."""
    if isinstance(identifier, str) or isinstance(identifier, dict):
        return _get("optimizers", identifier, "Optimizer")
    if identifier is None:
        raise ValueError("compile: `optimizer` is None.\nhint: pass e.g. optimizer='adam' or "
                         "keras.optimizers.SGD(learning_rate=0.01).")
    return identifier


def _object_name(obj) -> str:
    if hasattr(obj, "name") and isinstance(obj.name, str):
        return obj.name
    return getattr(obj, "__name__", type(obj).__name__)


def _wrap_loss_function(fn, name: str):
    """A Loss object around a function returning per-sample losses (sample weights and the
    reduction are applied by Loss.__call__)."""
    return _module("losses").LossFunctionWrapper(fn, name=name)


def get_loss(identifier):
    """A Loss object for one output (None stays None: that output has no loss)."""
    if identifier is None:
        return None
    losses = _module("losses")
    obj = _get("losses", identifier, "Loss") if isinstance(identifier, (str, dict)) \
        else identifier
    if isinstance(obj, losses.Loss):
        return obj
    if isinstance(obj, type) and issubclass(obj, losses.Loss):
        return obj()
    if not callable(obj):
        raise ValueError(f"compile: a loss must be a name, a keras.losses.Loss or a function "
                         f"(y_true, y_pred) -> losses, got {identifier!r}.")
    name = identifier if isinstance(identifier, str) else _object_name(obj)
    return _wrap_loss_function(obj, name)


def _binary_or_sparse(y_true, y_pred) -> tuple[bool, bool]:
    t, p = y_true.shape, y_pred.shape
    t_last = t[-1] if t.rank else None
    p_last = p[-1] if p.rank else None
    is_binary = p_last == 1 or p.rank == 1
    is_sparse = t.rank < p.rank or (t_last == 1 and p_last is not None and p_last > 1)
    return is_binary, is_sparse


def get_metric(identifier, y_true, y_pred):
    """(name, Metric) for one metric of one output; "accuracy"/"acc" and
    "crossentropy"/"ce" pick their binary, categorical or sparse variant from the shapes."""
    metrics = _module("metrics")
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc",
                                                              "crossentropy", "ce"):
        is_binary, is_sparse = _binary_or_sparse(y_true, y_pred)
        kind = "binary" if is_binary else "sparse_categorical" if is_sparse else "categorical"
        base = "accuracy" if identifier.lower() in ("accuracy", "acc") else "crossentropy"
        obj = metrics.get(f"{kind}_{base}")
    else:
        obj = _get("metrics", identifier, "Metric") if isinstance(identifier, (str, dict)) \
            else identifier
    if isinstance(obj, type) and issubclass(obj, metrics.Metric):
        obj = obj()
    name = identifier if isinstance(identifier, str) else _object_name(obj)
    if not isinstance(obj, metrics.Metric):
        if not callable(obj):
            raise ValueError(f"compile: a metric must be a name, a keras.metrics.Metric or a "
                             f"function (y_true, y_pred) -> values, got {identifier!r}.")
        obj = metrics.MeanMetricWrapper(obj, name=name)
    elif isinstance(identifier, str):
        obj.name = name  # "mae" logs as "mae", as Keras 3 names it
    return name, obj


def check_metric_names(metrics) -> None:
    """Raises now (at compile) for unknown metric names, rather than on the first batch."""
    for m in tf.nest.flatten(metrics):
        if isinstance(m, str) and m.lower() not in ("accuracy", "acc", "crossentropy", "ce"):
            _get("metrics", m, "Metric")


# -- outputs ---------------------------------------------------------------------------------
def output_names_of(y_pred, model_output_names) -> list[str]:
    if isinstance(y_pred, dict):
        return list(y_pred)
    if not isinstance(y_pred, (list, tuple)):
        return list(model_output_names or [])[:1] or ["output"]
    names = list(model_output_names or [])
    if len(names) == len(y_pred):
        return names
    return [f"output_{i + 1}" for i in range(len(y_pred))]


def flat_outputs(y_pred) -> list:
    if isinstance(y_pred, dict):
        return list(y_pred.values())
    if isinstance(y_pred, (list, tuple)):
        return list(y_pred)
    return [y_pred]


def match_targets(y_true, names: list[str], what: str = "y") -> list:
    """`y_true` (or sample weights) as a list aligned with the outputs `names`."""
    n = len(names)
    if y_true is None:
        return [None] * n
    if isinstance(y_true, dict):
        missing = [k for k in y_true if k not in names]
        if missing:
            raise ValueError(f"fit: `{what}` has keys {missing} that name no output of the "
                             f"model; the outputs are {names}.\nhint: key {what} by output "
                             f"name.")
        return [y_true.get(k) for k in names]
    if isinstance(y_true, (list, tuple)):
        if len(y_true) != n and not (n == 1 and len(y_true) == 1):
            if what == "sample_weight" and n == 1:
                return [y_true]
            raise ValueError(f"fit: the model has {n} output(s) {names} but `{what}` is a "
                             f"{type(y_true).__name__} of {len(y_true)} arrays.\nhint: pass one "
                             f"{what} array per output, in output order (or a dict by name).")
        return list(y_true)
    if n > 1 and what == "y":
        raise ValueError(f"fit: the model has {n} outputs {names} but `y` is a single "
                         f"array.\nhint: pass a list of {n} target arrays, or a dict by output "
                         f"name.")
    return [y_true] * n


def _by_output(spec, names: list[str], what: str, allow_single: bool = True):
    """A loss/metric spec spread over the outputs: a list per output position."""
    n = len(names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in names]
        if unknown:
            raise ValueError(f"compile: `{what}` has keys {unknown} that name no output of the "
                             f"model; the outputs are {names}.\nhint: key {what} by output "
                             f"name.")
        return [spec.get(k) for k in names], True
    if isinstance(spec, (list, tuple)):
        if n == 1:
            return [spec if what in ("metrics", "weighted_metrics") else
                    (spec[0] if len(spec) == 1 else spec)], False
        if len(spec) != n:
            raise ValueError(f"compile: the model has {n} outputs {names} but `{what}` is a "
                             f"list of {len(spec)}.\nhint: pass one entry per output (a list "
                             f"of lists for metrics), or a dict keyed by output name.")
        return list(spec), False
    if not allow_single and n > 1:
        raise ValueError(f"compile: `{what}` must be a list or dict for a model with "
                         f"{n} outputs {names}, got {spec!r}.")
    return [spec] * n, False


class CompileLoss:
    """The compiled loss: `__call__(y_true, y_pred, sample_weight)` is the weighted sum of the
    per-output losses (a scalar tensor), or None when no output has a loss."""

    def __init__(self, loss, loss_weights=None, output_names=None):
        self._spec, self._weights_spec = loss, loss_weights
        self._output_names = output_names
        if loss is not None:
            for ident in (loss.values() if isinstance(loss, dict) else
                          loss if isinstance(loss, (list, tuple)) else [loss]):
                get_loss(ident)  # unknown names raise at compile time
        self.built = False
        self.metrics: list = []  # per-output loss trackers (several outputs only)
        self.losses: list = []

    def build(self, y_true, y_pred) -> None:
        names = output_names_of(y_pred, self._output_names)
        specs, _ = _by_output(self._spec, names, "loss")
        if isinstance(self._spec, dict):
            missing = [k for k in names if k not in self._spec]
            if missing and len(names) > 1:
                raise ValueError(f"compile: the loss dict has no entry for the output(s) "
                                 f"{missing}; the outputs are {names}.\nhint: give every "
                                 f"output a loss (or None explicitly).")
        w = self._weights_spec
        if w is None:
            weights = [1.0] * len(names)
        elif isinstance(w, dict):
            weights = [float(w.get(k, 1.0)) for k in names]
        elif isinstance(w, (list, tuple)):
            if len(w) != len(names):
                raise ValueError(f"compile: `loss_weights` has {len(w)} entries but the "
                                 f"model has {len(names)} outputs {names}.\nhint: pass one "
                                 f"weight per output, or a dict by output name.")
            weights = [float(v) for v in w]
        else:
            weights = [float(w)] * len(names)
        self.names = names
        self.losses = [get_loss(s) for s in specs]
        self.weights = weights
        if len(names) > 1:
            Mean = _module("metrics").Mean
            self.metrics = [Mean(name=f"{n}_loss") if loss is not None else None
                            for n, loss in zip(names, self.losses)]
            self.metrics = [m for m in self.metrics if m is not None]
        self.built = True

    def __call__(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            with tf.init_scope():
                self.build(y_true, y_pred)
        names = self.names
        outs = flat_outputs(y_pred)
        trues = match_targets(y_true, names, "y")
        weights = match_targets(sample_weight, names, "sample_weight")
        total = None
        trackers = iter(self.metrics)
        for loss, w, yt, yp, sw in zip(self.losses, self.weights, trues, outs, weights):
            if loss is None or yt is None:
                continue
            value = loss(yt, yp, sample_weight=sw)
            if self.metrics:
                batch = tf.cast(tf.shape(tf.nest.flatten(yp)[0])[0], "float32")
                next(trackers).update_state(value, sample_weight=batch)
            term = value if w == 1.0 else value * w
            total = term if total is None else total + term
        return total


def _match_rank_and_dtype(y_true, y_pred):
    """Labels (n,) against predictions (n, k) become (n, 1), and float labels take the
    predictions' dtype, before any metric sees them (as tf.keras 2 did): a user's metric
    computing `y_true - y_pred` must never broadcast to (n, n)."""
    if y_true is None or y_pred is None:
        return y_true
    y_true = tf.convert_to_tensor(y_true)
    if y_true.shape.rank == 1 and y_pred.shape.rank == 2:
        y_true = tf.expand_dims(y_true, -1)
    if y_true.dtype.is_floating and y_pred.dtype.is_floating and y_true.dtype != y_pred.dtype:
        y_true = tf.cast(y_true, y_pred.dtype)
    return y_true


class CompileMetrics:
    """The compiled metrics of every output, itself a metric: `result()` is a dict
    `{name: value}` (names prefixed with the output name when there are several outputs)."""

    name = "compile_metrics"

    def __init__(self, metrics=None, weighted_metrics=None, output_names=None):
        self._metrics_spec, self._weighted_spec = metrics, weighted_metrics
        self._output_names = output_names
        for spec in (metrics, weighted_metrics):
            if spec is not None:
                check_metric_names(list(spec.values()) if isinstance(spec, dict) else spec)
        self.built = False
        self.metrics: list = []  # Metric objects, in result order
        self._names: list = []
        self._plan: list = []  # (output index, metric, weighted)

    def _spread(self, spec, names, what):
        if spec is None:
            return [[] for _ in names]
        if not isinstance(spec, (list, tuple, dict)):
            spec = [spec]
        per, _ = _by_output(spec, names, what)
        if len(names) > 1 and isinstance(spec, (list, tuple)) and \
                not any(isinstance(s, (list, tuple, dict)) or s is None for s in spec):
            per = [[s] for s in spec]  # a flat list: one metric per output, by position
        out = []
        for p in per:
            out.append([] if p is None else list(p) if isinstance(p, (list, tuple)) else [p])
        return out

    def build(self, y_true, y_pred) -> None:
        names = output_names_of(y_pred, self._output_names)
        outs = flat_outputs(y_pred)
        trues = match_targets(y_true, names, "y")
        multi = len(names) > 1
        taken: set = set()
        plain = self._spread(self._metrics_spec, names, "metrics")
        weighted = self._spread(self._weighted_spec, names, "weighted_metrics")
        entries = []
        for is_weighted, per in ((False, plain), (True, weighted)):
            for i, specs in enumerate(per):
                for spec in specs:
                    if trues[i] is None:
                        continue
                    name, metric = get_metric(spec, trues[i], outs[i])
                    entries.append((i, is_weighted, name, metric))
        unweighted_names = {(i, n) for i, w, n, _ in entries if not w}
        for i, is_weighted, name, metric in entries:
            if is_weighted and (i, name) in unweighted_names:
                name = "weighted_" + name
            full = f"{names[i]}_{name}" if multi else name
            unique, k = full, 0
            while unique in taken:
                k += 1
                unique = f"{full}_{k}"
            taken.add(unique)
            self._names.append(unique)
            self.metrics.append(metric)
            self._plan.append((i, metric, is_weighted))
        self._output_names_built = names
        self.built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Updates every metric with its output's targets and predictions."""
        if not self.built:
            with tf.init_scope():
                self.build(y_true, y_pred)
        names = self._output_names_built
        outs = flat_outputs(y_pred)
        trues = match_targets(y_true, names, "y")
        weights = match_targets(sample_weight, names, "sample_weight")
        matched: dict = {}
        for i, metric, is_weighted in self._plan:
            y_true = trues[i]
            if not getattr(metric, "_class_id_labels", False):
                if i not in matched:
                    matched[i] = _match_rank_and_dtype(y_true, outs[i])
                y_true = matched[i]
            if is_weighted:
                metric.update_state(y_true, outs[i], sample_weight=weights[i])
            else:
                metric.update_state(y_true, outs[i])

    def result(self) -> dict:
        return {n: m.result() for n, m in zip(self._names, self.metrics)}

    def reset_state(self) -> None:
        for m in self.metrics:
            m.reset_state()

    reset_states = reset_state

    @property
    def variables(self) -> list:
        return [v for m in self.metrics for v in m.variables]

    def __repr__(self) -> str:
        return f"<CompileMetrics {self._names if self.built else '(unbuilt)'}>"
