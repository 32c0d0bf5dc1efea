//===- InferShapesTest.cpp - Tests of the infer-shapes pass ---------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "PassTestUtils.h"

#include "gtest/gtest.h"

using namespace qlc;
using namespace qlc::test;

TEST(InferShapesTest, FillsUnknownResultTypes) {
  auto model = makeModel(13);
  Graph &g = model->getGraph();
  Value *x = g.addInput("x", TensorType(ElementType::Float, {1, 3, 4, 4}));
  Node *relu = g.createNode("Relu", {x}, "a");
  Value *shape = g.addInitializer(
      "shape",
      Tensor::fromValues<int64_t>({2}, llvm::ArrayRef<int64_t>{1, -1}));
  Node *reshape = g.createNode("Reshape", {relu->getResult(0), shape}, "y");
  g.addOutput(reshape->getResult(0));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*model, "infer-shapes"));
  EXPECT_TRUE(changed);
  EXPECT_EQ(relu->getResult(0)->getType().str(), "float[1,3,4,4]");
  EXPECT_EQ(reshape->getResult(0)->getType(),
            TensorType(ElementType::Float, {1, 48}));
  QLC_ASSERT_OK_AND_ASSIGN(again, runPass(*model, "infer-shapes"));
  EXPECT_FALSE(again);
}

TEST(InferShapesTest, KeepsTypesInferenceCannotCompute) {
  // A custom-domain op has no schema: its declared type must survive.
  auto model = makeModel(13);
  Graph &g = model->getGraph();
  Value *x = g.addInput("x", TensorType(ElementType::Float, {2, 3}));
  Node *custom = g.createNode("Quant", {x}, "q", "com.example");
  custom->getResult(0)->setType(TensorType(ElementType::Int8, {2, 3}));
  Node *neg = g.createNode("Neg", {x}, "y");
  g.addOutput(custom->getResult(0));
  g.addOutput(neg->getResult(0));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*model, "infer-shapes"));
  EXPECT_TRUE(changed); // Neg's result
  EXPECT_EQ(custom->getResult(0)->getType().str(), "int8[2,3]");
  EXPECT_EQ(neg->getResult(0)->getType().str(), "float[2,3]");
}
