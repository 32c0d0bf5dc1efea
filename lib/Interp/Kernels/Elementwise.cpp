//===- Elementwise.cpp - Broadcasting arithmetic kernels ------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Add, Sub, Mul, Div, Mod, Pow, BitShift and the variadic Max, Min, Sum,
// Mean, with numpy broadcasting (and the opset < 7 `broadcast`/`axis`
// attributes). Integers are computed exactly in their own type with
// two's-complement wrap-around; integer Div truncates toward zero like C and
// the ONNX runtimes (numpy would floor), and x / 0 = x % 0 = 0 for integers.
// float16/bfloat16 are computed in float and rounded once.
//
//===----------------------------------------------------------------------===//

#include "Kernels/Dispatch.h"
#include "Kernels/ElementwiseLoops.h"
#include "Kernels/Kernels.h"

#include <cmath>

using namespace qlc;
using namespace qlc::interp;

namespace {

enum class ArithOp { Add, Sub, Mul, Div, Mod, FMod, Pow };

template <typename T> T applyPowInt(T base, T exp) {
  if (exp < 0) { // 1 / base^-exp truncated toward zero
    if (base == 1)
      return 1;
    if constexpr (std::is_signed<T>::value)
      if (base == -1)
        return (exp % 2 == 0) ? 1 : -1;
    return 0;
  }
  T result = 1;
  for (uint64_t e = static_cast<uint64_t>(exp); e; e >>= 1) {
    if (e & 1)
      result = wrapMul(result, base);
    base = wrapMul(base, base);
  }
  return result;
}

/// out = a <op> b, all of type T (already widened from 16-bit floats).
template <typename T>
void computeArith(ArithOp op, const Tensor &a, const Tensor &b, Tensor &out,
                  unsigned threads) {
  constexpr bool isInt = std::is_integral<T>::value;
  switch (op) {
  case ArithOp::Add:
    return mapBinary<T, T, T>(a, b, out, threads,
                              [](T x, T y) { return wrapAdd<T>(x, y); });
  case ArithOp::Sub:
    return mapBinary<T, T, T>(a, b, out, threads,
                              [](T x, T y) { return wrapSub<T>(x, y); });
  case ArithOp::Mul:
    return mapBinary<T, T, T>(a, b, out, threads,
                              [](T x, T y) { return wrapMul<T>(x, y); });
  case ArithOp::Div:
    if constexpr (isInt && sizeof(T) <= 4)
      // Exact and branch-free, so it vectorises: for |x| < 2^53 the double
      // quotient never rounds across an integer, so truncating it is C's
      // quotient; the int64 step wraps INT_MIN / -1 like intDiv.
      return mapBinary<T, T, T>(a, b, out, threads, [](T x, T y) {
        double q = double(x) / double(y == 0 ? T(1) : y);
        return y == 0 ? T(0) : static_cast<T>(static_cast<int64_t>(q));
      });
    else if constexpr (isInt)
      return mapBinary<T, T, T>(a, b, out, threads,
                                [](T x, T y) { return intDiv<T>(x, y); });
    else
      return mapBinary<T, T, T>(a, b, out, threads,
                                [](T x, T y) { return x / y; });
  case ArithOp::Mod:
    if constexpr (isInt)
      return mapBinary<T, T, T>(a, b, out, threads,
                                [](T x, T y) { return intMod<T>(x, y); });
    else // not reached: float Mod requires fmod=1
      return;
  case ArithOp::FMod:
    if constexpr (isInt)
      return mapBinary<T, T, T>(a, b, out, threads,
                                [](T x, T y) { return intRem<T>(x, y); });
    else
      return mapBinary<T, T, T>(a, b, out, threads,
                                [](T x, T y) { return std::fmod(x, y); });
  case ArithOp::Pow:
    if constexpr (isInt)
      return mapBinary<T, T, T>(a, b, out, threads,
                                [](T x, T y) { return applyPowInt<T>(x, y); });
    else
      return mapBinary<T, T, T>(a, b, out, threads,
                                [](T x, T y) { return std::pow(x, y); });
  }
}

/// Reads opset < 7 `broadcast`/`axis`: B is aligned with A at `axis`.
Tensor alignLegacyOperand(const Node &node, int64_t opset, const Tensor &a,
                          const Tensor &b) {
  if (opset >= 7 || node.getAttrInt("broadcast", 0) == 0 ||
      !node.hasAttr("axis"))
    return b;
  int64_t axis = node.getAttrInt("axis", 0);
  if (axis < 0)
    axis += a.getRank();
  if (axis < 0 || axis + b.getRank() > a.getRank())
    return b; // reported as a shape mismatch by the caller
  Shape shape(a.getRank(), 1);
  for (int64_t d = 0; d < b.getRank(); ++d)
    shape[axis + d] = b.getDim(d);
  Tensor view = b; // shares storage
  view.reshape(shape);
  return view;
}

llvm::Expected<Shape> getBroadcastShape(const KernelContext &ctx,
                                        llvm::ArrayRef<const Tensor *> ins) {
  llvm::SmallVector<llvm::ArrayRef<int64_t>, 4> shapes;
  for (const Tensor *t : ins)
    shapes.push_back(t->getShape());
  if (llvm::Optional<Shape> shape = broadcastShapes(shapes))
    return *shape;
  std::string msg = "cannot broadcast shapes";
  for (const Tensor *t : ins)
    msg += " " + formatShape(t->getShape());
  return ctx.error(msg);
}

llvm::Error checkSameType(const KernelContext &ctx,
                          llvm::ArrayRef<const Tensor *> ins) {
  for (size_t i = 1; i < ins.size(); ++i)
    if (ins[i]->getElementType() != ins[0]->getElementType())
      return ctx.error("input " + llvm::Twine(i) + " has element type " +
                       typeName(ins[i]->getElementType()) + ", expected " +
                       typeName(ins[0]->getElementType()));
  return llvm::Error::success();
}

class ArithKernel final : public Kernel {
public:
  explicit ArithKernel(ArithOp op) : op(op) {}

