//===- ExportQdq.cpp - qlc.FakeQuant to ONNX QuantizeLinear/DequantizeLinear =//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Rewrites every qlc.FakeQuant into standard ONNX (opset 13) so that any
// QDQ-aware runtime can execute the fake-quantised model:
//
//   weights      FakeQuant(W, eps) with W a constant: the integer levels are
//                stored as an int8/uint8 initializer Wq and only
//                DequantizeLinear(Wq, eps, zp) remains. Exact: both compute
//                float(q) * eps in float32.
//   activations  QuantizeLinear(x, eps, zp) [-> Clip(lo, hi)] ->
//                DequantizeLinear(., eps, zp); the integer Clip saturates
//                grids narrower than the storage type (4-bit: [-8, 7]).
//                Exact for rounding=half_even (ONNX rounds half to even);
//                rounding=floor becomes half-even, one quantum above the
//                floor level where x/eps has a fractional part above 1/2,
//                unless floor-compensation=true, which computes the floor
//                level in float first (Sub, Div, Floor, Add, Mul) so that
//                QuantizeLinear recovers it exactly.
//
// NaN is the one input on which QDQ and FakeQuant differ beyond the sign
// of a zero: QuantizeLinear maps it to the zero point. The storage rule
// (QdqSupport.h) rejects grids of more than 256 levels. The model's ONNX
// opset is raised to 13 when lower (OpsetUpgrade.h); every FakeQuant is
// validated before anything changes. See docs/qdq.md.
//
//===----------------------------------------------------------------------===//

#include "backends/OpsetUpgrade.h"
#include "backends/Passes.h"
#include "backends/QdqSupport.h"
#include "canonicalize/RewriteUtils.h"

#include "qlc/Quant/FakeQuantOp.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <algorithm>

using namespace qlc;
using namespace qlc::backends;

namespace {

/// One FakeQuant and how it will be exported, decided before any change.
struct QuantiserPlan {
  Node *fq = nullptr;
  FakeQuantAttrs attrs;
  QdqStorage storage;
  Value *eps = nullptr;
  const Tensor *epsValue = nullptr;
  bool perChannel = false;
  /// X is a constant: store its levels (computed when planning, so that a
  /// bad weight fails before anything changes).
  bool isWeight = false;
  Tensor weightLevels;
  /// Floor rounding computed exactly before QuantizeLinear.
  bool compensateFloor = false;
  /// The channel axis, normalised when X's rank is known.
  int64_t axis = 1;
};

/// Creates the QDQ nodes and shares their constant operands.
class QdqBuilder {
public:
  explicit QdqBuilder(Graph &graph) : graph(graph) {}

  /// eps as a QuantizeLinear scale: a float scalar per tensor (ONNX's
  /// canonical per-tensor form), the 1-D eps itself per channel.
  Value *getScale(const QuantiserPlan &p) {
    Value *&cached = scales[p.eps];
    if (cached)
      return cached;
    const Tensor &e = *p.epsValue;
    if (p.perChannel || e.getRank() == 0)
      return cached = p.eps;
    return cached = addConstant(p.eps->getName(), "scalar",
                                Tensor::scalar<float>(float(e.getAsDouble(0))));
  }

  /// A zero point of `type` with `count` entries (0: a scalar).
  Value *getZeroPoint(ElementType type, int64_t zp, int64_t count) {
    std::string name = "zp_" + getElementTypeName(type).str() + "_" +
                       formatInt(zp) +
                       (count ? "_x" + std::to_string(count) : "");
    Value *&cached = constants[name];
    if (!cached) {
      Tensor t(type, count ? llvm::ArrayRef<int64_t>(count)
                           : llvm::ArrayRef<int64_t>());
      for (int64_t i = 0, e = t.getNumElements(); i < e; ++i)
        t.setFromDouble(i, double(zp));
      cached = graph.addInitializer(graph.makeUniqueName(name), std::move(t));
    }
    return cached;
  }

  /// A scalar integer of `type` (Clip bounds).
  Value *getIntScalar(ElementType type, int64_t v) {
    std::string name = getElementTypeName(type).str() + "_" + formatInt(v);
    Value *&cached = constants[name];
    if (!cached) {
      Tensor t(type, {});
      t.setFromDouble(0, double(v));
      cached = graph.addInitializer(graph.makeUniqueName(name), std::move(t));
    }
    return cached;
  }

