//===- DoryLayers.cpp - An integer program as DORY's fused layers ---------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Layers are anchored at their compute node (ConvInteger, MatMul, the pool
// sum, MaxPool, Add), visited in topological order, which is DORY's
// execution order. Each anchor claims the nodes around it: the Cast and
// Flatten wires before it, the bias Add and the requantisation after it,
// and for an Addition the scalar requantisations of its operands. Whatever
// no layer claims is something DORY cannot run (a requantisation after a
// requantisation, a standalone Pad, an unknown op) and is reported.
//
//===----------------------------------------------------------------------===//

#include "backends/DoryLayers.h"

#include "f2t/RangeAnalysis.h"

#include "qlc/ONNX/ShapeInference.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <cmath>

using namespace qlc;
using namespace qlc::backends;

unsigned DoryRequant::outBits() const {
  return static_cast<unsigned>(
      std::lround(std::log2(double(attrs.hi - attrs.lo + 1))));
}

llvm::StringRef qlc::backends::getDoryLayerKindName(DoryLayerKind kind) {
  switch (kind) {
  case DoryLayerKind::Convolution:
    return "Convolution";
  case DoryLayerKind::FullyConnected:
    return "FullyConnected";
  case DoryLayerKind::AveragePool:
    return "AveragePool";
  case DoryLayerKind::MaxPool:
    return "MaxPool";
  case DoryLayerKind::Addition:
    return "Addition";
  }
  return "?";
}

namespace {

bool isIntegerValue(const Value *v) {
  return v && isIntegerType(v->getElementType());
}

/// A Cast or EpsTunnel turning an integer image into float: where the
/// float head starts.
bool isHeadBoundary(const Node &n) {
  if (!isIntegerValue(n.getInput(0)))
    return false;
  if (n.is("Cast"))
    return isFloatType(static_cast<ElementType>(n.getAttrInt("to", 0)));
  if (isEpsTunnel(n)) {
    llvm::Expected<ElementType> to = readEpsTunnelType(n);
    if (!to) {
      llvm::consumeError(to.takeError());
      return false;
    }
    return isFloatType(*to);
  }
  return false;
}

bool isWire(const Node &n) {
  return n.is("Flatten") || n.is("Reshape") || n.is("Squeeze") ||
         n.is("Unsqueeze");
}

/// The only reader of `v` (no graph output), or null.
Node *soleUser(const Value *v) {
  if (!v || v->isGraphOutput() || !v->hasOneUse() || v->getUses()[0].implicit)
    return nullptr;
  return v->getUses()[0].user;
}

std::vector<int64_t> constantInt64s(const Value *v) {
  return v && v->getConstant() ? v->getConstant()->toInt64s()
                               : std::vector<int64_t>();
}

/// An all-ones depthwise ConvInteger: F2T's exact AveragePool window sum.
bool isWindowSum(const Node &n) {
  if (!n.is("ConvInteger") || n.getNumInputs() < 2)
    return false;
  const Tensor *w = n.getInput(1)->getConstant();
  if (!w || w->getRank() != 4 || w->getDim(1) != 1 ||
      n.getAttrInt("group", 1) != w->getDim(0))
    return false;
  for (int64_t i = 0; i < w->getNumElements(); ++i)
    if (w->getAsInt64(i) != 1)
      return false;
  return true;
}

/// Whether a bias broadcasts along the output channels only: [C,1,1] or
/// [1,C,1,1] after a convolution, [C] or [1,C] after a fully connected
/// layer, or one value.
bool isPerChannel(const Tensor &bias, DoryLayerKind kind) {
  llvm::ArrayRef<int64_t> shape = bias.getShape();
  if (bias.getNumElements() == 1)
    return true;
  if (kind == DoryLayerKind::FullyConnected)
    return shape.size() == 1 || (shape.size() == 2 && shape[0] == 1);
  while (!shape.empty() && shape.front() == 1)
    shape = shape.drop_front();
  return shape.size() == 3 && shape[1] == 1 && shape[2] == 1;
}

class LayerBuilder {
public:
  explicit LayerBuilder(Model &model) : model(model), ranges(model) {}

