//===- IntegeriseLinear.cpp - Conv, Gemm and MatMul on integer images -----===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// QuantLib's LinearOpIntegeriser (and main/devel's bias rule) on tunnels:
//
//   T_in(eps_x -> eps_x) -> Conv(W = FakeQuant(W_f, eps_w), b) -> T_out...
//   becomes
//   T_in(eps_x -> 1, to int8/uint8) -> ConvInteger(W_int) [+ b_int] ->
//   T_out(1 -> eps_x * eps_w, to float)
//
// with W_int = the weight quantiser's integer levels (exactly W_q / eps_w)
// and b_int = round(b / (eps_x * eps_w[c])) in int32. Gemm (transA = 0,
// alpha = beta = 1) and 2-D MatMul become MatMulInteger with a [K, N]
// weight. The accumulator is int32; the result keeps the float op's value
// name so that the fake and the integer programs can be compared tensor by
// tensor. Operands are 8-bit (ConvInteger/MatMulInteger), except that a
// Gemm/MatMul reading a wide image (an average pool's exact sum) becomes an
// int32 MatMul; a Conv reading one is an error naming the node.
//
//===----------------------------------------------------------------------===//

#include "f2t/F2TSupport.h"
#include "f2t/Passes.h"

#include "f2f/F2FSupport.h"

#include "qlc/Support/Error.h"

#include <cmath>

using namespace qlc;
using namespace qlc::f2t;

namespace {

/// The integer weight of `wq` (FakeQuant of a constant) as int8, laid out
/// [K, N] for MatMulInteger when `toKN` and the float weight is [N, K].
llvm::Expected<Tensor> integerWeight(const Node &op, const Node &wq,
                                     bool transpose) {
  llvm::Expected<FakeQuantAttrs> attrs = readFakeQuantAttrs(wq);
  if (!attrs)
    return attrs.takeError();
  if (attrs->grid.getMin() < -128 || attrs->grid.getMax() > 127)
    return makeNodeError(op, "weight grid " + attrs->grid.str() +
                                 " does not fit int8 (ConvInteger and "
                                 "MatMulInteger take 8-bit weights)");
  llvm::Expected<Tensor> levels = quantizeToLevels(
      *wq.getInput(0)->getConstant(), *wq.getInput(1)->getConstant(), *attrs);
  if (!levels)
    return makeNodeError(op, llvm::toString(levels.takeError()));
  std::vector<int64_t> q = levels->toInt64s();
  llvm::SmallVector<int64_t, 4> shape(levels->getShape().begin(),
                                      levels->getShape().end());
  std::vector<int8_t> out(q.size());
  if (transpose) {
    int64_t n = shape[0], k = shape[1];
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < k; ++j)
        out[j * n + i] = static_cast<int8_t>(q[i * k + j]);
    std::swap(shape[0], shape[1]);
  } else {
    std::copy(q.begin(), q.end(), out.begin());
  }
  return Tensor::fromValues<int8_t>(shape, out);
}

class IntegeriseLinearPass : public PassBase<IntegeriseLinearPass> {
public:
  static constexpr llvm::StringLiteral argument = "integerise-linear";
  static constexpr llvm::StringLiteral summary =
      "Turn Conv, Gemm and MatMul between eps tunnels into integer ops";
  static constexpr llvm::StringLiteral description =
      "Between an input tunnel and output tunnels, a linear op with a "
      "fake-quantised constant weight becomes ConvInteger/MatMulInteger on "
      "int8 weight levels with an int32 bias round(b / (eps_in * eps_w)); "
      "the tunnels' inner quanta become 1.";

  PassStatistic rewritten{*this, "integerised", "linear ops integerised"};

  llvm::Expected<bool> run(Model &model) override {
    Graph &graph = model.getGraph();
    layers = llvm::json::Array();
    llvm::SmallVector<Node *, 16> candidates;
    for (Node &n : graph.getNodes())
      if (f2f::matchLinearOp(n))
        candidates.push_back(&n);
    bool changed = false;
    for (Node *n : candidates) {
      llvm::Expected<bool> done = integerise(model, *n);
      if (!done)
        return done.takeError();
      changed |= *done;
    }
    if (changed)
      eraseDeadConstants(graph);
    return changed;
  }

  llvm::json::Value getReport() const override {
    return llvm::json::Object{{"layers", llvm::json::Array(layers)}};
  }

private:
  llvm::json::Array layers;

