//===- Norm.cpp - Normalisation kernels -----------------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// BatchNormalization (inference, and training_mode=1 from opset 14, which
// normalises with the batch statistics and returns the updated running
// mean and variance), InstanceNormalization and LayerNormalization.
// Per-channel factors are computed in double, then applied as
// y = x * scale' + bias' in the tensor's type, as ONNX Runtime does, so a
// float model costs one fused multiply-add per element. Statistics (batch,
// instance and layer means and variances) accumulate in double.
//
//===----------------------------------------------------------------------===//

#include "Kernels/Broadcast.h"
#include "Kernels/Dispatch.h"
#include "Kernels/KernelUtils.h"
#include "Kernels/Kernels.h"
#include "Kernels/Parallel.h"

#include "qlc/Support/Error.h"

#include <cmath>

using namespace qlc;
using namespace qlc::interp;

namespace {

/// y[plane][i] = x[plane][i] * a[plane % c] + b[plane % c] for `planes`
/// planes of `inner` elements (a, b per channel or per element when
/// `perElement`).
template <typename T>
void applyAffine(const T *x, T *y, int64_t planes, int64_t channels,
                 int64_t inner, const std::vector<double> &a,
                 const std::vector<double> &b, bool perElement,
                 unsigned threads) {
  parallelFor(threads, planes, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t plane = lo; plane < hi; ++plane) {
      int64_t c = plane % channels;
      const T *in = x + plane * inner;
      T *out = y + plane * inner;
      if (perElement) {
        for (int64_t i = 0; i < inner; ++i)
          out[i] = T(in[i] * T(a[c * inner + i]) + T(b[c * inner + i]));
        continue;
      }
      T av = T(a[c]), bv = T(b[c]);
      for (int64_t i = 0; i < inner; ++i)
        out[i] = in[i] * av + bv;
    }
  });
}

/// Mean and population variance of each channel over batch and space.
template <typename T>
void channelStats(const T *x, int64_t batch, int64_t channels, int64_t inner,
                  std::vector<double> &mean, std::vector<double> &var) {
  mean.assign(channels, 0.0);
  var.assign(channels, 0.0);
  double count = double(batch * inner);
  for (int64_t c = 0; c < channels; ++c) {
    double sum = 0, sq = 0;
    for (int64_t n = 0; n < batch; ++n) {
      const T *v = x + (n * channels + c) * inner;
      for (int64_t i = 0; i < inner; ++i)
        sum += double(v[i]);
    }
    double m = count > 0 ? sum / count : 0.0;
    for (int64_t n = 0; n < batch; ++n) {
      const T *v = x + (n * channels + c) * inner;
      for (int64_t i = 0; i < inner; ++i)
        sq += (double(v[i]) - m) * (double(v[i]) - m);
    }
    mean[c] = m;
    var[c] = count > 0 ? sq / count : 0.0;
  }
}

