//===- Activation.cpp - Activation function kernels -----------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Relu, LeakyRelu, PRelu, Clip, Sigmoid, HardSigmoid, HardSwish, Elu, Selu,
// Celu, Softplus, Softsign, ThresholdedRelu and Shrink. Parameters are read
// once when the kernel is created. Relu, PRelu and Clip also run on
// integers, exactly; Clip computes min(max(x, lo), hi), so lo > hi gives hi
// as ONNX specifies, and NaN passes through. Transcendental functions are
// evaluated in the element type with numerically stable forms (no overflow
// of exp for large |x|).
//
//===----------------------------------------------------------------------===//

#include "Kernels/Dispatch.h"
#include "Kernels/ElementwiseLoops.h"
#include "Kernels/Kernels.h"

#include <cmath>

using namespace qlc;
using namespace qlc::interp;

namespace {

enum class ActOp {
  Relu,
  LeakyRelu,
  Sigmoid,
  HardSigmoid,
  HardSwish,
  Elu,
  Selu,
  Celu,
  Softplus,
  Softsign,
  ThresholdedRelu,
  Shrink,
};

struct ActParams {
  float alpha = 0, beta = 0, gamma = 0;
};

template <typename T>
void computeActivation(ActOp op, ActParams p, const Tensor &in, Tensor &out,
                       unsigned threads) {
  const T alpha = static_cast<T>(p.alpha), beta = static_cast<T>(p.beta),
          gamma = static_cast<T>(p.gamma);
  auto map = [&](auto fn) { mapUnary<T, T>(in, out, threads, fn); };
  switch (op) {
  case ActOp::Relu:
    return map([](T x) { return x < T(0) ? T(0) : x; });
  case ActOp::LeakyRelu:
    return map([=](T x) { return x < T(0) ? alpha * x : x; });
  case ActOp::Sigmoid:
    // exp(-x) overflows to inf for very negative x, giving exactly 0.
    return map([](T x) { return T(1) / (T(1) + std::exp(-x)); });
  case ActOp::HardSigmoid:
    return map(
        [=](T x) { return std::max(T(0), std::min(T(1), alpha * x + beta)); });
  case ActOp::HardSwish:
    return map([](T x) {
      return x * std::max(T(0), std::min(T(1), x / T(6) + T(0.5)));
    });
  case ActOp::Elu:
    return map([=](T x) { return x < T(0) ? alpha * std::expm1(x) : x; });
  case ActOp::Selu:
    return map([=](T x) {
      return x > T(0) ? gamma * x : gamma * alpha * std::expm1(x);
    });
  case ActOp::Celu:
    return map([=](T x) {
      return std::max(T(0), x) + std::min(T(0), alpha * std::expm1(x / alpha));
    });
  case ActOp::Softplus:
    return map([](T x) {
      return x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    });
  case ActOp::Softsign:
    return map([](T x) { return x / (T(1) + std::fabs(x)); });
  case ActOp::ThresholdedRelu:
    return map([=](T x) { return x > alpha ? x : T(0); });
  case ActOp::Shrink:
    return map([=](T x) {
      return x < -alpha ? x + beta : x > alpha ? x - beta : T(0);
    });
  }
}

class ActivationKernel final : public Kernel {
public:
  ActivationKernel(ActOp op, ActParams params) : op(op), params(params) {}

  llvm::Error compute(KernelContext &ctx) override {
    if (llvm::Error err = checkArity(ctx, 1, 1))
      return err;
    const Tensor &in = *ctx.inputs[0];
    ElementType type = in.getElementType();
    if (isHalfType(type)) {
      Tensor out(ElementType::Float, in.getShape());
      computeActivation<float>(op, params, widenHalf(in), out, ctx.threads);
      ctx.outputs[0] = narrowTo(std::move(out), type);
      return llvm::Error::success();
    }
    Tensor &out = makeUninitializedOutput(ctx, 0, type, in.getShape());
    bool ok = dispatchType<FloatTypes>(type, [&](auto tag) {
      computeActivation<typename decltype(tag)::type>(op, params, in, out,
                                                      ctx.threads);
    });
    if (!ok && op == ActOp::Relu)
      ok = dispatchType<SignedIntTypes>(type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        mapUnary<T, T>(in, out, ctx.threads,
                       [](T x) { return x < 0 ? T(0) : x; });
      });
    if (!ok)
      return ctx.error("unsupported element type " + typeName(type));
    return llvm::Error::success();
  }

private:
  ActOp op;
  ActParams params;
};

