//===- DeadCodeElimination.cpp - Remove unused nodes and constants --------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Erases nodes none of whose results reach a graph output, then initializers
// nobody reads. Walks the node list backwards once: in topological order a
// node's users all come after it, so one reverse sweep reaches the fixed
// point. Graph inputs are the model's interface and are never removed.
//
//===----------------------------------------------------------------------===//

#include "canonicalize/Passes.h"

using namespace qlc;

namespace {
class DeadCodeEliminationPass : public PassBase<DeadCodeEliminationPass> {
public:
  static constexpr llvm::StringLiteral argument = "dce";
  static constexpr llvm::StringLiteral summary =
      "Remove nodes whose results are unused, then unused initializers";

  PassStatistic nodesErased{*this, "nodes-erased", "dead nodes erased"};
  PassStatistic constantsErased{*this, "constants-erased",
                                "unused initializers erased"};

  llvm::Expected<bool> run(Model &model) override {
    Graph &graph = model.getGraph();
    bool changed = false;
    Graph::NodeList &nodes = graph.getNodes();
    for (auto it = nodes.rbegin(); it != nodes.rend();) {
      Node &node = *it++;
      if (llvm::any_of(node.getResults(),
                       [](Value *r) { return r->isLive(); }))
        continue;
      graph.eraseNode(&node);
      ++nodesErased;
      changed = true;
    }
    for (Value *init : graph.getInitializers()) {
      if (init->isLive() || init->isListedAsInput())
        continue;
      graph.eraseValue(init);
      ++constantsErased;
      changed = true;
    }
    return changed;
  }
};
} // namespace

std::unique_ptr<Pass> qlc::canonicalize::createDeadCodeEliminationPass() {
  return std::make_unique<DeadCodeEliminationPass>();
}
