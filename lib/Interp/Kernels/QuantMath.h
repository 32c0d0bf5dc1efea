//===- QuantMath.h - Rounding and saturation of quantised values -*- C++ -*-=//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The one rounding rule every quantising kernel shares, as ONNX and ONNX
// Runtime define it: a float value is rounded half to even (std::nearbyint
// in the default rounding mode), offset by the zero point and saturated to
// the output type. NaN maps to the zero point.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_INTERP_KERNELS_QUANTMATH_H
#define QLC_LIB_INTERP_KERNELS_QUANTMATH_H

#include <algorithm>
#include <cmath>
#include <limits>

namespace qlc {
namespace interp {

/// saturate<Q>(round_half_even(v) + zp).
template <typename Q> Q saturateRound(float v, float zp) {
  if (std::isnan(v))
    return static_cast<Q>(zp);
  float q = std::nearbyint(v) + zp;
  q = std::max(q, static_cast<float>(std::numeric_limits<Q>::min()));
  q = std::min(q, static_cast<float>(std::numeric_limits<Q>::max()));
  return static_cast<Q>(q);
}

} // namespace interp
} // namespace qlc

#endif // QLC_LIB_INTERP_KERNELS_QUANTMATH_H
