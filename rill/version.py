"""`tf.version`: the TensorFlow API level rill implements, and rill's own release.

`VERSION` (and `tf.__version__`) is the TensorFlow version whose API rill follows, so the
checks TensorFlow code writes (`assert tf.__version__ >= "2.0"`,
`version.parse(tf.__version__) >= version.parse("2.8.0")`) pass. rill's own release is
`RILL_VERSION`, from the installed package's metadata (`pip show rill`).

>>> tf.version.VERSION >= "2.0"
True
"""

from __future__ import annotations

VERSION = "2.16.0"
GIT_VERSION = "rill"
COMPILER_VERSION = "Python"
GRAPH_DEF_VERSION = 0
GRAPH_DEF_VERSION_MIN_CONSUMER = 0
GRAPH_DEF_VERSION_MIN_PRODUCER = 0


def __getattr__(name: str):
    # read on first use: importlib.metadata costs about 12 ms at import
    if name == "RILL_VERSION":
        from importlib.metadata import PackageNotFoundError, version
        try:
            return version("rill")
        except PackageNotFoundError:  # a source tree that is not installed
            return "0.1.0"
    raise AttributeError(f"module 'rill.version' has no attribute {name!r}")
