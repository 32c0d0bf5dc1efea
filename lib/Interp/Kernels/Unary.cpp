//===- Unary.cpp - Unary math kernels -------------------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Floor, Ceil, Round (half to even), Sqrt, Exp, Log, Reciprocal, Erf, the
// trigonometric and hyperbolic functions on floating-point tensors; Abs, Neg
// and Sign also on integers (exactly; Neg and Abs wrap on the most negative
// value); IsNaN and IsInf to bool.
//
//===----------------------------------------------------------------------===//

#include "Kernels/Dispatch.h"
#include "Kernels/ElementwiseLoops.h"
#include "Kernels/Kernels.h"

#include <cmath>

using namespace qlc;
using namespace qlc::interp;

namespace {

enum class UnaryOp {
  Floor,
  Ceil,
  Round,
  Sqrt,
  Exp,
  Log,
  Reciprocal,
  Erf,
  Sin,
  Cos,
  Tan,
  Asin,
  Acos,
  Atan,
  Sinh,
  Cosh,
  Tanh,
  Asinh,
  Acosh,
  Atanh,
  Abs,
  Neg,
  Sign,
};

/// Ops defined on integers too.
bool acceptsIntegers(UnaryOp op) {
  return op == UnaryOp::Abs || op == UnaryOp::Neg || op == UnaryOp::Sign;
}

template <typename T>
void computeFloatOp(UnaryOp op, const Tensor &in, Tensor &out,
                    unsigned threads) {
  auto map = [&](auto fn) { mapUnary<T, T>(in, out, threads, fn); };
  switch (op) {
  case UnaryOp::Floor:
    return map([](T x) { return std::floor(x); });
  case UnaryOp::Ceil:
    return map([](T x) { return std::ceil(x); });
  // nearbyint rounds half to even in the default rounding mode.
  case UnaryOp::Round:
    return map([](T x) { return std::nearbyint(x); });
  case UnaryOp::Sqrt:
    return map([](T x) { return std::sqrt(x); });
  case UnaryOp::Exp:
    return map([](T x) { return std::exp(x); });
  case UnaryOp::Log:
    return map([](T x) { return std::log(x); });
  case UnaryOp::Reciprocal:
    return map([](T x) { return T(1) / x; });
  case UnaryOp::Erf:
    return map([](T x) { return std::erf(x); });
  case UnaryOp::Sin:
    return map([](T x) { return std::sin(x); });
  case UnaryOp::Cos:
    return map([](T x) { return std::cos(x); });
  case UnaryOp::Tan:
    return map([](T x) { return std::tan(x); });
  case UnaryOp::Asin:
    return map([](T x) { return std::asin(x); });
  case UnaryOp::Acos:
    return map([](T x) { return std::acos(x); });
  case UnaryOp::Atan:
    return map([](T x) { return std::atan(x); });
  case UnaryOp::Sinh:
    return map([](T x) { return std::sinh(x); });
  case UnaryOp::Cosh:
    return map([](T x) { return std::cosh(x); });
  case UnaryOp::Tanh:
    return map([](T x) { return std::tanh(x); });
  case UnaryOp::Asinh:
    return map([](T x) { return std::asinh(x); });
  case UnaryOp::Acosh:
    return map([](T x) { return std::acosh(x); });
  case UnaryOp::Atanh:
    return map([](T x) { return std::atanh(x); });
  case UnaryOp::Abs:
    return map([](T x) { return std::fabs(x); });
  case UnaryOp::Neg:
    return map([](T x) { return -x; });
  case UnaryOp::Sign:
    return map([](T x) { return x > 0 ? T(1) : x < 0 ? T(-1) : x; });
  }
}

template <typename T>
void computeIntOp(UnaryOp op, const Tensor &in, Tensor &out, unsigned threads) {
  auto map = [&](auto fn) { mapUnary<T, T>(in, out, threads, fn); };
  switch (op) {
  case UnaryOp::Abs:
    if constexpr (std::is_signed<T>::value)
      return map([](T x) { return x < 0 ? wrapNeg(x) : x; });
    else
      return map([](T x) { return x; });
  case UnaryOp::Neg:
    return map([](T x) { return wrapNeg(x); });
  case UnaryOp::Sign:
    return map([](T x) {
      return x > 0 ? T(1) : x == 0 ? T(0) : wrapNeg(T(1));
    });
  default:
    return;
  }
}

template <UnaryOp Op> llvm::Error computeUnary(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 1))
    return err;
  const Tensor &in = *ctx.inputs[0];
  ElementType type = in.getElementType();
  if (isHalfType(type)) {
    Tensor wide = widenHalf(in);
    Tensor out(ElementType::Float, in.getShape());
    computeFloatOp<float>(Op, wide, out, ctx.threads);
    ctx.outputs[0] = narrowTo(std::move(out), type);
    return llvm::Error::success();
  }
  Tensor &out = makeOutput(ctx, 0, type, in.getShape());
  bool ok = dispatchType<FloatTypes>(type, [&](auto tag) {
    computeFloatOp<typename decltype(tag)::type>(Op, in, out, ctx.threads);
  });
  if (!ok && acceptsIntegers(Op))
    ok = dispatchType<IntTypes>(type, [&](auto tag) {
      computeIntOp<typename decltype(tag)::type>(Op, in, out, ctx.threads);
    });
  if (!ok)
    return ctx.error("unsupported element type " + typeName(type));
  return llvm::Error::success();
}

