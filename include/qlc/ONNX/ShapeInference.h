//===- ShapeInference.h - ONNX shape inference on the IR --------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QLC_ONNX_SHAPEINFERENCE_H
#define QLC_ONNX_SHAPEINFERENCE_H

#include "qlc/IR/Model.h"

#include "llvm/Support/Error.h"

namespace qlc {

/// Recomputes the type of every node result with ONNX's shape inference
/// (data propagation on), keeping existing information where inference has
/// none. Graph inputs and outputs keep their declared types unless inference
/// refines an unknown dimension. Returns true if any type changed.
llvm::Expected<bool> inferShapes(Model &model);

} // namespace qlc

#endif // QLC_ONNX_SHAPEINFERENCE_H
