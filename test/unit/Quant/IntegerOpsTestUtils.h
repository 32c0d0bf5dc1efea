//===- IntegerOpsTestUtils.h - Small Requant/EpsTunnel models ---*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Builds one-node models around qlc.Requant and qlc.EpsTunnel through the
// IR API (graph input x, constant parameters, graph output y, node named
// "rq" or "tunnel") and runs them in the interpreter, for the kernel tests
// (IntegerOpsTest.cpp) and the lowering tests (LowerIntegerOpsTest.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef QLC_TEST_UNIT_QUANT_INTEGEROPSTESTUTILS_H
#define QLC_TEST_UNIT_QUANT_INTEGEROPSTESTUTILS_H

#include "qlc/IR/Model.h"
#include "qlc/Interp/Interpreter.h"
#include "qlc/Quant/IntegerOps.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <vector>

namespace qlc {
namespace test {

/// A tensor of `type` holding `values` (converted as C++ casts do).
Tensor makeInts(ElementType type, llvm::ArrayRef<int64_t> shape,
                llvm::ArrayRef<int64_t> values);

/// y = qlc.Requant(x, mul, add) with `attrs`; x is a graph input of
/// `xType` and `xShape`, mul and add initializers. With `setAttrs` false
/// the node gets no attributes (for the missing-attribute test).
std::unique_ptr<Model>
makeRequantModel(ElementType xType, llvm::ArrayRef<int64_t> xShape, Tensor mul,
                 Tensor add, const RequantAttrs &attrs, bool setAttrs = true);

/// y = qlc.EpsTunnel(x, epsIn, epsOut) with attribute to = `to`.
std::unique_ptr<Model> makeEpsTunnelModel(ElementType xType,
                                          llvm::ArrayRef<int64_t> xShape,
                                          Tensor epsIn, Tensor epsOut,
                                          ElementType to);

/// Runs `model` on x and returns y.
llvm::Expected<Tensor> runOnX(const Model &model, const Tensor &x);

/// The message of a failed run ("" on success).
std::string runError(const Model &model, const Tensor &x);

} // namespace test
} // namespace qlc

#endif // QLC_TEST_UNIT_QUANT_INTEGEROPSTESTUTILS_H
