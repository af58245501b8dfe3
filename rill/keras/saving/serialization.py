"""Names for custom objects, and objects to and from JSON-ready configs.

One registry maps serialization names to classes and functions, so saving is config plus
weights, never pickle or code. Names are looked up, in order, in the `custom_objects`
argument, the active `custom_object_scope`s, the global registry
(`register_keras_serializable`), then the built-ins of the module asking
(`module_objects`, e.g. the losses).

A config is Keras 3's dict: `{"module", "class_name", "config", "registered_name"}`;
tf.keras 2's `{"class_name", "config"}` and a bare name (`"mse"`) are read too.

`AutoConfig` gives classes a default `get_config` from the plain arguments their
constructor received, so simple custom layers, losses and metrics need none.
"""

from __future__ import annotations

import contextlib
import inspect
import threading
from collections.abc import Callable

_GLOBAL_CUSTOM_OBJECTS: dict[str, object] = {}
_GLOBAL_CUSTOM_NAMES: dict[object, str] = {}
_scope = threading.local()


def _scopes() -> list:
    stack = getattr(_scope, "stack", None)
    if stack is None:
        stack = _scope.stack = []
    return stack


def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """Decorator that registers a class or function under `"package>name"`.

    >>> @keras.saving.register_keras_serializable(package="my_package")
    ... def my_activation(x):
    ...     return x
    >>> keras.saving.get_registered_name(my_activation)
    'my_package>my_activation'
    """

    def decorator(obj):
        registered = f"{package}>{name or obj.__name__}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(f"register_keras_serializable: the class {obj.__name__} has no "
                             f"get_config method.\nhint: define get_config() returning its "
                             f"constructor arguments, or derive from a Keras base class.")
        _GLOBAL_CUSTOM_OBJECTS[registered] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = registered
        return obj

    return decorator


