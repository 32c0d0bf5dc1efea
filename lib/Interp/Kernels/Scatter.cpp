//===- Scatter.cpp - GatherND, Scatter*, OneHot, Compress -----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Index-tensor kernels beyond Gather: GatherND (with batch_dims),
// ScatterElements / Scatter and ScatterND (reduction none, add, mul, max,
// min; updates applied in index order, so duplicates resolve like the ONNX
// reference), OneHot and Compress. Every index is bounds-checked; negative
// indices count from the end.
//
//===----------------------------------------------------------------------===//

#include "Kernels/Dispatch.h"
#include "Kernels/ElementwiseLoops.h"
#include "Kernels/Kernels.h"

#include <cstring>

using namespace qlc;
using namespace qlc::interp;

namespace {

enum class Reduction { None, Add, Mul, Max, Min };

llvm::Expected<Reduction> getReduction(const KernelContext &ctx) {
  std::string r = ctx.node.getAttrString("reduction", "none");
  if (r == "none")
    return Reduction::None;
  if (r == "add")
    return Reduction::Add;
  if (r == "mul")
    return Reduction::Mul;
  if (r == "max")
    return Reduction::Max;
  if (r == "min")
    return Reduction::Min;
  return ctx.error("unsupported reduction '" + r + "'");
}

/// Index `v` of an axis of size `dim`, normalised, or an error.
llvm::Expected<int64_t> checkIndex(const KernelContext &ctx, int64_t v,
                                   int64_t dim) {
  if (v < -dim || v >= dim)
    return ctx.error("index " + llvm::Twine(v) + " is out of range [" +
                     llvm::Twine(-dim) + ", " + llvm::Twine(dim) + ")");
  return v < 0 ? v + dim : v;
}

/// Applies updates[i] to out at offsets[i] (in elements) with `red`.
llvm::Error applyUpdates(const KernelContext &ctx, Tensor &out,
                         const Tensor &updates, llvm::ArrayRef<int64_t> offsets,
                         int64_t block, Reduction red) {
  ElementType type = out.getElementType();
  if (red == Reduction::None) {
    size_t elemSize = getElementSize(type);
    char *dst = out.getMutableRawData();
    const char *src = updates.getRawData();
    for (size_t i = 0; i < offsets.size(); ++i)
      std::memcpy(dst + offsets[i] * elemSize, src + i * block * elemSize,
                  block * elemSize);
    return llvm::Error::success();
  }
  Tensor wideOut = widenHalf(out), wideUpd = widenHalf(updates);
  bool ok = dispatchType<NumericTypes>(wideOut.getElementType(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T *dst = mutableDataAs<T>(wideOut);
    const T *src = dataAs<T>(wideUpd);
    for (size_t i = 0; i < offsets.size(); ++i)
      for (int64_t k = 0; k < block; ++k) {
        T &d = dst[offsets[i] + k];
        T u = src[i * block + k];
        switch (red) {
        case Reduction::Add:
          d = wrapAdd(d, u);
          break;
        case Reduction::Mul:
          d = wrapMul(d, u);
          break;
        case Reduction::Max:
          d = u > d ? u : d;
          break;
        case Reduction::Min:
          d = u < d ? u : d;
          break;
        case Reduction::None:
          break;
        }
      }
  });
  if (!ok)
    return ctx.error("unsupported element type " + typeName(type));
  out = narrowTo(std::move(wideOut), type);
  return llvm::Error::success();
}

llvm::Error computeScatterElements(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 3, 3))
    return err;
  const Tensor &data = *ctx.inputs[0], &idx = *ctx.inputs[1],
               &upd = *ctx.inputs[2];
  int64_t rank = data.getRank();
  auto red = getReduction(ctx);
  if (!red)
    return red.takeError();
  if (idx.getRank() != rank || idx.getShape() != upd.getShape())
    return ctx.error("indices and updates must have the same shape and the "
                     "rank of data");
  if (upd.getElementType() != data.getElementType())
    return ctx.error("updates must have the element type of data");
  auto axis = normalizeAxis(ctx, ctx.node.getAttrInt("axis", 0), rank);
  if (!axis)
    return axis.takeError();
  auto indices = readInt64s(ctx, idx, "indices");
  if (!indices)
    return indices.takeError();
  Strides dataStrides = getContiguousStrides(data.getShape());
  std::vector<int64_t> offsets(indices->size());
  llvm::SmallVector<int64_t, 6> pos(rank, 0);
  for (size_t i = 0; i < offsets.size(); ++i) {
    int64_t off = 0;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t coord = pos[d];
      if (d == *axis) {
        auto c = checkIndex(ctx, (*indices)[i], data.getDim(d));
        if (!c)
          return c.takeError();
        coord = *c;
      } else if (coord >= data.getDim(d)) {
        return ctx.error("indices shape exceeds data shape");
      }
      off += coord * dataStrides[d];
    }
    offsets[i] = off;
    for (int64_t d = rank - 1; d >= 0 && ++pos[d] == idx.getDim(d); --d)
      pos[d] = 0;
  }
  ctx.outputs[0] = data.clone();
  return applyUpdates(ctx, ctx.outputs[0], upd, offsets, 1, *red);
}

