"""Op specs for rill/ops/control_flow_ops.py (format: tests/ops/opspec.py).

The control-flow ops hold traced sub-graphs; each spec traces them from small functions and
runs the op eagerly, so the generic tests check its rule, forward and gradients (the
gradient of If/Case is itself an If/Case, so second order is checked too).
"""

import numpy as np

import rill as tf
from rill._core.op import execute
from rill._core.tensor import wrap
from rill.ops import control_flow_ops as cf
from rill.ops._subgraph import trace
from tests.ops.opspec import OpSpec, normal


def _branch_op(opdef, selector, fns, args, stateless=True):
    subs = [trace(fn, list(args), f"branch{i}")[0] for i, fn in enumerate(fns)]
    cf.align_captures(subs, len(args))
    specs = tuple((o.shape, o.dtype) for o in subs[0].outputs)
    if stateless:
        opdef = cf.variant(opdef, subs)
    return execute(opdef, (wrap(selector), *args), {"branches": tuple(subs), "specs": specs})


def _if(pred, stateless=True):
    return lambda x, y: _branch_op(cf.IF, np.array(pred), [
        lambda a, b: (a * b + a, tf.reduce_sum(a)),
        lambda a, b: (tf.sin(a) - b, tf.reduce_sum(b * b))], (x, y), stateless)


def _if_ref(pred):
    if pred:
        return lambda x, y: (x * y + x, np.sum(x))
    return lambda x, y: (np.sin(x) - y, np.sum(y * y))


def _case(index):
    return lambda x: _branch_op(cf.CASE, np.array(index, np.int32), [
        lambda a: a * a, lambda a: tf.exp(a), lambda a: -a], (x,))[0]


def _while(keep_history, opdef=cf.STATELESS_WHILE):
    def fn(x, a):
        # y <- sin(y) * a + x, three times (the loop counter is an int32 loop variable)
        args = [wrap(np.array(0, np.int32)), x, a, x]
        cond, _ = trace(lambda i, y, a, x: i < 3, args, "cond")
        body, _ = trace(lambda i, y, a, x: (i + 1, tf.sin(y) * a + x), args, "body")
        specs = ((tf.TensorShape([]), tf.int32), (x.shape, x.dtype))
        out = execute(opdef, tuple(args), {
            "cond": cond, "body": body, "n_vars": 2, "has_max": False,
            "keep_history": keep_history, "specs": specs, "back_prop": True})
        return out[1]
    return fn


def _while_ref(x, a):
    y = x
    for _ in range(3):
        y = np.sin(y) * a + x
    return y


SPECS = [
    OpSpec(["StatelessIf"], _if(True), lambda rng: [normal(3)(rng), normal(3)(rng)],
           ref=_if_ref(True), second_order=True, name="StatelessIf:then"),
    OpSpec(["StatelessIf"], _if(False), lambda rng: [normal(3)(rng), normal(3)(rng)],
           ref=_if_ref(False), second_order=True, name="StatelessIf:else"),
    OpSpec(["If", "StatelessIf"], _if(False, stateless=False),
           lambda rng: [normal(3)(rng), normal(3)(rng)], ref=_if_ref(False), name="If"),
    OpSpec(["StatelessCase"], _case(1), lambda rng: [normal(2, 2)(rng)], ref=np.exp,
           second_order=True),
    OpSpec(["StatelessCase"], _case(9), lambda rng: [normal(2)(rng)], ref=np.negative,
           name="StatelessCase:out_of_range"),
    OpSpec(["StatelessWhile", "WhileGrad"], _while(False),
           lambda rng: [normal(2)(rng), normal(2)(rng)], ref=_while_ref, second_order=True),
    OpSpec(["StatelessWhile", "WhileGrad"], _while(True),
           lambda rng: [normal(2)(rng), normal(2)(rng)], ref=_while_ref,
           name="StatelessWhile:history"),
    OpSpec(["While", "WhileGrad"], _while(False, cf.WHILE),
           lambda rng: [normal(2)(rng), normal(2)(rng)], ref=_while_ref),
    OpSpec(["CaseBranchIndex"],
           lambda x: execute(cf.CASE_INDEX, (x > 1.0, x > 0.0),
                             {"exclusive": False, "has_default": True}),
           lambda rng: [np.array(0.5)], ref=lambda x: np.int32(1), grad=False),
]
