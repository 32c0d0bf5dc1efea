//===- FoldingSupport.h - Op knowledge for constant folding -----*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// What fold-constants needs to know about ops beyond their kernels: which
// must never fold, which only move data, how large a result can get before
// it is computed (so that ConstantOfShape([1e12]) is refused instead of
// allocated), and Shape/Size of values whose type is fully static.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASSES_CANONICALIZE_FOLDINGSUPPORT_H
#define QLC_PASSES_CANONICALIZE_FOLDINGSUPPORT_H

#include "qlc/IR/Graph.h"

#include "llvm/ADT/Optional.h"

namespace qlc {
namespace canonicalize {

/// Random generators: folding would freeze one draw.
bool isNondeterministicOp(llvm::StringRef opType);

/// Ops that only rearrange, select, cast or describe data.
bool isDataMovementOp(llvm::StringRef opType);

/// An upper bound on the elements of the node's largest result, from its
/// static result type or from the (constant) inputs; saturates at INT64_MAX.
int64_t estimateResultElements(const Node &node,
                               llvm::ArrayRef<const Tensor *> inputs);

/// The result of Shape (with opset-15 start/end) or Size when the input's
/// type is fully static; None otherwise.
llvm::Optional<Tensor> foldShapeFromType(const Node &node);

} // namespace canonicalize
} // namespace qlc

#endif // QLC_PASSES_CANONICALIZE_FOLDINGSUPPORT_H
