//===- IntConvCore.cpp - Exact 8-bit convolution core ---------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Convolutions with several input channels per group become one gemmInt16
// per image and group. The reduction is ordered (kernel tap, channel) with
// the channels padded to an even count, so each pair gemmInt16 multiplies
// together is two neighbouring channels at one tap. The image is widened
// once into channel pairs (one int32 per pixel holding two int16 values),
// and unfolding it (im2col) is then a copy of int32 pixels: for a 2-D image
// one strided copy per output row between zero borders. Weights are
// reordered to match. One-channel groups (depthwise) take a direct loop.
//
//===----------------------------------------------------------------------===//

#include "Kernels/IntConvCore.h"
#include "Kernels/Dispatch.h"
#include "Kernels/IntGemm.h"
#include "Kernels/Parallel.h"

#include <algorithm>
#include <memory>

using namespace qlc;
using namespace qlc::interp;

namespace {

using Int8Types = TypeList<uint8_t, int8_t>;

/// An uninitialised array (every element is written before it is read).
template <typename T> std::unique_ptr<T[]> makeBuffer(int64_t n) {
  return std::unique_ptr<T[]>(
      new T[static_cast<size_t>(std::max<int64_t>(n, 1))]);
}

/// Calls fn(values) with the 8-bit data of `t` typed.
template <typename Fn> void withInt8Data(const Tensor &t, Fn fn) {
  dispatchType<Int8Types>(t.getElementType(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    fn(reinterpret_cast<const T *>(t.getRawData()));
  });
}

int64_t zeroOf(llvm::ArrayRef<int64_t> zeros, int64_t m) {
  return zeros.size() == 1 ? zeros[0] : zeros[m];
}

/// One-channel groups: a direct loop per output channel.
void convolveDepthwise(const ConvProblem &p, const Tensor &x, int64_t xZero,
                       const Tensor &w, llvm::ArrayRef<int64_t> wZeros,
                       int32_t *acc, unsigned threads) {
  std::vector<int64_t> taps = buildTapTable(p.geo);
  int64_t inPix = p.geo.getInPixels(), outPix = p.geo.getOutPixels(),
          kPix = p.geo.getKernelPixels(), mg = p.getOutPerGroup();
  std::vector<int16_t> xw(x.getNumElements()), ww(w.getNumElements());
  withInt8Data(x, [&](auto *v) {
    for (size_t i = 0; i < xw.size(); ++i)
      xw[i] = static_cast<int16_t>(int64_t(v[i]) - xZero);
  });
  withInt8Data(w, [&](auto *v) {
    for (size_t i = 0; i < ww.size(); ++i)
      ww[i] = static_cast<int16_t>(int64_t(v[i]) - zeroOf(wZeros, i / kPix));
  });
  parallelFor(threads, p.batch * p.outChannels, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t nm = lo; nm < hi; ++nm) {
      int64_t n = nm / p.outChannels, m = nm % p.outChannels;
      const int16_t *plane = xw.data() + (n * p.inChannels + m / mg) * inPix;
      const int16_t *wk = ww.data() + m * kPix;
      int32_t *out = acc + nm * outPix;
      for (int64_t o = 0; o < outPix; ++o) {
        const int64_t *tp = taps.data() + o * kPix;
        int64_t sum = 0;
        for (int64_t t = 0; t < kPix; ++t)
          if (tp[t] >= 0)
            sum += int64_t(wk[t]) * plane[tp[t]];
        out[o] = static_cast<int32_t>(static_cast<uint32_t>(sum));
      }
    }
  });
}

/// Tap `t` of a 2-D plane unfolded into `dst` (outPix pixels): per output
/// row one strided copy between zero borders, the valid columns computed.
void unfoldTap2D(const WindowGeometry &geo, const int32_t *plane, int64_t t,
                 int32_t *dst) {
  int64_t inH = geo.inSize[0], inW = geo.inSize[1];
  int64_t outH = geo.outSize[0], outW = geo.outSize[1];
  int64_t ky = t / geo.kernel[1], kx = t % geo.kernel[1];
  int64_t sy = geo.strides[0], sx = geo.strides[1];
  // Output column ox reads input column ox * sx + offX when in [0, inW).
  int64_t offX = kx * geo.dilations[1] - geo.padBegin[1];
  int64_t lo = offX >= 0 ? 0 : std::min(outW, (-offX + sx - 1) / sx);
  int64_t hi = inW - offX > 0 ? std::min(outW, (inW - offX + sx - 1) / sx) : 0;
  hi = std::max(hi, lo);
  // Rows are short (8-96 pixels here), so plain loops the compiler
  // vectorises beat memset/memcpy calls.
  for (int64_t oy = 0; oy < outH; ++oy, dst += outW) {
    int64_t iy = oy * sy + ky * geo.dilations[0] - geo.padBegin[0];
    if (iy < 0 || iy >= inH) {
      for (int64_t ox = 0; ox < outW; ++ox)
        dst[ox] = 0;
      continue;
    }
    const int32_t *src = plane + iy * inW + offX;
    for (int64_t ox = 0; ox < lo; ++ox)
      dst[ox] = 0;
    if (sx == 1)
      for (int64_t ox = lo; ox < hi; ++ox)
        dst[ox] = src[ox];
    else
      for (int64_t ox = lo; ox < hi; ++ox)
        dst[ox] = src[ox * sx];
    for (int64_t ox = hi; ox < outW; ++ox)
      dst[ox] = 0;
  }
}

