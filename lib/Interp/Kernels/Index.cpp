//===- Index.cpp - Gather, GatherElements, NonZero, TopK, Range -----------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Kernels driven by index tensors. Indices may be negative (counted from
// the end, as ONNX allows) and are bounds-checked: an out-of-range index is
// an error naming the node, never a wild read. TopK breaks ties by the lower
// index, like the ONNX runtimes, and always returns sorted results (which
// sorted=0 permits).
//
//===----------------------------------------------------------------------===//

#include "Kernels/Dispatch.h"
#include "Kernels/ElementwiseLoops.h"
#include "Kernels/Kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

using namespace qlc;
using namespace qlc::interp;

namespace {

/// Normalised indices of an int32/int64 tensor for an axis of size `dim`.
llvm::Expected<std::vector<int64_t>> readIndices(const KernelContext &ctx,
                                                 const Tensor &t, int64_t dim) {
  ElementType type = t.getElementType();
  if (type != ElementType::Int32 && type != ElementType::Int64)
    return ctx.error("indices must be int32 or int64, got " + typeName(type));
  std::vector<int64_t> indices(t.getNumElements());
  for (size_t i = 0; i < indices.size(); ++i) {
    int64_t v = type == ElementType::Int64 ? dataAs<int64_t>(t)[i]
                                           : dataAs<int32_t>(t)[i];
    if (v < -dim || v >= dim)
      return ctx.error("index " + llvm::Twine(v) + " is out of range [" +
                       llvm::Twine(-dim) + ", " + llvm::Twine(dim) + ")");
    indices[i] = v < 0 ? v + dim : v;
  }
  return indices;
}

llvm::Error computeGather(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 2, 2))
    return err;
  const Tensor &data = *ctx.inputs[0];
  auto axis =
      normalizeAxis(ctx, ctx.node.getAttrInt("axis", 0), data.getRank());
  if (!axis)
    return axis.takeError();
  auto indices = readIndices(ctx, *ctx.inputs[1], data.getDim(*axis));
  if (!indices)
    return indices.takeError();
  size_t elemSize = getElementSize(data.getElementType());
  if (elemSize == 0)
    return ctx.error("unsupported element type " +
                     typeName(data.getElementType()));
  llvm::ArrayRef<int64_t> dims = data.getShape();
  Shape shape(dims.begin(), dims.begin() + *axis);
  shape.append(ctx.inputs[1]->getShape().begin(),
               ctx.inputs[1]->getShape().end());
  shape.append(dims.begin() + *axis + 1, dims.end());
  Tensor &out = makeOutput(ctx, 0, data.getElementType(), shape);
  int64_t outer = getNumElements(dims.take_front(*axis));
  int64_t slab = getNumElements(dims.drop_front(*axis + 1)) * elemSize;
  int64_t dim = dims[*axis], n = static_cast<int64_t>(indices->size());
  const char *src = data.getRawData();
  char *dst = out.getMutableRawData();
  parallelFor(ctx.threads, outer * n,
              std::max<int64_t>(1, 65536 / std::max<int64_t>(slab, 1)),
              [&](int64_t begin, int64_t end) {
                for (int64_t k = begin; k < end; ++k) {
                  int64_t o = k / n, i = k % n;
                  std::memcpy(dst + k * slab,
                              src + (o * dim + (*indices)[i]) * slab, slab);
                }
              });
  return llvm::Error::success();
}

