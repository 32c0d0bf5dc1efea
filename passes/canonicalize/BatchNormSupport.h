//===- BatchNormSupport.h - Matching BatchNorm for folding ------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The matching half of fold-bn: recognising an inference BatchNormalization
// fed by a Conv or Gemm that only it reads, reading the BN's parameters (and
// rejecting malformed ones with an error naming the BN), and the linear op's
// per-output-channel bias. fold-bn itself (FoldBatchNorm.cpp) does the
// arithmetic and the rewrite.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASSES_CANONICALIZE_BATCHNORMSUPPORT_H
#define QLC_PASSES_CANONICALIZE_BATCHNORMSUPPORT_H

#include "qlc/IR/Graph.h"

#include "llvm/ADT/Optional.h"
#include "llvm/Support/Error.h"

#include <vector>

namespace qlc {
namespace canonicalize {

/// A BatchNormalization that normalises with its running statistics: no
/// training mode, no live statistics outputs, per-channel (spatial) params.
bool isInferenceBatchNorm(const Node &bn, int64_t opset);

/// A Conv or Gemm whose single result is read only by the BN (as its X).
struct LinearOp {
  enum class Kind { Conv, Gemm };
  Node *node = nullptr;
  Kind kind = Kind::Conv;
  /// Output channels: Conv's M, Gemm's N; -1 when the weight shape is not
  /// known.
  int64_t channels = -1;
};
llvm::Optional<LinearOp> matchLinearProducer(const Node &bn);

/// The BN's parameters as doubles; a vector is empty when that parameter is
/// not a constant.
struct BatchNormParams {
  double epsilon = 1e-5;
  std::vector<double> scale, bias, mean, var;
  bool allConstant() const {
    return !scale.empty() && !bias.empty() && !mean.empty() && !var.empty();
  }
};
/// Reads the parameters and checks their shapes against `channels`
/// (unchecked when -1): a parameter that is not a rank-1 float tensor of
/// `channels` elements, whether constant or statically typed, is an error.
llvm::Error readBatchNormParams(const Node &bn, int64_t channels,
                                BatchNormParams &params);

/// The linear op's additive bias per output channel (Gemm's beta * C),
/// when it is a constant broadcast along the channel axis only; None when
/// absent or not of that form. Sets `present` when there is a bias input.
llvm::Optional<std::vector<double>> readChannelBias(const LinearOp &op,
                                                    bool &present);

} // namespace canonicalize
} // namespace qlc

#endif // QLC_PASSES_CANONICALIZE_BATCHNORMSUPPORT_H
