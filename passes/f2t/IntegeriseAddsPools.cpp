//===- IntegeriseAddsPools.cpp - Integer adds and average pools -----------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// After requantise, the operands of a harmonised Add/Sum tree arrive as
// tunnels (1 -> eps) from integer images on one quantum eps. The tree
// becomes an int32 sum (each operand Cast to int32 first, so 8-bit images
// cannot wrap) read by tunnels (1 -> eps); the output quantiser of the tree
// then requantises it like any other (run requantise again).
//
// Average pooling of an integer image becomes its exact int32 window sum
// (ReduceSum for GlobalAveragePool, an all-ones depthwise ConvInteger for
// AveragePool, whose zero padding counts like count_include_pad): the fake
// mean of K values on eps is that sum times eps / K, the quantum the eps
// analysis gives the pool's result. Nothing is rounded; the next linear op
// takes the wide sum (integerise-linear uses an int32 MatMul for it).
// A pool whose result reaches only float consumers (a head linear op kept
// float, a float tail) stays a float AveragePool on the dequantised image:
// its sum would only be converted back, and a backend such as DORY has no
// layer for an unrequantised 32-bit pool sum.
//
//===----------------------------------------------------------------------===//

#include "f2t/F2TSupport.h"
#include "f2t/Passes.h"

#include "f2f/F2FSupport.h"

#include "qlc/Support/Error.h"

#include "llvm/ADT/SmallPtrSet.h"

#include <cmath>

using namespace qlc;
using namespace qlc::f2t;

namespace {

/// The integer image a tunnel (1 -> eps) converts, or null.
Value *integerSource(Node *tunnel, llvm::ArrayRef<double> eps) {
  llvm::Optional<TunnelView> t = tunnel ? viewTunnel(*tunnel) : llvm::None;
  if (!t || !isUnitEps(t->epsIn) || !sameQuanta(t->epsOut, eps) ||
      !isIntegerType(elementTypeOf(tunnel->getInput(0))) ||
      !tunnel->getResult(0)->hasOneUse())
    return nullptr;
  return tunnel->getInput(0);
}

bool isShapeOnlyOp(const Node &n) {
  return n.is("Flatten") || n.is("Reshape") || n.is("Squeeze") ||
         n.is("Unsqueeze") || n.is("Transpose") || n.is("Identity");
}

/// Whether some reader of `v`, looking through float-to-float tunnels and
/// shape-only ops, computes on integers: an integer op, a quantiser or
/// requantiser, an add tree, or a tunnel producing an integer type.
bool feedsIntegerConsumer(const Value &v) {
  llvm::SmallVector<const Value *, 8> work{&v};
  llvm::SmallPtrSet<const Value *, 8> seen;
  while (!work.empty()) {
    const Value *cur = work.pop_back_val();
    if (!seen.insert(cur).second)
      continue;
    for (Node *user : cur->getUsers()) {
      llvm::Optional<TunnelView> t = viewTunnel(*user);
      if (t && t->to != ElementType::Float)
        return true;
      if (t || isShapeOnlyOp(*user)) {
        work.push_back(user->getResult(0));
        continue;
      }
      if (!user->isOnnxDomain() || user->is("ConvInteger") ||
          user->is("MatMulInteger") || user->is("Add") || user->is("Sum"))
        return true;
    }
  }
  return false;
}

Value *castTo(Graph &graph, Value *v, ElementType type, Node *before) {
  Node *cast = graph.createNode(
      "Cast", {v}, llvm::StringRef((v->getName() + "_i32").str()), "", before);
  cast->setName(graph.makeUniqueName((v->getName() + "_cast").str()));
  cast->setAttr("to", Attribute::getInt(static_cast<int64_t>(type)));
  TensorType t = v->getType();
  t.setElementType(type);
  cast->getResult(0)->setType(t);
  return cast->getResult(0);
}

class IntegeriseAddsPoolsPass : public PassBase<IntegeriseAddsPoolsPass> {
public:
  static constexpr llvm::StringLiteral argument = "integerise-adds-pools";
  static constexpr llvm::StringLiteral summary =
      "Turn harmonised adds into int32 sums and average pools into sums "
      "with a rounding requantiser";
  static constexpr llvm::StringLiteral description =
      "Add/Sum trees whose operands are integer images on one quantum "
      "become int32 sums (requantise then handles their output quantiser). "
      "AveragePool/GlobalAveragePool of an integer image become its exact "
      "int32 window sum, on the quantum eps / K.";

