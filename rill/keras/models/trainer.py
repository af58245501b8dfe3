"""The training loop: `compile`, `fit`, `evaluate`, `predict` and the overridable steps.

`train_step`, `test_step` and `predict_step` take one batch (`(x,)`, `(x, y)` or
`(x, y, sample_weight)`) and return logs; each is wrapped in one `tf.function` per data
structure (so a partial last batch costs one extra trace, once), unless the model runs
eagerly (`compile(run_eagerly=True)`, `tf.config.run_functions_eagerly(True)`, or a layer
made with `dynamic=True`). Batches are NumPy slices turned into tensors with `tf.constant`;
logs become Python floats only for the callbacks that read them.
"""

from __future__ import annotations

import importlib
import time

import numpy as np

import rill as tf
from rill.keras.models import compile_utils as cu
from rill.keras.models import data_adapter as da
from rill.keras.models import execution

_BAR_INTERVAL = 0.05  # seconds between progress-bar updates (the bar redraws no faster)


def _callbacks_module():
    return importlib.import_module("rill.keras.callbacks")


_structure_key = da.structure_key


def _template(structure):
    """The structure with its arrays dropped (a function must not keep the data alive)."""
    if isinstance(structure, dict):
        return {k: _template(v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_template(v) for v in structure)
    return 0


def pythonify_logs(logs) -> dict:
    """Logs as a flat dict of Python floats (nested dicts merged), keys sorted as Keras
    sorts them."""
    out: dict = {}
    if not logs:
        return out
    for key, value in sorted(logs.items()):
        if isinstance(value, dict):
            out.update(pythonify_logs(value))
            continue
        try:
            value = float(value)
        except (TypeError, ValueError):
            pass
        out[key] = value
    return out


class _State:
    """What compile() sets; a plain object, so none of it counts as the model's weights."""

    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self.compile_loss = None
        self.compile_metrics = None
        self.loss_tracker = None
        self.run_eagerly = False
        self.steps_per_execution = 1
        self.jit_compile = "auto"
        self.functions: dict = {}  # (kind, structure, quiet) -> the step function
        self.quiet: dict = {}  # (kind, structure) -> whether the step's logs are the metrics


class _CompiledLoss:
    """tf.keras 2's `model.compiled_loss(y, y_pred, sample_weight, regularization_losses)`:
    the compiled loss plus the given extra losses; updates the "loss" tracker."""

    def __init__(self, model):
        self._model = model

    def __call__(self, y_true, y_pred, sample_weight=None, regularization_losses=None):
        model = self._model
        state = model._trainer_state
        loss = state.compile_loss(y_true, y_pred, sample_weight) \
            if state.compile_loss is not None else None
        extra = [tf.cast(v, "float32") for v in (regularization_losses or [])]
        terms = ([loss] if loss is not None else []) + extra
        total = tf.add_n(terms) if len(terms) > 1 else terms[0] if terms else tf.zeros(())
        state.loss_tracker.update_state(total, sample_weight=_batch_size(y_pred))
        return total


def _explain_rank_1(exc: Exception, kind: str, structure, leaves) -> None:
    """Adds a note to an error of the first batch when the inputs have one value per sample
    (a common mistake: features need their own axis)."""
    x = da.unpack_x_y_sample_weight(structure)[0] if kind != "predict" else structure
    n_x = len(tf.nest.flatten(x))
    rank_1 = [a.shape for a in leaves[:n_x] if getattr(a, "ndim", None) == 1]
    if rank_1 and hasattr(exc, "add_note"):
        caller = {"train": "fit", "test": "evaluate"}.get(kind, kind)
        exc.add_note(f"note ({caller}): the input x has shape {rank_1[0]}, one value per "
                     f"sample; if each sample is one feature, pass x.reshape(-1, 1) (a Dense "
                     f"layer reads the features on the last axis).")


def _steps_per_execution(value) -> int:
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"compile: `steps_per_execution` must be a positive integer, got "
                         f"{value!r}.\nhint: pass e.g. steps_per_execution=32 (1 runs one "
                         f"batch per call).")
    return int(value)


