//===- Pool.cpp - Pooling kernels -----------------------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// MaxPool (with the optional Indices output and storage_order), AveragePool
// (count_include_pad), LpPool and the global pools, over any number of
// spatial dimensions, with pads, strides, dilations, auto_pad and ceil_mode.
// Pools are a small share of inference time (the models measured in
// docs/kernels.md pool once, at the end), so they are plain loops over a tap
// table rather than library calls; channels run in parallel. Averages and
// Lp sums of float inputs accumulate in double; float16/bfloat16 compute in
// float.
//
//===----------------------------------------------------------------------===//

#include "Kernels/Dispatch.h"
#include "Kernels/KernelUtils.h"
#include "Kernels/Kernels.h"
#include "Kernels/Parallel.h"
#include "Kernels/WindowGeometry.h"

#include "qlc/Support/Error.h"

#include <cmath>
#include <limits>

using namespace qlc;
using namespace qlc::interp;

namespace {

enum class PoolKind { Max, Average, Lp };

/// For each output pixel, how many taps lie inside the padded input (the
/// count_include_pad divisor); ceil_mode windows may run past the end pad.
std::vector<int64_t> paddedTapCounts(const WindowGeometry &g) {
  unsigned rank = g.getRank();
  std::vector<int64_t> counts(g.getOutPixels());
  DimList idx(rank, 0);
  for (int64_t &count : counts) {
    count = 1;
    for (unsigned d = 0; d < rank; ++d) {
      int64_t start = idx[d] * g.strides[d] - g.padBegin[d];
      int64_t limit = g.inSize[d] + g.padEnd[d], n = 0;
      for (int64_t t = 0; t < g.kernel[d]; ++t)
        n += start + t * g.dilations[d] < limit;
      count *= n;
    }
    for (int d = static_cast<int>(rank) - 1; d >= 0; --d) {
      if (++idx[d] < g.outSize[d])
        break;
      idx[d] = 0;
    }
  }
  return counts;
}

/// Flat input pixel `flat` re-linearised column-major (storage_order 1).
int64_t toColumnMajor(int64_t flat, llvm::ArrayRef<int64_t> sizes) {
  int64_t result = 0, scale = 1;
  llvm::SmallVector<int64_t, 3> idx(sizes.size());
  for (int d = static_cast<int>(sizes.size()) - 1; d >= 0; --d) {
    idx[d] = flat % sizes[d];
    flat /= sizes[d];
  }
  for (size_t d = 0; d < sizes.size(); ++d) {
    result += idx[d] * scale;
    scale *= sizes[d];
  }
  return result;
}

class PoolKernel final : public Kernel {
public:
  explicit PoolKernel(PoolKind kind) : kind(kind) {}

  llvm::Error init(const Node &node, int64_t opset) {
    if (llvm::Error err = attrs.parse(node, /*withCeilMode=*/true))
      return err;
    if (attrs.kernelShape.empty())
      return makeNodeError(node, "kernel_shape is required");
    countIncludePad = node.getAttrInt("count_include_pad", 0) != 0;
    storageOrder = node.getAttrInt("storage_order", 0);
    if (storageOrder != 0 && storageOrder != 1)
      return makeNodeError(node, "storage_order must be 0 or 1");
    // LpPool before opset 2 took a float p; later an int.
    const Attribute *pAttr = node.getAttr("p");
    if (pAttr && pAttr->getKind() == AttrKind::Float)
      p = pAttr->getFloatValue();
    else
      p = static_cast<double>(node.getAttrInt("p", 2));
    if (kind == PoolKind::Lp && p <= 0)
      return makeNodeError(node, "p must be positive");
    return llvm::Error::success();
  }

