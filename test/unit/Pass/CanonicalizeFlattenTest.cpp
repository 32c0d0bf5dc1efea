//===- CanonicalizeFlattenTest.cpp - Tests of canonicalize-flatten --------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "PassTestUtils.h"

#include "gtest/gtest.h"

using namespace qlc;
using namespace qlc::test;

namespace {
/// x -> Reshape(x, target) -> y (graph output).
struct ReshapeModel {
  std::unique_ptr<Model> model = makeModel();
  Graph &g = model->getGraph();
  Node *reshape;
  ReshapeModel(llvm::ArrayRef<Dim> xDims, llvm::ArrayRef<int64_t> target,
               bool allowZero = false) {
    Value *x = g.addInput("x", TensorType(ElementType::Float, xDims));
    Value *shape = g.addInitializer(
        "shape", Tensor::fromValues<int64_t>(
                     {static_cast<int64_t>(target.size())}, target));
    reshape = g.createNode("Reshape", {x, shape}, "y");
    reshape->setName("flatten_head");
    if (allowZero)
      reshape->setAttr("allowzero", Attribute::getInt(1));
    g.addOutput(reshape->getResult(0));
  }
  bool rewritten() const { return countNodes(*model, "Flatten") == 1; }
};

llvm::SmallVector<Dim, 4> dims(llvm::ArrayRef<int64_t> sizes) {
  llvm::SmallVector<Dim, 4> out;
  for (int64_t s : sizes)
    out.push_back(s < 0 ? Dim::symbolic("N") : Dim::known(s));
  return out;
}
} // namespace

TEST(CanonicalizeFlattenTest, RewritesFlatteningReshapes) {
  const std::vector<int64_t> targets[] = {
      {0, -1}, {2, -1}, {2, 48}, {-1, 48}, {0, 48}};
  for (const std::vector<int64_t> &target : targets) {
    ReshapeModel m(dims({2, 3, 4, 4}), target);
    TensorMap inputs{{"x", randomFloats({2, 3, 4, 4}, 1)}};
    QLC_ASSERT_OK_AND_ASSIGN(before, execute(*m.model, inputs));
    auto pass = createPass("canonicalize-flatten");
    QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*pass, *m.model));
    ASSERT_TRUE(changed) << formatShape(target);
    ASSERT_TRUE(m.rewritten());
    EXPECT_EQ(countNodes(*m.model, "Reshape"), 0u);
    const Node &flatten = m.g.getNodes().front();
    EXPECT_EQ(flatten.getAttrInt("axis", -7), 1);
    EXPECT_EQ(flatten.getName(), "flatten_head");
    EXPECT_EQ(m.g.getOutputs()[0]->getName(), "y");
    EXPECT_EQ(getStatistic(*pass, "reshapes-rewritten"), 1u);
    QLC_ASSERT_OK_AND_ASSIGN(after, execute(*m.model, inputs));
    EXPECT_TRUE(after.at("y").isIdenticalTo(before.at("y")));
  }
}

TEST(CanonicalizeFlattenTest, ZeroCopyFormNeedsNoKnownShape) {
  ReshapeModel m(dims({-1, 3, -1}), {0, -1});
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*m.model, "canonicalize-flatten"));
  EXPECT_TRUE(changed);
}

TEST(CanonicalizeFlattenTest, LeavesOtherReshapesAlone) {
  struct Case {
    std::vector<int64_t> x, target;
    bool allowZero;
  };
  const Case cases[] = {
      {{2, 3, 4, 4}, {3, -1}, false},    // wrong batch
      {{2, 3, 4, 4}, {2, 47}, false},    // wrong product
      {{2, 3, 4, 4}, {-1, -1}, false},   // invalid anyway
      {{2, 3, 4, 4}, {0, -1}, true},     // allowzero: 0 is a literal 0
      {{2, 3, 4, 4}, {2, 3, -1}, false}, // not 2-D
      {{2, 3, 4, 4}, {6, -1}, false},    // flattens more than the batch
      {{-1, 3, 4, 4}, {2, -1}, false},   // batch unknown
      {{2, -1, 4, 4}, {2, 48}, false},   // product unknown
      {{2, -1, 4, 4}, {-1, 48}, false},  // product unknown
  };
  for (const Case &k : cases) {
    ReshapeModel m(dims(k.x), k.target, k.allowZero);
    QLC_ASSERT_OK_AND_ASSIGN(changed,
                             runPass(*m.model, "canonicalize-flatten"));
    EXPECT_FALSE(changed) << formatShape(k.x) << " -> "
                          << formatShape(k.target);
    EXPECT_EQ(countNodes(*m.model, "Reshape"), 1u);
  }
}