  llvm::Expected<DoryProgram> build() {
    Graph &graph = model.getGraph();
    if (llvm::Error err = findInput())
      return err;
    findHead();
    for (Node &n : graph.getNodes()) {
      if (head.count(&n))
        continue;
      llvm::Error err = llvm::Error::success();
      if (n.is("ConvInteger"))
        err = isWindowSum(n) ? addPool(n)
                             : addLinear(n, DoryLayerKind::Convolution);
      else if (n.is("MatMulInteger") || n.is("MatMul") || n.is("Gemm"))
        err = addLinear(n, DoryLayerKind::FullyConnected);
      else if (n.is("ReduceSum"))
        err = addPool(n);
      else if (n.is("MaxPool"))
        err = addMaxPool(n);
      else if (n.is("Add") && isIntegerValue(n.getResult(0)) &&
               !n.getInput(1)->isInitializer())
        err = addAddition(n);
      if (err)
        return err;
    }
    if (llvm::Error err = checkEverythingClaimed())
      return err;
    return std::move(program);
  }

private:
  llvm::Error findInput() {
    Graph &graph = model.getGraph();
    llvm::SmallVector<Value *, 2> inputs;
    for (Value *v : graph.getInputs())
      if (!v->isInitializer())
        inputs.push_back(v);
    if (inputs.size() != 1)
      return makeError("DORY takes networks with one input; this one has " +
                       llvm::Twine(inputs.size()));
    ElementType t = inputs[0]->getElementType();
    if (t != ElementType::UInt8 && t != ElementType::Int8)
      return makeError("input '" + inputs[0]->getName() + "' is " +
                       getElementTypeName(t) +
                       "; DORY needs an 8-bit integer input (run "
                       "fake-to-true first)");
    program.input = inputs[0];
    producedBy[inputs[0]] = -1;
    return llvm::Error::success();
  }

  /// Everything downstream of a boundary Cast/EpsTunnel to float.
  void findHead() {
    for (Node &n : model.getGraph().getNodes()) {
      bool inHead = isHeadBoundary(n);
      for (Value *in : n.getInputs())
        if (in && in->getDefiningNode() && head.count(in->getDefiningNode()))
          inHead = true;
      if (!inHead)
        continue;
      head.insert(&n);
      program.headNodes.push_back(&n);
      if (isHeadBoundary(n))
        program.headInputs.push_back(n.getInput(0));
    }
  }

  /// The layer (or the input) producing `v`, looking through wires and
  /// Casts; null when `v` is not a layer output.
  Value *layerValue(Value *v, llvm::SmallVectorImpl<Node *> *wires) {
    while (v && !producedBy.count(v)) {
      Node *p = v->getDefiningNode();
      if (!p || !(isWire(*p) || p->is("Cast")) ||
          !isIntegerValue(p->getInput(0)))
        return nullptr;
      claimed.insert(p);
      if (wires && isWire(*p))
        wires->insert(wires->begin(), p);
      v = p->getInput(0);
    }
    return v;
  }

  llvm::Error notALayerOutput(const Node &n, const Value *v) {
    if (const Node *p = v->getDefiningNode()) {
      if (p->is("Pad"))
        return standalonePad(*p);
      if (isRequant(*p))
        return backToBack(*p);
    }
    return makeNodeError(n, "reads '" + v->getName() +
                                "', which is not the output of a DORY layer "
                                "(a convolution, fully connected layer, pool "
                                "or addition with its requantisation)");
  }

  llvm::Expected<DoryRequant> readRequant(const Node &rq) {
    DoryRequant r;
    r.node = &rq;
    llvm::Expected<RequantAttrs> a = readRequantAttrs(rq);
    if (!a)
      return a.takeError();
    r.attrs = *a;
    r.mul = constantInt64s(rq.getInput(1));
    r.add = constantInt64s(rq.getInput(2));
    if (r.mul.empty() || r.add.empty())
      return makeNodeError(rq, "DORY needs constant requantisation "
                               "multipliers and offsets");
    int64_t levels = r.attrs.hi - r.attrs.lo + 1;
    if (levels <= 1 || (levels & (levels - 1)) != 0)
      return makeNodeError(rq, "clip range [" + llvm::Twine(r.attrs.lo) + ", " +
                                   llvm::Twine(r.attrs.hi) +
                                   "] is not a power-of-two number of levels "
                                   "(DORY's out_bits)");
    if (levels > 256)
      return makeNodeError(rq, llvm::Twine(r.outBits()) +
                                   "-bit output: DORY's kernels produce 8, 4 "
                                   "or 2 bits");
    claimed.insert(&rq);
    return r;
  }

