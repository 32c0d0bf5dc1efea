//===- GraphTest.cpp - IR construction and surgery tests ------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/IR/Model.h"
#include "qlc/IR/Verifier.h"

#include "gtest/gtest.h"

using namespace qlc;

namespace {
/// x -> Relu -> a -> Neg -> y, with a constant w feeding an Add.
struct SmallGraph {
  Model model;
  Graph &g = model.getGraph();
  Value *x, *w;
  Node *relu, *add, *neg;
  SmallGraph() {
    x = g.addInput("x", TensorType(ElementType::Float, {2}));
    w = g.addInitializer("w", Tensor::fromValues<float>({2}, {1, 2}));
    relu = g.createNode("Relu", {x}, "a");
    add = g.createNode("Add", {relu->getResult(0), w}, "b");
    neg = g.createNode("Neg", {add->getResult(0)}, "y");
    g.addOutput(neg->getResult(0));
  }
};
} // namespace

static void expectVerifies(const Model &m) {
  llvm::Error err = verify(m);
  EXPECT_FALSE(err) << llvm::toString(std::move(err));
}

TEST(GraphTest, UseListsTrackOperands) {
  SmallGraph s;
  Value *a = s.relu->getResult(0);
  ASSERT_EQ(a->getNumUses(), 1u);
  EXPECT_EQ(a->getUses()[0].user, s.add);
  EXPECT_EQ(a->getUses()[0].index, 0u);
  s.add->setInput(0, s.x);
  EXPECT_FALSE(a->hasUses());
  EXPECT_EQ(s.x->getNumUses(), 2u);
  expectVerifies(s.model);
}

TEST(GraphTest, ReplaceAllUsesIncludesGraphOutputs) {
  SmallGraph s;
  Value *y = s.neg->getResult(0);
  Value *b = s.add->getResult(0);
  s.g.replaceAllUsesWith(y, b);
  EXPECT_EQ(s.g.getOutputs()[0], b);
  EXPECT_FALSE(y->isLive());
  s.g.eraseNode(s.neg);
  expectVerifies(s.model);
}

TEST(GraphTest, ReplaceKeepingOutputNamesRenames) {
  SmallGraph s;
  Value *b = s.add->getResult(0);
  ASSERT_TRUE(
      s.g.replaceValueKeepingOutputNames(s.neg->getResult(0), b));
  s.g.eraseNode(s.neg);
  EXPECT_EQ(s.g.getOutputs()[0]->getName(), "y");
  EXPECT_EQ(b->getName(), "y");
  EXPECT_EQ(s.g.lookupValue("y"), b);
  expectVerifies(s.model);
}

TEST(GraphTest, ReplaceKeepingOutputNamesRefusesGraphInputs) {
  SmallGraph s;
  EXPECT_FALSE(s.g.replaceValueKeepingOutputNames(s.neg->getResult(0), s.x));
  EXPECT_EQ(s.g.getOutputs()[0], s.neg->getResult(0));
}

TEST(GraphTest, UniqueNamesAreDeterministic) {
  SmallGraph s;
  EXPECT_EQ(s.g.makeUniqueName("a"), "a_1");
  EXPECT_EQ(s.g.makeUniqueName("a"), "a_2");
  EXPECT_EQ(s.g.makeUniqueName("fresh"), "fresh");
  EXPECT_EQ(s.g.makeUniqueName("fresh"), "fresh_1");
  s.g.reserveName("inner");
  EXPECT_EQ(s.g.makeUniqueName("inner"), "inner_1");
}

TEST(GraphTest, InsertBeforeAndErase) {
  SmallGraph s;
  Node *id = s.g.createNode("Identity", {s.x}, "xi", "", s.relu);
  s.relu->setInput(0, id->getResult(0));
  EXPECT_EQ(&s.g.getNodes().front(), id);
  expectVerifies(s.model);
  s.relu->setInput(0, s.x);
  s.g.eraseNode(id);
  EXPECT_EQ(s.g.getNumNodes(), 3u);
  EXPECT_EQ(s.g.lookupValue("xi"), nullptr);
  expectVerifies(s.model);
}

