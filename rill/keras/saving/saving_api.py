"""Saving and loading whole models and weights: the functions behind `Model.save`,
`keras.models.load_model`, `Model.save_weights`/`load_weights`, `model_from_json`, `to_json`
and `clone_model`.

The format follows the path:

| path            | `save` / `load_model`            | `save_weights` / `load_weights`  |
| --------------- | -------------------------------- | -------------------------------- |
| `*.keras`       | Keras 3 zip                      | -                                |
| `*.weights.h5`  | -                                | Keras 3 layout, with optimizer   |
| `*.h5`, `*.hdf5`| tf.keras HDF5 (config + weights) | tf.keras layout (order, by_name) |
| no suffix       | folder of the `.keras` files     | rill checkpoint (`tf.train`)     |

Every save writes a temporary file beside the target and renames it into place (atomic).
Loading never runs code from the file, except a Lambda's code with `safe_mode=False`.
"""

from __future__ import annotations

import json
import os

from rill.keras.saving import h5_guard, limits
from rill.keras.saving import keras_format as KF
from rill.keras.saving import legacy_h5 as H5
from rill.keras.saving import model_config as MC
from rill.keras.saving import serialization as S
from rill.keras.saving import weights_io as W
from rill.train._atomic import atomic_path

_H5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _path(filepath, what: str) -> str:
    if hasattr(filepath, "__fspath__") or isinstance(filepath, str):
        return os.fspath(filepath)
    raise TypeError(f"{what}: expected a file path (str or os.PathLike), got "
                    f"{type(filepath).__name__}.\nhint: e.g. {what}('my_model.keras').")


def _kind(path: str) -> str:
    low = path.lower()
    if low.endswith(".keras"):
        return "keras"
    if low.endswith(".weights.h5"):
        return "weights.h5"
    if low.endswith((".h5", ".hdf5")):
        return "h5"
    return "other"


