"""A weight's three constructor arguments as layers take them: `<prefix>_initializer`,
`<prefix>_regularizer` and `<prefix>_constraint` (prefix "kernel", "bias", "recurrent",
"depthwise", ...), set on the layer, used to create the weight, and written to its config."""

from __future__ import annotations

from rill.keras import constraints, initializers, regularizers

_KINDS = (("initializer", initializers), ("regularizer", regularizers),
          ("constraint", constraints))


def set_args(layer, prefix: str, initializer, regularizer=None, constraint=None) -> None:
    """Sets `layer.<prefix>_initializer` etc. from names, objects or None."""
    for (kind, module), value in zip(_KINDS, (initializer, regularizer, constraint)):
        setattr(layer, f"{prefix}_{kind}", module.get(value))


def add_weight(layer, name: str, shape, prefix: str | None = None, **kwargs):
    """`layer.add_weight(name, shape)` with the initializer, regularizer and constraint of
    `prefix` (default: the weight's name); `kwargs` may override them."""
    prefix = prefix or name
    args = {kind: getattr(layer, f"{prefix}_{kind}") for kind, _ in _KINDS}
    return layer.add_weight(name=name, shape=shape, **{**args, **kwargs})


def config(layer, *prefixes: str) -> dict:
    """The serialized arguments of each prefix, for `get_config`."""
    return {f"{p}_{kind}": module.serialize(getattr(layer, f"{p}_{kind}"))
            for p in prefixes for kind, module in _KINDS}
