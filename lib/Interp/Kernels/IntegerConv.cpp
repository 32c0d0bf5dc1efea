//===- IntegerConv.cpp - ConvInteger and QLinearConv ----------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Both ops compute the exact int32 convolution of (x - x_zero_point) with
// (w - w_zero_point), padding contributing zero (it stands for the zero
// point), computed by convolveInt8 (IntConvCore.h: im2col over channel
// pairs and gemmInt16, or a direct loop for depthwise groups). QLinearConv
// then adds the int32 bias and requantises as ONNX Runtime does:
// scale_m = x_scale * w_scale[m] / y_scale in float,
// y = saturate(round_half_even(float(acc) * scale_m) + y_zero_point).
//
//===----------------------------------------------------------------------===//

#include "Kernels/ConvKernels.h"
#include "Kernels/Dispatch.h"
#include "Kernels/IntConvCore.h"
#include "Kernels/KernelUtils.h"
#include "Kernels/Parallel.h"
#include "Kernels/QuantMath.h"
#include "Kernels/WindowGeometry.h"

#include "qlc/Support/Error.h"

using namespace qlc;
using namespace qlc::interp;

namespace {

using Int8Types = TypeList<uint8_t, int8_t>;

bool isInt8(ElementType t) {
  return t == ElementType::UInt8 || t == ElementType::Int8;
}

/// Reads an optional zero point: absent = 0; otherwise of type `type`, a
/// scalar, or (when `perChannel` > 0) 1-D with `perChannel` entries.
llvm::Expected<std::vector<int64_t>>
readZeroPoint(const KernelContext &ctx, const Tensor *zp, ElementType type,
              int64_t perChannel, const char *what) {
  if (!zp || zp->isNull())
    return std::vector<int64_t>{0};
  if (zp->getElementType() != type)
    return ctx.error(llvm::Twine(what) + " has type " +
                     typeName(zp->getElementType()) + ", expected " +
                     typeName(type));
  int64_t n = zp->getNumElements();
  bool scalar = n == 1 && zp->getRank() <= 1;
  bool vector = perChannel > 0 && zp->getRank() == 1 && n == perChannel;
  if (!scalar && !vector)
    return ctx.error(llvm::Twine(what) + " " + formatShape(zp->getShape()) +
                     (perChannel > 0 ? " must be a scalar or 1-D with " +
                                           llvm::Twine(perChannel) + " entries"
                                     : llvm::Twine(" must be a scalar")));
  return zp->toInt64s();
}

/// Shared front end: validates x/w and their zero points, returns the
/// problem and the int32 accumulators in `acc`.
llvm::Expected<ConvProblem> integerConv(KernelContext &ctx,
                                        const WindowAttrs &attrs, int64_t group,
                                        const Tensor &x, const Tensor *xZero,
                                        const Tensor &w, const Tensor *wZero,
                                        Tensor &acc) {
  if (!isInt8(x.getElementType()) || !isInt8(w.getElementType()))
    return ctx.error("x and w must be int8 or uint8, got " +
                     typeName(x.getElementType()) + " and " +
                     typeName(w.getElementType()));
  auto p = resolveConv(ctx, attrs, group, x.getShape(), w.getShape());
  if (!p)
    return p.takeError();
  auto xz = readZeroPoint(ctx, xZero, x.getElementType(), 0, "x zero point");
  if (!xz)
    return xz.takeError();
  auto wz = readZeroPoint(ctx, wZero, w.getElementType(), p->outChannels,
                          "w zero point");
  if (!wz)
    return wz.takeError();
  acc = Tensor::uninitialized(ElementType::Int32, p->outShape);
  if (acc.getNumElements() == 0)
    return p;
  convolveInt8(*p, x, (*xz)[0], w, *wz, mutableDataAs<int32_t>(acc),
               ctx.threads);
  return p;
}

class ConvIntegerKernel final : public Kernel {
public:
  llvm::Error init(const Node &node, int64_t) {
    group = node.getAttrInt("group", 1);
    if (group < 1)
      return makeNodeError(node, "group must be positive");
    return attrs.parse(node, /*withCeilMode=*/false);
  }

