//===- FakeQuantOp.cpp - The qlc.FakeQuant operator -----------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Attribute access, validation and a sequential reference implementation of
// qlc.FakeQuant, shared by the passes (constant weights, QDQ conversion) and
// the interpreter's kernel (which parallelises the same per-element rule).
//
//===----------------------------------------------------------------------===//

#include "qlc/Quant/FakeQuantOp.h"

#include "qlc/Support/Error.h"

#include <algorithm>
#include <cmath>

using namespace qlc;

bool qlc::isFakeQuant(const Node &node) {
  return node.getOpType() == kFakeQuantOpName && node.getDomain() == kQlcDomain;
}

void qlc::addQlcOpsetImport(Model &model) {
  if (model.getOpsetVersion(kQlcDomain) < 0)
    model.setOpsetVersion(kQlcDomain, 1);
}

void qlc::removeQlcOpsetImportIfUnused(Model &model) {
  for (const Node &n : model.getGraph().getNodes())
    if (n.getDomain() == kQlcDomain)
      return;
  auto &opsets = model.opsets;
  opsets.erase(std::remove_if(
                   opsets.begin(), opsets.end(),
                   [](const OpsetImport &o) { return o.domain == kQlcDomain; }),
               opsets.end());
}

llvm::Expected<FakeQuantAttrs> qlc::readFakeQuantAttrs(const Node &node) {
  FakeQuantAttrs attrs;
  if (!node.hasAttr("zero") || !node.hasAttr("n_levels"))
    return makeNodeError(node, "attributes 'zero' and 'n_levels' are required");
  attrs.grid.zero = node.getAttrInt("zero", 0);
  attrs.grid.nLevels = node.getAttrInt("n_levels", 0);
  if (!isValidGrid(attrs.grid.zero, attrs.grid.nLevels))
    return makeNodeError(node,
                         "invalid grid: zero " + llvm::Twine(attrs.grid.zero) +
                             ", n_levels " + llvm::Twine(attrs.grid.nLevels) +
                             " (need 2 <= n_levels <= 65536 and "
                             "-n_levels <= zero <= 0)");
  attrs.axis = node.getAttrInt("axis", 1);
  std::string rounding = node.getAttrString("rounding", "floor");
  llvm::Optional<Rounding> r = parseRounding(rounding);
  if (!r)
    return makeNodeError(node, "unknown rounding '" + rounding +
                                   "' (expected floor or half_even)");
  attrs.grid.rounding = *r;
  return attrs;
}

void qlc::writeFakeQuantAttrs(Node &node, const FakeQuantAttrs &attrs) {
  node.setAttr("zero", Attribute::getInt(attrs.grid.zero));
  node.setAttr("n_levels", Attribute::getInt(attrs.grid.nLevels));
  node.setAttr("axis", Attribute::getInt(attrs.axis));
  node.setAttr("rounding",
               Attribute::getString(getRoundingName(attrs.grid.rounding)));
}

Node *qlc::createFakeQuant(Graph &graph, Value *x, Value *eps,
                           const FakeQuantAttrs &attrs,
                           llvm::StringRef nodeName, llvm::StringRef resultHint,
                           Node *insertPt) {
  Node *fq = graph.createNode(kFakeQuantOpName, {x, eps}, resultHint,
                              kQlcDomain, insertPt);
  fq->setName(nodeName);
  writeFakeQuantAttrs(*fq, attrs);
  // The axis only means something for a per-channel eps.
  const Tensor *e = eps->getConstant();
  if (e && e->getNumElements() == 1 && e->getRank() <= 1)
    fq->removeAttr("axis");
  fq->getResult(0)->setType(x->getType());
  return fq;
}

