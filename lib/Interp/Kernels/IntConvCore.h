//===- IntConvCore.h - Exact 8-bit convolution core -------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_INTERP_KERNELS_INTCONVCORE_H
#define QLC_LIB_INTERP_KERNELS_INTCONVCORE_H

#include "Kernels/WindowGeometry.h"

#include "qlc/IR/Tensor.h"

namespace qlc {
namespace interp {

/// acc = the exact int32 convolution of (x - xZero) with (w - wZeros[m])
/// (one zero point, or one per output channel), padding contributing zero.
/// x and w are int8 or uint8; acc has p.outShape's elements.
void convolveInt8(const ConvProblem &p, const Tensor &x, int64_t xZero,
                  const Tensor &w, llvm::ArrayRef<int64_t> wZeros, int32_t *acc,
                  unsigned threads);

} // namespace interp
} // namespace qlc

#endif // QLC_LIB_INTERP_KERNELS_INTCONVCORE_H