  /// The requantisation reading the layer result `v`, if any.
  llvm::Expected<llvm::Optional<DoryRequant>> followRequant(Value *&v) {
    Node *user = soleUser(v);
    if (!user || !isRequant(*user) || user->getInput(0) != v)
      return llvm::None;
    llvm::Expected<DoryRequant> r = readRequant(*user);
    if (!r)
      return r.takeError();
    v = user->getResult(0);
    return llvm::Optional<DoryRequant>(std::move(*r));
  }

  unsigned requantBits(const Value *acc, const DoryRequant &r) {
    llvm::Optional<f2t::ValueRange> range = ranges.get(acc);
    if (!range)
      return 64;
    size_t channels = std::max(r.mul.size(), range->bounds.size());
    double worst = 0;
    for (size_t c = 0; c < channels; ++c) {
      auto [lo, hi] = range->channel(c);
      double m = double(r.mul[r.mul.size() == 1 ? 0 : c]);
      double a = double(r.add[r.add.size() == 1 ? 0 : c]);
      worst = std::max({worst, std::fabs(lo * m + a), std::fabs(hi * m + a)});
    }
    return worst < 2147483648.0 ? 32 : 64;
  }

  llvm::Error finishLayer(DoryLayer layer, Value *result, const Node &anchor) {
    Value *acc = result;
    llvm::Expected<llvm::Optional<DoryRequant>> rq = followRequant(result);
    if (!rq)
      return rq.takeError();
    layer.requant = std::move(*rq);
    if (layer.requant) {
      layer.requantBits = requantBits(acc, *layer.requant);
      if (layer.requantBits > 32 && layer.kind == DoryLayerKind::Addition)
        return additionOverflow(*layer.requant->node);
      if (layer.requantBits > 32)
        program.bnReluBits = 64;
    } else if (!llvm::is_contained(program.headInputs, result) &&
               !result->isGraphOutput()) {
      std::string readers =
          soleUser(result) ? describeNode(*soleUser(result))
                           : std::to_string(result->getNumUses()) + " nodes";
      return makeNodeError(anchor,
                           "a linear layer without requantisation in the "
                           "middle of the network: DORY requantises every "
                           "layer but the last (its 32-bit output is read by " +
                               readers + ")");
    }
    layer.output = result;
    producedBy[result] = static_cast<int>(program.layers.size());
    program.layers.push_back(std::move(layer));
    return llvm::Error::success();
  }

  llvm::Error addLinear(Node &n, DoryLayerKind kind) {
    llvm::SmallVector<Node *, 2> wires;
    llvm::Expected<DoryLayer> begun = beginLayer(n, kind, &wires);
    if (!begun)
      return begun.takeError();
    DoryLayer &layer = *begun;
    layer.wires = wires;
    if (n.getNumInputs() > 2 && n.getInput(2) && !n.is("ConvInteger") &&
        !n.is("MatMulInteger"))
      return makeNodeError(n, "DORY export expects the bias as a separate "
                              "int32 Add");
    layer.weights = n.getInput(1) ? n.getInput(1)->getConstant() : nullptr;
    if (!layer.weights || !isIntegerType(layer.weights->getElementType()))
      return makeNodeError(n, "weights must be constant integers");
    if (n.getNumInputs() > 2 && n.getInput(2))
      return makeNodeError(n, "zero points are not supported by DORY");
    if (kind == DoryLayerKind::Convolution) {
      int64_t group = n.getAttrInt("group", 1);
      int64_t cout = layer.weights->getDim(0);
      int64_t cin = layer.weights->getDim(1) * group;
      if (group != 1 && !(group == cin && group == cout))
        return makeNodeError(n, "grouped convolution with group " +
                                    llvm::Twine(group) +
                                    ": DORY supports group 1 and depthwise "
                                    "(group == Cin == Cout) only");
    } else if (layer.weights->getRank() != 2 || n.is("Gemm")) {
      return makeNodeError(n, "fully connected layers must be MatMul or "
                              "MatMulInteger on 2-D constant weights");
    }
    Value *result = n.getResult(0);
    if (Node *user = soleUser(result))
      if (user->is("Add") && user->getInput(1) &&
          user->getInput(1)->isInitializer() && user->getInput(0) == result) {
        layer.bias = user->getInput(1)->getConstant();
        if (!isPerChannel(*layer.bias, kind))
          return makeNodeError(*user, "the bias of shape " +
                                          formatShape(layer.bias->getShape()) +
                                          " is not one value per output "
                                          "channel");
        claimed.insert(user);
        result = user->getResult(0);
      }
    return finishLayer(std::move(layer), result, n);
  }