  /// "m8" for -8: names stay identifiers of ONNX's textual syntax.
  static std::string formatInt(int64_t v) {
    return v < 0 ? "m" + std::to_string(-v) : std::to_string(v);
  }

  Value *addConstant(llvm::StringRef base, llvm::StringRef suffix, Tensor t) {
    return graph.addInitializer(
        canonicalize::makeDerivedName(graph, base, suffix), std::move(t));
  }

  Node *create(llvm::StringRef op, llvm::ArrayRef<Value *> operands,
               llvm::StringRef resultHint, llvm::StringRef nodeName,
               TensorType type, Node *insertPt) {
    Node *n = graph.createNode(op, operands, resultHint, "", insertPt);
    n->setName(nodeName);
    n->getResult(0)->setType(std::move(type));
    return n;
  }

private:
  Graph &graph;
  llvm::DenseMap<Value *, Value *> scales;
  llvm::StringMap<Value *> constants;
};

/// X's type with another element type (same shape).
TensorType withElementType(const TensorType &t, ElementType e) {
  TensorType r = t;
  r.setElementType(e);
  return r;
}

class ExportQdqPass : public PassBase<ExportQdqPass> {
public:
  static constexpr llvm::StringLiteral argument = "export-qdq";
  static constexpr llvm::StringLiteral summary =
      "Rewrite qlc.FakeQuant as ONNX QuantizeLinear/DequantizeLinear "
      "(opset 13)";
  static constexpr llvm::StringLiteral description =
      "Constant weights become int8/uint8 initializers read by a "
      "DequantizeLinear; activations become QuantizeLinear -> [integer Clip "
      "for grids narrower than the type] -> DequantizeLinear. Exact for "
      "weights and half_even quantisers (up to NaN, which QuantizeLinear "
      "maps to the zero point); floor quantisers round half to even instead "
      "(at most one quantum higher) unless floor-compensation=true. Grids "
      "of more than 256 levels, double-precision and non-constant eps are "
      "errors. Raises the ONNX opset to 13 when lower, refusing models whose "
      "ops cannot be upgraded. See docs/qdq.md.";

  Option<bool> floorCompensation{
      *this, "floor-compensation",
      "export floor-rounding activation quantisers exactly: compute "
      "floor((x - lo) / eps) with Sub/Div/Floor/Add/Mul before "
      "QuantizeLinear (5 more float ops each)",
      false};

  PassStatistic weightsExported{*this, "weights-exported",
                                "weight quantisers stored as integer "
                                "initializers + DequantizeLinear"};
  PassStatistic halfEvenExported{*this, "half-even-exported",
                                 "half-even activation quantisers exported "
                                 "exactly as QuantizeLinear/DequantizeLinear"};
  PassStatistic floorApproximated{*this, "floor-approximated",
                                  "floor activation quantisers exported with "
                                  "half-even rounding (within one quantum)"};
  PassStatistic floorCompensated{*this, "floor-compensated",
                                 "floor activation quantisers exported "
                                 "exactly with floor-compensation"};
  PassStatistic clipsInserted{*this, "clips-inserted",
                              "integer Clips for grids narrower than int8 or "
                              "uint8"};
  PassStatistic opsetRaised{*this, "opset-raised",
                            "models raised to ONNX opset 13"};

