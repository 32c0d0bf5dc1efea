//===- WindowGeometry.h - Sliding-window attributes and shapes --*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Conv, ConvTranspose, the integer convolutions and the pools share ONNX's
// sliding-window attributes: kernel_shape, strides, dilations, pads and
// auto_pad (plus ceil_mode for pools). WindowAttrs parses and checks them
// once at prepare time; resolveWindow() turns them into a WindowGeometry
// (explicit begin/end pads and output sizes) for one input shape at run time,
// following ONNX's rules for NOTSET, VALID, SAME_UPPER and SAME_LOWER.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_INTERP_KERNELS_WINDOWGEOMETRY_H
#define QLC_LIB_INTERP_KERNELS_WINDOWGEOMETRY_H

#include "qlc/IR/Tensor.h"
#include "qlc/Interp/Kernel.h"

#include "llvm/ADT/SmallVector.h"

#include <string>
#include <vector>

namespace qlc {
namespace interp {

using DimList = llvm::SmallVector<int64_t, 3>;

enum class AutoPad { NotSet, Valid, SameUpper, SameLower };

/// The window attributes of one node, as written (lists may be empty when
/// the attribute is absent; they are defaulted per input rank later).
struct WindowAttrs {
  DimList kernelShape, strides, dilations, pads;
  AutoPad autoPad = AutoPad::NotSet;
  bool ceilMode = false;

  /// Parses the attributes of `node`; `withCeilMode` for the pools.
  llvm::Error parse(const Node &node, bool withCeilMode);
};

/// Explicit geometry for one input: every list has one entry per spatial
/// dimension.
struct WindowGeometry {
  DimList inSize, outSize, kernel, strides, dilations, padBegin, padEnd;

  unsigned getRank() const { return static_cast<unsigned>(inSize.size()); }
  int64_t getInPixels() const;
  int64_t getOutPixels() const;
  int64_t getKernelPixels() const;
  /// Extent of the dilated kernel along `d`.
  int64_t getDilatedKernel(unsigned d) const {
    return (kernel[d] - 1) * dilations[d] + 1;
  }
};

/// Geometry of a forward window (Conv, pools) over spatial sizes `inSize`
/// with kernel `kernel` (from kernel_shape or the weights). Fails with a
/// message naming the node for inconsistent attributes or an empty output.
llvm::Expected<WindowGeometry> resolveWindow(const KernelContext &ctx,
                                             const WindowAttrs &attrs,
                                             llvm::ArrayRef<int64_t> inSize,
                                             llvm::ArrayRef<int64_t> kernel);

/// A convolution's sizes: X [N, C, spatial...], W [M, C/group, kernel...],
/// Y [N, M, out...].
struct ConvProblem {
  int64_t batch = 0, inChannels = 0, outChannels = 0, group = 1;
  WindowGeometry geo;
  Shape outShape;

  int64_t getInPerGroup() const { return inChannels / group; }
  int64_t getOutPerGroup() const { return outChannels / group; }
  /// Weights per output channel: C/group * kernel pixels.
  int64_t getReduction() const {
    return getInPerGroup() * geo.getKernelPixels();
  }
};

/// Checks X/W shapes against each other and the attributes (kernel_shape
/// must match W when given) and resolves the window.
llvm::Expected<ConvProblem> resolveConv(const KernelContext &ctx,
                                        const WindowAttrs &attrs, int64_t group,
                                        llvm::ArrayRef<int64_t> xShape,
                                        llvm::ArrayRef<int64_t> wShape);

/// For every output pixel p and kernel tap t (both row-major), the flat
/// input pixel the tap reads, or -1 where it falls in the padding:
/// table[p * kernelPixels + t]. Lets N-D convolutions and pools run as flat
/// loops.
std::vector<int64_t> buildTapTable(const WindowGeometry &g);

} // namespace interp
} // namespace qlc

#endif // QLC_LIB_INTERP_KERNELS_WINDOWGEOMETRY_H
