//===- EpsAnalysis.h - Quantum propagation over a fake-quantised graph -*- C++
//-*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// QuantLib's F2TAnnotator/EpsPropagator for qlc's IR: a topological walk
// that gives every value of a fake-quantised graph its quantum eps (per
// tensor or per channel) or the reason it has none.
//
//   graph input      the declared input quantisation, else the quantum of
//                    the fake-quantiser(s) that read it
//   qlc.FakeQuant    its own eps and grid
//   Conv/Gemm/MatMul eps_in * eps_w[c] on the output channel axis, for a
//                    per-tensor eps_in and a fake-quantised weight
//   scale-preserving Flatten, Reshape, Squeeze, Unsqueeze, Transpose,
//                    MaxPool, GlobalMaxPool, zero Pad, Identity, Dropout:
//                    the input's quantum (per-channel quanta only
//                    where the channel axis survives)
//   Add, Sum, Concat all operands on one per-tensor quantum: that quantum
//   AveragePool,     eps_in / K for a window of K values: the mean is an
//   GlobalAveragePool exact multiple of it (F2T keeps the integer sum)
//   anything else    none, with the reason
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASSES_F2T_EPSANALYSIS_H
#define QLC_PASSES_F2T_EPSANALYSIS_H

#include "f2t/F2TSupport.h"

#include "llvm/ADT/DenseMap.h"

#include <string>

namespace qlc {
namespace f2t {

/// The quantisation of a graph input declared on the command line.
struct InputQuantisation {
  double eps = 0; ///< 0: not declared
  unsigned bits = 8;
  bool isSigned = false;
  bool isDeclared() const { return eps > 0; }
};

/// Where propagation stopped: a node with a quantised operand whose result
/// has no quantum.
struct PropagationStop {
  const Node *node;
  std::string reason;
};

class EpsAnalysis {
public:
  /// Walks `graph` (topologically sorted); fails only on invalid input
  /// declarations.
  static llvm::Expected<EpsAnalysis> run(const Model &model,
                                         const InputQuantisation &input);

  /// The quantum of `v`, or null.
  const Quantum *lookup(const Value *v) const;
  /// Why `v` has no quantum ("" when it has one or was never reached).
  llvm::StringRef getReason(const Value *v) const;
  llvm::ArrayRef<PropagationStop> getStops() const { return stops; }

private:
  void visit(const Node &node, int64_t opset);
  void setQuantum(const Value *v, Quantum q) { quanta[v] = std::move(q); }
  void stop(const Node &node, std::string reason);
  void visitLinear(const Node &node);
  void visitJoin(const Node &node);
  void visitPassThrough(const Node &node);

  llvm::DenseMap<const Value *, Quantum> quanta;
  llvm::DenseMap<const Value *, std::string> reasons;
  std::vector<PropagationStop> stops;
};

} // namespace f2t
} // namespace qlc

#endif // QLC_PASSES_F2T_EPSANALYSIS_H