/// Offsets (in elements) of the slices of `data` addressed by the last
/// dimension of `idx`, and the number of elements per slice.
llvm::Error sliceOffsets(const KernelContext &ctx, const Tensor &data,
                         const Tensor &idx, int64_t batchDims,
                         std::vector<int64_t> &offsets, int64_t &block) {
  if (idx.getRank() < 1)
    return ctx.error("indices must have rank >= 1");
  int64_t k = idx.getDim(idx.getRank() - 1);
  if (batchDims < 0 || batchDims + k > data.getRank() ||
      batchDims >= idx.getRank())
    return ctx.error("indices address " + llvm::Twine(k) +
                     " dimensions of a rank " + llvm::Twine(data.getRank()) +
                     " tensor");
  for (int64_t d = 0; d < batchDims; ++d)
    if (idx.getDim(d) != data.getDim(d))
      return ctx.error("batch dimensions of data and indices differ");
  auto indices = readInt64s(ctx, idx, "indices");
  if (!indices)
    return indices.takeError();
  Strides strides = getContiguousStrides(data.getShape());
  llvm::ArrayRef<int64_t> dims = data.getShape();
  block = getNumElements(dims.drop_front(batchDims + k));
  int64_t batchSize = getNumElements(dims.drop_front(batchDims));
  int64_t tuples = getNumElements(idx.getShape().drop_back());
  int64_t perBatch = getNumElements(
      idx.getShape().slice(batchDims, idx.getRank() - 1 - batchDims));
  offsets.resize(tuples);
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t off = (perBatch == 0 ? 0 : t / perBatch) * batchSize;
    for (int64_t j = 0; j < k; ++j) {
      auto c = checkIndex(ctx, (*indices)[t * k + j], dims[batchDims + j]);
      if (!c)
        return c.takeError();
      off += *c * strides[batchDims + j];
    }
    offsets[t] = off;
  }
  return llvm::Error::success();
}

llvm::Error computeGatherND(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 2, 2))
    return err;
  const Tensor &data = *ctx.inputs[0], &idx = *ctx.inputs[1];
  int64_t batchDims = ctx.node.getAttrInt("batch_dims", 0);
  std::vector<int64_t> offsets;
  int64_t block;
  if (llvm::Error err = sliceOffsets(ctx, data, idx, batchDims, offsets, block))
    return err;
  size_t elemSize = getElementSize(data.getElementType());
  if (elemSize == 0)
    return ctx.error("unsupported element type " +
                     typeName(data.getElementType()));
  Shape shape(idx.getShape().begin(), idx.getShape().end() - 1);
  int64_t k = idx.getDim(idx.getRank() - 1);
  shape.append(data.getShape().begin() + batchDims + k, data.getShape().end());
  Tensor &out = makeOutput(ctx, 0, data.getElementType(), shape);
  char *dst = out.getMutableRawData();
  for (size_t t = 0; t < offsets.size(); ++t)
    std::memcpy(dst + t * block * elemSize,
                data.getRawData() + offsets[t] * elemSize, block * elemSize);
  return llvm::Error::success();
}

llvm::Error computeScatterND(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 3, 3))
    return err;
  const Tensor &data = *ctx.inputs[0], &idx = *ctx.inputs[1],
               &upd = *ctx.inputs[2];
  auto red = getReduction(ctx);
  if (!red)
    return red.takeError();
  std::vector<int64_t> offsets;
  int64_t block;
  if (llvm::Error err = sliceOffsets(ctx, data, idx, 0, offsets, block))
    return err;
  if (upd.getElementType() != data.getElementType() ||
      upd.getNumElements() != static_cast<int64_t>(offsets.size()) * block)
    return ctx.error("updates do not match the addressed slices");
  ctx.outputs[0] = data.clone();
  return applyUpdates(ctx, ctx.outputs[0], upd, offsets, block, *red);
}

