//===- MatMulShape.h - numpy matrix-product shapes --------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// MatMul, MatMulInteger and QLinearMatMul share numpy's matmul shapes: 1-D
// operands are promoted to matrices (and the added dimension dropped from
// the result), batch dimensions broadcast. forEachBatch walks the broadcast
// batch, giving the matrix index read from each operand.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_INTERP_KERNELS_MATMULSHAPE_H
#define QLC_LIB_INTERP_KERNELS_MATMULSHAPE_H

#include "Kernels/Broadcast.h"

#include "qlc/Interp/Kernel.h"

namespace qlc {
namespace interp {

/// MatMul shapes after numpy's promotion of 1-D operands.
struct MatMulShape {
  Shape batch, out;
  int64_t m, k, n;
  Strides aBatchStrides, bBatchStrides; // in matrices, 0 when broadcast
};

inline llvm::Expected<MatMulShape>
resolveMatMul(const KernelContext &ctx, llvm::ArrayRef<int64_t> aShape,
              llvm::ArrayRef<int64_t> bShape) {
  if (aShape.empty() || bShape.empty())
    return ctx.error("operands must not be scalars");
  Shape a(aShape.begin(), aShape.end()), b(bShape.begin(), bShape.end());
  bool aVec = a.size() == 1, bVec = b.size() == 1;
  if (aVec)
    a.insert(a.begin(), 1);
  if (bVec)
    b.push_back(1);
  MatMulShape s;
  s.m = a[a.size() - 2];
  s.k = a.back();
  s.n = b.back();
  if (b[b.size() - 2] != s.k)
    return ctx.error("inner dimensions differ: " + formatShape(aShape) + " x " +
                     formatShape(bShape));
  llvm::ArrayRef<int64_t> aB = llvm::ArrayRef<int64_t>(a).drop_back(2),
                          bB = llvm::ArrayRef<int64_t>(b).drop_back(2);
  auto batch = broadcastShapes(aB, bB);
  if (!batch)
    return ctx.error("batch dimensions do not broadcast: " +
                     formatShape(aShape) + " x " + formatShape(bShape));
  s.batch = *batch;
  s.aBatchStrides = getBroadcastStrides(aB, s.batch);
  s.bBatchStrides = getBroadcastStrides(bB, s.batch);
  s.out = s.batch;
  if (!aVec)
    s.out.push_back(s.m);
  if (!bVec)
    s.out.push_back(s.n);
  return s;
}

/// Calls fn(aMatrix, bMatrix, outMatrix) with matrix indices for every
/// batch entry.
template <typename Fn> void forEachBatch(const MatMulShape &s, Fn &&fn) {
  int64_t count = getNumElements(s.batch);
  size_t rank = s.batch.size();
  llvm::SmallVector<int64_t, 6> idx(rank, 0);
  int64_t ai = 0, bi = 0;
  for (int64_t i = 0; i < count; ++i) {
    fn(ai, bi, i);
    for (int d = static_cast<int>(rank) - 1; d >= 0; --d) {
      ai += s.aBatchStrides[d];
      bi += s.bBatchStrides[d];
      if (++idx[d] < s.batch[d])
        break;
      ai -= idx[d] * s.aBatchStrides[d];
      bi -= idx[d] * s.bBatchStrides[d];
      idx[d] = 0;
    }
  }
}

} // namespace interp
} // namespace qlc

#endif // QLC_LIB_INTERP_KERNELS_MATMULSHAPE_H
