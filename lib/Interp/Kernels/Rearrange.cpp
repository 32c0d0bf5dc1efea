//===- Rearrange.cpp - DepthToSpace, SpaceToDepth, Trilu, EyeLike, CumSum -===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// DepthToSpace and SpaceToDepth are a reshape-transpose-reshape; they run
// as one StridedPlan copy over the 6-D transposed view. Trilu and EyeLike
// write triangles and diagonals of the two innermost dimensions; CumSum
// scans one axis (exclusive / reverse), exactly for integers.
//
//===----------------------------------------------------------------------===//

#include "Kernels/Dispatch.h"
#include "Kernels/ElementwiseLoops.h"
#include "Kernels/Kernels.h"

#include <cstring>

using namespace qlc;
using namespace qlc::interp;

namespace {

/// Copies `in` viewed as `viewShape` and permuted by `perm` into an output
/// of `outShape` (the permuted view, reshaped).
llvm::Error copyPermuted(KernelContext &ctx, const Tensor &in,
                         llvm::ArrayRef<int64_t> viewShape,
                         llvm::ArrayRef<int64_t> perm,
                         llvm::ArrayRef<int64_t> outShape) {
  size_t elemSize = getElementSize(in.getElementType());
  if (elemSize == 0)
    return ctx.error("unsupported element type " +
                     typeName(in.getElementType()));
  Strides viewStrides = getContiguousStrides(viewShape);
  Shape shape;
  Strides strides;
  for (int64_t d : perm) {
    shape.push_back(viewShape[d]);
    strides.push_back(viewStrides[d]);
  }
  Tensor &out = makeOutput(ctx, 0, in.getElementType(), outShape);
  StridedPlan plan(shape, {strides});
  stridedCopy(plan, elemSize, in.getRawData(), out.getMutableRawData(),
              ctx.threads);
  return llvm::Error::success();
}

llvm::Error computeDepthToSpace(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 1))
    return err;
  const Tensor &in = *ctx.inputs[0];
  int64_t b = ctx.node.getAttrInt("blocksize", 0);
  if (in.getRank() != 4)
    return ctx.error("input must have rank 4");
  int64_t n = in.getDim(0), c = in.getDim(1), h = in.getDim(2),
          w = in.getDim(3);
  if (b <= 0 || c % (b * b) != 0)
    return ctx.error("channels " + llvm::Twine(c) +
                     " are not divisible by blocksize^2 (blocksize " +
                     llvm::Twine(b) + ")");
  bool crd = ctx.node.getAttrString("mode", "DCR") == "CRD";
  int64_t outShape[] = {n, c / (b * b), h * b, w * b};
  if (crd) {
    int64_t view[] = {n, c / (b * b), b, b, h, w};
    int64_t perm[] = {0, 1, 4, 2, 5, 3};
    return copyPermuted(ctx, in, view, perm, outShape);
  }
  int64_t view[] = {n, b, b, c / (b * b), h, w};
  int64_t perm[] = {0, 3, 4, 1, 5, 2};
  return copyPermuted(ctx, in, view, perm, outShape);
}

llvm::Error computeSpaceToDepth(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 1))
    return err;
  const Tensor &in = *ctx.inputs[0];
  int64_t b = ctx.node.getAttrInt("blocksize", 0);
  if (in.getRank() != 4)
    return ctx.error("input must have rank 4");
  int64_t n = in.getDim(0), c = in.getDim(1), h = in.getDim(2),
          w = in.getDim(3);
  if (b <= 0 || h % b != 0 || w % b != 0)
    return ctx.error("spatial dimensions are not divisible by blocksize " +
                     llvm::Twine(b));
  int64_t view[] = {n, c, h / b, b, w / b, b};
  int64_t perm[] = {0, 3, 5, 1, 2, 4};
  int64_t outShape[] = {n, c * b * b, h / b, w / b};
  return copyPermuted(ctx, in, view, perm, outShape);
}

