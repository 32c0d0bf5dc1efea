//===- FoldConstantsTest.cpp - Tests of the fold-constants pass -----------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "PassTestUtils.h"

#include "gtest/gtest.h"

using namespace qlc;
using namespace qlc::test;

namespace {
std::vector<int64_t> int64s(const Value *v) {
  EXPECT_TRUE(v && v->getConstant());
  if (!v || !v->getConstant())
    return {};
  return v->getConstant()->toInt64s();
}

Value *i64(Graph &g, llvm::StringRef name, llvm::ArrayRef<int64_t> values,
           bool scalar = false) {
  llvm::SmallVector<int64_t, 1> shape;
  if (!scalar)
    shape.push_back(static_cast<int64_t>(values.size()));
  return g.addInitializer(name, Tensor::fromValues<int64_t>(shape, values));
}
} // namespace

TEST(FoldConstantsTest, ShapeOfStaticInputBecomesAnInitializer) {
  auto model = makeModel();
  Graph &g = model->getGraph();
  Value *x = g.addInput("x", TensorType(ElementType::Float, {1, 3, 8, 8}));
  Node *shape = g.createNode("Shape", {x}, "s");
  g.addOutput(shape->getResult(0));
  auto pass = createPass("fold-constants");
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*pass, *model));
  EXPECT_TRUE(changed);
  EXPECT_EQ(g.getNumNodes(), 0u);
  Value *out = g.getOutputs()[0];
  EXPECT_EQ(out->getName(), "s");
  EXPECT_TRUE(out->isInitializer());
  EXPECT_EQ(int64s(out), (std::vector<int64_t>{1, 3, 8, 8}));
  EXPECT_EQ(getStatistic(*pass, "shapes-from-types"), 1u);
}

TEST(FoldConstantsTest, ShapeHonoursStartAndEnd) {
  auto model = makeModel(15);
  Graph &g = model->getGraph();
  Value *x = g.addInput("x", TensorType(ElementType::Float, {1, 3, 8, 5}));
  Node *shape = g.createNode("Shape", {x}, "s");
  shape->setAttr("start", Attribute::getInt(1));
  shape->setAttr("end", Attribute::getInt(-1));
  Node *size = g.createNode("Size", {x}, "n");
  g.addOutput(shape->getResult(0));
  g.addOutput(size->getResult(0));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*model, "fold-constants"));
  EXPECT_TRUE(changed);
  EXPECT_EQ(int64s(g.getOutputs()[0]), (std::vector<int64_t>{3, 8}));
  EXPECT_EQ(int64s(g.getOutputs()[1]), (std::vector<int64_t>{120}));
  EXPECT_EQ(g.getOutputs()[1]->getConstant()->getRank(), 0);
}

TEST(FoldConstantsTest, ShapeOfDynamicInputStays) {
  auto model = makeModel();
  Graph &g = model->getGraph();
  Value *x = g.addInput(
      "x", TensorType(ElementType::Float,
                      llvm::ArrayRef<Dim>{Dim::symbolic("N"), Dim::known(3)}));
  Node *shape = g.createNode("Shape", {x}, "s");
  g.addOutput(shape->getResult(0));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*model, "fold-constants"));
  EXPECT_FALSE(changed);
  EXPECT_EQ(g.getNumNodes(), 1u);
}

TEST(FoldConstantsTest, FoldsIntegerShapeArithmeticChains) {
  // Range(0, 6, 1) * 2 - 1, Cast to int32, Gather [1, 3]: all constant.
  auto model = makeModel();
  Graph &g = model->getGraph();
  Node *range =
      g.createNode("Range",
                   {i64(g, "start", {0}, true), i64(g, "limit", {6}, true),
                    i64(g, "delta", {1}, true)},
                   "r");
  Node *mul =
      g.createNode("Mul", {range->getResult(0), i64(g, "two", {2})}, "m");
  Node *sub = g.createNode("Sub", {mul->getResult(0), i64(g, "one", {1})}, "d");
  Node *cast = g.createNode("Cast", {sub->getResult(0)}, "c");
  cast->setAttr("to", Attribute::getInt(int64_t(ElementType::Int32)));
  Node *gather =
      g.createNode("Gather", {cast->getResult(0), i64(g, "idx", {1, 3})}, "y");
  g.addOutput(gather->getResult(0));
  auto pass = createPass("fold-constants");
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*pass, *model));
  EXPECT_TRUE(changed);
  EXPECT_EQ(g.getNumNodes(), 0u) << "one sweep folds the whole chain";
  Value *y = g.getOutputs()[0];
  EXPECT_EQ(y->getName(), "y");
  ASSERT_TRUE(y->getConstant());
  EXPECT_EQ(y->getElementType(), ElementType::Int32);
  EXPECT_EQ(int64s(y), (std::vector<int64_t>{1, 5}));
  EXPECT_EQ(getStatistic(*pass, "nodes-folded"), 5u);
  // The inputs are left for dce.
  EXPECT_TRUE(g.lookupValue("start") != nullptr);
}

