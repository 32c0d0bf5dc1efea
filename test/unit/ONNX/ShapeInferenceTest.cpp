//===- ShapeInferenceTest.cpp - ONNX shape inference on the IR ------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "TestModels.h"

#include "qlc/ONNX/ShapeInference.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace qlc;
using namespace qlc::test;
using ::testing::HasSubstr;

namespace {

TensorType floatType(llvm::ArrayRef<int64_t> dims) {
  return TensorType(ElementType::Float, dims);
}

// Opset 15: Reshape-14 reads shapes computed by data propagation.
const char *kModel = R"(
  <ir_version: 8, opset_import: ["" : 15, "acme" : 1]>
  g (float[1,3,8,8] x) => (float[1,?] y, float[] z2)
    <float[1] w = {0}, int64[2] newshape = {1, -1}>
  {
    c = Conv <kernel_shape = [3, 3], pads = [1, 1, 1, 1]> (x, w)
    r = Relu (c)
    flat = Reshape (r, newshape)
    y = Identity (flat)
    s = Shape (x)
    same = Reshape (x, s)
    z = acme.Custom (r)
    z2 = Relu (z)
  }
)";

std::unique_ptr<Model> makeModel() {
  std::unique_ptr<Model> m = parseText(kModel);
  if (m)
    m->getGraph().lookupValue("w")->setConstant(
        Tensor(ElementType::Float, {4, 3, 3, 3}));
  return m;
}

TEST(ONNXShapeInference, InfersNodeResults) {
  std::unique_ptr<Model> m = makeModel();
  ASSERT_TRUE(m);
  llvm::Expected<bool> changed = inferShapes(*m);
  ASSERT_TRUE(bool(changed)) << errorMessage(changed.takeError());
  EXPECT_TRUE(*changed);
  Graph &g = m->getGraph();
  EXPECT_EQ(g.lookupValue("c")->getType(), floatType({1, 4, 8, 8}));
  EXPECT_EQ(g.lookupValue("r")->getType(), floatType({1, 4, 8, 8}));
  EXPECT_EQ(g.lookupValue("flat")->getType(), floatType({1, 256}));
  // The declared output [1,?] is refined, not replaced.
  EXPECT_EQ(g.lookupValue("y")->getType(), floatType({1, 256}));
  // Shape -> Reshape needs data propagation.
  EXPECT_EQ(g.lookupValue("same")->getType(), floatType({1, 3, 8, 8}));
  EXPECT_EQ(g.lookupValue("s")->getType(),
            TensorType(ElementType::Int64, llvm::ArrayRef<int64_t>({4})));
  // The custom op is skipped: its result stays unknown.
  EXPECT_TRUE(g.lookupValue("z")->getType().isUndefined());

  llvm::Expected<bool> again = inferShapes(*m);
  ASSERT_TRUE(bool(again));
  EXPECT_FALSE(*again);
}

TEST(ONNXShapeInference, KeepsKnownDimsWhereInferenceHasNone) {
  std::unique_ptr<Model> m = makeModel();
  ASSERT_TRUE(m);
  // Information a pass recorded that inference cannot derive survives.
  m->getGraph().lookupValue("z")->setType(floatType({1, 4, 8, 8}));
  ASSERT_TRUE(bool(inferShapes(*m)));
  EXPECT_EQ(m->getGraph().lookupValue("z")->getType(), floatType({1, 4, 8, 8}));
}

TEST(ONNXShapeInference, ConflictsAreErrors) {
  std::unique_ptr<Model> m = makeModel();
  ASSERT_TRUE(m);
  m->getGraph().lookupValue("y")->setType(floatType({1, 5}));
  llvm::Expected<bool> changed = inferShapes(*m);
  EXPECT_THAT(errorMessage(changed), HasSubstr("shape inference failed"));
}

TEST(ONNXShapeInference, UnimportedCustomDomainIsTolerated) {
  std::unique_ptr<Model> m = parseText(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[2] x) => (float[2] y) { t = acme.Op (x)
      y = Relu (x) }
  )");
  ASSERT_TRUE(m);
  llvm::Expected<bool> changed = inferShapes(*m);
  ASSERT_TRUE(bool(changed)) << errorMessage(changed.takeError());
  EXPECT_TRUE(m->getGraph().lookupValue("t")->getType().isUndefined());
}

} // namespace
