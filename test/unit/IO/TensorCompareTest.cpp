//===- TensorCompareTest.cpp - Tests of tensor comparison -----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/IO/TensorCompare.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>

using namespace qlc;

static const float kNaN = std::numeric_limits<float>::quiet_NaN();
static const float kInf = std::numeric_limits<float>::infinity();

static std::string allCloseError(const Tensor &a, const Tensor &b,
                                 double rtol = 1e-3, double atol = 1e-7) {
  llvm::Error err = checkAllClose(a, b, rtol, atol);
  return err ? llvm::toString(std::move(err)) : std::string();
}

TEST(TensorCompareTest, MetricsOfASmallDifference) {
  Tensor ref = Tensor::fromValues<float>({4}, {1, -2, 4, 0});
  Tensor got = Tensor::fromValues<float>({4}, {1, -2, 5, 0});
  auto d = compareTensors(got, ref);
  ASSERT_TRUE(static_cast<bool>(d));
  EXPECT_EQ(d->numElements, 4);
  EXPECT_EQ(d->numDifferent, 1);
  EXPECT_DOUBLE_EQ(d->maxAbsError, 1.0);
  EXPECT_DOUBLE_EQ(d->maxRelError, 0.25);
  EXPECT_DOUBLE_EQ(d->referenceMaxAbs, 4.0);
  // a.b = 1 + 4 + 20 = 25, |a| = sqrt(30), |b| = sqrt(21).
  EXPECT_DOUBLE_EQ(d->cosineSimilarity, 25 / std::sqrt(30.0 * 21.0));
  // signal 21, noise 1.
  EXPECT_DOUBLE_EQ(d->sqnrDb, 10 * std::log10(21.0));
}

TEST(TensorCompareTest, IdenticalAndZeroReference) {
  Tensor a = Tensor::fromValues<double>({2}, {0.5, kNaN});
  auto same = compareTensors(a, a);
  ASSERT_TRUE(static_cast<bool>(same));
  EXPECT_EQ(same->numDifferent, 0);
  EXPECT_TRUE(std::isinf(same->sqnrDb));
  EXPECT_EQ(same->nonFiniteMismatches, 0);
  Tensor zero = Tensor::fromValues<double>({2}, {0, 0});
  Tensor tiny = Tensor::fromValues<double>({2}, {1e-9, 0});
  auto d = compareTensors(tiny, zero);
  ASSERT_TRUE(static_cast<bool>(d));
  EXPECT_TRUE(std::isinf(d->maxRelError));
  EXPECT_EQ(d->cosineSimilarity, 0);
  Tensor nan = Tensor::fromValues<double>({2}, {kNaN, 0});
  auto n = compareTensors(nan, zero);
  ASSERT_TRUE(static_cast<bool>(n));
  EXPECT_EQ(n->nonFiniteMismatches, 1);
}

TEST(TensorCompareTest, RejectsMismatchedTensors) {
  Tensor f = Tensor::fromValues<float>({2}, {1, 2});
  EXPECT_EQ(llvm::toString(
                compareTensors(Tensor::fromValues<float>({1, 2}, {1, 2}), f)
                    .takeError()),
            "shape [1, 2], expected [2]");
  EXPECT_EQ(
      llvm::toString(compareTensors(Tensor::fromValues<int32_t>({2}, {1, 2}), f)
                         .takeError()),
      "element type int32, expected float");
  Tensor s = Tensor::fromStrings({1}, {"a"});
  EXPECT_EQ(llvm::toString(compareTensors(s, s).takeError()),
            "cannot compare string tensors");
}

TEST(TensorCompareTest, AllCloseFollowsNumPy) {
  Tensor want = Tensor::fromValues<float>({2, 2}, {1000, 0, kNaN, -kInf});
  EXPECT_EQ(allCloseError(want, want), "");
  // 1000.9 is within atol + rtol * 1000 = 1.0000001 of 1000.
  Tensor close = Tensor::fromValues<float>({2, 2}, {1000.9f, 0, kNaN, -kInf});
  EXPECT_EQ(allCloseError(close, want), "");
  Tensor far = Tensor::fromValues<float>({2, 2}, {1002, 1e-6f, kNaN, -kInf});
  EXPECT_EQ(allCloseError(far, want),
            "2 of 4 elements differ (rtol 0.001, atol 1e-07); first at "
            "[0, 0]: got 1002, expected 1000");
  Tensor notNaN = Tensor::fromValues<float>({2, 2}, {1000, 0, 1, -kInf});
  EXPECT_EQ(allCloseError(notNaN, want),
            "1 of 4 elements differ (rtol 0.001, atol 1e-07); first at "
            "[1, 0]: got 1, expected nan");
  Tensor wrongInf = Tensor::fromValues<float>({2, 2}, {1000, 0, kNaN, kInf});
  EXPECT_EQ(allCloseError(wrongInf, want),
            "1 of 4 elements differ (rtol 0.001, atol 1e-07); first at "
            "[1, 1]: got inf, expected -inf");
}

TEST(TensorCompareTest, IntegersAndBoolsMustBeExact) {
  Tensor want = Tensor::fromValues<int64_t>({3}, {1, 2, int64_t(1) << 60});
  Tensor got = Tensor::fromValues<int64_t>({3}, {1, 2, (int64_t(1) << 60) + 1});
  EXPECT_EQ(allCloseError(got, want, 1, 1).substr(0, 30),
            "1 of 3 elements differ (exact)");
  Tensor b1 = Tensor::fromValues<bool>({2}, {true, false});
  Tensor b2 = Tensor::fromValues<bool>({2}, {true, true});
  EXPECT_EQ(allCloseError(b1, b1), "");
  EXPECT_EQ(allCloseError(b1, b2),
            "1 of 2 elements differ (exact); first at [1]: got 0, expected 1");
}

TEST(TensorCompareTest, ArgmaxAndSummary) {
  Tensor t = Tensor::fromValues<float>({2, 3}, {1, 5, 5, kNaN, -1, -2});
  EXPECT_EQ(argmaxLastAxis(t), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(argmaxLastAxis(Tensor::scalar<int32_t>(4)),
            (std::vector<int64_t>{0}));
  EXPECT_EQ(summarizeTensor(t), "float [2, 3] min -2 max 5 mean 1.6 nan 1");
  EXPECT_EQ(summarizeTensor(Tensor(ElementType::Int8, {0, 4})), "int8 [0, 4]");
}
