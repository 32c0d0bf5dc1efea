//===- Quant.cpp - QuantizeLinear, DequantizeLinear and friends -----------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// ONNX's linear quantisation, bit-exact with ONNX Runtime:
//   QuantizeLinear    y = saturate(round_half_even(x / scale) + zero_point)
//                     x / scale in float, rounding with the default FP mode
//                     (nearest, ties to even), then saturation to the output
//                     type (uint8, int8, uint16, int16); NaN gives the zero
//                     point.
//   DequantizeLinear  y = float(x - zero_point) * scale, the subtraction
//                     exact in 64-bit integers.
// Scales and zero points are per tensor (scalar or 1-element), per axis
// (1-D along `axis`) or, from opset 21, per block of `block_size` along
// `axis`. DynamicQuantizeLinear derives uint8 parameters from the data as
// ONNX Runtime does. The integer convolutions and matrix products register
// from here too (IntegerConv.cpp, IntegerMatMul.cpp).
//
//===----------------------------------------------------------------------===//

#include "Kernels/ConvKernels.h"
#include "Kernels/Dispatch.h"
#include "Kernels/KernelUtils.h"
#include "Kernels/Kernels.h"
#include "Kernels/Parallel.h"
#include "Kernels/QuantMath.h"

#include "qlc/Support/Error.h"

#include <cmath>
#include <limits>

using namespace qlc;
using namespace qlc::interp;

namespace {

using QuantTypes = TypeList<uint8_t, int8_t, uint16_t, int16_t>;
using DequantTypes = TypeList<uint8_t, int8_t, uint16_t, int16_t, int32_t>;

/// Which scale / zero point each element of x uses: element (o, a, i) of x
/// viewed as [outer, axisDim, inner] reads parameter
/// (o * blocks + a / block) * innerParam + i, where per-tensor parameters
/// have blocks = 1, block = axisDim, innerParam = 0.
struct ParamLayout {
  int64_t outer = 1, axisDim = 1, inner = 1;
  int64_t blocks = 1, block = 1;
  bool perTensor = true, blocked = false;

  int64_t index(int64_t o, int64_t a, int64_t i) const {
    if (perTensor)
      return 0;
    if (!blocked)
      return a;
    return (o * blocks + a / block) * inner + i;
  }
};

llvm::Expected<ParamLayout> resolveParams(const KernelContext &ctx,
                                          const Tensor &x, const Tensor &scale,
                                          const Tensor *zeroPoint) {
  ParamLayout l;
  if (zeroPoint && zeroPoint->getShape() != scale.getShape())
    return ctx.error("zero point " + formatShape(zeroPoint->getShape()) +
                     " and scale " + formatShape(scale.getShape()) +
                     " must have one shape");
  int64_t blockSize = ctx.node.getAttrInt("block_size", 0);
  if (blockSize < 0)
    return ctx.error("block_size must not be negative");
  if (scale.getNumElements() == 1 && scale.getRank() <= 1 && blockSize == 0)
    return l;
  if (x.getRank() == 0)
    return ctx.error("per-axis parameters need an input of rank 1 or more");
  auto axis = normalizeAxis(ctx, ctx.node.getAttrInt("axis", 1), x.getRank());
  if (!axis)
    return axis.takeError();
  l.perTensor = false;
  l.axisDim = x.getDim(*axis);
  for (int64_t d = 0; d < *axis; ++d)
    l.outer *= x.getDim(d);
  for (int64_t d = *axis + 1; d < x.getRank(); ++d)
    l.inner *= x.getDim(d);
  if (blockSize == 0) {
    if (scale.getRank() != 1 || scale.getDim(0) != l.axisDim)
      return ctx.error("scale " + formatShape(scale.getShape()) +
                       " must be a scalar or 1-D with " +
                       llvm::Twine(l.axisDim) + " elements (axis " +
                       llvm::Twine(*axis) + ")");
    return l;
  }
  l.blocked = true;
  l.block = blockSize;
  l.blocks = (l.axisDim + blockSize - 1) / blockSize;
  Shape expected(x.getShape().begin(), x.getShape().end());
  expected[*axis] = l.blocks;
  if (scale.getShape() != llvm::ArrayRef<int64_t>(expected))
    return ctx.error("blocked scale " + formatShape(scale.getShape()) +
                     " must have shape " + formatShape(expected));
  return l;
}

/// Visits every element with its flat index and parameter index, parallel
/// over the outer dimension.
template <typename Fn>
void forEachElement(const ParamLayout &l, int64_t numElements, unsigned threads,
                    Fn &&fn) {
  if (l.perTensor) {
    parallelFor(threads, numElements, kElementwiseGrain,
                [&](int64_t lo, int64_t hi) {
                  for (int64_t i = lo; i < hi; ++i)
                    fn(i, int64_t(0));
                });
    return;
  }
  int64_t rows = l.outer * l.axisDim;
  parallelFor(
      threads, rows,
      std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(l.inner, 1)),
      [&](int64_t lo, int64_t hi) {
        for (int64_t r = lo; r < hi; ++r) {
          int64_t o = r / l.axisDim, a = r % l.axisDim;
          for (int64_t i = 0; i < l.inner; ++i)
            fn(r * l.inner + i, l.index(o, a, i));
        }
      });
}

