//===- ConvTranspose.cpp - Transposed convolution kernel ------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// ConvTranspose as GEMM + col2im: for each image and group the columns
// W_g^T * X_g (one row per output channel and kernel tap, one column per
// input pixel) are computed with SGEMM and scattered into the output. Float
// uses oneDNN's SGEMM; double and the 16-bit floats a direct scatter loop.
// Output sizes and pads follow the ONNX spec: with output_shape (or SAME_*)
// the total padding is stride*(in-1) + output_padding + dk - out, clamped
// at 0 (a larger output grows at the end), split with the odd pixel at the
// end for SAME_UPPER and at the beginning otherwise.
//
//===----------------------------------------------------------------------===//

#include "Kernels/ConvKernels.h"
#include "Kernels/DnnlSupport.h"
#include "Kernels/KernelUtils.h"
#include "Kernels/Parallel.h"
#include "Kernels/WindowGeometry.h"

#include "qlc/Support/Error.h"

using namespace qlc;
using namespace qlc::interp;

namespace {

struct TransposeProblem {
  int64_t batch, inChannels, outChannels, group;
  /// inSize: the input's spatial sizes; outSize: the output's.
  WindowGeometry geo;
  Shape outShape;
};

/// For every input pixel i and tap t, the flat output pixel written, or -1.
std::vector<int64_t> buildScatterTable(const WindowGeometry &g) {
  unsigned rank = g.getRank();
  int64_t inPix = g.getInPixels(), taps = g.getKernelPixels();
  std::vector<int64_t> table(inPix * taps);
  DimList inIdx(rank, 0), tapIdx(rank, 0);
  int64_t *entry = table.data();
  for (int64_t i = 0; i < inPix; ++i) {
    std::fill(tapIdx.begin(), tapIdx.end(), 0);
    for (int64_t t = 0; t < taps; ++t) {
      int64_t flat = 0;
      bool inside = true;
      for (unsigned d = 0; d < rank; ++d) {
        int64_t o = inIdx[d] * g.strides[d] - g.padBegin[d] +
                    tapIdx[d] * g.dilations[d];
        inside &= o >= 0 && o < g.outSize[d];
        flat = flat * g.outSize[d] + o;
      }
      *entry++ = inside ? flat : -1;
      for (int d = static_cast<int>(rank) - 1; d >= 0; --d) {
        if (++tapIdx[d] < g.kernel[d])
          break;
        tapIdx[d] = 0;
      }
    }
    for (int d = static_cast<int>(rank) - 1; d >= 0; --d) {
      if (++inIdx[d] < g.inSize[d])
        break;
      inIdx[d] = 0;
    }
  }
  return table;
}

class ConvTransposeKernel final : public Kernel {
public:
  llvm::Error init(const Node &node, int64_t) {
    if (llvm::Error err = attrs.parse(node, /*withCeilMode=*/false))
      return err;
    group = node.getAttrInt("group", 1);
    if (group < 1)
      return makeNodeError(node, "group must be positive");
    outputPadding = DimList(node.getAttrInts("output_padding"));
    outputShape = DimList(node.getAttrInts("output_shape"));
    for (int64_t v : outputPadding)
      if (v < 0)
        return makeNodeError(node, "output_padding must not be negative");
    for (int64_t v : outputShape)
      if (v < 0)
        return makeNodeError(node, "output_shape must not be negative");
    return llvm::Error::success();
  }

