//===- TensorStatisticsKernels.h - Inner loops of TensorStatistics -*- C++ -*-//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Internal to lib/Quant: the per-value loops of TensorStatistics::add, kept
// apart from the bookkeeping. The binning arithmetic is defined once, by
// binOf; the vector kernels compute the same float operations.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_QUANT_TENSORSTATISTICSKERNELS_H
#define QLC_LIB_QUANT_TENSORSTATISTICSKERNELS_H

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace qlc {
namespace detail {

/// Values binned per block: indices are computed vectorised into a buffer
/// of this size, then counted.
constexpr size_t kBlock = 512;
/// Batches at least this many times the bin count use sub-histograms.
constexpr size_t kSubHistogramMinBatch = 16;
/// Values per sub-histogram flush, so uint32 counters cannot overflow.
constexpr size_t kFlushEvery = size_t(1) << 30;

/// The bin of a finite value with |x| <= R: the magnitude bin
/// m = ceil(|x| * B / R) - 1 (clamped to [0, B-1]) at index B + m, mirrored
/// to B - 1 - m for negative x. `scale` = B / R is a power of two, so
/// |x| * scale is exact.
inline uint32_t binOf(float x, float scale, int32_t b) {
  float a = std::min(std::fabs(x) * scale, static_cast<float>(b));
  int32_t t = static_cast<int32_t>(a);
  int32_t m = t - (a == static_cast<float>(t) ? 1 : 0);
  m = std::max(m, 0);
  return static_cast<uint32_t>(x < 0 ? b - 1 - m : b + m);
}

/// Per-block results of the binning pass, over values x with shift K.
struct BlockSums {
  float min = HUGE_VALF, max = -HUGE_VALF;
  double sum = 0;   ///< sum of (x - K)
  double sumSq = 0; ///< sum of (x - K)^2
  uint64_t zeros = 0;
};

/// Computes the bin indices of `n` <= kBlock values into `idx`, and their
/// extremes, zeros and shifted sums into `sums`. Returns false, leaving
/// `sums` unchanged, if a value is NaN or beyond R (|x| * scale > b): the
/// caller then takes the general path from this block on. Uses AVX2 when
/// the CPU has it.
bool binBlock(const float *x, size_t n, float scale, int32_t b, float shift,
              uint32_t *idx, BlockSums &sums);

/// A vector kernel of binBlock: handles a multiple of 2 * width values from
/// the start of `x` and returns how many (0 if n < 2 * width), or -1 if a
/// value is NaN or beyond R; adds into `part` only on success.
using BinBlockKernel = long (*)(const float *x, size_t n, float scale,
                                int32_t b, float shift, uint32_t *idx,
                                BlockSums &part);
/// The kernel of `width` floats (4: SSE2 or NEON-width vectors, 8: AVX2),
/// or null where the compiler or the CPU has none. binBlock uses the widest;
/// tests compare each with binOf.
BinBlockKernel getBinBlockKernel(unsigned width);

/// min, max and sum of a batch of n >= 1 values; the sum is NaN or inf iff
/// the batch holds a NaN or an inf (|sum| <= 2^64 * FLT_MAX cannot overflow
/// a double).
struct ScanResult {
  float min, max;
  double sum;
};
ScanResult scanBatch(const float *x, size_t n);

/// Counts bin indices into a histogram. Large batches count into four
/// interleaved uint32 sub-histograms, so that runs of one index (the zeros
/// of a ReLU) do not serialise on one counter; finish() folds them in.
class BinCounter {
public:
  BinCounter(std::vector<uint64_t> &hist, size_t batchSize);
  ~BinCounter() { finish(); }
  BinCounter(const BinCounter &) = delete;
  BinCounter &operator=(const BinCounter &) = delete;

  void count(const uint32_t *idx, size_t len);
  void finish();

private:
  std::vector<uint64_t> &hist;
  size_t nb;
  std::unique_ptr<uint32_t[]> sub;
  size_t pending = 0;
};

} // namespace detail
} // namespace qlc

#endif // QLC_LIB_QUANT_TENSORSTATISTICSKERNELS_H