template <ActOp Op>
llvm::Expected<std::unique_ptr<Kernel>> createActivation(const Node &node,
                                                         int64_t) {
  ActParams p;
  switch (Op) {
  case ActOp::LeakyRelu:
    p.alpha = node.getAttrFloat("alpha", 0.01f);
    break;
  case ActOp::HardSigmoid:
    p.alpha = node.getAttrFloat("alpha", 0.2f);
    p.beta = node.getAttrFloat("beta", 0.5f);
    break;
  case ActOp::Elu:
  case ActOp::ThresholdedRelu:
  case ActOp::Celu:
    p.alpha = node.getAttrFloat("alpha", 1.0f);
    if (Op == ActOp::Celu && p.alpha == 0)
      return makeNodeError(node, "alpha must not be 0");
    break;
  case ActOp::Selu:
    p.alpha = node.getAttrFloat("alpha", 1.67326319217681884765625f);
    p.gamma = node.getAttrFloat("gamma", 1.05070102214813232421875f);
    break;
  case ActOp::Shrink:
    p.alpha = node.getAttrFloat("lambd", 0.5f);
    p.beta = node.getAttrFloat("bias", 0.0f);
    break;
  default:
    break;
  }
  return std::unique_ptr<Kernel>(std::make_unique<ActivationKernel>(Op, p));
}

//===----------------------------------------------------------------------===//
// PRelu: y = x < 0 ? slope * x : x, slope broadcast to x
//===----------------------------------------------------------------------===//

llvm::Error computePRelu(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 2, 2))
    return err;
  const Tensor &x = *ctx.inputs[0];
  Tensor slope = *ctx.inputs[1];
  ElementType type = x.getElementType();
  if (slope.getElementType() != type)
    return ctx.error("slope has element type " +
                     typeName(slope.getElementType()) + ", expected " +
                     typeName(type));
  // Opset < 7 allowed a 1-D per-channel slope for NCHW inputs.
  if (ctx.opsetVersion < 7 && slope.getRank() == 1 && x.getRank() > 2 &&
      slope.getDim(0) == x.getDim(1) && slope.getDim(0) != 1) {
    Shape shape(x.getRank() - 1, 1);
    shape[0] = slope.getDim(0);
    slope.reshape(shape);
  }
  if (!isBroadcastableTo(slope.getShape(), x.getShape()))
    return ctx.error("slope shape " + formatShape(slope.getShape()) +
                     " does not broadcast to input shape " +
                     formatShape(x.getShape()));
  auto run = [&](auto tag, const Tensor &a, const Tensor &b, Tensor &out) {
    using T = typename decltype(tag)::type;
    mapBinary<T, T, T>(a, b, out, ctx.threads,
                       [](T v, T s) { return v < T(0) ? wrapMul(s, v) : v; });
  };
  if (isHalfType(type)) {
    Tensor out(ElementType::Float, x.getShape());
    run(TypeTag<float>{}, widenHalf(x), widenHalf(slope), out);
    ctx.outputs[0] = narrowTo(std::move(out), type);
    return llvm::Error::success();
  }
  Tensor &out = makeUninitializedOutput(ctx, 0, type, x.getShape());
  if (!dispatchType<NumericTypes>(type,
                                  [&](auto tag) { run(tag, x, slope, out); }))
    return ctx.error("unsupported element type " + typeName(type));
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Clip
//===----------------------------------------------------------------------===//

/// Reads a Clip bound input (a scalar, or a one-element tensor) as T.
template <typename T>
llvm::Error readBound(const KernelContext &ctx, unsigned index, T &bound) {
  const Tensor *t = ctx.getInput(index);
  if (!t || t->isNull())
    return llvm::Error::success();
  if (t->getNumElements() != 1)
    return ctx.error((index == 1 ? "min" : "max") +
                     llvm::Twine(" must be a scalar, got shape ") +
                     formatShape(t->getShape()));
  if (t->getElementType() != ctx.inputs[0]->getElementType())
    return ctx.error((index == 1 ? "min" : "max") +
                     llvm::Twine(" has element type ") +
                     typeName(t->getElementType()) + ", expected " +
                     typeName(ctx.inputs[0]->getElementType()));
  if constexpr (std::is_floating_point<T>::value)
    bound = static_cast<T>(t->getAsDouble(0));
  else
    bound = static_cast<T>(t->getAsInt64(0)); // exact, also for uint64
  return llvm::Error::success();
}

