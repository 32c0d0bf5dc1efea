//===- IntGemm.cpp - Exact integer GEMM for the quantised kernels ---------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Register-blocked outer-product kernels over pair-packed B (IntGemm.h):
// AVX-512BW tiles of 4 rows x 64 columns (16 accumulators), AVX2 tiles of
// 4 rows x 16 columns, chosen at run time by CPUID; a portable scalar
// kernel covers other CPUs and the AVX2 column tails. Column tiles are the
// unit of parallel work so every thread streams its own slice of B while
// the small weight matrix A stays in cache.
//
//===----------------------------------------------------------------------===//

#include "Kernels/IntGemm.h"
#include "Kernels/Parallel.h"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define QLC_INTGEMM_X86 1
#endif

using namespace qlc;
using namespace qlc::interp;

namespace {

/// Operands of one GEMM, columns [lo, hi) of C being computed.
struct GemmArgs {
  int64_t m, n, k, lda, ldc;
  const int16_t *a, *packedB;
  int32_t *c;
};

int32_t loadPair(const int16_t *p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

/// Portable kernel: exact int32 sums, or int64 wrapped to int32 when the
/// reduction is too long for int32.
void gemmScalar(const GemmArgs &g, int64_t rowLo, int64_t rowHi, int64_t lo,
                int64_t hi) {
  int64_t pairs = getPairedDepth(g.k) / 2;
  bool wide = g.k > kMaxExactInt32Reduction;
  for (int64_t i = rowLo; i < rowHi; ++i) {
    const int16_t *ai = g.a + i * g.lda;
    for (int64_t j = lo; j < hi; ++j) {
      int64_t wideSum = 0;
      int32_t sum = 0;
      for (int64_t p = 0; p < pairs; ++p) {
        const int16_t *b = g.packedB + (p * g.n + j) * 2;
        int32_t pairSum =
            int32_t(ai[2 * p]) * b[0] + int32_t(ai[2 * p + 1]) * b[1];
        if (wide)
          wideSum += pairSum;
        else
          sum += pairSum;
      }
      g.c[i * g.ldc + j] =
          wide ? static_cast<int32_t>(static_cast<uint32_t>(wideSum)) : sum;
    }
  }
}

#ifdef QLC_INTGEMM_X86

/// R rows x 64 columns starting at column j0 (`cols` <= 64 of them valid).
template <int R>
__attribute__((target("avx512f,avx512bw"))) void
tileAvx512(const GemmArgs &g, int64_t i0, int64_t j0, int64_t cols) {
  constexpr int V = 4;
  __mmask16 mask[V];
  #pragma GCC unroll 4
  for (int v = 0; v < V; ++v) {
    int64_t left = std::clamp<int64_t>(cols - 16 * v, 0, 16);
    mask[v] = static_cast<__mmask16>((1u << left) - 1);
  }
  __m512i acc[R][V];
  #pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
    #pragma GCC unroll 4
    for (int v = 0; v < V; ++v)
      acc[r][v] = _mm512_setzero_si512();
  int64_t pairs = getPairedDepth(g.k) / 2;
  const int16_t *b = g.packedB + j0 * 2;
  const int16_t *a = g.a + i0 * g.lda;
  for (int64_t p = 0; p < pairs; ++p, b += g.n * 2) {
    __m512i bv[V];
    #pragma GCC unroll 4
    for (int v = 0; v < V; ++v)
      bv[v] = _mm512_maskz_loadu_epi32(mask[v], b + 32 * v);
    #pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      __m512i av = _mm512_set1_epi32(loadPair(a + r * g.lda + 2 * p));
      #pragma GCC unroll 4
      for (int v = 0; v < V; ++v)
        acc[r][v] = _mm512_add_epi32(acc[r][v], _mm512_madd_epi16(av, bv[v]));
    }
  }
  #pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
    #pragma GCC unroll 4
    for (int v = 0; v < V; ++v)
      _mm512_mask_storeu_epi32(g.c + (i0 + r) * g.ldc + j0 + 16 * v, mask[v],
                               acc[r][v]);
}

__attribute__((target("avx512f,avx512bw"))) void
gemmAvx512(const GemmArgs &g, int64_t lo, int64_t hi) {
  for (int64_t j = lo; j < hi; j += 64) {
    int64_t cols = std::min<int64_t>(64, hi - j);
    int64_t i = 0;
    for (; i + 4 <= g.m; i += 4)
      tileAvx512<4>(g, i, j, cols);
    switch (g.m - i) {
    case 3:
      tileAvx512<3>(g, i, j, cols);
      break;
    case 2:
      tileAvx512<2>(g, i, j, cols);
      break;
    case 1:
      tileAvx512<1>(g, i, j, cols);
      break;
    }
  }
}

/// R rows x 16 full columns starting at column j0.
template <int R>
__attribute__((target("avx2"))) void tileAvx2(const GemmArgs &g, int64_t i0,
                                              int64_t j0) {
  __m256i acc[R][2];
  #pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
    acc[r][0] = acc[r][1] = _mm256_setzero_si256();
  int64_t pairs = getPairedDepth(g.k) / 2;
  const int16_t *b = g.packedB + j0 * 2;
  const int16_t *a = g.a + i0 * g.lda;
  for (int64_t p = 0; p < pairs; ++p, b += g.n * 2) {
    __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b));
    __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b + 16));
    #pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      __m256i av = _mm256_set1_epi32(loadPair(a + r * g.lda + 2 * p));
      acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(av, b0));
      acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(av, b1));
    }
  }
  #pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    int32_t *out = g.c + (i0 + r) * g.ldc + j0;
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(out), acc[r][0]);
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(out + 8), acc[r][1]);
  }
}

