//===- OpsetUpgrade.h - Raise a model's ONNX opset to 13 --------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// QuantizeLinear and DequantizeLinear take per-axis parameters from opset
// 13, so export-qdq raises older models to it. Each ai.onnx node is checked
// against the history of its op (OnnxOpHistory.def): unchanged between the
// model's opset and 13, changed only compatibly (new types, attributes whose
// default is the old behaviour, negative axes), or one of the common
// breaking changes that a rewrite preserves (Squeeze/Unsqueeze/ReduceSum
// axes and Split's split becoming inputs, Clip and Pad attributes becoming
// inputs, Softmax-13's new axis semantics when the axis is the last one,
// BatchNormalization's spatial, Dropout's ratio). Anything else is refused,
// naming the first such node, before the model is changed.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASSES_BACKENDS_OPSETUPGRADE_H
#define QLC_PASSES_BACKENDS_OPSETUPGRADE_H

#include "qlc/IR/Model.h"

#include "llvm/Support/Error.h"

namespace qlc {
namespace backends {

/// Raises the ai.onnx opset import of `model` to 13 (and its IR version to
/// at least 7) when lower; returns whether it changed anything. Fails,
/// leaving the model untouched, when a node's meaning cannot be preserved.
llvm::Expected<bool> raiseOnnxOpsetTo13(Model &model);

} // namespace backends
} // namespace qlc

#endif // QLC_PASSES_BACKENDS_OPSETUPGRADE_H
