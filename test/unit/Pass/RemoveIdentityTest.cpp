//===- RemoveIdentityTest.cpp - Tests of the remove-identity pass ---------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "PassTestUtils.h"

#include "gtest/gtest.h"

using namespace qlc;
using namespace qlc::test;

namespace {
TensorType floatType() { return TensorType(ElementType::Float, {2, 3}); }

/// x -> Relu(a) -> <op>(b) -> Neg(y): the op's result is internal.
struct Chain {
  std::unique_ptr<Model> model;
  Graph *g;
  Value *x;
  Node *relu, *op, *neg;
  Chain(llvm::StringRef opType, int64_t opset = 17) : model(makeModel(opset)) {
    g = &model->getGraph();
    x = g->addInput("x", floatType());
    relu = g->createNode("Relu", {x}, "a");
    op = g->createNode(opType, {relu->getResult(0)}, "b");
    neg = g->createNode("Neg", {op->getResult(0)}, "y");
    g->addOutput(neg->getResult(0));
  }
};
} // namespace

TEST(RemoveIdentityTest, RewiresUsersOfAnInternalIdentity) {
  Chain c("Identity");
  auto pass = createPass("remove-identity");
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*pass, *c.model));
  EXPECT_TRUE(changed);
  EXPECT_EQ(countNodes(*c.model, "Identity"), 0u);
  EXPECT_EQ(c.neg->getInput(0), c.relu->getResult(0));
  EXPECT_EQ(getStatistic(*pass, "identities-removed"), 1u);
  QLC_ASSERT_OK_AND_ASSIGN(again, runPass(*pass, *c.model));
  EXPECT_FALSE(again);
}

TEST(RemoveIdentityTest, ProducerTakesTheOutputName) {
  auto model = makeModel();
  Graph &g = model->getGraph();
  Value *x = g.addInput("x", floatType());
  Node *relu = g.createNode("Relu", {x}, "a");
  Node *id = g.createNode("Identity", {relu->getResult(0)}, "y");
  id->getResult(0)->setType(floatType());
  g.addOutput(id->getResult(0));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*model, "remove-identity"));
  EXPECT_TRUE(changed);
  ASSERT_EQ(g.getOutputs().size(), 1u);
  EXPECT_EQ(g.getOutputs()[0]->getName(), "y");
  EXPECT_EQ(g.getOutputs()[0], relu->getResult(0));
  EXPECT_EQ(g.getOutputs()[0]->getType(), floatType());
  EXPECT_EQ(g.getNumNodes(), 1u);
}

TEST(RemoveIdentityTest, KeepsIdentityOfAGraphInputFeedingAnOutput) {
  auto model = makeModel();
  Graph &g = model->getGraph();
  Value *x = g.addInput("x", floatType());
  Node *id = g.createNode("Identity", {x}, "y");
  g.addOutput(id->getResult(0));
  auto pass = createPass("remove-identity");
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*pass, *model));
  EXPECT_FALSE(changed);
  EXPECT_EQ(g.getOutputs()[0]->getName(), "y");
  EXPECT_EQ(countNodes(*model, "Identity"), 1u);
  EXPECT_EQ(getStatistic(*pass, "kept-for-output-name"), 1u);
}

TEST(RemoveIdentityTest, KeepsIdentityBetweenTwoGraphOutputs) {
  auto model = makeModel();
  Graph &g = model->getGraph();
  Value *x = g.addInput("x", floatType());
  Node *relu = g.createNode("Relu", {x}, "a");
  Node *id = g.createNode("Identity", {relu->getResult(0)}, "b");
  g.addOutput(relu->getResult(0));
  g.addOutput(id->getResult(0));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*model, "remove-identity"));
  EXPECT_FALSE(changed);
  EXPECT_EQ(g.getOutputs()[0]->getName(), "a");
  EXPECT_EQ(g.getOutputs()[1]->getName(), "b");
}

TEST(RemoveIdentityTest, InitializerTakesTheOutputName) {
  auto model = makeModel();
  Graph &g = model->getGraph();
  Value *w = g.addInitializer("w", Tensor::fromValues<float>({2}, {1, 2}));
  Node *id = g.createNode("Identity", {w}, "y");
  g.addOutput(id->getResult(0));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*model, "remove-identity"));
  EXPECT_TRUE(changed);
  EXPECT_EQ(g.getOutputs()[0], w);
  EXPECT_EQ(w->getName(), "y");
  EXPECT_EQ(g.getNumNodes(), 0u);
}

TEST(RemoveIdentityTest, KeepsInitializerListedAsInput) {
  auto model = makeModel();
  Graph &g = model->getGraph();
  Value *w = g.addInitializer("w", Tensor::fromValues<float>({2}, {1, 2}));
  w->setListedAsInput(true);
  Node *id = g.createNode("Identity", {w}, "y");
  g.addOutput(id->getResult(0));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*model, "remove-identity"));
  EXPECT_FALSE(changed);
  EXPECT_EQ(w->getName(), "w");
}