llvm::Error computeGatherElements(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 2, 2))
    return err;
  const Tensor &data = *ctx.inputs[0], &idx = *ctx.inputs[1];
  int64_t rank = data.getRank();
  if (idx.getRank() != rank)
    return ctx.error("indices rank " + llvm::Twine(idx.getRank()) +
                     " differs from data rank " + llvm::Twine(rank));
  auto axis = normalizeAxis(ctx, ctx.node.getAttrInt("axis", 0), rank);
  if (!axis)
    return axis.takeError();
  for (int64_t d = 0; d < rank; ++d)
    if (d != *axis && idx.getDim(d) > data.getDim(d))
      return ctx.error("indices shape " + formatShape(idx.getShape()) +
                       " exceeds data shape " + formatShape(data.getShape()));
  auto indices = readIndices(ctx, idx, data.getDim(*axis));
  if (!indices)
    return indices.takeError();
  size_t elemSize = getElementSize(data.getElementType());
  if (elemSize == 0)
    return ctx.error("unsupported element type " +
                     typeName(data.getElementType()));
  Tensor &out = makeOutput(ctx, 0, data.getElementType(), idx.getShape());
  Strides dataStrides = getContiguousStrides(data.getShape());
  // Data offset of the output position, without the axis term: walk the
  // indices tensor with the data's strides (axis stride 0).
  Strides walk = dataStrides;
  walk[*axis] = 0;
  StridedPlan plan(idx.getShape(), {walk});
  const char *src = data.getRawData();
  char *dst = out.getMutableRawData();
  int64_t axisStride = dataStrides[*axis];
  plan.forEachRun(0, plan.getNumElements(),
                  [&](int64_t o, const int64_t *offs, int64_t n) {
                    int64_t stride = plan.getInnerStride(0);
                    for (int64_t k = 0; k < n; ++k)
                      std::memcpy(dst + (o + k) * elemSize,
                                  src + (offs[0] + k * stride +
                                         (*indices)[o + k] * axisStride) *
                                            elemSize,
                                  elemSize);
                  });
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// NonZero, TopK, Range
//===----------------------------------------------------------------------===//

llvm::Error computeNonZero(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 1))
    return err;
  Tensor in = widenHalf(*ctx.inputs[0]);
  std::vector<int64_t> hits;
  bool ok =
      dispatchType<NumericAndBoolTypes>(in.getElementType(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T *p = dataAs<T>(in);
        for (int64_t i = 0, e = in.getNumElements(); i < e; ++i)
          if (p[i] != T(0))
            hits.push_back(i);
      });
  if (!ok)
    return ctx.error("unsupported element type " +
                     typeName(in.getElementType()));
  // A scalar behaves as a 1-element vector (numpy's atleast_1d).
  Shape dims(in.getShape().begin(), in.getShape().end());
  if (dims.empty())
    dims.push_back(1);
  int64_t rank = static_cast<int64_t>(dims.size());
  int64_t count = static_cast<int64_t>(hits.size());
  Tensor &out = makeOutput(ctx, 0, ElementType::Int64, {rank, count});
  int64_t *o = mutableDataAs<int64_t>(out);
  for (int64_t k = 0; k < count; ++k) {
    int64_t flat = hits[k];
    for (int64_t d = rank - 1; d >= 0; --d) {
      o[d * count + k] = flat % dims[d];
      flat /= dims[d];
    }
  }
  return llvm::Error::success();
}

template <typename T>
void topKTyped(const Tensor &in, int64_t axis, int64_t k, bool largest,
               Tensor &values, Tensor &indices, unsigned threads) {
  llvm::ArrayRef<int64_t> dims = in.getShape();
  int64_t outer = getNumElements(dims.take_front(axis));
  int64_t n = dims[axis];
  int64_t inner = getNumElements(dims.drop_front(axis + 1));
  const T *x = dataAs<T>(in);
  T *v = mutableDataAs<T>(values);
  int64_t *ix = mutableDataAs<int64_t>(indices);
  parallelFor(threads, outer * inner, 64, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> order(n);
    for (int64_t line = begin; line < end; ++line) {
      int64_t o = line / inner, i = line % inner;
      const T *base = x + o * n * inner + i;
      std::iota(order.begin(), order.end(), 0);
      auto before = [&](int64_t a, int64_t b) {
        T va = base[a * inner], vb = base[b * inner];
        if (va != vb)
          return largest ? va > vb : va < vb;
        return a < b;
      };
      std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
      for (int64_t j = 0; j < k; ++j) {
        int64_t pos = (o * k + j) * inner + i;
        v[pos] = base[order[j] * inner];
        ix[pos] = order[j];
      }
    }
  });
}