  llvm::Expected<bool> integerise(Model &model, Node &op) {
    Graph &graph = model.getGraph();
    llvm::Optional<f2f::LinearOpInfo> info = f2f::matchLinearOp(op);
    Node *tin = op.getInput(info->dataIndex)->getDefiningNode();
    Node *wq = f2f::getWeightQuantiser(*info);
    llvm::Optional<TunnelView> in = tin ? viewTunnel(*tin) : llvm::None;
    if (!in || !wq || !wq->getInput(0)->isInitializer() ||
        !isReadOnlyByTunnels(*op.getResult(0)) || in->epsOut.size() != 1 ||
        !tin->getResult(0)->hasOneUse())
      return false;
    llvm::StringRef kind = op.getOpType();
    if (kind == "ConvTranspose" ||
        (kind == "Gemm" &&
         (op.getAttrInt("transA", 0) || op.getAttrFloat("alpha", 1.f) != 1.f ||
          op.getAttrFloat("beta", 1.f) != 1.f)) ||
        (kind == "MatMul" && rankOf(op.getInput(1)) != 2))
      return false;

    // The integer image of the input: 8-bit on a quantiser's grid, or a
    // wide sum (an average pool's) that only an int32 MatMul can take.
    // A float tunnel output is the fake value (eps may well be 1, e.g. raw
    // 0..255 pixels): it becomes the integer image here.
    bool fromFake = isFloatType(in->to);
    ElementType imageType = in->to;
    if (fromFake) {
      llvm::Optional<QuantGrid> grid = findImageGrid(model, tin->getInput(0));
      imageType = grid ? integerTypeForGrid(*grid) : ElementType::Int32;
    }
    bool narrow =
        imageType == ElementType::UInt8 || imageType == ElementType::Int8;
    if (!narrow && kind == "Conv")
      return makeNodeError(op, "input image is " +
                                   getElementTypeName(imageType).str() +
                                   " (an average pool's sum, or a grid over "
                                   "8 bits); ConvInteger takes 8-bit "
                                   "operands: quantise the input");
    if (!narrow)
      imageType = ElementType::Int32;
    double epsX = fromFake ? in->epsOut[0] : in->epsIn[0];
    std::vector<double> epsW = wq->getInput(1)->getConstant()->toDoubles();

    bool transpose = kind == "Gemm" && op.getAttrInt("transB", 0);
    llvm::Expected<Tensor> wInt = integerWeight(op, *wq, transpose);
    if (!wInt)
      return wInt.takeError();
    if (!narrow)
      *wInt = wInt->castTo(ElementType::Int32);

    // Input tunnel: fake value -> integer image.
    if (fromFake)
      setTunnel(*tin, in->epsIn, {1.0}, imageType);

    std::string base = f2f::getLayerName(op).str();
    Value *w = graph.addInitializer(graph.makeUniqueName(base + "_w_int"),
                                    std::move(*wInt));
    Node *intOp;
    if (kind == "Conv") {
      intOp = graph.createNode("ConvInteger", {tin->getResult(0), w},
                               llvm::StringRef(base + "_acc"), "", &op);
      for (const NamedAttribute &a : op.getAttrs())
        intOp->setAttr(a.name, a.value);
    } else {
      intOp = graph.createNode(narrow ? "MatMulInteger" : "MatMul",
                               {tin->getResult(0), w},
                               llvm::StringRef(base + "_acc"), "", &op);
    }
    intOp->setName(op.getName());
    Value *acc = intOp->getResult(0);
    TensorType accType = op.getResult(0)->getType();
    accType.setElementType(ElementType::Int32);
    acc->setType(accType);

    Value *bias = kind == "MatMul" ? nullptr : op.getOptionalInput(2);
    llvm::json::Object entry{{"layer", base},
                             {"op", kind.str()},
                             {"eps_in", epsX},
                             {"eps_w", llvm::json::Array(epsW)}};
    if (bias) {
      llvm::Expected<Value *> b = integerBias(op, *bias, epsX, epsW);
      if (!b)
        return b.takeError();
      Node *add = graph.createNode(
          "Add", {acc, *b}, llvm::StringRef(base + "_acc_bias"), "", &op);
      add->setName(graph.makeUniqueName(base + "_bias"));
      add->getResult(0)->setType(accType);
      acc = add->getResult(0);
      entry["bias_int"] = llvm::json::Array((*b)->getConstant()->toInt64s());
    }

    // Output tunnels: integer accumulator -> fake value.
    retargetTunnels(*op.getResult(0), acc);
    std::string name = op.getResult(0)->getName().str();
    graph.eraseNode(&op);
    graph.renameValue(acc, name);
    if (!wq->getResult(0)->isLive())
      graph.eraseNode(wq);
    layers.push_back(std::move(entry));
    ++rewritten;
    return true;
  }

  /// round(b / (eps_x * eps_w[c])) as an int32 constant shaped to add to
  /// the accumulator ([C, 1, 1] after a convolution, [C] after a Gemm).
  llvm::Expected<Value *> integerBias(const Node &op, Value &bias, double epsX,
                                      llvm::ArrayRef<double> epsW) {
    std::vector<double> b = bias.getConstant()->toDoubles();
    std::vector<int32_t> q(b.size());
    for (size_t c = 0; c < b.size(); ++c) {
      double e = epsX * epsW[epsW.size() == 1 ? 0 : c];
      double r = std::nearbyint(b[c] / e);
      if (!(std::fabs(r) < 2147483647.0))
        return makeNodeError(op, "bias " + llvm::Twine(c) +
                                     " does not fit int32 on the accumulator "
                                     "quantum");
      q[c] = static_cast<int32_t>(r);
    }
    llvm::SmallVector<int64_t, 4> shape{static_cast<int64_t>(b.size())};
    int64_t rank = rankOf(op.getResult(0));
    if (op.is("Conv"))
      shape.append(std::max<int64_t>(rank - 2, 0), 1);
    Graph &graph = op.getGraph();
    return graph.addInitializer(
        graph.makeUniqueName(f2f::getLayerName(op).str() + "_b_int"),
        Tensor::fromValues<int32_t>(shape, q));
  }
};

} // namespace

std::unique_ptr<Pass> qlc::f2t::createIntegeriseLinearPass() {
  return std::make_unique<IntegeriseLinearPass>();
}