__attribute__((target("avx2"))) void gemmAvx2(const GemmArgs &g, int64_t lo,
                                              int64_t hi) {
  int64_t j = lo;
  for (; j + 16 <= hi; j += 16) {
    int64_t i = 0;
    for (; i + 4 <= g.m; i += 4)
      tileAvx2<4>(g, i, j);
    for (; i < g.m; ++i)
      tileAvx2<1>(g, i, j);
  }
  gemmScalar(g, 0, g.m, j, hi);
}

#endif // QLC_INTGEMM_X86

IntGemmIsa detectIsa() {
#ifdef QLC_INTGEMM_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512f"))
    return IntGemmIsa::Avx512;
  if (__builtin_cpu_supports("avx2"))
    return IntGemmIsa::Avx2;
#endif
  return IntGemmIsa::Scalar;
}

const IntGemmIsa kBestIsa = detectIsa();
IntGemmIsa currentIsa = kBestIsa;

void gemmColumns(const GemmArgs &g, int64_t lo, int64_t hi) {
#ifdef QLC_INTGEMM_X86
  if (g.k <= kMaxExactInt32Reduction) {
    if (currentIsa == IntGemmIsa::Avx512)
      return gemmAvx512(g, lo, hi);
    if (currentIsa == IntGemmIsa::Avx2)
      return gemmAvx2(g, lo, hi);
  }
#endif
  gemmScalar(g, 0, g.m, lo, hi);
}

} // namespace

IntGemmIsa interp::getIntGemmIsa() { return currentIsa; }

void interp::setIntGemmIsa(IntGemmIsa isa) {
  currentIsa = std::min(isa, kBestIsa);
}

void interp::gemmInt16(int64_t m, int64_t n, int64_t k, const int16_t *a,
                       int64_t lda, const int16_t *packedB, int32_t *c,
                       int64_t ldc, unsigned threads) {
  if (m == 0 || n == 0)
    return;
  GemmArgs g{m, n, k, lda, ldc, a, packedB, c};
  // Chunks of whole 64-column tiles, big enough to amortise the hand-off.
  int64_t tiles = (n + 63) / 64;
  int64_t minTiles =
      std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, m * k * 64));
  parallelFor(threads, tiles, minTiles, [&](int64_t lo, int64_t hi) {
    gemmColumns(g, lo * 64, std::min(n, hi * 64));
  });
}
