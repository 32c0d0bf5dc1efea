//===- Gemm.cpp - Gemm and MatMul kernels ---------------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Gemm (alpha * op(A) * op(B) + beta * C, C broadcast to [M, N]) and MatMul
// (numpy semantics: batched, broadcast batch dimensions, 1-D operands
// promoted and the added dimension dropped). float runs on oneDNN's SGEMM
// (strict fp32); a MatMul whose right operand is a plain matrix folds the
// left operand's batch into one large GEMM. float16/bfloat16 compute in
// float; double and the integer types use a plain loop (integers wrap
// around, as two's-complement hardware does, rather than overflowing).
//
//===----------------------------------------------------------------------===//

#include "Kernels/Broadcast.h"
#include "Kernels/Dispatch.h"
#include "Kernels/DnnlSupport.h"
#include "Kernels/KernelUtils.h"
#include "Kernels/Kernels.h"
#include "Kernels/MatMulShape.h"
#include "Kernels/Parallel.h"

#include "qlc/Support/Error.h"

#include <type_traits>

using namespace qlc;
using namespace qlc::interp;

namespace {

/// Integer accumulation wraps around in the unsigned type of the same width.
template <typename T, bool = std::is_integral<T>::value> struct WrapType {
  using type = T;
};
template <typename T> struct WrapType<T, true> {
  using type = std::make_unsigned_t<T>;
};

/// C[m x n] (+)= op(A) * op(B) for a generic element type, row-major with
/// leading dimensions; `accumulate` adds to C instead of overwriting it.
template <typename T>
void gemmLoop(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
              const T *a, int64_t lda, const T *b, int64_t ldb, T *c,
              int64_t ldc, bool accumulate, unsigned threads) {
  using W = typename WrapType<T>::type;
  parallelFor(threads, m, 1, [&](int64_t lo, int64_t hi) {
    std::vector<W> row(n);
    for (int64_t i = lo; i < hi; ++i) {
      std::fill(row.begin(), row.end(), W(0));
      for (int64_t p = 0; p < k; ++p) {
        W av = W(transA ? a[p * lda + i] : a[i * lda + p]);
        for (int64_t j = 0; j < n; ++j)
          row[j] += av * W(transB ? b[j * ldb + p] : b[p * ldb + j]);
      }
      for (int64_t j = 0; j < n; ++j)
        c[i * ldc + j] = accumulate ? T(W(c[i * ldc + j]) + row[j]) : T(row[j]);
    }
  });
}

llvm::Error computeGemm(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 2, 3))
    return err;
  const Node &node = ctx.node;
  float alpha = node.getAttrFloat("alpha", 1.0f);
  float beta = node.getAttrFloat("beta", 1.0f);
  bool transA = node.getAttrInt("transA", 0) != 0;
  bool transB = node.getAttrInt("transB", 0) != 0;
  Tensor a = widenHalf(*ctx.getInput(0)), b = widenHalf(*ctx.getInput(1));
  const Tensor *cIn = ctx.getInput(2);
  Tensor c = cIn && !cIn->isNull() ? widenHalf(*cIn) : Tensor();
  ElementType outType = ctx.getInput(0)->getElementType();
  ElementType type = a.getElementType();
  if (b.getElementType() != type || (!c.isNull() && c.getElementType() != type))
    return ctx.error("A, B and C must have one element type");
  if (a.getRank() != 2 || b.getRank() != 2)
    return ctx.error("A " + formatShape(a.getShape()) + " and B " +
                     formatShape(b.getShape()) + " must be matrices");
  int64_t m = transA ? a.getDim(1) : a.getDim(0);
  int64_t k = transA ? a.getDim(0) : a.getDim(1);
  int64_t kb = transB ? b.getDim(1) : b.getDim(0);
  int64_t n = transB ? b.getDim(0) : b.getDim(1);
  if (k != kb)
    return ctx.error("inner dimensions differ: A " + formatShape(a.getShape()) +
                     ", B " + formatShape(b.getShape()));
  Shape outShape{m, n};
  if (!c.isNull() && !isBroadcastableTo(c.getShape(), outShape))
    return ctx.error("C " + formatShape(c.getShape()) +
                     " does not broadcast to " + formatShape(outShape));
  Tensor y(type, outShape);
  bool useC = !c.isNull() && beta != 0.0f;
  bool ok = dispatchType<NumericTypes>(type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T *out = mutableDataAs<T>(y);
    if (useC) { // Y = beta * C, broadcast
      Strides cs = getBroadcastStrides(c.getShape(), outShape);
      const T *cv = dataAs<T>(c);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          T v = cv[i * cs[0] + j * cs[1]];
          out[i * n + j] = beta == 1.0f ? v : T(beta * v);
        }
    }
    int64_t lda = a.getDim(1), ldb = b.getDim(1);
    if constexpr (std::is_same<T, float>::value) {
      sgemm(transA, transB, m, n, k, alpha, dataAs<float>(a), lda,
            dataAs<float>(b), ldb, useC ? 1.0f : 0.0f, out, n, ctx.threads);
    } else if (alpha == 1.0f) {
      gemmLoop<T>(transA, transB, m, n, k, dataAs<T>(a), lda, dataAs<T>(b), ldb,
                  out, n, useC, ctx.threads);
    } else { // scale the product alone, then add beta * C
      Tensor prod(type, outShape);
      T *pv = mutableDataAs<T>(prod);
      gemmLoop<T>(transA, transB, m, n, k, dataAs<T>(a), lda, dataAs<T>(b), ldb,
                  pv, n, false, ctx.threads);
      for (int64_t i = 0; i < m * n; ++i)
        out[i] = T(alpha * pv[i] + (useC ? out[i] : T(0)));
    }
  });
  if (!ok)
    return ctx.error("unsupported element type " + typeName(type));
  ctx.outputs[0] = narrowTo(std::move(y), outType);
  return llvm::Error::success();
}