TEST(CanonicalizeFlattenTest, LeavesNonConstantShapesAndFlattensAlone) {
  auto model = makeModel();
  Graph &g = model->getGraph();
  Value *x = g.addInput("x", TensorType(ElementType::Float, {2, 3, 4}));
  Value *s = g.addInput("s", TensorType(ElementType::Int64, {2}));
  Node *reshape = g.createNode("Reshape", {x, s}, "r");
  Node *flatten = g.createNode("Flatten", {x}, "f");
  flatten->setAttr("axis", Attribute::getInt(2));
  g.addOutput(reshape->getResult(0));
  g.addOutput(flatten->getResult(0));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*model, "canonicalize-flatten"));
  EXPECT_FALSE(changed);
  EXPECT_EQ(flatten->getAttrInt("axis", 0), 2);
}

TEST(CanonicalizeFlattenTest, TorchViewChainBecomesFlatten) {
  // x.view(x.size(0), -1) as PyTorch exports it (opset 13):
  // Shape -> Gather(0) -> Unsqueeze(axes=[0]) -> Concat([-1]) -> Reshape.
  auto model = makeModel(13);
  Graph &g = model->getGraph();
  Value *x = g.addInput("x", TensorType(ElementType::Float, {1, 8, 2, 2}));
  auto i64 = [&](llvm::StringRef name, llvm::ArrayRef<int64_t> v, bool scalar) {
    llvm::SmallVector<int64_t, 1> shape;
    if (!scalar)
      shape.push_back(static_cast<int64_t>(v.size()));
    return g.addInitializer(name, Tensor::fromValues<int64_t>(shape, v));
  };
  Node *relu = g.createNode("Relu", {x}, "features");
  Value *feat = relu->getResult(0);
  feat->setType(TensorType(ElementType::Float, {1, 8, 2, 2}));
  Node *shape = g.createNode("Shape", {feat}, "shape");
  Node *gather = g.createNode(
      "Gather", {shape->getResult(0), i64("zero", {0}, true)}, "batch");
  gather->setAttr("axis", Attribute::getInt(0));
  Node *unsq = g.createNode(
      "Unsqueeze", {gather->getResult(0), i64("axes", {0}, false)}, "batch1");
  Node *cat = g.createNode(
      "Concat", {unsq->getResult(0), i64("minus1", {-1}, false)}, "target");
  cat->setAttr("axis", Attribute::getInt(0));
  Node *reshape = g.createNode("Reshape", {feat, cat->getResult(0)}, "flat");
  g.addOutput(reshape->getResult(0));

  TensorMap inputs{{"x", randomFloats({1, 8, 2, 2}, 5)}};
  QLC_ASSERT_OK_AND_ASSIGN(before, execute(*model, inputs));
  QLC_ASSERT_OK_AND_ASSIGN(folded, runPass(*model, "fold-constants"));
  EXPECT_TRUE(folded);
  const Tensor *target = reshape->getInput(1)->getConstant();
  ASSERT_TRUE(target);
  EXPECT_EQ(target->toInt64s(), (std::vector<int64_t>{1, -1}));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*model, "canonicalize-flatten"));
  EXPECT_TRUE(changed);
  QLC_ASSERT_OK_AND_ASSIGN(cleaned, runPass(*model, "dce"));
  EXPECT_TRUE(cleaned);
  ASSERT_EQ(g.getNumNodes(), 2u);
  EXPECT_TRUE(g.getNodes().back().is("Flatten"));
  EXPECT_EQ(g.getOutputs()[0]->getName(), "flat");
  EXPECT_TRUE(g.getInitializers().empty());
  QLC_ASSERT_OK_AND_ASSIGN(after, execute(*model, inputs));
  EXPECT_TRUE(after.at("flat").isIdenticalTo(before.at("flat")));
}
