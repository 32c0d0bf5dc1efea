//===- Cast.cpp - Cast and CastLike kernels -------------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Conversions between all numeric types, bool, float16 and bfloat16:
//  - float -> integer truncates toward zero (C semantics). ONNX leaves
//    out-of-range values undefined and a C cast would be UB there, so they
//    saturate to the integer type's limits and NaN becomes 0;
//  - integer -> narrower integer wraps modulo 2^bits (numpy's astype);
//  - anything -> bool is `x != 0` (NaN is true); bool -> number is 0 or 1;
//  - to float16/bfloat16 rounds to nearest even from float (a double input
//    is rounded to float first, which can differ from direct rounding in the
//    last bit for values halfway between two halves after the first step).
//  - numbers -> string: the shortest decimal that reads back exactly, in
//    positional notation for 1e-4 <= |x| < 1e16 and scientific otherwise
//    (numpy's str); NaN and infinities as "NaN", "INF", "-INF";
//  - string -> number: strtod / strtoll (accepting "NaN", "INF", "+INF",
//    "-INF" in any case); unparsable strings are an error.
//
//===----------------------------------------------------------------------===//

#include "Kernels/Dispatch.h"
#include "Kernels/ElementwiseLoops.h"
#include "Kernels/Kernels.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

using namespace qlc;
using namespace qlc::interp;

namespace {

template <typename D, typename S> inline D convertValue(S v) {
  if constexpr (std::is_same<D, bool>::value)
    return v != S(0);
  else
    return saturateCast<D, S>(v);
}

/// Converts `in` (any type but half) to `out` (any type but half).
bool castPlain(const Tensor &in, Tensor &out, unsigned threads) {
  bool ok = false;
  dispatchType<NumericAndBoolTypes>(in.getElementType(), [&](auto src) {
    using S = typename decltype(src)::type;
    ok = dispatchType<NumericAndBoolTypes>(out.getElementType(), [&](auto dst) {
      using D = typename decltype(dst)::type;
      if constexpr (std::is_same<S, bool>::value)
        mapUnary<uint8_t, D>(in, out, threads,
                             [](uint8_t v) { return static_cast<D>(v != 0); });
      else
        mapUnary<S, D>(in, out, threads,
                       [](S v) { return convertValue<D, S>(v); });
    });
  });
  return ok;
}

/// Widens a float16/bfloat16 tensor to float with a tight loop.
Tensor widen(const Tensor &in, unsigned threads) {
  Tensor out(ElementType::Float, in.getShape());
  if (in.getElementType() == ElementType::Float16)
    mapUnary<uint16_t, float>(in, out, threads,
                              [](auto v) { return halfToFloat(v); });
  else
    mapUnary<uint16_t, float>(in, out, threads,
                              [](auto v) { return bfloat16ToFloat(v); });
  return out;
}

/// Rounds a float tensor to float16/bfloat16.
void narrow(const Tensor &in, Tensor &out, unsigned threads) {
  if (out.getElementType() == ElementType::Float16)
    mapUnary<float, uint16_t>(in, out, threads,
                              [](auto v) { return floatToHalf(v); });
  else
    mapUnary<float, uint16_t>(in, out, threads,
                              [](auto v) { return floatToBFloat16(v); });
}

std::string formatNumber(double v, bool isFloat32) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v > 0 ? "INF" : "-INF";
  char buf[64];
  double mag = std::fabs(v);
  auto fmt = (mag == 0 || (mag >= 1e-4 && mag < 1e16))
                 ? std::chars_format::fixed
                 : std::chars_format::scientific;
  auto res = isFloat32 ? std::to_chars(buf, buf + sizeof(buf),
                                       static_cast<float>(v), fmt)
                       : std::to_chars(buf, buf + sizeof(buf), v, fmt);
  return std::string(buf, res.ptr);
}

llvm::Error castToString(KernelContext &ctx, const Tensor &in) {
  ElementType type = in.getElementType();
  std::vector<std::string> strings;
  strings.reserve(in.getNumElements());
  for (int64_t i = 0, e = in.getNumElements(); i < e; ++i) {
    if (isFloatType(type))
      strings.push_back(
          formatNumber(in.getAsDouble(i), type != ElementType::Double));
    else if (type == ElementType::UInt64)
      strings.push_back(
          std::to_string(static_cast<uint64_t>(in.getAsInt64(i))));
    else
      strings.push_back(std::to_string(in.getAsInt64(i)));
  }
  ctx.outputs[0] = Tensor::fromStrings(in.getShape(), std::move(strings));
  return llvm::Error::success();
}

