"""Forward FLOPs per example, counted by the TensorFlow profiler on a frozen graph.

Convention (stated in every report): FLOPs = 2 × multiply-adds (MACs), for one
forward pass of one example (batch 1) at the model's input size.  Counted:
convolutions (regular, depthwise, transposed) and matrix multiplies (dense
layers, attention).  Not counted: bias additions, batch-norm, activations,
pooling, element-wise additions and resampling — these are memory-bound and
small next to the multiply-adds, and published MAC counts leave them out too.
"""

from __future__ import annotations

import os
from typing import Any

MULTIPLY_ADD_OPS = frozenset(
    {
        "Conv2D",
        "Conv3D",
        "DepthwiseConv2dNative",
        "Conv2DBackpropInput",
        "Conv3DBackpropInputV2",
        "MatMul",
        "BatchMatMul",
        "BatchMatMulV2",
        "BatchMatMulV3",
        "Einsum",
    }
)


def count_flops_by_op(model: Any) -> dict[str, int]:
    """Profiler FLOPs of a batch-1 forward pass, per TensorFlow op type."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    inputs = model.inputs if isinstance(model.inputs, (list, tuple)) else [model.inputs]
    specs = [tf.TensorSpec([1, *x.shape[1:]], x.dtype) for x in inputs]

    @tf.function
    def forward(*args: Any) -> Any:
        return model(list(args) if len(args) > 1 else args[0], training=False)

    frozen = convert_variables_to_constants_v2(forward.get_concrete_function(*specs))
    graph_def = frozen.graph.as_graph_def()
    with tf.Graph().as_default() as graph:
        tf.graph_util.import_graph_def(graph_def, name="")
        options = (
            tf.compat.v1.profiler.ProfileOptionBuilder(
                tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
            )
            .with_empty_output()
            .build()
        )
        profile = tf.compat.v1.profiler.profile(
            graph=graph, run_meta=tf.compat.v1.RunMetadata(), cmd="scope", options=options
        )
        op_types = {op.name: op.type for op in graph.get_operations()}
    by_type: dict[str, int] = {}
    pending = [profile]
    while pending:  # the scope view nests nodes; each node's own float_ops counts once
        node = pending.pop()
        pending.extend(node.children)
        if node.float_ops and node.name in op_types:
            op_type = op_types[node.name]
            by_type[op_type] = by_type.get(op_type, 0) + int(node.float_ops)
    return by_type


def count_flops(model: Any) -> int:
    """Forward FLOPs per example (2 × MACs of convolutions and matmuls)."""
    return sum(n for op, n in count_flops_by_op(model).items() if op in MULTIPLY_ADD_OPS)


def count_macs(model: Any) -> int:
    """Forward multiply-adds per example: ``count_flops(model) // 2``."""
    return count_flops(model) // 2
