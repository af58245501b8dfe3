"""rill's public namespaces (`tf`, `tf.math`, `tf.nn`, ...), filled from one declaration.

Each module that defines a public function or class declares its TensorFlow paths once, in a
`__tf_names__` table at its end: namespaces (space-separated) -> names (space-separated).

    __tf_names__ = {"tf math": "add abs", "math": "erf", "tf": "range=range_"}

reads: `add` and `abs` are `tf.add`/`tf.math.add` and `tf.abs`/`tf.math.abs`; `erf` is
`tf.math.erf` only; `range_` is exported as `tf.range`. `tf` is the top level; a nested
namespace is dotted (`random.experimental`). Each namespace module (`rill/math.py`, ...) is
one `fill` call. Where a public name comes from: `rill._api.where("math.add")` is
'rill.ops.math_ops'.
"""

from __future__ import annotations

import importlib
import sys

# The modules whose tables fill the namespaces loaded with `import rill`, in import order.
ENGINE = (
    "rill._core.forward", "rill._core.tape", "rill._core.numerics", "rill.ops.debugging_ops",
    "rill._core.errors", "rill._core.composite", "rill.ops.linalg_ops", "rill.ops.math_ops",
    "rill.ops.nn_ops", "rill.ops.special_ops",
    "rill.ops.conv_ops", "rill.ops.manip_ops", "rill.ops.reduction_ops", "rill.ops.segment_ops",
    "rill.ops.sort_ops", "rill.ops.random_gamma_ops", "rill.ops.random_ops",
    "rill._core.convert", "rill._core.dtypes", "rill._core.graph", "rill._core.tensor",
    "rill._core.tensor_shape", "rill._core.variable", "rill.ops.array_ops",
    "rill.ops.gather_scatter_ops", "rill.ops.indexed_slices", "rill.ops.indexing_ops",
    "rill.function.function", "rill._core.context", "rill.function.printing",
    "rill.function.py_func", "rill.function.signature", "rill.ops.control_flow_ops",
    "rill.ops.tensor_array_ops", "rill._core.custom_gradient", "rill._core.module",
    "rill._core.scopes", "rill.ops.functional_ops", "rill.ops.gradients_ops",
    "rill.ops.init_ops", "rill.ops.misc_ops", "rill.ops.partition_ops",
    "rill.ops.math_misc_ops", "rill.ops.histogram_ops",
)
# Namespaces loaded on first use (`rill.__getattr__`), and the modules whose tables fill them.
LAZY = {
    "image": ("rill.ops.image_ops",), "queue": ("rill.ops.queue_ops",),
    "ragged": ("rill.ops.ragged.ragged_ops", "rill.ops.ragged.ragged_tensor"),
    "sets": ("rill.ops.sets_ops",), "sparse": ("rill.ops.sparse_ops",),
    "strings": ("rill.ops.string_ops",),
}
# Packages with their own `__init__`, also loaded on first use: Keras after the engine is
# complete, so it may subclass `tf.Module` at module level and never slows `import rill`.
PACKAGES = ("data", "io", "keras", "train", "types")
# Top-level names that a lazy namespace's modules declare: `tf.SparseTensor` loads tf.sparse.
LAZY_NAMES = {"as_string": "strings", "SparseTensor": "sparse", "SparseTensorSpec": "sparse",
              "RaggedTensor": "ragged", "RaggedTensorSpec": "ragged"}


def _entries(namespace: str, modules: tuple):
    for module_name in modules:
        if module_name not in sys.modules:
            __import__(module_name)  # not importlib: -X importtime shows what __import__ loads
        module = sys.modules[module_name]
        for key, names in module.__tf_names__.items():
            if namespace in key.split():
                for entry in names.split():
                    public, _, private = entry.partition("=")
                    yield public, module, private or public


def fill(namespace: str, into: dict, modules: tuple | None = None) -> list:
    """Binds in `into` (a module's globals) every name declared in `namespace` by `modules`
    (by default the namespace's own: `LAZY[namespace]` or `ENGINE`); returns the names, sorted,
    for `__all__`."""
    modules = LAZY.get(namespace.split(".")[0], ENGINE) if modules is None else modules
    names = []
    for public, module, private in _entries(namespace, modules):
        into[public] = getattr(module, private)
        names.append(public)
    return sorted(names)


def load(name: str, root: dict):
    """`rill.__getattr__`: a namespace or package loaded on first use, or a top-level name
    that one declares (bound in `root`, rill's globals)."""
    if name in LAZY or name in PACKAGES:
        return importlib.import_module(f"rill.{name}")
    if name in LAZY_NAMES:
        fill("tf", root, LAZY[LAZY_NAMES[name]])
        return root[name]
    raise AttributeError(f"module 'rill' has no attribute {name!r}")


def where(path: str) -> str:
    """The module that declares a public name: `where("math.add")` is 'rill.ops.math_ops'."""
    namespace, _, name = path.removeprefix("tf.").rpartition(".")
    modules = (*ENGINE, *(m for ms in LAZY.values() for m in ms))
    for public, module, _private in _entries(namespace or "tf", modules):
        if public == name:
            return module.__name__
    raise LookupError(f"no module declares tf.{path.removeprefix('tf.')}")
