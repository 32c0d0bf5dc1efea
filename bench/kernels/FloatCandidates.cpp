//===- FloatCandidates.cpp - Float convolution candidates -------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The float convolution implementations compared by qlc-bench-kernels, all on
// NCHW tensors (the interpreter's layout):
//  - oneDNN with plain NCHW source/destination (weights reordered once),
//  - oneDNN with the layouts it prefers ("any": NHWC or blocked on AVX-512),
//    reordering the NCHW source and destination on every call, for the
//    whole batch at once or image by image (for cache locality),
//  - im2col + SGEMM from OpenBLAS, Eigen and oneDNN's dnnl_sgemm; depthwise
//    layers use a direct per-channel loop since a GEMM of one row is wasteful;
//  - the interpreter's own Conv kernel (QlcCandidate.cpp), for its overhead.
//
//===----------------------------------------------------------------------===//

#include "BenchCommon.h"

#include <Eigen/Core>
#include <cblas.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <cstring>
#include <memory>

using namespace qlc::bench;

namespace {

dnnl::engine &getEngine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

/// State of a oneDNN convolution kept alive by the runner.
struct DnnlConv {
  dnnl::convolution_forward prim;
  dnnl::memory src, weights, bias, dst, userSrc, userDst;
  dnnl::reorder srcReorder, dstReorder;
  bool reorderSrc = false, reorderDst = false;
  dnnl::stream stream{getEngine()};
  /// Images per primitive call, and the byte strides of one call.
  int64_t calls = 1, srcStep = 0, dstStep = 0;
  char *srcBase = nullptr, *dstBase = nullptr;

