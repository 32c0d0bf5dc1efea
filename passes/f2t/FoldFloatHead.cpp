//===- FoldFloatHead.cpp - Keep a pooled linear head float ----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// QuantLib's MobileNetV1 head rewrite. After fake-to-true with the head
// linear op kept float, the network ends in
//
//   EpsTunnel(x, eps_in, eps_out) -> [Global]AveragePool -> Flatten -> Gemm
//
// where x is the last integer image. Pooling and the linear op are linear,
// so the tunnel's scale s = eps_out / eps_in moves into the weights:
//
//   Cast(x) -> [Global]AveragePool -> Flatten -> Gemm(W * s, b)
//
// The integer program then ends at x (what a backend such as DORY runs),
// and the head computes on x directly. The pattern is also registered as
// `float-head` for `apply-patterns`; examples/plugin and
// examples/patterns/float-head.json implement the same rewrite as a plugin
// and as a JSON pattern, and the tests check all three agree.
//
//===----------------------------------------------------------------------===//

#include "f2t/Passes.h"

#include "qlc/Rewrite/PatternRewrite.h"

#include <cmath>

using namespace qlc;

namespace {

bool isFloatTensor(const Value &v) {
  return v.getConstant() &&
         v.getConstant()->getElementType() == ElementType::Float;
}

OpPattern floatHeadSource() {
  using namespace qlc::pat;
  ValuePattern eps = scalarConstant().where(isFloatTensor, "float32");
  OpPattern tunnel = op("EpsTunnel", "qlc")
                         .as("tunnel")
                         .attrEquals("to", Attribute::getInt(1))
                         .operand(0, any().as("x"))
                         .operand(1, ValuePattern(eps).as("eps_in"))
                         .operand(2, ValuePattern(eps).as("eps_out"));
  OpPattern pool =
      op({"GlobalAveragePool", "AveragePool"}).as("pool").operand(0, tunnel);
  OpPattern flatten = op("Flatten").as("flatten").operand(0, pool);
  return op("Gemm")
      .as("gemm")
      .attrEqualsOrAbsent("transA", Attribute::getInt(0))
      .operand(0, flatten)
      .operand(1, constant().where(isFloatTensor, "float32").as("w"))
      .operand(2, constant().orAbsent().as("b"));
}

/// A node like `like` (op type, domain, attributes) reading `inputs`.
Node *cloneWithInputs(PatternRewriter &rewriter, const Node &like,
                      llvm::ArrayRef<Value *> inputs, llvm::StringRef hint) {
  Node *n =
      rewriter.createNode(like.getOpType(), inputs, hint, like.getDomain());
  for (const NamedAttribute &a : like.getAttrs())
    n->setAttr(a.name, a.value);
  return n;
}

class FloatHeadPattern : public DagRewritePattern {
public:
  FloatHeadPattern() : DagRewritePattern("float-head", floatHeadSource()) {}

protected:
  llvm::Expected<bool> rewrite(const MatchResult &m,
                               PatternRewriter &rewriter) const override {
    float epsIn = m.getConstant("eps_in")->getData<float>()[0];
    float epsOut = m.getConstant("eps_out")->getData<float>()[0];
    float scale = epsOut / epsIn;
    if (!std::isfinite(scale))
      return false; // a zero or non-finite quantum: leave the tunnel
    Tensor scaled = m.getConstant("w")->clone();
    for (float &w : scaled.getMutableData<float>())
      w *= scale;

    Node *cast = rewriter.createNode("Cast", {m.getValue("x")}, "head_cast");
    cast->setAttr("to", Attribute::getInt(1));
    Node *pool = cloneWithInputs(rewriter, *m.getNode("pool"),
                                 {cast->getResult(0)}, "head_pool");
    Node *flatten = cloneWithInputs(rewriter, *m.getNode("flatten"),
                                    {pool->getResult(0)}, "head_flatten");
    llvm::SmallVector<Value *, 3> gemmInputs{
        flatten->getResult(0), rewriter.createConstant("w_scaled", scaled)};
    if (Value *b = m.getValue("b"))
      gemmInputs.push_back(b);
    Node *gemm =
        cloneWithInputs(rewriter, *m.getNode("gemm"), gemmInputs, "head_gemm");

    rewriter.replaceValue(m.getValue("tunnel"), cast->getResult(0));
    rewriter.replaceValue(m.getValue("pool"), pool->getResult(0));
    rewriter.replaceValue(m.getValue("flatten"), flatten->getResult(0));
    rewriter.replaceValue(m.getValue("gemm"), gemm->getResult(0));
    return true;
  }
};

class FoldFloatHeadPass : public PassBase<FoldFloatHeadPass> {
public:
  static constexpr llvm::StringLiteral argument = "fold-float-head";
  static constexpr llvm::StringLiteral summary =
      "Keep a pooled linear head float: fold the last tunnel's quantum into "
      "its weights";
  static constexpr llvm::StringLiteral description =
      "EpsTunnel(x) -> [Global]AveragePool -> Flatten -> Gemm(W, b) becomes "
      "Cast(x) -> pool -> Flatten -> Gemm(W * eps_out / eps_in, b): "
      "QuantLib's MobileNetV1 head rewrite. Run it after fake-to-true on a "
      "model whose head Gemm was excluded from quantisation "
      "(insert-pact{exclude=...}); the integer program then ends at x.";

  PassStatistic heads{*this, "heads", "heads folded"};

  llvm::Expected<bool> run(Model &model) override {
    PatternSet set;
    set.add(f2t::createFloatHeadPattern());
    RewriteStats stats;
    llvm::Expected<bool> changed =
        applyPatternsGreedily(model, set, {}, &stats);
    if (changed)
      heads += stats.applications.lookup("float-head");
    return changed;
  }
};

} // namespace

std::unique_ptr<RewritePattern> qlc::f2t::createFloatHeadPattern() {
  return std::make_unique<FloatHeadPattern>();
}

std::unique_ptr<Pass> qlc::f2t::createFoldFloatHeadPass() {
  return std::make_unique<FoldFloatHeadPass>();
}