  llvm::Error compute(KernelContext &ctx) override {
    if (llvm::Error err =
            checkArity(ctx, 1, 1, 1, kind == PoolKind::Max ? 2 : 1))
      return err;
    const Tensor &xIn = *ctx.getInput(0);
    if (xIn.getRank() < 3)
      return ctx.error("input must have rank 3 or more, got " +
                       formatShape(xIn.getShape()));
    ElementType type = xIn.getElementType();
    bool floatType = isFloatType(type);
    bool intOk = kind == PoolKind::Max &&
                 (type == ElementType::Int8 || type == ElementType::UInt8);
    if (!floatType && !intOk)
      return ctx.error("unsupported element type " + typeName(type));
    auto geo = resolveWindow(ctx, attrs, xIn.getShape().drop_front(2),
                             attrs.kernelShape);
    if (!geo)
      return geo.takeError();
    Shape outShape{xIn.getDim(0), xIn.getDim(1)};
    outShape.append(geo->outSize.begin(), geo->outSize.end());
    bool wantIndices = ctx.outputs.size() > 1;
    Tensor x = widenHalf(xIn);
    Tensor y(x.getElementType(), outShape);
    Tensor indices;
    if (wantIndices)
      indices = Tensor(ElementType::Int64, outShape);
    int64_t planes = xIn.getDim(0) * xIn.getDim(1);
    bool ok = dispatchType<TypeList<float, double, int8_t, uint8_t>>(
        x.getElementType(), [&](auto tag) {
          using T = typename decltype(tag)::type;
          run<T>(*geo, planes, dataAs<T>(x), mutableDataAs<T>(y),
                 wantIndices ? mutableDataAs<int64_t>(indices) : nullptr,
                 ctx.threads);
        });
    if (!ok)
      return ctx.error("unsupported element type " + typeName(type));
    ctx.outputs[0] = narrowTo(std::move(y), type);
    if (wantIndices)
      ctx.outputs[1] = std::move(indices);
    return llvm::Error::success();
  }

private:
  template <typename T>
  void run(const WindowGeometry &g, int64_t planes, const T *x, T *y,
           int64_t *indices, unsigned threads) const {
    std::vector<int64_t> taps = buildTapTable(g);
    std::vector<int64_t> padded;
    if (kind == PoolKind::Average && countIncludePad)
      padded = paddedTapCounts(g);
    int64_t inPix = g.getInPixels(), outPix = g.getOutPixels(),
            kPix = g.getKernelPixels();
    parallelFor(threads, planes, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t plane = lo; plane < hi; ++plane) {
        const T *in = x + plane * inPix;
        T *out = y + plane * outPix;
        for (int64_t o = 0; o < outPix; ++o) {
          const int64_t *tp = taps.data() + o * kPix;
          if (kind == PoolKind::Max) {
            T best = std::numeric_limits<T>::lowest();
            int64_t bestAt = -1;
            for (int64_t t = 0; t < kPix; ++t)
              if (tp[t] >= 0 && (bestAt < 0 || in[tp[t]] > best)) {
                best = in[tp[t]];
                bestAt = tp[t];
              }
            out[o] = best;
            if (indices) {
              int64_t at = bestAt < 0 ? 0 : bestAt;
              if (storageOrder == 1)
                at = toColumnMajor(at, g.inSize);
              indices[plane * outPix + o] = plane * inPix + at;
            }
            continue;
          }
          double sum = 0;
          int64_t count = 0;
          for (int64_t t = 0; t < kPix; ++t)
            if (tp[t] >= 0) {
              double v = static_cast<double>(in[tp[t]]);
              sum += kind == PoolKind::Lp ? std::pow(std::fabs(v), p) : v;
              ++count;
            }
          if (kind == PoolKind::Lp)
            out[o] = static_cast<T>(std::pow(sum, 1.0 / p));
          else {
            int64_t divisor = countIncludePad ? padded[o] : count;
            out[o] = static_cast<T>(divisor ? sum / divisor : 0.0);
          }
        }
      }
    });
  }

  PoolKind kind;
  WindowAttrs attrs;
  bool countIncludePad = false;
  int64_t storageOrder = 0;
  double p = 2;
};

template <PoolKind Kind>
llvm::Expected<std::unique_ptr<Kernel>> createPool(const Node &node,
                                                   int64_t opset) {
  auto kernel = std::make_unique<PoolKernel>(Kind);
  if (llvm::Error err = kernel->init(node, opset))
    return err;
  return std::unique_ptr<Kernel>(std::move(kernel));
}

/// GlobalAveragePool / GlobalMaxPool / GlobalLpPool: one value per plane.
template <PoolKind Kind> llvm::Error computeGlobalPool(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 1))
    return err;
  const Tensor &xIn = *ctx.getInput(0);
  ElementType type = xIn.getElementType();
  if (xIn.getRank() < 3)
    return ctx.error("input must have rank 3 or more, got " +
                     formatShape(xIn.getShape()));
  if (!isFloatType(type))
    return ctx.error("unsupported element type " + typeName(type));
  double p = static_cast<double>(ctx.node.getAttrInt("p", 2));
  Tensor x = widenHalf(xIn);
  Shape outShape(xIn.getRank(), 1);
  outShape[0] = xIn.getDim(0);
  outShape[1] = xIn.getDim(1);
  int64_t planes = outShape[0] * outShape[1];
  int64_t pix = planes ? x.getNumElements() / planes : 0;
  Tensor y(x.getElementType(), outShape);
  dispatchType<FloatTypes>(x.getElementType(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *in = dataAs<T>(x);
    T *out = mutableDataAs<T>(y);
    parallelFor(ctx.threads, planes, 16, [&](int64_t lo, int64_t hi) {
      for (int64_t plane = lo; plane < hi; ++plane) {
        const T *v = in + plane * pix;
        if (Kind == PoolKind::Max) {
          T best = pix ? v[0] : T(0);
          for (int64_t i = 1; i < pix; ++i)
            best = v[i] > best ? v[i] : best;
          out[plane] = best;
          continue;
        }
        double sum = 0;
        for (int64_t i = 0; i < pix; ++i)
          sum += Kind == PoolKind::Lp ? std::pow(std::fabs(double(v[i])), p)
                                      : double(v[i]);
        if (Kind == PoolKind::Lp)
          out[plane] = static_cast<T>(std::pow(sum, 1.0 / p));
        else
          out[plane] = static_cast<T>(pix ? sum / pix : 0.0);
      }
    });
  });
  ctx.outputs[0] = narrowTo(std::move(y), type);
  return llvm::Error::success();
}

} // namespace

void qlc::registerPoolKernels(KernelRegistry &registry) {
  registry.add("", "MaxPool", 1, createPool<PoolKind::Max>);
  registry.add("", "AveragePool", 1, createPool<PoolKind::Average>);
  registry.add("", "LpPool", 1, createPool<PoolKind::Lp>);
  registry.add("", "GlobalAveragePool", 1,
               computeGlobalPool<PoolKind::Average>);
  registry.add("", "GlobalMaxPool", 1, computeGlobalPool<PoolKind::Max>);
  registry.add("", "GlobalLpPool", 1, computeGlobalPool<PoolKind::Lp>);
}
