//===- IntegerOpsKernels.cpp - Kernels of qlc.Requant and qlc.EpsTunnel ---===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// qlc.Requant runs the exact rule of include/qlc/Quant/IntegerOps.h with
// mul and add broadcast to X; an intermediate that leaves int64 fails the
// run naming the node, so no overflow is ever silent. qlc.EpsTunnel computes
// X / eps_in * eps_out in double, which is exact for the integer images and
// quanta qlc produces, and rounds to nearest when it converts to integers.
//
//===----------------------------------------------------------------------===//

#include "Kernels/Broadcast.h"
#include "Kernels/Dispatch.h"
#include "Kernels/KernelUtils.h"
#include "Kernels/Kernels.h"

#include "qlc/Interp/Kernel.h"
#include "qlc/Quant/FakeQuantOp.h"
#include "qlc/Quant/IntegerOps.h"

#include <cmath>

using namespace qlc;
using namespace qlc::interp;

namespace {

using RequantInTypes =
    TypeList<int8_t, uint8_t, int16_t, uint16_t, int32_t, int64_t>;
using TunnelTypes = TypeList<float, double, int8_t, uint8_t, int16_t, uint16_t,
                             int32_t, int64_t>;

/// Calls fn(TypeTag<In>, TypeTag<Out>) for X's element type and `out`, both
/// in `List` (`out` was validated with the attributes); fails with
/// `what` + X's type name when X's type is not in `List`.
template <typename List, typename Fn>
llvm::Error dispatchInOut(const KernelContext &ctx, ElementType out,
                          llvm::StringRef what, Fn &&fn) {
  ElementType in = ctx.getInput(0)->getElementType();
  llvm::Error result = llvm::Error::success();
  bool ok = dispatchType<List>(in, [&](auto inTag) {
    dispatchType<List>(out, [&](auto outTag) {
      llvm::consumeError(std::move(result));
      result = fn(inTag, outTag);
    });
  });
  if (ok)
    return result;
  llvm::consumeError(std::move(result));
  return ctx.error(what + typeName(in));
}

/// Checks that each parameter broadcasts to X without changing its shape.
llvm::Error checkParamShapes(const KernelContext &ctx, unsigned first) {
  llvm::ArrayRef<int64_t> xShape = ctx.getInput(0)->getShape();
  for (unsigned i = first; i < ctx.inputs.size(); ++i)
    if (!isBroadcastableTo(ctx.getInput(i)->getShape(), xShape))
      return ctx.error("input " + llvm::Twine(i) +
                       " does not broadcast to the shape of X");
  return llvm::Error::success();
}

template <typename In, typename Out>
llvm::Error runRequant(KernelContext &ctx, const RequantAttrs &a,
                       const std::vector<int64_t> &mul,
                       const std::vector<int64_t> &add) {
  const Tensor &x = *ctx.getInput(0);
  const In *in = dataAs<In>(x);
  Tensor &y = makeOutput(ctx, 0, ElementTypeOf<Out>::value, x.getShape());
  Out *out = mutableDataAs<Out>(y);
  StridedPlan plan = StridedPlan::broadcast(
      x.getShape(),
      {x.getShape(), ctx.getInput(1)->getShape(), ctx.getInput(2)->getShape()});
  bool overflow = false;
  int64_t where = -1;
  plan.forEachRun(
      0, x.getNumElements(), [&](int64_t o, const int64_t *offs, int64_t n) {
        for (int64_t k = 0; k < n; ++k) {
          int64_t v =
              static_cast<int64_t>(in[offs[0] + k * plan.getInnerStride(0)]);
          int64_t m = mul[offs[1] + k * plan.getInnerStride(1)];
          int64_t b = add[offs[2] + k * plan.getInnerStride(2)];
          bool ovf = false;
          out[o + k] =
              static_cast<Out>(requantize(v, m, b, a.shift, a.lo, a.hi, ovf));
          if (ovf && !overflow) {
            overflow = true;
            where = o + k;
          }
        }
      });
  if (overflow)
    return ctx.error("x * mul + add leaves int64 at element " +
                     llvm::Twine(where));
  return llvm::Error::success();
}

llvm::Error computeRequant(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 3, 3))
    return err;
  llvm::Expected<RequantAttrs> attrs = readRequantAttrs(ctx.node);
  if (!attrs)
    return attrs.takeError();
  for (unsigned i = 1; i < 3; ++i)
    if (ctx.getInput(i)->getElementType() != ElementType::Int64)
      return ctx.error(llvm::Twine(i == 1 ? "mul" : "add") + " must be int64");
  if (llvm::Error err = checkParamShapes(ctx, 1))
    return err;
  std::vector<int64_t> mul = ctx.getInput(1)->toInt64s();
  std::vector<int64_t> add = ctx.getInput(2)->toInt64s();
  return dispatchInOut<RequantInTypes>(
      ctx, attrs->to, "X must be an integer tensor, got ",
      [&](auto inTag, auto outTag) {
        using In = typename decltype(inTag)::type;
        using Out = typename decltype(outTag)::type;
        return runRequant<In, Out>(ctx, *attrs, mul, add);
      });
}

