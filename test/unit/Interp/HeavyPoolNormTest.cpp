//===- HeavyPoolNormTest.cpp - Pooling and normalisation kernels ----------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "HeavyTestUtils.h"

#include <cmath>

using namespace qlc;
using namespace qlc::heavytest;

namespace {

Tensor iota4x4() {
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i)
    v[i] = float(i + 1);
  return f32({1, 1, 4, 4}, v);
}

TEST(HeavyPoolTest, MaxPoolWithIndices) {
  auto outs =
      runNode({"MaxPool",
               {iota4x4()},
               {attrInts("kernel_shape", {2, 2}), attrInts("strides", {2, 2})},
               2});
  ASSERT_TRUE(bool(outs)) << llvm::toString(outs.takeError());
  expectClose((*outs)[0], {6, 8, 14, 16}, {1, 1, 2, 2});
  expectIntsEqual((*outs)[1], {5, 7, 13, 15}, {1, 1, 2, 2});
  // Column-major indices (storage_order 1): element (r, c) -> c * 4 + r.
  auto cm = runNode({"MaxPool",
                     {iota4x4()},
                     {attrInts("kernel_shape", {2, 2}),
                      attrInts("strides", {2, 2}), attrInt("storage_order", 1)},
                     2});
  ASSERT_TRUE(bool(cm)) << llvm::toString(cm.takeError());
  expectIntsEqual((*cm)[1], {5, 13, 7, 15}, {1, 1, 2, 2});
}

TEST(HeavyPoolTest, CeilModeAndDilations) {
  Tensor x = iota4x4();
  expectClose(runOk({"MaxPool",
                     {x},
                     {attrInts("kernel_shape", {3, 3}),
                      attrInts("strides", {2, 2}), attrInt("ceil_mode", 1)}}),
              {11, 12, 15, 16}, {1, 1, 2, 2});
  expectClose(runOk({"AveragePool",
                     {x},
                     {attrInts("kernel_shape", {3, 3}),
                      attrInts("strides", {2, 2}), attrInt("ceil_mode", 1)}}),
              {6, 7.5, 12, 13.5}, {1, 1, 2, 2});
  expectClose(runOk({"MaxPool",
                     {x},
                     {attrInts("kernel_shape", {2, 2}),
                      attrInts("dilations", {2, 2})}}),
              {11, 12, 15, 16}, {1, 1, 2, 2});
  // ceil_mode drops a last window that would start in the end padding:
  // 4 wide, k2 s2 pad_end 1 -> 2 windows (ceil alone would give 3).
  Tensor y =
      runOk({"MaxPool",
             {f32({1, 1, 1, 4}, {1, 2, 3, 4})},
             {attrInts("kernel_shape", {1, 2}), attrInts("strides", {1, 2}),
              attrInts("pads", {0, 0, 0, 1}), attrInt("ceil_mode", 1)}});
  expectClose(y, {2, 4}, {1, 1, 1, 2});
}