/// Keeps the elements of the innermost matrices on one side of diagonal k.
llvm::Error computeTrilu(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 2))
    return err;
  const Tensor &in = *ctx.inputs[0];
  if (in.getRank() < 2)
    return ctx.error("input must have rank >= 2");
  int64_t k = 0;
  if (const Tensor *kt = ctx.getInput(1); kt && !kt->isNull()) {
    auto v = readInt64s(ctx, *kt, "k");
    if (!v)
      return v.takeError();
    if (v->size() != 1)
      return ctx.error("k must be a scalar");
    k = (*v)[0];
  }
  bool upper = ctx.node.getAttrInt("upper", 1) != 0;
  size_t elemSize = getElementSize(in.getElementType());
  if (elemSize == 0)
    return ctx.error("unsupported element type " +
                     typeName(in.getElementType()));
  int64_t rows = in.getDim(in.getRank() - 2),
          cols = in.getDim(in.getRank() - 1);
  Tensor &out = makeOutput(ctx, 0, in.getElementType(), in.getShape());
  const char *src = in.getRawData();
  char *dst = out.getMutableRawData(); // zero-filled
  int64_t matrices = rows * cols == 0 ? 0 : in.getNumElements() / (rows * cols);
  for (int64_t m = 0; m < matrices; ++m)
    for (int64_t i = 0; i < rows; ++i) {
      // Columns kept: j >= i + k (upper) or j <= i + k (lower).
      int64_t lo = upper ? std::clamp<int64_t>(i + k, 0, cols) : 0;
      int64_t hi = upper ? cols : std::clamp<int64_t>(i + k + 1, 0, cols);
      int64_t base = (m * rows + i) * cols;
      if (hi > lo)
        std::memcpy(dst + (base + lo) * elemSize, src + (base + lo) * elemSize,
                    (hi - lo) * elemSize);
    }
  return llvm::Error::success();
}

llvm::Error computeEyeLike(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 1))
    return err;
  const Tensor &in = *ctx.inputs[0];
  if (in.getRank() != 2)
    return ctx.error("input must have rank 2");
  ElementType type = in.getElementType();
  if (ctx.node.hasAttr("dtype"))
    type = static_cast<ElementType>(ctx.node.getAttrInt("dtype", 1));
  if (getElementSize(type) == 0)
    return ctx.error("unsupported element type " + typeName(type));
  int64_t k = ctx.node.getAttrInt("k", 0);
  Tensor &out = makeOutput(ctx, 0, type, in.getShape());
  for (int64_t i = 0; i < in.getDim(0); ++i)
    if (i + k >= 0 && i + k < in.getDim(1))
      out.setFromDouble(i * in.getDim(1) + i + k, 1.0);
  return llvm::Error::success();
}

template <typename T>
void cumSumTyped(const Tensor &in, Tensor &out, int64_t axis, bool exclusive,
                 bool reverse) {
  llvm::ArrayRef<int64_t> dims = in.getShape();
  int64_t outer = getNumElements(dims.take_front(axis));
  int64_t n = dims[axis];
  int64_t inner = getNumElements(dims.drop_front(axis + 1));
  const T *x = dataAs<T>(in);
  T *y = mutableDataAs<T>(out);
  std::vector<T> acc(inner);
  for (int64_t o = 0; o < outer; ++o) {
    std::fill(acc.begin(), acc.end(), T(0));
    for (int64_t s = 0; s < n; ++s) {
      int64_t j = reverse ? n - 1 - s : s;
      const T *row = x + (o * n + j) * inner;
      T *dst = y + (o * n + j) * inner;
      for (int64_t i = 0; i < inner; ++i) {
        T next = wrapAdd(acc[i], row[i]);
        dst[i] = exclusive ? acc[i] : next;
        acc[i] = next;
      }
    }
  }
}

llvm::Error computeCumSum(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 2, 2))
    return err;
  const Tensor &original = *ctx.inputs[0];
  Tensor in = widenHalf(original);
  auto axisValues = readInt64s(ctx, *ctx.inputs[1], "axis");
  if (!axisValues)
    return axisValues.takeError();
  if (axisValues->size() != 1)
    return ctx.error("axis must be a scalar");
  auto axis = normalizeAxis(ctx, (*axisValues)[0], in.getRank());
  if (!axis)
    return axis.takeError();
  bool exclusive = ctx.node.getAttrInt("exclusive", 0) != 0;
  bool reverse = ctx.node.getAttrInt("reverse", 0) != 0;
  Tensor out(in.getElementType(), in.getShape());
  if (!dispatchType<NumericTypes>(in.getElementType(), [&](auto tag) {
        cumSumTyped<typename decltype(tag)::type>(in, out, *axis, exclusive,
                                                  reverse);
      }))
    return ctx.error("unsupported element type " +
                     typeName(original.getElementType()));
  ctx.outputs[0] = narrowTo(std::move(out), original.getElementType());
  return llvm::Error::success();
}

} // namespace

void qlc::registerRearrangeKernels(KernelRegistry &registry) {
  registry.add("", "DepthToSpace", 1, computeDepthToSpace);
  registry.add("", "SpaceToDepth", 1, computeSpaceToDepth);
  registry.add("", "Trilu", 14, computeTrilu);
  registry.add("", "EyeLike", 9, computeEyeLike);
  registry.add("", "CumSum", 11, computeCumSum);
}
