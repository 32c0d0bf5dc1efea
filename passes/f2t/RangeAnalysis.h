//===- RangeAnalysis.h - Worst-case ranges of integer values ----*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Bounds every integer value of an F2T program from its sources (the input
// grid, requantiser clip ranges) through ConvInteger/MatMulInteger with
// constant weights (per output channel: sum over the kernel of
// max(w * lo, w * hi)), bias adds, integer adds, sums and data movement.
// The requantiser uses the bounds to choose its shift so that x * mul + add
// fits the accumulator width, and reports what does not.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASSES_F2T_RANGEANALYSIS_H
#define QLC_PASSES_F2T_RANGEANALYSIS_H

#include "f2t/F2TSupport.h"

#include "llvm/ADT/DenseMap.h"

namespace qlc {
namespace f2t {

/// Closed integer intervals, one for the whole tensor or one per channel
/// along `axis`. Bounds saturate at +-2^62 (treated as unbounded).
struct ValueRange {
  std::vector<std::pair<int64_t, int64_t>> bounds;
  int64_t axis = 1;

  bool isPerTensor() const { return bounds.size() == 1; }
  /// The bounds of channel c (or the tensor's).
  std::pair<int64_t, int64_t> channel(size_t c) const {
    return bounds[bounds.size() == 1 ? 0 : c];
  }
  /// Lowest and highest over all channels.
  std::pair<int64_t, int64_t> hull() const;
  /// Bits of a signed integer holding every value (incl. the sign bit).
  unsigned signedBits() const;
};

/// Bits of a signed integer holding every value of [lo, hi].
unsigned signedBitsFor(int64_t lo, int64_t hi);

class RangeAnalysis {
public:
  explicit RangeAnalysis(const Model &model) : model(model) {}
  /// The range of integer value `v`, or None when it cannot be bounded.
  llvm::Optional<ValueRange> get(const Value *v);

private:
  llvm::Optional<ValueRange> compute(const Value *v);
  llvm::Optional<ValueRange> computeLinear(const Node &n);
  const Model &model;
  llvm::DenseMap<const Value *, llvm::Optional<ValueRange>> cache;
};

} // namespace f2t
} // namespace qlc

#endif // QLC_PASSES_F2T_RANGEANALYSIS_H
