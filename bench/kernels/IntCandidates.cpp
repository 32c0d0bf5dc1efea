//===- IntCandidates.cpp - Exact integer convolution candidates -*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// ConvInteger-style candidates (uint8 input and weights, zero points 3 and
// 5, exact int32 output) compared by qlc-bench-kernels:
//  - "i16-dot": im2col into K-contiguous int16 rows with the zero points
//    already subtracted, then int32 dot products that GCC turns into
//    pmaddwd (built for AVX-512BW / AVX2 / baseline, picked at run time);
//  - "gemmlowp" (GemmlowpCandidate.cpp), when the package is installed;
//  - the interpreter's ConvInteger kernel (QlcCandidate.cpp).
// oneDNN's u8s8s32 paths are not candidates: without AVX-512 VNNI they go
// through vpmaddubsw, which saturates int16 pair sums, so they are not exact.
//
//===----------------------------------------------------------------------===//

#include "BenchCommon.h"

#include <memory>
#include <vector>

using namespace qlc::bench;

namespace {

constexpr int32_t kSrcZero = 3, kWeightZero = 5;

__attribute__((target_clones("arch=skylake-avx512", "avx2", "default"))) int32_t
dot16(const int16_t *a, const int16_t *b, int64_t k) {
  int32_t acc = 0;
#pragma omp simd reduction(+ : acc)
  for (int64_t i = 0; i < k; ++i)
    acc += int32_t(a[i]) * int32_t(b[i]);
  return acc;
}

RunFn makeI16Dot(const ConvLayer &l, const uint8_t *src, const uint8_t *weights,
                 int32_t *dst) {
  int64_t oh = l.outH(), ow = l.outW(), cg = l.c / l.group, og = l.co / l.group,
          kdim = cg * l.kh * l.kw;
  auto wq = std::make_shared<std::vector<int16_t>>(l.co * kdim);
  for (int64_t i = 0; i < l.co * kdim; ++i)
    (*wq)[i] = int16_t(weights[i] - kWeightZero);
  auto col = std::make_shared<std::vector<int16_t>>(oh * ow * kdim);
  return [=] {
    for (int64_t b = 0; b < l.n; ++b)
      for (int64_t g = 0; g < l.group; ++g) {
        const uint8_t *img = src + (b * l.c + g * cg) * l.h * l.w;
        // Transposed im2col: one K-long row per output pixel.
        int16_t *row = col->data();
        for (int64_t y = 0; y < oh; ++y)
          for (int64_t x = 0; x < ow; ++x)
            for (int64_t c = 0; c < cg; ++c)
              for (int64_t ky = 0; ky < l.kh; ++ky) {
                int64_t iy = y * l.stride - l.padT + ky;
                for (int64_t kx = 0; kx < l.kw; ++kx) {
                  int64_t ix = x * l.stride - l.padL + kx;
                  bool in = iy >= 0 && iy < l.h && ix >= 0 && ix < l.w;
                  *row++ =
                      in ? int16_t(img[(c * l.h + iy) * l.w + ix] - kSrcZero)
                         : 0;
                }
              }
        int32_t *out = dst + (b * l.co + g * og) * oh * ow;
        for (int64_t o = 0; o < og; ++o) {
          const int16_t *w = wq->data() + (g * og + o) * kdim;
          for (int64_t p = 0; p < oh * ow; ++p)
            out[o * oh * ow + p] = dot16(w, col->data() + p * kdim, kdim);
        }
      }
  };
}

} // namespace

#ifdef QLC_BENCH_HAVE_GEMMLOWP
RunFn makeGemmlowpConv(const ConvLayer &l, const uint8_t *src,
                       const uint8_t *weights, int32_t *dst);
#endif

std::vector<IntCandidate> qlc::bench::getIntCandidates() {
  std::vector<IntCandidate> result{
      {"i16-dot", makeI16Dot}, {"qlc ConvInteger kernel", makeQlcConvInteger}};
#ifdef QLC_BENCH_HAVE_GEMMLOWP
  result.push_back({"gemmlowp", makeGemmlowpConv});
#endif
  return result;
}
