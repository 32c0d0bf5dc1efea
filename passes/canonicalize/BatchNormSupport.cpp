//===- BatchNormSupport.cpp - Matching BatchNormalization for folding -----===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "canonicalize/BatchNormSupport.h"
#include "canonicalize/RewriteUtils.h"

#include "qlc/Support/Error.h"

using namespace qlc;
using namespace qlc::canonicalize;

bool canonicalize::isInferenceBatchNorm(const Node &bn, int64_t opset) {
  if (!bn.is("BatchNormalization") || bn.getNumInputs() < 5 ||
      bn.getNumResults() < 1)
    return false;
  for (unsigned i = 0; i < 5; ++i)
    if (!bn.getInput(i))
      return false;
  // Opset 14+: training_mode; before opset 9: spatial=0 means parameters
  // per (C, H, W) element, which do not fold per channel.
  if (bn.getAttrInt("training_mode", 0) != 0)
    return false;
  if (opset >= 1 && opset < 9 && bn.getAttrInt("spatial", 1) != 1)
    return false;
  for (unsigned i = 1; i < bn.getNumResults(); ++i)
    if (bn.getResult(i)->isLive())
      return false;
  return true;
}

/// The known extent of dimension `dim` of `v`'s shape, or -1.
static int64_t getKnownDim(const Value &v, int64_t dim) {
  const TensorType &type = v.getType();
  if (!type.hasRank() || dim >= type.getRank())
    return -1;
  return type.getDims()[dim].size;
}

llvm::Optional<LinearOp> canonicalize::matchLinearProducer(const Node &bn) {
  Value *x = bn.getInput(0);
  Node *producer = x->getDefiningNode();
  if (!producer || producer->getNumResults() != 1 || x->isGraphOutput() ||
      !x->hasOneUse() || x->getUses()[0].implicit ||
      x->getUses()[0].index != 0 || producer->getNumInputs() < 2 ||
      !producer->getInput(1))
    return llvm::None;
  LinearOp op;
  op.node = producer;
  const Value &w = *producer->getInput(1);
  if (producer->is("Conv")) {
    op.kind = LinearOp::Kind::Conv;
    op.channels = getKnownDim(w, 0);
    return op;
  }
  if (producer->is("Gemm")) {
    op.kind = LinearOp::Kind::Gemm;
    if (w.getType().hasRank() && w.getType().getRank() != 2)
      return llvm::None;
    op.channels = getKnownDim(w, producer->getAttrInt("transB", 0) ? 0 : 1);
    return op;
  }
  return llvm::None;
}

static const char *const kParamNames[] = {"scale", "B", "input_mean",
                                          "input_var"};

/// Checks one parameter's type and shape; fills `out` when it is constant.
static llvm::Error readParam(const Node &bn, unsigned index, int64_t channels,
                             std::vector<double> &out) {
  const Value &v = *bn.getInput(index);
  const char *name = kParamNames[index - 1];
  ElementType elem = v.getElementType();
  if (elem != ElementType::Undefined && !isFloatType(elem))
    return makeNodeError(bn, llvm::Twine(name) +
                                 " must be a float tensor, "
                                 "got " +
                                 getElementTypeName(elem));
  const TensorType &type = v.getType();
  if (!type.hasRank())
    return llvm::Error::success();
  if (type.getRank() != 1)
    return makeNodeError(bn, llvm::Twine(name) + " must have rank 1, got " +
                                 type.str());
  int64_t size = type.getDims()[0].size;
  if (channels >= 0 && size >= 0 && size != channels)
    return makeNodeError(bn, llvm::Twine(name) + " has " + llvm::Twine(size) +
                                 " elements but the " + "input has " +
                                 llvm::Twine(channels) + " channels");
  if (const Tensor *t = v.getConstant())
    out = t->toDoubles();
  return llvm::Error::success();
}

llvm::Error canonicalize::readBatchNormParams(const Node &bn, int64_t channels,
                                              BatchNormParams &params) {
  params.epsilon = bn.getAttrFloat("epsilon", 1e-5f);
  std::vector<double> *outs[] = {&params.scale, &params.bias, &params.mean,
                                 &params.var};
  for (unsigned i = 1; i <= 4; ++i)
    if (llvm::Error err = readParam(bn, i, channels, *outs[i - 1]))
      return err;
  // Without a known channel count the constants must at least agree.
  size_t size = 0;
  for (std::vector<double> *p : outs) {
    if (p->empty())
      continue;
    if (size != 0 && p->size() != size)
      return makeNodeError(bn, "scale, B, input_mean and input_var must have "
                               "the same number of elements");
    size = p->size();
  }
  return llvm::Error::success();
}

llvm::Optional<std::vector<double>>
canonicalize::readChannelBias(const LinearOp &op, bool &present) {
  Value *biasValue = op.node->getOptionalInput(2);
  present = biasValue != nullptr;
  const Tensor *bias = getConstantInput(*op.node, 2);
  if (!bias || !isFloatType(bias->getElementType()) || op.channels < 0)
    return llvm::None;
  int64_t n = op.channels;
  std::vector<double> values = bias->toDoubles();
  if (op.kind == LinearOp::Kind::Conv) {
    if (bias->getRank() != 1 || bias->getDim(0) != n)
      return llvm::None;
    return values;
  }
  // Gemm's C broadcasts to (M, N): a scalar, (N), (1, N), (1) or (1, 1)
  // adds the same value to every row.
  double beta = op.node->getAttrFloat("beta", 1.0f);
  bool perColumn =
      bias->getNumElements() == n &&
      (bias->getRank() == 1 || (bias->getRank() == 2 && bias->getDim(0) == 1));
  bool uniform = bias->getNumElements() == 1 && bias->getRank() <= 2;
  if (!perColumn && !uniform)
    return llvm::None;
  std::vector<double> perChannel(n);
  for (int64_t i = 0; i < n; ++i)
    perChannel[i] = beta * values[perColumn ? i : 0];
  return perChannel;
}
