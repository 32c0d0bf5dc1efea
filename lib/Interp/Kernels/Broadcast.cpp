//===- Broadcast.cpp - Numpy broadcasting and strided iteration -----------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "Kernels/Broadcast.h"
#include "Kernels/Parallel.h"

#include <algorithm>
#include <cassert>
#include <cstring>

using namespace qlc;
using namespace qlc::interp;

llvm::Optional<Shape>
interp::broadcastShapes(llvm::ArrayRef<llvm::ArrayRef<int64_t>> shapes) {
  size_t rank = 0;
  for (llvm::ArrayRef<int64_t> s : shapes)
    rank = std::max(rank, s.size());
  Shape out(rank, 1);
  for (llvm::ArrayRef<int64_t> s : shapes) {
    size_t shift = rank - s.size();
    for (size_t d = 0; d < s.size(); ++d) {
      int64_t &o = out[shift + d];
      if (s[d] == o || s[d] == 1)
        continue;
      if (o != 1)
        return llvm::None;
      o = s[d];
    }
  }
  return out;
}

llvm::Optional<Shape> interp::broadcastShapes(llvm::ArrayRef<int64_t> a,
                                              llvm::ArrayRef<int64_t> b) {
  llvm::ArrayRef<int64_t> both[] = {a, b};
  return broadcastShapes(both);
}

bool interp::isBroadcastableTo(llvm::ArrayRef<int64_t> shape,
                               llvm::ArrayRef<int64_t> target) {
  if (shape.size() > target.size())
    return false;
  size_t shift = target.size() - shape.size();
  for (size_t d = 0; d < shape.size(); ++d)
    if (shape[d] != 1 && shape[d] != target[shift + d])
      return false;
  return true;
}

Strides interp::getContiguousStrides(llvm::ArrayRef<int64_t> shape) {
  Strides strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;)
    strides[d - 1] = strides[d] * shape[d];
  return strides;
}

Strides interp::getBroadcastStrides(llvm::ArrayRef<int64_t> shape,
                                    llvm::ArrayRef<int64_t> target) {
  assert(isBroadcastableTo(shape, target) && "shape does not broadcast");
  Strides own = getContiguousStrides(shape);
  Strides strides(target.size(), 0);
  size_t shift = target.size() - shape.size();
  for (size_t d = 0; d < shape.size(); ++d)
    strides[shift + d] = shape[d] == 1 ? 0 : own[d];
  return strides;
}

StridedPlan::StridedPlan(llvm::ArrayRef<int64_t> outShape,
                         llvm::ArrayRef<Strides> inStrides,
                         llvm::ArrayRef<int64_t> offsets)
    : numOperands(static_cast<unsigned>(inStrides.size())),
      numElements(qlc::getNumElements(outShape)) {
  assert(numOperands <= kMaxOperands && "too many operands");
  for (unsigned i = 0; i < numOperands; ++i) {
    assert(inStrides[i].size() == outShape.size() && "stride rank mismatch");
    base[i] = i < offsets.size() ? offsets[i] : 0;
  }
  if (numElements == 0)
    return;
  // Walk from the innermost dimension outwards, dropping size-1 dimensions
  // and merging a dimension into the one inside it when every operand steps
  // over it exactly as if the two were one longer dimension.
  llvm::SmallVector<int64_t, 6> revDims;
  Strides revStrides[kMaxOperands];
  for (size_t d = outShape.size(); d-- > 0;) {
    if (outShape[d] == 1)
      continue;
    bool merge = !revDims.empty();
    for (unsigned i = 0; merge && i < numOperands; ++i)
      merge = inStrides[i][d] == revStrides[i].back() * revDims.back();
    if (merge) {
      revDims.back() *= outShape[d];
      continue;
    }
    revDims.push_back(outShape[d]);
    for (unsigned i = 0; i < numOperands; ++i)
      revStrides[i].push_back(inStrides[i][d]);
  }
  dims.assign(revDims.rbegin(), revDims.rend());
  for (unsigned i = 0; i < numOperands; ++i)
    strides[i].assign(revStrides[i].rbegin(), revStrides[i].rend());
}

StridedPlan
StridedPlan::broadcast(llvm::ArrayRef<int64_t> outShape,
                       llvm::ArrayRef<llvm::ArrayRef<int64_t>> inShapes) {
  llvm::SmallVector<Strides, 4> strides;
  for (llvm::ArrayRef<int64_t> s : inShapes)
    strides.push_back(getBroadcastStrides(s, outShape));
  return StridedPlan(outShape, strides);
}

void StridedPlan::seek(int64_t pos, int64_t *index, int64_t *offs) const {
  for (unsigned i = 0; i < numOperands; ++i)
    offs[i] = base[i];
  for (size_t d = dims.size(); d-- > 0;) {
    index[d] = pos % dims[d];
    pos /= dims[d];
    for (unsigned i = 0; i < numOperands; ++i)
      offs[i] += index[d] * strides[i][d];
  }
}

