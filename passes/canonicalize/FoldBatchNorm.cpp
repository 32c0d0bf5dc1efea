//===- FoldBatchNorm.cpp - Fold inference BatchNorm into Conv/Gemm --------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// An inference BatchNormalization computes y = s * (x - mean) + beta per
// channel, with s = gamma / sqrt(var + epsilon). After a Conv or Gemm whose
// result only the BN reads, it folds:
//
//   into-weights  W'[c] = s[c] * W[c] (Gemm: alpha folded in too),
//                 b'[c] = s[c] * (b[c] - mean[c]) + beta[c]; the BN goes.
//   into-bias     QuantLib's LinearOpBNBiasFolder: mean'[c] = mean[c] - b[c]
//                 and the linear op loses its bias; the BN stays, for later
//                 stages to fold into a requantisation.
//
// Arithmetic is in float64 and rounded once to the weight's element type.
// The BN's output name survives (the linear op's result takes it). A
// pattern that does not apply is left alone; malformed BN parameters are
// an error.
//
//===----------------------------------------------------------------------===//

#include "canonicalize/BatchNormSupport.h"
#include "canonicalize/Passes.h"
#include "canonicalize/RewriteUtils.h"

#include <cmath>

using namespace qlc;
using namespace qlc::canonicalize;

namespace {
class FoldBatchNormPass : public PassBase<FoldBatchNormPass> {
public:
  static constexpr llvm::StringLiteral argument = "fold-bn";
  static constexpr llvm::StringLiteral summary =
      "Fold inference BatchNormalization into the preceding Conv or Gemm";
  static constexpr llvm::StringLiteral description =
      "Applies when the Conv (any group count, with or without bias) or Gemm "
      "(any transB, bias of shape (N), (1, N) or scalar) result is read only "
      "by the BN, and the weights and BN parameters are constants. "
      "into-weights scales the weights and rewrites the bias, removing the "
      "BN; into-bias moves the linear op's bias into the BN's mean, keeping "
      "the BN.";

  Option<std::string> mode{*this,
                           "mode",
                           "into-weights: rescale weights and bias, remove "
                           "the BN; into-bias: move the bias into the BN mean",
                           "into-weights",
                           {"into-weights", "into-bias"}};

  PassStatistic convsFolded{*this, "conv-folded", "BNs folded into a Conv"};
  PassStatistic gemmsFolded{*this, "gemm-folded", "BNs folded into a Gemm"};
  PassStatistic biasesMoved{*this, "biases-moved",
                            "linear-op biases moved into a BN mean"};

  llvm::Expected<bool> run(Model &model) override {
    Graph &graph = model.getGraph();
    int64_t opset = model.getOpsetVersion("");
    bool changed = false;
    for (auto it = graph.getNodes().begin(); it != graph.getNodes().end();) {
      Node &bn = *it++;
      if (!isInferenceBatchNorm(bn, opset))
        continue;
      llvm::Optional<LinearOp> op = matchLinearProducer(bn);
      if (!op)
        continue;
      BatchNormParams params;
      if (llvm::Error err = readBatchNormParams(bn, op->channels, params))
        return err;
      bool folded = mode.getValue() == "into-bias"
                        ? moveBiasIntoMean(graph, bn, *op, params)
                        : foldIntoWeights(graph, bn, *op, params);
      changed |= folded;
    }
    return changed;
  }

private:
  /// Per-channel s = gamma / sqrt(var + epsilon); None when a channel's
  /// variance makes it non-finite (the fold would not be exact then).
  static llvm::Optional<std::vector<double>>
  computeScales(const BatchNormParams &p) {
    std::vector<double> s(p.scale.size());
    for (size_t c = 0; c < s.size(); ++c) {
      double denom = p.var[c] + p.epsilon;
      if (!(denom > 0) || !std::isfinite(denom) || !std::isfinite(p.scale[c]))
        return llvm::None;
      s[c] = p.scale[c] / std::sqrt(denom);
    }
    return s;
  }

