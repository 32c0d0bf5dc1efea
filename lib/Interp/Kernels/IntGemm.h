//===- IntGemm.h - Exact integer GEMM for the quantised kernels -*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// ConvInteger, QLinearConv, MatMulInteger and QLinearMatMul reduce to
// C[i][j] = sum_k A[i][k] * B[k][j] over 8-bit operands minus their zero
// points. Both operands are first widened to int16 with the zero point
// subtracted (|v| <= 255), B transposed so that every product is a dot
// product of two contiguous int16 rows: compilers turn those into pmaddwd
// (int16 x int16 -> exact int32 pair sums), and the kernels are built for
// AVX-512BW, AVX2 and baseline x86-64 with the best picked at run time.
// The int32 accumulation is exact as long as k * 255 * 255 fits in int32
// (k <= 33025); longer reductions accumulate in int64 and wrap to int32 as
// two's-complement hardware would. Nothing goes through float.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_INTERP_KERNELS_INTGEMM_H
#define QLC_LIB_INTERP_KERNELS_INTGEMM_H

#include <cstdint>

namespace qlc {
namespace interp {

/// Largest reduction whose int32 accumulation of products of values in
/// [-255, 255] cannot overflow.
constexpr int64_t kMaxExactInt32Reduction = 33025;

/// C[i * ldc + j] = sum_p A[i * k + p] * BT[j * k + p] for i < m, j < n.
/// Operands must lie in [-255, 255]. Splits the columns over `threads`.
void gemmInt16(int64_t m, int64_t n, int64_t k, const int16_t *a,
               const int16_t *bt, int32_t *c, int64_t ldc, unsigned threads);

} // namespace interp
} // namespace qlc

#endif // QLC_LIB_INTERP_KERNELS_INTGEMM_H
