//===- F2FSupport.h - Shared helpers of the float-to-fake passes -*- C++
//-*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// What the F2F passes agree on: which nodes are linear ops and where their
// weights and output channels are, which activations get which kind of
// quantiser, which ops carry a quantised value through unchanged (so their
// output is "on the grid" of their input), and how a quantiser is inserted
// on a value or on one edge.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASSES_F2F_F2FSUPPORT_H
#define QLC_PASSES_F2F_F2FSUPPORT_H

#include "qlc/IR/Model.h"
#include "qlc/Quant/FakeQuantOp.h"

#include "llvm/ADT/Optional.h"
#include "llvm/Support/Regex.h"

#include <memory>
#include <vector>

namespace qlc {
namespace f2f {

/// Conv, ConvTranspose, Gemm or MatMul: its data and weight operands and the
/// weight axis holding the output channels.
struct LinearOpInfo {
  Node *node = nullptr;
  unsigned dataIndex = 0;
  unsigned weightIndex = 1;
  int64_t weightChannelAxis = 0;
};

/// Matches a linear op with a float weight operand of known rank (a
/// constant, or the result of a weight FakeQuant); None otherwise.
llvm::Optional<LinearOpInfo> matchLinearOp(Node &node);

/// The weight initializer of `op` behind its FakeQuant, if quantised.
Node *getWeightQuantiser(const LinearOpInfo &op);

enum class ActivationKind {
  Relu,               ///< Relu, Clip(0, inf)
  BoundedNonNegative, ///< Clip(lo >= 0, hi) incl. ReLU6
  Signed,             ///< LeakyRelu, other Clips, Identity (quantisation point)
};
struct ActivationInfo {
  ActivationKind kind;
  double lo = 0, hi = 0; ///< known output bounds (Clip), else 0
  bool isUnsigned() const { return kind != ActivationKind::Signed; }
};
/// Classifies an activation node whose result gets an output quantiser;
/// None for other nodes (or a Clip whose bounds are not constants).
llvm::Optional<ActivationInfo> classifyActivation(const Node &node,
                                                  int64_t opset);

/// Ops whose output holds values of their (first) input, so a quantised
/// input stays on the same grid: reshapes, transposes, max pooling, zero
/// padding, Identity/Dropout, and average pooling (F2T requantises the sum
/// exactly onto the input grid).
bool isGridPreserving(const Node &node);

/// True when `v` is on a fake-quantised grid: produced by a FakeQuant,
/// through grid-preserving ops, or by a Concat of such values.
bool isQuantisedValue(const Value &v);

/// True when every value of `v` is provably >= 0 (Relu, Clip(lo>=0),
/// Sigmoid, ... or an unsigned FakeQuant).
bool isNonNegative(const Value &v, int64_t opset);

/// True unless `v` is known to hold something other than float or double
/// (values whose type shape inference has not filled in yet qualify).
bool mayBeFloat(const Value &v);

/// A scalar float initializer (per tensor) or a 1-D one (per channel).
Value *createEpsInitializer(Graph &graph, llvm::StringRef hint,
                            llvm::ArrayRef<double> eps);

/// Inserts `FakeQuant(v, eps)` right after v's producer and makes every
/// other reader of `v` (and a graph-output slot, which keeps its name) read
/// the quantised value. Returns the FakeQuant.
Node *quantiseValue(Graph &graph, Value *v, Value *eps,
                    const FakeQuantAttrs &attrs, llvm::StringRef nodeName);

/// Inserts `FakeQuant(operand, eps)` before `user` on operand `index` only.
Node *quantiseOperand(Graph &graph, Node &user, unsigned index, Value *eps,
                      const FakeQuantAttrs &attrs, llvm::StringRef nodeName);

/// The name layer patterns match: the node's name, or for an unnamed node
/// (ONNX names are optional) the name of its first result.
llvm::StringRef getLayerName(const Node &node);

/// A unique node name "<layer name of base>_<suffix>" (node names need not
/// be unique in ONNX, but qlc keeps the ones it creates distinct).
std::string makeNodeName(const Graph &graph, const Node &base,
                         llvm::StringRef suffix);

/// Compiled node-name patterns of a pass option (ECMAScript-like POSIX
/// extended regexes); errors name the bad pattern.
class NamePatterns {
public:
  static llvm::Expected<NamePatterns> compile(llvm::ArrayRef<std::string> ps);
  bool matches(llvm::StringRef name) const;
  bool empty() const { return regexes.empty(); }

private:
  std::vector<std::shared_ptr<llvm::Regex>> regexes;
};

} // namespace f2f
} // namespace qlc

#endif // QLC_PASSES_F2F_F2FSUPPORT_H