template <typename T>
llvm::Error clipTyped(KernelContext &ctx, const Tensor &in, Tensor &out) {
  T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
  if (ctx.opsetVersion < 11) {
    if constexpr (std::is_floating_point<T>::value) {
      if (ctx.node.hasAttr("min"))
        lo = static_cast<T>(ctx.node.getAttrFloat("min", 0));
      if (ctx.node.hasAttr("max"))
        hi = static_cast<T>(ctx.node.getAttrFloat("max", 0));
    }
  } else {
    if (llvm::Error err = readBound(ctx, 1, lo))
      return err;
    if (llvm::Error err = readBound(ctx, 2, hi))
      return err;
  }
  mapUnary<T, T>(in, out, ctx.threads, [lo, hi](T x) {
    x = x < lo ? lo : x;
    return x > hi ? hi : x;
  });
  return llvm::Error::success();
}

llvm::Error computeClip(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 3))
    return err;
  const Tensor &in = *ctx.inputs[0];
  ElementType type = in.getElementType();
  llvm::Error result = llvm::Error::success();
  if (isHalfType(type)) {
    // Bounds of a half tensor are halves: widen them alongside.
    Tensor wide = widenHalf(in);
    llvm::SmallVector<Tensor, 3> bounds;
    llvm::SmallVector<const Tensor *, 3> ins{&wide};
    for (unsigned i = 1; i < ctx.inputs.size(); ++i) {
      const Tensor *b = ctx.inputs[i];
      bounds.push_back(b && !b->isNull() && b->getElementType() == type
                           ? widenHalf(*b)
                           : (b ? *b : Tensor()));
    }
    for (Tensor &b : bounds)
      ins.push_back(b.isNull() ? nullptr : &b);
    Tensor out(ElementType::Float, in.getShape());
    KernelContext sub{ctx.node, ctx.opsetVersion, ins, ctx.outputs,
                      ctx.threads};
    if (llvm::Error err = clipTyped<float>(sub, wide, out))
      return err;
    ctx.outputs[0] = narrowTo(std::move(out), type);
    return llvm::Error::success();
  }
  Tensor &out = makeUninitializedOutput(ctx, 0, type, in.getShape());
  bool ok = dispatchType<NumericTypes>(type, [&](auto tag) {
    llvm::consumeError(std::move(result));
    result = clipTyped<typename decltype(tag)::type>(ctx, in, out);
  });
  if (!ok)
    return ctx.error("unsupported element type " + typeName(type));
  return result;
}

} // namespace

void qlc::registerActivationKernels(KernelRegistry &registry) {
  registry.add("", "Relu", 1, createActivation<ActOp::Relu>);
  registry.add("", "LeakyRelu", 1, createActivation<ActOp::LeakyRelu>);
  registry.add("", "Sigmoid", 1, createActivation<ActOp::Sigmoid>);
  registry.add("", "HardSigmoid", 1, createActivation<ActOp::HardSigmoid>);
  registry.add("", "HardSwish", 14, createActivation<ActOp::HardSwish>);
  registry.add("", "Elu", 1, createActivation<ActOp::Elu>);
  registry.add("", "Selu", 1, createActivation<ActOp::Selu>);
  registry.add("", "Celu", 12, createActivation<ActOp::Celu>);
  registry.add("", "Softplus", 1, createActivation<ActOp::Softplus>);
  registry.add("", "Softsign", 1, createActivation<ActOp::Softsign>);
  registry.add("", "ThresholdedRelu", 10,
               createActivation<ActOp::ThresholdedRelu>);
  registry.add("", "Shrink", 9, createActivation<ActOp::Shrink>);
  registry.add("", "PRelu", 1, computePRelu);
  registry.add("", "Clip", 1, computeClip);
}