llvm::Error computeBatchNorm(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 5, 5, 1, 5))
    return err;
  const Node &node = ctx.node;
  double eps = node.getAttrFloat("epsilon", 1e-5f);
  bool training =
      ctx.opsetVersion >= 14 && node.getAttrInt("training_mode", 0) != 0;
  double momentum = node.getAttrFloat("momentum", 0.9f);
  const Tensor &xIn = *ctx.getInput(0);
  ElementType type = xIn.getElementType();
  if (!isFloatType(type))
    return ctx.error("unsupported element type " + typeName(type));
  if (xIn.getRank() < 2)
    return ctx.error("input must have rank 2 or more, got " +
                     formatShape(xIn.getShape()));
  int64_t batch = xIn.getDim(0), channels = xIn.getDim(1);
  int64_t inner =
      batch * channels != 0 ? xIn.getNumElements() / (batch * channels) : 0;
  std::vector<double> params[4];
  bool perElement = false;
  for (unsigned i = 0; i < 4; ++i) {
    const Tensor &t = *ctx.getInput(i + 1);
    if (!isFloatType(t.getElementType()))
      return ctx.error("parameter " + llvm::Twine(i + 1) + " has type " +
                       typeName(t.getElementType()));
    params[i] = t.toDoubles();
    int64_t n = t.getNumElements();
    // Opset 7's spatial=0 gives one parameter per element of a sample.
    if (n == channels * inner && n != channels && !training)
      perElement = true;
    else if (n != channels)
      return ctx.error("parameter " + llvm::Twine(i + 1) + " " +
                       formatShape(t.getShape()) + " must have " +
                       llvm::Twine(channels) + " elements");
  }
  if (perElement)
    for (auto &v : params)
      if (static_cast<int64_t>(v.size()) != channels * inner)
        return ctx.error("parameters must all be per channel or all per "
                         "element");
  std::vector<double> &scale = params[0], &bias = params[1], &mean = params[2],
                      &var = params[3];
  Tensor x = widenHalf(xIn);
  Tensor y(x.getElementType(), xIn.getShape());
  std::vector<double> batchMean, batchVar;
  dispatchType<FloatTypes>(x.getElementType(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (training)
      channelStats(dataAs<T>(x), batch, channels, inner, batchMean, batchVar);
    const std::vector<double> &m = training ? batchMean : mean;
    const std::vector<double> &v = training ? batchVar : var;
    std::vector<double> a(scale.size()), b(scale.size());
    for (size_t i = 0; i < scale.size(); ++i) {
      a[i] = scale[i] / std::sqrt(v[i] + eps);
      b[i] = bias[i] - m[i] * a[i];
    }
    applyAffine(dataAs<T>(x), mutableDataAs<T>(y), batch * channels, channels,
                inner, a, b, perElement, ctx.threads);
  });
  ctx.outputs[0] = narrowTo(std::move(y), type);
  if (training) {
    // Running statistics, in the type of the mean / var inputs.
    for (unsigned i = 1; i < 3 && i < ctx.outputs.size(); ++i) {
      const Tensor &running = *ctx.getInput(i + 2);
      const std::vector<double> &current = i == 1 ? batchMean : batchVar;
      Tensor out(ElementType::Double, running.getShape());
      double *ov = mutableDataAs<double>(out);
      for (int64_t c = 0; c < channels; ++c)
        ov[c] = params[i + 1][c] * momentum + current[c] * (1 - momentum);
      ctx.outputs[i] = out.castTo(running.getElementType());
    }
  } else {
    // Old opsets list mean/var (and saved copies) as optional outputs; in
    // inference they are the inputs unchanged.
    for (unsigned i = 1; i < ctx.outputs.size(); ++i)
      ctx.outputs[i] = *ctx.getInput(i % 2 == 1 ? 3 : 4);
  }
  return llvm::Error::success();
}

llvm::Error computeInstanceNorm(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 3, 3))
    return err;
  double eps = ctx.node.getAttrFloat("epsilon", 1e-5f);
  const Tensor &xIn = *ctx.getInput(0);
  ElementType type = xIn.getElementType();
  if (!isFloatType(type))
    return ctx.error("unsupported element type " + typeName(type));
  if (xIn.getRank() < 3)
    return ctx.error("input must have rank 3 or more, got " +
                     formatShape(xIn.getShape()));
  int64_t batch = xIn.getDim(0), channels = xIn.getDim(1);
  int64_t planes = batch * channels;
  int64_t inner = planes ? xIn.getNumElements() / planes : 0;
  std::vector<double> scale = ctx.getInput(1)->toDoubles(),
                      bias = ctx.getInput(2)->toDoubles();
  if (static_cast<int64_t>(scale.size()) != channels ||
      static_cast<int64_t>(bias.size()) != channels)
    return ctx.error("scale and B must have " + llvm::Twine(channels) +
                     " elements");
  Tensor x = widenHalf(xIn);
  Tensor y(x.getElementType(), xIn.getShape());
  dispatchType<FloatTypes>(x.getElementType(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *in = dataAs<T>(x);
    T *out = mutableDataAs<T>(y);
    parallelFor(ctx.threads, planes, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t plane = lo; plane < hi; ++plane) {
        std::vector<double> m, v;
        channelStats(in + plane * inner, 1, 1, inner, m, v);
        int64_t c = plane % channels;
        double a = scale[c] / std::sqrt(v[0] + eps);
        double b = bias[c] - m[0] * a;
        const T *src = in + plane * inner;
        T *dst = out + plane * inner;
        for (int64_t i = 0; i < inner; ++i)
          dst[i] = T(double(src[i]) * a + b);
      }
    });
  });
  ctx.outputs[0] = narrowTo(std::move(y), type);
  return llvm::Error::success();
}

