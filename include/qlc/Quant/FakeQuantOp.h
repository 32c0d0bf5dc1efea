//===- FakeQuantOp.h - The qlc.FakeQuant operator ---------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// qlc.FakeQuant (domain "qlc", version 1) is the one fake-quantiser of the
// float-to-fake stage, for weights and activations alike:
//
//   Y = FakeQuant(X, eps)    attributes: zero, n_levels, axis, rounding
//
// eps is a positive scalar (or 1-element tensor) for a per-tensor grid, or a
// 1-D tensor with X.shape[axis] elements for a per-channel grid. The grid is
// [zero, zero + n_levels - 1] (QuantGrid); the clip bounds are
// clip_lo = zero * eps and clip_hi = (zero + n_levels - 1) * eps, exact
// multiples of eps by construction, so they are not stored separately.
// Forward semantics: QuantMath.h. Quantisers that must share one grid (the
// inputs of a harmonised Add or Concat) share one eps initializer.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_QUANT_FAKEQUANTOP_H
#define QLC_QUANT_FAKEQUANTOP_H

#include "qlc/IR/Graph.h"
#include "qlc/IR/Model.h"
#include "qlc/Quant/QuantMath.h"

#include "llvm/Support/Error.h"

namespace qlc {

inline constexpr llvm::StringLiteral kQlcDomain = "qlc";
inline constexpr llvm::StringLiteral kFakeQuantOpName = "FakeQuant";

/// The attributes of one qlc.FakeQuant node.
struct FakeQuantAttrs {
  QuantGrid grid;
  /// The channel axis of a per-channel eps (ignored per tensor).
  int64_t axis = 1;
};

bool isFakeQuant(const Node &node);

/// Imports domain "qlc" (version 1) into `model` unless it already does.
void addQlcOpsetImport(Model &model);
/// Drops the "qlc" opset import when no node of that domain remains.
void removeQlcOpsetImportIfUnused(Model &model);

/// Reads and validates the attributes; errors name the node.
llvm::Expected<FakeQuantAttrs> readFakeQuantAttrs(const Node &node);
void writeFakeQuantAttrs(Node &node, const FakeQuantAttrs &attrs);

/// Creates `FakeQuant(x, eps)` before `insertPt` (at the end when null),
/// its node named `nodeName` and its result `resultHint` (made unique).
Node *createFakeQuant(Graph &graph, Value *x, Value *eps,
                      const FakeQuantAttrs &attrs, llvm::StringRef nodeName,
                      llvm::StringRef resultHint, Node *insertPt);

/// How X's elements map onto eps entries: X viewed as
/// [outer, channels, inner]; channels == 1 for a per-tensor eps.
struct ChannelLayout {
  int64_t outer = 1, channels = 1, inner = 1;
};
/// Checks eps against X's shape (positive, finite, scalar or 1-D of
/// shape[axis] entries) and returns the layout; errors name no node.
llvm::Expected<ChannelLayout> resolveEpsLayout(llvm::ArrayRef<int64_t> xShape,
                                               const Tensor &eps, int64_t axis);

/// Y = FakeQuant(X, eps) for float or double X (eps is cast to X's type).
llvm::Expected<Tensor> applyFakeQuant(const Tensor &x, const Tensor &eps,
                                      const FakeQuantAttrs &attrs);
/// The integer levels q (int64) that applyFakeQuant multiplies by eps.
llvm::Expected<Tensor> quantizeToLevels(const Tensor &x, const Tensor &eps,
                                        const FakeQuantAttrs &attrs);

} // namespace qlc

#endif // QLC_QUANT_FAKEQUANTOP_H