  llvm::Error compute(KernelContext &ctx) override {
    if (llvm::Error err = checkArity(ctx, 2, 3))
      return err;
    const Tensor &x = *ctx.getInput(0), &w = *ctx.getInput(1);
    const Tensor *b = ctx.getInput(2);
    if (b && b->isNull())
      b = nullptr;
    ElementType type = x.getElementType();
    if (!isFloatType(type))
      return ctx.error("unsupported element type " + typeName(type));
    if (w.getElementType() != type || (b && b->getElementType() != type))
      return ctx.error("input, weights and bias must have one element type");
    auto p = resolve(ctx, x.getShape(), w.getShape());
    if (!p)
      return p.takeError();
    if (b && (b->getRank() != 1 || b->getDim(0) != p->outChannels))
      return ctx.error("bias " + formatShape(b->getShape()) +
                       " must be 1-D with " + llvm::Twine(p->outChannels) +
                       " elements");
    Tensor &y = makeOutput(ctx, 0, type, p->outShape);
    if (y.getNumElements() == 0)
      return llvm::Error::success();
    if (type == ElementType::Float) {
      runFloatGemm(*p, dataAs<float>(x), dataAs<float>(w),
                   b ? dataAs<float>(*b) : nullptr, mutableDataAs<float>(y),
                   ctx.threads);
    } else if (type == ElementType::Double) {
      runDirect<double>(*p, dataAs<double>(x), dataAs<double>(w),
                        b ? dataAs<double>(*b) : nullptr,
                        mutableDataAs<double>(y), ctx.threads);
    } else {
      Tensor xf = widenHalf(x), wf = widenHalf(w), bf;
      if (b)
        bf = widenHalf(*b);
      Tensor yf(ElementType::Float, p->outShape);
      runDirect<float>(*p, dataAs<float>(xf), dataAs<float>(wf),
                       b ? dataAs<float>(bf) : nullptr,
                       mutableDataAs<float>(yf), ctx.threads);
      y = narrowTo(std::move(yf), type);
    }
    return llvm::Error::success();
  }

private:
  llvm::Expected<TransposeProblem> resolve(const KernelContext &ctx,
                                           llvm::ArrayRef<int64_t> xShape,
                                           llvm::ArrayRef<int64_t> wShape) {
    if (xShape.size() < 3 || wShape.size() != xShape.size())
      return ctx.error("input " + formatShape(xShape) + " and weights " +
                       formatShape(wShape) + " must have one rank, at least 3");
    size_t rank = xShape.size() - 2;
    TransposeProblem p;
    p.batch = xShape[0];
    p.inChannels = xShape[1];
    p.group = group;
    p.outChannels = wShape[1] * group;
    if (wShape[0] != p.inChannels || p.inChannels % group != 0)
      return ctx.error("weights " + formatShape(wShape) + " do not match " +
                       llvm::Twine(p.inChannels) +
                       " input channels in groups of " + llvm::Twine(group));
    llvm::ArrayRef<int64_t> kernel = wShape.drop_front(2);
    if (!attrs.kernelShape.empty() &&
        llvm::ArrayRef<int64_t>(attrs.kernelShape) != kernel)
      return ctx.error("kernel_shape " + formatShape(attrs.kernelShape) +
                       " does not match the weights " + formatShape(wShape));
    auto sized = [&](llvm::ArrayRef<int64_t> list, size_t n,
                     const char *name) -> llvm::Error {
      if (!list.empty() && list.size() != n)
        return ctx.error(llvm::Twine(name) + " has " +
                         llvm::Twine(list.size()) + " entries, expected " +
                         llvm::Twine(n));
      return llvm::Error::success();
    };
    if (auto err = sized(attrs.strides, rank, "strides"))
      return err;
    if (auto err = sized(attrs.dilations, rank, "dilations"))
      return err;
    if (auto err = sized(attrs.pads, 2 * rank, "pads"))
      return err;
    if (auto err = sized(outputPadding, rank, "output_padding"))
      return err;
    // output_shape may list the spatial sizes or the whole shape.
    llvm::ArrayRef<int64_t> outAttr = outputShape;
    if (outAttr.size() == rank + 2)
      outAttr = outAttr.drop_front(2);
    if (auto err = sized(outAttr, rank, "output_shape"))
      return err;

    WindowGeometry &g = p.geo;
    for (size_t d = 0; d < rank; ++d) {
      int64_t s = attrs.strides.empty() ? 1 : attrs.strides[d];
      int64_t dil = attrs.dilations.empty() ? 1 : attrs.dilations[d];
      int64_t adj = outputPadding.empty() ? 0 : outputPadding[d];
      int64_t in = xShape[d + 2], k = kernel[d];
      if (k < 1)
        return ctx.error("weights " + formatShape(wShape) +
                         " have an empty kernel");
      int64_t full = s * (in - 1) + adj + (k - 1) * dil + 1;
      int64_t pb = 0, pe = 0, out;
      bool same = attrs.autoPad == AutoPad::SameUpper ||
                  attrs.autoPad == AutoPad::SameLower;
      if (!outAttr.empty() || same) {
        out = !outAttr.empty() ? outAttr[d] : in * s;
        int64_t total = std::max<int64_t>(0, full - out);
        pb =
            attrs.autoPad == AutoPad::SameUpper ? total / 2 : total - total / 2;
        pe = total - pb;
      } else {
        if (attrs.autoPad == AutoPad::NotSet && !attrs.pads.empty()) {
          pb = attrs.pads[d];
          pe = attrs.pads[d + rank];
        }
        out = full - pb - pe;
      }
      if (out < 0)
        return ctx.error("pads leave a negative output size");
      g.inSize.push_back(in);
      g.outSize.push_back(out);
      g.kernel.push_back(k);
      g.strides.push_back(s);
      g.dilations.push_back(dil);
      g.padBegin.push_back(pb);
      g.padEnd.push_back(pe);
    }
    p.outShape = {p.batch, p.outChannels};
    p.outShape.append(g.outSize.begin(), g.outSize.end());
    return p;
  }

