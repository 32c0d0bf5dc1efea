//===- KernelUtils.cpp - Helpers shared by kernel families ----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "Kernels/KernelUtils.h"

#include "qlc/Support/Error.h"

using namespace qlc;
using namespace qlc::interp;

llvm::Expected<const Tensor *>
interp::getRequiredInput(const KernelContext &ctx, unsigned i) {
  const Tensor *t = ctx.getInput(i);
  if (!t || t->isNull())
    return ctx.error("missing required input " + llvm::Twine(i));
  return t;
}

llvm::Error interp::checkArity(const KernelContext &ctx, unsigned minInputs,
                               unsigned maxInputs, unsigned minOutputs,
                               unsigned maxOutputs) {
  size_t n = ctx.inputs.size();
  if (n < minInputs || n > maxInputs) {
    if (minInputs == maxInputs)
      return ctx.error("expected " + llvm::Twine(minInputs) + " inputs, got " +
                       llvm::Twine(n));
    return ctx.error("expected " + llvm::Twine(minInputs) + " to " +
                     llvm::Twine(maxInputs) + " inputs, got " + llvm::Twine(n));
  }
  size_t m = ctx.outputs.size();
  if (m < minOutputs || m > maxOutputs)
    return ctx.error("expected " + llvm::Twine(minOutputs) + " to " +
                     llvm::Twine(maxOutputs) + " outputs, got " +
                     llvm::Twine(m));
  for (unsigned i = 0; i < minInputs; ++i)
    if ((!ctx.getInput(i) || ctx.getInput(i)->isNull()) &&
        !ctx.getOpaqueInput(i))
      return ctx.error("missing required input " + llvm::Twine(i));
  return llvm::Error::success();
}

Tensor &interp::makeOutput(KernelContext &ctx, unsigned i, ElementType type,
                           llvm::ArrayRef<int64_t> shape) {
  ctx.outputs[i] = Tensor(type, shape);
  return ctx.outputs[i];
}

Tensor &interp::makeUninitializedOutput(KernelContext &ctx, unsigned i,
                                        ElementType type,
                                        llvm::ArrayRef<int64_t> shape) {
  ctx.outputs[i] = Tensor::uninitialized(type, shape);
  return ctx.outputs[i];
}

static std::string axisMessage(llvm::StringRef what, int64_t axis,
                               int64_t rank) {
  return (what + " " + llvm::Twine(axis) + " is out of range for rank " +
          llvm::Twine(rank))
      .str();
}

llvm::Expected<int64_t> interp::normalizeAxis(const KernelContext &ctx,
                                              int64_t axis, int64_t rank,
                                              llvm::StringRef what) {
  if (axis < -rank || axis >= rank)
    return ctx.error(axisMessage(what, axis, rank));
  return axis < 0 ? axis + rank : axis;
}

llvm::Expected<int64_t> interp::normalizeAxis(const Node &node, int64_t axis,
                                              int64_t rank,
                                              llvm::StringRef what) {
  if (axis < -rank || axis >= rank)
    return makeNodeError(node, axisMessage(what, axis, rank));
  return axis < 0 ? axis + rank : axis;
}

llvm::Expected<llvm::SmallVector<int64_t, 8>>
interp::readInt64s(const KernelContext &ctx, const Tensor &t,
                   llvm::StringRef what) {
  llvm::SmallVector<int64_t, 8> values;
  int64_t n = t.getNumElements();
  values.reserve(n);
  if (t.getElementType() == ElementType::Int64) {
    const int64_t *p = dataAs<int64_t>(t);
    values.append(p, p + n);
  } else if (t.getElementType() == ElementType::Int32) {
    const int32_t *p = dataAs<int32_t>(t);
    values.append(p, p + n);
  } else {
    return ctx.error(what + " must be int32 or int64, got " +
                     typeName(t.getElementType()));
  }
  return values;
}

llvm::Expected<llvm::SmallVector<double, 8>>
interp::readDoubles(const KernelContext &ctx, const Tensor &t,
                    llvm::StringRef what) {
  ElementType type = t.getElementType();
  if (!isFloatType(type) && !isIntegerType(type))
    return ctx.error(what + " must be numeric, got " + typeName(type));
  llvm::SmallVector<double, 8> values;
  for (int64_t i = 0, n = t.getNumElements(); i < n; ++i)
    values.push_back(t.getAsDouble(i));
  return values;
}

Tensor interp::widenHalf(const Tensor &t) {
  ElementType type = t.getElementType();
  if (type != ElementType::Float16 && type != ElementType::BFloat16)
    return t;
  Tensor out(ElementType::Float, t.getShape());
  const uint16_t *src = dataAs<uint16_t>(t);
  float *dst = mutableDataAs<float>(out);
  float (*convert)(uint16_t) =
      type == ElementType::Float16 ? halfToFloat : bfloat16ToFloat;
  for (int64_t i = 0, e = t.getNumElements(); i < e; ++i)
    dst[i] = convert(src[i]);
  return out;
}

Tensor interp::narrowTo(Tensor t, ElementType type) {
  if (t.getElementType() == type)
    return t;
  if (t.getElementType() != ElementType::Float ||
      (type != ElementType::Float16 && type != ElementType::BFloat16))
    return t.castTo(type);
  Tensor out(type, t.getShape());
  const float *src = dataAs<float>(t);
  uint16_t *dst = mutableDataAs<uint16_t>(out);
  uint16_t (*convert)(float) =
      type == ElementType::Float16 ? floatToHalf : floatToBFloat16;
  for (int64_t i = 0, e = t.getNumElements(); i < e; ++i)
    dst[i] = convert(src[i]);
  return out;
}

std::string interp::typeName(ElementType type) {
  llvm::StringRef name = getElementTypeName(type);
  return name.empty() ? "undefined" : name.str();
}
