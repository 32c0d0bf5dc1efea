//===- Interpose.cpp - Quantise the input of every linear op --------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// QuantLib's QuantiserInterposer, generalised: PULP kernels cannot chain two
// linear layers (or a BN and a linear layer) without a requantisation in
// between, and the integer program needs every linear op's input on a
// grid. For each linear op whose weights are quantised, the pass walks up
// its data operand through grid-preserving ops (reshapes, pools, zero
// padding); if it does not reach a fake-quantiser, a quantiser is inserted
// on the edge where the walk stopped: right after a back-to-back linear op,
// a BatchNormalization, an unquantised activation, or the graph input.
//
// The grid is signed unless the value is provably non-negative (ReLU,
// Clip(lo >= 0), Sigmoid, ...); `signed=true|false` forces it. The
// provisional eps covers [-1, 1] (or [0, 1]) until `calibrate` sets it.
//
//===----------------------------------------------------------------------===//

#include "f2f/F2FSupport.h"
#include "f2f/Passes.h"

#include "qlc/Pass/Pass.h"
#include "qlc/Support/Error.h"

using namespace qlc;
using namespace qlc::f2f;

namespace {

class InterposePass : public PassBase<InterposePass> {
public:
  static constexpr llvm::StringLiteral argument = "interpose";
  static constexpr llvm::StringLiteral summary =
      "Insert a quantiser before every linear op whose input is not "
      "quantised";
  static constexpr llvm::StringLiteral description =
      "For each Conv/ConvTranspose/Gemm/MatMul with fake-quantised weights, "
      "walks up the data operand through grid-preserving ops (Flatten, "
      "Reshape, Transpose, pools, zero Pad); where no quantiser is found, "
      "one is inserted on that edge (QuantLib's QuantiserInterposer, which "
      "also quantises the network input).";

  Option<unsigned> bits{*this, "bits", "bits of inserted quantisers", 8};
  Option<std::string> sign{*this,
                           "signed",
                           "auto: unsigned when the value is provably "
                           "non-negative",
                           "auto",
                           {"auto", "true", "false"}};

  PassStatistic inserted{*this, "interposed", "quantisers inserted"};

  llvm::Expected<bool> run(Model &model) override {
    if (bits < 2 || bits > 16)
      return makeError("interpose: bits must be in 2..16, got " +
                       llvm::Twine(bits.getValue()));
    Graph &graph = model.getGraph();
    int64_t opset = model.getOpsetVersion("");
    llvm::SmallVector<LinearOpInfo, 16> ops;
    for (Node &n : graph.getNodes())
      if (auto op = matchLinearOp(n))
        if (getWeightQuantiser(*op))
          ops.push_back(*op);
    bool changed = false;
    for (const LinearOpInfo &op : ops)
      changed |= interpose(graph, op, opset);
    if (changed)
      addQlcOpsetImport(model);
    return changed;
  }

private:
  /// The edge (user, operand) where the walk from `op`'s data operand up
  /// through grid-preserving ops stops, or None when it reaches a quantiser.
  static llvm::Optional<std::pair<Node *, unsigned>>
  findUnquantisedEdge(const LinearOpInfo &op) {
    Node *user = op.node;
    unsigned index = op.dataIndex;
    for (unsigned depth = 0; depth < 64; ++depth) {
      Value *v = user->getInput(index);
      if (!v || isQuantisedValue(*v))
        return llvm::None;
      Node *p = v->getDefiningNode();
      if (!p || !isGridPreserving(*p) || !p->getInput(0) || !v->hasOneUse())
        return std::make_pair(user, index);
      user = p;
      index = 0;
    }
    return llvm::None;
  }

  bool interpose(Graph &graph, const LinearOpInfo &op, int64_t opset) {
    auto edge = findUnquantisedEdge(op);
    if (!edge)
      return false;
    auto [user, index] = *edge;
    Value *v = user->getInput(index);
    if (v->isInitializer() || !mayBeFloat(*v))
      return false;
    bool isSigned = sign.getValue() == "true" ||
                    (sign.getValue() == "auto" && !isNonNegative(*v, opset));
    FakeQuantAttrs attrs;
    attrs.grid = QuantGrid::fromBits(bits, isSigned);
    Value *eps = createEpsInitializer(
        graph, (v->getName() + "_eps").str(),
        {computeEps(isSigned ? -1.0 : 0.0, 1.0, attrs.grid)});
    quantiseOperand(graph, *user, index, eps, attrs,
                    makeNodeName(graph, *op.node, "inq"));
    ++inserted;
    return true;
  }
};

} // namespace

std::unique_ptr<Pass> qlc::f2f::createInterposePass() {
  return std::make_unique<InterposePass>();
}