namespace {
template <typename U>
void copyRuns(const StridedPlan &plan, const char *src, char *dst,
              int64_t begin, int64_t end) {
  const int64_t stride = plan.getInnerStride(0);
  const U *in = reinterpret_cast<const U *>(src);
  U *out = reinterpret_cast<U *>(dst);
  plan.forEachRun(begin, end, [&](int64_t o, const int64_t *offs, int64_t n) {
    const U *s = in + offs[0];
    U *d = out + o;
    if (stride == 1) {
      std::memcpy(d, s, n * sizeof(U));
    } else if (stride == 0) {
      std::fill(d, d + n, *s);
    } else {
      for (int64_t k = 0; k < n; ++k)
        d[k] = s[k * stride];
    }
  });
}
} // namespace

/// A transposing copy: the two innermost plan dimensions are [rows, cols]
/// with input strides [1, colStride], so reading a row of the output walks
/// the input with a large stride. Copying in square tiles keeps both sides
/// in cache. Outer dimensions are walked through their plan offsets.
template <typename U>
void copyTransposedTiles(const StridedPlan &plan, const char *src, char *dst,
                         unsigned threads) {
  constexpr int64_t kTile = 32;
  llvm::ArrayRef<int64_t> dims = plan.getDims();
  const int64_t rank = static_cast<int64_t>(dims.size());
  const int64_t rows = dims[rank - 2], cols = dims[rank - 1];
  const int64_t colStride = plan.getStrides(0)[rank - 1];
  const int64_t outer = plan.getNumElements() / (rows * cols);
  const int64_t rowTiles = (rows + kTile - 1) / kTile;
  const int64_t colTiles = (cols + kTile - 1) / kTile;
  const U *in = reinterpret_cast<const U *>(src);
  U *out = reinterpret_cast<U *>(dst);
  parallelFor(threads, outer * rowTiles * colTiles, 16,
              [&](int64_t begin, int64_t end) {
                for (int64_t t = begin; t < end; ++t) {
                  int64_t o = t / (rowTiles * colTiles);
                  int64_t r0 = (t / colTiles) % rowTiles * kTile;
                  int64_t c0 = t % colTiles * kTile;
                  // Input offset of the matrix o: the plan's offset of its
                  // first element.
                  int64_t base = 0;
                  plan.forEachRun(o * rows * cols, o * rows * cols + 1,
                                  [&](int64_t, const int64_t *offs, int64_t) {
                                    base = offs[0];
                                  });
                  int64_t r1 = std::min(rows, r0 + kTile),
                          c1 = std::min(cols, c0 + kTile);
                  for (int64_t c = c0; c < c1; ++c)
                    for (int64_t r = r0; r < r1; ++r)
                      out[(o * rows + r) * cols + c] =
                          in[base + r + c * colStride];
                }
              });
}

void interp::stridedCopy(const StridedPlan &plan, size_t elemSize,
                         const char *src, char *dst, unsigned threads) {
  assert(plan.getNumOperands() == 1 && "copy plans have one operand");
  llvm::ArrayRef<int64_t> dims = plan.getDims();
  size_t rank = dims.size();
  if (rank >= 2 && plan.getStrides(0)[rank - 2] == 1 &&
      plan.getInnerStride(0) != 1 && plan.getInnerStride(0) != 0 &&
      dims[rank - 1] >= 8 && dims[rank - 2] >= 8) {
    bool done = false;
    switch (elemSize) {
    case 1:
      copyTransposedTiles<uint8_t>(plan, src, dst, threads);
      done = true;
      break;
    case 2:
      copyTransposedTiles<uint16_t>(plan, src, dst, threads);
      done = true;
      break;
    case 4:
      copyTransposedTiles<uint32_t>(plan, src, dst, threads);
      done = true;
      break;
    case 8:
      copyTransposedTiles<uint64_t>(plan, src, dst, threads);
      done = true;
      break;
    }
    if (done)
      return;
  }
  auto run = [&](int64_t begin, int64_t end) {
    switch (elemSize) {
    case 1:
      return copyRuns<uint8_t>(plan, src, dst, begin, end);
    case 2:
      return copyRuns<uint16_t>(plan, src, dst, begin, end);
    case 4:
      return copyRuns<uint32_t>(plan, src, dst, begin, end);
    case 8:
      return copyRuns<uint64_t>(plan, src, dst, begin, end);
    default: // e.g. complex128: byte-wise, one element at a time
      plan.forEachRun(
          begin, end, [&](int64_t o, const int64_t *offs, int64_t n) {
            int64_t stride = plan.getInnerStride(0);
            for (int64_t k = 0; k < n; ++k)
              std::memcpy(dst + (o + k) * elemSize,
                          src + (offs[0] + k * stride) * elemSize, elemSize);
          });
    }
  };
  parallelFor(threads, plan.getNumElements(), kElementwiseGrain, run);
}
