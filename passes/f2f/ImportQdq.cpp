//===- ImportQdq.cpp - ONNX QuantizeLinear/DequantizeLinear to FakeQuant --===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The inverse of export-qdq, for QDQ models produced elsewhere:
//
//   QuantizeLinear(x, s, zp) [-> Clip(lo, hi)] -> DequantizeLinear(., s, zp)
//       becomes FakeQuant(x, eps = s) with rounding=half_even,
//       zero = qmin - zp and n_levels = qmax - qmin + 1, where [qmin, qmax]
//       is the storage type's range narrowed by the Clip;
//   DequantizeLinear(Wq, s, zp) with Wq a constant int8/uint8/int16/uint16
//       becomes FakeQuant(W, s) of the float initializer W = (Wq - zp) * s,
//       so the weights stay marked as quantised (FakeQuant(W) == W);
//   DequantizeLinear(Bq, s) with Bq a constant int32 (a bias) becomes the
//       float initializer (Bq * s): no qlc grid has 2^32 levels.
//
// Both compute in float32 exactly as the DQ kernels do (x / s, round half
// to even, saturate; float(q - zp) * s), so the result agrees with the QDQ
// model bit for bit except on NaN inputs, which QuantizeLinear maps to the
// zero point and FakeQuant propagates, and on the sign of zero. Scales and
// zero points may be per tensor or per axis but must be constant (per axis
// with one zero point for all channels, since a grid has one zero). Pairs
// that do not match (different parameters, non-constant ones, blocked
// quantisation, zero-point types that differ, grids that exclude 0) are
// left alone and counted: the interpreter still runs them as they are.
// Graph output names survive. See docs/qdq.md.
//
//===----------------------------------------------------------------------===//

#include "f2f/ImportQdq.h"

#include "backends/QdqSupport.h"
#include "canonicalize/RewriteUtils.h"

#include "qlc/Quant/FakeQuantOp.h"
#include "qlc/Support/Error.h"

#include <cmath>

using namespace qlc;
using namespace qlc::backends;

namespace {

/// The constant parameters of one QuantizeLinear or DequantizeLinear.
struct QdqParams {
  Value *scaleValue = nullptr;
  const Tensor *scale = nullptr;
  /// One entry per scale entry (zeros when the zero point is omitted).
  std::vector<int64_t> zeroPoints;
  bool perAxis = false;
  int64_t axis = 1;
};

/// Reads the parameters of `n` whose integer side has `storage` type;
/// None when they are not constants or not of the forms qlc expresses.
llvm::Optional<QdqParams> readParams(const Node &n, ElementType storage) {
  if (n.getNumInputs() < 2 || n.getAttrInt("block_size", 0) != 0)
    return llvm::None;
  QdqParams p;
  p.scaleValue = lookThroughIdentity(n.getInput(1));
  p.scale = getFixedConstant(p.scaleValue);
  if (!p.scale || p.scale->getElementType() != ElementType::Float ||
      p.scale->getRank() > 1 || p.scale->getNumElements() == 0)
    return llvm::None;
  for (double s : p.scale->toDoubles())
    if (!(s > 0) || !std::isfinite(s))
      return llvm::None;
  p.perAxis = p.scale->getNumElements() != 1;
  p.axis = p.perAxis ? n.getAttrInt("axis", 1) : 1;
  Value *zpValue = n.getOptionalInput(2);
  if (!zpValue) {
    p.zeroPoints.assign(p.scale->getNumElements(), 0);
    return p;
  }
  const Tensor *zp = getFixedConstant(zpValue);
  if (!zp || zp->getElementType() != storage ||
      zp->getNumElements() != p.scale->getNumElements() || zp->getRank() > 1)
    return llvm::None;
  p.zeroPoints = zp->toInt64s();
  return p;
}

/// The one zero point of all channels, if they share it.
llvm::Optional<int64_t> getSharedZeroPoint(const QdqParams &p) {
  for (int64_t z : p.zeroPoints)
    if (z != p.zeroPoints.front())
      return llvm::None;
  return p.zeroPoints.front();
}

/// `axis` normalised against the rank of `v` when that is known.
int64_t normaliseAxis(int64_t axis, const Value &v) {
  if (axis < 0 && v.getType().hasRank())
    return axis + v.getType().getRank();
  return axis;
}

bool sameParams(const QdqParams &a, const QdqParams &b, const Value &x) {
  return haveSameValues(*a.scale, *b.scale) && a.zeroPoints == b.zeroPoints &&
         a.perAxis == b.perAxis &&
         (!a.perAxis || normaliseAxis(a.axis, x) == normaliseAxis(b.axis, x));
}

/// The scalar constant of an optional Clip bound of type `t`, or `dflt`
/// when omitted; None when it is not a constant of that type.
llvm::Optional<int64_t> readClipBound(const Node &clip, unsigned i,
                                      ElementType t, int64_t dflt) {
  Value *v = clip.getOptionalInput(i);
  if (!v)
    return dflt;
  const Tensor *c = getFixedConstant(v);
  if (!c || c->getElementType() != t || c->getNumElements() != 1)
    return llvm::None;
  return c->getAsInt64(0);
}

class ImportQdqPass : public PassBase<ImportQdqPass> {
public:
  static constexpr llvm::StringLiteral argument = "import-qdq";
  static constexpr llvm::StringLiteral summary =
      "Turn ONNX QuantizeLinear/DequantizeLinear pairs into qlc.FakeQuant";
  static constexpr llvm::StringLiteral description =
      "QuantizeLinear -> [integer Clip] -> DequantizeLinear with equal "
      "constant scale and zero point (per tensor, or per axis with one zero "
      "point) becomes FakeQuant(x, scale) with rounding=half_even, zero = "
      "qmin - zero_point, n_levels = qmax - qmin + 1; DequantizeLinear of a "
      "constant 8/16-bit integer initializer becomes a float initializer "
      "(q - zp) * scale read through a FakeQuant, of an int32 one (a bias) "
      "a plain float initializer. Bit-exact with the QDQ model except on "
      "NaN; graph output names survive; other patterns are left alone.";