llvm::Error computeTopK(KernelContext &ctx) {
  bool kAsInput = ctx.opsetVersion >= 10;
  if (llvm::Error err =
          checkArity(ctx, kAsInput ? 2 : 1, kAsInput ? 2 : 1, 2, 2))
    return err;
  Tensor in = widenHalf(*ctx.inputs[0]);
  auto axis = normalizeAxis(ctx, ctx.node.getAttrInt("axis", -1), in.getRank());
  if (!axis)
    return axis.takeError();
  int64_t k = ctx.node.getAttrInt("k", -1);
  if (kAsInput) {
    auto kv = readInt64s(ctx, *ctx.inputs[1], "K");
    if (!kv)
      return kv.takeError();
    if (kv->size() != 1)
      return ctx.error("K must have exactly one element");
    k = (*kv)[0];
  }
  if (k < 0 || k > in.getDim(*axis))
    return ctx.error("k = " + llvm::Twine(k) +
                     " is out of range for axis size " +
                     llvm::Twine(in.getDim(*axis)));
  bool largest = ctx.node.getAttrInt("largest", 1) != 0;
  Shape shape(in.getShape().begin(), in.getShape().end());
  shape[*axis] = k;
  Tensor values(in.getElementType(), shape);
  Tensor &indices = makeOutput(ctx, 1, ElementType::Int64, shape);
  bool ok = dispatchType<NumericTypes>(in.getElementType(), [&](auto tag) {
    topKTyped<typename decltype(tag)::type>(in, *axis, k, largest, values,
                                            indices, ctx.threads);
  });
  if (!ok)
    return ctx.error("unsupported element type " +
                     typeName(in.getElementType()));
  ctx.outputs[0] = narrowTo(std::move(values), ctx.inputs[0]->getElementType());
  return llvm::Error::success();
}

template <typename T> llvm::Error rangeTyped(KernelContext &ctx) {
  T start = dataAs<T>(*ctx.inputs[0])[0];
  T limit = dataAs<T>(*ctx.inputs[1])[0];
  T delta = dataAs<T>(*ctx.inputs[2])[0];
  if (delta == T(0))
    return ctx.error("delta must not be 0");
  int64_t n;
  if constexpr (std::is_floating_point<T>::value) {
    double count = std::ceil((double(limit) - double(start)) / double(delta));
    if (!(count < 1e12))
      return ctx.error("range has too many elements");
    n = count > 0 ? static_cast<int64_t>(count) : 0;
  } else {
    // Exact ceil((limit - start) / delta) in 64-bit arithmetic.
    int64_t span = int64_t(limit) - int64_t(start), d = int64_t(delta);
    n = (span == 0 || (span > 0) != (d > 0))
            ? 0
            : (span + d + (d > 0 ? -1 : 1)) / d;
  }
  Tensor &out = makeOutput(ctx, 0, ElementTypeOf<T>::value, {n});
  T *o = mutableDataAs<T>(out);
  for (int64_t i = 0; i < n; ++i)
    o[i] = static_cast<T>(start + static_cast<T>(i) * delta);
  return llvm::Error::success();
}

llvm::Error computeRange(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 3, 3))
    return err;
  ElementType type = ctx.inputs[0]->getElementType();
  for (unsigned i = 0; i < 3; ++i) {
    if (ctx.inputs[i]->getElementType() != type)
      return ctx.error("start, limit and delta must have the same type");
    if (ctx.inputs[i]->getNumElements() != 1)
      return ctx.error("start, limit and delta must be scalars");
  }
  llvm::Error result = llvm::Error::success();
  bool ok = dispatchType<TypeList<float, double, int16_t, int32_t, int64_t>>(
      type, [&](auto tag) {
        llvm::consumeError(std::move(result));
        result = rangeTyped<typename decltype(tag)::type>(ctx);
      });
  if (!ok)
    return ctx.error("unsupported element type " + typeName(type));
  return result;
}

} // namespace

void qlc::registerIndexKernels(KernelRegistry &registry) {
  registry.add("", "Gather", 1, computeGather);
  registry.add("", "GatherElements", 11, computeGatherElements);
  registry.add("", "NonZero", 9, computeNonZero);
  registry.add("", "TopK", 1, computeTopK);
  registry.add("", "Range", 11, computeRange);
}