/// `t` broadcast to `inner` (the normalised trailing shape), flattened.
llvm::Expected<std::vector<double>>
broadcastParam(const KernelContext &ctx, const Tensor &t,
               llvm::ArrayRef<int64_t> inner, const char *what) {
  if (!isBroadcastableTo(t.getShape(), inner))
    return ctx.error(llvm::Twine(what) + " " + formatShape(t.getShape()) +
                     " does not broadcast to " + formatShape(inner));
  std::vector<double> values = t.toDoubles(), result(getNumElements(inner));
  Strides strides = getBroadcastStrides(t.getShape(), inner);
  llvm::SmallVector<int64_t, 6> idx(inner.size(), 0);
  for (double &r : result) {
    int64_t off = 0;
    for (size_t d = 0; d < inner.size(); ++d)
      off += idx[d] * strides[d];
    r = values[off];
    for (int d = static_cast<int>(inner.size()) - 1; d >= 0; --d) {
      if (++idx[d] < inner[d])
        break;
      idx[d] = 0;
    }
  }
  return result;
}

llvm::Error computeLayerNorm(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 2, 3, 1, 3))
    return err;
  const Tensor &xIn = *ctx.getInput(0);
  ElementType type = xIn.getElementType();
  if (!isFloatType(type))
    return ctx.error("unsupported element type " + typeName(type));
  double eps = ctx.node.getAttrFloat("epsilon", 1e-5f);
  auto axis =
      normalizeAxis(ctx, ctx.node.getAttrInt("axis", -1), xIn.getRank());
  if (!axis)
    return axis.takeError();
  llvm::ArrayRef<int64_t> innerShape = xIn.getShape().drop_front(*axis);
  int64_t inner = getNumElements(innerShape);
  int64_t rows = inner ? xIn.getNumElements() / inner
                       : getNumElements(xIn.getShape().take_front(*axis));
  auto scale = broadcastParam(ctx, *ctx.getInput(1), innerShape, "scale");
  if (!scale)
    return scale.takeError();
  std::vector<double> bias(inner, 0.0);
  if (const Tensor *b = ctx.getInput(2); b && !b->isNull()) {
    auto bv = broadcastParam(ctx, *b, innerShape, "B");
    if (!bv)
      return bv.takeError();
    bias = std::move(*bv);
  }
  Shape statShape(xIn.getShape().begin(), xIn.getShape().end());
  for (size_t d = *axis; d < statShape.size(); ++d)
    statShape[d] = 1;
  Tensor x = widenHalf(xIn);
  Tensor y(x.getElementType(), xIn.getShape());
  std::vector<double> means(rows), invStd(rows);
  dispatchType<FloatTypes>(x.getElementType(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *in = dataAs<T>(x);
    T *out = mutableDataAs<T>(y);
    parallelFor(ctx.threads, rows, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        std::vector<double> m, v;
        channelStats(in + r * inner, 1, 1, inner, m, v);
        means[r] = m[0];
        invStd[r] = 1.0 / std::sqrt(v[0] + eps);
        for (int64_t i = 0; i < inner; ++i)
          out[r * inner + i] =
              T((double(in[r * inner + i]) - m[0]) * invStd[r] * (*scale)[i] +
                bias[i]);
      }
    });
  });
  ctx.outputs[0] = narrowTo(std::move(y), type);
  // Mean and InvStdDev use stash_type (float by default).
  for (unsigned i = 1; i < ctx.outputs.size(); ++i) {
    Tensor stat(ElementType::Double, statShape);
    std::copy_n((i == 1 ? means : invStd).begin(), rows,
                mutableDataAs<double>(stat));
    ctx.outputs[i] = stat.castTo(ElementType::Float);
  }
  return llvm::Error::success();
}

} // namespace

void qlc::registerNormKernels(KernelRegistry &registry) {
  registry.add("", "BatchNormalization", 1, computeBatchNorm);
  registry.add("", "InstanceNormalization", 1, computeInstanceNorm);
  registry.add("", "LayerNormalization", 17, computeLayerNorm);
}
