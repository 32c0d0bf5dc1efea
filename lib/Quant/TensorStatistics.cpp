//===- TensorStatistics.cpp - Streaming statistics of activations ---------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The accumulation side of TensorStatistics: add, merge, the moments and the
// regridding of the histogram when R grows. add() runs once per activation
// value of every calibration batch: once R is known, a batch is binned in
// one vectorised pass (TensorStatisticsKernels.cpp) block by block, and only
// a block that needs R to grow or holds NaN/inf sends the rest of the batch
// to the two-pass path (scan for the extremes, grow R once, bin). Batches
// with NaN or inf are binned value by value with the same arithmetic.
//
// The queries on the density model (pieces, fractions, quantiles) are in
// TensorStatisticsQueries.cpp.
//
//===----------------------------------------------------------------------===//

#include "qlc/Quant/TensorStatistics.h"
#include "TensorStatisticsKernels.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <memory>

using namespace qlc;
using namespace qlc::detail;

namespace {

/// Smallest R: keeps B / R a finite float for any binsPerSide.
constexpr double kMinRange = 0x1p-100;
constexpr unsigned kMinBins = 4, kMaxBins = 1u << 20;

unsigned roundBins(unsigned b) {
  b = std::min(std::max(b, kMinBins), kMaxBins);
  unsigned p = kMinBins;
  while (p < b)
    p <<= 1;
  return p;
}

/// The power of two R >= maxAbs (maxAbs > 0 and finite), at least kMinRange.
double rangeFor(double maxAbs) {
  int e;
  double f = std::frexp(maxAbs, &e); // maxAbs = f * 2^e, f in [0.5, 1)
  double r = std::ldexp(1.0, f == 0.5 ? e - 1 : e);
  return std::max(r, kMinRange);
}

/// Adds `src` (magnitude bins of width ws) into `dst` (width wd = ws * 2^k):
/// source magnitude bin m lands in m >> k, on the same side.
void rebinInto(llvm::ArrayRef<uint64_t> src, unsigned srcBins,
               std::vector<uint64_t> &dst, unsigned dstBins, unsigned k) {
  k = std::min(k, 31u);
  for (unsigned m = 0; m < srcBins; ++m) {
    unsigned to = std::min(m >> k, dstBins - 1);
    dst[dstBins + to] += src[srcBins + m];
    dst[dstBins - 1 - to] += src[srcBins - 1 - m];
  }
}

unsigned log2Ratio(double big, double small) {
  int eb, es;
  std::frexp(big, &eb);
  std::frexp(small, &es);
  return static_cast<unsigned>(std::max(eb - es, 0));
}

} // namespace

TensorStatistics::TensorStatistics(unsigned binsPerSide)
    : binsPerSide(roundBins(binsPerSide)), hist(2 * this->binsPerSide, 0) {}

double TensorStatistics::getStdDev() const {
  uint64_t n = getFiniteCount();
  return n ? std::sqrt(std::max(m2, 0.0) / static_cast<double>(n)) : 0.0;
}

void TensorStatistics::growRange(double newRange) {
  if (newRange <= range)
    return;
  if (range == 0) { // only zeros so far: they sit in bin B whatever R is
    range = newRange;
    return;
  }
  unsigned k = log2Ratio(newRange, range);
  std::vector<uint64_t> old(2 * binsPerSide, 0);
  old.swap(hist);
  // Infinities stay in the outermost bins.
  old.front() -= negInfCount;
  old.back() -= posInfCount;
  rebinInto(old, binsPerSide, hist, binsPerSide, k);
  hist.front() += negInfCount;
  hist.back() += posInfCount;
  range = newRange;
}

size_t TensorStatistics::binIndexOf(double x) const {
  if (std::isinf(x))
    return x > 0 ? hist.size() - 1 : 0;
  if (range == 0) // x == 0
    return binsPerSide;
  float scale = static_cast<float>(binsPerSide / range);
  return binOf(static_cast<float>(x), scale, static_cast<int32_t>(binsPerSide));
}