  PassStatistic adds{*this, "adds", "add trees integerised"};
  PassStatistic pools{*this, "pools", "average pools integerised"};

  llvm::Expected<bool> run(Model &model) override {
    Graph &graph = model.getGraph();
    llvm::SmallVector<Node *, 16> nodes;
    for (Node &n : graph.getNodes())
      if (n.is("Add") || n.is("Sum") || n.is("GlobalAveragePool") ||
          n.is("AveragePool"))
        nodes.push_back(&n);
    bool changed = false;
    for (Node *n : nodes) {
      llvm::Expected<bool> done = n->is("Add") || n->is("Sum")
                                      ? integeriseAdd(graph, *n)
                                      : integerisePool(model, *n);
      if (!done)
        return done.takeError();
      changed |= *done;
    }
    if (changed)
      eraseDeadConstants(graph);
    return changed;
  }

private:
  bool integeriseAdd(Graph &graph, Node &add) {
    if (!isReadOnlyByTunnels(*add.getResult(0)))
      return false;
    Node *first =
        add.getInput(0) ? add.getInput(0)->getDefiningNode() : nullptr;
    llvm::Optional<TunnelView> t0 = first ? viewTunnel(*first) : llvm::None;
    if (!t0 || t0->epsOut.size() != 1)
      return false;
    llvm::SmallVector<Value *, 4> sources;
    for (Value *in : add.getInputs()) {
      Value *src =
          integerSource(in ? in->getDefiningNode() : nullptr, t0->epsOut);
      if (!src)
        return false;
      sources.push_back(src);
    }
    Value *sum = nullptr;
    for (Value *src : sources) {
      Value *wide = elementTypeOf(src) == ElementType::Int32
                        ? src
                        : castTo(graph, src, ElementType::Int32, &add);
      if (!sum) {
        sum = wide;
        continue;
      }
      Node *a = graph.createNode(
          "Add", {sum, wide},
          llvm::StringRef((add.getResult(0)->getName() + "_i").str()), "",
          &add);
      a->setName(graph.makeUniqueName(f2f::getLayerName(add).str() + "_int"));
      TensorType t = add.getResult(0)->getType();
      t.setElementType(ElementType::Int32);
      a->getResult(0)->setType(t);
      sum = a->getResult(0);
    }
    llvm::SmallVector<Node *, 4> inTunnels;
    for (Value *in : add.getInputs())
      inTunnels.push_back(in->getDefiningNode());
    std::string name = add.getResult(0)->getName().str();
    retargetTunnels(*add.getResult(0), sum);
    graph.eraseNode(&add);
    for (Node *t : inTunnels)
      if (!t->getResult(0)->isLive())
        bypassTunnel(graph, *t);
    if (sum->isNodeResult() && !graph.lookupValue(name))
      graph.renameValue(sum, name);
    ++adds;
    return true;
  }

