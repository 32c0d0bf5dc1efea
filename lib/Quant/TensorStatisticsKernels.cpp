//===- TensorStatisticsKernels.cpp - Inner loops of TensorStatistics ------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The per-value loops of TensorStatistics::add, written with GCC/Clang
// vector extensions so that they vectorise at any optimisation level: the
// batch scan (min, max, sum) and the binning pass, which computes bin
// indices, extremes, zero count and shifted sums in one sweep and checks
// that the block lies within R before anything is counted. On x86-64 the
// binning kernel is also compiled for AVX2 and chosen at run time; other
// compilers get the scalar loops, which compute the same results.
//
//===----------------------------------------------------------------------===//

#include "TensorStatisticsKernels.h"

#include <cstring>

using namespace qlc::detail;

namespace {

#if defined(__GNUC__) || defined(__clang__)
#define QLC_HAVE_VECTOR_EXT 1
typedef float V4F __attribute__((vector_size(16)));
typedef int32_t V4I __attribute__((vector_size(16)));
typedef double V4D __attribute__((vector_size(32)));
typedef float V8F __attribute__((vector_size(32)));
typedef int32_t V8I __attribute__((vector_size(32)));

inline V4F load4(const float *p) {
  V4F v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

/// Adds the lanes of the float partial sums to the double totals and
/// clears them.
template <typename VF>
__attribute__((always_inline)) inline void
drainSums(VF &s0, VF &s1, VF &q0, VF &q1, double &sum, double &sumSq) {
  constexpr size_t w = sizeof(VF) / sizeof(float);
  VF s = s0 + s1, q = q0 + q1;
  for (size_t j = 0; j < w; ++j) {
    sum += s[j];
    sumSq += q[j];
  }
  s0 = s1 = q0 = q1 = VF{} + 0.0f;
}

/// The vector part of binBlock for vectors VF of floats and VI of int32 of
/// the same width: handles a multiple of 2 * width values from the start and
/// returns how many, or -1 if a value is NaN or beyond R. Always inlined, so
/// that the AVX2 wrapper below compiles it with AVX2.
template <typename VF, typename VI>
__attribute__((always_inline)) inline long
binBlockVector(const float *x, size_t n, float scale, int32_t b, float shift,
               uint32_t *idx, BlockSums &part) {
  constexpr size_t w = sizeof(VF) / sizeof(float);
  if (n < 2 * w)
    return 0;
  const VF zero = VF{} + 0.0f, vScale = zero + scale;
  const VF vCap = zero + static_cast<float>(b), vShift = zero + shift;
  const VI zeroI = VI{} + 0, vB = zeroI + b, vAbsMask = zeroI + 0x7fffffff;
  VF s0 = zero, s1 = zero, q0 = zero, q1 = zero, mn, mx;
  VI vZeros = zeroI, vBad = zeroI;
  std::memcpy(&mn, x, sizeof(VF));
  mx = mn;
  size_t i = 0;
  double sum = 0, sumSq = 0;
  for (size_t step = 0; i + 2 * w <= n; i += 2 * w, ++step) {
    // Every 8 steps the float partial sums go to double, so that no float
    // accumulator adds more than 8 terms.
    if (step % 8 == 7)
      drainSums(s0, s1, q0, q1, sum, sumSq);
    for (size_t half = 0; half < 2; ++half) {
      VF v;
      std::memcpy(&v, x + i + half * w, sizeof(VF));
      VF a = (VF)((VI)v & vAbsMask) * vScale;
      vBad |= ~(a <= vCap); // NaN, inf, or beyond R
      VI t = __builtin_convertvector(a, VI);
      VI m = t + (a == __builtin_convertvector(t, VF)); // true is -1
      m = m < zeroI ? zeroI : m;
      VI idxV = vB + (m ^ (v < zero)); // m ^ -1 == -m - 1
      std::memcpy(idx + i + half * w, &idxV, sizeof(VI));
      vZeros -= (v == zero);
      mn = v < mn ? v : mn;
      mx = v > mx ? v : mx;
      VF d = v - vShift;
      (half ? s1 : s0) += d;
      (half ? q1 : q0) += d * d;
    }
  }
  int32_t bad = 0;
  for (size_t j = 0; j < w; ++j)
    bad |= vBad[j];
  if (bad)
    return -1;
  drainSums(s0, s1, q0, q1, sum, sumSq);
  part.sum += sum;
  part.sumSq += sumSq;
  for (size_t j = 0; j < w; ++j) {
    part.zeros += static_cast<uint64_t>(vZeros[j]);
    part.min = std::min(part.min, mn[j]);
    part.max = std::max(part.max, mx[j]);
  }
  return static_cast<long>(i);
}

long binBlock4(const float *x, size_t n, float scale, int32_t b, float shift,
               uint32_t *idx, BlockSums &part) {
  return binBlockVector<V4F, V4I>(x, n, scale, b, shift, idx, part);
}

#if defined(__AVX2__)
long binBlock8(const float *x, size_t n, float scale, int32_t b, float shift,
               uint32_t *idx, BlockSums &part) {
  return binBlockVector<V8F, V8I>(x, n, scale, b, shift, idx, part);
}
#elif defined(__x86_64__)
#define QLC_HAVE_AVX2_DISPATCH 1
__attribute__((target("avx2"))) long binBlock8(const float *x, size_t n,
                                               float scale, int32_t b,
                                               float shift, uint32_t *idx,
                                               BlockSums &part) {
  return binBlockVector<V8F, V8I>(x, n, scale, b, shift, idx, part);
}
#endif

bool have8() {
#if defined(__AVX2__)
  return true;
#elif defined(QLC_HAVE_AVX2_DISPATCH)
  return __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}
#endif // QLC_HAVE_VECTOR_EXT

} // namespace

BinBlockKernel qlc::detail::getBinBlockKernel(unsigned width) {
#ifdef QLC_HAVE_VECTOR_EXT
  if (width == 4)
    return binBlock4;
#if defined(__AVX2__) || defined(QLC_HAVE_AVX2_DISPATCH)
  if (width == 8 && have8())
    return binBlock8;
#endif
#endif
  (void)width;
  return nullptr;
}

bool qlc::detail::binBlock(const float *x, size_t n, float scale, int32_t b,
                           float shift, uint32_t *idx, BlockSums &sums) {
  size_t i = 0;
  float fb = static_cast<float>(b);
  BlockSums part;
#ifdef QLC_HAVE_VECTOR_EXT
  // Chosen once (a function-local static: no static constructor).
  static const BinBlockKernel vectorPart =
      getBinBlockKernel(8) ? getBinBlockKernel(8) : getBinBlockKernel(4);
  long done = vectorPart(x, n, scale, b, shift, idx, part);
  if (done < 0)
    return false;
  i = static_cast<size_t>(done);
#endif
  for (; i < n; ++i) {
    float v = x[i];
    if (!(std::fabs(v) * scale <= fb))
      return false;
    idx[i] = binOf(v, scale, b);
    part.zeros += v == 0;
    part.min = std::min(part.min, v);
    part.max = std::max(part.max, v);
    double d = double(v) - double(shift);
    part.sum += d;
    part.sumSq += d * d;
  }
  sums.min = std::min(sums.min, part.min);
  sums.max = std::max(sums.max, part.max);
  sums.sum += part.sum;
  sums.sumSq += part.sumSq;
  sums.zeros += part.zeros;
  return true;
}

ScanResult qlc::detail::scanBatch(const float *x, size_t n) {
  ScanResult r{x[0], x[0], 0.0};
  size_t i = 0;
#ifdef QLC_HAVE_VECTOR_EXT
  if (n >= 8) {
    V4F mn0 = load4(x), mx0 = mn0, mn1 = load4(x + 4), mx1 = mn1;
    V4D s0 = {0, 0, 0, 0}, s1 = s0;
    for (; i + 8 <= n; i += 8) {
      V4F a = load4(x + i), b = load4(x + i + 4);
      mn0 = a < mn0 ? a : mn0;
      mx0 = a > mx0 ? a : mx0;
      mn1 = b < mn1 ? b : mn1;
      mx1 = b > mx1 ? b : mx1;
      s0 += __builtin_convertvector(a, V4D);
      s1 += __builtin_convertvector(b, V4D);
    }
    V4F mn = mn0 < mn1 ? mn0 : mn1, mx = mx0 > mx1 ? mx0 : mx1;
    V4D s = s0 + s1;
    for (int j = 0; j < 4; ++j) {
      r.min = std::min(r.min, mn[j]);
      r.max = std::max(r.max, mx[j]);
    }
    r.sum = (s[0] + s[1]) + (s[2] + s[3]);
  }
#endif
  for (; i < n; ++i) {
    r.min = std::min(r.min, x[i]);
    r.max = std::max(r.max, x[i]);
    r.sum += x[i];
  }
  return r;
}

BinCounter::BinCounter(std::vector<uint64_t> &hist, size_t batchSize)
    : hist(hist), nb(hist.size()) {
  if (batchSize >= kSubHistogramMinBatch * nb)
    sub.reset(new uint32_t[4 * nb]());
}

void BinCounter::count(const uint32_t *idx, size_t len) {
  if (!sub) {
    for (size_t j = 0; j < len; ++j)
      ++hist[idx[j]];
    return;
  }
  uint32_t *c0 = sub.get(), *c1 = c0 + nb, *c2 = c1 + nb, *c3 = c2 + nb;
  size_t j = 0;
  for (; j + 4 <= len; j += 4) {
    ++c0[idx[j]];
    ++c1[idx[j + 1]];
    ++c2[idx[j + 2]];
    ++c3[idx[j + 3]];
  }
  for (; j < len; ++j)
    ++c0[idx[j]];
  pending += len;
  if (pending >= kFlushEvery)
    finish();
}

void BinCounter::finish() {
  if (!sub || pending == 0)
    return;
  const uint32_t *c = sub.get();
  for (size_t j = 0; j < nb; ++j)
    hist[j] += uint64_t(c[j]) + c[nb + j] + c[2 * nb + j] + c[3 * nb + j];
  std::fill(sub.get(), sub.get() + 4 * nb, 0u);
  pending = 0;
}