  /// A layer anchored at `n` reading one previous layer's output (through
  /// wires, collected when `wires` is given).
  llvm::Expected<DoryLayer> beginLayer(Node &n, DoryLayerKind kind,
                                       llvm::SmallVectorImpl<Node *> *wires) {
    DoryLayer layer;
    layer.kind = kind;
    layer.op = &n;
    claimed.insert(&n);
    Value *in = layerValue(n.getInput(0), wires);
    if (!in)
      return notALayerOutput(n, n.getInput(0));
    layer.inputs.push_back({in, llvm::None});
    return layer;
  }

  llvm::Error addPool(Node &n) {
    llvm::Expected<DoryLayer> begun =
        beginLayer(n, DoryLayerKind::AveragePool, nullptr);
    if (!begun)
      return begun.takeError();
    DoryLayer &layer = *begun;
    const TensorType &t = layer.inputs[0].value->getType();
    if (n.is("ReduceSum")) {
      auto shape = t.getStaticShape();
      if (!shape || shape->size() != 4)
        return makeNodeError(n, "a global pool needs a static NCHW input");
      layer.poolSize = (*shape)[2] * (*shape)[3];
    } else {
      for (int64_t k : n.getAttrInts("kernel_shape"))
        layer.poolSize *= k;
    }
    Value *result = n.getResult(0);
    Node *rq = soleUser(result);
    if (!rq || !isRequant(*rq))
      return makeNodeError(n, "an average pool without requantisation: DORY "
                              "divides the window sum by its size, qlc keeps "
                              "it exact; keep the head float "
                              "(fold-float-head) or quantise the pool output");
    return finishLayer(std::move(layer), result, n);
  }

  llvm::Error addMaxPool(Node &n) {
    llvm::Expected<DoryLayer> begun =
        beginLayer(n, DoryLayerKind::MaxPool, nullptr);
    if (!begun)
      return begun.takeError();
    DoryLayer &layer = *begun;
    layer.output = n.getResult(0);
    producedBy[layer.output] = static_cast<int>(program.layers.size());
    program.layers.push_back(std::move(layer));
    return llvm::Error::success();
  }

  /// An Addition operand: a layer output, or a scalar requantisation of
  /// one (absorbed as ink_rq).
  llvm::Expected<DoryOperand> additionOperand(Node &add, Value *v) {
    if (Value *direct = layerValue(v, nullptr))
      return DoryOperand{direct, llvm::None};
    while (v->getDefiningNode() && v->getDefiningNode()->is("Cast")) {
      claimed.insert(v->getDefiningNode());
      v = v->getDefiningNode()->getInput(0);
    }
    Node *rq = v->getDefiningNode();
    if (!rq || !isRequant(*rq))
      return notALayerOutput(add, v);
    Value *src = layerValue(rq->getInput(0), nullptr);
    if (!src)
      return makeNodeError(*rq, "back-to-back requantisation: it requantises "
                                "'" +
                                    rq->getInput(0)->getName() +
                                    "', which is no DORY layer's output");
    llvm::Expected<DoryRequant> r = readRequant(*rq);
    if (!r)
      return r.takeError();
    if (r->perChannel())
      return makeNodeError(*rq, "a per-channel requantisation of an "
                                "Addition operand: DORY's in_mul/in_add "
                                "are scalars");
    return DoryOperand{src, std::move(*r)};
  }

