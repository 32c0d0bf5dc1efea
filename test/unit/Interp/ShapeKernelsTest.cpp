//===- ShapeKernelsTest.cpp - Reshape, Squeeze, Transpose, ... ------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "LightKernelTestUtils.h"

using namespace qlc;
using namespace qlc::test;

namespace {

std::vector<float> iota(int n) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i)
    v[i] = static_cast<float>(i);
  return v;
}

TEST(ShapeKernels, ReshapeCopiesZeroAndInfersMinusOne) {
  Tensor in = f32({2, 3, 4}, iota(24));
  Tensor out = runOk({"Reshape", {in, i64({2}, {0, -1})}});
  expectTensor<float>(out, {2, 12}, iota(24));
  // The data is shared, not copied.
  EXPECT_EQ(out.getStorage(), in.getStorage());
}

TEST(ShapeKernels, ReshapeAllowZero) {
  Tensor empty = f32({0, 3}, {});
  Tensor out = runOk(
      {"Reshape", {empty, i64({2}, {3, 0})}, {attrInt("allowzero", 1)}, 14});
  expectTensor<float>(out, {3, 0}, {});
  // Without allowzero the 0 copies dimension 1 (3): 9 elements != 0.
  std::string msg = runError({"Reshape", {empty, i64({2}, {3, 0})}, {}, 14});
  EXPECT_EQ(msg, "'n' (Reshape): cannot reshape [0, 3] to [3, 3]");
}

TEST(ShapeKernels, ReshapeErrorsAndOpset1) {
  Tensor in = f32({2, 3}, iota(6));
  EXPECT_EQ(runError({"Reshape", {in, i64({2}, {-1, -1})}}),
            "'n' (Reshape): shape has more than one -1");
  EXPECT_EQ(runError({"Reshape", {in, i64({1}, {4})}}),
            "'n' (Reshape): cannot reshape [2, 3] to [4]");
  Tensor old =
      runOk({"Reshape", {in}, {attrInts("shape", {3, -1})}, /*opset=*/1});
  expectTensor<float>(old, {3, 2}, iota(6));
}

TEST(ShapeKernels, Flatten) {
  Tensor in = f32({2, 3, 4}, iota(24));
  expectTensor<float>(runOk({"Flatten", {in}}), {2, 12}, iota(24));
  expectTensor<float>(runOk({"Flatten", {in}, {attrInt("axis", 0)}}), {1, 24},
                      iota(24));
  expectTensor<float>(runOk({"Flatten", {in}, {attrInt("axis", -1)}}), {6, 4},
                      iota(24));
  expectTensor<float>(runOk({"Flatten", {in}, {attrInt("axis", 3)}}), {24, 1},
                      iota(24));
}

TEST(ShapeKernels, SqueezeAxesAttributeThenInput) {
  Tensor in = f32({1, 3, 1}, {1, 2, 3});
  expectTensor<float>(runOk({"Squeeze", {in}, {attrInts("axes", {0, 2})}, 11}),
                      {3}, {1, 2, 3});
  expectTensor<float>(runOk({"Squeeze", {in, i64({1}, {-1})}, {}, 13}), {1, 3},
                      {1, 2, 3});
  expectTensor<float>(runOk({"Squeeze", {in}, {}, 13}), {3}, {1, 2, 3});
  EXPECT_EQ(runError({"Squeeze", {in, i64({1}, {1})}, {}, 13}),
            "'n' (Squeeze): cannot squeeze axis 1 of size 3");
}

TEST(ShapeKernels, UnsqueezeAxesAttributeThenInput) {
  Tensor in = f32({2, 3}, iota(6));
  expectTensor<float>(
      runOk({"Unsqueeze", {in}, {attrInts("axes", {0, 3})}, 11}), {1, 2, 3, 1},
      iota(6));
  expectTensor<float>(runOk({"Unsqueeze", {in, i64({2}, {-1, 0})}, {}, 13}),
                      {1, 2, 3, 1}, iota(6));
  EXPECT_EQ(runError({"Unsqueeze", {in, i64({2}, {1, 1})}, {}, 13}),
            "'n' (Unsqueeze): axis 1 is repeated");
  EXPECT_EQ(runError({"Unsqueeze", {in, i64({1}, {3})}, {}, 13}),
            "'n' (Unsqueeze): axis 3 is out of range for rank 3");
}

