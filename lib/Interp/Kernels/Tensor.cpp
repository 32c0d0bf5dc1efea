//===- Tensor.cpp - Concat, Split, Slice, Tile and Pad kernels ------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Kernels that cut tensors apart and glue them together. They move bytes
// and never look at values, so each works for every fixed-size element
// type. Concat and Split copy one contiguous slab per outer index; Slice and
// Tile are StridedPlan copies (Slice: scaled, possibly negative strides and
// a base offset; Tile: the output seen as [r0, d0, r1, d1, ...] reading the
// input with zero strides on the repeat dimensions); Pad copies each row's
// interior with memcpy and fills or mirrors its borders.
//
//===----------------------------------------------------------------------===//

#include "Kernels/Broadcast.h"
#include "Kernels/Dispatch.h"
#include "Kernels/KernelUtils.h"
#include "Kernels/Kernels.h"
#include "Kernels/Parallel.h"

#include <cstring>

using namespace qlc;
using namespace qlc::interp;

namespace {

llvm::Expected<size_t> getFixedElementSize(const KernelContext &ctx,
                                           ElementType type) {
  size_t size = getElementSize(type);
  if (size == 0)
    return ctx.error("unsupported element type " + typeName(type));
  return size;
}

/// Copies, for every outer index o, `len` planes along an axis from
/// src[o][srcStart..] (axis length srcLen) to dst[o][dstStart..] (dstLen);
/// a plane is `planeBytes` bytes.
void copySlabs(const char *src, int64_t srcLen, int64_t srcStart, char *dst,
               int64_t dstLen, int64_t dstStart, int64_t len, int64_t outer,
               int64_t planeBytes, unsigned threads) {
  if (len == 0 || planeBytes == 0)
    return;
  int64_t bytes = len * planeBytes;
  parallelFor(
      threads, outer, std::max<int64_t>(1, kElementwiseGrain * 4 / bytes),
      [&](int64_t begin, int64_t end) {
        for (int64_t o = begin; o < end; ++o)
          std::memcpy(dst + (o * dstLen + dstStart) * planeBytes,
                      src + (o * srcLen + srcStart) * planeBytes, bytes);
      });
}

//===----------------------------------------------------------------------===//
// Concat and Split
//===----------------------------------------------------------------------===//

llvm::Error computeConcat(KernelContext &ctx) {
  if (ctx.inputs.empty())
    return ctx.error("expected at least one input");
  for (unsigned i = 0; i < ctx.inputs.size(); ++i)
    if (!ctx.inputs[i] || ctx.inputs[i]->isNull())
      return ctx.error("missing required input " + llvm::Twine(i));
  const Tensor &first = *ctx.inputs[0];
  int64_t rank = first.getRank();
  if (!ctx.node.hasAttr("axis"))
    return ctx.error("attribute 'axis' is required");
  auto axis = normalizeAxis(ctx, ctx.node.getAttrInt("axis", 0), rank);
  if (!axis)
    return axis.takeError();
  Shape shape(first.getShape().begin(), first.getShape().end());
  shape[*axis] = 0;
  for (unsigned i = 0; i < ctx.inputs.size(); ++i) {
    const Tensor &t = *ctx.inputs[i];
    if (t.getElementType() != first.getElementType())
      return ctx.error("input " + llvm::Twine(i) + " has element type " +
                       typeName(t.getElementType()) + ", expected " +
                       typeName(first.getElementType()));
    bool compatible = t.getRank() == rank;
    for (int64_t d = 0; compatible && d < rank; ++d)
      compatible = d == *axis || t.getDim(d) == first.getDim(d);
    if (!compatible)
      return ctx.error("input " + llvm::Twine(i) + " has shape " +
                       formatShape(t.getShape()) + ", incompatible with " +
                       formatShape(first.getShape()) + " on axis " +
                       llvm::Twine(*axis));
    shape[*axis] += t.getDim(*axis);
  }
  auto elemSize = getFixedElementSize(ctx, first.getElementType());
  if (!elemSize)
    return elemSize.takeError();
  Tensor &out = makeOutput(ctx, 0, first.getElementType(), shape);
  llvm::ArrayRef<int64_t> dims = shape;
  int64_t outer = getNumElements(dims.take_front(*axis));
  int64_t plane = getNumElements(dims.drop_front(*axis + 1)) * *elemSize;
  int64_t offset = 0;
  for (const Tensor *t : ctx.inputs) {
    int64_t len = t->getDim(*axis);
    copySlabs(t->getRawData(), len, 0, out.getMutableRawData(), shape[*axis],
              offset, len, outer, plane, ctx.threads);
    offset += len;
  }
  return llvm::Error::success();
}

llvm::Expected<llvm::SmallVector<int64_t, 8>>
getSplitSizes(const KernelContext &ctx, int64_t dim) {
  size_t numOutputs = ctx.outputs.size();
  llvm::SmallVector<int64_t, 8> sizes;
  if (ctx.opsetVersion < 13 && ctx.node.hasAttr("split")) {
    sizes = ctx.node.getAttrInts("split");
  } else if (const Tensor *s = ctx.getInput(1); s && !s->isNull()) {
    auto values = readInt64s(ctx, *s, "split");
    if (!values)
      return values.takeError();
    sizes = *values;
  } else if (ctx.opsetVersion >= 18 && ctx.node.hasAttr("num_outputs")) {
    // Opset 18: chunks of ceil(dim / n), the last one smaller.
    int64_t n = ctx.node.getAttrInt("num_outputs", 1);
    if (n <= 0 || static_cast<size_t>(n) != numOutputs)
      return ctx.error("num_outputs " + llvm::Twine(n) +
                       " does not match the " + llvm::Twine(numOutputs) +
                       " outputs");
    int64_t chunk = (dim + n - 1) / n;
    for (int64_t i = 0; i < n; ++i)
      sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
  } else {
    if (dim % static_cast<int64_t>(numOutputs) != 0)
      return ctx.error("dimension " + llvm::Twine(dim) +
                       " is not evenly splittable into " +
                       llvm::Twine(numOutputs) + " outputs");
    sizes.assign(numOutputs, dim / static_cast<int64_t>(numOutputs));
  }
  if (sizes.size() != numOutputs)
    return ctx.error("split has " + llvm::Twine(sizes.size()) +
                     " entries for " + llvm::Twine(numOutputs) + " outputs");
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0)
      return ctx.error("split sizes must not be negative");
    total += s;
  }
  if (total != dim)
    return ctx.error("split sizes add up to " + llvm::Twine(total) +
                     ", expected " + llvm::Twine(dim));
  return sizes;
}