  /// DORY's add kernel requantises in 32-bit C arithmetic whatever
  /// BNRelu_bits says (that widens only BNRelu's k and lambda).
  static llvm::Error additionOverflow(const Node &rq) {
    return makeNodeError(rq, "x * mul + add of an Addition requantisation can "
                             "leave 32 bits, and DORY's add kernel computes "
                             "it in int32; run "
                             "fake-to-true{accumulator=int32}");
  }

  llvm::Error addAddition(Node &n) {
    DoryLayer layer;
    layer.kind = DoryLayerKind::Addition;
    layer.op = &n;
    claimed.insert(&n);
    if (n.getNumInputs() != 2)
      return makeNodeError(n, "DORY's Addition takes two operands");
    for (Value *in : n.getInputs()) {
      llvm::Expected<DoryOperand> op = additionOperand(n, in);
      if (!op)
        return op.takeError();
      if (op->requant && requantBits(op->value, *op->requant) > 32)
        return additionOverflow(*op->requant->node);
      layer.inputs.push_back(std::move(*op));
    }
    Value *result = n.getResult(0);
    Node *rq = soleUser(result);
    if (rq && isRequant(*rq)) {
      llvm::Expected<DoryRequant> r = readRequant(*rq);
      if (!r)
        return r.takeError();
      if (r->perChannel())
        return makeNodeError(*rq, "a per-channel requantisation of an "
                                  "Addition: DORY's out_mul is a scalar");
    }
    return finishLayer(std::move(layer), result, n);
  }

  static llvm::Error backToBack(const Node &rq) {
    return makeNodeError(
        rq, "back-to-back requantisation: it requantises '" +
                rq.getInput(0)->getName() +
                "', which is already requantised; DORY fuses one "
                "requantisation per layer (for residual adds run "
                "harmonise-adds{out-quantiser=unless-requantised})");
  }

  static llvm::Error standalonePad(const Node &pad) {
    return makeNodeError(pad, "a standalone Pad: DORY only folds padding "
                              "into the convolution or pool after it");
  }

  llvm::Error checkEverythingClaimed() {
    // Casts and shape ops are wires of the layers around them: an unclaimed
    // one is reported only when no unclaimed compute op explains it.
    for (bool wires : {false, true})
      for (Node &n : model.getGraph().getNodes()) {
        if (head.count(&n) || claimed.count(&n) ||
            (!wires && (n.is("Cast") || isWire(n))))
          continue;
        if (isRequant(n))
          return backToBack(n);
        if (n.is("Pad"))
          return standalonePad(n);
        return makeNodeError(n, "not supported by DORY's frontend");
      }
    return llvm::Error::success();
  }

  Model &model;
  f2t::RangeAnalysis ranges;
  DoryProgram program;
  llvm::SmallPtrSet<const Node *, 16> head;
  llvm::SmallPtrSet<const Node *, 32> claimed;
  /// Layer index producing a value (-1: the network input).
  llvm::DenseMap<const Value *, int> producedBy;
};

} // namespace

llvm::Error qlc::backends::prepareForDory(Model &model) {
  // DORY runs one image at a time and reads every shape from the ONNX: a
  // symbolic batch becomes 1, and every shape is inferred.
  bool changed = false;
  for (Value *in : model.getGraph().getInputs()) {
    TensorType t = in->getType();
    if (in->isInitializer() || !t.hasRank() || t.getRank() == 0 ||
        t.getDims()[0].isKnown())
      continue;
    llvm::SmallVector<Dim, 4> dims(t.getDims().begin(), t.getDims().end());
    dims[0] = Dim::known(1);
    t.setDims(dims);
    in->setType(t);
    changed = true;
  }
  if (changed)
    for (Node &n : model.getGraph().getNodes())
      for (Value *r : n.getResults())
        r->setType(TensorType());
  llvm::Expected<bool> inferred = inferShapes(model);
  return inferred ? llvm::Error::success() : inferred.takeError();
}

llvm::Expected<DoryProgram> qlc::backends::analyseDoryProgram(Model &model) {
  return LayerBuilder(model).build();
}
