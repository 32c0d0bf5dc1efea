//===- CastResizeKernelsTest.cpp - Cast edge cases and Resize modes -------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "LightKernelTestUtils.h"

#include <cmath>
#include <limits>

using namespace qlc;
using namespace qlc::test;

namespace {

Tensor cast(Tensor in, ElementType to) {
  return runOk({"Cast", {in}, {attrInt("to", static_cast<int64_t>(to))}});
}

TEST(CastKernel, FloatToIntTruncatesAndSaturates) {
  expectTensor<int32_t>(cast(f32({3}, {1.9f, -1.9f, 2.5f}), ElementType::Int32),
                        {3}, {1, -1, 2});
  float nan = std::numeric_limits<float>::quiet_NaN();
  expectTensor<int32_t>(
      cast(f32({3}, {nan, 1e20f, -1e20f}), ElementType::Int32), {3},
      {0, INT32_MAX, INT32_MIN});
  expectTensor<uint8_t>(
      cast(f32({3}, {-1, 300.7f, 254.9f}), ElementType::UInt8), {3},
      {0, 255, 254});
  expectTensor<int64_t>(cast(make<double>({1}, {-9.2e18}), ElementType::Int64),
                        {1}, {-9200000000000000000LL});
}

TEST(CastKernel, IntegerConversionsWrap) {
  expectTensor<uint8_t>(cast(i32({2}, {300, -1}), ElementType::UInt8), {2},
                        {44, 255});
  expectTensor<uint64_t>(cast(i64({1}, {-1}), ElementType::UInt64), {1},
                         {UINT64_MAX});
  expectTensor<int8_t>(cast(make<uint16_t>({1}, {0x8180}), ElementType::Int8),
                       {1}, {-128});
  // 2^53 + 1 is not a float; it rounds to nearest even.
  expectTensor<double>(
      cast(i64({1}, {(int64_t(1) << 53) + 1}), ElementType::Double), {1},
      {9007199254740992.0});
}

TEST(CastKernel, BoolConversions) {
  float nan = std::numeric_limits<float>::quiet_NaN();
  expectTensor<bool>(cast(f32({4}, {0, -0.0f, 0.5f, nan}), ElementType::Bool),
                     {4}, {false, false, true, true});
  expectTensor<float>(cast(make<bool>({2}, {true, false}), ElementType::Float),
                      {2}, {1, 0});
  expectTensor<int64_t>(
      cast(make<bool>({2}, {true, false}), ElementType::Int64), {2}, {1, 0});
}

TEST(CastKernel, HalfPrecision) {
  Tensor h = cast(f32({3}, {0.1f, 65520.0f, -2.5f}), ElementType::Float16);
  ASSERT_EQ(h.getElementType(), ElementType::Float16);
  const uint16_t *bits = reinterpret_cast<const uint16_t *>(h.getRawData());
  EXPECT_EQ(bits[0], 0x2E66); // 0.0999755859375
  EXPECT_EQ(bits[1], 0x7C00); // 65520 is halfway to 65536: rounds to +inf
  EXPECT_EQ(bits[2], 0xC100); // -2.5
  expectTensor<int32_t>(cast(h, ElementType::Int32), {3}, {0, INT32_MAX, -2});
  Tensor bf = cast(f32({1}, {1.00390625f}), ElementType::BFloat16); // 1 + 2^-8
  EXPECT_EQ(reinterpret_cast<const uint16_t *>(bf.getRawData())[0],
            0x3F80); // tie to even
  expectTensor<float>(cast(bf, ElementType::Float), {1}, {1.0f});
}

TEST(CastKernel, OldStringAttributeCastLikeAndErrors) {
  Tensor out = runOk(
      {"Cast", {f32({1}, {2.7f})}, {attrString("to", "INT16")}, /*opset=*/1});
  expectTensor<int16_t>(out, {1}, {2});
  expectTensor<double>(
      runOk({"CastLike", {i32({1}, {3}), make<double>({}, {0})}}), {1}, {3});
  EXPECT_EQ(
      runError(
          {"Cast", {Tensor::fromStrings({1}, {"1.5x"})}, {attrInt("to", 1)}}),
      "'n' (Cast): cannot convert string '1.5x' to float");
  EXPECT_EQ(runError({"Cast", {f32({1}, {1})}, {attrInt("to", 99)}}),
            "'n' (Cast): invalid target type 99");
}

TEST(CastKernel, Strings) {
  Tensor s = cast(f32({5}, {0.039187793f, 1e-5f, -2.5f, INFINITY, NAN}),
                  ElementType::String);
  ASSERT_EQ(s.getElementType(), ElementType::String);
  EXPECT_EQ(s.getStrings(), (std::vector<std::string>{"0.039187793", "1e-05",
                                                      "-2.5", "INF", "NaN"}));
  EXPECT_EQ(cast(i64({1}, {-42}), ElementType::String).getStrings(),
            (std::vector<std::string>{"-42"}));
  Tensor f = cast(Tensor::fromStrings({4}, {"0.5", "-INF", "+INF", "NaN"}),
                  ElementType::Float);
  EXPECT_EQ(f.getData<float>()[0], 0.5f);
  EXPECT_TRUE(std::isinf(f.getData<float>()[1]) && f.getData<float>()[1] < 0);
  EXPECT_TRUE(std::isinf(f.getData<float>()[2]) && f.getData<float>()[2] > 0);
  EXPECT_TRUE(std::isnan(f.getData<float>()[3]));
  expectTensor<int64_t>(
      cast(Tensor::fromStrings({1}, {"-9007199254740993"}), ElementType::Int64),
      {1}, {-9007199254740993LL});
}

//===----------------------------------------------------------------------===//
// Resize
//===----------------------------------------------------------------------===//

Tensor resizeScales(Tensor x, std::vector<float> scales,
                    std::vector<NamedAttribute> attrs, int64_t opset = 13) {
  int64_t n = static_cast<int64_t>(scales.size());
  return runOk({"Resize", {x, Tensor(), f32({n}, scales)}, attrs, opset});
}

Tensor resizeSizes(Tensor x, std::vector<int64_t> sizes,
                   std::vector<NamedAttribute> attrs) {
  int64_t n = static_cast<int64_t>(sizes.size());
  return runOk({"Resize", {x, Tensor(), Tensor(), i64({n}, sizes)}, attrs, 13});
}

TEST(ResizeKernel, NearestModes) {
  Tensor x = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  expectTensor<float>(
      resizeScales(x, {1, 1, 2, 2},
                   {attrString("coordinate_transformation_mode", "asymmetric"),
                    attrString("nearest_mode", "floor")}),
      {1, 1, 4, 4}, {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
  // half_pixel downsampling by 2 lands exactly on .5: floor vs ceil.
  Tensor row = f32({1, 4}, {1, 2, 3, 4});
  expectTensor<float>(resizeSizes(row, {1, 2}, {}), {1, 2}, {1, 3});
  expectTensor<float>(
      resizeSizes(row, {1, 2},
                  {attrString("nearest_mode", "round_prefer_ceil")}),
      {1, 2}, {2, 4});
}

TEST(ResizeKernel, LinearCoordinateTransforms) {
  Tensor x = f32({1, 2}, {1, 3});
  auto linear = [&](const char *coord) {
    return resizeScales(x, {1, 2},
                        {attrString("mode", "linear"),
                         attrString("coordinate_transformation_mode", coord)});
  };
  expectNear(linear("half_pixel"), {1, 4}, {1, 1.5f, 2.5f, 3});
  expectNear(linear("align_corners"), {1, 4}, {1, 1.6666667f, 2.3333333f, 3});
  expectNear(linear("asymmetric"), {1, 4}, {1, 2, 3, 3});
  expectNear(linear("pytorch_half_pixel"), {1, 4}, {1, 1.5f, 2.5f, 3});
  // A length-1 output: pytorch_half_pixel reads index 0, half_pixel 0.5.
  std::vector<NamedAttribute> attrs = {attrString("mode", "linear")};
  expectNear(resizeSizes(x, {1, 1}, attrs), {1, 1}, {2});
  attrs.push_back(
      attrString("coordinate_transformation_mode", "pytorch_half_pixel"));
  expectNear(resizeSizes(x, {1, 1}, attrs), {1, 1}, {1});
}

TEST(ResizeKernel, Bilinear2D) {
  Tensor x = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  expectNear(resizeScales(x, {1, 1, 2, 2}, {attrString("mode", "linear")}),
             {1, 1, 4, 4},
             {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f,
              3.5f, 3, 3.25f, 3.75f, 4});
}

TEST(ResizeKernel, Opset10AndUpsampleSemantics) {
  // Downsampling rounds up: x = j / 0.6 = 0, 1.67, 3.33 -> 0, 2, 4.
  Tensor x = f32({1, 5}, {1, 2, 3, 4, 5});
  expectTensor<float>(runOk({"Resize", {x, f32({2}, {1, 0.6f})}, {}, 10}),
                      {1, 3}, {1, 3, 5});
  expectTensor<float>(
      runOk({"Upsample", {f32({1, 2}, {1, 2}), f32({2}, {1, 2})}, {}, 9}),
      {1, 4}, {1, 1, 2, 2});
  Tensor attr = runOk({"Upsample",
                       {f32({1, 2}, {1, 2})},
                       {{"scales", Attribute::getFloats({1, 3})}},
                       7});
  expectTensor<float>(attr, {1, 6}, {1, 1, 1, 2, 2, 2});
}

TEST(ResizeKernel, IntegerLinearRoundsAndCubicIdentity) {
  Tensor x = make<uint8_t>({1, 2}, {0, 255});
  expectTensor<uint8_t>(resizeScales(x, {1, 2}, {attrString("mode", "linear")}),
                        {1, 4}, {0, 64, 191, 255});
  Tensor y = f32({2, 2}, {1, 2, 3, 4});
  expectNear(resizeScales(y, {1, 1}, {attrString("mode", "cubic")}), {2, 2},
             {1, 2, 3, 4});
}

TEST(ResizeKernel, Errors) {
  Tensor x = f32({1, 2}, {1, 2});
  EXPECT_EQ(runError({"Resize",
                      {x, Tensor(), f32({2}, {1, 2}), i64({2}, {1, 4})},
                      {},
                      13}),
            "'n' (Resize): only one of scales and sizes may be given");
  EXPECT_EQ(runError({"Resize", {x, Tensor(), f32({1}, {2})}, {}, 13}),
            "'n' (Resize): scales has 1 entries for rank 2");
  EXPECT_EQ(runError({"Resize",
                      {x, Tensor(), f32({2}, {1, 2})},
                      {attrString("mode", "area")},
                      13}),
            "'n' (Resize): unsupported mode 'area'");
}

} // namespace
