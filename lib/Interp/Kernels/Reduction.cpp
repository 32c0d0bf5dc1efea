//===- Reduction.cpp - Reduce* and ArgMax/ArgMin kernels ------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1,
// ReduceL2, ReduceLogSum, ReduceLogSumExp, ReduceSumSquare, ArgMax, ArgMin.
// Axes are an attribute before opset 13 (ReduceSum) or 18 (the others) and
// an optional input after; keepdims and noop_with_empty_axes as in ONNX.
//
// The input is split into a "kept" and a "reduced" StridedPlan over the
// same strides. Each output element owns one reduction, so outputs are split
// across threads without races. When the innermost input dimension is kept,
// a run of outputs is reduced together, vectorised along that dimension.
// Floating-point values accumulate in double, integers exactly in 64 bits
// (wrapping), then round once to the element type; integer Mean truncates.
//
//===----------------------------------------------------------------------===//

#include "Kernels/Dispatch.h"
#include "Kernels/ElementwiseLoops.h"
#include "Kernels/Kernels.h"

#include "llvm/ADT/SmallBitVector.h"

#include <cmath>
#include <vector>

using namespace qlc;
using namespace qlc::interp;

namespace {

enum class RedOp {
  Sum,
  Mean,
  Max,
  Min,
  Prod,
  L1,
  L2,
  LogSum,
  LogSumExp,
  SumSquare
};

template <typename T>
using AccType = std::conditional_t<
    std::is_floating_point<T>::value, double,
    std::conditional_t<std::is_signed<T>::value, int64_t, uint64_t>>;

template <typename A> A initialValue(RedOp op) {
  switch (op) {
  case RedOp::Max:
    return std::numeric_limits<A>::has_infinity
               ? -std::numeric_limits<A>::infinity()
               : std::numeric_limits<A>::lowest();
  case RedOp::Min:
    return std::numeric_limits<A>::has_infinity
               ? std::numeric_limits<A>::infinity()
               : std::numeric_limits<A>::max();
  case RedOp::Prod:
    return 1;
  default:
    return 0;
  }
}

/// acc <- acc (+) x for one element.
template <RedOp Op, typename A> inline A step(A acc, A x) {
  switch (Op) {
  case RedOp::Sum:
  case RedOp::Mean:
  case RedOp::LogSum:
    return wrapAdd(acc, x);
  case RedOp::Max:
    return x > acc || x != x ? x : acc;
  case RedOp::Min:
    return x < acc || x != x ? x : acc;
  case RedOp::Prod:
    return wrapMul(acc, x);
  case RedOp::L1:
    return wrapAdd(acc, x < A(0) ? wrapNeg(x) : x);
  case RedOp::L2:
  case RedOp::SumSquare:
    return wrapAdd(acc, wrapMul(x, x));
  case RedOp::LogSumExp:
    if constexpr (std::is_floating_point<A>::value)
      return acc + std::exp(x);
    else
      return acc;
  }
  return acc;
}

/// Combines two partial accumulators.
template <RedOp Op, typename A> inline A merge(A a, A b) {
  switch (Op) {
  case RedOp::Max:
  case RedOp::Min:
    return step<Op, A>(a, b);
  case RedOp::Prod:
    return wrapMul(a, b);
  default:
    return wrapAdd(a, b);
  }
}

/// Folds n contiguous elements into `acc` with four independent partial
/// accumulators, so the loop is not bound by the latency of one chain.
template <RedOp Op, typename A, typename T>
inline A reduceContiguous(A acc, const T *r, int64_t n) {
  A part[4] = {acc, initialValue<A>(Op), initialValue<A>(Op),
               initialValue<A>(Op)};
  int64_t k = 0;
  for (; k + 4 <= n; k += 4)
    for (int j = 0; j < 4; ++j)
      part[j] = step<Op, A>(part[j], static_cast<A>(r[k + j]));
  for (; k < n; ++k)
    part[0] = step<Op, A>(part[0], static_cast<A>(r[k]));
  return merge<Op, A>(merge<Op, A>(part[0], part[1]),
                      merge<Op, A>(part[2], part[3]));
}

template <RedOp Op, typename A> inline A finish(A acc, int64_t count) {
  if constexpr (std::is_floating_point<A>::value) {
    switch (Op) {
    case RedOp::Mean:
      return acc / static_cast<A>(count);
    case RedOp::L2:
      return std::sqrt(acc);
    case RedOp::LogSum:
    case RedOp::LogSumExp:
      return std::log(acc);
    default:
      return acc;
    }
  } else {
    if (Op == RedOp::Mean && count > 0)
      return intDiv<A>(acc, static_cast<A>(count));
    return acc;
  }
}

struct ReducePlans {
  StridedPlan kept, reduced;
  int64_t count = 1; // elements per reduction
};

template <typename T, RedOp Op>
void reduceTyped(const Tensor &in, const ReducePlans &p, Tensor &out,
                 unsigned threads) {
  using A = AccType<T>;
  const T *x = dataAs<T>(in);
  T *y = mutableDataAs<T>(out);
  const int64_t ks = p.kept.getInnerStride(0);
  const int64_t rs = p.reduced.getInnerStride(0);
  const int64_t count = p.count;
  // Vectorise along the outputs when they are contiguous in the input and
  // the reduction is not.
  const bool alongOutputs = ks == 1 && rs != 1;
  int64_t grain =
      std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(count, 1));
  parallelFor(threads, out.getNumElements(), grain, [&](int64_t b, int64_t e) {
    std::vector<A> acc;
    p.kept.forEachRun(b, e, [&](int64_t o, const int64_t *koffs, int64_t len) {
      if (alongOutputs) {
        acc.assign(len, initialValue<A>(Op));
        p.reduced.forEachRun(
            0, count, [&](int64_t, const int64_t *roffs, int64_t n) {
              for (int64_t k = 0; k < n; ++k) {
                const T *row = x + koffs[0] + roffs[0] + k * rs;
                for (int64_t j = 0; j < len; ++j)
                  acc[j] = step<Op, A>(acc[j], static_cast<A>(row[j]));
              }
            });
        for (int64_t j = 0; j < len; ++j)
          y[o + j] = static_cast<T>(finish<Op, A>(acc[j], count));
        return;
      }
      for (int64_t j = 0; j < len; ++j) {
        const T *base = x + koffs[0] + j * ks;
        A a = initialValue<A>(Op);
        p.reduced.forEachRun(
            0, count, [&](int64_t, const int64_t *roffs, int64_t n) {
              const T *r = base + roffs[0];
              if (rs == 1) {
                a = reduceContiguous<Op, A>(a, r, n);
              } else {
                for (int64_t k = 0; k < n; ++k)
                  a = step<Op, A>(a, static_cast<A>(r[k * rs]));
              }
            });
        y[o + j] = static_cast<T>(finish<Op, A>(a, count));
      }
    });
  });
}

