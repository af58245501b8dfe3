"""rill: TensorFlow 2's programming model in plain Python on NumPy.

    import rill as tf

Public names are declared once, in the module that defines them: a `__tf_names__` table
there lists each name's TensorFlow paths, and `rill._api.fill` binds them here, in `tf.math`,
`tf.nn`, ... (`rill._api.where("math.add")` names the module that `tf.math.add` comes from).
"""

import warnings as _warnings

from rill import (
    _api,
    autodiff,
    autograph,
    config,
    debugging,
    dtypes,
    errors,
    linalg,
    math,
    nn,
    random,
    version,
)
from rill._core import nest
from rill.ops import custom_gradient_ops as _custom_gradient_ops  # noqa: F401 (graph op)
from rill.ops import operators as _operators

_api.fill("tf", globals())
_operators.install()
# Kernels follow TensorFlow, which returns inf/nan without warnings: silence NumPy's
# floating-point RuntimeWarnings raised inside rill's own modules (user code is unaffected).
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"rill\.")

__version__ = version.VERSION  # the TensorFlow API level; rill.version.RILL_VERSION is rill's
newaxis = None


def __getattr__(name: str):
    # tf.keras, tf.data, tf.sparse, tf.SparseTensor, ...: loaded on first use (rill/_api.py)
    return _api.load(name, globals())


def __dir__():
    return sorted({*globals(), *_api.LAZY, *_api.PACKAGES, *_api.LAZY_NAMES})
