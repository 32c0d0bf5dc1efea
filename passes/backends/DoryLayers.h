//===- DoryLayers.h - An integer program as DORY's fused layers -*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// DORY runs a network as a sequence of fused layers: a convolution, fully
// connected layer, average pool or residual addition with at most one
// requantisation (BNRelu / Requant), or a max pool. analyseDoryProgram cuts
// a qlc integer program (the output of fake-to-true) into such layers, or
// fails naming the node DORY would reject. It is the DORY checker
// (check-backend{target=dory}) and the front half of export-dory.
//
// The program may end in a float head (after a Cast or EpsTunnel to float,
// e.g. the pooled classifier fold-float-head keeps float): the DORY network
// ends where the head begins, and the head runs on the host.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASSES_BACKENDS_DORYLAYERS_H
#define QLC_PASSES_BACKENDS_DORYLAYERS_H

#include "qlc/IR/Model.h"
#include "qlc/Quant/IntegerOps.h"

#include "llvm/ADT/Optional.h"
#include "llvm/ADT/SmallVector.h"

#include <vector>

namespace qlc {
namespace backends {

/// One qlc.Requant, with its constants read as int64.
struct DoryRequant {
  const Node *node = nullptr;
  std::vector<int64_t> mul, add; // one per channel, or one
  RequantAttrs attrs;
  bool perChannel() const { return mul.size() > 1 || add.size() > 1; }
  /// log2 of the number of levels of [lo, hi].
  unsigned outBits() const;
};

enum class DoryLayerKind {
  Convolution,
  FullyConnected,
  AveragePool,
  MaxPool,
  Addition
};
llvm::StringRef getDoryLayerKindName(DoryLayerKind kind);

/// An operand of a layer: a previous layer's output or the network input,
/// requantised inside the layer for an Addition (in1_rq / in2_rq).
struct DoryOperand {
  Value *value = nullptr;
  llvm::Optional<DoryRequant> requant;
};

struct DoryLayer {
  DoryLayerKind kind;
  /// ConvInteger, MatMul(Integer), the pool sum, MaxPool or Add.
  Node *op = nullptr;
  llvm::SmallVector<DoryOperand, 2> inputs;
  /// Shape-only nodes (Flatten, Reshape) between the input and `op`.
  llvm::SmallVector<Node *, 2> wires;
  /// Conv: [Cout, Cin/group, kh, kw]; fully connected: [Cin, Cout].
  const Tensor *weights = nullptr;
  /// int32 bias per output channel, added before the requantisation.
  const Tensor *bias = nullptr;
  llvm::Optional<DoryRequant> requant;
  /// Window size of an average pool.
  int64_t poolSize = 1;
  /// The qlc value holding the layer's output (its golden feature map).
  Value *output = nullptr;
  /// Worst-case bits of x * mul + add (from the range analysis); 0 when
  /// there is no requantisation.
  unsigned requantBits = 0;
};

struct DoryProgram {
  Value *input = nullptr;
  std::vector<DoryLayer> layers;
  /// Integer values the float head reads (where the DORY network ends).
  llvm::SmallVector<Value *, 2> headInputs;
  /// The float head, in order.
  llvm::SmallVector<Node *, 8> headNodes;
  /// 32 or 64: what DORY's BNRelu_bits must be for no requantisation to
  /// overflow.
  unsigned bnReluBits = 32;
};

/// Fixes a symbolic batch dimension to 1 (DORY runs one image) and infers
/// every shape, which the layer analysis and the ONNX DORY reads need.
llvm::Error prepareForDory(Model &model);

/// Cuts `model` (prepared by prepareForDory) into DORY layers; an error names
/// the node DORY would not accept and says why.
llvm::Expected<DoryProgram> analyseDoryProgram(Model &model);

} // namespace backends
} // namespace qlc

#endif // QLC_PASSES_BACKENDS_DORYLAYERS_H