  PassStatistic activationsImported{*this, "activations-imported",
                                    "QuantizeLinear/DequantizeLinear pairs "
                                    "turned into a FakeQuant"};
  PassStatistic clipsAbsorbed{*this, "clips-absorbed",
                              "integer Clips narrowing a grid"};
  PassStatistic weightsImported{*this, "weights-imported",
                                "quantised weight initializers turned into "
                                "float weights + FakeQuant"};
  PassStatistic biasesFolded{*this, "biases-folded",
                             "int32 initializers dequantised into float"};
  PassStatistic leftAlone{*this, "left-alone",
                          "DequantizeLinear nodes left as they are"};

  llvm::Expected<bool> run(Model &model) override {
    Graph &graph = model.getGraph();
    int64_t opset = model.getOpsetVersion("");
    std::vector<Node *> dqs;
    for (Node &n : graph.getNodes())
      if (n.is("DequantizeLinear"))
        dqs.push_back(&n);
    bool changed = false;
    for (Node *dq : dqs) {
      bool done = importConstant(graph, *dq) || importPair(graph, *dq, opset);
      changed |= done;
      if (!done)
        ++leftAlone;
    }
    if (changed)
      addQlcOpsetImport(model);
    return changed;
  }

private:
  /// Puts `with` in place of the DequantizeLinear's result, which keeps its
  /// name, and erases the DQ and the initializers only it read.
  static void replaceDequantize(Graph &graph, Node &dq, Value *with) {
    canonicalize::replaceTakingName(graph, dq.getResult(0), with);
    eraseIfDead(graph, &dq);
  }

  static Node *createQuantiser(Graph &graph, Node &dq, Value *x,
                               const QdqParams &p, const QuantGrid &grid) {
    FakeQuantAttrs attrs;
    attrs.grid = grid;
    attrs.axis = p.perAxis ? p.axis : 1;
    std::string name = !dq.getName().empty() ? dq.getName().str()
                                             : dq.getResult(0)->getName().str();
    Node *fq = createFakeQuant(graph, x, p.scaleValue, attrs, name,
                               dq.getResult(0)->getName(), &dq);
    fq->getResult(0)->setType(dq.getResult(0)->getType());
    return fq;
  }

