//===- HarmoniseAdds.cpp - One quantum for the inputs of adds and concats -===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// QuantLib's AddTreeHarmoniser + HarmonisedAdd: an integer add is exact only
// when its addends share one quantum. Each maximal tree of Add/Sum nodes
// (an intermediate sum read by nothing but the next Add of the tree) gets a
// signed fake-quantiser on every leaf operand and one on the root's result,
// all reading one eps initializer, so calibrating that eps moves them
// together (QuantLib copies the output quantiser's eps into the inputs).
// A Concat's operands get quantisers sharing one eps the same way; its
// result is then on that grid and needs none.
//
// Only the edge into the add is quantised: a residual value that also feeds
// a convolution keeps its own (or no) quantiser there. Trees whose operands
// and result are already on one shared eps are left alone (idempotence).
// The result's quantiser rounds half to even whatever the leaves do: the
// exact sum is on the grid, and only float error can move it off.
//
// With out-quantiser=unless-requantised, a tree whose result is read only
// by an activation (Relu/Clip) that is read only by a quantiser gets no
// output quantiser: that quantiser requantises the exact sum, once. DORY
// fuses an Addition with one requantisation, never two back to back.
//
//===----------------------------------------------------------------------===//

#include "f2f/F2FSupport.h"
#include "f2f/Passes.h"

#include "qlc/Pass/Pass.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/SetVector.h"

using namespace qlc;
using namespace qlc::f2f;

namespace {

bool isAddLike(const Node &n) { return n.is("Add") || n.is("Sum"); }

bool isFloatValue(const Value *v) { return v && mayBeFloat(*v); }

/// An Add/Sum that folds into the Add/Sum reading its only result.
bool isInnerAdd(const Node &n) {
  if (!isAddLike(n) || n.getNumResults() != 1)
    return false;
  Value *r = n.getResult(0);
  if (!r->hasOneUse() || r->isGraphOutput())
    return false;
  Node *user = r->getUses().front().user;
  return isAddLike(*user) && !r->getUses().front().implicit;
}

/// The eps shared by the FakeQuant producing `v`, or null.
Value *quantiserEps(const Value *v) {
  const Node *p = v ? v->getDefiningNode() : nullptr;
  return p && isFakeQuant(*p) ? p->getInput(1) : nullptr;
}

class HarmoniseAddsPass : public PassBase<HarmoniseAddsPass> {
public:
  static constexpr llvm::StringLiteral argument = "harmonise-adds";
  static constexpr llvm::StringLiteral summary =
      "Give the operands of residual adds and concats one shared eps";
  static constexpr llvm::StringLiteral description =
      "Every maximal tree of Add/Sum nodes with non-constant float operands "
      "gets a quantiser on each leaf operand and on its result, all sharing "
      "one eps initializer (QuantLib's HarmonisedAdd); Concat operands get "
      "quantisers sharing one eps. Quantisers are signed by default.";

  Option<unsigned> bits{*this, "bits", "bits of the shared grid (2..16)", 8};
  Option<bool> isSigned{*this, "signed", "signed grid", true};
  Option<bool> concats{*this, "concat", "also harmonise Concat operands", true};
  Option<std::string> outQuantiser{
      *this,
      "out-quantiser",
      "always: quantise every add tree's result; unless-requantised: not "
      "when an activation quantiser requantises it anyway (for DORY)",
      "always",
      {"always", "unless-requantised"}};

  PassStatistic addTrees{*this, "add-trees", "add trees harmonised"};
  PassStatistic concatsDone{*this, "concats", "concats harmonised"};
  PassStatistic quantisers{*this, "quantisers", "quantisers added"};

  llvm::Expected<bool> run(Model &model) override {
    if (bits < 2 || bits > 16)
      return makeError("harmonise-adds: bits must be in 2..16, got " +
                       llvm::Twine(bits.getValue()));
    Graph &graph = model.getGraph();
    llvm::SmallVector<Node *, 16> roots, cats;
    for (Node &n : graph.getNodes()) {
      if (isAddLike(n) && !isInnerAdd(n) && isFloatValue(n.getResult(0)))
        roots.push_back(&n);
      else if (concats && n.is("Concat") && isFloatValue(n.getResult(0)))
        cats.push_back(&n);
    }
    bool changed = false;
    for (Node *root : roots)
      changed |= harmoniseTree(graph, *root);
    for (Node *cat : cats)
      changed |= harmoniseConcat(graph, *cat);
    if (changed)
      addQlcOpsetImport(model);
    return changed;
  }

private:
  FakeQuantAttrs gridAttrs() const {
    FakeQuantAttrs attrs;
    attrs.grid = QuantGrid::fromBits(bits, isSigned);
    return attrs;
  }

