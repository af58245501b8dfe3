"""The `.keras` format: a zip holding `config.json`, `metadata.json` and `model.weights.h5`,
as Keras 3 writes it; and the same three files in a folder, for paths without a suffix.

The folder is rill's stand-in for the book's SavedModel directories (`model.save("my_model")`
in tf.keras 2): rill saves and loads it with the same calls, but it is not TensorFlow's
SavedModel (protobuf) format, and a real SavedModel folder is refused with an error that says
so.

Reading takes only the three known members (nothing is extracted, so member names such as
`../x` never touch the disk), with size limits, and turns every problem with the contents
into a `ValueError` naming the file.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import zipfile

from rill.keras.saving import compile_config as CC
from rill.keras.saving import model_config as MC
from rill.keras.saving import weights_io as W
from rill.train._atomic import atomic_path

CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
_MAX_JSON = 256 << 20  # 256 MiB of config is far beyond any model
_BOMB_RATIO = 200  # a member may not inflate more than this much (and past 1 GiB)


class ModelFileError(ValueError):
    """The contents of a model file cannot be read (damaged, truncated or not a model)."""


def _metadata() -> bytes:
    import rill
    from rill import keras
    return json.dumps({"keras_version": keras.__version__, "rill_version": rill.__version__,
                       "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
                      ).encode()


def _config(model) -> bytes:
    config = MC.serialize_model(model)
    compiled = CC.get_compile_config(model)
    if compiled is not None:
        config["compile_config"] = compiled
    return json.dumps(config).encode()


def _weights(model) -> bytes:
    import h5py
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        W.save_state(model, f)
    return buffer.getvalue()


def save(model, path: str, overwrite: bool = True, zipped: bool = True) -> None:
    """Writes `model` to `path` as a `.keras` zip, or a folder with `zipped=False`."""
    files = {CONFIG: _config(model), METADATA: _metadata(), WEIGHTS: _weights(model)}
    with atomic_path(path, overwrite) as tmp:
        if zipped:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as z:
                for name in (METADATA, CONFIG, WEIGHTS):
                    z.writestr(name, files[name])
        else:
            os.mkdir(tmp)
            for name, data in files.items():
                with open(os.path.join(tmp, name), "wb") as f:
                    f.write(data)


# -- reading ----------------------------------------------------------------------------------
def is_saved_model_dir(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "saved_model.pb")) or \
        os.path.isfile(os.path.join(path, "saved_model.pbtxt"))


def _read_member(z: zipfile.ZipFile, name: str, path: str, limit: int | None) -> bytes:
    try:
        info = z.getinfo(name)
    except KeyError:
        raise ModelFileError(f"{path!r} holds no {name}; it is not a Keras model file "
                             f"(members: {z.namelist()[:6]}).\nhint: save it with "
                             f"model.save('name.keras').") from None
    if limit is not None and info.file_size > limit:
        raise ModelFileError(f"{path!r}: {name} claims {info.file_size} bytes, more than "
                             f"the {limit} a model config may have.\nhint: the file is "
                             f"damaged or hostile.")
    if info.file_size > (1 << 30) and info.file_size > _BOMB_RATIO * max(info.compress_size,
                                                                          1):
        raise ModelFileError(f"{path!r}: {name} would inflate from {info.compress_size} to "
                             f"{info.file_size} bytes.\nhint: the file is hostile (a zip "
                             f"bomb).")
    return z.read(info)


def _read_files(path: str) -> dict:
    if os.path.isdir(path):
        if is_saved_model_dir(path):
            raise ModelFileError(
                f"{path!r} is a TensorFlow SavedModel folder (saved_model.pb). rill cannot "
                f"load SavedModels: they hold TensorFlow graphs, not Keras configs.\nhint: in "
                f"TensorFlow, load it and save it again with model.save('model.keras') (or "
                f"model.save_weights('model.weights.h5')), then load that file in rill.")
        files = {}
        for name in (CONFIG, METADATA, WEIGHTS):
            full = os.path.join(path, name)
            if not os.path.isfile(full):
                if name == METADATA:
                    continue
                raise ModelFileError(f"{path!r} is a folder without {name}; it is not a "
                                     f"model saved by rill.\nhint: load the folder that "
                                     f"model.save(path) wrote, or a .keras file.")
            if name != WEIGHTS and os.path.getsize(full) > _MAX_JSON:
                raise ModelFileError(f"{full!r} is too large to be a model config.\nhint: "
                                     f"the folder is damaged.")
            with open(full, "rb") as f:
                files[name] = f.read()
        return files
    try:
        with zipfile.ZipFile(path) as z:
            return {CONFIG: _read_member(z, CONFIG, path, _MAX_JSON),
                    WEIGHTS: _read_member(z, WEIGHTS, path, None)}
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, RuntimeError,
            NotImplementedError, ValueError, OSError) as e:
        if isinstance(e, (FileNotFoundError, PermissionError, IsADirectoryError)):
            raise
        raise ModelFileError(f"{path!r} is not a readable .keras file: {e}.\nhint: the file "
                             f"is damaged or truncated; save the model again.") from None
    except Exception as e:  # zlib.error and other decoder failures
        raise ModelFileError(f"{path!r} is not a readable .keras file: {e!r}.\nhint: the "
                             f"file is damaged or truncated.") from None


def parse_json(data: bytes, what: str):
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ModelFileError(f"{what} is not valid JSON ({str(e)[:200]}).\nhint: the file is "
                             f"damaged.") from None


def load(path: str, custom_objects=None, compile: bool = True):
    """The model saved at `path` (a `.keras` zip or a model folder)."""
    import h5py

    from rill.keras.saving import h5_guard, limits
    files = _read_files(path)
    config = parse_json(files[CONFIG], f"{path!r}: {CONFIG}")
    if not isinstance(config, dict):
        raise ModelFileError(f"{path!r}: {CONFIG} holds {type(config).__name__}, not a model "
                             f"config.\nhint: the file is damaged.")
    h5_guard.check(files[WEIGHTS], f"{path!r}: {WEIGHTS}")
    try:
        f = h5py.File(io.BytesIO(files[WEIGHTS]), "r")
    except OSError as e:
        raise ModelFileError(f"{path!r}: {WEIGHTS} is not a readable HDF5 file ({e}).\nhint: "
                             f"the file is damaged or truncated.") from None
    with f:
        with limits.weight_budget(limits.file_elements(f), repr(path)):
            model = MC.model_from_config(config, custom_objects)
        compiled = config.get("compile_config") if compile else None
        if compiled:
            CC.compile_from_config(model, compiled, custom_objects)
        load_weights_file(model, f, f"{path!r}", optimizer=bool(compiled))
    return model


def load_weights_file(model, f, where: str, optimizer: bool = True,
                      skip_mismatch: bool = False) -> None:
    """Loads Keras 3 layout weights from an open h5py file, converting HDF5 read errors."""
    try:
        W.load_state(model, f, where, skip_mismatch)
        opt = getattr(model, "optimizer", None) if optimizer else None
        if opt is not None and W.safe_group(f, "optimizer/vars", where) is not None:
            W.load_optimizer_state(model, opt, f, where)
    except (OSError, KeyError, TypeError, RuntimeError) as e:
        raise ModelFileError(f"{where}: reading the weights failed ({e}).\nhint: the file is "
                             f"damaged.") from None