def _check_parent(path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        os.makedirs(folder, exist_ok=True)


# -- whole models -------------------------------------------------------------------------------
def save_model(model, filepath, overwrite: bool = True, zipped=None, include_optimizer=True,
               save_format=None, **kwargs) -> None:
    """Saves `model` (architecture, weights, compile arguments and optimizer state).

    `.keras` writes a Keras 3 zip, `.h5`/`.hdf5` (or `save_format="h5"`) tf.keras' HDF5
    file, and a path without a suffix (or `zipped=False`) a folder of the `.keras` files."""
    path = _path(filepath, "save")
    kind = _kind(path)
    if save_format in ("h5", "hdf5") and kind not in ("h5",):
        kind = "h5"
    if kind == "weights.h5":
        raise ValueError(f"save: {path!r} names a weights file.\nhint: use "
                         f"model.save_weights({path!r}), or give model.save a .keras path.")
    if kind == "other" and os.path.splitext(path)[1] and zipped is not False:
        raise ValueError(f"Invalid filepath extension for saving: {path!r}.\nhint: use a "
                         f".keras path (Keras 3 zip), .h5 (tf.keras HDF5), or no extension "
                         f"(a folder).")
    _check_parent(path)
    if kind == "h5":
        import h5py
        with atomic_path(path, overwrite) as tmp:
            with h5py.File(tmp, "w") as f:
                H5.save_model(model, f, include_optimizer=include_optimizer)
        return
    KF.save(model, path, overwrite, zipped=(kind == "keras" and zipped is not False))


def load_model(filepath, custom_objects=None, compile: bool = True, safe_mode: bool = True):
    """Loads a model saved by `save_model` (or by Keras/tf.keras in these formats).

    Raises `FileNotFoundError` for a missing path and `ValueError` (with the file, the
    object and the fix) for contents that cannot be loaded."""
    path = _path(filepath, "load_model")
    if not os.path.exists(path):
        raise FileNotFoundError(f"load_model: no file or folder at {path!r}.\nhint: check the "
                                f"path; model.save(path) writes it.")
    with S.custom_object_scope(custom_objects or {}), S.SafeModeScope(safe_mode):
        try:
            if os.path.isdir(path):
                return KF.load(path, custom_objects, compile)
            with open(path, "rb") as f:
                head = f.read(8)
            if head == _H5_SIGNATURE:
                return _load_h5_model(path, custom_objects, compile)
            if head[:2] == b"PK":
                return KF.load(path, custom_objects, compile)
        except (ValueError, OSError):
            raise
        except RecursionError:
            raise KF.ModelFileError(f"{path!r}: the config nests too deeply to load.\nhint: "
                                    f"the file is damaged or hostile.") from None
        except Exception as e:  # any other failure while rebuilding from the file's contents
            raise KF.ModelFileError(f"{path!r}: the model could not be rebuilt from the file "
                                    f"({type(e).__name__}: {str(e).splitlines()[0][:300]})."
                                    f"\nhint: the file is damaged, or a custom object's "
                                    f"get_config/from_config do not match.") from e
    raise KF.ModelFileError(f"load_model: {path!r} is neither a .keras zip, an HDF5 file nor "
                            f"a model folder.\nhint: load a file written by model.save().")


def _open_h5(path):
    """The HDF5 file at `path`, read-only, after h5_guard's checks."""
    import h5py
    h5_guard.check(path, repr(path))
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise KF.ModelFileError(f"{path!r} is not a readable HDF5 file ({e}).\nhint: the file "
                                f"is damaged or truncated.") from None


def _load_h5_model(path, custom_objects, compile):
    with _open_h5(path) as f:
        if "model_config" not in f.attrs and ("vars" in f or "layers" in f):
            raise KF.ModelFileError(f"{path!r} is a Keras 3 weights file, not a model.\nhint: "
                                    f"build the model in code and call "
                                    f"model.load_weights({path!r}).")
        try:
            return H5.load_model(f, repr(path), custom_objects, compile)
        except (OSError, KeyError, TypeError, RuntimeError) as e:
            raise KF.ModelFileError(f"{path!r}: reading the model failed ({e}).\nhint: the "
                                    f"file is damaged.") from None


# -- weights ------------------------------------------------------------------------------------
def _checkpoint(model):
    import rill as tf
    optimizer = getattr(model, "optimizer", None)
    return tf.train.Checkpoint(root=model, optimizer=optimizer) if optimizer is not None \
        else tf.train.Checkpoint(root=model)


def save_weights(model, filepath, overwrite: bool = True, save_format=None) -> None:
    """Saves the weights: `.weights.h5` in Keras 3's layout (optimizer included),
    `.h5`/`.hdf5` in tf.keras' layout, and any other path as a rill checkpoint (the book's
    `model.save_weights("my_weights")`), recorded in its folder's `checkpoint` file."""
    import h5py
    path = _path(filepath, "save_weights")
    kind = _kind(path)
    _check_parent(path)
    if kind == "keras":
        raise ValueError(f"save_weights: {path!r} ends in .keras, the whole-model format.\n"
                         f"hint: use model.save({path!r}), or a .weights.h5 path.")
    if kind in ("weights.h5", "h5") and save_format != "tf":
        with atomic_path(path, overwrite) as tmp:
            with h5py.File(tmp, "w") as f:
                if kind == "weights.h5":
                    W.save_state(model, f)
                else:
                    H5.save_weights_to_group(model, f)
        return
    import rill as tf
    from rill.train import _format
    if not overwrite and _format.exists(path):
        raise FileExistsError(f"save_weights: {path}.index exists.\nhint: pass "
                              f"overwrite=True.")
    _checkpoint(model).write(path)
    tf.train.update_checkpoint_state(os.path.dirname(os.path.abspath(path)),
                                     os.path.abspath(path), [os.path.abspath(path)])


def load_weights(model, filepath, skip_mismatch: bool = False, by_name: bool = False,
                 **kwargs):
    """Loads weights saved by `save_weights` (or by Keras/tf.keras) into `model`.

    `.weights.h5` files match objects by their place in the model; `.h5` files by layer
    order, or by layer name with `by_name=True`; `skip_mismatch=True` skips (with a warning)
    layers whose weights do not fit. Other paths are rill checkpoints (a folder means its
    latest checkpoint); their restore status is returned, as in TensorFlow."""
    path = _path(filepath, "load_weights")
    kind = _kind(path)
    if kind == "keras":
        model_file = load_model(path, compile=False)
        for mine, theirs in zip(model.weights, model_file.weights):
            mine.assign(theirs)
        return None
    if kind in ("weights.h5", "h5"):
        if not os.path.exists(path):
            raise FileNotFoundError(f"load_weights: no file at {path!r}.\nhint: check the "
                                    f"path; model.save_weights(path) writes it.")
        with _open_h5(path) as f:
            keras3 = "vars" in f or "layers" in f or ("layer_names" not in f.attrs and
                                                     "model_weights" not in f)
            if keras3 and kind == "weights.h5" or (keras3 and "layer_names" not in f.attrs):
                if by_name:
                    raise ValueError(f"load_weights: by_name=True works with tf.keras .h5 "
                                     f"files, not Keras 3 weights files like {path!r}.\nhint: "
                                     f"drop by_name; layers are matched by their place.")
                KF.load_weights_file(model, f, repr(path), True, skip_mismatch)
                return None
            group = f["model_weights"] if "model_weights" in f else f
            try:
                H5.load_weights_from_group(model, group, repr(path), by_name, skip_mismatch)
            except (OSError, KeyError, TypeError, RuntimeError) as e:
                raise KF.ModelFileError(f"{path!r}: reading the weights failed ({e}).\nhint: "
                                        f"the file is damaged.") from None
        return None
    import rill as tf
    if os.path.isdir(path):
        found = tf.train.latest_checkpoint(path)
        if found is None:
            raise FileNotFoundError(f"load_weights: the folder {path!r} holds no checkpoint."
                                    f"\nhint: pass the path given to save_weights.")
        path = found
    return _checkpoint(model).read(path)


# -- configs ------------------------------------------------------------------------------------
def model_to_json(model, **kwargs) -> str:
    """`model.to_json()`: the model's config (Keras 3's format) as JSON."""
    return json.dumps(MC.serialize_model(model), **kwargs)


def model_from_json(json_string, custom_objects=None):
    """The (freshly initialized) model that `model.to_json()` described."""
    if not isinstance(json_string, (str, bytes)):
        raise TypeError(f"model_from_json: expected a JSON string, got "
                        f"{type(json_string).__name__}.\nhint: pass model.to_json().")
    config = KF.parse_json(json_string.encode() if isinstance(json_string, str)
                           else json_string, "model_from_json")
    return model_from_config(config, custom_objects)


def model_from_config(config, custom_objects=None):
    """The model a config dict describes (`{"class_name", "config"}`)."""
    with S.custom_object_scope(custom_objects or {}), limits.weight_budget(None, "config"):
        return MC.model_from_config(config, custom_objects)


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """A new model with the same architecture and new (freshly initialized) weights.

    `clone_function(layer)` makes each layer of a Sequential or functional model (default:
    `layer.__class__.from_config(layer.get_config())`); a subclassed model is rebuilt from
    its `get_config()`."""
    if input_tensors is not None or call_function is not None:
        raise NotImplementedError("clone_model: input_tensors and call_function are not "
                                  "supported by rill.\nhint: clone, then call the clone on "
                                  "your tensors.")
    return MC.clone(model, clone_function)
