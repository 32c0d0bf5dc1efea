//===- RangeAnalysis.cpp - Worst-case ranges of integer values ------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "f2t/RangeAnalysis.h"

#include <algorithm>

using namespace qlc;
using namespace qlc::f2t;

namespace {

constexpr int64_t kUnbounded = int64_t(1) << 62;

int64_t clampBound(__int128 v) {
  if (v > kUnbounded)
    return kUnbounded;
  if (v < -kUnbounded)
    return -kUnbounded;
  return static_cast<int64_t>(v);
}

ValueRange perTensor(int64_t lo, int64_t hi) {
  ValueRange r;
  r.bounds = {{lo, hi}};
  return r;
}

ValueRange hullOf(const ValueRange &r) {
  auto [lo, hi] = r.hull();
  return perTensor(lo, hi);
}

/// A constant's range: per channel when exactly one dimension is > 1
/// (a bias shaped [C, 1, 1] or [C]), placed on the axis it broadcasts to in
/// a result of rank `outRank`.
ValueRange constantRange(const Tensor &t, int64_t outRank) {
  std::vector<int64_t> v = t.toInt64s();
  int64_t nonUnit = -1, count = 0;
  for (int64_t d = 0; d < t.getRank(); ++d)
    if (t.getShape()[d] > 1) {
      nonUnit = d;
      ++count;
    }
  if (count == 1 && outRank >= t.getRank()) {
    ValueRange r;
    r.axis = outRank - t.getRank() + nonUnit;
    for (int64_t x : v)
      r.bounds.emplace_back(x, x);
    return r;
  }
  if (v.empty())
    return perTensor(0, 0);
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return perTensor(*lo, *hi);
}

/// Element-wise sum of two ranges (per channel where either is).
llvm::Optional<ValueRange> addRanges(const ValueRange &a, const ValueRange &b) {
  if (!a.isPerTensor() && !b.isPerTensor() &&
      (a.axis != b.axis || a.bounds.size() != b.bounds.size()))
    return addRanges(hullOf(a), hullOf(b));
  const ValueRange &shape = a.isPerTensor() ? b : a;
  ValueRange r;
  r.axis = shape.axis;
  for (size_t c = 0; c < shape.bounds.size(); ++c)
    r.bounds.emplace_back(
        clampBound(__int128(a.channel(c).first) + b.channel(c).first),
        clampBound(__int128(a.channel(c).second) + b.channel(c).second));
  return r;
}

} // namespace

std::pair<int64_t, int64_t> ValueRange::hull() const {
  int64_t lo = bounds[0].first, hi = bounds[0].second;
  for (auto [l, h] : bounds) {
    lo = std::min(lo, l);
    hi = std::max(hi, h);
  }
  return {lo, hi};
}

unsigned f2t::signedBitsFor(int64_t lo, int64_t hi) {
  unsigned bits = 1;
  while (bits < 64 && (lo < -(int64_t(1) << (bits - 1)) ||
                       hi > (int64_t(1) << (bits - 1)) - 1))
    ++bits;
  return bits;
}

unsigned ValueRange::signedBits() const {
  auto [lo, hi] = hull();
  return signedBitsFor(lo, hi);
}

llvm::Optional<ValueRange> RangeAnalysis::get(const Value *v) {
  auto it = cache.find(v);
  if (it != cache.end())
    return it->second;
  llvm::Optional<ValueRange> r = compute(v);
  cache[v] = r;
  return r;
}

