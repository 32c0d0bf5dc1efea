//===- CanonicalizeFlatten.cpp - 2-D flattening Reshapes to Flatten -------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Exporters spell "flatten all but the batch dimension" many ways:
// Reshape(x, [N, -1]), Reshape(x, [0, -1]), Reshape(x, [d0, prod(rest)]).
// Rewriting them all to Flatten(x, axis=1) gives later patterns (classifier
// heads: Flatten -> Gemm) one form to match. A Reshape is rewritten only
// when its constant target provably equals Flatten(axis=1) for x's known
// shape; Flatten nodes themselves are left as they are.
//
//===----------------------------------------------------------------------===//

#include "canonicalize/Passes.h"
#include "canonicalize/RewriteUtils.h"

using namespace qlc;
using namespace qlc::canonicalize;

namespace {
class CanonicalizeFlattenPass : public PassBase<CanonicalizeFlattenPass> {
public:
  static constexpr llvm::StringLiteral argument = "canonicalize-flatten";
  static constexpr llvm::StringLiteral summary =
      "Rewrite 2-D flattening Reshapes as Flatten(axis=1)";
  static constexpr llvm::StringLiteral description =
      "Matches Reshape(x, [0, -1]), Reshape(x, [d0, -1]) and "
      "Reshape(x, [d0, P]) (also [-1, P]) with a constant shape, where d0 is "
      "x's known first dimension and P the known product of the others. "
      "Run fold-constants first to turn a Shape->Gather->Unsqueeze->Concat "
      "shape computation into a constant.";

  PassStatistic rewritten{*this, "reshapes-rewritten",
                          "Reshapes rewritten as Flatten"};

  llvm::Expected<bool> run(Model &model) override {
    Graph &graph = model.getGraph();
    bool changed = false;
    for (auto it = graph.getNodes().begin(); it != graph.getNodes().end();) {
      Node &node = *it++;
      if (!isFlatteningReshape(node))
        continue;
      rewriteAsFlatten(graph, node);
      ++rewritten;
      changed = true;
    }
    return changed;
  }

private:
  /// Reshape(x, shape) that equals Flatten(x, axis=1).
  static bool isFlatteningReshape(const Node &node) {
    if (!node.is("Reshape") || node.getNumInputs() != 2 || !node.getInput(0) ||
        node.getNumResults() != 1)
      return false;
    const Tensor *shape = getConstantInput(node, 1);
    if (!shape || shape->getRank() != 1 || shape->getNumElements() != 2 ||
        !isIntegerType(shape->getElementType()))
      return false;
    int64_t first = shape->getAsInt64(0), second = shape->getAsInt64(1);
    bool allowZero = node.getAttrInt("allowzero", 0) != 0;
    const TensorType &type = node.getInput(0)->getType();
    int64_t d0 = -1, rest = -1; // -1: unknown
    if (type.hasRank() && type.getRank() >= 1) {
      d0 = type.getDims()[0].size;
      rest = 1;
      for (const Dim &d : type.getDims().drop_front())
        rest = (rest >= 0 && d.isKnown()) ? rest * d.size : -1;
    }
    bool firstOk = (first == 0 && !allowZero) || (first > 0 && first == d0) ||
                   (first == -1 && second > 0 && second == rest);
    bool secondOk =
        (second == -1 && first != -1) || (second >= 0 && second == rest);
    // [0, -1] is Flatten(axis=1) for any input of rank >= 1, where both are
    // defined; the other forms were checked against the known dimensions.
    return firstOk && secondOk;
  }

  /// Replaces the Reshape by a Flatten(axis=1) that takes its output name.
  static void rewriteAsFlatten(Graph &graph, Node &reshape) {
    Value *out = reshape.getResult(0);
    std::string name = makeDerivedName(graph, out->getName(), "flat");
    Node *flatten = graph.createNode("Flatten", {reshape.getInput(0)},
                                     llvm::makeArrayRef(name), "", &reshape);
    flatten->setName(reshape.getName());
    flatten->setAttr("axis", Attribute::getInt(1));
    flatten->getResult(0)->setType(out->getType());
    replaceTakingName(graph, out, flatten->getResult(0));
    graph.eraseNode(&reshape);
  }
};
} // namespace

std::unique_ptr<Pass> qlc::canonicalize::createCanonicalizeFlattenPass() {
  return std::make_unique<CanonicalizeFlattenPass>();
}
