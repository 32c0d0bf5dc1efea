//===- RangeSearch.cpp - MSE and KL range searches over a histogram -------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The two searching methods of chooseRange.
//
// mse: with the zero point pinned, the quantiser is determined by eps alone,
// so the search is one-dimensional: eps = epsMinMax * k / 64 for k = 1..64,
// then 32 steps between the best candidate's neighbours. Each candidate
// integrates the squared error of the real quantiser (clamp and floor or
// half-even rounding, QuantMath.h) over every piece of the histogram model
// in closed form, so one candidate costs O(bins).
//
// kl: the entropy calibration of TensorRT (Migacz, "8-bit Inference with
// TensorRT", GTC 2017) as NVIDIA's pytorch-quantization implements it: for
// every threshold bin i >= nQ, the reference P is the magnitude histogram
// up to i with the outliers added to its last bin, Q merges those i bins
// into nQ chunks and spreads each chunk's mass evenly over its nonempty
// bins; pick the i minimising KL(P || Q), the largest on ties. Prefix sums
// of h, h log h and the nonempty-bin count make a candidate O(nQ).
//
//===----------------------------------------------------------------------===//

#include "qlc/Quant/RangeSelection.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using namespace qlc;

namespace qlc {
DataRange chooseMseRange(const TensorStatistics &stats, const QuantGrid &grid);
} // namespace qlc

namespace {

/// floor for |u| < 2^31, inline (std::floor is a libm call on baseline
/// x86-64).
inline double floorSmall(double u) {
  double t = static_cast<double>(static_cast<int32_t>(u));
  return t - (t > u ? 1.0 : 0.0);
}

/// Antiderivative in u = x / eps of the squared rounding error, in units of
/// eps^2: the error of floor is frac(u), of round-to-nearest frac(u + 1/2) -
/// 1/2; each whole period contributes 1/3 resp. 1/12.
inline double floorErrorIntegral(double u) {
  double fl = floorSmall(u), f = u - fl;
  return (fl + f * f * f) * (1.0 / 3.0);
}

inline double roundErrorIntegral(double u) {
  double v = u + 0.5, fl = floorSmall(v), f = v - fl - 0.5;
  return fl * (1.0 / 12.0) + (f * f * f + 0.125) * (1.0 / 3.0);
}

inline double cube(double x) { return x * x * x; }

/// The density model in the layout the search wants: uniform pieces as
/// arrays, atoms apart.
struct PieceModel {
  std::vector<double> lo, hi, density; ///< density = mass / (hi - lo)
  std::vector<double> atomAt, atomMass;
  double mass = 0;

  explicit PieceModel(llvm::ArrayRef<HistogramPiece> pieces) {
    for (const HistogramPiece &p : pieces) {
      mass += p.mass;
      if (p.hi <= p.lo) {
        atomAt.push_back(p.lo);
        atomMass.push_back(p.mass);
        continue;
      }
      lo.push_back(p.lo);
      hi.push_back(p.hi);
      density.push_back(p.mass / (p.hi - p.lo));
    }
  }

  /// Sum over the uniform pieces of the integrated squared error; branch
  /// free: the parts below qLo and above qHi are clamped, the rest rounds.
  template <bool FloorRounding>
  double intervalError(double eps, double qLo, double qHi) const {
    double inv = 1.0 / eps, eps3 = eps * eps * eps, total = 0;
    for (size_t k = 0, e = lo.size(); k < e; ++k) {
      double a = lo[k], b = hi[k];
      double clip = cube(std::max(qLo - a, 0.0)) -
                    cube(std::max(qLo - b, 0.0)) +
                    cube(std::max(b - qHi, 0.0)) - cube(std::max(a - qHi, 0.0));
      double u1 = std::min(std::max(a, qLo), qHi) * inv;
      double u2 = std::min(std::max(b, qLo), qHi) * inv;
      double inside = FloorRounding
                          ? floorErrorIntegral(u2) - floorErrorIntegral(u1)
                          : roundErrorIntegral(u2) - roundErrorIntegral(u1);
      total += density[k] * (clip * (1.0 / 3.0) + eps3 * inside);
    }
    return total;
  }

  /// The expected squared error per value at quantum eps.
  double error(double eps, const QuantGrid &grid) const {
    if (!(mass > 0))
      return 0.0;
    double qLo = static_cast<double>(grid.getMin()) * eps;
    double qHi = static_cast<double>(grid.getMax()) * eps;
    double total = grid.rounding == Rounding::Floor
                       ? intervalError<true>(eps, qLo, qHi)
                       : intervalError<false>(eps, qLo, qHi);
    for (size_t k = 0; k < atomAt.size(); ++k) {
      double e = atomAt[k] - fakeQuantize(atomAt[k], eps, grid);
      total += atomMass[k] * e * e;
    }
    return total / mass;
  }
};

} // namespace

double qlc::expectedQuantError(llvm::ArrayRef<HistogramPiece> pieces,
                               double eps, const QuantGrid &grid) {
  return PieceModel(pieces).error(eps, grid);
}

double qlc::expectedQuantError(const TensorStatistics &stats, double eps,
                               const QuantGrid &grid) {
  return expectedQuantError(stats.getPieces(), eps, grid);
}