def get_registered_name(obj) -> str:
    """The name `obj` is saved under: its registered name, else its `__name__`."""
    if obj in _GLOBAL_CUSTOM_NAMES:
        return _GLOBAL_CUSTOM_NAMES[obj]
    return getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(name: str, custom_objects: dict | None = None,
                          module_objects: dict | None = None):
    """The object saved as `name`, or None (see the module docstring for the search order)."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    for scope in reversed(_scopes()):
        if name in scope:
            return scope[name]
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    for registered, obj in _GLOBAL_CUSTOM_OBJECTS.items():
        if registered.split(">", 1)[-1] == name:
            return obj
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def get_custom_objects() -> dict:
    """The global registry, a dict that may be edited directly (tf.keras 2 style)."""
    return _GLOBAL_CUSTOM_OBJECTS


@contextlib.contextmanager
def custom_object_scope(*scopes: dict):
    """Makes the names in `scopes` loadable inside the block.

    >>> with keras.saving.custom_object_scope({"my_loss": my_loss}):
    ...     model = keras.models.load_model("model.keras")  # doctest: +SKIP
    """
    merged: dict = {}
    for s in scopes:
        merged.update(s or {})
    stack = _scopes()
    stack.append(merged)
    try:
        yield merged
    finally:
        stack.pop()


CustomObjectScope = custom_object_scope


def _module_of(obj) -> str:
    cls = obj if inspect.isclass(obj) or inspect.isfunction(obj) else type(obj)
    return getattr(cls, "_keras_module", None) or cls.__module__


def serialize_keras_object(obj):
    """A JSON-ready config of `obj` (Keras 3's format); plain values pass through."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(x) for x in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if hasattr(obj, "as_list") and hasattr(obj, "rank"):  # TensorShape
        return obj.as_list() if obj.rank is not None else None
    if hasattr(obj, "as_numpy_dtype") and hasattr(obj, "name"):  # DType
        return obj.name
    if hasattr(obj, "tolist") and hasattr(obj, "dtype"):  # NumPy values and arrays
        return obj.tolist()
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return {"module": _module_of(obj), "class_name": "function", "config": obj.__name__,
                "registered_name": get_registered_name(obj)}
    if hasattr(obj, "get_config"):
        cls = type(obj)
        registered = _GLOBAL_CUSTOM_NAMES.get(cls)
        return {"module": _module_of(obj), "class_name": cls.__name__,
                "config": obj.get_config(), "registered_name": registered or cls.__name__}
    raise TypeError(f"serialize_keras_object: cannot serialize {obj!r} of type "
                    f"{type(obj).__name__}.\nhint: give the class a get_config() method, or "
                    f"pass a plain value (number, string, list, dict).")


def _not_found(name: str, printable: str) -> ValueError:
    return ValueError(
        f"Could not locate {printable} '{name}'. Make sure custom classes and functions are "
        f"decorated with `@keras.saving.register_keras_serializable()` or passed in "
        f"`custom_objects`.\nhint: load with custom_objects={{'{name}': {name}}}, or decorate "
        f"its definition with @keras.saving.register_keras_serializable().")


# Keras modules whose functions a config may name by module (never an arbitrary module)
_FUNCTION_MODULES = ("keras.activations", "keras.losses", "keras.metrics", "keras.ops",
                     "keras.backend")


def _keras_function(module, name):
    """A built-in Keras function named by its module, as Keras 3 configs name them."""
    if module not in _FUNCTION_MODULES or not isinstance(name, str) or name.startswith("_"):
        return None
    import importlib
    obj = getattr(importlib.import_module("rill." + module), name, None)
    return obj if inspect.isfunction(obj) or inspect.isbuiltin(obj) else None


def deserialize_keras_object(config, custom_objects: dict | None = None,
                             safe_mode: bool = True, module_objects: dict | None = None,
                             printable_module_name: str = "object", **kwargs):
    """The object that `config` describes (the inverse of `serialize_keras_object`).

    A function is returned as it is; a class is instantiated with `from_config(config)`
    (or its constructor); a bare name looks the object up and returns it unchanged when it
    is a function, or instantiates a class without arguments.
    """
    if config is None:
        return None
    if isinstance(config, str):
        obj = get_registered_object(config, custom_objects, module_objects)
        if obj is None:
            raise _not_found(config, printable_module_name)
        return obj() if inspect.isclass(obj) else obj
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"deserialize_keras_object: expected a name or a dict with "
                         f"'class_name' and 'config' for {printable_module_name}, got "
                         f"{config!r}.\nhint: pass what serialize_keras_object returned.")
    class_name = config["class_name"]
    inner = config.get("config")
    if class_name == "function":
        name = config.get("registered_name") or inner
        obj = get_registered_object(name, custom_objects, module_objects)
        if obj is None and isinstance(inner, str) and inner != name:
            obj = get_registered_object(inner, custom_objects, module_objects)
        if obj is None:
            obj = _keras_function(config.get("module"), inner)
        if obj is None:
            raise _not_found(inner, printable_module_name)
        return obj
    obj = None
    registered = config.get("registered_name")
    if registered and registered != class_name:
        obj = get_registered_object(registered, custom_objects, module_objects)
    if obj is None:
        obj = get_registered_object(class_name, custom_objects, module_objects)
    if obj is None:
        raise _not_found(class_name, printable_module_name)
    if not inspect.isclass(obj):  # a factory's product mapped to the saved name
        return obj
    with custom_object_scope(custom_objects or {}):
        if hasattr(obj, "from_config"):
            return obj.from_config(inner or {})
        return obj(**(inner or {}))


# -- default get_config from constructor arguments -------------------------------------------
def _plain(value) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


