//===- IntegerMatMul.cpp - MatMulInteger and QLinearMatMul ----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Exact int32 products of 8-bit matrices with numpy batching: A loses its
// zero point per tensor or per row, B per tensor or per column, both are
// widened to int16 (B pair-packed) and multiplied by gemmInt16 (IntGemm.h).
// A right operand shared by the whole batch (the usual weight matrix) is
// widened once. QLinearMatMul requantises like ONNX Runtime: multiplier
// a_scale * b_scale / y_scale in float, then
// y = saturate(round_half_even(float(acc) * multiplier) + y_zero_point).
//
//===----------------------------------------------------------------------===//

#include "Kernels/ConvKernels.h"
#include "Kernels/Dispatch.h"
#include "Kernels/IntGemm.h"
#include "Kernels/KernelUtils.h"
#include "Kernels/MatMulShape.h"
#include "Kernels/Parallel.h"
#include "Kernels/QuantMath.h"

#include "qlc/Support/Error.h"

using namespace qlc;
using namespace qlc::interp;

namespace {

using Int8Types = TypeList<uint8_t, int8_t>;

bool isInt8(ElementType t) {
  return t == ElementType::UInt8 || t == ElementType::Int8;
}

/// A per-tensor or per-row/column parameter: absent gives `dflt`.
llvm::Expected<std::vector<double>> readParam(const KernelContext &ctx,
                                              const Tensor *t, ElementType type,
                                              int64_t vectorSize, double dflt,
                                              const char *what) {
  if (!t || t->isNull())
    return std::vector<double>{dflt};
  if (t->getElementType() != type)
    return ctx.error(llvm::Twine(what) + " has type " +
                     typeName(t->getElementType()) + ", expected " +
                     typeName(type));
  int64_t n = t->getNumElements();
  bool scalar = n == 1 && t->getRank() <= 1;
  bool vector = vectorSize > 0 && t->getRank() == 1 && n == vectorSize;
  if (!scalar && !vector)
    return ctx.error(
        llvm::Twine(what) + " " + formatShape(t->getShape()) +
        " must be a scalar" +
        (vectorSize > 0 ? " or 1-D with " + llvm::Twine(vectorSize) + " entries"
                        : llvm::Twine("")));
  return t->toDoubles();
}

/// rows x cols matrix `v` (8-bit) minus zero points, as int16; zeros per
/// row (`perRow`) or per column. Element (r, c) goes to out[index(r, c)].
template <typename T, typename IndexFn>
void widenMatrix(const T *v, int64_t rows, int64_t cols,
                 const std::vector<double> &zeros, bool perRow, int16_t *out,
                 IndexFn index) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      int64_t z = int64_t(zeros.size() == 1 ? zeros[0] : zeros[perRow ? r : c]);
      out[index(r, c)] = static_cast<int16_t>(int64_t(v[r * cols + c]) - z);
    }
}

/// The exact int32 product into `acc` (shape s.out).
void integerMatMul(const MatMulShape &s, const Tensor &a,
                   const std::vector<double> &aZero, const Tensor &b,
                   const std::vector<double> &bZero, Tensor &acc,
                   unsigned threads) {
  int64_t m = s.m, k = s.k, n = s.n;
  // Padding (an odd k's last column of A and row of B) stays zero.
  int64_t lda = getPairedDepth(k);
  std::vector<int16_t> aw(m * lda, 0), bw(lda * n, 0);
  int64_t lastB = -1;
  int32_t *out = mutableDataAs<int32_t>(acc);
  forEachBatch(s, [&](int64_t ai, int64_t bi, int64_t oi) {
    dispatchType<Int8Types>(a.getElementType(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      widenMatrix(dataAs<T>(a) + ai * m * k, m, k, aZero, true, aw.data(),
                  [&](int64_t r, int64_t c) { return r * lda + c; });
    });
    if (bi != lastB) {
      dispatchType<Int8Types>(b.getElementType(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        widenMatrix(
            dataAs<T>(b) + bi * k * n, k, n, bZero, false, bw.data(),
            [&](int64_t r, int64_t c) { return getPackedIndex(r, c, n); });
      });
      lastB = bi;
    }
    gemmInt16(m, n, k, aw.data(), lda, bw.data(), out + oi * m * n, n, threads);
  });
}

