//===- QuantMath.h - The arithmetic of qlc's fake-quantiser -----*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// One quantisation grid is the integers [zero, zero + nLevels - 1] scaled by
// a quantum eps, so it always contains 0 (QuantLib's QRange with step 1).
// Signed N-bit: zero = -2^(N-1); unsigned: zero = 0; nLevels = 2^N.
//
// The forward semantics of qlc.FakeQuant, for one element x (float32
// arithmetic, as QuantLib's torch code and ONNX Runtime compute):
//
//   floor (QuantLib's PACT):  lo = zero*eps, hi = (zero+nLevels-1)*eps
//                             t  = clamp(x - lo, 0, hi + eps/4 - lo) / eps
//                             q  = zero + floor(t)
//   half-even (ONNX, torch):  q  = clamp(nearbyint(x / eps), lo/eps, hi/eps)
//
//   y = float(q) * eps.
//
// y is written as q*eps rather than QuantLib's lo + eps*floor(t) so that
// y / eps is exactly the integer q the true-quantised program will hold.
// NaN propagates; +-inf saturate.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_QUANT_QUANTMATH_H
#define QLC_QUANT_QUANTMATH_H

#include "llvm/ADT/Optional.h"
#include "llvm/ADT/StringRef.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

namespace qlc {

enum class Rounding : uint8_t {
  Floor,   ///< QuantLib's PACT quantiser ("floor")
  HalfEven ///< ONNX QuantizeLinear, torch.round ("half_even")
};

llvm::StringRef getRoundingName(Rounding r);
llvm::Optional<Rounding> parseRounding(llvm::StringRef name);

/// The integer grid [zero, zero + nLevels - 1].
struct QuantGrid {
  int64_t zero = 0;
  int64_t nLevels = 256;
  Rounding rounding = Rounding::Floor;

  int64_t getMin() const { return zero; }
  int64_t getMax() const { return zero + nLevels - 1; }
  bool isSigned() const { return zero < 0; }

  /// Signed (zero = -2^(bits-1)) or unsigned (zero = 0), 2^bits levels.
  static QuantGrid fromBits(unsigned bits, bool isSigned,
                            Rounding rounding = Rounding::Floor);
  /// The bit width when nLevels is a power of two, else 0.
  unsigned getBits() const;
  /// "int8", "uint4", or "[z, z+N-1]" for other grids.
  std::string str() const;
};

/// Validates attribute values: nLevels in [2, 65536], zero in [-nLevels, 0].
bool isValidGrid(int64_t zero, int64_t nLevels);

/// QuantLib's get_scale with the offset pinned: the smallest eps for which
/// [getMin()*eps, getMax()*eps] covers the data range [a, b] (a <= b):
///   a < 0 < b on a signed grid:  max(a / getMin(), b / getMax())
///   a >= 0:                       b / getMax()
///   b <= 0 on a signed grid:      a / getMin()
///   otherwise (sign mismatch):    max(|a|, |b|) / max(|getMin()|, getMax())
/// A degenerate range (all zeros) or a non-finite one gives 1.
double computeEps(double a, double b, const QuantGrid &grid);

/// The integer level of `x` (semantics above) as a T holding an integer;
/// `x` must not be NaN. Inline: kernels call it once per element.
template <typename T>
inline T quantizeLevelAs(T x, T eps, const QuantGrid &grid) {
  T qMin = static_cast<T>(grid.getMin()), qMax = static_cast<T>(grid.getMax());
  T q;
  if (grid.rounding == Rounding::Floor) {
    T lo = qMin * eps, hi = qMax * eps;
    T t = std::min(std::max(x - lo, T(0)), hi + eps / T(4) - lo) / eps;
    q = qMin + std::floor(t);
  } else {
    q = std::nearbyint(x / eps);
  }
  // Saturate in the float domain: casting an out-of-range float (or the inf
  // a tiny eps gives) to an integer would be undefined.
  // + 0 turns nearbyint's -0.0 into +0.0, as QDQ and torch produce.
  return std::min(std::max(q, qMin), qMax) + T(0);
}

/// The integer level of `x`; `x` must not be NaN.
inline int64_t quantizeLevel(float x, float eps, const QuantGrid &grid) {
  return static_cast<int64_t>(quantizeLevelAs(x, eps, grid));
}
inline int64_t quantizeLevel(double x, double eps, const QuantGrid &grid) {
  return static_cast<int64_t>(quantizeLevelAs(x, eps, grid));
}

/// The fake-quantised value q * eps; NaN stays NaN.
template <typename T> inline T fakeQuantize(T x, T eps, const QuantGrid &grid) {
  return std::isnan(x) ? x : quantizeLevelAs(x, eps, grid) * eps;
}

} // namespace qlc

#endif // QLC_QUANT_QUANTMATH_H