class AutoConfig:
    """Mixin: remembers the constructor's arguments so `get_config` can return them.

    `_auto_config()` gives `{argument: value}` for every argument the constructor received
    (defaults excluded), serializing objects that have `get_config` (an initializer, a
    regularizer) and functions; it raises `NotImplementedError` naming the first argument
    that cannot be written as JSON.
    """

    def __new__(cls, *args, **kwargs):
        obj = super().__new__(cls)
        obj._constructor_args = (args, kwargs)
        return obj

    def _auto_config(self, skip: tuple = ()) -> dict:
        args, kwargs = getattr(self, "_constructor_args", ((), {}))
        try:
            bound = inspect.signature(type(self).__init__).bind(self, *args, **kwargs)
        except TypeError:
            return dict(kwargs)
        out = {}
        for pname, value in list(bound.arguments.items())[1:]:
            param = bound.signature.parameters[pname]
            if param.kind is param.VAR_KEYWORD:
                items = value.items()
            elif param.kind is param.VAR_POSITIONAL:
                if value:
                    raise NotImplementedError(self._config_error(f"*{pname}", value))
                continue
            else:
                items = ((pname, value),)
            for key, val in items:
                if key in skip:
                    continue
                out[key] = self._config_value(key, val)
        return out

    def _config_value(self, key: str, value):
        if _plain(value):
            return value
        if callable(value) or hasattr(value, "get_config"):
            try:
                return serialize_keras_object(value)
            except TypeError:
                pass
        raise NotImplementedError(self._config_error(key, value))

    def _config_error(self, key: str, value) -> str:
        name = type(self).__name__
        return (f"{name}.get_config: the constructor argument `{key}` ({type(value).__name__}) "
                f"cannot be saved as JSON, so the default get_config does not work for "
                f"{name}.\nhint: override get_config() in {name} and return a dict of plain "
                f"values that {name}(**config) accepts (and from_config() if it needs "
                f"more).")


def auto_get_config(obj) -> dict:
    """`obj._auto_config()` for an `AutoConfig` object, else its constructor kwargs."""
    return obj._auto_config() if isinstance(obj, AutoConfig) else {}


Getter = Callable[[object], object]


def make_get(module_objects: Callable[[], dict], printable: str) -> Getter:
    """The `get(identifier)` function of a module such as `keras.activations`: accepts None,
    a name, a config dict, an instance or a callable."""

    def get(identifier):
        if identifier is None:
            return None
        if isinstance(identifier, (str, dict)):
            return deserialize_keras_object(identifier, module_objects=module_objects(),
                                            printable_module_name=printable)
        if callable(identifier):
            return identifier
        raise ValueError(f"Could not interpret {printable} identifier: {identifier!r}.\n"
                         f"hint: pass a name (e.g. one of "
                         f"{sorted(module_objects())[:8]}), a config dict, an instance or a "
                         f"function.")

    return get


def module_api(module_objects: Callable[[], dict], printable: str, article: str = "A"):
    """`serialize`, `deserialize` and `get` of a module of configurable objects such as
    `keras.constraints`: `get` also takes a class (and makes an instance of it)."""
    plain_get = make_get(module_objects, printable)

    def serialize(obj) -> dict:
        return serialize_keras_object(obj)

    def deserialize(config, custom_objects=None):
        return deserialize_keras_object(config, custom_objects=custom_objects,
                                        module_objects=module_objects(),
                                        printable_module_name=printable)

    def get(identifier):
        return identifier() if isinstance(identifier, type) else plain_get(identifier)

    serialize.__doc__ = (f"The {printable}'s config in Keras 3's format (`module`, "
                         f"`class_name`, `config`).")
    deserialize.__doc__ = (f"The {printable} that `config` (from `serialize`, or a name) "
                           f"describes.")
    get.__doc__ = (f"{article} {printable} from a name, a config dict, a class, an instance or "
                   f"a function (returned as is); None gives None.")
    return serialize, deserialize, get


# -- safe mode and Python functions stored as code --------------------------------------------
_UNSAFE = [False]  # keras.config.enable_unsafe_deserialization()


def in_safe_mode() -> bool:
    """Whether loading refuses Python code stored in a file (the default)."""
    stack = getattr(_scope, "safe", None)
    if stack:
        return stack[-1]
    return not _UNSAFE[0]