TEST(RemoveIdentityTest, SubgraphReaderKeepsItsName) {
  // An If reads "b" implicitly (by name, from its opaque branches): the
  // forwarded value must be renamed "b".
  auto model = makeModel();
  Graph &g = model->getGraph();
  Value *x = g.addInput("x", floatType());
  Value *cond = g.addInput(
      "cond", TensorType(ElementType::Bool, llvm::ArrayRef<int64_t>{}));
  Node *relu = g.createNode("Relu", {x}, "a");
  Node *id = g.createNode("Identity", {relu->getResult(0)}, "b");
  Node *branch = g.createNode("If", {cond}, "y");
  branch->addImplicitInput(id->getResult(0));
  g.addOutput(branch->getResult(0));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*model, "remove-identity"));
  EXPECT_TRUE(changed);
  ASSERT_EQ(branch->getImplicitInputs().size(), 1u);
  EXPECT_EQ(branch->getImplicitInputs()[0], relu->getResult(0));
  EXPECT_EQ(relu->getResult(0)->getName(), "b");
}

TEST(RemoveIdentityTest, SubgraphReaderOfAGraphInputIdentityKeepsNode) {
  auto model = makeModel();
  Graph &g = model->getGraph();
  Value *x = g.addInput("x", floatType());
  Value *cond = g.addInput(
      "cond", TensorType(ElementType::Bool, llvm::ArrayRef<int64_t>{}));
  Node *id = g.createNode("Identity", {x}, "b");
  Node *branch = g.createNode("If", {cond}, "y");
  branch->addImplicitInput(id->getResult(0));
  g.addOutput(branch->getResult(0));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*model, "remove-identity"));
  EXPECT_FALSE(changed);
  EXPECT_EQ(branch->getImplicitInputs()[0]->getName(), "b");
}

TEST(RemoveIdentityTest, RemovesInferenceDropout) {
  Chain c("Dropout");
  // ratio given, training_mode constant false, mask declared but unused.
  Graph &g = *c.g;
  c.op->addInput(g.addInitializer("ratio", Tensor::scalar<float>(0.5f)));
  c.op->addInput(g.addInitializer("train", Tensor::scalar<bool>(false)));
  auto pass = createPass("remove-identity");
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*pass, *c.model));
  EXPECT_TRUE(changed);
  EXPECT_EQ(countNodes(*c.model, "Dropout"), 0u);
  EXPECT_EQ(c.neg->getInput(0), c.relu->getResult(0));
  EXPECT_EQ(getStatistic(*pass, "dropouts-removed"), 1u);
}

TEST(RemoveIdentityTest, RemovesDropoutWithUnusedMask) {
  auto model = makeModel(13);
  Graph &g = model->getGraph();
  Value *x = g.addInput("x", floatType());
  Node *drop = g.createNode("Dropout", {x}, {"d", "mask"});
  Node *neg = g.createNode("Neg", {drop->getResult(0)}, "y");
  g.addOutput(neg->getResult(0));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*model, "remove-identity"));
  EXPECT_TRUE(changed);
  EXPECT_EQ(neg->getInput(0), x);
  EXPECT_EQ(g.getNumNodes(), 1u);
}

TEST(RemoveIdentityTest, KeepsDropoutWhoseMaskIsUsed) {
  auto model = makeModel(13);
  Graph &g = model->getGraph();
  Value *x = g.addInput("x", floatType());
  Node *drop = g.createNode("Dropout", {x}, {"d", "mask"});
  Node *neg = g.createNode("Neg", {drop->getResult(0)}, "y");
  g.addOutput(neg->getResult(0));
  g.addOutput(drop->getResult(1));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*model, "remove-identity"));
  EXPECT_FALSE(changed);
  EXPECT_EQ(countNodes(*model, "Dropout"), 1u);
}

TEST(RemoveIdentityTest, KeepsTrainingModeDropout) {
  for (bool constantTrue : {true, false}) {
    Chain c("Dropout", 13);
    Graph &g = *c.g;
    c.op->addInput(nullptr); // ratio omitted
    Value *mode =
        constantTrue
            ? g.addInitializer("train", Tensor::scalar<bool>(true))
            : g.addInput("train", TensorType(ElementType::Bool,
                                             llvm::ArrayRef<int64_t>{}));
    c.op->addInput(mode);
    QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*c.model, "remove-identity"));
    EXPECT_FALSE(changed) << (constantTrue ? "constant true" : "graph input");
    EXPECT_EQ(countNodes(*c.model, "Dropout"), 1u);
  }
}

TEST(RemoveIdentityTest, OldDropoutFollowsIsTest) {
  Chain training("Dropout", 6);
  QLC_ASSERT_OK_AND_ASSIGN(changed,
                           runPass(*training.model, "remove-identity"));
  EXPECT_FALSE(changed); // is_test defaults to 0 before opset 7

  Chain testing("Dropout", 6);
  testing.op->setAttr("is_test", Attribute::getInt(1));
  QLC_ASSERT_OK_AND_ASSIGN(removed, runPass(*testing.model, "remove-identity"));
  EXPECT_TRUE(removed);

  Chain opset10("Dropout", 10); // no training mode between opsets 7 and 11
  QLC_ASSERT_OK_AND_ASSIGN(removed10,
                           runPass(*opset10.model, "remove-identity"));
  EXPECT_TRUE(removed10);
}

TEST(RemoveIdentityTest, IgnoresIdentityOfOtherDomains) {
  Chain c("Identity");
  Graph &g = *c.g;
  Node *custom = g.createNode("Identity", {c.relu->getResult(0)}, "c",
                              "com.example", c.neg);
  c.neg->setInput(0, custom->getResult(0));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*c.model, "remove-identity"));
  EXPECT_TRUE(changed); // the ONNX one
  EXPECT_EQ(c.neg->getInput(0), custom->getResult(0));
}