llvm::Error computeSplit(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 2, 1, UINT_MAX))
    return err;
  const Tensor &in = *ctx.inputs[0];
  auto axis = normalizeAxis(ctx, ctx.node.getAttrInt("axis", 0), in.getRank());
  if (!axis)
    return axis.takeError();
  auto sizes = getSplitSizes(ctx, in.getDim(*axis));
  if (!sizes)
    return sizes.takeError();
  auto elemSize = getFixedElementSize(ctx, in.getElementType());
  if (!elemSize)
    return elemSize.takeError();
  llvm::ArrayRef<int64_t> dims = in.getShape();
  int64_t outer = getNumElements(dims.take_front(*axis));
  int64_t plane = getNumElements(dims.drop_front(*axis + 1)) * *elemSize;
  int64_t offset = 0;
  for (size_t i = 0; i < sizes->size(); ++i) {
    Shape shape(dims.begin(), dims.end());
    shape[*axis] = (*sizes)[i];
    Tensor &out = makeOutput(ctx, i, in.getElementType(), shape);
    copySlabs(in.getRawData(), dims[*axis], offset, out.getMutableRawData(),
              shape[*axis], 0, shape[*axis], outer, plane, ctx.threads);
    offset += shape[*axis];
  }
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Slice
//===----------------------------------------------------------------------===//

struct SliceParams {
  llvm::SmallVector<int64_t, 8> starts, ends, axes, steps;
};

llvm::Expected<SliceParams> getSliceParams(const KernelContext &ctx) {
  SliceParams p;
  if (ctx.opsetVersion < 10) {
    p.starts = ctx.node.getAttrInts("starts");
    p.ends = ctx.node.getAttrInts("ends");
    p.axes = ctx.node.getAttrInts("axes");
  } else {
    auto read = [&](unsigned i, llvm::StringRef what,
                    llvm::SmallVector<int64_t, 8> &dst) -> llvm::Error {
      const Tensor *t = ctx.getInput(i);
      if (!t || t->isNull())
        return llvm::Error::success();
      auto v = readInt64s(ctx, *t, what);
      if (!v)
        return v.takeError();
      dst = *v;
      return llvm::Error::success();
    };
    if (llvm::Error err = read(1, "starts", p.starts))
      return err;
    if (llvm::Error err = read(2, "ends", p.ends))
      return err;
    if (llvm::Error err = read(3, "axes", p.axes))
      return err;
    if (llvm::Error err = read(4, "steps", p.steps))
      return err;
  }
  if (p.starts.size() != p.ends.size())
    return ctx.error("starts and ends have different lengths");
  if (p.axes.empty())
    for (size_t i = 0; i < p.starts.size(); ++i)
      p.axes.push_back(static_cast<int64_t>(i));
  if (p.steps.empty())
    p.steps.assign(p.starts.size(), 1);
  if (p.axes.size() != p.starts.size() || p.steps.size() != p.starts.size())
    return ctx.error("starts, ends, axes and steps have different lengths");
  return p;
}

