//===- QlcOps.cpp - Kernels of qlc's own domain ---------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// qlc.FakeQuant: the per-element rule of include/qlc/Quant/QuantMath.h,
// parallel over rows of [outer * channels, inner]. Later stages add the
// requantisation and epsilon-tunnel ops here.
//
//===----------------------------------------------------------------------===//

#include "Kernels/KernelUtils.h"
#include "Kernels/Kernels.h"
#include "Kernels/Parallel.h"

#include "qlc/Interp/Kernel.h"
#include "qlc/Quant/FakeQuantOp.h"

using namespace qlc;
using namespace qlc::interp;

namespace {

template <typename T>
void runFakeQuant(const Tensor &x, const std::vector<double> &eps,
                  const ChannelLayout &l, const QuantGrid &grid,
                  unsigned threads, Tensor &y) {
  const T *in = dataAs<T>(x);
  T *out = mutableDataAs<T>(y);
  std::vector<T> e(eps.begin(), eps.end());
  int64_t rows = l.outer * l.channels;
  int64_t grain = std::max<int64_t>(1, kElementwiseGrain / l.inner);
  parallelFor(threads, rows, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      T ep = e[r % l.channels];
      const T *src = in + r * l.inner;
      T *dst = out + r * l.inner;
      for (int64_t k = 0; k < l.inner; ++k)
        dst[k] = fakeQuantize(src[k], ep, grid);
    }
  });
}

llvm::Error computeFakeQuant(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 2, 2))
    return err;
  llvm::Expected<FakeQuantAttrs> attrs = readFakeQuantAttrs(ctx.node);
  if (!attrs)
    return attrs.takeError();
  const Tensor &x = *ctx.getInput(0), &eps = *ctx.getInput(1);
  ElementType type = x.getElementType();
  if (type != ElementType::Float && type != ElementType::Double)
    return ctx.error("input must be float or double, got " + typeName(type));
  llvm::Expected<ChannelLayout> layout =
      resolveEpsLayout(x.getShape(), eps, attrs->axis);
  if (!layout)
    return ctx.error(llvm::toString(layout.takeError()));
  Tensor y(type, x.getShape());
  std::vector<double> e = eps.toDoubles();
  if (type == ElementType::Float)
    runFakeQuant<float>(x, e, *layout, attrs->grid, ctx.threads, y);
  else
    runFakeQuant<double>(x, e, *layout, attrs->grid, ctx.threads, y);
  ctx.outputs[0] = std::move(y);
  return llvm::Error::success();
}

} // namespace

void qlc::registerQlcKernels(KernelRegistry &registry) {
  registry.add(kQlcDomain, kFakeQuantOpName, 1, computeFakeQuant);
}
