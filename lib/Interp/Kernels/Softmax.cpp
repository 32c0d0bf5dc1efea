//===- Softmax.cpp - Softmax, LogSoftmax and Hardmax kernels --------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The axis semantics changed in opset 13. Before, the input is viewed as a
// 2-D matrix [prod(d0..d(axis-1)), prod(d(axis)..)] (axis default 1) and
// each row is normalised as a whole; from 13 on, only dimension `axis`
// (default -1) is normalised. Both are "outer x n x inner" blocks here: the
// old form is simply inner = 1, n = the product of the trailing dimensions.
// Blocks are processed inner-contiguous so the loops vectorise; the maximum
// is subtracted first for stability and sums accumulate in double.
//
//===----------------------------------------------------------------------===//

#include "Kernels/Dispatch.h"
#include "Kernels/ElementwiseLoops.h"
#include "Kernels/Kernels.h"

#include <algorithm>
#include <cmath>
#include <vector>

using namespace qlc;
using namespace qlc::interp;

namespace {

enum class NormKind { Softmax, LogSoftmax, Hardmax };

struct Blocks {
  int64_t outer = 1, n = 1, inner = 1;
};

llvm::Expected<Blocks> getBlocks(const KernelContext &ctx, const Tensor &in) {
  int64_t rank = in.getRank();
  bool legacy = ctx.opsetVersion < 13;
  int64_t axis = ctx.node.getAttrInt("axis", legacy ? 1 : -1);
  if (rank == 0)
    return ctx.error("input must have rank >= 1");
  // Opset < 13 also accepts axis == rank (one empty trailing group).
  if (legacy ? (axis < -rank || axis > rank) : (axis < -rank || axis >= rank))
    return ctx.error("axis " + llvm::Twine(axis) +
                     " is out of range for rank " + llvm::Twine(rank));
  if (axis < 0)
    axis += rank;
  llvm::ArrayRef<int64_t> dims = in.getShape();
  Blocks b;
  b.outer = getNumElements(dims.take_front(axis));
  if (legacy) {
    b.n = getNumElements(dims.drop_front(axis));
  } else {
    b.n = dims[axis];
    b.inner = getNumElements(dims.drop_front(axis + 1));
  }
  return b;
}

/// Normalises one row x[n] (inner = 1, the common case) into y. The loops
/// carry no branches so they vectorise (apart from exp).
template <typename T>
void normalizeRow(NormKind kind, const T *x, T *y, int64_t n) {
  T maxv = x[0];
  for (int64_t j = 1; j < n; ++j)
    maxv = x[j] > maxv ? x[j] : maxv;
  if (kind == NormKind::Hardmax) {
    std::fill(y, y + n, T(0));
    y[std::find(x, x + n, maxv) - x] = T(1); // the first maximum
    return;
  }
  double sum = 0;
  for (int64_t j = 0; j < n; ++j) {
    T e = std::exp(x[j] - maxv);
    sum += e;
    if (kind == NormKind::Softmax)
      y[j] = e;
  }
  if (kind == NormKind::Softmax) {
    T scale = static_cast<T>(1.0 / sum);
    for (int64_t j = 0; j < n; ++j)
      y[j] *= scale;
  } else {
    T logSum = static_cast<T>(std::log(sum));
    for (int64_t j = 0; j < n; ++j)
      y[j] = (x[j] - maxv) - logSum;
  }
}

/// Normalises one outer block x[n][inner] into y, inner-contiguous.
template <typename T>
void normalizeBlock(NormKind kind, const T *x, T *y, int64_t n, int64_t inner,
                    std::vector<T> &maxv, std::vector<double> &sum,
                    std::vector<int64_t> &argmax) {
  if (inner == 1)
    return normalizeRow(kind, x, y, n);
  maxv.assign(x, x + inner);
  argmax.assign(inner, 0);
  for (int64_t j = 1; j < n; ++j) {
    const T *row = x + j * inner;
    for (int64_t i = 0; i < inner; ++i)
      if (row[i] > maxv[i]) {
        maxv[i] = row[i];
        argmax[i] = j;
      }
  }
  if (kind == NormKind::Hardmax) {
    std::fill(y, y + n * inner, T(0));
    for (int64_t i = 0; i < inner; ++i)
      y[argmax[i] * inner + i] = T(1);
    return;
  }
  sum.assign(inner, 0.0);
  for (int64_t j = 0; j < n; ++j) {
    const T *row = x + j * inner;
    T *out = y + j * inner;
    for (int64_t i = 0; i < inner; ++i) {
      T e = std::exp(row[i] - maxv[i]);
      sum[i] += e;
      if (kind == NormKind::Softmax)
        out[i] = e;
    }
  }
  if (kind == NormKind::Softmax) {
    for (int64_t i = 0; i < inner; ++i)
      sum[i] = 1.0 / sum[i];
    for (int64_t j = 0; j < n; ++j) {
      T *out = y + j * inner;
      for (int64_t i = 0; i < inner; ++i)
        out[i] = static_cast<T>(out[i] * sum[i]);
    }
    return;
  }
  for (int64_t i = 0; i < inner; ++i)
    sum[i] = maxv[i] + std::log(sum[i]);
  for (int64_t j = 0; j < n; ++j) {
    const T *row = x + j * inner;
    T *out = y + j * inner;
    for (int64_t i = 0; i < inner; ++i)
      out[i] = static_cast<T>(row[i] - sum[i]);
  }
}

template <NormKind Kind> llvm::Error computeNormalize(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 1))
    return err;
  const Tensor &original = *ctx.inputs[0];
  ElementType type = original.getElementType();
  Tensor in = widenHalf(original);
  auto blocks = getBlocks(ctx, in);
  if (!blocks)
    return blocks.takeError();
  Blocks b = *blocks;
  Tensor out(in.getElementType(), in.getShape());
  bool ok = dispatchType<FloatTypes>(in.getElementType(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *x = dataAs<T>(in);
    T *y = mutableDataAs<T>(out);
    int64_t blockSize = b.n * b.inner;
    int64_t grain = std::max<int64_t>(1, kElementwiseGrain / 8 /
                                             std::max<int64_t>(blockSize, 1));
    parallelFor(ctx.threads, b.n == 0 ? 0 : b.outer, grain,
                [&](int64_t begin, int64_t end) {
                  std::vector<T> maxv;
                  std::vector<double> sum;
                  std::vector<int64_t> argmax;
                  for (int64_t o = begin; o < end; ++o)
                    normalizeBlock<T>(Kind, x + o * blockSize,
                                      y + o * blockSize, b.n, b.inner, maxv,
                                      sum, argmax);
                });
  });
  if (!ok)
    return ctx.error("unsupported element type " + typeName(type));
  ctx.outputs[0] = narrowTo(std::move(out), type);
  return llvm::Error::success();
}

} // namespace

void qlc::registerSoftmaxKernels(KernelRegistry &registry) {
  registry.add("", "Softmax", 1, computeNormalize<NormKind::Softmax>);
  registry.add("", "LogSoftmax", 1, computeNormalize<NormKind::LogSoftmax>);
  registry.add("", "Hardmax", 1, computeNormalize<NormKind::Hardmax>);
}
