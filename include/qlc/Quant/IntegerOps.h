//===- IntegerOps.h - qlc.Requant and qlc.EpsTunnel -------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The two ops of the fake-to-true stage (domain "qlc", version 1):
//
//   Y = Requant(X, mul, add)      attributes: shift, lo, hi, to
//       Y = clip(floor((X * mul + add) / 2^shift), lo, hi), cast to `to`.
//       X is an integer tensor; mul and add are int64 tensors that
//       broadcast to X (scalar, or (1,C,1,1) / (1,C) per channel). The
//       arithmetic is exact: a product or sum that leaves int64 is an error,
//       never a wrap-around.
//
//   Y = EpsTunnel(X, eps_in, eps_out)   attribute: to
//       Y = X / eps_in * eps_out, cast to `to`; a conversion marker between a
//       fake-quantised value (eps_in = eps, eps_out = 1: its integer image)
//       and back. Conversions to an integer type round to nearest (the
//       value is integral up to float error) and fail if out of range.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_QUANT_INTEGEROPS_H
#define QLC_QUANT_INTEGEROPS_H

#include "qlc/IR/Graph.h"
#include "qlc/Quant/QuantMath.h"

#include "llvm/Support/Error.h"

#include <cstdint>

namespace qlc {

inline constexpr llvm::StringLiteral kRequantOpName = "Requant";
inline constexpr llvm::StringLiteral kEpsTunnelOpName = "EpsTunnel";

struct RequantAttrs {
  int64_t shift = 24;
  int64_t lo = 0, hi = 255;
  ElementType to = ElementType::UInt8;
};

bool isRequant(const Node &node);
bool isEpsTunnel(const Node &node);

llvm::Expected<RequantAttrs> readRequantAttrs(const Node &node);
void writeRequantAttrs(Node &node, const RequantAttrs &attrs);
/// The `to` attribute of an EpsTunnel (Float when absent).
llvm::Expected<ElementType> readEpsTunnelType(const Node &node);

/// int8/uint8/int16/uint16/int32/int64: what Requant reads and writes.
bool isRequantType(ElementType type);

/// The narrowest integer type holding every level of `grid` (int8/uint8 up
/// to 8 bits, int16/uint16 up to 16, int32 beyond).
ElementType integerTypeForGrid(const QuantGrid &grid);
/// The lowest and highest value of an integer type.
std::pair<int64_t, int64_t> integerTypeRange(ElementType type);

/// clip(floor((x * mul + add) / 2^shift), lo, hi) in exact arithmetic;
/// sets `overflow` (and returns 0) when x * mul + add leaves int64.
inline int64_t requantize(int64_t x, int64_t mul, int64_t add, int64_t shift,
                          int64_t lo, int64_t hi, bool &overflow) {
  int64_t prod, sum;
  if (__builtin_mul_overflow(x, mul, &prod) ||
      __builtin_add_overflow(prod, add, &sum)) {
    overflow = true;
    return 0;
  }
  // An arithmetic right shift is floor division by 2^shift (C++20 defines
  // it; GCC and Clang have always done so for signed operands).
  int64_t q = shift >= 63 ? (sum < 0 ? -1 : 0) : (sum >> shift);
  return q < lo ? lo : (q > hi ? hi : q);
}

} // namespace qlc

#endif // QLC_QUANT_INTEGEROPS_H