  /// Writes `t` as operand `index` of `node`: in place when the old
  /// initializer has no other reader, else as a new initializer named
  /// "<old>_folded", or `nameHint` when the operand was absent.
  static void setConstantOperand(Graph &graph, Node &node, unsigned index,
                                 Tensor t, llvm::StringRef nameHint) {
    Value *old = node.getOptionalInput(index);
    if (old && old->isInitializer() && old->hasOneUse() &&
        !old->isGraphOutput() && !old->isListedAsInput()) {
      old->setConstant(std::move(t));
      return;
    }
    std::string name = old ? makeDerivedName(graph, old->getName(), "folded")
                           : graph.makeUniqueName(nameHint);
    Value *init = graph.addInitializer(name, std::move(t));
    while (node.getNumInputs() <= index)
      node.addInput(nullptr);
    node.setInput(index, init);
  }

  /// W' = s * W along the output-channel axis (Conv: axis 0; Gemm: axis 1,
  /// or 0 with transB), times Gemm's alpha.
  static Tensor scaleWeights(const LinearOp &op, const Tensor &w,
                             llvm::ArrayRef<double> s) {
    Tensor out(w.getElementType(), w.getShape());
    int64_t numel = w.getNumElements(), channels = s.size();
    bool channelIsInner =
        op.kind == LinearOp::Kind::Gemm && !op.node->getAttrInt("transB", 0);
    int64_t inner = channelIsInner ? 1 : numel / channels;
    double alpha = op.kind == LinearOp::Kind::Gemm
                       ? op.node->getAttrFloat("alpha", 1.0f)
                       : 1.0;
    for (int64_t i = 0; i < numel; ++i) {
      int64_t c = (i / inner) % channels;
      out.setFromDouble(i, alpha * w.getAsDouble(i) * s[c]);
    }
    return out;
  }

  bool foldIntoWeights(Graph &graph, Node &bn, const LinearOp &op,
                       const BatchNormParams &params) {
    const Tensor *w = getConstantInput(*op.node, 1);
    if (!w || !isFloatType(w->getElementType()) || !params.allConstant() ||
        op.channels <= 0)
      return false;
    bool hasBias = false;
    llvm::Optional<std::vector<double>> bias = readChannelBias(op, hasBias);
    if (hasBias && !bias)
      return false;
    if (!bias)
      bias = std::vector<double>(op.channels, 0.0);
    llvm::Optional<std::vector<double>> s = computeScales(params);
    if (!s)
      return false;

    Tensor newBias(w->getElementType(), {op.channels});
    for (int64_t c = 0; c < op.channels; ++c)
      newBias.setFromDouble(c, (*s)[c] * ((*bias)[c] - params.mean[c]) +
                                   params.bias[c]);
    std::string biasName = (op.node->getInput(1)->getName() + "_bias").str();
    setConstantOperand(graph, *op.node, 1, scaleWeights(op, *w, *s), "");
    setConstantOperand(graph, *op.node, 2, std::move(newBias), biasName);
    if (op.kind == LinearOp::Kind::Gemm) {
      op.node->removeAttr("alpha");
      op.node->removeAttr("beta");
    }
    replaceTakingName(graph, bn.getResult(0), op.node->getResult(0));
    graph.eraseNode(&bn);
    ++(op.kind == LinearOp::Kind::Conv ? convsFolded : gemmsFolded);
    return true;
  }

  bool moveBiasIntoMean(Graph &graph, Node &bn, const LinearOp &op,
                        const BatchNormParams &params) {
    const Tensor *mean = bn.getInput(3)->getConstant();
    bool hasBias = false;
    llvm::Optional<std::vector<double>> bias = readChannelBias(op, hasBias);
    if (!bias || !mean || params.mean.size() != bias->size())
      return false;
    Tensor newMean(mean->getElementType(), mean->getShape());
    for (size_t c = 0; c < bias->size(); ++c)
      newMean.setFromDouble(c, params.mean[c] - (*bias)[c]);
    setConstantOperand(graph, bn, 3, std::move(newMean), "");
    op.node->truncateInputs(2);
    if (op.kind == LinearOp::Kind::Gemm)
      op.node->removeAttr("beta");
    ++biasesMoved;
    return true;
  }
};
} // namespace

std::unique_ptr<Pass> qlc::canonicalize::createFoldBatchNormPass() {
  return std::make_unique<FoldBatchNormPass>();
}
