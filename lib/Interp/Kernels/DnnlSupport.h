//===- DnnlSupport.h - oneDNN engine and threading for kernels --*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The heavy float kernels (convolution, GEMM) run on oneDNN. Debian builds
// oneDNN on OpenMP, whose thread count is a per-calling-thread setting:
// setDnnlThreads() applies KernelContext::threads before every primitive is
// created or run, so `threads = 1` really keeps oneDNN on the calling thread.
// oneDNN's C++ API reports failures by exception; these helpers keep that
// inside the heavy kernels, which turn it into an llvm::Error or a fallback.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_INTERP_KERNELS_DNNLSUPPORT_H
#define QLC_LIB_INTERP_KERNELS_DNNLSUPPORT_H

#include <oneapi/dnnl/dnnl.hpp>

namespace qlc {
namespace interp {

/// The process-wide CPU engine (created on first use).
dnnl::engine &getDnnlEngine();

/// Lets oneDNN calls from this thread use `threads` threads.
void setDnnlThreads(unsigned threads);

/// Primitive attributes every float kernel uses: strict fp32 (no bf16/tf32
/// down-conversion) and a user-managed scratchpad.
dnnl::primitive_attr makeStrictAttr();

/// Row-major single-precision GEMM, C = alpha * op(A) * op(B) + beta * C,
/// on `threads` threads. Exact fp32 arithmetic (no reduced precision).
void sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
           float alpha, const float *a, int64_t lda, const float *b,
           int64_t ldb, float beta, float *c, int64_t ldc, unsigned threads);

} // namespace interp
} // namespace qlc

#endif // QLC_LIB_INTERP_KERNELS_DNNLSUPPORT_H
