//===- TensorKernelsTest.cpp - Slice, Split, Concat, Pad, Gather, ... -----===//
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

Tensor slice1d(int64_t start, int64_t end, int64_t step) {
  return runOk({"Slice",
                {f32({10}, iota(10)), i64({1}, {start}), i64({1}, {end}),
                 i64({1}, {0}), i64({1}, {step})}});
}

TEST(SliceKernel, NegativeStepsAndClamping) {
  expectTensor<float>(slice1d(-1, INT64_MIN, -1), {10},
                      {9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  expectTensor<float>(slice1d(8, 2, -3), {2}, {8, 5});
  expectTensor<float>(slice1d(20, 1, -2), {4}, {9, 7, 5, 3});
  expectTensor<float>(slice1d(-100, 100, 1), {10}, iota(10));
  expectTensor<float>(slice1d(5, 2, 1), {0}, {});
  expectTensor<float>(slice1d(-3, INT64_MAX, 2), {2}, {7, 9});
}

TEST(SliceKernel, TwoAxesWithNegativeAxisAndStep) {
  Tensor out = runOk({"Slice",
                      {f32({2, 4}, iota(8)), i64({2}, {0, 3}), i64({2}, {2, 0}),
                       i64({2}, {0, -1}), i64({2}, {1, -2})}});
  expectTensor<float>(out, {2, 2}, {3, 1, 7, 5});
  // Omitted axes and steps: the leading axes, step 1.
  Tensor def =
      runOk({"Slice", {f32({2, 4}, iota(8)), i64({1}, {1}), i64({1}, {2})}});
  expectTensor<float>(def, {1, 4}, {4, 5, 6, 7});
}

TEST(SliceKernel, Opset1AttributesAndErrors) {
  Tensor out = runOk({"Slice",
                      {f32({10}, iota(10))},
                      {attrInts("starts", {7}), attrInts("ends", {1000}),
                       attrInts("axes", {0})},
                      /*opset=*/1});
  expectTensor<float>(out, {3}, {7, 8, 9});
  EXPECT_EQ(runError({"Slice",
                      {f32({10}, iota(10)), i64({1}, {0}), i64({1}, {5}),
                       i64({1}, {0}), i64({1}, {0})}}),
            "'n' (Slice): steps must not be 0");
  EXPECT_EQ(runError({"Slice",
                      {f32({10}, iota(10)), i64({1}, {0}), i64({1}, {5}),
                       i64({1}, {1})}}),
            "'n' (Slice): axis 1 is out of range for rank 1");
}

TEST(SplitKernel, AttributeInputAndEqualParts) {
  NodeRun run{"Split",
              {f32({6}, {1, 2, 3, 4, 5, 6})},
              {attrInts("split", {2, 4})},
              11,
              2};
  auto outs = runNode(run);
  ASSERT_TRUE(bool(outs)) << llvm::toString(outs.takeError());
  expectTensor<float>((*outs)[0], {2}, {1, 2});
  expectTensor<float>((*outs)[1], {4}, {3, 4, 5, 6});

  run = {"Split",
         {f32({2, 3}, iota(6)), i64({2}, {1, 2})},
         {attrInt("axis", 1)},
         13,
         2};
  outs = runNode(run);
  ASSERT_TRUE(bool(outs)) << llvm::toString(outs.takeError());
  expectTensor<float>((*outs)[0], {2, 1}, {0, 3});
  expectTensor<float>((*outs)[1], {2, 2}, {1, 2, 4, 5});

  run = {"Split", {f32({6}, iota(6))}, {}, 13, 3};
  outs = runNode(run);
  ASSERT_TRUE(bool(outs)) << llvm::toString(outs.takeError());
  expectTensor<float>((*outs)[2], {2}, {4, 5});

  run = {"Split", {f32({6}, iota(6)), i64({2}, {0, 6})}, {}, 13, 2};
  outs = runNode(run);
  ASSERT_TRUE(bool(outs)) << llvm::toString(outs.takeError());
  expectTensor<float>((*outs)[0], {0}, {});
}

TEST(SplitKernel, Opset18NumOutputsAndErrors) {
  NodeRun run{"Split", {f32({7}, iota(7))}, {attrInt("num_outputs", 3)}, 18, 3};
  auto outs = runNode(run);
  ASSERT_TRUE(bool(outs)) << llvm::toString(outs.takeError());
  expectTensor<float>((*outs)[0], {3}, {0, 1, 2});
  expectTensor<float>((*outs)[2], {1}, {6});
  run = {"Split", {f32({7}, iota(7))}, {}, 13, 2};
  EXPECT_EQ(runError(run),
            "'n' (Split): dimension 7 is not evenly splittable into 2 outputs");
  run = {"Split", {f32({7}, iota(7)), i64({2}, {3, 3})}, {}, 13, 2};
  EXPECT_EQ(runError(run), "'n' (Split): split sizes add up to 6, expected 7");
}

TEST(ConcatKernel, NegativeAxisEmptyInputAndMismatch) {
  Tensor out =
      runOk({"Concat",
             {f32({2, 1}, {1, 2}), f32({2, 0}, {}), f32({2, 2}, {3, 4, 5, 6})},
             {attrInt("axis", -1)}});
  expectTensor<float>(out, {2, 3}, {1, 3, 4, 2, 5, 6});
  EXPECT_EQ(runError({"Concat",
                      {f32({2, 1}, {1, 2}), f32({3, 1}, {1, 2, 3})},
                      {attrInt("axis", 1)}}),
            "'n' (Concat): input 1 has shape [3, 1], incompatible with [2, 1] "
            "on axis 1");
}

TEST(TileKernel, RepeatsEveryAxis) {
  expectTensor<int64_t>(runOk({"Tile", {i64({2}, {1, 2}), i64({1}, {3})}}), {6},
                        {1, 2, 1, 2, 1, 2});
  expectTensor<float>(
      runOk({"Tile", {f32({2, 2}, {1, 2, 3, 4}), i64({2}, {2, 1})}}), {4, 2},
      {1, 2, 3, 4, 1, 2, 3, 4});
  expectTensor<float>(runOk({"Tile", {f32({1, 2}, {1, 2}), i64({2}, {2, 2})}}),
                      {2, 4}, {1, 2, 1, 2, 1, 2, 1, 2});
}

TEST(PadKernel, Modes1D) {
  Tensor x = f32({3}, {1, 2, 3});
  expectTensor<float>(runOk({"Pad", {x, i64({2}, {1, 2}), f32({}, {9})}}), {6},
                      {9, 1, 2, 3, 9, 9});
  expectTensor<float>(
      runOk({"Pad", {x, i64({2}, {2, 2})}, {attrString("mode", "reflect")}}),
      {7}, {3, 2, 1, 2, 3, 2, 1});
  expectTensor<float>(
      runOk({"Pad", {x, i64({2}, {2, 1})}, {attrString("mode", "edge")}}), {6},
      {1, 1, 1, 2, 3, 3});
  expectTensor<float>(
      runOk({"Pad", {x, i64({2}, {2, 1})}, {attrString("mode", "wrap")}}), {6},
      {2, 3, 1, 2, 3, 1});
  // Negative pads crop.
  expectTensor<float>(
      runOk({"Pad", {f32({4}, {1, 2, 3, 4}), i64({2}, {-1, 1})}}), {4},
      {2, 3, 4, 0});
}

TEST(PadKernel, Reflect2DAndOpset2Attributes) {
  Tensor out = runOk({"Pad",
                      {f32({2, 2}, {1, 2, 3, 4}), i64({4}, {1, 0, 0, 1})},
                      {attrString("mode", "reflect")}});
  expectTensor<float>(out, {3, 3}, {3, 4, 3, 1, 2, 1, 3, 4, 3});
  Tensor old = runOk({"Pad",
                      {f32({1, 2}, {1, 2})},
                      {attrInts("pads", {1, 1, 0, 0}), attrFloat("value", -1)},
                      /*opset=*/2});
  expectTensor<float>(old, {2, 3}, {-1, -1, -1, -1, 1, 2});
}

TEST(PadKernel, IntegerValueAndErrors) {
  Tensor out = runOk(
      {"Pad",
       {make<int8_t>({2}, {1, 2}), i64({2}, {1, 0}), make<int8_t>({}, {-7})}});
  expectTensor<int8_t>(out, {3}, {-7, 1, 2});
  EXPECT_EQ(
      runError(
          {"Pad", {make<int8_t>({2}, {1, 2}), i64({2}, {1, 0}), f32({}, {1})}}),
      "'n' (Pad): constant_value has element type float, expected int8");
  EXPECT_EQ(runError({"Pad",
                      {f32({0}, {}), i64({2}, {1, 0})},
                      {attrString("mode", "edge")}}),
            "'n' (Pad): cannot pad an empty dimension in this mode");
  EXPECT_EQ(runError({"Pad", {f32({2}, {1, 2}), i64({1}, {1})}}),
            "'n' (Pad): pads has 1 entries, expected 2");
}

//===----------------------------------------------------------------------===//
// Index kernels
//===----------------------------------------------------------------------===//

TEST(GatherKernel, NegativeIndicesAndAxes) {
  Tensor data = f32({3, 2}, {1, 2, 3, 4, 5, 6});
  expectTensor<float>(runOk({"Gather", {data, i64({2, 2}, {0, -1, 1, 0})}}),
                      {2, 2, 2}, {1, 2, 5, 6, 3, 4, 1, 2});
  expectTensor<float>(
      runOk({"Gather", {data, i32({1}, {1})}, {attrInt("axis", 1)}}), {3, 1},
      {2, 4, 6});
  expectTensor<float>(runOk({"Gather", {data, i64({}, {2})}}), {2}, {5, 6});
  EXPECT_EQ(runError({"Gather", {data, i64({1}, {3})}}),
            "'n' (Gather): index 3 is out of range [-3, 3)");
}

TEST(GatherElementsKernel, BothAxes) {
  Tensor data = f32({2, 2}, {1, 2, 3, 4});
  expectTensor<float>(runOk({"GatherElements",
                             {data, i64({2, 2}, {0, 0, 1, 0})},
                             {attrInt("axis", 1)}}),
                      {2, 2}, {1, 1, 4, 3});
  expectTensor<float>(runOk({"GatherElements", {data, i64({1, 2}, {1, -2})}}),
                      {1, 2}, {3, 2});
}

TEST(IndexKernels, NonZeroTopKRange) {
  expectTensor<int64_t>(runOk({"NonZero", {f32({2, 2}, {1, 0, 0, 3})}}), {2, 2},
                        {0, 1, 0, 1});
  NodeRun topk{"TopK", {f32({1, 4}, {3, 1, 3, 2}), i64({1}, {2})}, {}, 11, 2};
  auto outs = runNode(topk);
  ASSERT_TRUE(bool(outs)) << llvm::toString(outs.takeError());
  expectTensor<float>((*outs)[0], {1, 2}, {3, 3});
  expectTensor<int64_t>((*outs)[1], {1, 2}, {0, 2});
  topk.attrs = {attrInt("largest", 0)};
  outs = runNode(topk);
  ASSERT_TRUE(bool(outs)) << llvm::toString(outs.takeError());
  expectTensor<float>((*outs)[0], {1, 2}, {1, 2});
  expectTensor<int64_t>((*outs)[1], {1, 2}, {1, 3});

  expectTensor<int32_t>(
      runOk({"Range", {i32({}, {10}), i32({}, {4}), i32({}, {-3})}}), {2},
      {10, 7});
  expectTensor<float>(
      runOk({"Range", {f32({}, {1}), f32({}, {2}), f32({}, {0.25f})}}), {4},
      {1, 1.25f, 1.5f, 1.75f});
  expectTensor<int64_t>(
      runOk({"Range", {i64({}, {1}), i64({}, {1}), i64({}, {1})}}), {0}, {});
  EXPECT_EQ(runError({"Range", {i64({}, {1}), i64({}, {5}), i64({}, {0})}}),
            "'n' (Range): delta must not be 0");
}

} // namespace