TEST(FoldConstantsTest, FoldedModelComputesTheSame) {
  // y = x + Reshape(Concat(w1, w2), Shape(x)) with x static.
  auto model = makeModel();
  Graph &g = model->getGraph();
  Value *x = g.addInput("x", TensorType(ElementType::Float, {2, 3}));
  Value *w1 = g.addInitializer("w1", randomFloats({3}, 1));
  Value *w2 = g.addInitializer("w2", randomFloats({3}, 2));
  Node *cat = g.createNode("Concat", {w1, w2}, "cat");
  cat->setAttr("axis", Attribute::getInt(0));
  Node *shape = g.createNode("Shape", {x}, "shape");
  Node *reshape =
      g.createNode("Reshape", {cat->getResult(0), shape->getResult(0)}, "r");
  Node *add = g.createNode("Add", {x, reshape->getResult(0)}, "y");
  g.addOutput(add->getResult(0));
  TensorMap inputs{{"x", randomFloats({2, 3}, 3)}};
  QLC_ASSERT_OK_AND_ASSIGN(before, execute(*model, inputs));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*model, "fold-constants"));
  EXPECT_TRUE(changed);
  EXPECT_EQ(g.getNumNodes(), 1u);
  EXPECT_EQ(countNodes(*model, "Add"), 1u);
  QLC_ASSERT_OK_AND_ASSIGN(after, execute(*model, inputs));
  EXPECT_TRUE(after.at("y").isIdenticalTo(before.at("y")));
}

TEST(FoldConstantsTest, LargeFloatArithmeticStaysUnlessAllowed) {
  auto build = [](std::unique_ptr<Model> &model) {
    model = makeModel();
    Graph &g = model->getGraph();
    Value *w = g.addInitializer("w", randomFloats({2000}, 4));
    Value *s = g.addInitializer("s", Tensor::scalar<float>(0.5f));
    Node *mul = g.createNode("Mul", {w, s}, "y");
    g.addOutput(mul->getResult(0));
  };
  std::unique_ptr<Model> model;
  build(model);
  auto pass = createPass("fold-constants");
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*pass, *model));
  EXPECT_FALSE(changed);
  EXPECT_EQ(getStatistic(*pass, "declined-too-large"), 1u);

  build(model);
  QLC_ASSERT_OK_AND_ASSIGN(
      allowed, runPass(*model, "fold-constants", "max-float-size=2000"));
  EXPECT_TRUE(allowed);
  const Tensor *y = model->getGraph().getOutputs()[0]->getConstant();
  ASSERT_TRUE(y);
  const Tensor *w = model->getGraph().lookupValue("w")->getConstant();
  for (int64_t i = 0; i < 2000; ++i)
    ASSERT_EQ(y->getData<float>()[i], w->getData<float>()[i] * 0.5f);
}

TEST(FoldConstantsTest, SmallFloatArithmeticFolds) {
  auto model = makeModel();
  Graph &g = model->getGraph();
  Value *a = g.addInitializer("a", Tensor::fromValues<float>({2}, {1.5f, 2}));
  Node *neg = g.createNode("Neg", {a}, "y");
  g.addOutput(neg->getResult(0));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*model, "fold-constants"));
  EXPECT_TRUE(changed);
  EXPECT_EQ(g.getOutputs()[0]->getConstant()->toDoubles(),
            (std::vector<double>{-1.5, -2}));
}

TEST(FoldConstantsTest, HugeGeneratedResultIsRefusedBeforeComputing) {
  auto model = makeModel();
  Graph &g = model->getGraph();
  Node *big = g.createNode("ConstantOfShape",
                           {i64(g, "shape", {1000000, 1000000})}, "big");
  Node *small = g.createNode("ConstantOfShape", {i64(g, "shape2", {4})}, "s");
  small->setAttr("value", Attribute::getTensor(Tensor::fromValues<int64_t>(
                              {1}, llvm::ArrayRef<int64_t>{7})));
  g.addOutput(big->getResult(0));
  g.addOutput(small->getResult(0));
  auto pass = createPass("fold-constants");
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*pass, *model));
  EXPECT_TRUE(changed);
  EXPECT_EQ(countNodes(*model, "ConstantOfShape"), 1u);
  EXPECT_EQ(int64s(g.getOutputs()[1]), (std::vector<int64_t>{7, 7, 7, 7}));
  EXPECT_EQ(getStatistic(*pass, "declined-too-large"), 1u);
}