  /// Leaf operand edges (user, operand index) of the tree under `root`.
  static void
  collectLeaves(Node &add,
                llvm::SmallVectorImpl<std::pair<Node *, unsigned>> &out) {
    for (unsigned i = 0; i < add.getNumInputs(); ++i) {
      Value *in = add.getInput(i);
      Node *p = in ? in->getDefiningNode() : nullptr;
      if (p && isInnerAdd(*p))
        collectLeaves(*p, out);
      else
        out.emplace_back(&add, i);
    }
  }

  /// Whether `root`'s result is read only by a Relu/Clip read only by a
  /// quantiser, which requantises the sum without an output quantiser.
  bool isRequantisedAnyway(const Node &root) const {
    if (outQuantiser.getValue() != "unless-requantised")
      return false;
    const Value *out = root.getResult(0);
    if (!out->hasOneUse() || out->isGraphOutput())
      return false;
    const Node *act = out->getUses().front().user;
    if (!(act->is("Relu") || act->is("Clip")) || act->getInput(0) != out)
      return false;
    const Value *a = act->getResult(0);
    return a->hasOneUse() && !a->isGraphOutput() &&
           isFakeQuant(*a->getUses().front().user);
  }

  /// True when every leaf and the result already read one eps.
  bool isHarmonised(Node &root,
                    llvm::ArrayRef<std::pair<Node *, unsigned>> leaves) const {
    Value *out = root.getResult(0);
    Value *eps = nullptr;
    for (Node *user : out->getUsers())
      if (isFakeQuant(*user))
        eps = user->getInput(1);
    if (!eps && isRequantisedAnyway(root))
      eps = quantiserEps(leaves.front().first->getInput(leaves.front().second));
    if (!eps)
      return false;
    for (auto [user, index] : leaves)
      if (quantiserEps(user->getInput(index)) != eps)
        return false;
    return true;
  }

  Value *newSharedEps(Graph &graph, llvm::StringRef base) {
    // Provisional eps for the range [-1, 1] until calibrate measures it.
    FakeQuantAttrs attrs = gridAttrs();
    return createEpsInitializer(graph, (base + "_eps").str(),
                                {computeEps(-1, 1, attrs.grid)});
  }

  bool harmoniseTree(Graph &graph, Node &root) {
    llvm::SmallVector<std::pair<Node *, unsigned>, 4> leaves;
    collectLeaves(root, leaves);
    unsigned dynamic = 0;
    for (auto [user, index] : leaves)
      dynamic +=
          user->getInput(index) && !user->getInput(index)->isInitializer();
    // A bias add (one dynamic operand) is not a residual add.
    if (dynamic < 2 || isHarmonised(root, leaves))
      return false;
    FakeQuantAttrs attrs = gridAttrs();
    Value *eps = newSharedEps(graph, root.getResult(0)->getName());
    for (auto [user, index] : leaves) {
      quantiseOperand(
          graph, *user, index, eps, attrs,
          makeNodeName(graph, root, "in" + std::to_string(index) + "q"));
      ++quantisers;
    }
    // The sum of values on one grid is an exact multiple of eps, but in
    // float (a + b) / eps can land just below the integer, where a floor
    // would drop a whole level (10% of one residual CNN's add outputs did).
    // Rounding to nearest gives the exact level and is what the integer
    // add computes.
    if (isRequantisedAnyway(root)) {
      ++addTrees;
      return true;
    }
    FakeQuantAttrs outAttrs = attrs;
    outAttrs.grid.rounding = Rounding::HalfEven;
    quantiseValue(graph, root.getResult(0), eps, outAttrs,
                  makeNodeName(graph, root, "outq"));
    ++quantisers;
    ++addTrees;
    return true;
  }

  bool harmoniseConcat(Graph &graph, Node &cat) {
    if (cat.getNumInputs() < 2)
      return false;
    Value *shared = quantiserEps(cat.getInput(0));
    bool done = shared != nullptr;
    for (Value *in : cat.getInputs())
      done &= quantiserEps(in) == shared;
    if (done)
      return false;
    FakeQuantAttrs attrs = gridAttrs();
    Value *eps = newSharedEps(graph, cat.getResult(0)->getName());
    for (unsigned i = 0; i < cat.getNumInputs(); ++i) {
      if (!cat.getInput(i))
        continue;
      quantiseOperand(graph, cat, i, eps, attrs,
                      makeNodeName(graph, cat, "in" + std::to_string(i) + "q"));
      ++quantisers;
    }
    ++concatsDone;
    return true;
  }
};

} // namespace

std::unique_ptr<Pass> qlc::f2f::createHarmoniseAddsPass() {
  return std::make_unique<HarmoniseAddsPass>();
}
