//===- F2TSupport.h - Shared helpers of the fake-to-true passes -*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The F2T passes follow QuantLib's design: every quantised value gets an
// epsilon tunnel (qlc.EpsTunnel) per consumer; integerisers rewrite the op
// between two tunnels into integer ops and set the tunnels' inner quanta to
// 1 (so the tunnels convert between the fake value and its integer image);
// the simplifier cancels tunnel pairs across scale-preserving regions; what
// is left at the borders of the network is removed last. The graph stays
// runnable after every pass.
//
// A quantum is one eps per tensor or one per channel; per-channel quanta
// are stored in the tunnel as a tensor shaped to broadcast over the value
// (channel on `axis`, 1 elsewhere).
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASSES_F2T_F2TSUPPORT_H
#define QLC_PASSES_F2T_F2TSUPPORT_H

#include "qlc/IR/Model.h"
#include "qlc/Quant/FakeQuantOp.h"
#include "qlc/Quant/IntegerOps.h"

#include "llvm/ADT/Optional.h"

#include <vector>

namespace qlc {
namespace f2t {

/// The quantum of a value: eps per tensor (one entry) or per channel along
/// `axis`; `grid` is the integer range of the value's image when a
/// quantiser bounds it.
struct Quantum {
  std::vector<double> eps;
  int64_t axis = 1;
  llvm::Optional<QuantGrid> grid;

  bool isPerTensor() const { return eps.size() == 1; }
  bool sameEps(const Quantum &other) const;
  /// "0.0039" or "[0.01, 0.02, ...] (axis 1)".
  std::string str() const;
};

/// Equal quanta, a scalar matching every entry of a per-channel one.
bool sameQuanta(llvm::ArrayRef<double> a, llvm::ArrayRef<double> b);

/// Is `v` a per-tensor 1 (or all ones)?
bool isUnitEps(llvm::ArrayRef<double> eps);

/// A float initializer holding `eps`, scalar per tensor, or shaped
/// [1, ..., C (at axis), ..., 1] of rank `rank` to broadcast per channel.
Value *createEpsConstant(Graph &graph, llvm::StringRef hint,
                         llvm::ArrayRef<double> eps, int64_t axis,
                         int64_t rank);
/// An int64 initializer shaped like createEpsConstant's.
Value *createChannelConstant(Graph &graph, llvm::StringRef hint,
                             llvm::ArrayRef<int64_t> values, int64_t axis,
                             int64_t rank);

/// The tunnel's quanta (float initializers, expanded to vectors).
struct TunnelView {
  Node *node = nullptr;
  std::vector<double> epsIn, epsOut;
  ElementType to = ElementType::Float;
  bool isIdentity() const;
};
llvm::Optional<TunnelView> viewTunnel(Node &node);

/// Creates `EpsTunnel(x, epsIn, epsOut)` producing `to` before `insertPt`.
Node *createTunnel(Graph &graph, Value *x, llvm::ArrayRef<double> epsIn,
                   llvm::ArrayRef<double> epsOut, int64_t axis, ElementType to,
                   llvm::StringRef nodeName, Node *insertPt);
/// Rewrites a tunnel's quanta and output type (fresh initializers; the old
/// ones are erased when unused).
void setTunnel(Node &tunnel, llvm::ArrayRef<double> epsIn,
               llvm::ArrayRef<double> epsOut, ElementType to);
/// Bypasses and erases a tunnel: its readers read its input. Graph outputs
/// keep their names where possible.
void bypassTunnel(Graph &graph, Node &tunnel);

/// True when `v` is read, and read only, by tunnels (and is no graph
/// output): the op producing it can be rewritten between tunnels.
bool isReadOnlyByTunnels(const Value &v);
/// Makes every tunnel reading `from` read the integer image `to` instead,
/// as (1 -> its eps_out): the rewritten op now produces integers.
void retargetTunnels(Value &from, Value *to);

/// The channel axis of a tunnel's eps tensors (1 for scalars).
int64_t tunnelAxis(const Node &tunnel);

/// Ops that move integer images without changing their quantum:
/// reshapes, transposes, max pooling, zero padding, Identity, Dropout,
/// Concat (multi-input). Relu is not one: requantise absorbs it into the
/// clip range of the quantiser that follows.
bool isScalePreserving(const Node &node);

/// Erases initializers that nothing reads any more.
void eraseDeadConstants(Graph &graph);

/// The input quantisation F2T assumed for graph input `name`, recorded in
/// the model's metadata ("qlc.input_quant.<name>": eps, zero, n_levels,
/// rounding) so later passes, qlc-run and the verifier can quantise float
/// data the same way.
void setInputQuantisation(Model &model, llvm::StringRef name, const Quantum &q);
llvm::Optional<Quantum> getInputQuantisation(const Model &model,
                                             llvm::StringRef name);

/// The integer grid of the image of `v`: the grid of the fake-quantiser or
/// requantiser behind it, through tunnels and scale-preserving ops (and
/// the recorded input quantisation of a graph input); None if unknown.
llvm::Optional<QuantGrid> findImageGrid(const Model &model, const Value *v);

/// The constant behind `v`, through Identity nodes (torch.onnx shares
/// equal initializers with them); null if `v` is not constant.
const Tensor *getConstantThroughIdentity(const Value *v);

/// The element type of `v`, or Undefined.
ElementType elementTypeOf(const Value *v);

/// Rank of `v` when known, else -1.
int64_t rankOf(const Value *v);

} // namespace f2t
} // namespace qlc

#endif // QLC_PASSES_F2T_F2TSUPPORT_H
