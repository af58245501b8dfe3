"""Kernel fusion: rewrites of an optimized graph that let one kernel do the work of several.

1. `Conv2D -> BiasAdd [-> Relu]` becomes one `_FusedConv2D` (Conv3D: `_FusedConv3D`), as
   TensorFlow's remapper fuses them: the bias and the rectifier are applied to each batch
   chunk of the convolution while it is in cache, and the two full-size intermediates are
   never made. Only when nothing else reads the intermediates (a tape's backward pass reads
   Relu's output, never the convolution's), and for channels-last bias.
2. `ReluGrad(MaxPoolGrad(a, y, dy), a)` becomes `_FusedMaxPoolGrad(a, y, dy)`, which routes
   `ReluGrad(dy, y)` (3-D: `_FusedMaxPool3DGrad`), when the pooling windows do not
   overlap: the one element that receives a window's gradient holds the window's maximum
   y, so `a > 0` there exactly when `y > 0`, and the mask applies to the pooled gradient
   (ksize times smaller) instead of the full one; the kernel folds it into its first window
   offset's mask, so it costs no pass of its own (W6: 0.5 ms of a ~20 ms step).

Every rewrite gives the same values bit for bit, nan and inf included. They run after
`optimize` (which removes the identities and duplicates that would hide the patterns), in
one sweep in program order, and leave the graph's ops in a valid order.

Tried and left out: also pooling each chunk of a fused convolution in cache and keeping only
the offsets of the maxima for the gradient (so the full-size activation is never written);
on W6 the extra passes inside the chunks cost what the saved memory traffic gained.
"""

from __future__ import annotations

from collections import Counter

from rill._core.graph import Graph
from rill._core.op import REGISTRY

_CONVS = {"Conv2D": "_FusedConv2D", "Conv3D": "_FusedConv3D"}
_POOL_GRADS = {"MaxPoolGrad": "_FusedMaxPoolGrad", "MaxPool3DGrad": "_FusedMaxPool3DGrad"}


def fuse(graph: Graph, outputs: list) -> list:
    """Rewrites `graph` in place; returns `outputs` with replaced tensors substituted."""
    return _sweep(graph, outputs, [_conv_bias_relu, _relu_through_pool])


class _Uses:
    """Who reads each tensor of the graph (the caller reads the outputs)."""

    def __init__(self, graph: Graph, outputs: list):
        self.count = Counter(id(t) for t in outputs)
        self.readers: dict = {}
        for op in graph.operations:
            for x in op.inputs:
                self.count[id(x)] += 1
                self.readers.setdefault(id(x), []).append(op)

    def only(self, t) -> bool:
        return self.count[id(t)] == 1


def _sweep(graph: Graph, outputs: list, rewrites: list) -> list:
    uses = _Uses(graph, outputs)
    rep: dict = {}  # id(old tensor) -> new tensor
    kept = []
    for op in graph.operations:
        if rep:
            op.inputs = tuple(rep.get(id(x), x) for x in op.inputs)
        for rewrite in rewrites:
            new = rewrite(graph, op, uses)
            if new is not None:
                break
        if new is None:
            kept.append(op)
            continue
        removed, added = new
        for old in removed:  # ops before `op` whose only reader was the chain
            kept.remove(old)
        del graph.operations[len(graph.operations) - len(added):]  # placed here instead
        kept.extend(added)
        rep[id(op.outputs[0])] = added[-1].outputs[0]
    graph.operations = kept
    return [rep.get(id(t), t) for t in outputs]


def _add(graph: Graph, like, opdef, inputs: tuple, attrs: dict, specs: list):
    new = graph.add_operation(opdef, inputs, attrs, specs, like.name)
    new.source = like.source
    return new


def _conv_bias_relu(graph: Graph, op, uses: _Uses):
    """(replaced ops, [fused op]) for a conv -> BiasAdd (-> Relu) chain ending at op."""
    relu = op.type == "Relu"
    bias_op = op.inputs[0].op if relu else op
    if bias_op.type != "BiasAdd" or (relu and not uses.only(op.inputs[0])):
        return None
    fmt = bias_op.attrs.get("data_format")
    conv = bias_op.inputs[0].op
    fused = _CONVS.get(conv.type)
    if fused is None or (fmt is not None and str(fmt).startswith("NC")) or \
            not uses.only(bias_op.inputs[0]) or \
            bias_op.inputs[1].dtype is not conv.outputs[0].dtype:
        return None
    if not relu and [r.type for r in uses.readers.get(id(op.outputs[0]), ())] == ["Relu"] \
            and uses.only(op.outputs[0]):
        return None  # the Relu that follows fuses the whole chain
    attrs = dict(conv.attrs, fused_ops=("BiasAdd", "Relu") if relu else ("BiasAdd",))
    out = op.outputs[0]
    new = _add(graph, conv, REGISTRY[fused], (*conv.inputs, bias_op.inputs[1]), attrs,
               [(out.shape, out.dtype)])
    return [conv, bias_op] if relu else [conv], [new]


def _relu_through_pool(graph: Graph, op, uses: _Uses):
    """(replaced ops, [the fused max-pool gradient]) for ReluGrad(MaxPoolGrad(a, y, dy), a)."""
    if op.type != "ReluGrad":
        return None
    g, a = op.inputs
    pool = g.op
    if pool.type not in _POOL_GRADS or pool.inputs[0] is not a or not uses.only(g) or \
            any(k > s for k, s in zip(pool.attrs["ksize"], pool.attrs["strides"])):
        return None
    out = op.outputs[0]
    fused = _add(graph, pool, REGISTRY[_POOL_GRADS[pool.type]], pool.inputs, pool.attrs,
                 [(out.shape, out.dtype)])
    return [pool], [fused]
