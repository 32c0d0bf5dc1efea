//===- Kernels.h - Registration hooks of the kernel families ----*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// One register function per kernel family (one family per .cpp file in this
// folder); KernelRegistry::getDefault() calls them all, explicitly (no static
// registrars: they drop out of static libraries).
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_INTERP_KERNELS_KERNELS_H
#define QLC_LIB_INTERP_KERNELS_KERNELS_H

namespace qlc {
class KernelRegistry;

// Light kernels: elementwise math, activations, shape manipulation,
// reductions, comparison and selection, casts.
void registerElementwiseKernels(KernelRegistry &registry);
void registerActivationKernels(KernelRegistry &registry);
void registerShapeKernels(KernelRegistry &registry);
void registerReductionKernels(KernelRegistry &registry);
void registerTensorKernels(KernelRegistry &registry);
// Further light families, split from the above to keep files small.
void registerUnaryKernels(KernelRegistry &registry);   // Unary.cpp
void registerLogicalKernels(KernelRegistry &registry); // Logical.cpp
void registerSoftmaxKernels(KernelRegistry &registry); // Softmax.cpp
void registerIndexKernels(KernelRegistry &registry);   // Index.cpp
void registerCastKernels(KernelRegistry &registry);    // Cast.cpp
void registerResizeKernels(KernelRegistry &registry);  // Resize.cpp
void registerPadKernels(KernelRegistry &registry);     // Pad.cpp
void registerRearrangeKernels(KernelRegistry &registry); // Rearrange.cpp
void registerScatterKernels(KernelRegistry &registry);   // Scatter.cpp

// Heavy kernels: convolution, GEMM/MatMul, pooling, normalisation, and the
// quantisation / integer ops.
void registerConvKernels(KernelRegistry &registry);
void registerGemmKernels(KernelRegistry &registry);
void registerPoolKernels(KernelRegistry &registry);
void registerNormKernels(KernelRegistry &registry);
void registerQuantKernels(KernelRegistry &registry);

// Ops of qlc's own domain (QlcOps.cpp).
void registerQlcKernels(KernelRegistry &registry);
void registerIntegerOpsKernels(KernelRegistry &registry);
} // namespace qlc

#endif // QLC_LIB_INTERP_KERNELS_KERNELS_H