llvm::Error castFromString(KernelContext &ctx, const Tensor &in,
                           ElementType to) {
  const std::vector<std::string> &strings = in.getStrings();
  Tensor &out = makeOutput(ctx, 0, to, in.getShape());
  for (size_t i = 0; i < strings.size(); ++i) {
    const char *begin = strings[i].c_str();
    char *end = nullptr;
    double value;
    if (isFloatType(to)) {
      value = std::strtod(begin, &end);
    } else if (to == ElementType::UInt64) {
      value = 0;
      uint64_t u = std::strtoull(begin, &end, 10);
      if (end != begin && *end == '\0') {
        std::memcpy(out.getMutableRawData() + i * 8, &u, 8);
        continue;
      }
    } else {
      long long v = std::strtoll(begin, &end, 10);
      value = static_cast<double>(v);
      if (end != begin && *end == '\0' && isIntegerType(to)) {
        Tensor one = Tensor::scalar<int64_t>(v).castTo(to);
        std::memcpy(out.getMutableRawData() + i * getElementSize(to),
                    one.getRawData(), getElementSize(to));
        continue;
      }
    }
    if (end == begin || *end != '\0')
      return ctx.error("cannot convert string '" + strings[i] + "' to " +
                       typeName(to));
    out.setFromDouble(static_cast<int64_t>(i), value);
  }
  return llvm::Error::success();
}

llvm::Error castTensor(KernelContext &ctx, const Tensor &in, ElementType to) {
  ElementType from = in.getElementType();
  if (from == to) {
    ctx.outputs[0] = in;
    return llvm::Error::success();
  }
  if (to == ElementType::String && getElementSize(from) != 0 &&
      from != ElementType::Complex64 && from != ElementType::Complex128)
    return castToString(ctx, in);
  if (from == ElementType::String &&
      (isFloatType(to) || isIntegerType(to) || to == ElementType::Bool))
    return castFromString(ctx, in, to);
  if (from == ElementType::String || to == ElementType::String)
    return ctx.error("unsupported cast from " + typeName(from) + " to " +
                     typeName(to));
  Tensor src = isHalfType(from) ? widen(in, ctx.threads) : in;
  Tensor &out = makeUninitializedOutput(ctx, 0, to, in.getShape());
  if (isHalfType(to)) {
    Tensor asFloat(ElementType::Float, in.getShape());
    if (!castPlain(src, asFloat, ctx.threads))
      return ctx.error("unsupported cast from " + typeName(from) + " to " +
                       typeName(to));
    narrow(asFloat, out, ctx.threads);
    return llvm::Error::success();
  }
  if (src.getElementType() == to) { // half -> float
    out = std::move(src);
    return llvm::Error::success();
  }
  if (!castPlain(src, out, ctx.threads))
    return ctx.error("unsupported cast from " + typeName(from) + " to " +
                     typeName(to));
  return llvm::Error::success();
}

class CastKernel final : public Kernel {
public:
  llvm::Error init(const Node &node, int64_t) {
    int64_t to = node.getAttrInt("to", 0);
    // Cast-1 spelled the type as a string ("FLOAT").
    if (const Attribute *a = node.getAttr("to");
        a && a->getKind() == AttrKind::String)
      to = static_cast<int64_t>(
          parseElementTypeName(llvm::StringRef(a->getStringValue()).lower()));
    if (to <= 0 || to > kMaxElementType)
      return makeNodeError(node, "invalid target type " + llvm::Twine(to));
    target = static_cast<ElementType>(to);
    return llvm::Error::success();
  }

  llvm::Error compute(KernelContext &ctx) override {
    if (llvm::Error err = checkArity(ctx, 1, 1))
      return err;
    return castTensor(ctx, *ctx.inputs[0], target);
  }

private:
  ElementType target = ElementType::Undefined;
};

llvm::Error computeCastLike(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 2, 2))
    return err;
  return castTensor(ctx, *ctx.inputs[0], ctx.inputs[1]->getElementType());
}

} // namespace

void qlc::registerCastKernels(KernelRegistry &registry) {
  registry.add("", "Cast", 1, createKernelOf<CastKernel>);
  registry.add("", "CastLike", 15, computeCastLike);
}