void TensorStatistics::mergeMoments(uint64_t n, double batchMean,
                                    double batchM2) {
  if (n == 0)
    return;
  uint64_t na = getFiniteCount() - n; // totals are already updated
  double total = static_cast<double>(na + n);
  double delta = batchMean - mean;
  mean += delta * static_cast<double>(n) / total;
  m2 += batchM2 + delta * delta * static_cast<double>(na) *
                      static_cast<double>(n) / total;
}

void TensorStatistics::add(const float *data, size_t n) {
  if (n == 0)
    return;
  // Once R is known, one pass; it stops at the first block that needs R to
  // grow (or holds NaN/inf), and the rest takes the two-pass path.
  size_t done = range > 0 && getFiniteCount() > 0 ? addWithinRange(data, n) : 0;
  data += done;
  n -= done;
  if (n == 0)
    return;
  ScanResult scan = scanBatch(data, n);
  if (std::isfinite(scan.sum))
    addRegular(data, n, scan.min, scan.max, scan.sum);
  else
    addIrregular(data, n);
}

size_t TensorStatistics::addBlocks(const float *data, size_t n, float shift) {
  int32_t b = static_cast<int32_t>(binsPerSide);
  float scale = range > 0 ? static_cast<float>(binsPerSide / range) : 1.0f;
  uint32_t idx[kBlock];
  BlockSums sums;
  BinCounter counter(hist, n);
  size_t done = 0;
  while (done < n) {
    size_t len = std::min(kBlock, n - done);
    if (!binBlock(data + done, len, scale, b, shift, idx, sums))
      break;
    counter.count(idx, len);
    done += len;
  }
  counter.finish();
  if (done == 0)
    return 0;

  // Extremes: these values are all finite.
  bool first = getFiniteCount() == 0;
  minValue = count ? std::min(minValue, double(sums.min)) : sums.min;
  maxValue = count ? std::max(maxValue, double(sums.max)) : sums.max;
  finiteMin = first ? sums.min : std::min(finiteMin, double(sums.min));
  finiteMax = first ? sums.max : std::max(finiteMax, double(sums.max));
  count += done;
  zeroCount += sums.zeros;

  // Moments from the shifted sums: mean = K + S1 / n, M2 = S2 - S1^2 / n.
  // When K is far from this batch's mean (relative to its spread) or the
  // float squares overflowed, redo M2 exactly.
  double nd = static_cast<double>(done), s1 = sums.sum / nd;
  double batchMean = double(shift) + s1;
  double batchM2 = sums.sumSq - s1 * sums.sum;
  if (!std::isfinite(sums.sumSq) || s1 * s1 > 16 * (batchM2 / nd)) {
    batchM2 = 0;
    for (size_t i = 0; i < done; ++i) {
      double d = double(data[i]) - batchMean;
      batchM2 += d * d;
    }
  }
  mergeMoments(done, batchMean, std::max(batchM2, 0.0));
  return done;
}

float TensorStatistics::shiftFor(double center) const {
  // A multiple of R / 256: then x - shift in float only drops low bits of
  // x (unbiased rounding) instead of the same low bits of the shift from
  // every value, which biases the mean by up to half an ulp of max |x|.
  if (range == 0)
    return 0.0f;
  double q = range / 256;
  return static_cast<float>(std::nearbyint(center / q) * q);
}

size_t TensorStatistics::addWithinRange(const float *data, size_t n) {
  return addBlocks(data, n, shiftFor(mean));
}

void TensorStatistics::addRegular(const float *data, size_t n, float batchMin,
                                  float batchMax, double batchSum) {
  double maxAbs = std::max(std::fabs(double(batchMin)), double(batchMax));
  if (maxAbs > 0)
    growRange(rangeFor(maxAbs));
  // R now covers the batch: every block is accepted.
  size_t done = addBlocks(data, n, shiftFor(batchSum / static_cast<double>(n)));
  assert(done == n && "R must cover a regular batch");
  (void)done;
}