  /// DequantizeLinear of a constant integer initializer.
  bool importConstant(Graph &graph, Node &dq) {
    const Tensor *q = getFixedConstant(dq.getInput(0));
    if (!q || !isIntegerType(q->getElementType()))
      return false;
    ElementType type = q->getElementType();
    bool isBias = type == ElementType::Int32;
    auto range = getQdqTypeRange(type);
    if (!isBias && !range)
      return false;
    llvm::Optional<QdqParams> p = readParams(dq, type);
    if (!p)
      return false;
    llvm::Expected<ChannelLayout> layout =
        resolveEpsLayout(q->getShape(), *p->scale, p->axis);
    if (!layout) {
      llvm::consumeError(layout.takeError());
      return false;
    }
    llvm::Optional<int64_t> zp = getSharedZeroPoint(*p);
    llvm::Optional<QuantGrid> grid;
    if (!isBias && zp)
      grid = gridFromQdq(*zp, range->first, range->second);
    if ((isBias && (!zp || *zp != 0)) || (!isBias && !grid))
      return false;
    Tensor w = dequantize(*q, *p, *layout);
    Value *init =
        graph.addInitializer(canonicalize::makeDerivedName(
                                 graph, dq.getInput(0)->getName(), "dequant"),
                             std::move(w));
    if (isBias) {
      replaceDequantize(graph, dq, init);
      ++biasesFolded;
      return true;
    }
    Node *fq = createQuantiser(graph, dq, init, *p, *grid);
    replaceDequantize(graph, dq, fq->getResult(0));
    ++weightsImported;
    return true;
  }

  /// float(q - zp) * scale in float32, as the DequantizeLinear kernel.
  static Tensor dequantize(const Tensor &q, const QdqParams &p,
                           const ChannelLayout &l) {
    Tensor w(ElementType::Float, q.getShape());
    std::vector<double> scale = p.scale->toDoubles();
    llvm::MutableArrayRef<float> out = w.getMutableData<float>();
    int64_t i = 0;
    for (int64_t o = 0; o < l.outer; ++o)
      for (int64_t c = 0; c < l.channels; ++c)
        for (int64_t k = 0; k < l.inner; ++k, ++i)
          out[i] = static_cast<float>(q.getAsInt64(i) - p.zeroPoints[c]) *
                   static_cast<float>(scale[c]);
    return w;
  }

  /// QuantizeLinear -> [Clip] -> DequantizeLinear.
  bool importPair(Graph &graph, Node &dq, int64_t opset) {
    Value *stored = dq.getInput(0);
    Node *producer = stored ? stored->getDefiningNode() : nullptr;
    Node *clip = nullptr;
    if (producer && producer->is("Clip") && opset >= 11) {
      clip = producer;
      producer =
          clip->getInput(0) ? clip->getInput(0)->getDefiningNode() : nullptr;
    }
    if (!producer || !producer->is("QuantizeLinear") ||
        producer->getNumInputs() < 2 || !producer->getInput(0))
      return false;
    Node &q = *producer;
    Value *x = q.getInput(0);
    if (x->getElementType() != ElementType::Float &&
        x->getElementType() != ElementType::Undefined)
      return false;
    // The zero point's type is the storage type; uint8 when it is omitted.
    Value *qzp = q.getOptionalInput(2);
    const Tensor *qzpValue = getFixedConstant(qzp);
    ElementType type = !qzp       ? ElementType::UInt8
                       : qzpValue ? qzpValue->getElementType()
                                  : ElementType::Undefined;
    auto range = getQdqTypeRange(type);
    llvm::Optional<QdqParams> qp = readParams(q, type);
    llvm::Optional<QdqParams> dp = readParams(dq, type);
    if (!range || !qp || !dp || !sameParams(*qp, *dp, *x))
      return false;
    int64_t lo = range->first, hi = range->second;
    if (clip) {
      llvm::Optional<int64_t> cmin = readClipBound(*clip, 1, type, lo);
      llvm::Optional<int64_t> cmax = readClipBound(*clip, 2, type, hi);
      if (!cmin || !cmax)
        return false;
      lo = std::max(lo, *cmin);
      hi = std::min(hi, *cmax);
    }
    llvm::Optional<int64_t> zp = getSharedZeroPoint(*dp);
    llvm::Optional<QuantGrid> grid =
        zp && lo < hi ? gridFromQdq(*zp, lo, hi) : llvm::None;
    if (!grid)
      return false;
    Node *fq = createQuantiser(graph, dq, x, *dp, *grid);
    replaceDequantize(graph, dq, fq->getResult(0));
    // The Clip and QuantizeLinear go when the DQ was their only reader.
    if (clip) {
      ++clipsAbsorbed;
      eraseIfDead(graph, clip);
    }
    eraseIfDead(graph, &q);
    ++activationsImported;
    return true;
  }
};

} // namespace

std::unique_ptr<Pass> qlc::f2f::createImportQdqPass() {
  return std::make_unique<ImportQdqPass>();
}