llvm::Error computeMatMulInteger(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 2, 4))
    return err;
  const Tensor &a = *ctx.getInput(0), &b = *ctx.getInput(1);
  if (!isInt8(a.getElementType()) || !isInt8(b.getElementType()))
    return ctx.error("A and B must be int8 or uint8, got " +
                     typeName(a.getElementType()) + " and " +
                     typeName(b.getElementType()));
  auto s = resolveMatMul(ctx, a.getShape(), b.getShape());
  if (!s)
    return s.takeError();
  auto az = readParam(ctx, ctx.getInput(2), a.getElementType(), s->m, 0,
                      "a zero point");
  if (!az)
    return az.takeError();
  auto bz = readParam(ctx, ctx.getInput(3), b.getElementType(), s->n, 0,
                      "b zero point");
  if (!bz)
    return bz.takeError();
  Tensor acc(ElementType::Int32, s->out);
  integerMatMul(*s, a, *az, b, *bz, acc, ctx.threads);
  ctx.outputs[0] = std::move(acc);
  return llvm::Error::success();
}

llvm::Error computeQLinearMatMul(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 8, 8))
    return err;
  const Tensor &a = *ctx.getInput(0), &b = *ctx.getInput(3);
  const Tensor &yZero = *ctx.getInput(7);
  if (!isInt8(a.getElementType()) || !isInt8(b.getElementType()) ||
      !isInt8(yZero.getElementType()))
    return ctx.error("a, b and y must be int8 or uint8");
  auto s = resolveMatMul(ctx, a.getShape(), b.getShape());
  if (!s)
    return s.takeError();
  auto as =
      readParam(ctx, ctx.getInput(1), ElementType::Float, s->m, 1, "a_scale");
  auto az = readParam(ctx, ctx.getInput(2), a.getElementType(), s->m, 0,
                      "a zero point");
  auto bs =
      readParam(ctx, ctx.getInput(4), ElementType::Float, s->n, 1, "b_scale");
  auto bz = readParam(ctx, ctx.getInput(5), b.getElementType(), s->n, 0,
                      "b zero point");
  auto ys =
      readParam(ctx, ctx.getInput(6), ElementType::Float, 0, 1, "y_scale");
  auto yz =
      readParam(ctx, &yZero, yZero.getElementType(), 0, 0, "y zero point");
  for (auto *e : {&as, &az, &bs, &bz, &ys, &yz})
    if (!*e)
      return e->takeError();
  Tensor acc(ElementType::Int32, s->out);
  integerMatMul(*s, a, *az, b, *bz, acc, ctx.threads);
  // Multipliers per (row, column), as ONNX Runtime forms them in float.
  int64_t m = s->m, n = s->n;
  std::vector<float> mult(m * n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      mult[i * n + j] = float((*as)[as->size() == 1 ? 0 : i]) *
                        float((*bs)[bs->size() == 1 ? 0 : j]) / float((*ys)[0]);
  Tensor y(yZero.getElementType(), s->out);
  const int32_t *av = dataAs<int32_t>(acc);
  float zero = float((*yz)[0]);
  dispatchType<Int8Types>(yZero.getElementType(), [&](auto tag) {
    using Q = typename decltype(tag)::type;
    Q *out = mutableDataAs<Q>(y);
    int64_t total = y.getNumElements(), mn = m * n;
    parallelFor(
        ctx.threads, total, kElementwiseGrain, [&](int64_t lo, int64_t hi) {
          for (int64_t i = lo; i < hi; ++i)
            out[i] = saturateRound<Q>(float(av[i]) * mult[i % mn], zero);
        });
  });
  ctx.outputs[0] = std::move(y);
  return llvm::Error::success();
}

} // namespace

void qlc::registerIntegerMatMulKernels(KernelRegistry &registry) {
  registry.add("", "MatMulInteger", 10, computeMatMulInteger);
  registry.add("", "QLinearMatMul", 10, computeQLinearMatMul);
}
