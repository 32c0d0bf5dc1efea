//===- QdqSupport.h - Grids as ONNX QuantizeLinear integers -----*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// What export-qdq and import-qdq agree on: how a qlc.FakeQuant grid of
// integer levels [zero, zero + n_levels - 1] is stored in the integer tensor
// between an ONNX QuantizeLinear and DequantizeLinear. A level q is stored
// as q + zero_point, saturated by QuantizeLinear to the storage type's
// range and, for grids narrower than that range, by an integer Clip between
// the two (the "QCDQ" form Brevitas exports):
//
//   level q  <->  stored s = q + zp,   s in [clipLo, clipHi]
//                                      ⊆ [typeMin, typeMax]
//
// and the constant-operand lookups both passes need.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASSES_BACKENDS_QDQSUPPORT_H
#define QLC_PASSES_BACKENDS_QDQSUPPORT_H

#include "qlc/IR/Graph.h"
#include "qlc/Quant/QuantMath.h"

#include "llvm/ADT/Optional.h"
#include "llvm/Support/Error.h"

#include <utility>

namespace qlc {
namespace backends {

/// How one grid is stored between QuantizeLinear and DequantizeLinear.
struct QdqStorage {
  ElementType type = ElementType::Int8;
  int64_t zeroPoint = 0;
  /// Bounds of the stored integers; the type's range when no Clip is needed.
  int64_t clipLo = -128, clipHi = 127;

  bool needsClip() const;
};

/// [min, max] of an integer storage type of QuantizeLinear: int8, uint8,
/// int16, uint16 (the last two since opset 21); None for other types.
llvm::Optional<std::pair<int64_t, int64_t>> getQdqTypeRange(ElementType type);

/// The opset-13 storage of `grid`: int8 with zero point 0 when the grid
/// fits [-128, 127] and has negative levels, else uint8 with zero point
/// -zero when it fits [0, 255] after that shift; an error (naming no node)
/// for grids of more than 256 levels or that fit neither.
llvm::Expected<QdqStorage> chooseQdqStorage(const QuantGrid &grid);

/// The grid of levels a QDQ pair represents: stored bounds [lo, hi] (type
/// range narrowed by a Clip) minus the zero point; None when that is no
/// valid qlc grid (0 must not lie above it, see isValidGrid).
llvm::Optional<QuantGrid> gridFromQdq(int64_t zeroPoint, int64_t lo,
                                      int64_t hi);

/// The constant of `v` when it is an initializer that is not also a graph
/// input (whose value a caller could override), possibly read through
/// Identity nodes (as torch.onnx.export shares constants); null otherwise.
const Tensor *getFixedConstant(const Value *v);

/// The value behind a chain of Identity nodes ending at `v` (`v` itself
/// when it is no Identity result).
Value *lookThroughIdentity(Value *v);

/// All elements equal (an empty tensor has none): returns that value.
llvm::Optional<int64_t> getUniformInt(const Tensor &t);

/// Same element type, element count and values (shapes [] and [1] match).
bool haveSameValues(const Tensor &a, const Tensor &b);

/// Erases `v` when it is an initializer nothing reads any more and that is
/// no graph output or graph input.
void eraseIfDeadInitializer(Graph &graph, Value *v);

/// Erases `node` when none of its results is read or a graph output, then
/// the initializers and Identity nodes it was the last reader of. Returns
/// whether it did.
bool eraseIfDead(Graph &graph, Node *node);

} // namespace backends
} // namespace qlc

#endif // QLC_PASSES_BACKENDS_QDQSUPPORT_H