llvm::Error computeSlice(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, ctx.opsetVersion < 10 ? 1 : 3, 5))
    return err;
  const Tensor &in = *ctx.inputs[0];
  auto params = getSliceParams(ctx);
  if (!params)
    return params.takeError();
  int64_t rank = in.getRank();
  Strides inStrides = getContiguousStrides(in.getShape());
  Shape shape(in.getShape().begin(), in.getShape().end());
  Strides strides(inStrides);
  int64_t offset = 0;
  llvm::SmallVector<bool, 8> seen(rank, false);
  for (size_t i = 0; i < params->axes.size(); ++i) {
    auto axis = normalizeAxis(ctx, params->axes[i], rank);
    if (!axis)
      return axis.takeError();
    if (seen[*axis])
      return ctx.error("axis " + llvm::Twine(*axis) + " is repeated");
    seen[*axis] = true;
    int64_t dim = in.getDim(*axis), step = params->steps[i];
    if (step == 0)
      return ctx.error("steps must not be 0");
    int64_t start = params->starts[i], end = params->ends[i];
    // Negative indices count from the end; then clamp to the valid range,
    // which for negative steps is [-1, dim - 1] (end exclusive).
    if (start < 0)
      start += dim;
    if (end < 0)
      end += dim;
    if (dim == 0) {
      start = end = 0;
    } else if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
    }
    int64_t len = 0;
    if (step > 0 && end > start)
      len = (end - start + step - 1) / step;
    else if (step < 0 && start > end)
      len = (start - end + (-step) - 1) / (-step);
    shape[*axis] = len;
    strides[*axis] = inStrides[*axis] * step;
    if (len > 0)
      offset += start * inStrides[*axis];
  }
  auto elemSize = getFixedElementSize(ctx, in.getElementType());
  if (!elemSize)
    return elemSize.takeError();
  Tensor &out = makeOutput(ctx, 0, in.getElementType(), shape);
  StridedPlan plan(shape, {strides}, {offset});
  stridedCopy(plan, *elemSize, in.getRawData(), out.getMutableRawData(),
              ctx.threads);
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Tile
//===----------------------------------------------------------------------===//

llvm::Error computeTile(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 2, 2))
    return err;
  const Tensor &in = *ctx.inputs[0];
  auto repeats = readInt64s(ctx, *ctx.inputs[1], "repeats");
  if (!repeats)
    return repeats.takeError();
  if (static_cast<int64_t>(repeats->size()) != in.getRank())
    return ctx.error("repeats has " + llvm::Twine(repeats->size()) +
                     " entries for rank " + llvm::Twine(in.getRank()));
  auto elemSize = getFixedElementSize(ctx, in.getElementType());
  if (!elemSize)
    return elemSize.takeError();
  Strides inStrides = getContiguousStrides(in.getShape());
  Shape outShape, viewShape;
  Strides viewStrides;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    int64_t r = (*repeats)[d];
    if (r < 0)
      return ctx.error("repeats must not be negative");
    outShape.push_back(r * in.getDim(d));
    viewShape.append({r, in.getDim(d)});
    viewStrides.append({0, inStrides[d]});
  }
  Tensor &out = makeOutput(ctx, 0, in.getElementType(), outShape);
  StridedPlan plan(viewShape, {viewStrides});
  stridedCopy(plan, *elemSize, in.getRawData(), out.getMutableRawData(),
              ctx.threads);
  return llvm::Error::success();
}

} // namespace

void qlc::registerTensorKernels(KernelRegistry &registry) {
  registry.add("", "Concat", 1, computeConcat);
  registry.add("", "Split", 1, computeSplit);
  registry.add("", "Slice", 1, computeSlice);
  registry.add("", "Tile", 6, computeTile);
}
