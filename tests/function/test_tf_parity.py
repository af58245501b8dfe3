"""The same script under TensorFlow (RILL_TF_PYTHON, see tests/conftest.py) and rill: same
output."""

import sys

from tests.conftest import run_script

SCRIPT = r'''
import sys
import numpy as np
import {module} as tf

def cube(x):
    return x ** 3

tf_cube = tf.function(cube)
r = tf_cube(2)
print("cube", r.dtype.name, int(r))
tf_cube(tf.constant(10)); tf_cube(tf.constant(20))
print("count", tf_cube.experimental_get_tracing_count())
tf_cube(tf.constant([10, 20]))
print("count", tf_cube.experimental_get_tracing_count())
g = tf.function(cube)
g(10); g(20)
print("python values", g.experimental_get_tracing_count())
r = tf.function(lambda x: x * 2, reduce_retracing=True)
for n in (1, 2, 3):
    r(tf.zeros([n]))
print("reduce", r.experimental_get_tracing_count())

class M:
    v = None
    @tf.function
    def __call__(self, x):
        if self.v is None:
            self.v = tf.Variable(2.0)
        return self.v * x
m = M()
m(1.0)
print("variables", m.__call__.experimental_get_tracing_count())

@tf.function
def p(x):
    tf.print("x is", x, [1, 2], {{"b": 1, "a": x}}, output_stream=sys.stdout)
    tf.print(tf.constant([[1.5, 2], [3, 4]]), tf.constant("s"), tf.range(20), sep="|",
             output_stream=sys.stdout)
    tf.print(tf.constant([0.1, 1 / 3, 123456789.0]), output_stream=sys.stdout)
p(tf.constant(3.0))
f = tf.function(lambda x, y=1: x * y)
cf = f.get_concrete_function(tf.TensorSpec([None, 3], tf.float32, name="inp"))
print(cf.pretty_printed_signature())
'''


def _run(python, module):
    return run_script(python, SCRIPT.format(module=module), timeout=120)


def test_same_output_as_tensorflow(tf_python):  # RILL_TF_PYTHON: see tests/conftest.py
    assert _run(sys.executable, "rill") == _run(tf_python, "tensorflow")
