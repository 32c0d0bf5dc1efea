//===- ConvKernels.h - Registration hooks of the heavy parts ----*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The heavy families are split over several files; the family register
// functions of Kernels.h call these for the parts that live elsewhere.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_INTERP_KERNELS_CONVKERNELS_H
#define QLC_LIB_INTERP_KERNELS_CONVKERNELS_H

namespace qlc {
class KernelRegistry;

/// ConvTranspose (ConvTranspose.cpp), from registerConvKernels.
void registerConvTransposeKernels(KernelRegistry &registry);
/// ConvInteger and QLinearConv (IntegerConv.cpp), from registerQuantKernels.
void registerIntegerConvKernels(KernelRegistry &registry);
/// MatMulInteger and QLinearMatMul (IntegerMatMul.cpp), from
/// registerQuantKernels.
void registerIntegerMatMulKernels(KernelRegistry &registry);
} // namespace qlc

#endif // QLC_LIB_INTERP_KERNELS_CONVKERNELS_H