llvm::Error computeQuantize(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 2, 3))
    return err;
  const Tensor &xIn = *ctx.getInput(0), &scaleIn = *ctx.getInput(1);
  const Tensor *zp = ctx.getInput(2);
  if (zp && zp->isNull())
    zp = nullptr;
  ElementType xType = xIn.getElementType();
  if (!isFloatType(xType) && xType != ElementType::Int32)
    return ctx.error("unsupported input type " + typeName(xType));
  if (!isFloatType(scaleIn.getElementType()))
    return ctx.error("unsupported scale type " +
                     typeName(scaleIn.getElementType()));
  ElementType outType = zp ? zp->getElementType() : ElementType::UInt8;
  auto layout = resolveParams(ctx, xIn, scaleIn, zp);
  if (!layout)
    return layout.takeError();
  Tensor x = xIn.castTo(ElementType::Float);
  Tensor scale = scaleIn.castTo(ElementType::Float);
  std::vector<double> zeros =
      zp ? zp->toDoubles() : std::vector<double>(scale.getNumElements(), 0);
  Tensor y(outType, xIn.getShape());
  bool ok = dispatchType<QuantTypes>(outType, [&](auto tag) {
    using Q = typename decltype(tag)::type;
    const float *xv = dataAs<float>(x), *sv = dataAs<float>(scale);
    Q *out = mutableDataAs<Q>(y);
    forEachElement(*layout, x.getNumElements(), ctx.threads,
                   [&](int64_t i, int64_t p) {
                     out[i] = saturateRound<Q>(xv[i] / sv[p], float(zeros[p]));
                   });
  });
  if (!ok)
    return ctx.error("unsupported zero point type " + typeName(outType));
  ctx.outputs[0] = std::move(y);
  return llvm::Error::success();
}

llvm::Error computeDequantize(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 2, 3))
    return err;
  const Tensor &x = *ctx.getInput(0), &scaleIn = *ctx.getInput(1);
  const Tensor *zp = ctx.getInput(2);
  if (zp && zp->isNull())
    zp = nullptr;
  ElementType xType = x.getElementType();
  if (zp && zp->getElementType() != xType)
    return ctx.error("zero point type " + typeName(zp->getElementType()) +
                     " differs from the input type " + typeName(xType));
  ElementType outType = scaleIn.getElementType();
  if (!isFloatType(outType))
    return ctx.error("unsupported scale type " + typeName(outType));
  auto layout = resolveParams(ctx, x, scaleIn, zp);
  if (!layout)
    return layout.takeError();
  std::vector<int64_t> zeros =
      zp ? zp->toInt64s() : std::vector<int64_t>(scaleIn.getNumElements(), 0);
  if (xType == ElementType::Int32)
    for (int64_t z : zeros)
      if (z != 0)
        return ctx.error("int32 input requires a zero point of 0");
  Tensor scale = scaleIn.castTo(ElementType::Float);
  Tensor y(ElementType::Float, x.getShape());
  bool ok = dispatchType<DequantTypes>(xType, [&](auto tag) {
    using Q = typename decltype(tag)::type;
    const Q *xv = dataAs<Q>(x);
    const float *sv = dataAs<float>(scale);
    float *out = mutableDataAs<float>(y);
    forEachElement(
        *layout, x.getNumElements(), ctx.threads, [&](int64_t i, int64_t p) {
          out[i] = static_cast<float>(int64_t(xv[i]) - zeros[p]) * sv[p];
        });
  });
  if (!ok)
    return ctx.error("unsupported input type " + typeName(xType));
  ctx.outputs[0] = narrowTo(std::move(y), outType);
  return llvm::Error::success();
}

/// uint8 quantisation with parameters from the data's range (made to
/// include 0), as ONNX Runtime computes them.
llvm::Error computeDynamicQuantize(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 1, 3, 3))
    return err;
  const Tensor &xIn = *ctx.getInput(0);
  if (xIn.getElementType() != ElementType::Float)
    return ctx.error("unsupported input type " +
                     typeName(xIn.getElementType()));
  llvm::ArrayRef<float> x = xIn.getData<float>();
  float lo = 0.0f, hi = 0.0f;
  for (float v : x) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  float scale = hi == lo ? 1.0f : (hi - lo) / 255.0f;
  float zpFloat = std::max(0.0f, std::min(255.0f, 0.0f - lo / scale));
  uint8_t zp = static_cast<uint8_t>(std::nearbyint(zpFloat));
  Tensor y(ElementType::UInt8, xIn.getShape());
  uint8_t *out = y.getMutableData<uint8_t>().data();
  parallelFor(ctx.threads, static_cast<int64_t>(x.size()), kElementwiseGrain,
              [&](int64_t b, int64_t e) {
                for (int64_t i = b; i < e; ++i)
                  out[i] = saturateRound<uint8_t>(x[i] / scale, float(zp));
              });
  ctx.outputs[0] = std::move(y);
  ctx.outputs[1] = Tensor::scalar<float>(scale);
  ctx.outputs[2] = Tensor::scalar<uint8_t>(zp);
  return llvm::Error::success();
}

} // namespace

void qlc::registerQuantKernels(KernelRegistry &registry) {
  registry.add("", "QuantizeLinear", 10, computeQuantize);
  registry.add("", "DequantizeLinear", 10, computeDequantize);
  registry.add("", "DynamicQuantizeLinear", 11, computeDynamicQuantize);
  registerIntegerConvKernels(registry);
  registerIntegerMatMulKernels(registry);
}
