//===- RewriteUtils.h - Helpers of the canonicalize passes ------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Small graph-rewriting helpers the canonicalize passes share: reading
// constant operands, and replacing a value so that its name (which may be a
// graph output, ABI of the model, or be referenced by name from an opaque
// subgraph) survives the rewrite.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASSES_CANONICALIZE_REWRITEUTILS_H
#define QLC_PASSES_CANONICALIZE_REWRITEUTILS_H

#include "qlc/IR/Graph.h"

namespace qlc {
namespace canonicalize {

/// The constant of operand `i` of `node`, or null when the operand is
/// omitted, past the end, or not an initializer.
const Tensor *getConstantInput(const Node &node, unsigned i);

/// True when `v` is read by an opaque subgraph (If/Loop/Scan body): such
/// readers refer to it by name, so it must keep its name.
bool hasImplicitUses(const Value &v);

/// Whether replaceTakingName(from, to) is possible: `to` must be a node
/// result or an initializer (not listed as a graph input) that is no graph
/// output and has no implicit uses (its own name is about to change).
bool canTakeName(const Value &to);

/// Redirects every use of `from` (operands, implicit inputs, graph-output
/// slots) to `to`, then gives `to` the name of `from`; `from` is renamed to a
/// fresh "<name>_dead" and left unused, for the caller to erase its producer.
/// Requires canTakeName(to). Adopts the type of `from` when `to` has no rank.
void replaceTakingName(Graph &graph, Value *from, Value *to);

/// A name for a new value derived from `base`: "<base>_<suffix>", unique.
std::string makeDerivedName(Graph &graph, llvm::StringRef base,
                            llvm::StringRef suffix);

} // namespace canonicalize
} // namespace qlc

#endif // QLC_PASSES_CANONICALIZE_REWRITEUTILS_H