  llvm::Expected<bool> run(Model &model) override {
    Graph &graph = model.getGraph();
    std::vector<QuantiserPlan> plans;
    for (Node &n : graph.getNodes()) {
      if (!isFakeQuant(n))
        continue;
      llvm::Expected<QuantiserPlan> plan = planQuantiser(n);
      if (!plan)
        return plan.takeError();
      plans.push_back(*plan);
    }
    if (plans.empty())
      return false;
    llvm::Expected<bool> raised = raiseOnnxOpsetTo13(model);
    if (!raised)
      return raised.takeError();
    if (*raised)
      ++opsetRaised;
    QdqBuilder builder(graph);
    for (const QuantiserPlan &p : plans)
      exportQuantiser(graph, builder, p);
    removeQlcOpsetImportIfUnused(model);
    return true;
  }

private:
  llvm::Expected<QuantiserPlan> planQuantiser(Node &fq) const {
    QuantiserPlan p;
    p.fq = &fq;
    llvm::Expected<FakeQuantAttrs> attrs = readFakeQuantAttrs(fq);
    if (!attrs)
      return attrs.takeError();
    p.attrs = *attrs;
    if (fq.getNumInputs() != 2 || !fq.getInput(0) || !fq.getInput(1))
      return makeNodeError(fq, "expected inputs X and eps");
    llvm::Expected<QdqStorage> storage = chooseQdqStorage(p.attrs.grid);
    if (!storage)
      return makeNodeError(fq, "cannot export to QDQ: " +
                                   llvm::toString(storage.takeError()));
    p.storage = *storage;
    p.eps = lookThroughIdentity(fq.getInput(1));
    p.epsValue = getFixedConstant(p.eps);
    if (!p.epsValue)
      return makeNodeError(fq, "cannot export to QDQ: eps must be a constant "
                               "initializer");
    if (p.epsValue->getElementType() != ElementType::Float ||
        (fq.getInput(0)->getElementType() != ElementType::Float &&
         fq.getInput(0)->getElementType() != ElementType::Undefined))
      return makeNodeError(fq, "cannot export to QDQ: opset-13 "
                               "DequantizeLinear computes in float32; X and "
                               "eps must be float");
    p.perChannel =
        !(p.epsValue->getNumElements() == 1 && p.epsValue->getRank() <= 1);
    if (p.perChannel && p.epsValue->getRank() != 1)
      return makeNodeError(fq, "eps " + formatShape(p.epsValue->getShape()) +
                                   " must be a scalar or 1-D");
    const TensorType &xType = fq.getInput(0)->getType();
    p.axis = p.attrs.axis;
    if (p.perChannel && xType.hasRank()) {
      int64_t rank = xType.getRank();
      if (p.axis < -rank || p.axis >= rank)
        return makeNodeError(fq, "axis " + llvm::Twine(p.axis) +
                                     " is out of range for rank " +
                                     llvm::Twine(rank));
      if (p.axis < 0)
        p.axis += rank;
    }
    if (const Tensor *w = getFixedConstant(fq.getInput(0))) {
      p.isWeight = true;
      llvm::Expected<Tensor> levels =
          quantizeToLevels(*w, *p.epsValue, p.attrs);
      if (!levels)
        return makeNodeError(fq, llvm::toString(levels.takeError()));
      p.weightLevels = std::move(*levels);
    }
    p.compensateFloor = !p.isWeight && floorCompensation &&
                        p.attrs.grid.rounding == Rounding::Floor;
    if (p.compensateFloor && p.perChannel && !xType.hasRank())
      return makeNodeError(fq, "floor-compensation of a per-channel "
                               "quantiser needs X's rank (run infer-shapes "
                               "first)");
    return p;
  }

  /// Names derived from the FakeQuant: its node name, else its result.
  static std::string baseName(const Node &fq) {
    return !fq.getName().empty() ? fq.getName().str()
                                 : fq.getResult(0)->getName().str();
  }

  void setAxis(Node &n, const QuantiserPlan &p) const {
    if (p.perChannel)
      n.setAttr("axis", Attribute::getInt(p.axis));
  }

  void exportQuantiser(Graph &graph, QdqBuilder &b, const QuantiserPlan &p) {
    Node &fq = *p.fq;
    Value *scale = b.getScale(p);
    Value *zp = b.getZeroPoint(p.storage.type, p.storage.zeroPoint,
                               p.perChannel ? p.epsValue->getNumElements() : 0);
    std::string base = baseName(fq);
    Value *integers = nullptr;
    if (p.isWeight) {
      integers = storeWeightLevels(b, p);
      ++weightsExported;
    } else {
      integers = quantiseActivation(b, p, scale, zp, base);
    }
    Node *dq = b.create("DequantizeLinear", {integers, scale, zp},
                        fq.getResult(0)->getName(), base,
                        fq.getResult(0)->getType(), &fq);
    setAxis(*dq, p);
    canonicalize::replaceTakingName(graph, fq.getResult(0), dq->getResult(0));
    eraseIfDead(graph, &fq);
  }

