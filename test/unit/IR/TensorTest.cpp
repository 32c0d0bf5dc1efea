//===- TensorTest.cpp - Tensor and element type tests ---------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/IR/Tensor.h"
#include "qlc/IR/Type.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>

using namespace qlc;

TEST(TensorTest, ZeroFilledWithShape) {
  Tensor t(ElementType::Float, {2, 3});
  EXPECT_EQ(t.getNumElements(), 6);
  EXPECT_EQ(t.getByteSize(), 24u);
  for (float v : t.getData<float>())
    EXPECT_EQ(v, 0.0f);
}

TEST(TensorTest, ScalarAndEmpty) {
  Tensor s = Tensor::scalar<int64_t>(7);
  EXPECT_EQ(s.getRank(), 0);
  EXPECT_EQ(s.getNumElements(), 1);
  EXPECT_EQ(s.getAsInt64(0), 7);
  Tensor e(ElementType::Int8, {0, 4});
  EXPECT_EQ(e.getNumElements(), 0);
  EXPECT_EQ(e.getByteSize(), 0u);
}

TEST(TensorTest, CopyOnWrite) {
  Tensor a = Tensor::fromValues<float>({2}, {1.0f, 2.0f});
  Tensor b = a;
  b.getMutableData<float>()[0] = 5.0f;
  EXPECT_EQ(a.getData<float>()[0], 1.0f);
  EXPECT_EQ(b.getData<float>()[0], 5.0f);
}

TEST(TensorTest, CastSaturatesWithoutUndefinedBehaviour) {
  Tensor a = Tensor::fromValues<float>(
      {4}, {300.0f, -300.0f, std::numeric_limits<float>::quiet_NaN(), 1.9f});
  Tensor b = a.castTo(ElementType::Int8);
  EXPECT_EQ(b.getAsInt64(0), 127);
  EXPECT_EQ(b.getAsInt64(1), -128);
  EXPECT_EQ(b.getAsInt64(2), 0);
  EXPECT_EQ(b.getAsInt64(3), 1); // truncation toward zero
}

TEST(TensorTest, IntegerCastsStayExactAbove2To53) {
  int64_t big = (int64_t(1) << 60) + 1;
  Tensor a = Tensor::fromValues<int64_t>({1}, {big});
  Tensor b = a.castTo(ElementType::UInt64).castTo(ElementType::Int64);
  EXPECT_EQ(b.getAsInt64(0), big);
}

TEST(TensorTest, HalfConversionsRoundToNearestEven) {
  EXPECT_EQ(floatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(halfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(floatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(70000.0f), 0x7c00);              // overflow to infinity
  EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24)); // smallest subnormal
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -24)), 0x0001);
  // 1 + 2^-11 is halfway between 1 and the next half: ties to even (1.0).
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  EXPECT_TRUE(std::isnan(halfToFloat(floatToHalf(NAN))));
  EXPECT_EQ(floatToBFloat16(1.0f), 0x3f80);
  EXPECT_EQ(bfloat16ToFloat(0x3f80), 1.0f);
}

TEST(TensorTest, IdenticalComparesBytesTypeAndShape) {
  Tensor a = Tensor::fromValues<int32_t>({2}, {1, 2});
  Tensor b = Tensor::fromValues<int32_t>({2}, {1, 2});
  Tensor c = Tensor::fromValues<int32_t>({2, 1}, {1, 2});
  EXPECT_TRUE(a.isIdenticalTo(b));
  EXPECT_FALSE(a.isIdenticalTo(c));
  EXPECT_FALSE(a.isIdenticalTo(a.castTo(ElementType::Int64)));
}

TEST(TensorTest, ElementTypeNames) {
  for (int i = 1; i <= kMaxElementType; ++i) {
    auto t = static_cast<ElementType>(i);
    EXPECT_EQ(parseElementTypeName(getElementTypeName(t)), t);
  }
  EXPECT_EQ(parseElementTypeName("float8"), ElementType::Undefined);
}

TEST(TensorTypeTest, AdmitsShapesMatchingKnownDims) {
  TensorType noRank(ElementType::Float);
  EXPECT_TRUE(noRank.admitsShape({2, 3}));
  TensorType t(ElementType::Float,
               {Dim::unknown(), Dim::known(3), Dim::symbolic("W")});
  EXPECT_TRUE(t.admitsShape({7, 3, 5}));
  EXPECT_FALSE(t.admitsShape({7, 4, 5})); // known dim differs
  EXPECT_FALSE(t.admitsShape({7, 3}));    // rank differs
  TensorType scalar(ElementType::Float, llvm::ArrayRef<int64_t>{});
  EXPECT_TRUE(scalar.admitsShape({}));
  EXPECT_FALSE(scalar.admitsShape({1}));
}