/// IsNaN and IsInf (with detect_negative / detect_positive).
template <bool IsNaN> llvm::Error computeFloatClass(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 1))
    return err;
  Tensor in = widenHalf(*ctx.inputs[0]);
  bool neg = ctx.node.getAttrInt("detect_negative", 1) != 0;
  bool pos = ctx.node.getAttrInt("detect_positive", 1) != 0;
  Tensor &out = makeOutput(ctx, 0, ElementType::Bool, in.getShape());
  bool ok = dispatchType<FloatTypes>(in.getElementType(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    mapUnary<T, bool>(in, out, ctx.threads, [neg, pos](T x) {
      if (IsNaN)
        return x != x;
      return std::isinf(x) && ((x > 0 && pos) || (x < 0 && neg));
    });
  });
  if (!ok)
    return ctx.error("unsupported element type " +
                     typeName(ctx.inputs[0]->getElementType()));
  return llvm::Error::success();
}

} // namespace

void qlc::registerUnaryKernels(KernelRegistry &registry) {
  registry.add("", "Floor", 1, computeUnary<UnaryOp::Floor>);
  registry.add("", "Ceil", 1, computeUnary<UnaryOp::Ceil>);
  registry.add("", "Round", 11, computeUnary<UnaryOp::Round>);
  registry.add("", "Sqrt", 1, computeUnary<UnaryOp::Sqrt>);
  registry.add("", "Exp", 1, computeUnary<UnaryOp::Exp>);
  registry.add("", "Log", 1, computeUnary<UnaryOp::Log>);
  registry.add("", "Reciprocal", 1, computeUnary<UnaryOp::Reciprocal>);
  registry.add("", "Erf", 9, computeUnary<UnaryOp::Erf>);
  registry.add("", "Sin", 7, computeUnary<UnaryOp::Sin>);
  registry.add("", "Cos", 7, computeUnary<UnaryOp::Cos>);
  registry.add("", "Tan", 7, computeUnary<UnaryOp::Tan>);
  registry.add("", "Asin", 7, computeUnary<UnaryOp::Asin>);
  registry.add("", "Acos", 7, computeUnary<UnaryOp::Acos>);
  registry.add("", "Atan", 7, computeUnary<UnaryOp::Atan>);
  registry.add("", "Sinh", 9, computeUnary<UnaryOp::Sinh>);
  registry.add("", "Cosh", 9, computeUnary<UnaryOp::Cosh>);
  registry.add("", "Tanh", 1, computeUnary<UnaryOp::Tanh>);
  registry.add("", "Asinh", 9, computeUnary<UnaryOp::Asinh>);
  registry.add("", "Acosh", 9, computeUnary<UnaryOp::Acosh>);
  registry.add("", "Atanh", 9, computeUnary<UnaryOp::Atanh>);
  registry.add("", "Abs", 1, computeUnary<UnaryOp::Abs>);
  registry.add("", "Neg", 1, computeUnary<UnaryOp::Neg>);
  registry.add("", "Sign", 9, computeUnary<UnaryOp::Sign>);
  registry.add("", "IsNaN", 9, computeFloatClass<true>);
  registry.add("", "IsInf", 10, computeFloatClass<false>);
}
