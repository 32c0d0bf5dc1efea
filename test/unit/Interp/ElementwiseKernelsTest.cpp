//===- ElementwiseKernelsTest.cpp - Arithmetic, unary, logical kernels ----===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Hand-computed expectations for broadcasting (including empty and size-1
// dimensions), integer semantics (Div truncation, Mod sign rules, wrap
// around, exact 64-bit comparisons), variadic ops, BitShift, Where and the
// unary functions with their edge cases.
//
//===----------------------------------------------------------------------===//

#include "LightKernelTestUtils.h"

#include <cmath>
#include <limits>
#include <random>

using namespace qlc;
using namespace qlc::test;

namespace {

TEST(ElementwiseKernels, AddBroadcastsTrailingVector) {
  Tensor out =
      runOk({"Add", {f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({3}, {10, 20, 30})}});
  expectTensor<float>(out, {2, 3}, {11, 22, 33, 14, 25, 36});
}

TEST(ElementwiseKernels, AddBroadcastsBothOperands) {
  Tensor out = runOk({"Add", {f32({2, 1}, {1, 2}), f32({1, 3}, {10, 20, 30})}});
  expectTensor<float>(out, {2, 3}, {11, 21, 31, 12, 22, 32});
}

TEST(ElementwiseKernels, SubWithScalarOnTheLeft) {
  Tensor out = runOk({"Sub", {f32({}, {10}), f32({2, 2}, {1, 2, 3, 4})}});
  expectTensor<float>(out, {2, 2}, {9, 8, 7, 6});
}

TEST(ElementwiseKernels, BroadcastOfEmptyDimensions) {
  Tensor a = runOk({"Mul", {f32({0, 3}, {}), f32({3}, {1, 2, 3})}});
  expectTensor<float>(a, {0, 3}, {});
  Tensor b = runOk({"Add", {f32({2, 0}, {}), f32({2, 1}, {1, 2})}});
  expectTensor<float>(b, {2, 0}, {});
  Tensor c = runOk({"Add", {f32({0}, {}), f32({1}, {5})}});
  expectTensor<float>(c, {0}, {});
}

TEST(ElementwiseKernels, IncompatibleShapesAreAnError) {
  std::string msg =
      runError({"Add", {f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({2}, {1, 2})}});
  EXPECT_EQ(msg, "'n' (Add): cannot broadcast shapes [2, 3] [2]");
  msg = runError({"Add", {f32({1}, {1}), i64({1}, {1})}});
  EXPECT_EQ(msg, "'n' (Add): input 1 has element type int64, expected float");
}

TEST(ElementwiseKernels, IntegerDivTruncatesTowardZero) {
  Tensor out = runOk({"Div",
                      {i32({6}, {7, -7, 7, -7, 5, INT32_MIN}),
                       i32({6}, {2, 2, -2, -2, 0, -1})}});
  // x / 0 is defined as 0 and INT_MIN / -1 wraps to INT_MIN.
  expectTensor<int32_t>(out, {6}, {3, -3, -3, 3, 0, INT32_MIN});
}

TEST(ElementwiseKernels, IntegerDivMatchesCOnLargeOperands) {
  // int32 Div runs through double; check it against C's quotient on
  // operands near the int32 limits, where a rounding slip would show.
  std::mt19937 rng(5);
  std::vector<int32_t> specials{
      INT32_MIN, INT32_MIN + 1, INT32_MAX, INT32_MAX - 1, -1, 1, 2,
      3,         46341,         -65536};
  std::uniform_int_distribution<int32_t> any(INT32_MIN, INT32_MAX);
  std::vector<int32_t> xs, ys;
  for (int i = 0; i < 4000; ++i) {
    xs.push_back(i % 4 ? any(rng) : specials[i % specials.size()]);
    int32_t y =
        i % 3 ? any(rng) >> (i % 31) : specials[(i / 3) % specials.size()];
    ys.push_back(y);
  }
  int64_t n = static_cast<int64_t>(xs.size());
  Tensor out = runOk({"Div", {i32({n}, xs), i32({n}, ys)}});
  std::vector<int32_t> expected;
  for (int64_t i = 0; i < n; ++i)
    expected.push_back(ys[i] == 0 ? 0
                                  : static_cast<int32_t>(static_cast<uint32_t>(
                                        int64_t(xs[i]) / ys[i])));
  expectTensor<int32_t>(out, {n}, expected);
}

TEST(ElementwiseKernels, IntegerModFollowsTheDivisorSign) {
  Tensor out = runOk(
      {"Mod", {i32({5}, {7, -7, 7, -7, 3}), i32({5}, {3, 3, -3, -3, 0})}});
  expectTensor<int32_t>(out, {5}, {1, 2, -2, -1, 0});
}

TEST(ElementwiseKernels, IntegerFModFollowsTheDividendSign) {
  Tensor out = runOk({"Mod",
                      {i64({4}, {7, -7, 7, -7}), i64({4}, {3, 3, -3, -3})},
                      {attrInt("fmod", 1)}});
  expectTensor<int64_t>(out, {4}, {1, -1, 1, -1});
}

TEST(ElementwiseKernels, FloatModNeedsFMod) {
  Tensor out = runOk({"Mod",
                      {f32({2}, {-7.5f, 7.5f}), f32({2}, {2, -2})},
                      {attrInt("fmod", 1)}});
  expectTensor<float>(out, {2}, {-1.5f, 1.5f});
  std::string msg = runError({"Mod", {f32({1}, {1}), f32({1}, {2})}});
  EXPECT_EQ(msg, "'n' (Mod): Mod on floating-point inputs requires fmod=1");
}

TEST(ElementwiseKernels, IntegerArithmeticWrapsAround) {
  Tensor a = runOk(
      {"Add", {make<int8_t>({2}, {127, -128}), make<int8_t>({2}, {1, -1})}});
  expectTensor<int8_t>(a, {2}, {-128, 127});
  Tensor b =
      runOk({"Add", {make<uint8_t>({1}, {200}), make<uint8_t>({1}, {100})}});
  expectTensor<uint8_t>(b, {1}, {44});
  // 65535^2 = 2^32 - 2^17 + 1, which is 1 modulo 2^16.
  Tensor c = runOk(
      {"Mul", {make<uint16_t>({1}, {65535}), make<uint16_t>({1}, {65535})}});
  expectTensor<uint16_t>(c, {1}, {1});
  Tensor d = runOk({"Mul", {i64({1}, {INT64_MAX}), i64({1}, {2})}});
  expectTensor<int64_t>(d, {1}, {-2});
}

TEST(ElementwiseKernels, PowWithIntegerAndMixedTypes) {
  Tensor a =
      runOk({"Pow", {i32({4}, {2, 3, -2, 2}), i32({4}, {10, 0, 3, -1})}});
  expectTensor<int32_t>(a, {4}, {1024, 1, -8, 0});
  Tensor b = runOk({"Pow", {f32({2}, {2, 4}), i64({2}, {3, -1})}});
  expectTensor<float>(b, {2}, {8, 0.25f});
  Tensor c = runOk({"Pow", {i32({2}, {4, 9}), f32({2}, {0.5f, 0.5f})}});
  expectTensor<int32_t>(c, {2}, {2, 3});
}

TEST(ElementwiseKernels, VariadicMaxBroadcastsAllInputs) {
  Tensor out =
      runOk({"Max", {f32({2}, {1, 5}), f32({2, 1}, {3, 0}), f32({}, {2})}});
  expectTensor<float>(out, {2, 2}, {3, 5, 2, 5});
  Tensor one = runOk({"Min", {i32({3}, {4, -1, 2})}});
  expectTensor<int32_t>(one, {3}, {4, -1, 2});
}

TEST(ElementwiseKernels, MaxAndMinPropagateNaN) {
  float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor mx = runOk({"Max", {f32({2}, {nan, 1}), f32({2}, {1, nan})}});
  EXPECT_TRUE(std::isnan(mx.getData<float>()[0]));
  EXPECT_TRUE(std::isnan(mx.getData<float>()[1]));
}

TEST(ElementwiseKernels, SumAndMean) {
  Tensor s = runOk({"Sum",
                    {make<uint8_t>({2}, {250, 1}), make<uint8_t>({2}, {10, 2}),
                     make<uint8_t>({1}, {1})}});
  expectTensor<uint8_t>(s, {2}, {5, 4});
  Tensor m =
      runOk({"Mean", {f32({2}, {1, 2}), f32({2}, {3, 4}), f32({1}, {5})}});
  expectTensor<float>(m, {2}, {3, 11.0f / 3});
  std::string msg = runError({"Mean", {i32({1}, {1}), i32({1}, {2})}});
  EXPECT_EQ(msg, "'n' (Mean): Mean requires floating-point inputs");
}

TEST(ElementwiseKernels, Float16IsComputedInFloatAndRounded) {
  Tensor a(ElementType::Float16, {2}), b(ElementType::Float16, {2});
  uint16_t *pa = reinterpret_cast<uint16_t *>(a.getMutableRawData());
  uint16_t *pb = reinterpret_cast<uint16_t *>(b.getMutableRawData());
  pa[0] = floatToHalf(1.5f);
  pa[1] = floatToHalf(2048.0f);
  pb[0] = floatToHalf(2.25f);
  pb[1] = floatToHalf(1.0f); // 2049 is not a half: ties to even 2048
  Tensor out = runOk({"Add", {a, b}});
  ASSERT_EQ(out.getElementType(), ElementType::Float16);
  EXPECT_EQ(out.getAsDouble(0), 3.75);
  EXPECT_EQ(out.getAsDouble(1), 2048.0);
}

TEST(ElementwiseKernels, LegacyBroadcastAttributeAlignsAtAxis) {
  std::vector<float> a(24, 1.0f);
  Tensor out = runOk({"Add",
                      {f32({2, 3, 4}, a), f32({3}, {0, 10, 20})},
                      {attrInt("broadcast", 1), attrInt("axis", 1)},
                      /*opset=*/6});
  ASSERT_EQ(out.getNumElements(), 24);
  EXPECT_EQ(out.getData<float>()[0], 1);
  EXPECT_EQ(out.getData<float>()[4], 11);  // [0, 1, 0]
  EXPECT_EQ(out.getData<float>()[23], 21); // [1, 2, 3]
}

TEST(ElementwiseKernels, ThreadsGiveIdenticalResults) {
  std::vector<float> a(300000), b(600);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = static_cast<float>(i % 977) * 0.25f;
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = static_cast<float>(i) - 300.0f;
  NodeRun run{"Mul", {f32({500, 600}, a), f32({600}, b)}};
  Tensor one = runOk(run);
  run.threads = 3;
  Tensor three = runOk(run);
  ASSERT_TRUE(one.isIdenticalTo(three));
  EXPECT_EQ(one.getData<float>()[600 * 7 + 5], a[600 * 7 + 5] * b[5]);
}

TEST(ElementwiseKernels, BitShift) {
  Tensor l =
      runOk({"BitShift",
             {make<uint8_t>({3}, {1, 2, 255}), make<uint8_t>({3}, {1, 7, 1})},
             {attrString("direction", "LEFT")}});
  expectTensor<uint8_t>(l, {3}, {2, 0, 254});
  Tensor r =
      runOk({"BitShift",
             {make<uint32_t>({2}, {16, 1}), make<uint32_t>({2}, {4, 40})},
             {attrString("direction", "RIGHT")}});
  expectTensor<uint32_t>(r, {2}, {1, 0});
  std::string msg = runError({"BitShift",
                              {i32({1}, {1}), i32({1}, {1})},
                              {attrString("direction", "LEFT")}});
  EXPECT_EQ(
      msg,
      "'n' (BitShift): BitShift requires an unsigned integer type, got int32");
  msg = runError({"BitShift",
                  {make<uint8_t>({1}, {1}), make<uint8_t>({1}, {1})},
                  {attrString("direction", "UP")}});
  EXPECT_EQ(msg, "'n' (BitShift): direction must be LEFT or RIGHT, got 'UP'");
}

//===----------------------------------------------------------------------===//
// Comparisons, booleans, Where
//===----------------------------------------------------------------------===//

TEST(LogicalKernels, Int64ComparisonsAreExact) {
  int64_t big = int64_t(1) << 53;
  Tensor gt = runOk({"Greater", {i64({2}, {big + 1, 3}), i64({2}, {big, 3})}});
  expectTensor<bool>(gt, {2}, {true, false});
  Tensor ge =
      runOk({"GreaterOrEqual", {i64({2}, {big + 1, 3}), i64({1}, {3})}});
  expectTensor<bool>(ge, {2}, {true, true});
  Tensor eq = runOk({"Equal", {i64({2}, {big + 1, 3}), i64({2}, {big, 3})}});
  expectTensor<bool>(eq, {2}, {false, true});
}

TEST(LogicalKernels, ComparisonsWithNaNAreFalse) {
  float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor lt = runOk({"Less", {f32({2}, {nan, 1}), f32({2}, {1, 2})}});
  expectTensor<bool>(lt, {2}, {false, true});
  Tensor le = runOk({"LessOrEqual", {f32({2}, {nan, 2}), f32({2}, {nan, 2})}});
  expectTensor<bool>(le, {2}, {false, true});
}

TEST(LogicalKernels, BooleanOps) {
  Tensor a = make<bool>({4}, {false, false, true, true});
  Tensor b = make<bool>({4}, {false, true, false, true});
  expectTensor<bool>(runOk({"And", {a, b}}), {4}, {false, false, false, true});
  expectTensor<bool>(runOk({"Or", {a, b}}), {4}, {false, true, true, true});
  expectTensor<bool>(runOk({"Xor", {a, b}}), {4}, {false, true, true, false});
  expectTensor<bool>(runOk({"Not", {a}}), {4}, {true, true, false, false});
  expectTensor<bool>(runOk({"Equal", {a, b}}), {4}, {true, false, false, true});
  EXPECT_EQ(runError({"And", {a, i32({1}, {1})}}),
            "'n' (And): inputs must be bool");
}

TEST(LogicalKernels, WhereBroadcastsThreeWays) {
  Tensor out = runOk(
      {"Where",
       {make<bool>({2, 1}, {true, false}), i64({3}, {1, 2, 3}), i64({}, {0})}});
  expectTensor<int64_t>(out, {2, 3}, {1, 2, 3, 0, 0, 0});
  std::string msg = runError(
      {"Where", {make<bool>({1}, {true}), i64({1}, {1}), f32({1}, {1})}});
  EXPECT_EQ(
      msg, "'n' (Where): X and Y have different element types int64 and float");
}

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

TEST(UnaryKernels, RoundHalfToEven) {
  Tensor out = runOk(
      {"Round", {f32({7}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, -2.6f})}});
  expectTensor<float>(out, {7}, {0, 2, 2, -0.0f, -2, 2, -3});
}