  llvm::Error compute(KernelContext &ctx) override {
    if (llvm::Error err = checkArity(ctx, 2, 2))
      return err;
    const Tensor &a = *ctx.inputs[0];
    Tensor b =
        alignLegacyOperand(ctx.node, ctx.opsetVersion, a, *ctx.inputs[1]);
    ElementType type = a.getElementType();
    ArithOp kind = op;
    if (kind == ArithOp::Mod && ctx.node.getAttrInt("fmod", 0) != 0)
      kind = ArithOp::FMod;
    if (kind == ArithOp::Pow && b.getElementType() != type)
      return computeMixedPow(ctx, a, b);
    const Tensor *ins[] = {&a, &b};
    if (llvm::Error err = checkSameType(ctx, ins))
      return err;
    auto shape = getBroadcastShape(ctx, ins);
    if (!shape)
      return shape.takeError();
    if (kind == ArithOp::Mod && !isIntegerType(type))
      return ctx.error("Mod on floating-point inputs requires fmod=1");
    if (isHalfType(type)) {
      Tensor out(ElementType::Float, *shape);
      computeArith<float>(kind, widenHalf(a), widenHalf(b), out, ctx.threads);
      ctx.outputs[0] = narrowTo(std::move(out), type);
      return llvm::Error::success();
    }
    Tensor &out = makeUninitializedOutput(ctx, 0, type, *shape);
    if (!dispatchType<NumericTypes>(type, [&](auto tag) {
          using T = typename decltype(tag)::type;
          computeArith<T>(kind, a, b, out, ctx.threads);
        }))
      return ctx.error("unsupported element type " + typeName(type));
    return llvm::Error::success();
  }

private:
  /// Pow with different base and exponent types: computed in double (exact
  /// for every float and int32 operand) and converted to the base type.
  llvm::Error computeMixedPow(KernelContext &ctx, const Tensor &a,
                              const Tensor &b) {
    const Tensor *ins[] = {&a, &b};
    auto shape = getBroadcastShape(ctx, ins);
    if (!shape)
      return shape.takeError();
    ElementType type = a.getElementType();
    Tensor wa = widenHalf(a).castTo(ElementType::Double);
    Tensor wb = widenHalf(b).castTo(ElementType::Double);
    Tensor out(ElementType::Double, *shape);
    mapBinary<double, double, double>(
        wa, wb, out, ctx.threads,
        [](double x, double y) { return std::pow(x, y); });
    if (isFloatType(type)) {
      ctx.outputs[0] = out.castTo(type);
      return llvm::Error::success();
    }
    Tensor &result = makeOutput(ctx, 0, type, *shape);
    if (!dispatchType<IntTypes>(type, [&](auto tag) {
          using T = typename decltype(tag)::type;
          mapUnary<double, T>(out, result, ctx.threads,
                              [](double v) { return saturateCast<T>(v); });
        }))
      return ctx.error("unsupported element type " + typeName(type));
    return llvm::Error::success();
  }

