//===- TensorStatistics.h - Streaming statistics of activations -*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// TensorStatistics accumulates, over any number of batches and in memory
// independent of the number of values, what the calibration pass needs to
// choose a quantisation range for one tensor: count, min, max, mean,
// variance, the number of exact zeros, NaN and +-inf counts, and a histogram.
//
// The histogram covers [-R, R] with B = binsPerSide bins of width w = R / B on
// each side. R is a power of two: the first batch's max |x| rounded up, then
// doubled (by merging pairs of bins) whenever a batch holds a larger value.
// Bins are closed towards zero, so that "how many values lie beyond t" is
// exact whenever t is a bin edge on the side away from zero:
//
//   index B + m   (m = 0..B-1) holds  m*w <  x <= (m+1)*w   (and x == 0 for
//   m=0) index B-1-m   (m = 0..B-1) holds -(m+1)*w <= x < -m*w
//
// so getHistogram() lists the bins in ascending order of x. +-inf are counted
// in the outermost bins (and separately); NaN only in getNanCount().
//
// Estimates that need positions inside a bin (quantiles, the fraction of
// values outside a range, the range-selection searches) model each bin as a
// uniform density over the bin clipped to [finite min, finite max], plus an
// atom at 0 holding the exact zeros, which ReLU outputs are full of.
// docs/calibration-methods.md derives the error bounds.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_QUANT_TENSORSTATISTICS_H
#define QLC_QUANT_TENSORSTATISTICS_H

#include "llvm/ADT/ArrayRef.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace qlc {

/// A piece of the density model: `mass` values spread uniformly over
/// [lo, hi], or an atom at lo when lo == hi.
struct HistogramPiece {
  double lo = 0, hi = 0;
  double mass = 0;
};

class TensorStatistics {
public:
  /// `binsPerSide` is rounded up to a power of two in [4, 2^20].
  explicit TensorStatistics(unsigned binsPerSide = 2048);

  /// Adds values; NaN is counted separately and otherwise ignored; +-inf
  /// count in min/max but go to the outermost bins. Once R is known, one
  /// vectorised pass; a batch that needs R to grow (or holds NaN/inf) takes
  /// a scan for its extremes first, so R grows at most once per batch.
  void add(const float *data, size_t n);
  void add(llvm::ArrayRef<float> values) { add(values.data(), values.size()); }

  /// Merges another statistics object (e.g. quantisers sharing one eps).
  /// The result equals adding both value streams to one object, except that
  /// objects of different resolutions keep the coarser bin width.
  void merge(const TensorStatistics &other);

  bool empty() const { return count == 0; }
  /// Finite and infinite values (NaN excluded).
  uint64_t getCount() const { return count; }
  uint64_t getNanCount() const { return nanCount; }
  uint64_t getPosInfCount() const { return posInfCount; }
  uint64_t getNegInfCount() const { return negInfCount; }
  uint64_t getFiniteCount() const { return count - posInfCount - negInfCount; }
  /// Values exactly equal to +-0.
  uint64_t getZeroCount() const { return zeroCount; }

  /// Extremes including +-inf; 0 when empty.
  double getMin() const { return count ? minValue : 0.0; }
  double getMax() const { return count ? maxValue : 0.0; }
  /// Extremes of the finite values; 0 when there are none.
  double getFiniteMin() const { return getFiniteCount() ? finiteMin : 0.0; }
  double getFiniteMax() const { return getFiniteCount() ? finiteMax : 0.0; }
  /// Mean and population standard deviation of the finite values; 0 when
  /// there are none.
  double getMean() const { return mean; }
  double getStdDev() const;

  /// R: the histogram covers [-R, R]; 0 until a nonzero finite value is seen.
  double getHistogramRange() const { return range; }
  unsigned getBinsPerSide() const { return binsPerSide; }
  /// w = R / binsPerSide (0 while R is 0).
  double getBinWidth() const { return range / binsPerSide; }
  /// 2 * binsPerSide counts in ascending order of x (layout above).
  llvm::ArrayRef<uint64_t> getHistogram() const { return hist; }

  /// The density model of the finite values, in ascending order of x:
  /// one piece per nonempty bin (clipped to [finite min, finite max], the
  /// infinities taken out of the outermost bins) and an atom at 0 for the
  /// exact zeros.
  std::vector<HistogramPiece> getPieces() const;

  /// Estimated fraction of values (of getCount()) below `x` / above `x`.
  /// Exact when x is a bin edge and x <= 0 (below) or x >= 0 (above).
  double getFractionBelow(double x) const;
  double getFractionAbove(double x) const;
  /// Estimated fraction of values outside [lo, hi] (from the histogram,
  /// exact at bin edges when lo <= 0 <= hi); used as the "saturation rate"
  /// in reports.
  double getFractionOutside(double lo, double hi) const;
  /// The estimated value below which a fraction `f` (clamped to [0, 1]) of
  /// the finite values lie, within one bin width of the exact order
  /// statistic; clamped to [finite min, finite max]. 0 when none are finite.
  double getQuantile(double f) const;

private:
  /// Regrids the histogram to range `newRange` >= range (a power of two).
  void growRange(double newRange);
  /// Bins and counts blocks of `data` while they lie within [-R, R] and hold
  /// no NaN, with moments shifted by `shift`; returns the count consumed.
  size_t addBlocks(const float *data, size_t n, float shift);
  /// The shift for addBlocks nearest to `center` (a multiple of R / 256).
  float shiftFor(double center) const;
  /// The one-pass path once R is known: addBlocks shifted by the mean.
  size_t addWithinRange(const float *data, size_t n);
  /// Grows R for a batch with neither NaN nor +-inf, then bins it.
  void addRegular(const float *data, size_t n, float batchMin, float batchMax,
                  double batchSum);
  /// Adds a batch containing NaN or +-inf, value by value.
  void addIrregular(const float *data, size_t n);
  /// Folds a batch's mean/M2 (over `n` finite values) into the totals.
  void mergeMoments(uint64_t n, double batchMean, double batchM2);
  /// Bin index of a non-NaN value (finite ones must lie within R).
  size_t binIndexOf(double x) const;

  unsigned binsPerSide;
  double range = 0; ///< R; 0 while only zeros (or nothing) were seen
  std::vector<uint64_t> hist;
  uint64_t count = 0, nanCount = 0, posInfCount = 0, negInfCount = 0;
  uint64_t zeroCount = 0;
  double minValue = 0, maxValue = 0, finiteMin = 0, finiteMax = 0;
  double mean = 0, m2 = 0; ///< Welford/Chan moments of the finite values
};

} // namespace qlc

#endif // QLC_QUANT_TENSORSTATISTICS_H
