//===- QuantMath.cpp - The arithmetic of qlc's fake-quantiser -------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Scalar reference of qlc.FakeQuant (see QuantMath.h). The interpreter's
// kernel, the calibration search and the QDQ conversions all call these, so
// there is one definition of the rounding rules.
//
//===----------------------------------------------------------------------===//

#include "qlc/Quant/QuantMath.h"

#include "llvm/ADT/StringSwitch.h"

#include <algorithm>
#include <cmath>

using namespace qlc;

llvm::StringRef qlc::getRoundingName(Rounding r) {
  return r == Rounding::Floor ? "floor" : "half_even";
}

llvm::Optional<Rounding> qlc::parseRounding(llvm::StringRef name) {
  return llvm::StringSwitch<llvm::Optional<Rounding>>(name)
      .Case("floor", Rounding::Floor)
      .Case("half_even", Rounding::HalfEven)
      .Default(llvm::None);
}

QuantGrid QuantGrid::fromBits(unsigned bits, bool isSigned, Rounding rounding) {
  QuantGrid g;
  g.nLevels = int64_t(1) << bits;
  g.zero = isSigned ? -(g.nLevels / 2) : 0;
  g.rounding = rounding;
  return g;
}

unsigned QuantGrid::getBits() const {
  for (unsigned b = 1; b <= 16; ++b)
    if ((int64_t(1) << b) == nLevels)
      return b;
  return 0;
}

std::string QuantGrid::str() const {
  unsigned bits = getBits();
  if (bits && zero == 0)
    return "uint" + std::to_string(bits);
  if (bits && zero == -(nLevels / 2))
    return "int" + std::to_string(bits);
  return "[" + std::to_string(getMin()) + ", " + std::to_string(getMax()) + "]";
}

bool qlc::isValidGrid(int64_t zero, int64_t nLevels) {
  return nLevels >= 2 && nLevels <= 65536 && zero <= 0 && zero >= -nLevels;
}

double qlc::computeEps(double a, double b, const QuantGrid &grid) {
  double lo = static_cast<double>(grid.getMin());
  double hi = static_cast<double>(grid.getMax());
  if (!std::isfinite(a) || !std::isfinite(b) || (a == 0 && b == 0))
    return 1.0;
  if (a > b)
    std::swap(a, b);
  double eps;
  if (a < 0 && b > 0 && lo < 0)
    eps = std::max(a / lo, b / hi);
  else if (a >= 0 && hi > 0)
    eps = b / hi;
  else if (b <= 0 && lo < 0)
    eps = a / lo;
  else
    eps = std::max(std::fabs(a), std::fabs(b)) /
          std::max(std::fabs(lo), std::fabs(hi));
  return eps > 0 && std::isfinite(eps) ? eps : 1.0;
}
