//===- Dispatch.h - Element-type dispatch for kernels -----------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Kernels are templates over the C++ element type; dispatchType picks the
// instantiation for a runtime ElementType from a TypeList:
//
//   bool ok = dispatchType<NumericTypes>(t.getElementType(), [&](auto tag) {
//     using T = typename decltype(tag)::type;
//     ...
//   });
//   if (!ok) return ctx.error("unsupported element type ...");
//
// float16 and bfloat16 have no C++ arithmetic type: math kernels widen them
// to float, compute, and narrow the result (rounding once, to nearest even),
// which is what ONNX runtimes do. Data-movement kernels never look at values
// and dispatch on the element size instead (dispatchBySize).
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_INTERP_KERNELS_DISPATCH_H
#define QLC_LIB_INTERP_KERNELS_DISPATCH_H

#include "qlc/IR/ElementType.h"

#include <cstdint>
#include <utility>

namespace qlc {
namespace interp {

template <typename... Ts> struct TypeList {};
template <typename T> struct TypeTag { using type = T; };

using FloatTypes = TypeList<float, double>;
using SignedIntTypes = TypeList<int8_t, int16_t, int32_t, int64_t>;
using UnsignedIntTypes = TypeList<uint8_t, uint16_t, uint32_t, uint64_t>;
using IntTypes = TypeList<int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                          uint32_t, uint64_t>;
/// Every type with a C++ arithmetic representation except bool.
using NumericTypes = TypeList<float, double, int8_t, int16_t, int32_t, int64_t,
                              uint8_t, uint16_t, uint32_t, uint64_t>;
/// Signed numbers (Neg, Abs need no special unsigned path with these).
using SignedNumericTypes =
    TypeList<float, double, int8_t, int16_t, int32_t, int64_t>;
using NumericAndBoolTypes =
    TypeList<float, double, int8_t, int16_t, int32_t, int64_t, uint8_t,
             uint16_t, uint32_t, uint64_t, bool>;

template <typename List> struct Dispatcher;
template <typename... Ts> struct Dispatcher<TypeList<Ts...>> {
  template <typename Fn> static bool run(ElementType type, Fn &&fn) {
    return ((ElementTypeOf<Ts>::value == type ? (fn(TypeTag<Ts>{}), true)
                                              : false) ||
            ...);
  }
};

/// Calls `fn(TypeTag<T>{})` for the C++ type T in `List` whose ElementType is
/// `type`; returns false, calling nothing, when `type` is not in `List`.
template <typename List, typename Fn>
bool dispatchType(ElementType type, Fn &&fn) {
  return Dispatcher<List>::run(type, std::forward<Fn>(fn));
}

/// Calls `fn(TypeTag<U>{})` with an unsigned integer type U of `bytes` bytes
/// (1, 2, 4 or 8); returns false for any other size.
template <typename Fn> bool dispatchBySize(size_t bytes, Fn &&fn) {
  switch (bytes) {
  case 1:
    fn(TypeTag<uint8_t>{});
    return true;
  case 2:
    fn(TypeTag<uint16_t>{});
    return true;
  case 4:
    fn(TypeTag<uint32_t>{});
    return true;
  case 8:
    fn(TypeTag<uint64_t>{});
    return true;
  default:
    return false;
  }
}

/// float16 or bfloat16: stored as 16 bits, computed in float.
inline bool isHalfType(ElementType type) {
  return type == ElementType::Float16 || type == ElementType::BFloat16;
}

} // namespace interp
} // namespace qlc

#endif // QLC_LIB_INTERP_KERNELS_DISPATCH_H