llvm::Error computeOneHot(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 3, 3))
    return err;
  const Tensor &idx = *ctx.inputs[0], &values = *ctx.inputs[2];
  if (ctx.inputs[1]->getNumElements() != 1 || values.getNumElements() != 2)
    return ctx.error("depth must be a scalar and values a pair");
  int64_t depth = static_cast<int64_t>(ctx.inputs[1]->getAsDouble(0));
  if (depth <= 0)
    return ctx.error("depth must be positive");
  int64_t rank = idx.getRank() + 1;
  auto axis = normalizeAxis(ctx, ctx.node.getAttrInt("axis", -1), rank);
  if (!axis)
    return axis.takeError();
  size_t elemSize = getElementSize(values.getElementType());
  if (elemSize == 0)
    return ctx.error("unsupported element type " +
                     typeName(values.getElementType()));
  Shape shape(idx.getShape().begin(), idx.getShape().end());
  shape.insert(shape.begin() + *axis, depth);
  Tensor &out = makeOutput(ctx, 0, values.getElementType(), shape);
  llvm::ArrayRef<int64_t> dims = idx.getShape();
  int64_t outer = getNumElements(dims.take_front(*axis));
  int64_t inner = getNumElements(dims.drop_front(*axis));
  const char *off = values.getRawData(), *on = off + elemSize;
  char *dst = out.getMutableRawData();
  for (int64_t i = 0, e = out.getNumElements(); i < e; ++i)
    std::memcpy(dst + i * elemSize, off, elemSize);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      // Out-of-range indices leave the row "off", as onnxruntime does.
      double v = idx.getAsDouble(o * inner + i);
      int64_t c = static_cast<int64_t>(v < 0 ? v + depth : v);
      if (c >= 0 && c < depth)
        std::memcpy(dst + ((o * depth + c) * inner + i) * elemSize, on,
                    elemSize);
    }
  return llvm::Error::success();
}

llvm::Error computeCompress(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 2, 2))
    return err;
  Tensor in = *ctx.inputs[0];
  const Tensor &cond = *ctx.inputs[1];
  if (cond.getElementType() != ElementType::Bool || cond.getRank() != 1)
    return ctx.error("condition must be a 1-D bool tensor");
  int64_t axis = 0;
  if (ctx.node.hasAttr("axis")) {
    auto a = normalizeAxis(ctx, ctx.node.getAttrInt("axis", 0), in.getRank());
    if (!a)
      return a.takeError();
    axis = *a;
  } else {
    in.reshape({in.getNumElements()});
  }
  size_t elemSize = getElementSize(in.getElementType());
  if (elemSize == 0)
    return ctx.error("unsupported element type " +
                     typeName(in.getElementType()));
  if (cond.getDim(0) > in.getDim(axis))
    return ctx.error("condition is longer than the axis");
  std::vector<int64_t> kept;
  for (int64_t i = 0; i < cond.getDim(0); ++i)
    if (dataAs<uint8_t>(cond)[i])
      kept.push_back(i);
  llvm::ArrayRef<int64_t> dims = in.getShape();
  Shape shape(dims.begin(), dims.end());
  shape[axis] = static_cast<int64_t>(kept.size());
  Tensor &out = makeOutput(ctx, 0, in.getElementType(), shape);
  int64_t outer = getNumElements(dims.take_front(axis));
  int64_t plane = getNumElements(dims.drop_front(axis + 1)) * elemSize;
  char *dst = out.getMutableRawData();
  for (int64_t o = 0; o < outer; ++o)
    for (size_t j = 0; j < kept.size(); ++j)
      std::memcpy(dst + (o * kept.size() + j) * plane,
                  in.getRawData() + (o * dims[axis] + kept[j]) * plane, plane);
  return llvm::Error::success();
}

} // namespace

void qlc::registerScatterKernels(KernelRegistry &registry) {
  registry.add("", "GatherND", 11, computeGatherND);
  registry.add("", "ScatterElements", 11, computeScatterElements);
  registry.add("", "Scatter", 9, computeScatterElements);
  registry.add("", "ScatterND", 11, computeScatterND);
  registry.add("", "OneHot", 9, computeOneHot);
  registry.add("", "Compress", 9, computeCompress);
}