  void run() {
    for (int64_t i = 0; i < calls; ++i) {
      userSrc.set_data_handle(srcBase + i * srcStep);
      userDst.set_data_handle(dstBase + i * dstStep);
      if (reorderSrc)
        srcReorder.execute(stream, userSrc, src);
      prim.execute(stream, {{DNNL_ARG_SRC, src},
                            {DNNL_ARG_WEIGHTS, weights},
                            {DNNL_ARG_BIAS, bias},
                            {DNNL_ARG_DST, dst}});
      if (reorderDst)
        dstReorder.execute(stream, dst, userDst);
    }
    stream.wait();
  }
};

RunFn makeDnnl(const ConvLayer &full, const float *src, const float *weights,
               const float *bias, float *dst, bool blocked, bool perImage) {
  ConvLayer l = full;
  if (perImage)
    l.n = 1;
  using tag = dnnl::memory::format_tag;
  using dt = dnnl::memory::data_type;
  dnnl::engine &eng = getEngine();
  dnnl::memory::dims srcDims{l.n, l.c, l.h, l.w};
  dnnl::memory::dims dstDims{l.n, l.co, l.outH(), l.outW()};
  dnnl::memory::dims weiDims =
      l.group > 1 ? dnnl::memory::dims{l.group, l.co / l.group, l.c / l.group,
                                       l.kh, l.kw}
                  : dnnl::memory::dims{l.co, l.c, l.kh, l.kw};
  tag userWeiTag = l.group > 1 ? tag::goihw : tag::oihw;
  dnnl::memory::desc srcMd(srcDims, dt::f32, blocked ? tag::any : tag::nchw);
  dnnl::memory::desc dstMd(dstDims, dt::f32, blocked ? tag::any : tag::nchw);
  dnnl::memory::desc weiMd(weiDims, dt::f32, tag::any);
  dnnl::memory::desc biasMd({l.co}, dt::f32, tag::x);
  dnnl::convolution_forward::desc desc(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
      srcMd, weiMd, biasMd, dstMd, {l.stride, l.stride}, {0, 0},
      {l.padT, l.padL}, {l.padB, l.padR});
  dnnl::primitive_attr attr;
  attr.set_fpmath_mode(dnnl::fpmath_mode::strict);
  dnnl::convolution_forward::primitive_desc pd(desc, attr, eng);

  auto conv = std::make_shared<DnnlConv>();
  conv->prim = dnnl::convolution_forward(pd);
  dnnl::memory userWei({weiDims, dt::f32, userWeiTag}, eng,
                       const_cast<float *>(weights));
  conv->weights = dnnl::memory(pd.weights_desc(), eng);
  dnnl::reorder(userWei, conv->weights)
      .execute(conv->stream, userWei, conv->weights);
  conv->bias = dnnl::memory(biasMd, eng, const_cast<float *>(bias));
  conv->userSrc = dnnl::memory({srcDims, dt::f32, tag::nchw}, eng,
                               const_cast<float *>(src));
  conv->userDst = dnnl::memory({dstDims, dt::f32, tag::nchw}, eng, dst);
  conv->reorderSrc = pd.src_desc() != conv->userSrc.get_desc();
  conv->reorderDst = pd.dst_desc() != conv->userDst.get_desc();
  conv->src =
      conv->reorderSrc ? dnnl::memory(pd.src_desc(), eng) : conv->userSrc;
  conv->dst =
      conv->reorderDst ? dnnl::memory(pd.dst_desc(), eng) : conv->userDst;
  if (conv->reorderSrc)
    conv->srcReorder = dnnl::reorder(conv->userSrc, conv->src);
  if (conv->reorderDst)
    conv->dstReorder = dnnl::reorder(conv->dst, conv->userDst);
  conv->calls = full.n / l.n;
  conv->srcBase = reinterpret_cast<char *>(const_cast<float *>(src));
  conv->dstBase = reinterpret_cast<char *>(dst);
  conv->srcStep = l.n * l.c * l.h * l.w * sizeof(float);
  conv->dstStep = l.n * l.co * l.outH() * l.outW() * sizeof(float);
  return [conv] { conv->run(); };
}

RunFn makeDnnlPlain(const ConvLayer &l, const float *src, const float *weights,
                    const float *bias, float *dst) {
  return makeDnnl(l, src, weights, bias, dst, /*blocked=*/false, false);
}
RunFn makeDnnlBlocked(const ConvLayer &l, const float *src,
                      const float *weights, const float *bias, float *dst) {
  return makeDnnl(l, src, weights, bias, dst, /*blocked=*/true, false);
}
RunFn makeDnnlBlockedPerImage(const ConvLayer &l, const float *src,
                              const float *weights, const float *bias,
                              float *dst) {
  return makeDnnl(l, src, weights, bias, dst, /*blocked=*/true, true);
}

/// Unfolds one group of one image into a (cg*kh*kw) x (oh*ow) matrix.
void im2col(const ConvLayer &l, const float *img, float *col) {
  int64_t oh = l.outH(), ow = l.outW(), cg = l.c / l.group;
  for (int64_t c = 0; c < cg; ++c)
    for (int64_t ky = 0; ky < l.kh; ++ky)
      for (int64_t kx = 0; kx < l.kw; ++kx, col += oh * ow)
        for (int64_t y = 0; y < oh; ++y) {
          int64_t iy = y * l.stride - l.padT + ky;
          for (int64_t x = 0; x < ow; ++x) {
            int64_t ix = x * l.stride - l.padL + kx;
            bool in = iy >= 0 && iy < l.h && ix >= 0 && ix < l.w;
            col[y * ow + x] = in ? img[(c * l.h + iy) * l.w + ix] : 0.0f;
          }
        }
}

/// Direct depthwise convolution of one channel plane.
void depthwisePlane(const ConvLayer &l, const float *in, const float *k,
                    float bias, float *out) {
  int64_t oh = l.outH(), ow = l.outW();
  for (int64_t i = 0; i < oh * ow; ++i)
    out[i] = bias;
  for (int64_t y = 0; y < oh; ++y)
    for (int64_t ky = 0; ky < l.kh; ++ky) {
      int64_t iy = y * l.stride - l.padT + ky;
      if (iy < 0 || iy >= l.h)
        continue;
      const float *row = in + iy * l.w;
      for (int64_t kx = 0; kx < l.kw; ++kx) {
        float wv = k[ky * l.kw + kx];
        // Output columns whose input column is inside the image.
        int64_t x0 = 0, x1 = ow;
        while (x0 < ow && x0 * l.stride - l.padL + kx < 0)
          ++x0;
        while (x1 > x0 && (x1 - 1) * l.stride - l.padL + kx >= l.w)
          --x1;
        float *o = out + y * ow;
        const float *r = row - l.padL + kx;
        for (int64_t x = x0; x < x1; ++x)
          o[x] += wv * r[x * l.stride];
      }
    }
}

enum class Gemm { OpenBlas, Eigen, Dnnl };

/// C[m x n] = A[m x k] * B[k x n], row-major.
void sgemm(Gemm which, int64_t m, int64_t n, int64_t k, const float *a,
           const float *b, float *c) {
  switch (which) {
  case Gemm::OpenBlas:
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k,
                b, n, 0.0f, c, n);
    break;
  case Gemm::Dnnl:
    dnnl_sgemm('N', 'N', m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
    break;
  case Gemm::Eigen: {
    using Mat =
        Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    Eigen::Map<const Mat> ma(a, m, k), mb(b, k, n);
    Eigen::Map<Mat> mc(c, m, n);
    mc.noalias() = ma * mb;
    break;
  }
  }
}

RunFn makeIm2col(const ConvLayer &l, const float *src, const float *weights,
                 const float *bias, float *dst, Gemm which) {
  int64_t oh = l.outH(), ow = l.outW(), cg = l.c / l.group, og = l.co / l.group,
          kdim = cg * l.kh * l.kw;
  bool direct = l.kh == 1 && l.kw == 1 && l.stride == 1 && l.padT == 0 &&
                l.padL == 0 && l.padB == 0 && l.padR == 0;
  auto col = std::make_shared<std::vector<float>>(
      direct || l.isDepthwise() ? 0 : kdim * oh * ow);
  return [=] {
    for (int64_t b = 0; b < l.n; ++b) {
      const float *img = src + b * l.c * l.h * l.w;
      float *out = dst + b * l.co * oh * ow;
      if (l.isDepthwise()) {
        for (int64_t c = 0; c < l.c; ++c)
          depthwisePlane(l, img + c * l.h * l.w, weights + c * l.kh * l.kw,
                         bias[c], out + c * oh * ow);
        continue;
      }
      for (int64_t g = 0; g < l.group; ++g) {
        const float *gi = img + g * cg * l.h * l.w;
        const float *b2 = gi;
        if (!direct) {
          im2col(l, gi, col->data());
          b2 = col->data();
        }
        float *go = out + g * og * oh * ow;
        sgemm(which, og, oh * ow, kdim, weights + g * og * kdim, b2, go);
        for (int64_t o = 0; o < og; ++o)
          for (int64_t i = 0; i < oh * ow; ++i)
            go[o * oh * ow + i] += bias[g * og + o];
      }
    }
  };
}

RunFn makeOpenBlas(const ConvLayer &l, const float *s, const float *w,
                   const float *b, float *d) {
  return makeIm2col(l, s, w, b, d, Gemm::OpenBlas);
}
RunFn makeEigen(const ConvLayer &l, const float *s, const float *w,
                const float *b, float *d) {
  return makeIm2col(l, s, w, b, d, Gemm::Eigen);
}
RunFn makeDnnlSgemm(const ConvLayer &l, const float *s, const float *w,
                    const float *b, float *d) {
  return makeIm2col(l, s, w, b, d, Gemm::Dnnl);
}

} // namespace

std::vector<FloatCandidate> qlc::bench::getFloatCandidates() {
  return {{"dnnl-nchw", makeDnnlPlain},
          {"dnnl-any+reorder", makeDnnlBlocked},
          {"dnnl-any+reorder/image", makeDnnlBlockedPerImage},
          {"im2col+openblas", makeOpenBlas},
          {"im2col+eigen", makeEigen},
          {"im2col+dnnl_sgemm", makeDnnlSgemm},
          {"qlc Conv kernel", makeQlcConv}};
}