llvm::Optional<ValueRange> RangeAnalysis::compute(const Value *v) {
  ElementType type = elementTypeOf(v);
  if (!isIntegerType(type))
    return llvm::None;
  auto [tlo, thi] = integerTypeRange(type);
  ValueRange typeRange =
      perTensor(std::max(tlo, -kUnbounded), std::min(thi, kUnbounded));
  if (v->isInitializer())
    return constantRange(*v->getConstant(), rankOf(v));
  if (v->isGraphInput()) {
    llvm::Optional<Quantum> q = getInputQuantisation(model, v->getName());
    if (q && q->grid)
      return perTensor(q->grid->getMin(), q->grid->getMax());
    return typeRange;
  }
  const Node &n = *v->getDefiningNode();
  if (isRequant(n)) {
    llvm::Expected<RequantAttrs> a = readRequantAttrs(n);
    if (!a) {
      llvm::consumeError(a.takeError());
      return typeRange;
    }
    return perTensor(a->lo, a->hi);
  }
  if (isEpsTunnel(n)) {
    llvm::Optional<TunnelView> t = viewTunnel(const_cast<Node &>(n));
    if (t && isUnitEps(t->epsIn) && isUnitEps(t->epsOut))
      if (llvm::Optional<ValueRange> in = get(n.getInput(0)))
        return in;
    if (llvm::Optional<QuantGrid> g = findImageGrid(model, n.getInput(0)))
      return perTensor(g->getMin(), g->getMax());
    return typeRange;
  }
  if (n.is("ConvInteger") || n.is("MatMulInteger") || n.is("MatMul"))
    return computeLinear(n);
  if (n.is("Add") || n.is("Sum")) {
    llvm::Optional<ValueRange> acc = get(n.getInput(0));
    for (unsigned i = 1; acc && i < n.getNumInputs(); ++i) {
      llvm::Optional<ValueRange> b = get(n.getInput(i));
      acc = b ? addRanges(*acc, *b) : llvm::None;
    }
    return acc;
  }
  if (n.is("ReduceSum")) {
    // The reduced dims: known in the input, 1 in the (keepdims) output.
    llvm::ArrayRef<Dim> in0 = n.getInput(0)->getType().getDims();
    llvm::ArrayRef<Dim> out = v->getType().getDims();
    llvm::Optional<ValueRange> in = get(n.getInput(0));
    if (!in || in0.size() != out.size())
      return llvm::None;
    int64_t count = 1;
    for (size_t d = 0; d < in0.size(); ++d)
      if (!(in0[d] == out[d])) {
        if (!in0[d].isKnown())
          return llvm::None;
        count *= in0[d].size;
      }
    ValueRange r = *in;
    for (auto &[lo, hi] : r.bounds) {
      lo = clampBound(__int128(lo) * count);
      hi = clampBound(__int128(hi) * count);
    }
    return r;
  }
  if (n.is("Concat")) {
    llvm::Optional<ValueRange> acc;
    for (Value *in : n.getInputs()) {
      llvm::Optional<ValueRange> r = in ? get(in) : llvm::None;
      if (!r)
        return llvm::None;
      auto [lo, hi] = r->hull();
      acc = acc ? perTensor(std::min(acc->bounds[0].first, lo),
                            std::max(acc->bounds[0].second, hi))
                : perTensor(lo, hi);
    }
    return acc;
  }
  if (n.is("Cast") || n.is("Relu") || isScalePreserving(n)) {
    llvm::Optional<ValueRange> in = get(n.getInput(0));
    if (!in)
      return typeRange;
    ValueRange r = *in;
    bool keepsChannels = n.is("Cast") || n.is("MaxPool") ||
                         n.is("GlobalMaxPool") || n.is("Relu") ||
                         n.is("Identity") || n.is("Dropout");
    if (!keepsChannels)
      r = hullOf(r);
    for (auto &[lo, hi] : r.bounds) {
      if (n.is("Relu"))
        lo = std::max<int64_t>(lo, 0);
      if (n.is("Pad")) {
        lo = std::min<int64_t>(lo, 0);
        hi = std::max<int64_t>(hi, 0);
      }
    }
    return r;
  }
  return typeRange;
}

llvm::Optional<ValueRange> RangeAnalysis::computeLinear(const Node &n) {
  llvm::Optional<ValueRange> x = get(n.getInput(0));
  const Tensor *w = n.getInput(1) ? n.getInput(1)->getConstant() : nullptr;
  if (!x || !w || w->getRank() < 2)
    return llvm::None;
  // Zero padding reads zeros: the range must include 0.
  auto [xlo, xhi] = x->hull();
  xlo = std::min<int64_t>(xlo, 0);
  xhi = std::max<int64_t>(xhi, 0);
  std::vector<int64_t> wv = w->toInt64s();
  bool isConv = n.is("ConvInteger");
  int64_t channels = isConv ? w->getShape()[0] : w->getShape()[1];
  int64_t perChannel = static_cast<int64_t>(wv.size()) / channels;
  ValueRange r;
  r.axis = isConv ? 1 : std::max<int64_t>(rankOf(n.getResult(0)) - 1, 0);
  r.bounds.assign(channels, {0, 0});
  for (int64_t c = 0; c < channels; ++c) {
    __int128 lo = 0, hi = 0;
    for (int64_t k = 0; k < perChannel; ++k) {
      int64_t wk = isConv ? wv[c * perChannel + k] : wv[k * channels + c];
      __int128 a = __int128(wk) * xlo, b = __int128(wk) * xhi;
      lo += std::min(a, b);
      hi += std::max(a, b);
    }
    r.bounds[c] = {clampBound(lo), clampBound(hi)};
  }
  return r;
}
