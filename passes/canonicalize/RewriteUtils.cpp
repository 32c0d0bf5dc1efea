//===- RewriteUtils.cpp - Helpers shared by the canonicalize passes -------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "canonicalize/RewriteUtils.h"

using namespace qlc;

const Tensor *canonicalize::getConstantInput(const Node &node, unsigned i) {
  Value *v = node.getOptionalInput(i);
  return v ? v->getConstant() : nullptr;
}

bool canonicalize::hasImplicitUses(const Value &v) {
  return llvm::any_of(v.getUses(), [](const Use &u) { return u.implicit; });
}

bool canonicalize::canTakeName(const Value &to) {
  // An initializer listed as a graph input is part of the interface too.
  bool renamable =
      to.isNodeResult() || (to.isInitializer() && !to.isListedAsInput());
  return renamable && !to.isGraphOutput() && !hasImplicitUses(to);
}

void canonicalize::replaceTakingName(Graph &graph, Value *from, Value *to) {
  assert(canTakeName(*to) && "the replacement cannot be renamed");
  std::string name = from->getName().str();
  graph.replaceAllUsesWith(from, to);
  if (!to->getType().hasRank() && from->getType().hasRank())
    to->setType(from->getType());
  if (name.empty())
    return;
  graph.renameValue(from, graph.makeUniqueName(name + "_dead"));
  graph.renameValue(to, name);
}

std::string canonicalize::makeDerivedName(Graph &graph, llvm::StringRef base,
                                          llvm::StringRef suffix) {
  return graph.makeUniqueName((base + "_" + suffix).str());
}
