//===- RemoveIdentity.cpp - Remove Identity and inference Dropout ---------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Identity nodes, and Dropout nodes that are identities at inference time,
// only forward their input; removing them lets later patterns see producer
// and consumer next to each other. Users are rewired to the forwarded value.
// When the removed result is a graph output, the forwarded value takes over
// its name (output names are the model's ABI); when it cannot (it is a graph
// input, an initializer, already an output, or read by name from a
// subgraph), the node stays.
//
//===----------------------------------------------------------------------===//

#include "canonicalize/Passes.h"
#include "canonicalize/RewriteUtils.h"

using namespace qlc;
using namespace qlc::canonicalize;

namespace {
class RemoveIdentityPass : public PassBase<RemoveIdentityPass> {
public:
  static constexpr llvm::StringLiteral argument = "remove-identity";
  static constexpr llvm::StringLiteral summary =
      "Remove Identity nodes and inference-mode Dropout";
  static constexpr llvm::StringLiteral description =
      "A Dropout is an identity when its mask output is unused and, from "
      "opset 12 on, its training_mode input is absent or a constant false "
      "(before opset 7: when is_test=1). Graph output names are kept: the "
      "forwarded value is renamed, or the node stays when that is "
      "impossible.";

  PassStatistic identitiesRemoved{*this, "identities-removed",
                                  "Identity nodes removed"};
  PassStatistic dropoutsRemoved{*this, "dropouts-removed",
                                "inference Dropout nodes removed"};
  PassStatistic kept{*this, "kept-for-output-name",
                     "nodes kept because a graph output name could not move"};

  llvm::Expected<bool> run(Model &model) override {
    Graph &graph = model.getGraph();
    int64_t opset = model.getOpsetVersion("");
    bool changed = false;
    for (auto it = graph.getNodes().begin(); it != graph.getNodes().end();) {
      Node &node = *it++;
      bool identity = node.is("Identity");
      if (!identity && !isInferenceDropout(node, opset))
        continue;
      if (!forwardInput(graph, node))
        continue;
      graph.eraseNode(&node);
      ++(identity ? identitiesRemoved : dropoutsRemoved);
      changed = true;
    }
    return changed;
  }

private:
  /// Dropout whose mask is unused and which cannot be in training mode.
  static bool isInferenceDropout(const Node &node, int64_t opset) {
    if (!node.is("Dropout") || node.getNumResults() < 1)
      return false;
    for (unsigned i = 1; i < node.getNumResults(); ++i)
      if (node.getResult(i)->isLive())
        return false;
    if (opset >= 1 && opset < 7)
      return node.getAttrInt("is_test", 0) != 0;
    Value *training = node.getOptionalInput(2);
    if (!training)
      return true;
    const Tensor *t = training->getConstant();
    return t && t->getNumElements() == 1 &&
           t->getElementType() == ElementType::Bool && t->getAsInt64(0) == 0;
  }

  /// Rewires the users of the node's result to its input; false (and no
  /// change) when the result's name cannot be preserved.
  bool forwardInput(Graph &graph, Node &node) {
    if (node.getNumInputs() < 1 || !node.getInput(0) ||
        node.getNumResults() < 1)
      return false;
    Value *in = node.getInput(0);
    Value *out = node.getResult(0);
    if (in == out)
      return false;
    // A subgraph reads `out` by name: only renaming `in` keeps it valid.
    bool needsName = out->isGraphOutput() || hasImplicitUses(*out);
    if (!needsName) {
      graph.replaceAllUsesWith(out, in);
      return true;
    }
    if (!canTakeName(*in)) {
      ++kept;
      return false;
    }
    replaceTakingName(graph, out, in);
    return true;
  }
};
} // namespace

std::unique_ptr<Pass> qlc::canonicalize::createRemoveIdentityPass() {
  return std::make_unique<RemoveIdentityPass>();
}