template <typename In, typename Out>
llvm::Error runEpsTunnel(KernelContext &ctx, const std::vector<double> &epsIn,
                         const std::vector<double> &epsOut) {
  const Tensor &x = *ctx.getInput(0);
  const In *in = dataAs<In>(x);
  Tensor &y = makeOutput(ctx, 0, ElementTypeOf<Out>::value, x.getShape());
  Out *out = mutableDataAs<Out>(y);
  StridedPlan plan = StridedPlan::broadcast(
      x.getShape(),
      {x.getShape(), ctx.getInput(1)->getShape(), ctx.getInput(2)->getShape()});
  constexpr bool toInteger = std::is_integral<Out>::value;
  auto [lo, hi] = integerTypeRange(ElementTypeOf<Out>::value);
  int64_t bad = -1;
  plan.forEachRun(
      0, x.getNumElements(), [&](int64_t o, const int64_t *offs, int64_t n) {
        for (int64_t k = 0; k < n; ++k) {
          double v =
              static_cast<double>(in[offs[0] + k * plan.getInnerStride(0)]);
          double r = v / epsIn[offs[1] + k * plan.getInnerStride(1)] *
                     epsOut[offs[2] + k * plan.getInnerStride(2)];
          if constexpr (toInteger) {
            r = std::nearbyint(r);
            // hi + 1 is a power of two, which double holds exactly; hi
            // itself may not be (INT64_MAX rounds up to 2^63).
            if (!(r >= static_cast<double>(lo) &&
                  r < static_cast<double>(hi) + 1.0)) {
              bad = bad < 0 ? o + k : bad;
              r = 0;
            }
          }
          out[o + k] = static_cast<Out>(r);
        }
      });
  if (bad >= 0)
    return ctx.error("element " + llvm::Twine(bad) +
                     " does not fit the output type " +
                     typeName(ElementTypeOf<Out>::value));
  return llvm::Error::success();
}

llvm::Error computeEpsTunnel(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 3, 3))
    return err;
  llvm::Expected<ElementType> to = readEpsTunnelType(ctx.node);
  if (!to)
    return to.takeError();
  if (llvm::Error err = checkParamShapes(ctx, 1))
    return err;
  std::vector<double> epsIn = ctx.getInput(1)->toDoubles();
  std::vector<double> epsOut = ctx.getInput(2)->toDoubles();
  for (const std::vector<double> *e : {&epsIn, &epsOut})
    for (double v : *e)
      if (!(v > 0) || !std::isfinite(v))
        return ctx.error("eps must be positive and finite");
  return dispatchInOut<TunnelTypes>(
      ctx, *to, "unsupported input type ", [&](auto inTag, auto outTag) {
        using In = typename decltype(inTag)::type;
        using Out = typename decltype(outTag)::type;
        return runEpsTunnel<In, Out>(ctx, epsIn, epsOut);
      });
}

} // namespace

void qlc::registerIntegerOpsKernels(KernelRegistry &registry) {
  registry.add(kQlcDomain, kRequantOpName, 1, computeRequant);
  registry.add(kQlcDomain, kEpsTunnelOpName, 1, computeEpsTunnel);
}
