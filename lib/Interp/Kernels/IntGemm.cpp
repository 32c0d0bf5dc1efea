//===- IntGemm.cpp - Exact integer GEMM for the quantised kernels ---------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A 2x4 register block of dot products (two rows of A against four rows of
// B^T) keeps eight vector accumulators busy per six loads; `omp simd`
// reductions let GCC vectorise the int16 products into pmaddwd at -O2, and
// target_clones builds the block for AVX-512BW and AVX2 next to the
// baseline. The column loop is outermost so a few B^T rows stay in L1 while
// every row of A (the small weight matrix) passes over them.
//
//===----------------------------------------------------------------------===//

#include "Kernels/IntGemm.h"
#include "Kernels/Parallel.h"

#include <algorithm>

using namespace qlc;
using namespace qlc::interp;

namespace {

#define QLC_INT_CLONES                                                         \
  __attribute__((target_clones("arch=skylake-avx512", "avx2", "default")))

QLC_INT_CLONES void block2x4(const int16_t *a0, const int16_t *a1,
                             const int16_t *b0, const int16_t *b1,
                             const int16_t *b2, const int16_t *b3, int64_t k,
                             int32_t *out) {
  int32_t s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0,
          s13 = 0;
#pragma omp simd reduction(+ : s00, s01, s02, s03, s10, s11, s12, s13)
  for (int64_t p = 0; p < k; ++p) {
    int32_t x0 = a0[p], x1 = a1[p];
    s00 += x0 * b0[p];
    s01 += x0 * b1[p];
    s02 += x0 * b2[p];
    s03 += x0 * b3[p];
    s10 += x1 * b0[p];
    s11 += x1 * b1[p];
    s12 += x1 * b2[p];
    s13 += x1 * b3[p];
  }
  out[0] = s00, out[1] = s01, out[2] = s02, out[3] = s03;
  out[4] = s10, out[5] = s11, out[6] = s12, out[7] = s13;
}

QLC_INT_CLONES int32_t dot1(const int16_t *a, const int16_t *b, int64_t k) {
  int32_t s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t p = 0; p < k; ++p)
    s += int32_t(a[p]) * b[p];
  return s;
}

/// Reductions too long for exact int32 sums: int64, wrapped at the end.
int32_t dotWide(const int16_t *a, const int16_t *b, int64_t k) {
  int64_t s = 0;
  for (int64_t p = 0; p < k; ++p)
    s += int64_t(a[p]) * b[p];
  return static_cast<int32_t>(static_cast<uint32_t>(s));
}

void gemmColumns(int64_t m, int64_t lo, int64_t hi, int64_t k, const int16_t *a,
                 const int16_t *bt, int32_t *c, int64_t ldc) {
  if (k > kMaxExactInt32Reduction) {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = lo; j < hi; ++j)
        c[i * ldc + j] = dotWide(a + i * k, bt + j * k, k);
    return;
  }
  int64_t j = lo;
  for (; j + 4 <= hi; j += 4) {
    const int16_t *b0 = bt + j * k;
    int64_t i = 0;
    for (; i + 2 <= m; i += 2) {
      int32_t out[8];
      block2x4(a + i * k, a + (i + 1) * k, b0, b0 + k, b0 + 2 * k, b0 + 3 * k,
               k, out);
      for (int q = 0; q < 4; ++q) {
        c[i * ldc + j + q] = out[q];
        c[(i + 1) * ldc + j + q] = out[4 + q];
      }
    }
    for (; i < m; ++i)
      for (int q = 0; q < 4; ++q)
        c[i * ldc + j + q] = dot1(a + i * k, b0 + q * k, k);
  }
  for (; j < hi; ++j)
    for (int64_t i = 0; i < m; ++i)
      c[i * ldc + j] = dot1(a + i * k, bt + j * k, k);
}

} // namespace

void interp::gemmInt16(int64_t m, int64_t n, int64_t k, const int16_t *a,
                       const int16_t *bt, int32_t *c, int64_t ldc,
                       unsigned threads) {
  if (m == 0 || n == 0)
    return;
  // Chunks of whole 4-column blocks, big enough to amortise the hand-off.
  int64_t minChunk =
      std::max<int64_t>(4, (1 << 16) / std::max<int64_t>(1, m * k));
  parallelFor(threads, n, minChunk, [&](int64_t lo, int64_t hi) {
    gemmColumns(m, lo, hi, k, a, bt, c, ldc);
  });
}
