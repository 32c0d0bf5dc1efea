//===- TensorStatisticsQueries.cpp - Estimates from the histogram ---------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The read side of TensorStatistics: the density model (uniform within each
// bin clipped to the finite extremes, plus an atom at 0 for exact zeros) and
// the estimates built on it: fractions of values beyond a point and
// quantiles. Each query is one pass over the bins.
//
//===----------------------------------------------------------------------===//

#include "qlc/Quant/TensorStatistics.h"

#include <algorithm>
#include <cmath>

using namespace qlc;

std::vector<HistogramPiece> TensorStatistics::getPieces() const {
  std::vector<HistogramPiece> pieces;
  if (getFiniteCount() == 0)
    return pieces;
  auto pushZeros = [&] {
    if (zeroCount)
      pieces.push_back({0.0, 0.0, static_cast<double>(zeroCount)});
  };
  if (range == 0) { // only zeros are finite
    pushZeros();
    return pieces;
  }
  double w = getBinWidth();
  size_t b = binsPerSide;
  for (size_t i = 0; i < hist.size(); ++i) {
    uint64_t c = hist[i];
    if (i == 0)
      c -= negInfCount;
    if (i + 1 == hist.size())
      c -= posInfCount;
    if (i == b) {
      pushZeros();
      c -= zeroCount;
    }
    if (c == 0)
      continue;
    double lo, hi;
    if (i >= b) {
      lo = static_cast<double>(i - b) * w;
      hi = lo + w;
    } else {
      hi = -static_cast<double>(b - 1 - i) * w;
      lo = hi - w;
    }
    lo = std::max(lo, finiteMin);
    hi = std::min(hi, finiteMax);
    if (lo > hi) // cannot happen for a consistent object; be safe
      lo = hi = std::min(std::max(lo, finiteMin), finiteMax);
    pieces.push_back({lo, hi, static_cast<double>(c)});
  }
  return pieces;
}

/// Mass of `p` strictly below x under the uniform model.
static double massBelow(const HistogramPiece &p, double x) {
  if (p.hi <= p.lo)
    return p.lo < x ? p.mass : 0.0;
  double f = (x - p.lo) / (p.hi - p.lo);
  return p.mass * std::min(std::max(f, 0.0), 1.0);
}

static double massAbove(const HistogramPiece &p, double x) {
  if (p.hi <= p.lo)
    return p.lo > x ? p.mass : 0.0;
  double f = (p.hi - x) / (p.hi - p.lo);
  return p.mass * std::min(std::max(f, 0.0), 1.0);
}

double TensorStatistics::getFractionBelow(double x) const {
  if (count == 0 || std::isnan(x))
    return 0.0;
  double below = 0;
  for (const HistogramPiece &p : getPieces())
    below += massBelow(p, x);
  if (x > -HUGE_VAL)
    below += static_cast<double>(negInfCount);
  return std::min(below / static_cast<double>(count), 1.0);
}

double TensorStatistics::getFractionAbove(double x) const {
  if (count == 0 || std::isnan(x))
    return 0.0;
  double above = 0;
  for (const HistogramPiece &p : getPieces())
    above += massAbove(p, x);
  if (x < HUGE_VAL)
    above += static_cast<double>(posInfCount);
  return std::min(above / static_cast<double>(count), 1.0);
}

double TensorStatistics::getFractionOutside(double lo, double hi) const {
  if (lo > hi)
    std::swap(lo, hi);
  return std::min(getFractionBelow(lo) + getFractionAbove(hi), 1.0);
}

double TensorStatistics::getQuantile(double f) const {
  uint64_t n = getFiniteCount();
  if (n == 0)
    return 0.0;
  if (!(f > 0)) // also NaN
    return finiteMin;
  if (f >= 1)
    return finiteMax;
  double target = f * static_cast<double>(n), seen = 0;
  for (const HistogramPiece &p : getPieces()) {
    if (seen + p.mass >= target) {
      if (p.hi <= p.lo)
        return p.lo;
      double t = (target - seen) / p.mass;
      return std::min(std::max(p.lo + t * (p.hi - p.lo), finiteMin), finiteMax);
    }
    seen += p.mass;
  }
  return finiteMax;
}
