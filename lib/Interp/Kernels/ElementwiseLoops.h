//===- ElementwiseLoops.h - Tight loops for elementwise kernels -*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Unary maps and broadcasting binary/ternary maps over raw tensors. Inner
// loops have separate paths for the common stride patterns (both operands
// contiguous, one operand a broadcast scalar) so that the compiler can
// vectorise them; only the outer loop of StridedPlan::forEachRun carries
// index arithmetic. Work is split across KernelContext::threads.
//
// Integer helpers give every signed operation defined two's-complement
// wrap-around (no C++ UB, as ONNX leaves overflow unspecified) and define
// division by zero as 0.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_INTERP_KERNELS_ELEMENTWISELOOPS_H
#define QLC_LIB_INTERP_KERNELS_ELEMENTWISELOOPS_H

#include "Kernels/Broadcast.h"
#include "Kernels/KernelUtils.h"
#include "Kernels/Parallel.h"

#include <limits>
#include <type_traits>

namespace qlc {
namespace interp {

/// out[k] = op(in[k]) over the whole tensor; `out` has `in`'s shape.
template <typename A, typename R, typename Op>
void mapUnary(const Tensor &in, Tensor &out, unsigned threads, Op op) {
  const A *a = dataAs<A>(in);
  R *r = mutableDataAs<R>(out);
  parallelFor(threads, in.getNumElements(), kElementwiseGrain,
              [&](int64_t begin, int64_t end) {
                for (int64_t k = begin; k < end; ++k)
                  r[k] = op(a[k]);
              });
}

/// One run of a binary map with strides sa, sb (0 = broadcast scalar).
template <typename A, typename B, typename R, typename Op>
inline void binaryRun(R *out, const A *a, int64_t sa, const B *b, int64_t sb,
                      int64_t n, Op &op) {
  if (sa == 1 && sb == 1) {
    for (int64_t k = 0; k < n; ++k)
      out[k] = op(a[k], b[k]);
  } else if (sa == 1 && sb == 0) {
    const B bv = *b;
    for (int64_t k = 0; k < n; ++k)
      out[k] = op(a[k], bv);
  } else if (sa == 0 && sb == 1) {
    const A av = *a;
    for (int64_t k = 0; k < n; ++k)
      out[k] = op(av, b[k]);
  } else {
    for (int64_t k = 0; k < n; ++k)
      out[k] = op(a[k * sa], b[k * sb]);
  }
}

/// out = op(a, b) with numpy broadcasting; `out` is allocated with the
/// broadcast shape by the caller.
template <typename A, typename B, typename R, typename Op>
void mapBinary(const Tensor &a, const Tensor &b, Tensor &out, unsigned threads,
               Op op) {
  llvm::ArrayRef<int64_t> shapes[] = {a.getShape(), b.getShape()};
  StridedPlan plan = StridedPlan::broadcast(out.getShape(), shapes);
  const A *pa = dataAs<A>(a);
  const B *pb = dataAs<B>(b);
  R *po = mutableDataAs<R>(out);
  const int64_t sa = plan.getInnerStride(0), sb = plan.getInnerStride(1);
  parallelFor(threads, plan.getNumElements(), kElementwiseGrain,
              [&](int64_t begin, int64_t end) {
                plan.forEachRun(begin, end,
                                [&](int64_t o, const int64_t *offs, int64_t n) {
                                  binaryRun(po + o, pa + offs[0], sa,
                                            pb + offs[1], sb, n, op);
                                });
              });
}

/// acc = op(acc, b) in place, `b` broadcast to `acc`'s shape.
template <typename T, typename Op>
void accumulateBinary(Tensor &acc, const Tensor &b, unsigned threads, Op op) {
  llvm::ArrayRef<int64_t> shapes[] = {b.getShape()};
  StridedPlan plan = StridedPlan::broadcast(acc.getShape(), shapes);
  T *pa = mutableDataAs<T>(acc);
  const T *pb = dataAs<T>(b);
  const int64_t sb = plan.getInnerStride(0);
  parallelFor(threads, plan.getNumElements(), kElementwiseGrain,
              [&](int64_t begin, int64_t end) {
                plan.forEachRun(
                    begin, end, [&](int64_t o, const int64_t *offs, int64_t n) {
                      binaryRun(pa + o, pa + o, 1, pb + offs[0], sb, n, op);
                    });
              });
}

/// out = op(a, b, c) with broadcasting (Where, Clip with tensor bounds).
template <typename A, typename B, typename C, typename R, typename Op>
void mapTernary(const Tensor &a, const Tensor &b, const Tensor &c, Tensor &out,
                unsigned threads, Op op) {
  llvm::ArrayRef<int64_t> shapes[] = {a.getShape(), b.getShape(), c.getShape()};
  StridedPlan plan = StridedPlan::broadcast(out.getShape(), shapes);
  const A *pa = dataAs<A>(a);
  const B *pb = dataAs<B>(b);
  const C *pc = dataAs<C>(c);
  R *po = mutableDataAs<R>(out);
  const int64_t sa = plan.getInnerStride(0), sb = plan.getInnerStride(1),
                sc = plan.getInnerStride(2);
  parallelFor(threads, plan.getNumElements(), kElementwiseGrain,
              [&](int64_t begin, int64_t end) {
                plan.forEachRun(
                    begin, end, [&](int64_t o, const int64_t *offs, int64_t n) {
                      const A *x = pa + offs[0];
                      const B *y = pb + offs[1];
                      const C *z = pc + offs[2];
                      R *r = po + o;
                      if (sa == 1 && sb == 1 && sc == 1) {
                        for (int64_t k = 0; k < n; ++k)
                          r[k] = op(x[k], y[k], z[k]);
                      } else {
                        for (int64_t k = 0; k < n; ++k)
                          r[k] = op(x[k * sa], y[k * sb], z[k * sc]);
                      }
                    });
              });
}

//===----------------------------------------------------------------------===//
// Integer arithmetic without undefined behaviour
//===----------------------------------------------------------------------===//

/// The unsigned type in which T's arithmetic wraps (at least unsigned int,
/// so that uint16 * uint16 cannot overflow a promoted int).
template <typename T>
using WrapType = std::make_unsigned_t<decltype(T() + T())>;

template <typename T> inline T wrapAdd(T a, T b) {
  if constexpr (std::is_integral<T>::value)
    return static_cast<T>(static_cast<WrapType<T>>(a) +
                          static_cast<WrapType<T>>(b));
  else
    return a + b;
}
template <typename T> inline T wrapSub(T a, T b) {
  if constexpr (std::is_integral<T>::value)
    return static_cast<T>(static_cast<WrapType<T>>(a) -
                          static_cast<WrapType<T>>(b));
  else
    return a - b;
}
template <typename T> inline T wrapMul(T a, T b) {
  if constexpr (std::is_integral<T>::value)
    return static_cast<T>(static_cast<WrapType<T>>(a) *
                          static_cast<WrapType<T>>(b));
  else
    return a * b;
}
template <typename T> inline T wrapNeg(T a) { return wrapSub(T(0), a); }

/// Integer division truncating toward zero (C, ONNX runtimes); x / 0 = 0
/// and MIN / -1 = MIN.
template <typename T> inline T intDiv(T a, T b) {
  if (b == 0)
    return 0;
  if constexpr (std::is_signed<T>::value)
    if (b == -1)
      return wrapNeg(a);
  return static_cast<T>(a / b);
}

/// Remainder with the sign of the dividend (C %, fmod=1); x % 0 = 0.
template <typename T> inline T intRem(T a, T b) {
  if (b == 0)
    return 0;
  if constexpr (std::is_signed<T>::value)
    if (b == -1)
      return 0;
  return static_cast<T>(a % b);
}

/// Remainder with the sign of the divisor (Python/numpy, fmod=0).
template <typename T> inline T intMod(T a, T b) {
  T r = intRem(a, b);
  if constexpr (std::is_signed<T>::value)
    if (r != 0 && ((r < 0) != (b < 0)))
      r = static_cast<T>(r + b);
  return r;
}

/// Clamped float -> integer conversion: C's truncation, with NaN -> 0 and
/// out-of-range values saturated (a plain C cast would be UB there). The
/// bounds are compared in double, where they are exact (2^63 and 2^64 are
/// powers of two), so the check vectorises.
template <typename T, typename F> inline T saturateCast(F v) {
  if constexpr (std::is_integral<T>::value && !std::is_same<T, bool>::value &&
                std::is_floating_point<F>::value) {
    double x = static_cast<double>(v);
    if (x != x)
      return 0;
    // lo is exact; hi is the first value above the range (max + 1).
    constexpr double lo = static_cast<double>(std::numeric_limits<T>::min());
    constexpr double hi =
        2.0 * static_cast<double>(std::numeric_limits<T>::max() / 2 + 1);
    if (x <= lo)
      return std::numeric_limits<T>::min();
    if (x >= hi)
      return std::numeric_limits<T>::max();
    return static_cast<T>(x);
  } else {
    return static_cast<T>(v);
  }
}

} // namespace interp
} // namespace qlc

#endif // QLC_LIB_INTERP_KERNELS_ELEMENTWISELOOPS_H