llvm::Error computeMatMul(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 2, 2))
    return err;
  Tensor a = widenHalf(*ctx.getInput(0)), b = widenHalf(*ctx.getInput(1));
  ElementType outType = ctx.getInput(0)->getElementType();
  ElementType type = a.getElementType();
  if (b.getElementType() != type)
    return ctx.error("A and B must have one element type");
  auto s = resolveMatMul(ctx, a.getShape(), b.getShape());
  if (!s)
    return s.takeError();
  Tensor y(type, s->out);
  int64_t m = s->m, k = s->k, n = s->n;
  bool ok = dispatchType<NumericTypes>(type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *av = dataAs<T>(a), *bv = dataAs<T>(b);
    T *out = mutableDataAs<T>(y);
    if constexpr (std::is_same<T, float>::value) {
      // A plain right matrix: all of A's batch is one tall GEMM.
      bool fold = b.getRank() <= 2 && a.getRank() >= 2;
      if (fold) {
        int64_t rows = a.getNumElements() / std::max<int64_t>(k, 1);
        if (k == 0)
          rows = getNumElements(s->batch) * m;
        sgemm(false, false, rows, n, k, 1.0f, av, k, bv, n, 0.0f, out, n,
              ctx.threads);
        return;
      }
      forEachBatch(*s, [&](int64_t ai, int64_t bi, int64_t oi) {
        sgemm(false, false, m, n, k, 1.0f, av + ai * m * k, k, bv + bi * k * n,
              n, 0.0f, out + oi * m * n, n, ctx.threads);
      });
    } else {
      forEachBatch(*s, [&](int64_t ai, int64_t bi, int64_t oi) {
        gemmLoop<T>(false, false, m, n, k, av + ai * m * k, k, bv + bi * k * n,
                    n, out + oi * m * n, n, false, ctx.threads);
      });
    }
  });
  if (!ok)
    return ctx.error("unsupported element type " + typeName(type));
  ctx.outputs[0] = narrowTo(std::move(y), outType);
  return llvm::Error::success();
}

} // namespace

void qlc::registerGemmKernels(KernelRegistry &registry) {
  registry.add("", "Gemm", 1, computeGemm);
  registry.add("", "MatMul", 1, computeMatMul);
}