def _batch_size(struct):
    first = tf.nest.flatten(struct)[0]
    return tf.cast(tf.shape(first)[0], "float32")


class Trainer:
    """Mixin of `keras.Model`: compile, the steps, and the fit/evaluate/predict loops."""

    # -- state -----------------------------------------------------------------------------
    @property
    def _trainer_state(self) -> _State:
        state = self.__dict__.get("_trainer_state_obj")
        if state is None:
            state = _State()
            object.__setattr__(self, "_trainer_state_obj", state)
        return state

    @property
    def compiled(self) -> bool:
        """Whether compile() was called."""
        return self._trainer_state.compiled

    @property
    def optimizer(self):
        """The optimizer given to compile()."""
        return self._trainer_state.optimizer

    @optimizer.setter
    def optimizer(self, value):
        self._trainer_state.optimizer = value

    @property
    def loss(self):
        """The `loss` argument given to compile()."""
        return self._trainer_state.loss

    @loss.setter
    def loss(self, value):
        self._trainer_state.loss = value

    @property
    def run_eagerly(self) -> bool:
        """Whether the steps run as plain Python (set by compile(run_eagerly=...))."""
        return self._trainer_state.run_eagerly

    @run_eagerly.setter
    def run_eagerly(self, value):
        self._trainer_state.run_eagerly = bool(value)
        self._trainer_state.functions.clear()
        self._trainer_state.quiet.clear()

    @property
    def steps_per_execution(self) -> int:
        """How many batches one call of the compiled step runs (see compile())."""
        return self._trainer_state.steps_per_execution

    @steps_per_execution.setter
    def steps_per_execution(self, value):
        self._trainer_state.steps_per_execution = _steps_per_execution(value)

    @property
    def stop_training(self) -> bool:
        """Set it to True (from a callback) to end `fit` after the current batch."""
        return self.__dict__.get("_stop_training", False)

    @stop_training.setter
    def stop_training(self, value):
        object.__setattr__(self, "_stop_training", bool(value))

    @property
    def history(self):
        """The History of the last fit() (None before)."""
        return self.__dict__.get("_history_obj")

    @history.setter
    def history(self, value):
        object.__setattr__(self, "_history_obj", value)

    # -- compile ---------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True, **kwargs):
        """Configures the model for training.

        Args:
            optimizer: a name ("adam", "sgd", ...) or a `keras.optimizers.Optimizer`.
            loss: a name ("mse", "sparse_categorical_crossentropy", ...), a
                `keras.losses.Loss`, a function `(y_true, y_pred) -> per-sample losses`, or a
                list (by output position) / dict (by output name) of these.
            metrics: a list of names, `keras.metrics.Metric`s or functions; for several
                outputs a list of lists or a dict by output name. "accuracy" becomes binary,
                categorical or sparse categorical accuracy from the shapes.
            loss_weights: scalars weighting each output's loss (list or dict).
            weighted_metrics: metrics that receive the sample weights.
            run_eagerly: run the steps as plain Python (debugging).
            steps_per_execution: the number of batches each call of the compiled function
                runs (in one `tf.while_loop`); batch callbacks then see one batch per call,
                numbered by the call's last step, with that step's logs.
            jit_compile: accepted for compatibility and ignored: rill has no XLA (the step
                is compiled by `tf.function` either way).

        >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])  # doctest: +SKIP
        """
        for key in ("experimental_run_tf_function", "distribute", "target_tensors",
                    "sample_weight_mode", "pss_evaluation_shards"):
            kwargs.pop(key, None)
        if kwargs:
            raise TypeError(f"compile() got unexpected keyword arguments "
                            f"{sorted(kwargs)}.\nhint: see help(keras.Model.compile).")
        state = _State()
        state.optimizer = cu.get_optimizer(optimizer)
        state.loss = loss
        names = self._output_names_for_compile()
        state.compile_loss = cu.CompileLoss(loss, loss_weights, names) \
            if loss is not None else None
        state.compile_metrics = cu.CompileMetrics(metrics, weighted_metrics, names) \
            if (metrics or weighted_metrics) else None
        state.loss_tracker = importlib.import_module("rill.keras.metrics").Mean(name="loss")
        state.run_eagerly = bool(run_eagerly)
        state.steps_per_execution = _steps_per_execution(steps_per_execution)
        state.jit_compile = jit_compile
        state.compiled = True
        object.__setattr__(self, "_trainer_state_obj", state)
        object.__setattr__(self, "_compile_config",
                           {"optimizer": optimizer, "loss": loss, "metrics": metrics,
                            "loss_weights": loss_weights, "weighted_metrics": weighted_metrics,
                            "run_eagerly": run_eagerly})

    def _output_names_for_compile(self):
        return getattr(self, "output_names", None)

    def _assert_compiled(self, method: str) -> None:
        if not self.compiled:
            raise RuntimeError(f"{type(self).__name__}.{method}: you must call compile() "
                               f"before {method}().\nhint: model.compile(optimizer='adam', "
                               f"loss='mse') first.")

    # -- losses and metrics ----------------------------------------------------------------
    @property
    def compiled_loss(self):
        """tf.keras 2's compiled loss: `compiled_loss(y, y_pred, sample_weight=None,
        regularization_losses=None)`."""
        return _CompiledLoss(self)

    @property
    def compiled_metrics(self):
        """The compiled metrics container (`update_state(y, y_pred, sample_weight)`)."""
        state = self._trainer_state
        if state.compile_metrics is None and state.compiled:
            state.compile_metrics = cu.CompileMetrics([], None, self._output_names_for_compile())
        return state.compile_metrics

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss of `(y, y_pred)` plus the model's `losses` (regularization and
        `add_loss`). Override it for a loss that needs more than the targets."""
        state = self._trainer_state
        terms = []
        if state.compile_loss is not None and y is not None:
            loss = state.compile_loss(y, y_pred, sample_weight)
            if loss is not None:
                terms.append(loss)
        for extra in self.losses:
            extra = tf.cast(extra, "float32")
            terms.append(tf.reduce_sum(extra) if extra.shape.rank else extra)
        if not terms:
            if state.compile_loss is None:
                raise ValueError(f"{type(self).__name__}.compute_loss: there is no loss to "
                                 f"compute: compile() got no `loss` and the model added none "
                                 f"with add_loss().\nhint: model.compile(optimizer=..., "
                                 f"loss='mse').")
            raise ValueError(f"{type(self).__name__}.compute_loss: the compiled loss needs "
                             f"targets `y`, but the data has none.\nhint: pass y to fit(), "
                             f"or yield (x, y) batches.")
        return terms[0] if len(terms) == 1 else tf.add_n(terms)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Updates the compiled metrics and returns every metric's result."""
        state = self._trainer_state
        if state.compile_metrics is not None and y is not None:
            state.compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict:
        """`{name: result}` of every metric (the compiled ones flattened in)."""
        out = {}
        for metric in self.metrics:
            result = metric.result()
            if isinstance(result, dict):
                out.update(result)
            else:
                out[metric.name] = result
        return out

    @property
    def metrics(self) -> list:
        """The loss tracker, the compiled metrics, the per-output loss trackers, then the
        metrics tracked by the model and its layers."""
        state = self._trainer_state
        out = []
        if state.compiled:
            out.append(state.loss_tracker)
            if state.compile_metrics is not None:
                out.append(state.compile_metrics)
            if state.compile_loss is not None:
                out.extend(state.compile_loss.metrics)
        seen = {id(m) for m in out}
        for m in self._tracked_metrics():
            if id(m) not in seen:
                seen.add(id(m))
                out.append(m)
        return out

    def _tracked_metrics(self) -> list:
        found = []
        layers = self._flatten_layers() if hasattr(self, "_flatten_layers") else [self]
        for layer in layers:
            own = layer.__dict__.get("_metrics") or layer.__dict__.get("_tracked_metrics") or []
            found.extend(own)
        return found

    @property
    def metrics_names(self) -> list:
        """The names of `metrics` (Keras 3: "loss", "compile_metrics", ...)."""
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        """Resets the state of every metric of `metrics`."""
        for m in self.metrics:
            m.reset_state()

    # -- the steps -------------------------------------------------------------------------
    def train_step(self, data):
        """One training step on a batch: forward pass, loss, gradients, optimizer update;
        returns the metrics' results. Override it to customize `fit`."""
        x, y, sample_weight = da.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                     training=True)
        self._trainer_state.loss_tracker.update_state(loss, sample_weight=_batch_size(x))
        # the metrics see only y and y_pred, so they are the same before the update; computed
        # first, their small ops run while the forward pass's values are still in the CPU's
        # caches (after the update's large arrays they cost several times more)
        logs = self.compute_metrics(x, y, y_pred, sample_weight)
        variables = self.trainable_variables
        if variables:
            grads = tape.gradient(loss, variables)
            self.optimizer.apply_gradients(zip(grads, variables))
        return logs

    def test_step(self, data):
        """One evaluation step: forward pass (training=False), loss and metrics."""
        x, y, sample_weight = da.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                 training=False)
        self._trainer_state.loss_tracker.update_state(loss, sample_weight=_batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The predictions for one batch (training=False)."""
        x, _, _ = da.unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def _runs_eagerly(self) -> bool:
        if self._trainer_state.run_eagerly:
            return True
        layers = self._flatten_layers() if hasattr(self, "_flatten_layers") else []
        return any(getattr(layer, "dynamic", False) for layer in layers)

    def _step_function(self, kind: str, structure, quiet: bool = False, group: bool = False):
        """The (compiled) step for batches of this structure, cached until compile().

        The quiet variant returns nothing, so its graph computes no results: `fit` and
        `evaluate` use it when no callback reads per-batch logs and the step's logs are the
        metrics' results (read once at the end instead). With `group`, the function takes
        a group of stacked batches (`steps_per_execution`, see `execution.py`)."""
        functions = self._trainer_state.functions
        key = (kind, _structure_key(structure), quiet, group)
        fn = functions.get(key)
        if fn is not None:
            return fn
        step = getattr(self, f"{kind}_step")
        template = _template(structure)
        pack = tf.nest.pack_sequence_as
        if group:
            one_step = execution.multi_step(step, template, kind, quiet)
        elif not isinstance(template, (list, tuple, dict)):
            def one_step(x):
                out = step(x)
                return None if quiet else out
        else:
            def one_step(*leaves):
                out = step(pack(template, list(leaves)))
                return None if quiet else out
        one_step.__name__ = f"{kind}_function"
        fn = one_step if self._runs_eagerly() else tf.function(one_step, reduce_retracing=group)
        functions[key] = fn
        return fn

    def _run_epoch(self, kind: str, handler, callbacks, hooks: int):
        """Runs the batches of one epoch; returns (number of batches, epoch logs).

        `hooks` (see `_wants`): 0, no callback reads batches; 1, only progress bars do, so
        they get the logs at most every `_BAR_INTERVAL` seconds and at the last batch; 2,
        every batch goes to the callbacks. With `steps_per_execution` > 1 each call runs a
        group of batches and the hooks see one batch per call: the group's first step at
        the beginning, its last step (and that step's logs) at the end."""
        state = self._trainer_state.quiet
        per = self._trainer_state.steps_per_execution
        group = per > 1
        begin = getattr(callbacks, f"on_{kind}_batch_begin")
        end = getattr(callbacks, f"on_{kind}_batch_end")
        constant, clock = tf.constant, time.perf_counter
        last = full = silent = quiet_key = None
        quiet, logs, steps, reported, next_report = False, None, 0, -1, 0.0
        for item in (handler.groups(per) if group else handler.epoch()):
            structure, leaves = item[0], item[1]
            first = steps
            steps += item[2] if group else 1
            if structure is not last:
                last, silent = structure, None
                full = self._step_function(kind, structure, group=group)
                quiet_key = (kind, _structure_key(structure))
                if quiet_key not in state and self._builtin_logs(kind):
                    state[quiet_key] = True  # known without running (and tracing) `full`
                quiet = hooks < 2 and state.get(quiet_key, False)
            if hooks == 2:
                begin(first)
            tensors = [constant(a) for a in leaves]
            try:
                if quiet:
                    if silent is None:
                        silent = self._step_function(kind, structure, quiet=True, group=group)
                    silent(*tensors)
                else:
                    logs = full(*tensors)
            except (ValueError, tf.errors.InvalidArgumentError) as exc:
                if first == 0:
                    _explain_rank_1(exc, kind, structure,
                                    [a[0] for a in leaves] if group else leaves)
                raise
            if not quiet and quiet_key not in state:
                state[quiet_key] = self._logs_are_metrics(logs)
                quiet = hooks < 2 and state[quiet_key]
            if hooks == 2:
                end(steps - 1, pythonify_logs(logs))
            elif hooks == 1 and (steps == handler.steps or clock() >= next_report):
                end(steps - 1, self._batch_logs(logs, quiet))
                reported, next_report = steps - 1, clock() + _BAR_INTERVAL
            if kind == "train" and self.stop_training:
                break
        if steps == 0:
            return 0, None
        if hooks == 1 and reported != steps - 1:
            end(steps - 1, self._batch_logs(logs, quiet))
        if logs is None or quiet:
            return steps, pythonify_logs(self.get_metrics_result())
        return steps, self._logs_or_metrics(logs)

    def _builtin_logs(self, kind: str) -> bool:
        """Whether the `kind` step's logs are the metrics' results because the step and
        what it returns are the built-in ones."""
        cls = type(self)
        return all(getattr(cls, name) is getattr(Trainer, name) for name in
                   (f"{kind}_step", "compute_metrics", "get_metrics_result"))

    def _batch_logs(self, logs, quiet: bool) -> dict:
        return pythonify_logs(self.get_metrics_result() if quiet or logs is None else logs)

    def _logs_are_metrics(self, logs) -> bool:
        return set(pythonify_logs(logs)) == set(pythonify_logs(self.get_metrics_result()))

    def make_train_function(self, force: bool = False):
        """Drops the cached compiled steps when `force` (they are rebuilt on demand)."""
        if force:
            self._trainer_state.functions.clear()
            self._trainer_state.quiet.clear()

    make_test_function = make_predict_function = make_train_function

    # -- loops -----------------------------------------------------------------------------
    def _callback_list(self, callbacks, verbose, epochs, steps, history: bool):
        module = _callbacks_module()
        if isinstance(callbacks, module.CallbackList):
            return callbacks
        return module.CallbackList(callbacks, add_history=history,
                                   add_progbar=verbose != 0, model=self, verbose=verbose,
                                   epochs=epochs, steps=steps)

    @staticmethod
    def _wants(callbacks, kind: str) -> int:
        """Who reads the batch hooks of `kind`: 0 nobody (the loop skips them and the
        per-batch logs), 1 only progress bars (they are updated a few times a second), 2 a
        callback that wants every batch."""
        users = [cb for cb in getattr(callbacks, "callbacks", [callbacks])
                 if not hasattr(cb, "_implements_batch_hooks") or
                 cb._implements_batch_hooks(kind)]
        if not users:
            return 0
        bar = _callbacks_module().ProgbarLogger
        return 1 if all(type(cb) is bar for cb in users) else 2

    def _run_batch(self, kind: str, structure, leaves):
        fn = self._step_function(kind, structure)
        return fn(*[tf.constant(a) for a in leaves])

    def _logs_or_metrics(self, logs) -> dict:
        logs = pythonify_logs(logs)
        metric_logs = pythonify_logs(self.get_metrics_result())
        if set(logs) == set(metric_logs):
            return metric_logs
        return logs

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None,
            validation_steps=None, validation_batch_size=None, validation_freq=1, **kwargs):
        """Trains the model for `epochs` epochs; returns a `History` (also `model.history`)
        whose `history` dict holds the epoch-end logs (`loss`, metrics, `val_*`).

        `validation_split` takes the last fraction of the arrays (before shuffling);
        `validation_data` is `(x_val, y_val)` or `(x_val, y_val, sample_weight_val)`.
        """
        self._assert_compiled("fit")
        for key in ("max_queue_size", "workers", "use_multiprocessing"):
            kwargs.pop(key, None)
        if kwargs:
            raise TypeError(f"fit() got unexpected keyword arguments {sorted(kwargs)}.\n"
                            f"hint: see help(keras.Model.fit).")
        verbose = 1 if verbose == "auto" else verbose
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = da.train_validation_split(
                x, y, sample_weight, validation_split)
        handler = da.DataHandler(x, y, sample_weight, batch_size, steps_per_epoch, shuffle,
                                 class_weight, caller="fit")
        val_handler = None
        if validation_data is not None:
            vx, vy, vsw = da.unpack_x_y_sample_weight(validation_data)
            val_handler = da.DataHandler(vx, vy, vsw, validation_batch_size or
                                         (batch_size if handler.batch_size else None),
                                         validation_steps, caller="fit (validation_data)")
        callbacks = self._callback_list(callbacks, verbose, epochs, handler.steps, True)
        batch_hooks = self._wants(callbacks, "train")
        self.stop_training = False
        callbacks.on_train_begin()
        # BackupAndRestore sets where a restarted run resumes (as Keras 3 does)
        initial_epoch = self.__dict__.pop("_initial_epoch", None) or initial_epoch
        training_logs = None
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            steps, epoch_logs = self._run_epoch("train", handler, callbacks, batch_hooks)
            if steps == 0:
                raise ValueError(f"fit: the training data gave no batch in epoch {epoch + 1}."
                                 f"\nhint: a generator is used up after one pass: pass "
                                 f"steps_per_epoch, or a keras.utils.Sequence.")
            if val_handler is not None and self._should_validate(epoch, validation_freq):
                val_logs = self.evaluate(callbacks=callbacks, return_dict=True,
                                         verbose=0, _handler=val_handler)
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            callbacks.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if self.stop_training:
                break
        callbacks.on_train_end(training_logs)
        history = getattr(callbacks, "_history", None)
        if history is None:
            history_cls = _callbacks_module().History
            history = next((c for c in getattr(callbacks, "callbacks", [])
                            if isinstance(c, history_cls)), None)
        self.history = history
        return history

    @staticmethod
    def _should_validate(epoch: int, freq) -> bool:
        if isinstance(freq, int):
            return (epoch + 1) % freq == 0
        return epoch + 1 in freq

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        """The loss and metrics on the data: a scalar when there is only the loss, else a
        list `[loss, metrics...]` (a dict with `return_dict=True`)."""
        self._assert_compiled("evaluate")
        handler = kwargs.pop("_handler", None)
        for key in ("max_queue_size", "workers", "use_multiprocessing"):
            kwargs.pop(key, None)
        if kwargs:
            raise TypeError(f"evaluate() got unexpected keyword arguments {sorted(kwargs)}.")
        verbose = 1 if verbose == "auto" else verbose
        if handler is None:
            handler = da.DataHandler(x, y, sample_weight, batch_size, steps,
                                     caller="evaluate")
        callbacks = self._callback_list(callbacks, verbose, 1, handler.steps, False)
        batch_hooks = self._wants(callbacks, "test")
        self.reset_metrics()
        callbacks.on_test_begin()
        steps, logs = self._run_epoch("test", handler, callbacks, batch_hooks)
        if steps == 0:
            raise ValueError("evaluate: the data gave no batch.\nhint: pass at least one "
                             "sample (and check `steps`).")
        callbacks.on_test_end(logs)
        return logs if return_dict else self._flatten_in_order(logs)

    def _flatten_in_order(self, logs: dict):
        names = []
        for m in self.metrics:
            if isinstance(m, cu.CompileMetrics):
                names.extend(sub.name for sub in m.metrics)
            else:
                names.append(m.name)
        results = [logs[n] for n in names if n in logs]
        results += [logs[k] for k in sorted(logs) if k not in names]
        return results[0] if len(results) == 1 else results

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None,
                **kwargs):
        """The model's outputs for `x`, batched and concatenated into NumPy arrays (in the
        structure of the model's outputs)."""
        for key in ("max_queue_size", "workers", "use_multiprocessing"):
            kwargs.pop(key, None)
        if kwargs:
            raise TypeError(f"predict() got unexpected keyword arguments {sorted(kwargs)}.")
        verbose = 1 if verbose == "auto" else verbose
        handler = da.DataHandler(x, None, None, batch_size, steps, caller="predict")
        callbacks = self._callback_list(callbacks, verbose, 1, handler.steps, False)
        batch_hooks = self._wants(callbacks, "predict") > 0
        callbacks.on_predict_begin()
        per = self._trainer_state.steps_per_execution
        group = per > 1
        chunks, out_structure, last, fn, steps = None, None, None, None, 0
        for item in (handler.groups(per) if group else handler.epoch()):
            structure, leaves = item[0], item[1]
            first = steps
            steps += item[2] if group else 1
            if structure is not last:
                last, fn = structure, self._step_function("predict", structure, group=group)
            if batch_hooks:
                callbacks.on_predict_batch_begin(first)
            out = fn(*[tf.constant(a) for a in leaves])
            flat = [np.asarray(t) for t in tf.nest.flatten(out)]
            if chunks is None:
                chunks, out_structure = [[] for _ in flat], out
            for bucket, value in zip(chunks, flat):
                bucket.append(value)
            if batch_hooks:
                callbacks.on_predict_batch_end(steps - 1, {"outputs": out})
        if chunks is None:
            raise ValueError("predict: the data gave no batch.\nhint: pass at least one "
                             "sample (and check `steps`).")
        callbacks.on_predict_end()
        arrays = [np.concatenate(c, axis=0) if c[0].ndim else np.stack(c) for c in chunks]
        return tf.nest.pack_sequence_as(out_structure, arrays)

    # -- single batches --------------------------------------------------------------------
    def _single_batch(self, kind, x, y=None, sample_weight=None, class_weight=None):
        caller = f"{kind}_on_batch"
        x = da._standardize(x, caller, "x")
        y = da._standardize(y, caller, "y")
        sample_weight = da._standardize(sample_weight, caller, "sample_weight")
        if class_weight:
            sample_weight = da._class_weight_to_sample_weight(tf.nest.flatten(y)[0],
                                                              class_weight)
        data = da.pack_x_y_sample_weight(x, y, sample_weight)
        return self._run_batch(kind, data, tf.nest.flatten(data))

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False):
        """One training step on one batch; returns the metrics (cumulated since the last
        reset_metrics(), as Keras 3 does)."""
        self._assert_compiled("train_on_batch")
        logs = self._logs_or_metrics(self._single_batch("train", x, y, sample_weight,
                                                        class_weight))
        return logs if return_dict else self._flatten_in_order(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """One evaluation step on one batch; returns the metrics."""
        self._assert_compiled("test_on_batch")
        logs = self._logs_or_metrics(self._single_batch("test", x, y, sample_weight))
        return logs if return_dict else self._flatten_in_order(logs)

    def predict_on_batch(self, x):
        """The model's outputs for one batch, as NumPy arrays."""
        out = self._single_batch("predict", x)
        return tf.nest.map_structure(np.asarray, out)