/// Tap `t` of an N-D plane unfolded through the tap table.
void unfoldTapByTable(const std::vector<int64_t> &taps, int64_t kPix,
                      int64_t outPix, const int32_t *plane, int64_t t,
                      int32_t *dst) {
  for (int64_t o = 0; o < outPix; ++o) {
    int64_t tap = taps[o * kPix + t];
    dst[o] = tap >= 0 ? plane[tap] : 0;
  }
}

} // namespace

void interp::convolveInt8(const ConvProblem &p, const Tensor &x, int64_t xZero,
                          const Tensor &w, llvm::ArrayRef<int64_t> wZeros,
                          int32_t *acc, unsigned threads) {
  int64_t cg = p.getInPerGroup();
  if (cg == 1)
    return convolveDepthwise(p, x, xZero, w, wZeros, acc, threads);
  int64_t inPix = p.geo.getInPixels(), outPix = p.geo.getOutPixels(),
          kPix = p.geo.getKernelPixels(), mg = p.getOutPerGroup();
  int64_t cgPad = getPairedDepth(cg), channelPairs = cgPad / 2;
  int64_t depth = kPix * cgPad; // the reduction, ordered (tap, channel)

  // Weights: a[m][t * cgPad + c] = w[m][c][t] - zero[m]; padding zero.
  std::vector<int16_t> a(p.outChannels * depth, 0);
  withInt8Data(w, [&](auto *v) {
    for (int64_t m = 0; m < p.outChannels; ++m)
      for (int64_t c = 0; c < cg; ++c)
        for (int64_t t = 0; t < kPix; ++t)
          a[m * depth + t * cgPad + c] = static_cast<int16_t>(
              int64_t(v[(m * cg + c) * kPix + t]) - zeroOf(wZeros, m));
  });

  std::vector<int64_t> taps;
  if (p.geo.getRank() != 2)
    taps = buildTapTable(p.geo);
  auto pairPlanes = makeBuffer<int32_t>(channelPairs * inPix);
  auto cols = makeBuffer<int32_t>(kPix * channelPairs * outPix);
  for (int64_t n = 0; n < p.batch; ++n)
    for (int64_t g = 0; g < p.group; ++g) {
      // The group's channels minus the zero point, two per int32 pixel:
      // the even channel in the low half (gemmInt16's pair order).
      int64_t firstChannel = n * p.inChannels + g * cg;
      withInt8Data(x, [&](auto *v) {
        for (int64_t cp = 0; cp < channelPairs; ++cp) {
          int32_t *dst = pairPlanes.get() + cp * inPix;
          const auto *even = v + (firstChannel + 2 * cp) * inPix;
          const auto *odd = 2 * cp + 1 < cg ? even + inPix : nullptr;
          for (int64_t i = 0; i < inPix; ++i) {
            uint32_t lo = uint16_t(int64_t(even[i]) - xZero);
            uint32_t hi = odd ? uint16_t(int64_t(odd[i]) - xZero) : 0u;
            dst[i] = static_cast<int32_t>(lo | (hi << 16));
          }
        }
      });
      int64_t rows = kPix * channelPairs; // row r = (tap, channel pair)
      parallelFor(threads, rows,
                  std::max<int64_t>(1, 4096 / std::max<int64_t>(outPix, 1)),
                  [&](int64_t lo, int64_t hi) {
                    for (int64_t r = lo; r < hi; ++r) {
                      int64_t t = r / channelPairs, cp = r % channelPairs;
                      const int32_t *plane = pairPlanes.get() + cp * inPix;
                      int32_t *dst = cols.get() + r * outPix;
                      if (taps.empty())
                        unfoldTap2D(p.geo, plane, t, dst);
                      else
                        unfoldTapByTable(taps, kPix, outPix, plane, t, dst);
                    }
                  });
      gemmInt16(mg, outPix, depth, a.data() + g * mg * depth, depth,
                reinterpret_cast<const int16_t *>(cols.get()),
                acc + (n * p.outChannels + g * mg) * outPix, outPix, threads);
    }
}