  ArithOp op;
};

template <ArithOp Op>
llvm::Expected<std::unique_ptr<Kernel>> createArith(const Node &, int64_t) {
  return std::unique_ptr<Kernel>(std::make_unique<ArithKernel>(Op));
}

//===----------------------------------------------------------------------===//
// Variadic Max, Min, Sum, Mean
//===----------------------------------------------------------------------===//

enum class VariadicOp { Max, Min, Sum, Mean };

/// NaN-propagating max/min, as numpy.maximum/minimum.
template <typename T> T maxOf(T a, T b) {
  if constexpr (std::is_floating_point<T>::value)
    if (a != a || b != b)
      return a != a ? a : b;
  return a < b ? b : a;
}
template <typename T> T minOf(T a, T b) {
  if constexpr (std::is_floating_point<T>::value)
    if (a != a || b != b)
      return a != a ? a : b;
  return b < a ? b : a;
}

template <typename T>
void accumulate(VariadicOp op, Tensor &acc, const Tensor &in,
                unsigned threads) {
  switch (op) {
  case VariadicOp::Max:
    return accumulateBinary<T>(acc, in, threads,
                               [](T x, T y) { return maxOf<T>(x, y); });
  case VariadicOp::Min:
    return accumulateBinary<T>(acc, in, threads,
                               [](T x, T y) { return minOf<T>(x, y); });
  case VariadicOp::Sum:
  case VariadicOp::Mean:
    return accumulateBinary<T>(acc, in, threads,
                               [](T x, T y) { return wrapAdd<T>(x, y); });
  }
}

template <VariadicOp Op> llvm::Error computeVariadic(KernelContext &ctx) {
  if (ctx.inputs.empty())
    return ctx.error("expected at least one input");
  llvm::SmallVector<Tensor, 4> widened;
  llvm::SmallVector<const Tensor *, 4> ins;
  for (unsigned i = 0; i < ctx.inputs.size(); ++i) {
    auto in = getRequiredInput(ctx, i);
    if (!in)
      return in.takeError();
    ins.push_back(*in);
  }
  if (llvm::Error err = checkSameType(ctx, ins))
    return err;
  auto shape = getBroadcastShape(ctx, ins);
  if (!shape)
    return shape.takeError();
  ElementType type = ins[0]->getElementType();
  ElementType computeType = isHalfType(type) ? ElementType::Float : type;
  if (Op == VariadicOp::Mean && !isFloatType(type))
    return ctx.error("Mean requires floating-point inputs");
  // acc = broadcast copy of the first input, then folded with the others.
  Tensor acc(computeType, *shape);
  Tensor first = widenHalf(*ins[0]);
  size_t elemSize = getElementSize(computeType);
  if (elemSize == 0)
    return ctx.error("unsupported element type " + typeName(type));
  StridedPlan copyPlan(*shape, {getBroadcastStrides(first.getShape(), *shape)});
  stridedCopy(copyPlan, elemSize, first.getRawData(), acc.getMutableRawData(),
              ctx.threads);
  bool ok = dispatchType<NumericTypes>(computeType, [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (size_t i = 1; i < ins.size(); ++i)
      accumulate<T>(Op, acc, widenHalf(*ins[i]), ctx.threads);
    if constexpr (std::is_floating_point<T>::value)
      if (Op == VariadicOp::Mean) {
        T n = static_cast<T>(ins.size());
        T *p = mutableDataAs<T>(acc);
        for (int64_t k = 0, e = acc.getNumElements(); k < e; ++k)
          p[k] /= n;
      }
  });
  if (!ok)
    return ctx.error("unsupported element type " + typeName(type));
  ctx.outputs[0] = narrowTo(std::move(acc), type);
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// BitShift
//===----------------------------------------------------------------------===//

class BitShiftKernel final : public Kernel {
public:
  llvm::Error init(const Node &node, int64_t) {
    std::string dir = node.getAttrString("direction", "");
    if (dir != "LEFT" && dir != "RIGHT")
      return makeNodeError(node, "direction must be LEFT or RIGHT, got '" +
                                     dir + "'");
    left = dir == "LEFT";
    return llvm::Error::success();
  }

  llvm::Error compute(KernelContext &ctx) override {
    if (llvm::Error err = checkArity(ctx, 2, 2))
      return err;
    const Tensor *ins[] = {ctx.inputs[0], ctx.inputs[1]};
    if (llvm::Error err = checkSameType(ctx, ins))
      return err;
    auto shape = getBroadcastShape(ctx, ins);
    if (!shape)
      return shape.takeError();
    ElementType type = ins[0]->getElementType();
    Tensor &out = makeUninitializedOutput(ctx, 0, type, *shape);
    bool isLeft = left;
    if (!dispatchType<UnsignedIntTypes>(type, [&](auto tag) {
          using T = typename decltype(tag)::type;
          constexpr unsigned bits = sizeof(T) * 8;
          // Shifting by the width or more is UB in C++; ONNX leaves it
          // unspecified and every bit shifted out gives 0.
          mapBinary<T, T, T>(
              *ins[0], *ins[1], out, ctx.threads, [isLeft](T x, T s) -> T {
                if (s >= bits)
                  return 0;
                return isLeft ? static_cast<T>(x << s) : static_cast<T>(x >> s);
              });
        }))
      return ctx.error("BitShift requires an unsigned integer type, got " +
                       typeName(type));
    return llvm::Error::success();
  }

private:
  bool left = true;
};

} // namespace

void qlc::registerElementwiseKernels(KernelRegistry &registry) {
  registry.add("", "Add", 1, createArith<ArithOp::Add>);
  registry.add("", "Sub", 1, createArith<ArithOp::Sub>);
  registry.add("", "Mul", 1, createArith<ArithOp::Mul>);
  registry.add("", "Div", 1, createArith<ArithOp::Div>);
  registry.add("", "Mod", 10, createArith<ArithOp::Mod>);
  registry.add("", "Pow", 1, createArith<ArithOp::Pow>);
  registry.add("", "Max", 1, computeVariadic<VariadicOp::Max>);
  registry.add("", "Min", 1, computeVariadic<VariadicOp::Min>);
  registry.add("", "Sum", 1, computeVariadic<VariadicOp::Sum>);
  registry.add("", "Mean", 1, computeVariadic<VariadicOp::Mean>);
  registry.add("", "BitShift", 11, createKernelOf<BitShiftKernel>);
}
