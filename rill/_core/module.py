"""`tf.Module`: a named container of variables and other modules.

A module finds its variables and sub-modules by walking its attributes (sorted by name) and
the lists, tuples and dicts inside them. For each module the values found in its own
attributes come first, then those of its sub-modules, in the order they were found; every
object is reported once, and cycles are harmless. Subclasses define `__call__` (Keras
layers are built on this class).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping

from rill._core.scopes import name_scope


def _camel_to_snake(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


def _is_variable(x) -> bool:
    return getattr(type(x), "_is_variable", False) is True


def _is_trainable_variable(x) -> bool:
    return _is_variable(x) and x.trainable


def _is_non_trainable_variable(x) -> bool:
    return _is_variable(x) and not x.trainable


def _leaves(value, path: tuple) -> Iterator:
    """(path, leaf) for the leaves of nested lists, tuples and dicts (dicts by sorted key)."""
    if isinstance(value, Mapping):
        try:
            keys = sorted(value)
        except TypeError:
            keys = list(value)
        for k in keys:
            yield from _leaves(value[k], path + (k,))
    elif isinstance(value, (list, tuple)):
        keys = getattr(type(value), "_fields", None)  # namedtuples: by field name
        for i, item in enumerate(value):
            yield from _leaves(item, path + (keys[i] if keys else i,))
    else:
        yield path, value


class Module:
    """Base class of objects that own variables and sub-modules (`tf.Module`).

    Args:
        name: the module's name, a Python identifier (default: the class name in
            snake_case, `MyLayer` -> `my_layer`).

    >>> class Scale(tf.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = tf.Variable(2.0, name="w")
    ...     def __call__(self, x):
    ...         return self.w * x
    >>> m = Scale()
    >>> m.name, [v.name for v in m.trainable_variables]
    ('scale', ['w:0'])
    """

    # attribute names the walk skips (subclasses extend it for their own bookkeeping)
    _TF_MODULE_IGNORED_PROPERTIES = frozenset()

    def __init__(self, name: str | None = None):
        if name is None:
            name = _camel_to_snake(type(self).__name__)
        elif not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"{name!r} is not a valid module name. Module names must be valid "
                             f"Python identifiers (e.g. a valid class name).\nhint: use letters, "
                             f"digits and underscores, not starting with a digit.")
        self._name = name
        with name_scope(name) as scope_name:  # made unique while tracing, as TensorFlow does
            self._scope_name = scope_name
        self._name_scope = name_scope(scope_name)

    @property
    def name(self) -> str:
        """The module's name (not unique: two modules of one class share it)."""
        return self._name

    @property
    def name_scope(self) -> name_scope:
        """The `tf.name_scope` of this module: `with m.name_scope:` names ops and variables
        `module_name/...`."""
        return self._name_scope

    @property
    def variables(self) -> tuple:
        """Every `tf.Variable` of this module and its sub-modules, each once."""
        return tuple(self._flatten(predicate=_is_variable))

    @property
    def trainable_variables(self) -> tuple:
        """The variables with `trainable=True`."""
        return tuple(self._flatten(predicate=_is_trainable_variable))

    @property
    def non_trainable_variables(self) -> tuple:
        """The variables with `trainable=False`."""
        return tuple(self._flatten(predicate=_is_non_trainable_variable))

    @property
    def submodules(self) -> tuple:
        """Every module reachable from this one (not itself), nearest first.

        >>> outer = tf.Module(); outer.inner = tf.Module(name="inner")
        >>> [m.name for m in outer.submodules]
        ['inner']
        """
        return tuple(self._flatten(predicate=lambda x: isinstance(x, Module)))

    def _flatten(self, recursive: bool = True, predicate: Callable | None = None,
                 attribute_traversal_key: Callable | None = None, with_path: bool = False,
                 expand_composites: bool = False) -> Iterator:
        """Yields the objects found in this module's attributes for which `predicate` is
        true (every leaf by default), as (path, object) pairs with `with_path`."""
        seen = {id(self)}
        visited = {id(self)}
        return _walk(self, (), recursive, predicate, attribute_traversal_key, with_path, seen,
                     visited)

    @classmethod
    def with_name_scope(cls, method: Callable) -> Callable:
        """Decorator for methods: runs them inside the module's name scope.

        >>> class Block(tf.Module):
        ...     @tf.Module.with_name_scope
        ...     def scope(self):
        ...         return tf.get_current_name_scope()
        >>> Block().scope()
        'block'
        """
        @functools.wraps(method)
        def method_with_name_scope(self, *args, **kwargs):
            with self.name_scope:
                return method(self, *args, **kwargs)

        return method_with_name_scope


def _walk(module: Module, path: tuple, recursive: bool, predicate, key, with_path: bool,
          seen: set, visited: set) -> Iterator:
    ignored = module._TF_MODULE_IGNORED_PROPERTIES
    attrs = vars(module)
    found = []  # sub-modules to walk after this module's own attributes
    for name in sorted(attrs, key=key):
        if name in ignored:
            continue
        for leaf_path, leaf in _leaves(attrs[name], (name,)):
            if recursive and isinstance(leaf, Module) and id(leaf) not in visited:
                visited.add(id(leaf))
                found.append((path + leaf_path, leaf))
            if id(leaf) in seen or (predicate is not None and not predicate(leaf)):
                continue
            seen.add(id(leaf))
            yield (path + leaf_path, leaf) if with_path else leaf
    for sub_path, sub in found:
        yield from _walk(sub, sub_path, recursive, predicate, key, with_path, seen, visited)


__tf_names__ = {"tf": "Module"}
