//===- KernelUtils.h - Helpers shared by kernel families --------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Small helpers every kernel family needs: typed raw access that also works
// for 16-bit float storage, input validation with errors naming the node,
// axis normalisation, reading shape-like int tensors, and a factory template
// for kernels that parse their attributes once at prepare time.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_INTERP_KERNELS_KERNELUTILS_H
#define QLC_LIB_INTERP_KERNELS_KERNELUTILS_H

#include "qlc/Interp/Kernel.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/Twine.h"

#include <memory>

namespace qlc {
namespace interp {

/// Raw typed access without the ElementTypeOf check, for kernels that
/// dispatch on size or handle float16 as uint16_t.
template <typename T> const T *dataAs(const Tensor &t) {
  return reinterpret_cast<const T *>(t.getRawData());
}
template <typename T> T *mutableDataAs(Tensor &t) {
  return reinterpret_cast<T *>(t.getMutableRawData());
}

/// Input `i`, or an error when it is absent (omitted or past the end).
llvm::Expected<const Tensor *> getRequiredInput(const KernelContext &ctx,
                                                unsigned i);
/// Fails unless the node has between `min` and `max` inputs (ONNX counts
/// trailing omitted inputs too) and `minOutputs`.. results.
llvm::Error checkArity(const KernelContext &ctx, unsigned minInputs,
                       unsigned maxInputs, unsigned minOutputs = 1,
                       unsigned maxOutputs = 1);

/// Creates output `i` with `type` and `shape` (zero-filled) and returns it.
Tensor &makeOutput(KernelContext &ctx, unsigned i, ElementType type,
                   llvm::ArrayRef<int64_t> shape);
/// Like makeOutput, for kernels that write every element: recycled storage
/// (Tensor::uninitialized) is not cleared first.
Tensor &makeUninitializedOutput(KernelContext &ctx, unsigned i,
                                ElementType type,
                                llvm::ArrayRef<int64_t> shape);

/// Maps a possibly negative `axis` into [0, rank); fails naming `what`.
llvm::Expected<int64_t> normalizeAxis(const KernelContext &ctx, int64_t axis,
                                      int64_t rank,
                                      llvm::StringRef what = "axis");
/// Same, at prepare time.
llvm::Expected<int64_t> normalizeAxis(const Node &node, int64_t axis,
                                      int64_t rank,
                                      llvm::StringRef what = "axis");

/// The elements of an int32/int64 tensor (shapes, axes, pads, indices).
llvm::Expected<llvm::SmallVector<int64_t, 8>>
readInt64s(const KernelContext &ctx, const Tensor &t, llvm::StringRef what);

/// The elements of a numeric tensor as doubles (scales, bounds).
llvm::Expected<llvm::SmallVector<double, 8>>
readDoubles(const KernelContext &ctx, const Tensor &t, llvm::StringRef what);

/// Widens float16/bfloat16 to float; other tensors are returned unchanged
/// (sharing storage).
Tensor widenHalf(const Tensor &t);
/// Rounds a float tensor to `type` when it is float16/bfloat16.
Tensor narrowTo(Tensor t, ElementType type);

/// "float", "int8", ... for messages.
std::string typeName(ElementType type);

/// A kernel class K with `llvm::Error init(const Node &, int64_t opset)`
/// and a default constructor, created by its init.
template <typename K>
llvm::Expected<std::unique_ptr<Kernel>> createKernelOf(const Node &node,
                                                       int64_t opsetVersion) {
  auto kernel = std::make_unique<K>();
  if (llvm::Error err = kernel->init(node, opsetVersion))
    return err;
  return std::unique_ptr<Kernel>(std::move(kernel));
}

} // namespace interp
} // namespace qlc

#endif // QLC_LIB_INTERP_KERNELS_KERNELUTILS_H
