//===- Broadcast.h - Numpy broadcasting and strided iteration ---*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// StridedPlan describes how N operands are read while a contiguous output is
// written in C order: one (possibly negative or zero) element stride per
// operand and output dimension, plus a base offset. Broadcasting gives zero
// strides, Transpose permuted strides, Slice scaled strides and an offset,
// Tile an interleaved shape with zero strides. The plan coalesces adjacent
// dimensions that every operand walks contiguously and drops size-1
// dimensions, so "same shape" becomes one flat loop and NCHW + C11 becomes a
// loop over rows of H*W.
//
// forEachRun() then visits a flat output range as runs along the innermost
// (coalesced) dimension: fn(outOffset, inOffsets, count), where element k of
// the run reads operand i at inOffsets[i] + k * getInnerStride(i). Kernels
// write tight loops over each run, with fast paths for strides 0 and 1, and
// split the flat range across threads with parallelFor.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_INTERP_KERNELS_BROADCAST_H
#define QLC_LIB_INTERP_KERNELS_BROADCAST_H

#include "qlc/IR/Tensor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/Optional.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>

namespace qlc {
namespace interp {

using Strides = llvm::SmallVector<int64_t, 6>;

/// The numpy broadcast of `shapes` (right-aligned; each dimension equal or
/// 1), or None when they are incompatible. A 0 dimension broadcasts against
/// 1 and 0 only.
llvm::Optional<Shape>
broadcastShapes(llvm::ArrayRef<llvm::ArrayRef<int64_t>> shapes);
llvm::Optional<Shape> broadcastShapes(llvm::ArrayRef<int64_t> a,
                                      llvm::ArrayRef<int64_t> b);

/// Whether `shape` broadcasts to `target` (unidirectionally).
bool isBroadcastableTo(llvm::ArrayRef<int64_t> shape,
                       llvm::ArrayRef<int64_t> target);

/// Row-major element strides of `shape`.
Strides getContiguousStrides(llvm::ArrayRef<int64_t> shape);

/// Strides reading a tensor of `shape` broadcast to `target` (right-aligned;
/// 0 on broadcast dimensions). `shape` must broadcast to `target`.
Strides getBroadcastStrides(llvm::ArrayRef<int64_t> shape,
                            llvm::ArrayRef<int64_t> target);

class StridedPlan {
public:
  static constexpr unsigned kMaxOperands = 8;

  StridedPlan() = default;
  /// Operand i reads element offsets[i] + sum_d index[d] * strides[i][d] for
  /// output multi-index `index` over `outShape`. strides[i] has the rank of
  /// `outShape`.
  StridedPlan(llvm::ArrayRef<int64_t> outShape, llvm::ArrayRef<Strides> strides,
              llvm::ArrayRef<int64_t> offsets = {});
  /// Operands of `inShapes` broadcast to `outShape`.
  static StridedPlan
  broadcast(llvm::ArrayRef<int64_t> outShape,
            llvm::ArrayRef<llvm::ArrayRef<int64_t>> inShapes);

  unsigned getNumOperands() const { return numOperands; }
  int64_t getNumElements() const { return numElements; }
  /// Length of the innermost coalesced dimension (1 for a scalar output).
  int64_t getInnerSize() const { return dims.empty() ? 1 : dims.back(); }
  int64_t getInnerStride(unsigned operand) const {
    return dims.empty() ? 0 : strides[operand].back();
  }
  /// The coalesced shape and strides (for kernels with their own loops).
  llvm::ArrayRef<int64_t> getDims() const { return dims; }
  llvm::ArrayRef<int64_t> getStrides(unsigned operand) const {
    return strides[operand];
  }

  /// Calls fn(int64_t outOffset, const int64_t *inOffsets, int64_t count)
  /// for consecutive runs along the innermost dimension that together cover
  /// the flat output range [begin, end).
  template <typename Fn>
  void forEachRun(int64_t begin, int64_t end, Fn &&fn) const;

private:
  /// Multi-index and operand offsets of flat output position `pos`.
  void seek(int64_t pos, int64_t *index, int64_t *offs) const;

  unsigned numOperands = 0;
  int64_t numElements = 0;
  llvm::SmallVector<int64_t, 6> dims;
  Strides strides[kMaxOperands];
  int64_t base[kMaxOperands] = {};
};

template <typename Fn>
void StridedPlan::forEachRun(int64_t begin, int64_t end, Fn &&fn) const {
  if (begin >= end)
    return;
  const unsigned rank = static_cast<unsigned>(dims.size());
  int64_t offs[kMaxOperands];
  if (rank == 0) { // scalar output: a single element
    for (unsigned i = 0; i < numOperands; ++i)
      offs[i] = base[i];
    fn(begin, static_cast<const int64_t *>(offs), end - begin);
    return;
  }
  int64_t index[16];
  llvm::SmallVector<int64_t, 16> bigIndex;
  int64_t *idx = index;
  if (rank > 16) {
    bigIndex.resize(rank);
    idx = bigIndex.data();
  }
  seek(begin, idx, offs);
  const int64_t inner = dims[rank - 1];
  int64_t pos = begin;
  while (pos < end) {
    int64_t count = std::min(inner - idx[rank - 1], end - pos);
    fn(pos, static_cast<const int64_t *>(offs), count);
    pos += count;
    if (pos >= end)
      break;
    // Step to the start of the next row: carry through the outer dims.
    for (unsigned i = 0; i < numOperands; ++i)
      offs[i] -= idx[rank - 1] * strides[i][rank - 1];
    idx[rank - 1] = 0;
    for (int d = static_cast<int>(rank) - 2; d >= 0; --d) {
      ++idx[d];
      for (unsigned i = 0; i < numOperands; ++i)
        offs[i] += strides[i][d];
      if (idx[d] < dims[d])
        break;
      for (unsigned i = 0; i < numOperands; ++i)
        offs[i] -= idx[d] * strides[i][d];
      idx[d] = 0;
    }
  }
}

/// Copies the elements described by a one-operand plan (of `elemSize`-byte
/// elements, read from `src`) to the contiguous `dst`, on up to `threads`
/// threads. Contiguous runs are memcpy'd.
void stridedCopy(const StridedPlan &plan, size_t elemSize, const char *src,
                 char *dst, unsigned threads);

} // namespace interp
} // namespace qlc

#endif // QLC_LIB_INTERP_KERNELS_BROADCAST_H
