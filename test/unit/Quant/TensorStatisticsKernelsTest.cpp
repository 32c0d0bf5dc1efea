//===- TensorStatisticsKernelsTest.cpp - Tests of the binning kernels -----===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Each vector kernel of TensorStatistics (SSE-width and, where the CPU has
// it, AVX2-width) must give exactly the bins of the scalar binOf, the same
// extremes and zero count, sums that agree with double arithmetic, and must
// refuse blocks holding NaN, inf or values beyond R. The kernel a machine
// picks at run time is exercised by the other tests; this one covers the
// others too.
//
//===----------------------------------------------------------------------===//

#include "TensorStatisticsKernels.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace qlc::detail;

namespace {

constexpr int32_t kBins = 64;
constexpr float kRange = 4.0f, kScale = kBins / kRange; // w = 1/16

/// Gaussian values within [-R, R] plus bin edges, +-R, +-0 and tiny ones.
std::vector<float> blockValues(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.2f, 1.3f);
  std::vector<float> v(n);
  for (float &x : v)
    x = std::max(-kRange, std::min(kRange, dist(gen)));
  float special[] = {0.0f,       -0.0f, kRange, -kRange,  1.0f / 16,
                     -1.0f / 16, 0.5f,  -2.5f,  1e-30f,   -1e-30f,
                     3.9999f,    2.0f,  -4.0f,  0.03125f, -0.0625f};
  for (size_t i = 0; i < sizeof(special) / sizeof(float); ++i)
    v[i * 7 % n] = special[i];
  return v;
}

void expectMatchesScalar(BinBlockKernel kernel, unsigned width) {
  std::vector<float> v = blockValues(kBlock, 3 + width);
  std::vector<uint32_t> idx(kBlock, 12345);
  BlockSums sums;
  const float shift = 0.25f;
  long done =
      kernel(v.data(), v.size(), kScale, kBins, shift, idx.data(), sums);
  ASSERT_EQ(done, static_cast<long>(kBlock));
  uint64_t zeros = 0;
  double sum = 0, sumSq = 0;
  float mn = v[0], mx = v[0];
  for (size_t i = 0; i < v.size(); ++i) {
    ASSERT_EQ(idx[i], binOf(v[i], kScale, kBins)) << i << " " << v[i];
    zeros += v[i] == 0;
    mn = std::min(mn, v[i]);
    mx = std::max(mx, v[i]);
    double d = double(v[i]) - shift;
    sum += d;
    sumSq += d * d;
  }
  EXPECT_EQ(sums.zeros, zeros);
  EXPECT_EQ(sums.min, mn);
  EXPECT_EQ(sums.max, mx);
  EXPECT_NEAR(sums.sum, sum, 1e-4);
  EXPECT_NEAR(sums.sumSq, sumSq, 1e-6 * sumSq);
  // Too short for one step: nothing done, nothing added.
  BlockSums none;
  EXPECT_EQ(
      kernel(v.data(), 2 * width - 1, kScale, kBins, shift, idx.data(), none),
      0);
  EXPECT_EQ(none.zeros, 0u);
}

void expectRefusesBadBlocks(BinBlockKernel kernel) {
  const float bad[] = {std::numeric_limits<float>::quiet_NaN(), HUGE_VALF,
                       -HUGE_VALF, 4.0001f, -5.0f};
  for (float b : bad) {
    std::vector<float> v = blockValues(kBlock, 9);
    v[301] = b;
    std::vector<uint32_t> idx(kBlock);
    BlockSums sums;
    EXPECT_EQ(kernel(v.data(), v.size(), kScale, kBins, 0.0f, idx.data(), sums),
              -1)
        << b;
    EXPECT_EQ(sums.zeros, 0u);
    EXPECT_EQ(sums.sum, 0.0);
    BlockSums viaDispatch;
    EXPECT_FALSE(binBlock(v.data(), v.size(), kScale, kBins, 0.0f, idx.data(),
                          viaDispatch));
  }
}

TEST(QuantKernelsTest, Width4MatchesScalar) {
  BinBlockKernel k = getBinBlockKernel(4);
#if defined(__GNUC__) || defined(__clang__)
  ASSERT_NE(k, nullptr);
#endif
  if (!k)
    GTEST_SKIP() << "no vector extensions in this compiler";
  expectMatchesScalar(k, 4);
  expectRefusesBadBlocks(k);
}

TEST(QuantKernelsTest, Width8MatchesScalar) {
  BinBlockKernel k = getBinBlockKernel(8);
  if (!k)
    GTEST_SKIP() << "this CPU or compiler has no 8-float vector kernel";
  expectMatchesScalar(k, 8);
  expectRefusesBadBlocks(k);
}

TEST(QuantKernelsTest, DispatchHandlesOddLengths) {
  for (size_t n : {1u, 7u, 13u, 17u, 100u, 511u}) {
    std::vector<float> v = blockValues(n, 11);
    std::vector<uint32_t> idx(n);
    BlockSums sums;
    ASSERT_TRUE(binBlock(v.data(), n, kScale, kBins, 0.0f, idx.data(), sums));
    for (size_t i = 0; i < n; ++i)
      ASSERT_EQ(idx[i], binOf(v[i], kScale, kBins)) << n << " " << i;
  }
  EXPECT_EQ(getBinBlockKernel(16), nullptr);
}

} // namespace