void TensorStatistics::addIrregular(const float *data, size_t n) {
  // First pass: counts, extremes, the finite values' sum. The batch's
  // infinities join the members only after R has grown, because growRange
  // moves the infinities already in the outermost bins.
  uint64_t finiteN = 0, posInf = 0, negInf = 0, nonNan = 0;
  double sum = 0, fMin = 0, fMax = 0, aMin = 0, aMax = 0;
  for (size_t i = 0; i < n; ++i) {
    float x = data[i];
    if (std::isnan(x))
      continue;
    aMin = nonNan ? std::min(aMin, double(x)) : x;
    aMax = nonNan ? std::max(aMax, double(x)) : x;
    ++nonNan;
    if (std::isinf(x)) {
      if (x > 0)
        ++posInf;
      else
        ++negInf;
      continue;
    }
    fMin = finiteN ? std::min(fMin, double(x)) : x;
    fMax = finiteN ? std::max(fMax, double(x)) : x;
    ++finiteN;
    sum += x;
  }
  if (finiteN) {
    double maxAbs = std::max(std::fabs(fMin), fMax);
    if (maxAbs > 0)
      growRange(rangeFor(maxAbs));
    bool first = getFiniteCount() == 0;
    finiteMin = first ? fMin : std::min(finiteMin, fMin);
    finiteMax = first ? fMax : std::max(finiteMax, fMax);
  }
  if (nonNan) {
    minValue = count ? std::min(minValue, aMin) : aMin;
    maxValue = count ? std::max(maxValue, aMax) : aMax;
  }
  count += nonNan;
  nanCount += n - nonNan;
  posInfCount += posInf;
  negInfCount += negInf;

  // Second pass: bin, zeros, moments.
  double batchMean = finiteN ? sum / static_cast<double>(finiteN) : 0.0;
  double batchM2 = 0;
  for (size_t i = 0; i < n; ++i) {
    float x = data[i];
    if (std::isnan(x))
      continue;
    ++hist[binIndexOf(x)];
    if (std::isinf(x))
      continue;
    zeroCount += x == 0;
    double d = double(x) - batchMean;
    batchM2 += d * d;
  }
  mergeMoments(finiteN, batchMean, batchM2);
}

void TensorStatistics::merge(const TensorStatistics &other) {
  if (&other == this) {
    TensorStatistics copy = other;
    merge(copy);
    return;
  }
  if (other.count == 0) {
    nanCount += other.nanCount;
    return;
  }
  if (count == 0) {
    uint64_t nans = nanCount;
    *this = other;
    nanCount += nans;
    return;
  }
  // Common grid: the larger R and the coarser bin width.
  double newRange = std::max(range, other.range);
  double width = std::max(getBinWidth(), other.getBinWidth());
  unsigned newBins = binsPerSide;
  if (width > 0)
    newBins = roundBins(
        static_cast<unsigned>(std::min(newRange / width, double(kMaxBins))));

  std::vector<uint64_t> mine(2 * newBins, 0);
  auto addSide = [&](const TensorStatistics &s) {
    std::vector<uint64_t> h = s.hist;
    h.front() -= s.negInfCount;
    h.back() -= s.posInfCount;
    // Width ratio newWidth / oldWidth as a power of two; R == 0 means only
    // zeros, which stay in magnitude bin 0 at any width.
    unsigned k =
        s.range > 0 && width > 0 ? log2Ratio(width, s.getBinWidth()) : 0;
    rebinInto(h, s.binsPerSide, mine, newBins, k);
  };
  addSide(*this);
  addSide(other);

  uint64_t finiteA = getFiniteCount(), finiteB = other.getFiniteCount();
  minValue = std::min(minValue, other.minValue);
  maxValue = std::max(maxValue, other.maxValue);
  if (finiteB) {
    finiteMin =
        finiteA ? std::min(finiteMin, other.finiteMin) : other.finiteMin;
    finiteMax =
        finiteA ? std::max(finiteMax, other.finiteMax) : other.finiteMax;
  }
  count += other.count;
  nanCount += other.nanCount;
  posInfCount += other.posInfCount;
  negInfCount += other.negInfCount;
  zeroCount += other.zeroCount;
  binsPerSide = newBins;
  range = newRange;
  hist.swap(mine);
  hist.front() += negInfCount;
  hist.back() += posInfCount;
  // Chan et al.'s pairwise combination of the moments.
  if (finiteB) {
    double total = static_cast<double>(finiteA + finiteB);
    double delta = other.mean - mean;
    mean += delta * static_cast<double>(finiteB) / total;
    m2 += other.m2 + delta * delta * static_cast<double>(finiteA) *
                         static_cast<double>(finiteB) / total;
  }
}