DataRange qlc::chooseMseRange(const TensorStatistics &stats,
                              const QuantGrid &grid) {
  double fMin = stats.getFiniteMin(), fMax = stats.getFiniteMax();
  if (!grid.isSigned() && fMax <= 0)
    return {0.0, 0.0};
  double epsMax = grid.isSigned() ? computeEps(fMin, fMax, grid)
                                  : computeEps(0.0, fMax, grid);
  PieceModel model(stats.getPieces());

  // Coarse scan from eps_minmax downwards; strict improvement keeps the
  // larger eps (less clipping) on ties.
  constexpr int kCoarse = 64, kFine = 16;
  double bestEps = epsMax, bestErr = model.error(epsMax, grid);
  int bestK = kCoarse;
  for (int k = kCoarse - 1; k >= 1; --k) {
    double eps = epsMax * k / kCoarse;
    double err = model.error(eps, grid);
    if (err < bestErr) {
      bestErr = err;
      bestEps = eps;
      bestK = k;
    }
  }
  // Fine scan between the neighbours of the best coarse candidate.
  double from = epsMax * (bestK - 1) / kCoarse;
  double to = epsMax * std::min(bestK + 1, kCoarse) / kCoarse;
  for (int j = 2 * kFine - 1; j >= 1; --j) {
    double eps = from + (to - from) * j / (2 * kFine);
    if (eps <= 0 || eps >= epsMax)
      continue;
    double err = model.error(eps, grid);
    if (err < bestErr) {
      bestErr = err;
      bestEps = eps;
    }
  }
  if (bestEps == epsMax)
    return {fMin, fMax};
  // The data range whose computeEps is bestEps: the grid's span clipped to
  // the data (the side that limits eps is the clipped one).
  double lo = static_cast<double>(grid.getMin()) * bestEps;
  double hi = static_cast<double>(grid.getMax()) * bestEps;
  return {std::max(fMin, lo), std::min(fMax, hi)};
}

double qlc::chooseKlThreshold(const TensorStatistics &stats,
                              const QuantGrid &grid) {
  double fMin = stats.getFiniteMin(), fMax = stats.getFiniteMax();
  double maxMag = grid.isSigned() ? std::max(-fMin, fMax) : fMax;
  if (stats.getFiniteCount() == 0 || !(maxMag > 0) ||
      stats.getHistogramRange() == 0)
    return std::max(maxMag, 0.0);

  // Magnitude histogram of |x| (signed) or x >= 0 (unsigned), without the
  // infinities and without the exact zeros: they are represented exactly at
  // any threshold (pytorch-quantization damps the same spike with
  // bins[0] = bins[1]).
  llvm::ArrayRef<uint64_t> hist = stats.getHistogram();
  unsigned b = stats.getBinsPerSide();
  double w = stats.getBinWidth();
  size_t used = std::min<size_t>(b, static_cast<size_t>(std::ceil(maxMag / w)));
  std::vector<double> h(used, 0.0);
  for (size_t m = 0; m < used; ++m) {
    uint64_t c = hist[b + m];
    if (m + 1 == b)
      c -= stats.getPosInfCount();
    if (grid.isSigned()) {
      c += hist[b - 1 - m];
      if (m + 1 == b)
        c -= stats.getNegInfCount();
    }
    h[m] = static_cast<double>(c);
  }
  h[0] -= static_cast<double>(stats.getZeroCount());

  size_t nQ = grid.isSigned()
                  ? static_cast<size_t>(std::max(-grid.zero, grid.getMax() + 1))
                  : static_cast<size_t>(grid.nLevels);
  if (used <= nQ)
    return maxMag;

  // Prefix sums: S (mass), NZ (nonempty bins), HL (h log h).
  std::vector<double> s(used + 1, 0.0), hl(used + 1, 0.0);
  std::vector<uint32_t> nz(used + 1, 0);
  for (size_t j = 0; j < used; ++j) {
    s[j + 1] = s[j] + h[j];
    nz[j + 1] = nz[j] + (h[j] > 0);
    hl[j + 1] = hl[j] + (h[j] > 0 ? h[j] * std::log(h[j]) : 0.0);
  }
  double total = s[used];
  if (!(total > 0))
    return maxMag;

  std::vector<double> logCount(used + 1, 0.0);
  for (size_t c = 1; c <= used; ++c)
    logCount[c] = std::log(static_cast<double>(c));

  double bestKl = std::numeric_limits<double>::infinity();
  size_t bestI = used;
  for (size_t i = nQ; i <= used; ++i) {
    double outliers = total - s[i];
    double last = h[i - 1] + outliers;
    if (outliers > 0 && h[i - 1] == 0)
      continue; // P > 0 where Q = 0: infinite divergence
    // sum P log P over the unnormalised reference.
    double pLogP = hl[i - 1] + (last > 0 ? last * std::log(last) : 0.0);
    // sum P log Qraw, chunk by chunk: every nonempty bin of chunk c holds
    // T_c / nz_c in Qraw. Chunk c is bins [ceil(c i / nQ), ceil((c+1) i /
    // nQ)); the boundaries advance by i / nQ, Bresenham-style.
    size_t step = i / nQ, rem = i % nQ, base = 0, acc = 0, start = 0;
    double pLogQ = 0;
    for (size_t c = 0; c < nQ; ++c) {
      base += step;
      acc += rem;
      if (acc >= nQ) {
        ++base;
        acc -= nQ;
      }
      size_t end = base + (acc > 0 ? 1 : 0);
      uint32_t cnt = nz[end] - nz[start];
      if (cnt) {
        double t = s[end] - s[start];
        double pMass = t + (end == i ? outliers : 0.0);
        pLogQ += pMass * (std::log(t) - logCount[cnt]);
      }
      start = end;
    }
    // KL(p || q) with p = P / total, q = Qraw / S[i].
    double kl = (pLogP - pLogQ) / total - std::log(total) + std::log(s[i]);
    if (kl <= bestKl) {
      bestKl = kl;
      bestI = i;
    }
  }
  return std::min(static_cast<double>(bestI) * w, maxMag);
}
