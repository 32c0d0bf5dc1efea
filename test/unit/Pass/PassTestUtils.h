//===- PassTestUtils.h - Helpers for the pass unit tests --------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Building small models through the IR API, running one registered pass
// (with its options, followed by the IR verifier) and executing a model in
// the reference interpreter, for before/after comparisons.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_TEST_UNIT_PASS_PASSTESTUTILS_H
#define QLC_TEST_UNIT_PASS_PASSTESTUTILS_H

#include "qlc/IR/Model.h"
#include "qlc/Interp/Interpreter.h"
#include "qlc/Pass/Pass.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <string>

namespace qlc {
namespace test {

/// An empty model importing the ONNX domain at `opset`.
std::unique_ptr<Model> makeModel(int64_t opset = 17);

/// Creates the registered pass `argument` with `options` parsed; aborts the
/// test (via gtest) when that fails.
std::unique_ptr<Pass> createPass(llvm::StringRef argument,
                                 llvm::StringRef options = "");

/// Runs `pass` on `model`, then the IR verifier; the verifier's failure is
/// returned as an error too.
llvm::Expected<bool> runPass(Pass &pass, Model &model);
/// Same with a fresh registered pass.
llvm::Expected<bool> runPass(Model &model, llvm::StringRef argument,
                             llvm::StringRef options = "");

/// Value of the statistic `name` of `pass` (fails the test if unknown).
uint64_t getStatistic(const Pass &pass, llvm::StringRef name);

/// Deterministic pseudo-random floats in [lo, hi).
Tensor randomFloats(llvm::ArrayRef<int64_t> shape, uint32_t seed,
                    float lo = -1.0f, float hi = 1.0f);

/// Runs `model` in the interpreter on `inputs`.
llvm::Expected<TensorMap> execute(const Model &model, const TensorMap &inputs);

/// Largest |a - b| over two float tensors of equal shape; +inf on a shape
/// or type mismatch.
double maxAbsDiff(const Tensor &a, const Tensor &b);

/// Number of nodes of `opType` in the main graph.
unsigned countNodes(const Model &model, llvm::StringRef opType);

/// The message of `err` (consuming it), or "" for success.
std::string errorMessage(llvm::Error err);

} // namespace test
} // namespace qlc

/// Asserts an Expected<bool> holds a value and yields it.
#define QLC_ASSERT_OK_AND_ASSIGN(lhs, expr)                                    \
  auto lhs##Expected = (expr);                                                 \
  ASSERT_TRUE(static_cast<bool>(lhs##Expected))                                \
      << llvm::toString(lhs##Expected.takeError());                            \
  auto lhs = std::move(*lhs##Expected)

#endif // QLC_TEST_UNIT_PASS_PASSTESTUTILS_H
