//===- IntGemm.h - Exact integer GEMM for the quantised kernels -*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// ConvInteger, QLinearConv, MatMulInteger and QLinearMatMul reduce to
// C[i][j] = sum_k A[i][k] * B[k][j] over 8-bit operands minus their zero
// points. Both operands are widened to int16 with the zero point subtracted
// (|v| <= 255). B is packed pair-interleaved: rows 2p and 2p+1 of B are
// stored as one row of int16 pairs, so one 32-bit lane holds
// (B[2p][j], B[2p+1][j]). Broadcasting the pair (A[i][2p], A[i][2p+1]) and
// multiplying with pmaddwd gives exact int32 sums of two products for 16
// columns at once (AVX-512BW; 8 with AVX2), accumulated without horizontal
// reductions. The int32 accumulation is exact as long as k * 255 * 255 fits
// in int32 (k <= 33025); longer reductions accumulate in int64 and wrap to
// int32 as two's-complement hardware would. Nothing goes through float.
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

/// `k` rounded up to even: the row stride of A and twice the number of
/// packed rows of B. The padding entries must be zero.
inline int64_t getPairedDepth(int64_t k) { return (k + 1) & ~int64_t(1); }

/// Offset of B[row][col] in a pair-packed B with `n` columns.
inline int64_t getPackedIndex(int64_t row, int64_t col, int64_t n) {
  return ((row >> 1) * n + col) * 2 + (row & 1);
}

/// Instruction sets gemmInt16 can use; the best the CPU supports is the
/// default.
enum class IntGemmIsa { Scalar, Avx2, Avx512 };
/// The instruction set gemmInt16 uses now.
IntGemmIsa getIntGemmIsa();
/// Restricts gemmInt16 to `isa` (capped at what the CPU supports), so tests
/// can check every kernel on one machine. Not thread-safe against running
/// GEMMs.
void setIntGemmIsa(IntGemmIsa isa);

/// C[i * ldc + j] = sum_p A[i * lda + p] * B[p][j] for i < m, j < n, with
/// B pair-packed (getPackedIndex; getPairedDepth(k) rows, the padding row
/// zero) and lda >= getPairedDepth(k), A's padding column zero. Operands
/// must lie in [-255, 255]. Splits the columns over `threads`.
void gemmInt16(int64_t m, int64_t n, int64_t k, const int16_t *a, int64_t lda,
               const int16_t *packedB, int32_t *c, int64_t ldc,
               unsigned threads);

} // namespace interp
} // namespace qlc

#endif // QLC_LIB_INTERP_KERNELS_INTGEMM_H
