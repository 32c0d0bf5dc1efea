//===- FoldFloatHeadPlugin.cpp - The MobileNetV1 head rewrite as a plugin -===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// QuantLib's MobileNetV1 head rewrite, written outside qlc: after
// fake-to-true with the classifier kept float,
//
//   EpsTunnel(x, eps_in, eps_out) -> [Global]AveragePool -> Flatten -> Gemm
//
// becomes Cast(x) -> pool -> Flatten -> Gemm(W * eps_out / eps_in, b), so
// the integer program ends at x. The plugin registers the pattern
// `plugin-float-head` and the pass `plugin-fold-float-head` that applies
// it; qlc's own fold-float-head does the same (the tests compare them).
//
//===----------------------------------------------------------------------===//

#include "qlc/Plugin/Plugin.h"

#include <cmath>

using namespace qlc;

namespace {

bool isFloatConstant(const Value &v) {
  return v.getConstant() &&
         v.getConstant()->getElementType() == ElementType::Float;
}

OpPattern headPattern() {
  using namespace qlc::pat;
  ValuePattern eps = scalarConstant().where(isFloatConstant, "float32");
  OpPattern tunnel = op("EpsTunnel", "qlc")
                         .as("tunnel")
                         .attrEquals("to", Attribute::getInt(1))
                         .operand(0, any().as("x"))
                         .operand(1, ValuePattern(eps).as("eps_in"))
                         .operand(2, ValuePattern(eps).as("eps_out"));
  OpPattern pool =
      op({"GlobalAveragePool", "AveragePool"}).as("pool").operand(0, tunnel);
  return op("Gemm")
      .as("gemm")
      .attrEqualsOrAbsent("transA", Attribute::getInt(0))
      .operand(0, op("Flatten").as("flatten").operand(0, pool))
      .operand(1, constant().where(isFloatConstant, "float32").as("w"))
      .operand(2, constant().orAbsent().as("b"));
}

/// A node with the op type, domain and attributes of `like`.
Node *copyOf(PatternRewriter &rewriter, const Node &like,
             llvm::ArrayRef<Value *> inputs, llvm::StringRef hint) {
  Node *n =
      rewriter.createNode(like.getOpType(), inputs, hint, like.getDomain());
  for (const NamedAttribute &a : like.getAttrs())
    n->setAttr(a.name, a.value);
  return n;
}

class HeadPattern : public DagRewritePattern {
public:
  HeadPattern() : DagRewritePattern("plugin-float-head", headPattern()) {}

protected:
  llvm::Expected<bool> rewrite(const MatchResult &m,
                               PatternRewriter &rewriter) const override {
    float scale = m.getConstant("eps_out")->getData<float>()[0] /
                  m.getConstant("eps_in")->getData<float>()[0];
    if (!std::isfinite(scale))
      return false; // a zero or non-finite quantum: leave the tunnel
    Tensor w = m.getConstant("w")->clone();
    for (float &v : w.getMutableData<float>())
      v *= scale;
    Node *cast = rewriter.createNode("Cast", {m.getValue("x")}, "head_cast");
    cast->setAttr("to", Attribute::getInt(1));
    Node *pool =
        copyOf(rewriter, *m.getNode("pool"), {cast->getResult(0)}, "head_pool");
    Node *flatten = copyOf(rewriter, *m.getNode("flatten"),
                           {pool->getResult(0)}, "head_flatten");
    llvm::SmallVector<Value *, 3> in{flatten->getResult(0),
                                     rewriter.createConstant("w_scaled", w)};
    if (Value *b = m.getValue("b"))
      in.push_back(b);
    Node *gemm = copyOf(rewriter, *m.getNode("gemm"), in, "head_gemm");
    rewriter.replaceValue(m.getValue("tunnel"), cast->getResult(0));
    rewriter.replaceValue(m.getValue("pool"), pool->getResult(0));
    rewriter.replaceValue(m.getValue("flatten"), flatten->getResult(0));
    rewriter.replaceValue(m.getValue("gemm"), gemm->getResult(0));
    return true;
  }
};

class FoldHeadPass : public PassBase<FoldHeadPass> {
public:
  static constexpr llvm::StringLiteral argument = "plugin-fold-float-head";
  static constexpr llvm::StringLiteral summary =
      "(example plugin) fold the last tunnel's quantum into a float head";

  llvm::Expected<bool> run(Model &model) override {
    PatternSet set;
    set.add(std::make_unique<HeadPattern>());
    return applyPatternsGreedily(model, set);
  }
};

llvm::Error registerExtensions(PassRegistry &passes,
                               PatternRegistry &patterns) {
  if (llvm::Error err =
          passes.add([] { return std::make_unique<FoldHeadPass>(); }))
    return err;
  return patterns.add(std::make_shared<HeadPattern>(), "example plugin");
}

} // namespace

extern "C" QLC_PLUGIN_EXPORT PluginInfo qlcGetPluginInfo() {
  return {QLC_PLUGIN_API_VERSION, "fold-float-head-example", "1.0",
          registerExtensions};
}