llvm::Expected<ChannelLayout>
qlc::resolveEpsLayout(llvm::ArrayRef<int64_t> xShape, const Tensor &eps,
                      int64_t axis) {
  if (!isFloatType(eps.getElementType()))
    return makeError("eps must be a float tensor");
  for (double e : eps.toDoubles())
    if (!(e > 0) || !std::isfinite(e))
      return makeError("eps must be positive and finite, got " +
                       std::to_string(e));
  ChannelLayout l;
  l.outer = getNumElements(xShape);
  if (eps.getNumElements() == 1 && eps.getRank() <= 1)
    return l;
  int64_t rank = static_cast<int64_t>(xShape.size());
  if (axis < -rank || axis >= rank)
    return makeError("axis " + llvm::Twine(axis) +
                     " is out of range for rank " + llvm::Twine(rank));
  if (axis < 0)
    axis += rank;
  if (eps.getRank() != 1 || eps.getDim(0) != xShape[axis])
    return makeError("eps " + formatShape(eps.getShape()) +
                     " must be a scalar or 1-D with " +
                     llvm::Twine(xShape[axis]) + " elements (axis " +
                     llvm::Twine(axis) + ")");
  l.outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    l.outer *= xShape[d];
  l.channels = xShape[axis];
  for (int64_t d = axis + 1; d < rank; ++d)
    l.inner *= xShape[d];
  return l;
}

/// Calls fn(flatIndex, channel) for every element of X.
template <typename Fn>
static void forEachElement(const ChannelLayout &l, Fn fn) {
  int64_t i = 0;
  for (int64_t o = 0; o < l.outer; ++o)
    for (int64_t c = 0; c < l.channels; ++c)
      for (int64_t k = 0; k < l.inner; ++k, ++i)
        fn(i, c);
}

/// The layout of a float/double X against eps; errors otherwise.
static llvm::Expected<ChannelLayout>
checkOperands(const Tensor &x, const Tensor &eps, const FakeQuantAttrs &attrs) {
  ElementType type = x.getElementType();
  if (type != ElementType::Float && type != ElementType::Double)
    return makeError("FakeQuant input must be float or double");
  return resolveEpsLayout(x.getShape(), eps, attrs.axis);
}

llvm::Expected<Tensor> qlc::applyFakeQuant(const Tensor &x, const Tensor &eps,
                                           const FakeQuantAttrs &attrs) {
  ElementType type = x.getElementType();
  llvm::Expected<ChannelLayout> layout = checkOperands(x, eps, attrs);
  if (!layout)
    return layout.takeError();
  Tensor y(type, x.getShape());
  std::vector<double> e = eps.toDoubles();
  if (type == ElementType::Float) {
    llvm::ArrayRef<float> in = x.getData<float>();
    llvm::MutableArrayRef<float> out = y.getMutableData<float>();
    forEachElement(*layout, [&](int64_t i, int64_t c) {
      out[i] = fakeQuantize(in[i], static_cast<float>(e[c]), attrs.grid);
    });
  } else {
    llvm::ArrayRef<double> in = x.getData<double>();
    llvm::MutableArrayRef<double> out = y.getMutableData<double>();
    forEachElement(*layout, [&](int64_t i, int64_t c) {
      out[i] = fakeQuantize(in[i], e[c], attrs.grid);
    });
  }
  return y;
}

llvm::Expected<Tensor> qlc::quantizeToLevels(const Tensor &x, const Tensor &eps,
                                             const FakeQuantAttrs &attrs) {
  ElementType type = x.getElementType();
  llvm::Expected<ChannelLayout> layout = checkOperands(x, eps, attrs);
  if (!layout)
    return layout.takeError();
  Tensor q(ElementType::Int64, x.getShape());
  std::vector<double> e = eps.toDoubles();
  llvm::MutableArrayRef<int64_t> out = q.getMutableData<int64_t>();
  bool sawNan = false;
  forEachElement(*layout, [&](int64_t i, int64_t c) {
    double v = x.getAsDouble(i);
    if (std::isnan(v)) {
      sawNan = true;
      return;
    }
    out[i] = type == ElementType::Float
                 ? quantizeLevel(static_cast<float>(v),
                                 static_cast<float>(e[c]), attrs.grid)
                 : quantizeLevel(v, e[c], attrs.grid);
  });
  if (sawNan)
    return makeError("cannot quantise NaN to an integer level");
  return q;
}
