//===- InferShapes.cpp - Refresh value types by ONNX shape inference ------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Passes that rewrite the graph leave some result types stale or unknown;
// patterns that read shapes (canonicalize-flatten, fold-constants on Shape)
// then miss. This pass recomputes every node result's type with ONNX's own
// shape inference (qlc::inferShapes, data propagation on). A model ONNX
// inference rejects is an error.
//
//===----------------------------------------------------------------------===//

#include "canonicalize/Passes.h"

#include "qlc/ONNX/ShapeInference.h"

using namespace qlc;

namespace {
class InferShapesPass : public PassBase<InferShapesPass> {
public:
  static constexpr llvm::StringLiteral argument = "infer-shapes";
  static constexpr llvm::StringLiteral summary =
      "Refresh value types with ONNX shape inference";

  llvm::Expected<bool> run(Model &model) override { return inferShapes(model); }
};
} // namespace

std::unique_ptr<Pass> qlc::canonicalize::createInferShapesPass() {
  return std::make_unique<InferShapesPass>();
}
