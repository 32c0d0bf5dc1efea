//===- GemmlowpCandidate.cpp - gemmlowp ConvInteger candidate ---*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// im2col + gemmlowp's uint8 GEMM with offsets (exact int32 output). gemmlowp
// picks its SIMD kernels at compile time, so this file alone is built with
// -mavx2 when the compiler accepts it: the best case gemmlowp could offer.
//
//===----------------------------------------------------------------------===//

#include "BenchCommon.h"

#include <gemmlowp/public/gemmlowp.h>

#include <memory>
#include <tuple>
#include <vector>

using namespace qlc::bench;

RunFn makeGemmlowpConv(const ConvLayer &l, const uint8_t *src,
                       const uint8_t *weights, int32_t *dst) {
  int64_t oh = l.outH(), ow = l.outW(), cg = l.c / l.group, og = l.co / l.group,
          kdim = cg * l.kh * l.kw;
  auto col = std::make_shared<std::vector<uint8_t>>(kdim * oh * ow);
  auto ctx = std::make_shared<gemmlowp::GemmContext>();
  ctx->set_max_num_threads(1);
  return [=] {
    for (int64_t b = 0; b < l.n; ++b)
      for (int64_t g = 0; g < l.group; ++g) {
        const uint8_t *img = src + (b * l.c + g * cg) * l.h * l.w;
        uint8_t *c0 = col->data();
        // Padding must contribute zero after the offset: pad with the zero
        // point (3).
        for (int64_t c = 0; c < cg; ++c)
          for (int64_t ky = 0; ky < l.kh; ++ky)
            for (int64_t kx = 0; kx < l.kw; ++kx)
              for (int64_t y = 0; y < oh; ++y) {
                int64_t iy = y * l.stride - l.padT + ky;
                for (int64_t x = 0; x < ow; ++x) {
                  int64_t ix = x * l.stride - l.padL + kx;
                  bool in = iy >= 0 && iy < l.h && ix >= 0 && ix < l.w;
                  *c0++ = in ? img[(c * l.h + iy) * l.w + ix] : 3;
                }
              }
        gemmlowp::MatrixMap<const uint8_t, gemmlowp::MapOrder::RowMajor> lhs(
            weights + g * og * kdim, og, kdim);
        gemmlowp::MatrixMap<const uint8_t, gemmlowp::MapOrder::RowMajor> rhs(
            col->data(), kdim, oh * ow);
        gemmlowp::MatrixMap<int32_t, gemmlowp::MapOrder::RowMajor> res(
            dst + (b * l.co + g * og) * oh * ow, og, oh * ow);
        gemmlowp::GemmWithOutputPipeline<uint8_t, int32_t,
                                         gemmlowp::DefaultL8R8BitDepthParams>(
            ctx.get(), lhs, rhs, &res, -5, -3, std::make_tuple());
      }
  };
}