TEST(HeavyPoolTest, AveragePoolCountIncludePad) {
  Tensor x = f32({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  std::vector<NamedAttribute> attrs{attrInts("kernel_shape", {3, 3}),
                                    attrInts("pads", {1, 1, 1, 1})};
  expectClose(runOk({"AveragePool", {x}, attrs}),
              {3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7}, {1, 1, 3, 3});
  attrs.push_back(attrInt("count_include_pad", 1));
  expectClose(runOk({"AveragePool", {x}, attrs}),
              {12 / 9.0, 21 / 9.0, 16 / 9.0, 27 / 9.0, 45 / 9.0, 33 / 9.0,
               24 / 9.0, 39 / 9.0, 28 / 9.0},
              {1, 1, 3, 3});
}

TEST(HeavyPoolTest, SameAutoPadAndAsymmetricPads) {
  Tensor x = iota4x4();
  // SAME_UPPER, k2 s1: pad one at the end; SAME_LOWER: at the beginning.
  expectClose(runOk({"MaxPool",
                     {x},
                     {attrInts("kernel_shape", {2, 2}),
                      attrString("auto_pad", "SAME_UPPER")}}),
              {6, 7, 8, 8, 10, 11, 12, 12, 14, 15, 16, 16, 14, 15, 16, 16},
              {1, 1, 4, 4});
  expectClose(runOk({"MaxPool",
                     {x},
                     {attrInts("kernel_shape", {2, 2}),
                      attrString("auto_pad", "SAME_LOWER")}}),
              {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
              {1, 1, 4, 4});
  expectClose(
      runOk({"AveragePool",
             {x},
             {attrInts("kernel_shape", {2, 2}), attrInts("pads", {1, 0, 0, 0}),
              attrInts("strides", {2, 2})}}),
      {1.5, 3.5, 7.5, 9.5}, {1, 1, 2, 2});
}

TEST(HeavyPoolTest, Uint8AndOneD) {
  Tensor x = Tensor::fromValues<uint8_t>({1, 1, 5}, {3, 250, 7, 1, 9});
  Tensor y = runOk({"MaxPool", {x}, {attrInts("kernel_shape", {2})}});
  expectIntsEqual(y, {250, 250, 7, 9}, {1, 1, 4});
  Tensor s = Tensor::fromValues<int8_t>({1, 1, 3}, {-128, -5, -100});
  expectIntsEqual(runOk({"MaxPool", {s}, {attrInts("kernel_shape", {2})}}),
                  {-5, -5}, {1, 1, 2});
}

TEST(HeavyPoolTest, GlobalAndLpPools) {
  Tensor x = f32({1, 2, 2, 2}, {1, 2, 3, 4, -1, -2, -3, -8});
  expectClose(runOk({"GlobalAveragePool", {x}}), {2.5, -3.5}, {1, 2, 1, 1});
  expectClose(runOk({"GlobalMaxPool", {x}}), {4, -1}, {1, 2, 1, 1});
  Tensor l = f32({1, 1, 1, 2}, {3, 4});
  expectClose(runOk({"LpPool", {l}, {attrInts("kernel_shape", {1, 2})}}), {5},
              {1, 1, 1, 1});
  expectClose(runOk({"GlobalLpPool", {l}}), {5}, {1, 1, 1, 1});
}

TEST(HeavyPoolTest, RandomBatchesMatchReference) {
  std::mt19937 rng(21);
  Tensor x = randomFloat(rng, {3, 5, 9, 8});
  // k3 s2 pads (1,0,2,1) with dilation 1, ceil off: naive reference.
  Tensor y =
      runOk({"AveragePool",
             {x},
             {attrInts("kernel_shape", {3, 3}), attrInts("strides", {2, 2}),
              attrInts("pads", {1, 0, 2, 1})},
             1,
             17,
             2});
  int64_t oh = (9 + 3 - 3) / 2 + 1, ow = (8 + 1 - 3) / 2 + 1;
  std::vector<double> ref;
  for (int64_t p = 0; p < 15; ++p)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        double sum = 0;
        int count = 0;
        for (int64_t a = 0; a < 3; ++a)
          for (int64_t b = 0; b < 3; ++b) {
            int64_t r = i * 2 - 1 + a, c = j * 2 + b;
            if (r < 0 || r >= 9 || c < 0 || c >= 8)
              continue;
            sum += x.getAsDouble((p * 9 + r) * 8 + c);
            ++count;
          }
        ref.push_back(sum / count);
      }
  expectClose(y, ref, {3, 5, oh, ow});
}

TEST(HeavyPoolTest, RejectsBadAttributes) {
  Tensor x = iota4x4();
  EXPECT_NE(runError({"MaxPool", {x}}).find("kernel_shape"), std::string::npos);
  EXPECT_NE(
      runError({"MaxPool",
                {x},
                {attrInts("kernel_shape", {2, 2}), attrInts("strides", {1})}})
          .find("strides"),
      std::string::npos);
  EXPECT_NE(runError({"AveragePool", {x}, {attrInts("kernel_shape", {5, 5})}})
                .find("does not fit"),
            std::string::npos);
  Tensor xi = Tensor::fromValues<int32_t>({1, 1, 2}, {1, 2});
  EXPECT_NE(runError({"AveragePool", {xi}, {attrInts("kernel_shape", {2})}})
                .find("element type"),
            std::string::npos);
}

TEST(HeavyNormTest, BatchNormInference) {
  std::mt19937 rng(1);
  Tensor x = randomFloat(rng, {2, 3, 2, 2});
  Tensor scale = f32({3}, {1, 2, -1}), bias = f32({3}, {0, 1, 2});
  Tensor mean = f32({3}, {0.5f, -0.5f, 0}), var = f32({3}, {1, 4, 0.25f});
  Tensor y = runOk({"BatchNormalization",
                    {x, scale, bias, mean, var},
                    {attrFloat("epsilon", 0.01f)},
                    1,
                    15});
  std::vector<double> ref;
  for (int64_t i = 0; i < 24; ++i) {
    int64_t c = (i / 4) % 3;
    ref.push_back(scale.getAsDouble(c) *
                      (x.getAsDouble(i) - mean.getAsDouble(c)) /
                      std::sqrt(var.getAsDouble(c) + double(0.01f)) +
                  bias.getAsDouble(c));
  }
  expectClose(y, ref, {2, 3, 2, 2});
  Tensor shortScale = f32({2}, {1, 1});
  EXPECT_NE(runError({"BatchNormalization", {x, shortScale, bias, mean, var}})
                .find("elements"),
            std::string::npos);
}

TEST(HeavyNormTest, BatchNormTrainingMode) {
  Tensor x = f32({2, 1, 1, 2}, {1, 2, 3, 6}); // mean 3, variance 3.5
  Tensor one = f32({1}, {1}), zero = f32({1}, {0});
  auto outs = runNode({"BatchNormalization",
                       {x, one, zero, f32({1}, {1}), f32({1}, {2})},
                       {attrInt("training_mode", 1),
                        attrFloat("momentum", 0.5f), attrFloat("epsilon", 0)},
                       3,
                       15});
  ASSERT_TRUE(bool(outs)) << llvm::toString(outs.takeError());
  double s = std::sqrt(3.5);
  expectClose((*outs)[0], {-2 / s, -1 / s, 0, 3 / s}, {2, 1, 1, 2});
  expectClose((*outs)[1], {0.5 * 1 + 0.5 * 3}, {1});
  expectClose((*outs)[2], {0.5 * 2 + 0.5 * 3.5}, {1});
}

TEST(HeavyNormTest, InstanceAndLayerNorm) {
  Tensor x = f32({1, 2, 3}, {1, 2, 3, 2, 4, 6});
  Tensor y = runOk({"InstanceNormalization",
                    {x, f32({2}, {1, 2}), f32({2}, {0, 1})},
                    {attrFloat("epsilon", 0)}});
  double a = std::sqrt(2.0 / 3), b = std::sqrt(8.0 / 3);
  expectClose(y, {-1 / a, 0, 1 / a, 1 - 4 / b, 1, 1 + 4 / b}, {1, 2, 3});
  auto outs = runNode({"LayerNormalization",
                       {x, f32({3}, {1, 1, 2}), f32({1}, {1})},
                       {attrFloat("epsilon", 0)},
                       3});
  ASSERT_TRUE(bool(outs)) << llvm::toString(outs.takeError());
  expectClose((*outs)[0], {1 - 1 / a, 1, 1 + 2 / a, 1 - 2 / b, 1, 1 + 4 / b},
              {1, 2, 3});
  expectClose((*outs)[1], {2, 4}, {1, 2, 1});
  expectClose((*outs)[2], {1 / a, 1 / b}, {1, 2, 1});
}

} // namespace
