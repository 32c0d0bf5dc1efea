//===- SimplifyEpsTunnels.cpp - Cancel tunnels across integer regions -----===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// QuantLib's EpsTunnelConstructSimplifier and EpsTunnelRemover:
//
// * A construct is a region of data-movement ops (MaxPool, Flatten,
//   Reshape, Transpose, Squeeze, Unsqueeze, zero Pad, Identity, Dropout,
//   Concat) entered only through tunnels B (1 -> eps, from integer images
//   of one type T) and left only through tunnels F (eps -> ..). When every
//   B and F agree on eps, the region can run on the integer images: the B
//   tunnels go, and each F becomes (1 -> ..). This is how MaxPool, Flatten
//   and Concat between two requantisers become integer ops.
// * Tunnels that change nothing (equal quanta, same element type) go.
// * A Requant that is the identity on its input range (mul = 2^D,
//   0 <= add < 2^D, range inside [lo, hi], same type) goes.
//
//===----------------------------------------------------------------------===//

#include "f2t/F2TSupport.h"
#include "f2t/Passes.h"
#include "f2t/RangeAnalysis.h"

#include "llvm/ADT/SetVector.h"

using namespace qlc;
using namespace qlc::f2t;

namespace {

bool isRegionOp(const Node &n) {
  return isScalePreserving(n) && n.getNumResults() == 1;
}

struct Construct {
  llvm::SetVector<Node *> region, in, out;
};

class SimplifyEpsTunnelsPass : public PassBase<SimplifyEpsTunnelsPass> {
public:
  static constexpr llvm::StringLiteral argument = "simplify-eps-tunnels";
  static constexpr llvm::StringLiteral summary =
      "Cancel matching tunnels across data-movement regions and remove "
      "identity tunnels and requantisers";
  static constexpr llvm::StringLiteral description =
      "Regions of MaxPool, Flatten, Reshape, Transpose, Concat, zero Pad, "
      "... entered through tunnels (1 -> eps) from integer images of one "
      "type and left through tunnels (eps -> ..) run on the integer images "
      "instead. Tunnels with equal quanta and type and requantisers that "
      "are the identity on their input range are removed.";

  Option<bool> removeIdentities{
      *this, "remove-identities",
      "also remove identity tunnels and requantisers (off while other "
      "integerisers still need the tunnels as anchors)",
      true};
  PassStatistic constructs{*this, "constructs", "regions made integer"};
  PassStatistic removed{*this, "tunnels-removed", "tunnels removed"};
  PassStatistic requants{*this, "requants-removed",
                         "identity requantisers removed"};

  llvm::Expected<bool> run(Model &model) override {
    Graph &graph = model.getGraph();
    bool changed = false;
    for (bool again = true; again;) {
      again = false;
      llvm::SmallVector<Node *, 32> anchors;
      for (Node &n : graph.getNodes())
        if (isEpsTunnel(n))
          anchors.push_back(&n);
      for (Node *a : anchors) {
        if (!graph.getNodes().empty() && isStillTunnel(graph, a) &&
            simplifyFrom(graph, *a)) {
          again = changed = true;
          break; // the node list changed
        }
      }
    }
    if (removeIdentities) {
      changed |= removeIdentityTunnels(graph);
      changed |= removeIdentityRequants(model);
      changed |= removeIdentityTunnels(graph);
    }
    if (changed)
      eraseDeadConstants(graph);
    return changed;
  }

private:
  static bool isStillTunnel(Graph &graph, Node *n) {
    for (Node &m : graph.getNodes())
      if (&m == n)
        return true;
    return false;
  }

  bool removeIdentityTunnels(Graph &graph) {
    llvm::SmallVector<Node *, 16> idle;
    for (Node &n : graph.getNodes())
      if (llvm::Optional<TunnelView> t = viewTunnel(n))
        if (t->isIdentity())
          idle.push_back(&n);
    for (Node *n : idle)
      bypassTunnel(graph, *n);
    removed += idle.size();
    return !idle.empty();
  }

