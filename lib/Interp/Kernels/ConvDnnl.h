//===- ConvDnnl.h - oneDNN plans for the float Conv kernel -----*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A plan is one oneDNN convolution primitive with the reorders around it,
// built for one key (shapes, threads, fusion, input and output layouts).
// A fused plan also applies the consumers the Conv kernel absorbed: a sum
// post-op for an Add (the other operand is first reordered into the
// destination) and an eltwise post-op for Relu, LeakyRelu or Clip.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_INTERP_KERNELS_CONVDNNL_H
#define QLC_LIB_INTERP_KERNELS_CONVDNNL_H

#include "Kernels/DnnlSupport.h"
#include "Kernels/WindowGeometry.h"

#include <memory>
#include <optional>

namespace qlc {
namespace interp {

/// An activation applied by the convolution as it writes its output.
struct FusedActivation {
  enum Kind { None, Relu, LeakyRelu, Clip } kind = None;
  float alpha = 0, lo = 0, hi = 0;
};

/// `consumer` as an activation oneDNN applies as a post-op with the ONNX
/// kernels' results, or nullopt.
std::optional<FusedActivation> parseActivation(const Node &consumer,
                                               int64_t opsetVersion);

/// What the fused plan of a Conv kernel does after the convolution.
struct ConvEpilogue {
  /// Add a tensor of the output's shape first (a fused Add).
  bool sum = false;
  FusedActivation activation;
};

/// The plan's key: what changes the primitive or its reorders.
struct DnnlConvKey {
  Shape xShape, wShape;
  unsigned threads = 0;
  bool hasBias = false, fused = false, opaqueDst = false;
  /// Layout of an opaque input; zero (default) for plain NCHW.
  dnnl::memory::desc srcDesc;

  bool operator==(const DnnlConvKey &o) const {
    return xShape == o.xShape && wShape == o.wShape && threads == o.threads &&
           hasBias == o.hasBias && fused == o.fused &&
           opaqueDst == o.opaqueDst && srcDesc == o.srcDesc;
  }
};

/// One oneDNN convolution for one key.
struct DnnlConvPlan {
  DnnlConvKey key;
  dnnl::convolution_forward prim;
  dnnl::memory userSrc, userDst, userWeights, userBias;
  dnnl::memory src, dst, weights, scratch;
  dnnl::memory::desc dstDesc;
  dnnl::reorder srcReorder, dstReorder;
  /// For a fused sum: the plain addend and its reorder into the output.
  dnnl::memory userSum;
  dnnl::reorder sumReorder;
  bool reorderSrc = false, reorderDst = false;
  /// Storage of the weight tensor `weights` was reordered from.
  std::shared_ptr<std::string> weightStorage;
  dnnl::stream stream;
};

/// Builds the primitive and its memories; throws dnnl::error on failure.
std::unique_ptr<DnnlConvPlan> createPlan(const ConvProblem &p,
                                         const DnnlConvKey &key,
                                         const ConvEpilogue &epilogue);

/// Runs `plan`: the source is `x`'s buffer or an opaque input's memory,
/// the result goes to `y` (plain) or `yOpaque`. A plan fused with a sum
/// adds `sum` (plain, the output's shape) or `sumOpaque` first. Throws
/// dnnl::error.
void runPlan(DnnlConvPlan &plan, const void *x, const Tensor &w,
             const Tensor *b, const Tensor *sum, const dnnl::memory *sumOpaque,
             Tensor *y, DnnlOpaqueTensor *yOpaque);

} // namespace interp
} // namespace qlc

#endif // QLC_LIB_INTERP_KERNELS_CONVDNNL_H