/// log(sum(exp(x))) as max + log(sum(exp(x - max))), so that large inputs
/// do not overflow; the result has `keptShape`.
Tensor logSumExp(const Tensor &in, const ReducePlans &p,
                 llvm::ArrayRef<int64_t> keptShape, unsigned threads) {
  Tensor result(in.getElementType(), keptShape);
  dispatchType<FloatTypes>(in.getElementType(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor maxima(in.getElementType(), keptShape);
    reduceTyped<T, RedOp::Max>(in, p, maxima, threads);
    Tensor shifted(in.getElementType(), in.getShape());
    mapBinary<T, T, T>(in, maxima, shifted, threads, [](T x, T m) {
      return std::isinf(m) ? (x == m ? T(1) : T(0)) : std::exp(x - m);
    });
    reduceTyped<T, RedOp::Sum>(shifted, p, result, threads);
    mapBinary<T, T, T>(result, maxima, result, threads, [](T s, T m) {
      return std::isinf(m) ? m : m + std::log(s);
    });
  });
  return result;
}

/// Whether the op is defined on integer types.
bool acceptsIntegers(RedOp op) {
  return op != RedOp::L2 && op != RedOp::LogSum && op != RedOp::LogSumExp;
}

template <RedOp Op> llvm::Error computeReduce(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 2))
    return err;
  const Tensor &original = *ctx.inputs[0];
  ElementType type = original.getElementType();
  Tensor in = widenHalf(original);
  int64_t rank = in.getRank();
  // Axes moved from attribute to input in ReduceSum-13 and the others' 18.
  int64_t inputSince = Op == RedOp::Sum ? 13 : 18;
  llvm::SmallVector<int64_t, 8> axes;
  if (ctx.opsetVersion < inputSince) {
    axes = ctx.node.getAttrInts("axes");
  } else if (const Tensor *a = ctx.getInput(1); a && !a->isNull()) {
    auto values = readInt64s(ctx, *a, "axes");
    if (!values)
      return values.takeError();
    axes = *values;
  }
  bool keepDims = ctx.node.getAttrInt("keepdims", 1) != 0;
  if (axes.empty() && ctx.node.getAttrInt("noop_with_empty_axes", 0) != 0) {
    ctx.outputs[0] = original;
    return llvm::Error::success();
  }
  llvm::SmallBitVector reduced(rank, axes.empty());
  for (int64_t axis : axes) {
    auto a = normalizeAxis(ctx, axis, rank);
    if (!a)
      return a.takeError();
    reduced.set(*a);
  }
  Strides strides = getContiguousStrides(in.getShape());
  Shape keptShape, redShape, outShape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t n = in.getDim(d);
    keptShape.push_back(reduced.test(d) ? 1 : n);
    redShape.push_back(reduced.test(d) ? n : 1);
    if (!reduced.test(d) || keepDims)
      outShape.push_back(reduced.test(d) ? 1 : n);
  }
  ReducePlans plans{StridedPlan(keptShape, {strides}),
                    StridedPlan(redShape, {strides}), getNumElements(redShape)};
  if (Op == RedOp::LogSumExp && isFloatType(in.getElementType())) {
    ctx.outputs[0] =
        narrowTo(logSumExp(in, plans, keptShape, ctx.threads), type);
    ctx.outputs[0].reshape(outShape);
    return llvm::Error::success();
  }
  Tensor out(in.getElementType(), outShape);
  bool ok = dispatchType<FloatTypes>(in.getElementType(), [&](auto tag) {
    reduceTyped<typename decltype(tag)::type, Op>(in, plans, out, ctx.threads);
  });
  if (!ok && acceptsIntegers(Op))
    ok = dispatchType<IntTypes>(in.getElementType(), [&](auto tag) {
      reduceTyped<typename decltype(tag)::type, Op>(in, plans, out,
                                                    ctx.threads);
    });
  if (!ok)
    return ctx.error("unsupported element type " + typeName(type));
  ctx.outputs[0] = narrowTo(std::move(out), type);
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// ArgMax, ArgMin
//===----------------------------------------------------------------------===//