  llvm::Error compute(KernelContext &ctx) override {
    if (llvm::Error err = checkArity(ctx, 2, 4))
      return err;
    Tensor acc;
    auto p = integerConv(ctx, attrs, group, *ctx.getInput(0), ctx.getInput(2),
                         *ctx.getInput(1), ctx.getInput(3), acc);
    if (!p)
      return p.takeError();
    ctx.outputs[0] = std::move(acc);
    return llvm::Error::success();
  }

private:
  WindowAttrs attrs;
  int64_t group = 1;
};

/// A float scale: scalar, or 1-D with `perChannel` entries when allowed.
llvm::Expected<std::vector<float>> readScale(const KernelContext &ctx,
                                             const Tensor &t,
                                             int64_t perChannel,
                                             const char *what) {
  if (t.getElementType() != ElementType::Float)
    return ctx.error(llvm::Twine(what) + " must be float, got " +
                     typeName(t.getElementType()));
  int64_t n = t.getNumElements();
  bool scalar = n == 1 && t.getRank() <= 1;
  bool vector = perChannel > 0 && t.getRank() == 1 && n == perChannel;
  if (!scalar && !vector)
    return ctx.error(llvm::Twine(what) + " " + formatShape(t.getShape()) +
                     " has the wrong shape");
  llvm::ArrayRef<float> v = t.getData<float>();
  return std::vector<float>(v.begin(), v.end());
}

class QLinearConvKernel final : public Kernel {
public:
  llvm::Error init(const Node &node, int64_t) {
    group = node.getAttrInt("group", 1);
    if (group < 1)
      return makeNodeError(node, "group must be positive");
    return attrs.parse(node, /*withCeilMode=*/false);
  }

  llvm::Error compute(KernelContext &ctx) override {
    if (llvm::Error err = checkArity(ctx, 8, 9))
      return err;
    const Tensor &x = *ctx.getInput(0), &w = *ctx.getInput(3);
    const Tensor &yZero = *ctx.getInput(7);
    const Tensor *bias = ctx.getInput(8);
    if (bias && bias->isNull())
      bias = nullptr;
    Tensor acc;
    auto p = integerConv(ctx, attrs, group, x, ctx.getInput(2), w,
                         ctx.getInput(5), acc);
    if (!p)
      return p.takeError();
    int64_t m = p->outChannels;
    auto xs = readScale(ctx, *ctx.getInput(1), 0, "x_scale");
    if (!xs)
      return xs.takeError();
    auto ws = readScale(ctx, *ctx.getInput(4), m, "w_scale");
    if (!ws)
      return ws.takeError();
    auto ys = readScale(ctx, *ctx.getInput(6), 0, "y_scale");
    if (!ys)
      return ys.takeError();
    ElementType outType = yZero.getElementType();
    if (!isInt8(outType))
      return ctx.error("y zero point must be int8 or uint8, got " +
                       typeName(outType));
    auto yz = readZeroPoint(ctx, &yZero, outType, 0, "y zero point");
    if (!yz)
      return yz.takeError();
    if (bias && (bias->getElementType() != ElementType::Int32 ||
                 bias->getRank() != 1 || bias->getDim(0) != m))
      return ctx.error("B must be int32 with " + llvm::Twine(m) + " entries");
    // ONNX Runtime's multiplier: (x_scale * w_scale) / y_scale in float.
    std::vector<float> scales(m);
    for (int64_t i = 0; i < m; ++i)
      scales[i] = (*xs)[0] * (*ws)[ws->size() == 1 ? 0 : i] / (*ys)[0];
    Tensor y(outType, p->outShape);
    int64_t outPix = p->geo.getOutPixels();
    const int32_t *av = dataAs<int32_t>(acc);
    const int32_t *bv = bias ? dataAs<int32_t>(*bias) : nullptr;
    float zero = float((*yz)[0]);
    dispatchType<Int8Types>(outType, [&](auto tag) {
      using Q = typename decltype(tag)::type;
      Q *out = mutableDataAs<Q>(y);
      parallelFor(ctx.threads, p->batch * m, 1, [&](int64_t lo, int64_t hi) {
        for (int64_t nm = lo; nm < hi; ++nm) {
          int64_t c = nm % m;
          uint32_t b = bv ? static_cast<uint32_t>(bv[c]) : 0;
          for (int64_t o = nm * outPix; o < (nm + 1) * outPix; ++o) {
            int32_t v = static_cast<int32_t>(static_cast<uint32_t>(av[o]) + b);
            out[o] = saturateRound<Q>(float(v) * scales[c], zero);
          }
        }
      });
    });
    ctx.outputs[0] = std::move(y);
    return llvm::Error::success();
  }

private:
  WindowAttrs attrs;
  int64_t group = 1;
};

} // namespace

void qlc::registerIntegerConvKernels(KernelRegistry &registry) {
  registry.add("", "ConvInteger", 10, createKernelOf<ConvIntegerKernel>);
  registry.add("", "QLinearConv", 10, createKernelOf<QLinearConvKernel>);
}