TEST(GraphTest, SortTopologicallyIsStable) {
  SmallGraph s;
  s.g.moveBefore(s.neg, s.relu); // y = Neg(b) now comes first
  EXPECT_TRUE(bool(verify(s.model)) ) << "order must be rejected";
  llvm::consumeError(verify(s.model));
  ASSERT_FALSE(bool(s.g.sortTopologically()));
  std::vector<std::string> order;
  for (Node &n : s.g.getNodes())
    order.push_back(n.getOpType().str());
  EXPECT_EQ(order, (std::vector<std::string>{"Relu", "Add", "Neg"}));
  expectVerifies(s.model);
}

TEST(GraphTest, SortTopologicallyReportsCycles) {
  SmallGraph s;
  s.relu->setInput(0, s.neg->getResult(0)); // Relu <- Neg <- Add <- Relu
  llvm::Error err = s.g.sortTopologically();
  ASSERT_TRUE(bool(err));
  EXPECT_NE(llvm::toString(std::move(err)).find("cycle"), std::string::npos);
}

TEST(GraphTest, CloneIsDeepAndEqual) {
  SmallGraph s;
  s.add->setAttr("note", Attribute::getString("kept"));
  std::unique_ptr<Model> copy = s.model.clone();
  expectVerifies(*copy);
  Graph &g2 = copy->getGraph();
  EXPECT_EQ(g2.getNumNodes(), 3u);
  Value *w2 = g2.lookupValue("w");
  ASSERT_TRUE(w2 && w2->isInitializer());
  EXPECT_TRUE(w2->getConstant()->isIdenticalTo(*s.w->getConstant()));
  EXPECT_NE(w2, s.w);
  Node &add2 = *std::next(g2.getNodes().begin());
  EXPECT_EQ(add2.getAttrString("note", ""), "kept");
  EXPECT_EQ(g2.getOutputs()[0]->getName(), "y");
}

TEST(GraphTest, CloneNodesRemapsOperands) {
  SmallGraph s;
  llvm::DenseMap<Value *, Value *> mapping;
  Value *x2 = s.g.addInput("x2", TensorType(ElementType::Float, {2}));
  mapping[s.x] = x2;
  s.g.cloneNodes({s.relu, s.add}, mapping);
  Value *b2 = mapping[s.add->getResult(0)];
  ASSERT_TRUE(b2);
  EXPECT_EQ(b2->getName(), "b_1");
  EXPECT_EQ(b2->getDefiningNode()->getInput(1), s.w);
  EXPECT_EQ(mapping[s.relu->getResult(0)]->getDefiningNode()->getInput(0), x2);
  expectVerifies(s.model);
}

TEST(GraphTest, EpochMovesOnMutation) {
  SmallGraph s;
  uint64_t before = s.g.getEpoch();
  s.neg->setAttr("a", Attribute::getInt(1));
  EXPECT_GT(s.g.getEpoch(), before);
}

TEST(GraphTest, AttributeAccessorsAndDefaults) {
  SmallGraph s;
  s.add->setAttr("ks", Attribute::getInts({3, 3}));
  s.add->setAttr("alpha", Attribute::getFloat(0.5f));
  EXPECT_EQ(s.add->getAttrInts("ks"), (llvm::SmallVector<int64_t, 4>{3, 3}));
  EXPECT_EQ(s.add->getAttrFloat("alpha", 1.0f), 0.5f);
  EXPECT_EQ(s.add->getAttrInt("missing", 4), 4);
  EXPECT_EQ(s.add->getAttrInt("alpha", 4), 4); // wrong kind: default
  EXPECT_TRUE(s.add->removeAttr("ks"));
  EXPECT_FALSE(s.add->hasAttr("ks"));
}

TEST(GraphTest, OpsetLookupTreatsAiOnnxAsDefault) {
  Model m;
  m.opsets = {{"", 13}, {"qlc", 1}};
  EXPECT_EQ(m.getOpsetVersion("ai.onnx"), 13);
  EXPECT_EQ(m.getOpsetVersion("qlc"), 1);
  EXPECT_EQ(m.getOpsetVersion("other"), -1);
  m.setOpsetVersion("ai.onnx", 17);
  EXPECT_EQ(m.getOpsetVersion(""), 17);
}
