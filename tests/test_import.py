"""`import rill` stays light: heavy or optional parts load on first use."""

import subprocess
import sys


def _modules_after(code: str) -> set:
    script = code + "\nimport sys\nprint(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", script],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_import_rill_loads_neither_ml_dtypes_nor_keras():
    mods = _modules_after("import rill")
    assert "ml_dtypes" not in mods
    assert not any(m == "rill.keras" or m.startswith("rill.keras.") for m in mods)


def test_keras_loads_on_first_attribute_access_after_the_engine():
    mods = _modules_after("import rill as tf\nassert tf.keras.backend.floatx() == 'float32'")
    assert "rill.keras" in mods
    mods = _modules_after("from rill import keras\nassert keras.backend.epsilon() == 1e-7")
    assert "rill.keras" in mods


def test_bfloat16_imports_ml_dtypes_on_first_use():
    mods = _modules_after("import rill as tf\nx = tf.constant([1.5], tf.bfloat16)\n"
                          "assert x.dtype == tf.bfloat16 and float(x[0]) == 1.5")
    assert "ml_dtypes" in mods


def test_bfloat16_array_made_outside_rill_is_recognised():
    _modules_after("import ml_dtypes, numpy as np\nimport rill as tf\n"
                   "x = tf.constant(np.ones(2, ml_dtypes.bfloat16))\n"
                   "assert x.dtype == tf.bfloat16\nassert tf.as_dtype(ml_dtypes.bfloat16) == "
                   "tf.bfloat16")


def test_version_reports_the_tensorflow_api_level():
    import importlib.metadata

    from packaging import version

    import rill as tf
    assert tf.__version__ == tf.version.VERSION
    assert tf.__version__ >= "2.0"  # the checks TensorFlow code writes
    assert version.parse(tf.__version__) >= version.parse("2.8.0")
    assert tf.version.RILL_VERSION == importlib.metadata.version("rill")
