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

#include "qlc/Interp/Kernel.h"

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

/// An f32 tensor held in the layout a oneDNN primitive chose (blocked or
/// channels-last), passed between convolutions without reordering to NCHW.
/// The buffer is a Tensor's storage, so the interpreter's pool recycles it.
class DnnlOpaqueTensor final : public OpaqueTensor {
public:
  static constexpr const char *kFamily = "onednn";

  DnnlOpaqueTensor(const dnnl::memory::desc &desc,
                   llvm::ArrayRef<int64_t> shape);
  llvm::StringRef getFamily() const override { return kFamily; }
  llvm::ArrayRef<int64_t> getShape() const override { return shape; }
  Tensor toTensor() const override;
  void recycleInto(BufferPool &pool) override { storage.recycleInto(pool); }
  const dnnl::memory &getMemory() const { return memory; }

  /// `t` as a DnnlOpaqueTensor, or null when another library made it.
  static const DnnlOpaqueTensor *from(const OpaqueTensor *t) {
    return t && t->getFamily() == kFamily
               ? static_cast<const DnnlOpaqueTensor *>(t)
               : nullptr;
  }

private:
  Tensor storage;
  dnnl::memory memory;
  Shape shape;
};

/// The plain (NCW, NCHW, NCDHW) f32 layout of `shape`.
dnnl::memory::desc getPlainDesc(llvm::ArrayRef<int64_t> shape);

/// Row-major single-precision GEMM, C = alpha * op(A) * op(B) + beta * C,
/// on `threads` threads. Exact fp32 arithmetic (no reduced precision).
void sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
           float alpha, const float *a, int64_t lda, const float *b,
           int64_t ldb, float beta, float *c, int64_t ldc, unsigned threads);

} // namespace interp
} // namespace qlc

#endif // QLC_LIB_INTERP_KERNELS_DNNLSUPPORT_H