  llvm::Expected<bool> integerisePool(Model &model, Node &pool) {
    Graph &graph = model.getGraph();
    Node *tin = pool.getInput(0)->getDefiningNode();
    llvm::Optional<TunnelView> t = tin ? viewTunnel(*tin) : llvm::None;
    if (!t || !isReadOnlyByTunnels(*pool.getResult(0)) ||
        !feedsIntegerConsumer(*pool.getResult(0)))
      return false;
    Value *src = integerSource(tin, t->epsOut);
    // Channels and spatial dims must be known; the batch may be symbolic.
    llvm::ArrayRef<Dim> dims = pool.getInput(0)->getType().getDims();
    if (!src || !pool.getInput(0)->getType().hasRank() || dims.size() < 3 ||
        !llvm::all_of(dims.drop_front(),
                      [](const Dim &d) { return d.isKnown(); }))
      return false;
    Value *sum;
    if (pool.is("GlobalAveragePool")) {
      sum =
          reduceSum(model, castTo(graph, src, ElementType::Int32, &pool), pool);
    } else {
      if (pool.getAttrInt("count_include_pad", 0) == 0 &&
          llvm::any_of(pool.getAttrInts("pads"), [](int64_t p) { return p; }))
        return false;
      if (pool.getAttrInt("ceil_mode", 0) != 0 ||
          (elementTypeOf(src) != ElementType::UInt8 &&
           elementTypeOf(src) != ElementType::Int8))
        return false;
      sum = windowSum(graph, src, pool, dims[1].size);
    }
    // The readers' tunnels already hold eps_in / K: the sum is the image.
    std::string name = pool.getResult(0)->getName().str();
    retargetTunnels(*pool.getResult(0), sum);
    graph.eraseNode(&pool);
    bypassTunnel(graph, *tin);
    graph.renameValue(sum, name);
    ++pools;
    return true;
  }

  /// ReduceSum over the spatial axes, keeping dims (axes as an attribute
  /// before opset 13, as an input since).
  Value *reduceSum(Model &model, Value *x, Node &pool) {
    Graph &graph = model.getGraph();
    int64_t rank = rankOf(x);
    llvm::SmallVector<int64_t, 4> axes;
    for (int64_t d = 2; d < rank; ++d)
      axes.push_back(d);
    std::vector<Value *> operands{x};
    bool axesInput = model.getOpsetVersion("") >= 13;
    if (axesInput)
      operands.push_back(graph.addInitializer(
          graph.makeUniqueName(f2f::getLayerName(pool).str() + "_axes"),
          Tensor::fromValues<int64_t>({static_cast<int64_t>(axes.size())},
                                      axes)));
    Node *rs = graph.createNode(
        "ReduceSum", operands,
        llvm::StringRef((pool.getResult(0)->getName() + "_sum").str()), "",
        &pool);
    rs->setName(graph.makeUniqueName(f2f::getLayerName(pool).str() + "_sum"));
    if (!axesInput)
      rs->setAttr("axes", Attribute::getInts(axes));
    rs->setAttr("keepdims", Attribute::getInt(1));
    TensorType t = pool.getResult(0)->getType();
    t.setElementType(ElementType::Int32);
    rs->getResult(0)->setType(t);
    return rs->getResult(0);
  }

  /// An all-ones depthwise ConvInteger with the pool's window geometry.
  Value *windowSum(Graph &graph, Value *x, Node &pool, int64_t channels) {
    llvm::SmallVector<int64_t, 4> kernel = pool.getAttrInts("kernel_shape");
    llvm::SmallVector<int64_t, 4> shape{channels, 1};
    shape.append(kernel.begin(), kernel.end());
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    Value *ones = graph.addInitializer(
        graph.makeUniqueName(f2f::getLayerName(pool).str() + "_ones"),
        Tensor::fromValues<int8_t>(shape, std::vector<int8_t>(n, 1)));
    Node *conv = graph.createNode(
        "ConvInteger", {x, ones},
        llvm::StringRef((pool.getResult(0)->getName() + "_sum").str()), "",
        &pool);
    conv->setName(graph.makeUniqueName(f2f::getLayerName(pool).str() + "_sum"));
    for (const NamedAttribute &a : pool.getAttrs())
      if (a.name != "count_include_pad" && a.name != "ceil_mode")
        conv->setAttr(a.name, a.value);
    conv->setAttr("group", Attribute::getInt(channels));
    TensorType t = pool.getResult(0)->getType();
    t.setElementType(ElementType::Int32);
    conv->getResult(0)->setType(t);
    return conv->getResult(0);
  }
};

} // namespace

std::unique_ptr<Pass> qlc::f2t::createIntegeriseAddsPoolsPass() {
  return std::make_unique<IntegeriseAddsPoolsPass>();
}
