//===- EpsAnalysis.cpp - Quantum propagation over a fake-quantised graph --===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "f2t/EpsAnalysis.h"

#include "f2f/F2FSupport.h"

#include "qlc/Support/Error.h"

#include "llvm/ADT/Twine.h"

#include <cmath>
#include <numeric>

using namespace qlc;
using namespace qlc::f2t;

namespace {

int64_t product(llvm::ArrayRef<int64_t> dims) {
  return std::accumulate(dims.begin(), dims.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

llvm::Optional<llvm::SmallVector<int64_t, 4>> staticShape(const Value *v) {
  return v ? v->getType().getStaticShape() : llvm::None;
}

/// The quantum a FakeQuant gives its result, or None (eps not constant).
llvm::Optional<Quantum> quantumOfFakeQuant(const Node &fq) {
  const Tensor *eps = fq.getInput(1) ? fq.getInput(1)->getConstant() : nullptr;
  llvm::Expected<FakeQuantAttrs> attrs = readFakeQuantAttrs(fq);
  if (!eps || !attrs) {
    if (!attrs)
      llvm::consumeError(attrs.takeError());
    return llvm::None;
  }
  Quantum q;
  q.eps = eps->toDoubles();
  q.axis = attrs->axis;
  int64_t rank = rankOf(fq.getInput(0));
  if (q.axis < 0 && rank > 0)
    q.axis += rank;
  q.grid = attrs->grid;
  return q;
}

/// The axis a per-channel quantum lands on after a reshape-like op, or
/// None when the channels do not stay on one axis.
llvm::Optional<int64_t> reshapedAxis(const Node &node, const Quantum &q) {
  auto in = staticShape(node.getInput(0));
  auto out = staticShape(node.getResult(0));
  if (!in || !out || q.axis >= static_cast<int64_t>(in->size()))
    return llvm::None;
  int64_t channels = (*in)[q.axis];
  if (node.is("Transpose")) {
    llvm::SmallVector<int64_t, 4> perm = node.getAttrInts("perm");
    for (size_t i = 0; i < perm.size(); ++i)
      if (perm[i] == q.axis)
        return static_cast<int64_t>(i);
    return perm.empty() ? llvm::Optional<int64_t>(in->size() - 1 - q.axis)
                        : llvm::None;
  }
  int64_t before = product(llvm::makeArrayRef(*in).take_front(q.axis));
  int64_t after = product(llvm::makeArrayRef(*in).drop_front(q.axis + 1));
  // Walk the output dims to the one holding exactly the channels.
  int64_t seen = 1;
  for (size_t d = 0; d < out->size(); ++d) {
    if (seen == before && (*out)[d] == channels &&
        product(llvm::makeArrayRef(*out).drop_front(d + 1)) == after)
      return static_cast<int64_t>(d);
    seen *= (*out)[d];
  }
  return llvm::None;
}

/// K, the number of values an average pool sums per output.
llvm::Optional<int64_t> poolWindow(const Node &node) {
  int64_t k = 1;
  if (node.is("GlobalAveragePool")) {
    const TensorType &t = node.getInput(0)->getType();
    if (!t.hasRank() || t.getRank() < 3)
      return llvm::None;
    for (const Dim &d : t.getDims().drop_front(2)) {
      if (!d.isKnown())
        return llvm::None;
      k *= d.size;
    }
    return k;
  }
  if (node.getAttrInt("count_include_pad", 0) == 0 &&
      llvm::any_of(node.getAttrInts("pads"), [](int64_t p) { return p; }))
    return llvm::None;
  if (node.getAttrString("auto_pad", "NOTSET") != "NOTSET" &&
      node.getAttrString("auto_pad", "NOTSET") != "VALID")
    return llvm::None;
  for (int64_t d : node.getAttrInts("kernel_shape"))
    k *= d;
  return k;
}

bool isReshapeLike(const Node &n) {
  return n.is("Flatten") || n.is("Reshape") || n.is("Squeeze") ||
         n.is("Unsqueeze") || n.is("Transpose");
}

} // namespace

llvm::Expected<EpsAnalysis> EpsAnalysis::run(const Model &model,
                                             const InputQuantisation &input) {
  if (!(input.eps >= 0) || !std::isfinite(input.eps))
    return makeError("input-scale must be positive and finite, got " +
                     std::to_string(input.eps));
  if (input.isDeclared() && (input.bits < 2 || input.bits > 16))
    return makeError("input-bits must be in 2..16, got " +
                     llvm::Twine(input.bits));
  EpsAnalysis a;
  const Graph &graph = model.getGraph();
  for (Value *in : graph.getInputs()) {
    if (in->isInitializer())
      continue;
    if (input.isDeclared()) {
      Quantum q;
      q.eps = {input.eps};
      q.grid = QuantGrid::fromBits(input.bits, input.isSigned);
      q.grid->rounding = Rounding::HalfEven;
      a.setQuantum(in, q);
      continue;
    }
    // Take the quantum of the fake-quantisers that read the input.
    llvm::Optional<Quantum> common;
    bool ok = in->hasUses();
    for (Node *user : in->getUsers()) {
      llvm::Optional<Quantum> q =
          isFakeQuant(*user) ? quantumOfFakeQuant(*user) : llvm::None;
      if (!q || !q->isPerTensor() || (common && !common->sameEps(*q)))
        ok = false;
      else
        common = q;
    }
    if (ok && common)
      a.setQuantum(in, *common);
    else
      a.reasons[in] = "graph input without a declared quantum (input-scale) "
                      "that is not read only by fake-quantisers of one eps";
  }
  int64_t opset = model.getOpsetVersion("");
  for (const Node &node : graph.getNodes())
    a.visit(node, opset);
  return a;
}

const Quantum *EpsAnalysis::lookup(const Value *v) const {
  auto it = quanta.find(v);
  return it == quanta.end() ? nullptr : &it->second;
}

llvm::StringRef EpsAnalysis::getReason(const Value *v) const {
  auto it = reasons.find(v);
  return it == reasons.end() ? llvm::StringRef() : llvm::StringRef(it->second);
}

void EpsAnalysis::stop(const Node &node, std::string reason) {
  for (Value *r : node.getResults())
    reasons[r] = reason;
  bool fed = llvm::any_of(node.getInputs(), [&](Value *in) {
    return in && !in->isInitializer() && lookup(in);
  });
  if (fed)
    stops.push_back({&node, std::move(reason)});
}

void EpsAnalysis::visit(const Node &node, int64_t opset) {
  if (node.getNumResults() == 0)
    return;
  if (isFakeQuant(node)) {
    if (llvm::Optional<Quantum> q = quantumOfFakeQuant(node))
      setQuantum(node.getResult(0), *q);
    else
      stop(node, "fake-quantiser with a non-constant or invalid eps");
    return;
  }
  if (!node.isOnnxDomain())
    return stop(node, "op of domain '" + node.getDomain().str() +
                          "' is not scale-preserving");
  if (f2f::matchLinearOp(const_cast<Node &>(node)))
    return visitLinear(node);
  llvm::StringRef op = node.getOpType();
  if (op == "Add" || op == "Sum" || op == "Concat")
    return visitJoin(node);
  if (isScalePreserving(node) || op == "AveragePool" ||
      op == "GlobalAveragePool")
    return visitPassThrough(node);
  if (op == "BatchNormalization" || f2f::classifyActivation(node, opset))
    return stop(node, op.str() + " is integerised together with the "
                                 "quantiser that follows it (requantise)");
  stop(node, op.str() + " is not scale-preserving");
}

void EpsAnalysis::visitLinear(const Node &node) {
  llvm::Optional<f2f::LinearOpInfo> info =
      f2f::matchLinearOp(const_cast<Node &>(node));
  llvm::StringRef op = node.getOpType();
  const Quantum *in = lookup(node.getInput(info->dataIndex));
  if (!in)
    return stop(node, op.str() + " input has no quantum");
  if (!in->isPerTensor())
    return stop(node, op.str() + " input has a per-channel quantum");
  Node *wq = f2f::getWeightQuantiser(*info);
  llvm::Optional<Quantum> w = wq ? quantumOfFakeQuant(*wq) : llvm::None;
  if (!w || !wq->getInput(0)->isInitializer())
    return stop(node, op.str() + " weight is not a fake-quantised constant");
  if (!w->isPerTensor() && w->axis != info->weightChannelAxis)
    return stop(node, op.str() + " weight quantum is per channel along axis " +
                          std::to_string(w->axis) +
                          ", not the output-channel axis");
  if (op == "ConvTranspose")
    return stop(node, "ConvTranspose is not integerised");
  if (op == "Gemm" && (node.getAttrInt("transA", 0) != 0 ||
                       node.getAttrFloat("alpha", 1.f) != 1.f ||
                       node.getAttrFloat("beta", 1.f) != 1.f))
    return stop(node, "Gemm with transA or alpha/beta other than 1");
  Value *bias = op == "MatMul" ? nullptr : node.getOptionalInput(2);
  if (bias && !bias->isInitializer())
    return stop(node, op.str() + " bias is not a constant");
  Quantum out;
  for (double e : w->eps)
    out.eps.push_back(in->eps[0] * e);
  int64_t rank = rankOf(node.getResult(0));
  out.axis = op == "MatMul" ? std::max<int64_t>(rank - 1, 0) : 1;
  if (op == "MatMul" && rank < 0 && !out.isPerTensor())
    return stop(node, "MatMul output rank unknown (run infer-shapes)");
  setQuantum(node.getResult(0), out);
}

void EpsAnalysis::visitJoin(const Node &node) {
  const Quantum *first = nullptr;
  for (Value *in : node.getInputs()) {
    if (!in)
      continue;
    const Quantum *q = lookup(in);
    if (!q)
      return stop(node, node.getOpType().str() + " operand '" +
                            in->getName().str() + "' has no quantum");
    if (!q->isPerTensor())
      return stop(node, node.getOpType().str() + " operand '" +
                            in->getName().str() +
                            "' has a per-channel quantum");
    if (first && !first->sameEps(*q))
      return stop(node, node.getOpType().str() +
                            " operands have different quanta (" + first->str() +
                            " and " + q->str() + "): run harmonise-adds");
    first = first ? first : q;
  }
  if (!first)
    return stop(node, "no operands");
  Quantum out = *first;
  if (!node.is("Concat"))
    out.grid.reset(); // a sum can leave the operands' grid
  for (Value *in : node.getInputs())
    if (in && out.grid &&
        (!lookup(in)->grid || lookup(in)->grid->zero != out.grid->zero ||
         lookup(in)->grid->nLevels != out.grid->nLevels))
      out.grid.reset();
  setQuantum(node.getResult(0), out);
}

void EpsAnalysis::visitPassThrough(const Node &node) {
  const Quantum *in = lookup(node.getInput(0));
  if (!in)
    return stop(node, node.getOpType().str() + " input has no quantum");
  Quantum out = *in;
  if (!in->isPerTensor() && isReshapeLike(node)) {
    llvm::Optional<int64_t> axis = reshapedAxis(node, *in);
    if (!axis)
      return stop(node, node.getOpType().str() +
                            " moves the channels of a per-channel quantum");
    out.axis = *axis;
  }
  if (node.is("Pad") && !in->isPerTensor()) {
    llvm::SmallVector<int64_t, 8> pads = node.getAttrInts("pads");
    Value *pv = node.getOptionalInput(1);
    if (pv && pv->getConstant()) {
      std::vector<int64_t> fromInput = pv->getConstant()->toInt64s();
      pads.assign(fromInput.begin(), fromInput.end());
    }
    int64_t rank = static_cast<int64_t>(pads.size()) / 2;
    if (pads.empty() || pads[in->axis] != 0 || pads[in->axis + rank] != 0)
      return stop(node, "Pad pads the channels of a per-channel quantum");
  }
  if (node.is("AveragePool") || node.is("GlobalAveragePool")) {
    // The mean of K values on eps is an exact multiple of eps / K: the
    // integer program keeps the window sum.
    llvm::Optional<int64_t> k = poolWindow(node);
    if (!k)
      return stop(node, node.getOpType().str() +
                            ": the window size is unknown or varies (pads "
                            "excluded from the count)");
    for (double &e : out.eps)
      e /= static_cast<double>(*k);
    out.grid.reset();
  }
  setQuantum(node.getResult(0), out);
}