TEST(UnaryKernels, IntegerAbsNegSign) {
  Tensor abs = runOk({"Abs", {make<int8_t>({3}, {-5, 5, -128})}});
  expectTensor<int8_t>(abs, {3}, {5, 5, -128}); // |-128| wraps
  Tensor neg = runOk({"Neg", {i32({2}, {7, INT32_MIN})}});
  expectTensor<int32_t>(neg, {2}, {-7, INT32_MIN});
  Tensor sign = runOk({"Sign", {i64({3}, {-9, 0, 4})}});
  expectTensor<int64_t>(sign, {3}, {-1, 0, 1});
  Tensor usign = runOk({"Abs", {make<uint8_t>({1}, {200})}});
  expectTensor<uint8_t>(usign, {1}, {200});
}

TEST(UnaryKernels, FloatFunctions) {
  Tensor out = runOk({"Sqrt", {f32({3}, {4, 0, -1})}});
  expectNear(out, {3}, {2, 0, NAN});
  expectNear(runOk({"Reciprocal", {f32({2}, {4, -0.5f})}}), {2}, {0.25f, -2});
  expectNear(runOk({"Erf", {f32({2}, {0, 1})}}), {2}, {0, 0.8427008f});
  expectNear(runOk({"Floor", {f32({2}, {-1.5f, 1.5f})}}), {2}, {-2, 1});
  expectNear(runOk({"Ceil", {f32({2}, {-1.5f, 1.5f})}}), {2}, {-1, 2});
  EXPECT_EQ(runError({"Floor", {i32({1}, {1})}}),
            "'n' (Floor): unsupported element type int32");
}

TEST(UnaryKernels, IsNaNAndIsInf) {
  float inf = std::numeric_limits<float>::infinity();
  Tensor x = f32({4}, {inf, -inf, NAN, 1});
  expectTensor<bool>(runOk({"IsNaN", {x}}), {4}, {false, false, true, false});
  expectTensor<bool>(runOk({"IsInf", {x}}), {4}, {true, true, false, false});
  expectTensor<bool>(runOk({"IsInf", {x}, {attrInt("detect_negative", 0)}}),
                     {4}, {true, false, false, false});
}

} // namespace