  /// An entry tunnel: (1 -> eps) from an integer image, to float.
  static bool isEntry(Node &n, llvm::ArrayRef<double> eps, ElementType type) {
    llvm::Optional<TunnelView> t = viewTunnel(n);
    return t && isUnitEps(t->epsIn) && sameQuanta(t->epsOut, eps) &&
           elementTypeOf(n.getInput(0)) == type && isFloatType(t->to) &&
           !n.getResult(0)->isGraphOutput();
  }

  /// Grows the construct around entry tunnel `a`; false on a leak.
  bool grow(Node &a, llvm::ArrayRef<double> eps, ElementType type,
            Construct &c) {
    c.in.insert(&a);
    llvm::SmallVector<Node *, 8> work{&a};
    while (!work.empty()) {
      Node *n = work.pop_back_val();
      for (Node *user : n->getResult(0)->getUsers()) {
        if (c.region.count(user) || c.out.count(user))
          continue;
        if (llvm::Optional<TunnelView> t = viewTunnel(*user)) {
          if (!sameQuanta(t->epsIn, eps) ||
              user->getInput(0) != n->getResult(0))
            return false;
          c.out.insert(user);
          continue;
        }
        if (!isRegionOp(*user) || user->getResult(0)->isGraphOutput())
          return false;
        c.region.insert(user);
        work.push_back(user);
        // Every data input of a region op is an entry or in the region.
        for (Value *in : user->getInputs()) {
          if (!in || in->isInitializer())
            continue;
          Node *p = in->getDefiningNode();
          if (!p)
            return false;
          if (c.region.count(p) || c.in.count(p))
            continue;
          if (!isEntry(*p, eps, type))
            return false;
          c.in.insert(p);
          work.push_back(p);
        }
      }
      if (n->getResult(0)->isGraphOutput())
        return false;
    }
    return !c.out.empty() || !c.region.empty();
  }

  bool simplifyFrom(Graph &graph, Node &a) {
    llvm::Optional<TunnelView> t = viewTunnel(a);
    ElementType type = elementTypeOf(a.getInput(0));
    if (!t || !isIntegerType(type) || !isEntry(a, t->epsOut, type))
      return false;
    Construct c;
    if (!grow(a, t->epsOut, type, c))
      return false;
    for (Node *f : c.out) {
      llvm::Optional<TunnelView> v = viewTunnel(*f);
      setTunnel(*f, {1.0}, v->epsOut, v->to);
    }
    for (Node *r : c.region) {
      TensorType ty = r->getResult(0)->getType();
      ty.setElementType(type);
      r->getResult(0)->setType(ty);
    }
    for (Node *b : c.in)
      bypassTunnel(graph, *b);
    removed += c.in.size();
    ++constructs;
    return true;
  }

  bool removeIdentityRequants(Model &model) {
    Graph &graph = model.getGraph();
    RangeAnalysis ranges(model);
    llvm::SmallVector<Node *, 8> idle;
    for (Node &n : graph.getNodes()) {
      if (!isRequant(n))
        continue;
      llvm::Expected<RequantAttrs> a = readRequantAttrs(n);
      if (!a) {
        llvm::consumeError(a.takeError());
        continue;
      }
      const Tensor *mul = n.getInput(1)->getConstant();
      const Tensor *add = n.getInput(2)->getConstant();
      llvm::Optional<ValueRange> x = ranges.get(n.getInput(0));
      if (!mul || !add || !x || elementTypeOf(n.getInput(0)) != a->to ||
          n.getResult(0)->isGraphOutput())
        continue;
      int64_t one = int64_t(1) << a->shift;
      bool unit =
          llvm::all_of(mul->toInt64s(), [&](int64_t m) { return m == one; }) &&
          llvm::all_of(add->toInt64s(),
                       [&](int64_t v) { return v >= 0 && v < one; });
      auto [lo, hi] = x->hull();
      if (unit && lo >= a->lo && hi <= a->hi)
        idle.push_back(&n);
    }
    for (Node *n : idle) {
      graph.replaceAllUsesWith(n->getResult(0), n->getInput(0));
      graph.eraseNode(n);
    }
    requants += idle.size();
    return !idle.empty();
  }
};

} // namespace

std::unique_ptr<Pass> qlc::f2t::createSimplifyEpsTunnelsPass() {
  return std::make_unique<SimplifyEpsTunnelsPass>();
}