TEST(FoldConstantsTest, MaxSizeLimitsEveryResult) {
  auto model = makeModel();
  Graph &g = model->getGraph();
  Node *range = g.createNode("Range",
                             {i64(g, "a", {0}, true), i64(g, "b", {100}, true),
                              i64(g, "c", {1}, true)},
                             "r");
  g.addOutput(range->getResult(0));
  QLC_ASSERT_OK_AND_ASSIGN(changed,
                           runPass(*model, "fold-constants", "max-size=99"));
  EXPECT_FALSE(changed);
  QLC_ASSERT_OK_AND_ASSIGN(folded,
                           runPass(*model, "fold-constants", "max-size=100"));
  EXPECT_TRUE(folded);
  EXPECT_EQ(g.getOutputs()[0]->getConstant()->getNumElements(), 100);
}

TEST(FoldConstantsTest, OpsOptionSelectsWhatFolds) {
  auto model = makeModel();
  Graph &g = model->getGraph();
  Value *x = g.addInput("x", TensorType(ElementType::Float, {4}));
  Node *shape = g.createNode("Shape", {x}, "s");
  Node *add = g.createNode("Add", {i64(g, "a", {1}), i64(g, "b", {2})}, "t");
  g.addOutput(shape->getResult(0));
  g.addOutput(add->getResult(0));
  QLC_ASSERT_OK_AND_ASSIGN(changed,
                           runPass(*model, "fold-constants", "ops=Add"));
  EXPECT_TRUE(changed);
  EXPECT_EQ(countNodes(*model, "Shape"), 1u);
  EXPECT_EQ(countNodes(*model, "Add"), 0u);
  EXPECT_EQ(int64s(g.getOutputs()[1]), (std::vector<int64_t>{3}));
}

TEST(FoldConstantsTest, FailingOrMissingKernelIsNotAnError) {
  auto model = makeModel();
  Graph &g = model->getGraph();
  Value *data = g.addInitializer("data", randomFloats({2, 3}, 5));
  // 6 elements cannot take the shape [4, 2].
  Node *bad = g.createNode("Reshape", {data, i64(g, "shape", {4, 2})}, "r");
  Node *custom = g.createNode("Foo", {i64(g, "k", {1})}, "f", "com.example");
  Node *unknown = g.createNode("NoSuchOp", {i64(g, "k2", {1})}, "u");
  g.addOutput(bad->getResult(0));
  g.addOutput(custom->getResult(0));
  g.addOutput(unknown->getResult(0));
  auto pass = createPass("fold-constants", "ops=Reshape,Foo,NoSuchOp");
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*pass, *model));
  EXPECT_FALSE(changed);
  EXPECT_EQ(g.getNumNodes(), 3u);
  // Reshape's kernel fails, NoSuchOp has none; Foo is not ONNX at all.
  EXPECT_EQ(getStatistic(*pass, "declined-no-kernel"), 2u);
}

TEST(FoldConstantsTest, NonConstantInputsAndRandomOpsStay) {
  auto model = makeModel();
  Graph &g = model->getGraph();
  Value *x = g.addInput("x", TensorType(ElementType::Int64, {2}));
  Node *add = g.createNode("Add", {x, i64(g, "one", {1})}, "a");
  Node *rnd = g.createNode("RandomUniform", {}, "r");
  rnd->setAttr("shape", Attribute::getInts({2}));
  g.addOutput(add->getResult(0));
  g.addOutput(rnd->getResult(0));
  QLC_ASSERT_OK_AND_ASSIGN(
      changed, runPass(*model, "fold-constants", "ops=Add,RandomUniform"));
  EXPECT_FALSE(changed);
  EXPECT_EQ(g.getNumNodes(), 2u);
}

TEST(FoldConstantsTest, DeadNodesAreLeftToDce) {
  auto model = makeModel();
  Graph &g = model->getGraph();
  Value *x = g.addInput("x", TensorType(ElementType::Float, {4}));
  g.createNode("Shape", {x}, "unused");
  g.addOutput(x);
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*model, "fold-constants"));
  EXPECT_FALSE(changed);
}

TEST(FoldConstantsTest, RejectsNegativeLimits) {
  auto model = makeModel();
  auto changed = runPass(*model, "fold-constants", "max-size=-1");
  ASSERT_FALSE(changed);
  EXPECT_EQ(errorMessage(changed.takeError()),
            "max-size and max-float-size must be >= 0");
}

TEST(FoldConstantsTest, BadOptionValuesAreRejected) {
  auto model = makeModel();
  auto pass = test::createPass("fold-constants");
  ASSERT_TRUE(pass);
  EXPECT_EQ(errorMessage(pass->parseOptions("max-size=big")),
            "option 'max-size': invalid value 'big', expected an integer");
}