template <typename T, bool IsMax>
void argTyped(const Tensor &in, int64_t axis, bool selectLast, Tensor &out,
              unsigned threads) {
  llvm::ArrayRef<int64_t> dims = in.getShape();
  int64_t outer = getNumElements(dims.take_front(axis));
  int64_t n = dims[axis];
  int64_t inner = getNumElements(dims.drop_front(axis + 1));
  const T *x = dataAs<T>(in);
  int64_t *y = mutableDataAs<int64_t>(out);
  parallelFor(
      threads, outer,
      std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(n * inner, 1)),
      [&](int64_t b, int64_t e) {
        std::vector<T> best;
        for (int64_t o = b; o < e; ++o) {
          const T *block = x + o * n * inner;
          int64_t *res = y + o * inner;
          best.assign(block, block + inner);
          std::fill(res, res + inner, 0);
          for (int64_t j = 1; j < n; ++j) {
            const T *row = block + j * inner;
            for (int64_t i = 0; i < inner; ++i) {
              bool better = IsMax ? row[i] > best[i] : row[i] < best[i];
              if (better || (selectLast && row[i] == best[i])) {
                best[i] = row[i];
                res[i] = j;
              }
            }
          }
        }
      });
}

template <bool IsMax> llvm::Error computeArg(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 1))
    return err;
  Tensor in = widenHalf(*ctx.inputs[0]);
  auto axis = normalizeAxis(ctx, ctx.node.getAttrInt("axis", 0), in.getRank());
  if (!axis)
    return axis.takeError();
  if (in.getDim(*axis) == 0)
    return ctx.error("cannot take the arg of an empty axis");
  bool keepDims = ctx.node.getAttrInt("keepdims", 1) != 0;
  bool selectLast = ctx.node.getAttrInt("select_last_index", 0) != 0;
  Shape shape;
  for (int64_t d = 0; d < in.getRank(); ++d)
    if (d != *axis)
      shape.push_back(in.getDim(d));
    else if (keepDims)
      shape.push_back(1);
  Tensor &out = makeOutput(ctx, 0, ElementType::Int64, shape);
  bool ok = dispatchType<NumericTypes>(in.getElementType(), [&](auto tag) {
    argTyped<typename decltype(tag)::type, IsMax>(in, *axis, selectLast, out,
                                                  ctx.threads);
  });
  if (!ok)
    return ctx.error("unsupported element type " +
                     typeName(ctx.inputs[0]->getElementType()));
  return llvm::Error::success();
}

} // namespace

void qlc::registerReductionKernels(KernelRegistry &registry) {
  registry.add("", "ReduceSum", 1, computeReduce<RedOp::Sum>);
  registry.add("", "ReduceMean", 1, computeReduce<RedOp::Mean>);
  registry.add("", "ReduceMax", 1, computeReduce<RedOp::Max>);
  registry.add("", "ReduceMin", 1, computeReduce<RedOp::Min>);
  registry.add("", "ReduceProd", 1, computeReduce<RedOp::Prod>);
  registry.add("", "ReduceL1", 1, computeReduce<RedOp::L1>);
  registry.add("", "ReduceL2", 1, computeReduce<RedOp::L2>);
  registry.add("", "ReduceLogSum", 1, computeReduce<RedOp::LogSum>);
  registry.add("", "ReduceLogSumExp", 1, computeReduce<RedOp::LogSumExp>);
  registry.add("", "ReduceSumSquare", 1, computeReduce<RedOp::SumSquare>);
  registry.add("", "ArgMax", 1, computeArg<true>);
  registry.add("", "ArgMin", 1, computeArg<false>);
}