@contextlib.contextmanager
def SafeModeScope(safe_mode: bool = True):  # noqa: N802 - Keras' name
    """Sets safe mode for the loads inside the block (`load_model(safe_mode=...)`)."""
    stack = getattr(_scope, "safe", None)
    if stack is None:
        stack = _scope.safe = []
    stack.append(True if safe_mode is None else bool(safe_mode))
    try:
        yield
    finally:
        stack.pop()


def enable_unsafe_deserialization() -> None:
    """Allows every later load to run Python code stored in files (lambdas), as
    `safe_mode=False` does for one load."""
    _UNSAFE[0] = True


def serialize_function(fn):
    """A config for a function: a registered or named function by name; a `lambda` (or a
    nested function) as Keras 3's `__lambda__` config holding its bytecode, which loading
    runs only with `safe_mode=False`."""
    name = getattr(fn, "__name__", "<lambda>")
    if name != "<lambda>" and "<locals>" not in getattr(fn, "__qualname__", ""):
        return serialize_keras_object(fn)
    import base64
    import marshal
    code = base64.b64encode(marshal.dumps(fn.__code__)).decode("ascii")
    closure = None
    if fn.__closure__:
        try:
            closure = [serialize_keras_object(c.cell_contents) for c in fn.__closure__]
        except TypeError:
            closure = None
    return {"class_name": "__lambda__",
            "config": {"code": code, "defaults": serialize_keras_object(fn.__defaults__),
                       "closure": closure, "name": name}}


def deserialize_function(config, custom_objects: dict | None = None,
                         module_objects: dict | None = None):
    """The function a `serialize_function` config describes. A `__lambda__` config is code
    from the file: refused in safe mode with an error that says why."""
    if not (isinstance(config, dict) and config.get("class_name") == "__lambda__"):
        return deserialize_keras_object(config, custom_objects=custom_objects,
                                        module_objects=module_objects,
                                        printable_module_name="function")
    inner = config.get("config") or {}
    if in_safe_mode():
        raise ValueError(
            "Requested the deserialization of a Lambda layer whose function is a Python "
            "lambda stored in the file as bytecode. Loading it would run code from the file, "
            "which can do anything, so rill refuses by default (safe_mode=True).\nhint: if "
            "you trust the file's source, load it with safe_mode=False (or call "
            "keras.saving.enable_unsafe_deserialization()); better, define the function with "
            "`def` and pass it in custom_objects.")
    return _function_from_code(inner)


def _function_from_code(inner: dict):
    import base64
    import binascii
    import marshal
    import types
    try:
        code = marshal.loads(base64.b64decode(str(inner.get("code", "")).encode("ascii")))
    except (ValueError, EOFError, TypeError, binascii.Error) as e:
        raise ValueError(f"Lambda function in the file: its bytecode cannot be read ({e}).\n"
                         f"hint: it was saved by another Python version; re-create the "
                         f"Lambda layer in code.") from None
    if not isinstance(code, types.CodeType):
        raise ValueError("Lambda function in the file: the stored code is not a function's "
                         "code.\nhint: the file is damaged; re-create the Lambda layer.")
    defaults = inner.get("defaults")
    closure = inner.get("closure")
    cells = None
    if code.co_freevars:
        values = list(closure or [])
        if len(values) != len(code.co_freevars):
            raise ValueError(f"Lambda function in the file: it needs {len(code.co_freevars)} "
                             f"closure values, the file holds {len(values)}.\nhint: "
                             f"re-create the Lambda layer in code.")
        cells = tuple(types.CellType(v) for v in values)
    import numpy as np

    import rill as tf
    from rill import keras
    scope = {"tf": tf, "np": np, "keras": keras, "__builtins__": __builtins__}
    fn = types.FunctionType(code, scope, inner.get("name") or "<lambda>",
                            tuple(defaults) if defaults else None, cells)
    return fn