TEST(ShapeKernels, ShapeWithStartAndEnd) {
  Tensor in = f32({2, 3, 4, 5}, std::vector<float>(120, 0));
  expectTensor<int64_t>(runOk({"Shape", {in}}), {4}, {2, 3, 4, 5});
  expectTensor<int64_t>(
      runOk({"Shape", {in}, {attrInt("start", 1), attrInt("end", -1)}, 15}),
      {2}, {3, 4});
  expectTensor<int64_t>(
      runOk({"Shape", {in}, {attrInt("start", -10), attrInt("end", 1)}, 15}),
      {1}, {2});
  expectTensor<int64_t>(
      runOk({"Shape", {in}, {attrInt("start", 3), attrInt("end", 1)}, 15}), {0},
      {});
  expectTensor<int64_t>(runOk({"Size", {in}}), {}, {120});
}

TEST(ShapeKernels, ExpandIsBidirectional) {
  Tensor in = f32({3, 1}, {1, 2, 3});
  expectTensor<float>(runOk({"Expand", {in, i64({3}, {2, 1, 2})}}), {2, 3, 2},
                      {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3});
  expectTensor<float>(runOk({"Expand", {in, i64({1}, {1})}}), {3, 1},
                      {1, 2, 3});
  expectTensor<float>(runOk({"Expand", {in, i64({1}, {2})}}), {3, 2},
                      {1, 1, 2, 2, 3, 3});
  EXPECT_EQ(runError({"Expand", {in, i64({2}, {2, 1})}}),
            "'n' (Expand): cannot expand [3, 1] to [2, 1]");
}

TEST(ShapeKernels, Transpose) {
  expectTensor<float>(runOk({"Transpose", {f32({2, 3}, iota(6))}}), {3, 2},
                      {0, 3, 1, 4, 2, 5});
  expectTensor<float>(runOk({"Transpose",
                             {f32({2, 2, 2}, iota(8))},
                             {attrInts("perm", {1, 0, 2})}}),
                      {2, 2, 2}, {0, 1, 4, 5, 2, 3, 6, 7});
  expectTensor<int64_t>(runOk({"Transpose", {i64({1, 3}, {7, 8, 9})}}), {3, 1},
                        {7, 8, 9});
  EXPECT_EQ(
      runError(
          {"Transpose", {f32({2, 3}, iota(6))}, {attrInts("perm", {0, 0})}}),
      "'n' (Transpose): axis 0 is repeated");
}

TEST(ShapeKernels, ConstantOfShapeAndConstant) {
  expectTensor<float>(runOk({"ConstantOfShape", {i64({2}, {1, 2})}}), {1, 2},
                      {0, 0});
  Tensor seven = runOk({"ConstantOfShape",
                        {i64({2}, {2, 2})},
                        {{"value", Attribute::getTensor(i32({1}, {7}))}}});
  expectTensor<int32_t>(seven, {2, 2}, {7, 7, 7, 7});
  expectTensor<float>(runOk({"ConstantOfShape", {i64({1}, {0})}}), {0}, {});
  expectTensor<int64_t>(
      runOk({"Constant", {}, {attrInts("value_ints", {4, 5})}}), {2}, {4, 5});
  expectTensor<float>(runOk({"Constant", {}, {attrFloat("value_float", 2.5f)}}),
                      {}, {2.5f});
  EXPECT_EQ(runError({"Constant", {}, {attrInt("value_x", 1)}}),
            "'n' (Constant): unsupported attribute 'value_x'");
}

TEST(ShapeKernels, IdentityAndDropoutShareStorage) {
  Tensor in = f32({2}, {1, 2});
  EXPECT_EQ(runOk({"Identity", {in}}).getStorage(), in.getStorage());
  NodeRun dropout{"Dropout", {in}, {}, 13, /*numOutputs=*/2};
  auto outs = runNode(dropout);
  ASSERT_TRUE(bool(outs)) << llvm::toString(outs.takeError());
  EXPECT_EQ((*outs)[0].getStorage(), in.getStorage());
  expectTensor<bool>((*outs)[1], {2}, {true, true});
  EXPECT_EQ(
      runError({"Dropout", {in, f32({}, {0.5f}), make<bool>({}, {true})}}),
      "'n' (Dropout): training mode with a non-zero ratio is not supported");
  // Training with ratio 0 is deterministic.
  Tensor t = runOk({"Dropout", {in, f32({}, {0}), make<bool>({}, {true})}});
  expectTensor<float>(t, {2}, {1, 2});
}

} // namespace