  /// Columns by SGEMM, then scatter-add (col2im) and bias.
  static void runFloatGemm(const TransposeProblem &p, const float *x,
                           const float *w, const float *b, float *y,
                           unsigned threads) {
    std::vector<int64_t> table = buildScatterTable(p.geo);
    int64_t inPix = p.geo.getInPixels(), outPix = p.geo.getOutPixels(),
            kPix = p.geo.getKernelPixels(), cg = p.inChannels / p.group,
            mg = p.outChannels / p.group, rows = mg * kPix;
    std::vector<float> cols(rows * inPix);
    for (int64_t n = 0; n < p.batch; ++n)
      for (int64_t g = 0; g < p.group; ++g) {
        // W_g is [cg x (mg*kPix)]; cols = W_g^T * X_g.
        sgemm(/*transA=*/true, /*transB=*/false, rows, inPix, cg, 1.0f,
              w + g * cg * rows, rows, x + (n * p.inChannels + g * cg) * inPix,
              inPix, 0.0f, cols.data(), inPix, threads);
        float *out = y + (n * p.outChannels + g * mg) * outPix;
        parallelFor(threads, mg, 1, [&](int64_t lo, int64_t hi) {
          for (int64_t m = lo; m < hi; ++m) {
            float *plane = out + m * outPix;
            if (b)
              std::fill(plane, plane + outPix, b[g * mg + m]);
            for (int64_t t = 0; t < kPix; ++t) {
              const float *row = cols.data() + (m * kPix + t) * inPix;
              for (int64_t i = 0; i < inPix; ++i) {
                int64_t o = table[i * kPix + t];
                if (o >= 0)
                  plane[o] += row[i];
              }
            }
          }
        });
      }
  }

  /// Direct scatter for the other float types.
  template <typename T>
  static void runDirect(const TransposeProblem &p, const T *x, const T *w,
                        const T *b, T *y, unsigned threads) {
    std::vector<int64_t> table = buildScatterTable(p.geo);
    int64_t inPix = p.geo.getInPixels(), outPix = p.geo.getOutPixels(),
            kPix = p.geo.getKernelPixels(), cg = p.inChannels / p.group,
            mg = p.outChannels / p.group;
    parallelFor(threads, p.batch * p.outChannels, 1,
                [&](int64_t lo, int64_t hi) {
                  for (int64_t nm = lo; nm < hi; ++nm) {
                    int64_t n = nm / p.outChannels, m = nm % p.outChannels,
                            g = m / mg, mi = m % mg;
                    T *plane = y + nm * outPix;
                    std::fill(plane, plane + outPix, b ? b[m] : T(0));
                    for (int64_t c = 0; c < cg; ++c) {
                      const T *in = x + (n * p.inChannels + g * cg + c) * inPix;
                      const T *wk = w + ((g * cg + c) * mg + mi) * kPix;
                      for (int64_t i = 0; i < inPix; ++i)
                        for (int64_t t = 0; t < kPix; ++t) {
                          int64_t o = table[i * kPix + t];
                          if (o >= 0)
                            plane[o] += in[i] * wk[t];
                        }
                    }
                  }
                });
  }

  WindowAttrs attrs;
  int64_t group = 1;
  DimList outputPadding, outputShape;
};

} // namespace

void qlc::registerConvTransposeKernels(KernelRegistry &registry) {
  registry.add("", "ConvTranspose", 1, createKernelOf<ConvTransposeKernel>);
}