  /// Wq = levels + zero point, in the storage type.
  static Value *storeWeightLevels(QdqBuilder &b, const QuantiserPlan &p) {
    const Tensor &levels = p.weightLevels;
    Tensor stored(p.storage.type, levels.getShape());
    llvm::ArrayRef<int64_t> q = levels.getData<int64_t>();
    for (int64_t i = 0, e = stored.getNumElements(); i < e; ++i)
      stored.setFromDouble(i, double(q[i] + p.storage.zeroPoint));
    return b.addConstant(p.fq->getInput(0)->getName(), "quant",
                         std::move(stored));
  }

  /// QuantizeLinear [-> Clip]: the stored integers of an activation.
  Value *quantiseActivation(QdqBuilder &b, const QuantiserPlan &p, Value *scale,
                            Value *zp, const std::string &base) {
    Node &fq = *p.fq;
    Value *x = fq.getInput(0);
    Value *in = x;
    if (p.compensateFloor) {
      in = buildFloorLevels(b, p, scale, base);
      ++floorCompensated;
    } else if (p.attrs.grid.rounding == Rounding::Floor) {
      ++floorApproximated;
    } else {
      ++halfEvenExported;
    }
    TensorType intType = withElementType(x->getType(), p.storage.type);
    Node *q = b.create("QuantizeLinear", {in, scale, zp},
                       fq.getResult(0)->getName().str() + "_quant",
                       base + "_quant", intType, &fq);
    setAxis(*q, p);
    if (!p.storage.needsClip())
      return q->getResult(0);
    Node *clip = b.create("Clip",
                          {q->getResult(0),
                           b.getIntScalar(p.storage.type, p.storage.clipLo),
                           b.getIntScalar(p.storage.type, p.storage.clipHi)},
                          fq.getResult(0)->getName().str() + "_clip",
                          base + "_clip", intType, &fq);
    ++clipsInserted;
    return clip->getResult(0);
  }

  /// (floor((x - lo) / eps) + zero) * eps, which QuantizeLinear divides by
  /// eps and rounds back to the level exactly (docs/qdq.md has the proof);
  /// the saturation of QuantizeLinear and the Clip replace QuantLib's
  /// clamps. lo = zero * eps in float, as the kernel computes it.
  Value *buildFloorLevels(QdqBuilder &b, const QuantiserPlan &p, Value *scale,
                          const std::string &base) {
    Node &fq = *p.fq;
    Value *x = fq.getInput(0);
    const TensorType &floatType = fq.getResult(0)->getType();
    int64_t zero = p.attrs.grid.zero;
    // Per channel, eps and lo broadcast as [C, 1, ..., 1] from the axis.
    Shape bshape;
    if (p.perChannel) {
      bshape.push_back(p.epsValue->getNumElements());
      bshape.append(x->getType().getRank() - 1 - p.axis, 1);
    }
    Tensor epsB(ElementType::Float, bshape), loB(ElementType::Float, bshape);
    for (int64_t i = 0, e = epsB.getNumElements(); i < e; ++i) {
      float ep = static_cast<float>(p.epsValue->getAsDouble(i));
      epsB.getMutableData<float>()[i] = ep;
      loB.getMutableData<float>()[i] = static_cast<float>(zero) * ep;
    }
    Value *epsV =
        p.perChannel ? b.addConstant(base, "eps", std::move(epsB)) : scale;
    std::string hint = fq.getResult(0)->getName().str();
    auto op = [&](llvm::StringRef type, Value *lhs, Value *rhs,
                  llvm::StringRef suffix) {
      std::vector<Value *> operands{lhs};
      if (rhs)
        operands.push_back(rhs);
      return b
          .create(type, operands, hint + "_" + suffix.str(),
                  base + "_" + suffix.str(), floatType, &fq)
          ->getResult(0);
    };
    Value *v = x;
    if (zero != 0)
      v = op("Sub", v, b.addConstant(base, "lo", std::move(loB)), "shifted");
    v = op("Floor", op("Div", v, epsV, "scaled"), nullptr, "floor");
    if (zero != 0)
      v = op("Add", v,
             b.addConstant(base, "zero", Tensor::scalar<float>(float(zero))),
             "level");
    return op("Mul", v, epsV, "snapped");
  }
};

} // namespace

std::unique_ptr<Pass> qlc::backends::createExportQdqPass() {
  return std::make_unique<ExportQdqPass>();
}
