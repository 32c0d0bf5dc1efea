//===- Logical.cpp - Comparison, boolean and selection kernels ------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Less, LessOrEqual, Greater, GreaterOrEqual, Equal (numbers and bool, to
// bool), And, Or, Xor, Not on bool, and Where, all broadcasting. Comparisons
// of integers are exact; NaN compares unequal to everything. Where moves
// bytes, so it accepts every fixed-size element type.
//
//===----------------------------------------------------------------------===//

#include "Kernels/Dispatch.h"
#include "Kernels/ElementwiseLoops.h"
#include "Kernels/Kernels.h"

using namespace qlc;
using namespace qlc::interp;

namespace {

enum class CmpOp { Less, LessEq, Greater, GreaterEq, Equal };
enum class BoolOp { And, Or, Xor };

llvm::Expected<Shape>
broadcastOrError(const KernelContext &ctx,
                 llvm::ArrayRef<llvm::ArrayRef<int64_t>> shapes) {
  if (llvm::Optional<Shape> shape = broadcastShapes(shapes))
    return *shape;
  std::string msg = "cannot broadcast shapes";
  for (llvm::ArrayRef<int64_t> s : shapes)
    msg += " " + formatShape(s);
  return ctx.error(msg);
}

template <typename T>
void compareTyped(CmpOp op, const Tensor &a, const Tensor &b, Tensor &out,
                  unsigned threads) {
  switch (op) {
  case CmpOp::Less:
    return mapBinary<T, T, bool>(a, b, out, threads,
                                 [](T x, T y) { return x < y; });
  case CmpOp::LessEq:
    return mapBinary<T, T, bool>(a, b, out, threads,
                                 [](T x, T y) { return x <= y; });
  case CmpOp::Greater:
    return mapBinary<T, T, bool>(a, b, out, threads,
                                 [](T x, T y) { return x > y; });
  case CmpOp::GreaterEq:
    return mapBinary<T, T, bool>(a, b, out, threads,
                                 [](T x, T y) { return x >= y; });
  case CmpOp::Equal:
    return mapBinary<T, T, bool>(a, b, out, threads,
                                 [](T x, T y) { return x == y; });
  }
}

template <CmpOp Op> llvm::Error computeCompare(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 2, 2))
    return err;
  Tensor a = widenHalf(*ctx.inputs[0]);
  Tensor b = widenHalf(*ctx.inputs[1]);
  if (a.getElementType() != b.getElementType())
    return ctx.error("inputs have different element types " +
                     typeName(ctx.inputs[0]->getElementType()) + " and " +
                     typeName(ctx.inputs[1]->getElementType()));
  llvm::ArrayRef<int64_t> shapes[] = {a.getShape(), b.getShape()};
  auto shape = broadcastOrError(ctx, shapes);
  if (!shape)
    return shape.takeError();
  Tensor &out = makeOutput(ctx, 0, ElementType::Bool, *shape);
  ElementType type = a.getElementType();
  bool ok = dispatchType<NumericTypes>(type, [&](auto tag) {
    compareTyped<typename decltype(tag)::type>(Op, a, b, out, ctx.threads);
  });
  if (!ok && type == ElementType::Bool)
    ok = dispatchType<TypeList<bool>>(
        type, [&](auto) { compareTyped<uint8_t>(Op, a, b, out, ctx.threads); });
  if (!ok)
    return ctx.error("unsupported element type " + typeName(type));
  return llvm::Error::success();
}

template <BoolOp Op> llvm::Error computeBool(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 2, 2))
    return err;
  const Tensor &a = *ctx.inputs[0], &b = *ctx.inputs[1];
  if (a.getElementType() != ElementType::Bool ||
      b.getElementType() != ElementType::Bool)
    return ctx.error("inputs must be bool");
  llvm::ArrayRef<int64_t> shapes[] = {a.getShape(), b.getShape()};
  auto shape = broadcastOrError(ctx, shapes);
  if (!shape)
    return shape.takeError();
  Tensor &out = makeOutput(ctx, 0, ElementType::Bool, *shape);
  // Bools are bytes holding 0 or 1; bitwise ops keep them so.
  auto fn = [](uint8_t x, uint8_t y) -> uint8_t {
    if (Op == BoolOp::And)
      return x & y;
    if (Op == BoolOp::Or)
      return x | y;
    return x ^ y;
  };
  mapBinary<uint8_t, uint8_t, uint8_t>(a, b, out, ctx.threads, fn);
  return llvm::Error::success();
}

llvm::Error computeNot(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 1))
    return err;
  const Tensor &a = *ctx.inputs[0];
  if (a.getElementType() != ElementType::Bool)
    return ctx.error("input must be bool");
  Tensor &out = makeOutput(ctx, 0, ElementType::Bool, a.getShape());
  mapUnary<uint8_t, uint8_t>(a, out, ctx.threads,
                             [](uint8_t x) -> uint8_t { return x ^ 1; });
  return llvm::Error::success();
}

llvm::Error computeWhere(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 3, 3))
    return err;
  const Tensor &c = *ctx.inputs[0], &x = *ctx.inputs[1], &y = *ctx.inputs[2];
  if (c.getElementType() != ElementType::Bool)
    return ctx.error("condition must be bool, got " +
                     typeName(c.getElementType()));
  if (x.getElementType() != y.getElementType())
    return ctx.error("X and Y have different element types " +
                     typeName(x.getElementType()) + " and " +
                     typeName(y.getElementType()));
  llvm::ArrayRef<int64_t> shapes[] = {c.getShape(), x.getShape(), y.getShape()};
  auto shape = broadcastOrError(ctx, shapes);
  if (!shape)
    return shape.takeError();
  Tensor &out = makeOutput(ctx, 0, x.getElementType(), *shape);
  bool ok = dispatchBySize(getElementSize(x.getElementType()), [&](auto tag) {
    using U = typename decltype(tag)::type;
    mapTernary<uint8_t, U, U, U>(c, x, y, out, ctx.threads,
                                 [](uint8_t s, U a, U b) { return s ? a : b; });
  });
  if (!ok)
    return ctx.error("unsupported element type " +
                     typeName(x.getElementType()));
  return llvm::Error::success();
}

} // namespace

void qlc::registerLogicalKernels(KernelRegistry &registry) {
  registry.add("", "Less", 1, computeCompare<CmpOp::Less>);
  registry.add("", "LessOrEqual", 12, computeCompare<CmpOp::LessEq>);
  registry.add("", "Greater", 1, computeCompare<CmpOp::Greater>);
  registry.add("", "GreaterOrEqual", 12, computeCompare<CmpOp::GreaterEq>);
  registry.add("", "Equal", 1, computeCompare<CmpOp::Equal>);
  registry.add("", "And", 1, computeBool<BoolOp::And>);
  registry.add("", "Or", 1, computeBool<BoolOp::Or>);
  registry.add("", "Xor", 1, computeBool<BoolOp::Xor>);
  registry.add("", "Not", 1, computeNot);
  registry.add("", "Where", 9, computeWhere);
}
