//===- PatternRewriteTest.cpp - DAG matching and the greedy driver --------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/IR/Verifier.h"
#include "qlc/Rewrite/PatternRewrite.h"

#include "gtest/gtest.h"

using namespace qlc;
using namespace qlc::pat;

namespace {

/// y = Relu(Add(x, c)) with c = {1, 2}; z = Neg(y).
struct AddRelu {
  Model model;
  Graph &g = model.getGraph();
  Value *x, *c;
  Node *add, *relu, *neg;
  AddRelu(bool constantFirst = false) {
    x = g.addInput("x", TensorType(ElementType::Float, {2}));
    c = g.addInitializer("c", Tensor::fromValues<float>({2}, {1, 2}));
    add = g.createNode("Add", constantFirst ? llvm::ArrayRef<Value *>{c, x}
                                            : llvm::ArrayRef<Value *>{x, c},
                       llvm::StringRef("s"));
    relu = g.createNode("Relu", {add->getResult(0)}, llvm::StringRef("y"));
    neg = g.createNode("Neg", {relu->getResult(0)}, llvm::StringRef("z"));
    g.addOutput(neg->getResult(0));
  }
};

OpPattern reluOfAddConstant() {
  return op("Relu").as("relu").operand(
      0, op("Add").as("add").commutative().operand(0, any().as("x")).operand(
             1, constant().as("c")));
}

TEST(DagPatternTest, MatchesAndCaptures) {
  AddRelu s;
  MatchResult m;
  ASSERT_TRUE(matchDag(reluOfAddConstant(), *s.relu, m));
  EXPECT_EQ(m.root, s.relu);
  EXPECT_EQ(m.getNode("add"), s.add);
  EXPECT_EQ(m.getValue("x"), s.x);
  EXPECT_EQ(m.getValue("relu"), s.relu->getResult(0));
  ASSERT_NE(m.getConstant("c"), nullptr);
  EXPECT_EQ(m.getConstant("c")->getData<float>()[1], 2.0f);
  ASSERT_EQ(m.matchedNodes.size(), 2u);
  EXPECT_EQ(m.matchedNodes[0], s.relu);
}

TEST(DagPatternTest, CommutativeTriesBothOrders) {
  AddRelu s(/*constantFirst=*/true);
  MatchResult m;
  ASSERT_TRUE(matchDag(reluOfAddConstant(), *s.relu, m));
  EXPECT_EQ(m.getValue("x"), s.x);
  EXPECT_EQ(m.getValue("c"), s.c);
  // Without commutative(), the swapped operands do not match.
  OpPattern strict = op("Relu").operand(
      0, op("Add").operand(0, any()).operand(1, constant()));
  EXPECT_FALSE(matchDag(strict, *s.relu, m));
  EXPECT_EQ(m.root, nullptr);
}

TEST(DagPatternTest, IntermediateWithOutsideReaderDoesNotMatch) {
  AddRelu s;
  s.g.createNode("Sigmoid", {s.add->getResult(0)}, llvm::StringRef("other"));
  MatchResult m;
  EXPECT_FALSE(matchDag(reluOfAddConstant(), *s.relu, m));
  OpPattern lenient = reluOfAddConstant();
  lenient.operands[0].second.producer->allowExternalUses();
  EXPECT_TRUE(matchDag(lenient, *s.relu, m));
}

TEST(DagPatternTest, PredicatesAttributesAndRepeatedCaptures) {
  Model model;
  Graph &g = model.getGraph();
  Value *x = g.addInput("x", TensorType(ElementType::Float, {2}));
  Node *mul = g.createNode("Mul", {x, x}, llvm::StringRef("sq"));
  Node *f = g.createNode("Flatten", {mul->getResult(0)}, llvm::StringRef("f"));
  f->setAttr("axis", Attribute::getInt(1));
  g.addOutput(f->getResult(0));
  MatchResult m;
  OpPattern square = op("Mul").operand(0, any().as("v")).operand(1, any().as("v"));
  EXPECT_TRUE(matchDag(op("Flatten").operand(0, square), *f, m));
  EXPECT_TRUE(matchDag(op("Flatten").attrEquals("axis", Attribute::getInt(1)),
                       *f, m));
  EXPECT_FALSE(matchDag(op("Flatten").attrEquals("axis", Attribute::getInt(0)),
                        *f, m));
  EXPECT_TRUE(matchDag(
      op("Flatten").attrEqualsOrAbsent("missing", Attribute::getInt(3)), *f, m));
  EXPECT_FALSE(matchDag(op("Flatten").where(
                            [](const Node &n) { return n.getNumInputs() > 1; }),
                        *f, m));
  // An omitted operand matches only an optional pattern.
  EXPECT_FALSE(matchDag(op("Flatten").operand(1, any()), *f, m));
  EXPECT_TRUE(matchDag(op("Flatten").operand(1, any().orAbsent()), *f, m));
  EXPECT_FALSE(matchDag(op("Flatten").operand(0, constant()), *f, m));
  EXPECT_FALSE(matchDag(op("Flatten", "qlc"), *f, m));
}

/// Relu(Add(x, c)) -> Relu(Sub(x, -c)) counts its rewrites.
class AddToSub : public DagRewritePattern {
public:
  AddToSub() : DagRewritePattern("add-to-sub", reluOfAddConstant()) {}

protected:
  llvm::Expected<bool> rewrite(const MatchResult &m,
                               PatternRewriter &rewriter) const override {
    Tensor negated = m.getConstant("c")->clone();
    for (float &v : negated.getMutableData<float>())
      v = -v;
    Value *c = rewriter.createConstant("negated", negated);
    Node *sub = rewriter.createNode("Sub", {m.getValue("x"), c}, "sub");
    Node *relu = rewriter.createNode("Relu", {sub->getResult(0)}, "relu");
    rewriter.replaceValue(m.getValue("relu"), relu->getResult(0));
    return true;
  }
};

TEST(GreedyDriverTest, RewritesErasesDeadAndKeepsNames) {
  AddRelu s;
  PatternSet set;
  set.add(std::make_unique<AddToSub>());
  RewriteStats stats;
  llvm::Expected<bool> changed =
      applyPatternsGreedily(s.model, set, {}, &stats);
  ASSERT_TRUE(bool(changed)) << llvm::toString(changed.takeError());
  EXPECT_TRUE(*changed);
  EXPECT_EQ(stats.applications.lookup("add-to-sub"), 1u);
  EXPECT_EQ(s.g.getNumNodes(), 3u); // Sub, Relu, Neg
  // The replacement took the name of the value it replaced.
  Value *y = s.g.lookupValue("y");
  ASSERT_NE(y, nullptr);
  EXPECT_TRUE(y->getDefiningNode()->is("Relu"));
  EXPECT_TRUE(y->getDefiningNode()->getInput(0)->getDefiningNode()->is("Sub"));
  // The unused constant went with the Add.
  EXPECT_EQ(s.g.lookupValue("c"), nullptr);
  llvm::Error err = verify(s.model);
  EXPECT_FALSE(err) << llvm::toString(std::move(err));
  // Nothing left to rewrite.
  changed = applyPatternsGreedily(s.model, set);
  ASSERT_TRUE(bool(changed));
  EXPECT_FALSE(*changed);
}

/// Rewrites every Relu into a fresh Relu: never converges.
class Forever : public RewritePattern {
public:
  Forever() : RewritePattern("forever", "Relu") {}
  llvm::Expected<bool> matchAndRewrite(Node &root,
                                       PatternRewriter &rewriter) const override {
    Node *n = rewriter.createNode("Relu", {root.getInput(0)}, "again");
    rewriter.replaceValue(root.getResult(0), n->getResult(0));
    return true;
  }
};

TEST(GreedyDriverTest, NonConvergingSetFails) {
  AddRelu s;
  PatternSet set;
  set.add(std::make_unique<Forever>());
  GreedyRewriteConfig config;
  config.maxIterations = 2;
  llvm::Expected<bool> changed = applyPatternsGreedily(s.model, set, config);
  ASSERT_FALSE(bool(changed));
  EXPECT_NE(llvm::toString(changed.takeError()).find("did not converge"),
            std::string::npos);
}

/// Fails on every Relu: the error names the pattern.
class Failing : public RewritePattern {
public:
  Failing() : RewritePattern("failing", "Relu") {}
  llvm::Expected<bool> matchAndRewrite(Node &root,
                                       PatternRewriter &) const override {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "bad node");
  }
};

TEST(GreedyDriverTest, PatternErrorsNameThePattern) {
  AddRelu s;
  PatternSet set;
  set.add(std::make_unique<Failing>());
  llvm::Expected<bool> changed = applyPatternsGreedily(s.model, set);
  ASSERT_FALSE(bool(changed));
  EXPECT_EQ(llvm::toString(changed.takeError()), "pattern 'failing': bad node");
}

TEST(PatternRegistryTest, RejectsDuplicatesAndListsByOrigin) {
  PatternRegistry registry;
  ASSERT_FALSE(bool(registry.add(std::make_shared<AddToSub>(), "built-in")));
  llvm::Error dup = registry.add(std::make_shared<AddToSub>(), "file x.json");
  ASSERT_TRUE(bool(dup));
  EXPECT_NE(llvm::toString(std::move(dup)).find("already registered"),
            std::string::npos);
  ASSERT_FALSE(bool(registry.add(std::make_shared<Forever>(), "file a.json")));
  EXPECT_EQ(registry.getNamesFromOrigin("file "),
            std::vector<std::string>{"forever"});
  EXPECT_NE(registry.lookup("add-to-sub"), nullptr);
  EXPECT_EQ(registry.lookup("nope"), nullptr);
}

} // namespace
