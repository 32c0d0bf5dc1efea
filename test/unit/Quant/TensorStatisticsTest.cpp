//===- TensorStatisticsTest.cpp - Tests of TensorStatistics ---------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Checks the streaming statistics against exact computations over the raw
// samples: moments in double, the bin of every value computed independently
// in double arithmetic, quantiles against the sorted samples (within one bin
// width), fractions at bin edges exactly; and that batching, growth of R and
// merging do not change the result.
//
//===----------------------------------------------------------------------===//

#include "qlc/Quant/TensorStatistics.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace qlc;

namespace {

std::vector<float> uniformSamples(size_t n, float lo, float hi, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(gen);
  return v;
}

std::vector<float> gaussianSamples(size_t n, float mean, float sd,
                                   unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(mean, sd);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(gen);
  return v;
}

/// The bin of x by the documented layout, in double arithmetic.
size_t referenceBin(double x, double range, unsigned b) {
  double w = range / b;
  double m = std::ceil(std::fabs(x) / w) - 1;
  m = std::min(std::max(m, 0.0), double(b - 1));
  size_t mi = static_cast<size_t>(m);
  return x >= 0 ? b + mi : b - 1 - mi;
}

std::vector<uint64_t> referenceHistogram(const std::vector<float> &v,
                                         double range, unsigned b) {
  std::vector<uint64_t> h(2 * b, 0);
  for (float x : v)
    ++h[referenceBin(x, range, b)];
  return h;
}

struct Moments {
  double mean = 0, sd = 0;
};

Moments exactMoments(const std::vector<float> &v) {
  double s = 0;
  for (float x : v)
    s += x;
  double mean = s / v.size(), ss = 0;
  for (float x : v)
    ss += (x - mean) * (x - mean);
  return {mean, std::sqrt(ss / v.size())};
}

/// The order statistic of rank ceil(f * n) (1-based) of sorted `v`, the
/// quantity getQuantile estimates.
double exactQuantile(const std::vector<float> &v, double f) {
  size_t rank = static_cast<size_t>(std::ceil(f * v.size()));
  rank = std::min(std::max<size_t>(rank, 1), v.size());
  return v[rank - 1];
}

double exactFractionOutside(const std::vector<float> &v, double lo, double hi) {
  size_t out = 0;
  for (float x : v)
    out += x < lo || x > hi;
  return double(out) / v.size();
}

TEST(QuantTensorStatisticsTest, EmptyObjectAnswersZero) {
  TensorStatistics s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.getCount(), 0u);
  EXPECT_EQ(s.getMin(), 0.0);
  EXPECT_EQ(s.getMax(), 0.0);
  EXPECT_EQ(s.getMean(), 0.0);
  EXPECT_EQ(s.getStdDev(), 0.0);
  EXPECT_EQ(s.getHistogramRange(), 0.0);
  EXPECT_EQ(s.getQuantile(0.5), 0.0);
  EXPECT_EQ(s.getFractionOutside(-1, 1), 0.0);
  EXPECT_TRUE(s.getPieces().empty());
  s.add(nullptr, 0);
  EXPECT_TRUE(s.empty());
}

TEST(QuantTensorStatisticsTest, BinsPerSideIsAPowerOfTwo) {
  EXPECT_EQ(TensorStatistics().getBinsPerSide(), 2048u);
  EXPECT_EQ(TensorStatistics(1000).getBinsPerSide(), 1024u);
  EXPECT_EQ(TensorStatistics(0).getBinsPerSide(), 4u);
  EXPECT_EQ(TensorStatistics(1000).getHistogram().size(), 2048u);
}

TEST(QuantTensorStatisticsTest, UniformMatchesAnalyticAndExactAnswers) {
  std::vector<float> v = uniformSamples(200000, -3.0f, 5.0f, 1);
  TensorStatistics s;
  s.add(v);
  ASSERT_EQ(s.getCount(), v.size());
  EXPECT_EQ(s.getMin(), *std::min_element(v.begin(), v.end()));
  EXPECT_EQ(s.getMax(), *std::max_element(v.begin(), v.end()));
  EXPECT_EQ(s.getHistogramRange(), 8.0); // max |x| just below 5
  // Analytic: mean 1, sd 8 / sqrt(12); the sample mean is within 4 sigma.
  double sd = 8.0 / std::sqrt(12.0);
  EXPECT_NEAR(s.getMean(), 1.0, 4 * sd / std::sqrt(double(v.size())));
  EXPECT_NEAR(s.getStdDev(), sd, 0.01 * sd);
  Moments exact = exactMoments(v);
  EXPECT_NEAR(s.getMean(), exact.mean, 1e-9);
  EXPECT_NEAR(s.getStdDev(), exact.sd, 1e-6 * exact.sd);
  // Quantiles: analytic -3 + 8f, and within one bin of the order statistic.
  double w = s.getBinWidth();
  std::sort(v.begin(), v.end());
  for (double f : {0.0001, 0.01, 0.25, 0.5, 0.9, 0.999}) {
    EXPECT_NEAR(s.getQuantile(f), -3.0 + 8.0 * f, 0.02) << f;
    EXPECT_NEAR(s.getQuantile(f), exactQuantile(v, f), w) << f;
  }
  EXPECT_NEAR(s.getFractionOutside(-1.0, 2.0), 0.625, 0.01);
}

TEST(QuantTensorStatisticsTest, HistogramMatchesReferenceBinning) {
  std::vector<float> v = gaussianSamples(100003, 0.3f, 1.5f, 2);
  TensorStatistics s(256);
  s.add(v);
  std::vector<uint64_t> ref = referenceHistogram(v, s.getHistogramRange(), 256);
  EXPECT_EQ(s.getHistogram().vec(), ref);
  uint64_t zeros = std::count(v.begin(), v.end(), 0.0f);
  EXPECT_EQ(s.getZeroCount(), zeros);
}

TEST(QuantTensorStatisticsTest, GaussianMomentsAndQuantiles) {
  std::vector<float> v = gaussianSamples(200000, -2.0f, 0.5f, 3);
  TensorStatistics s;
  s.add(v);
  Moments exact = exactMoments(v);
  EXPECT_NEAR(s.getMean(), exact.mean, 1e-9);
  EXPECT_NEAR(s.getStdDev(), exact.sd, 1e-6 * exact.sd);
  EXPECT_NEAR(s.getMean(), -2.0, 0.01);
  EXPECT_NEAR(s.getStdDev(), 0.5, 0.01);
  // Median and the 2.275% / 97.725% points (mean -+ 2 sd).
  EXPECT_NEAR(s.getQuantile(0.5), -2.0, 0.01);
  EXPECT_NEAR(s.getQuantile(0.02275), -3.0, 0.02);
  EXPECT_NEAR(s.getQuantile(0.97725), -1.0, 0.02);
  double w = s.getBinWidth();
  std::sort(v.begin(), v.end());
  for (double f : {0.001, 0.1, 0.5, 0.77, 0.9999})
    EXPECT_NEAR(s.getQuantile(f), exactQuantile(v, f), w) << f;
}

TEST(QuantTensorStatisticsTest, FractionsAreExactAtBinEdges) {
  std::vector<float> v = gaussianSamples(50000, 0.0f, 1.0f, 4);
  // Values exactly on edges: bins are closed towards zero.
  for (int i = 0; i < 100; ++i) {
    v.push_back(1.0f);
    v.push_back(-1.0f);
    v.push_back(0.0f);
  }
  TensorStatistics s(64);
  s.add(v);
  double w = s.getBinWidth();
  for (int k : {0, 1, 5, 8, 16, 40, 64}) {
    for (int j : {0, 3, 8, 16, 63}) {
      double lo = -k * w, hi = j * w;
      EXPECT_DOUBLE_EQ(s.getFractionOutside(lo, hi),
                       exactFractionOutside(v, lo, hi))
          << lo << " " << hi;
    }
  }
  EXPECT_DOUBLE_EQ(
      s.getFractionBelow(0.0),
      double(std::count_if(v.begin(), v.end(), [](float x) { return x < 0; })) /
          v.size());
}

TEST(QuantTensorStatisticsTest, AllZeros) {
  std::vector<float> v(1000, 0.0f);
  v[10] = -0.0f;
  TensorStatistics s;
  s.add(v);
  EXPECT_EQ(s.getCount(), 1000u);
  EXPECT_EQ(s.getZeroCount(), 1000u);
  EXPECT_EQ(s.getHistogramRange(), 0.0);
  EXPECT_EQ(s.getMin(), 0.0);
  EXPECT_EQ(s.getMax(), 0.0);
  EXPECT_EQ(s.getStdDev(), 0.0);
  EXPECT_EQ(s.getQuantile(0.7), 0.0);
  EXPECT_EQ(s.getFractionOutside(0.0, 0.0), 0.0);
  EXPECT_EQ(s.getFractionAbove(-1e-30), 1.0);
  EXPECT_EQ(s.getHistogram()[2048], 1000u);
  // A later nonzero batch sets R; the zeros stay in the zero bin.
  float more[] = {3.0f, -0.5f};
  s.add(more, 2);
  EXPECT_EQ(s.getHistogramRange(), 4.0);
  EXPECT_EQ(s.getHistogram()[2048], 1000u);
  EXPECT_EQ(s.getQuantile(0.5), 0.0);
}

TEST(QuantTensorStatisticsTest, SingleRepeatedValue) {
  std::vector<float> v(777, 2.5f);
  TensorStatistics s;
  s.add(v);
  EXPECT_EQ(s.getMin(), 2.5);
  EXPECT_EQ(s.getMax(), 2.5);
  EXPECT_EQ(s.getMean(), 2.5);
  EXPECT_EQ(s.getStdDev(), 0.0);
  EXPECT_EQ(s.getHistogramRange(), 4.0);
  EXPECT_EQ(s.getQuantile(0.3), 2.5);
  std::vector<HistogramPiece> pieces = s.getPieces();
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].lo, 2.5);
  EXPECT_EQ(pieces[0].hi, 2.5);
  EXPECT_EQ(pieces[0].mass, 777.0);
  EXPECT_EQ(s.getFractionOutside(0, 2.5), 0.0);
  EXPECT_EQ(s.getFractionOutside(0, 2.4), 1.0);
}

TEST(QuantTensorStatisticsTest, NegativeOnly) {
  std::vector<float> v = uniformSamples(30000, -4.0f, -1.0f, 5);
  TensorStatistics s;
  s.add(v);
  EXPECT_LT(s.getMax(), -1.0 + 1e-3);
  EXPECT_GE(s.getMin(), -4.0);
  EXPECT_EQ(s.getHistogramRange(), 4.0);
  llvm::ArrayRef<uint64_t> h = s.getHistogram();
  for (size_t i = s.getBinsPerSide(); i < h.size(); ++i)
    ASSERT_EQ(h[i], 0u) << i;
  EXPECT_EQ(s.getFractionAbove(0.0), 0.0);
  EXPECT_EQ(s.getFractionBelow(-4.0), 0.0);
  EXPECT_NEAR(s.getQuantile(0.5), -2.5, 0.02);
  EXPECT_NEAR(s.getFractionOutside(-2.0, 0.0), 2.0 / 3.0, 0.01);
}

TEST(QuantTensorStatisticsTest, NanIsCountedApartAndInfGoesToOutermostBins) {
  std::vector<float> v = gaussianSamples(1000, 0.0f, 1.0f, 6);
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  v[3] = nan;
  v[4] = inf;
  v[5] = -inf;
  v[6] = inf;
  v[7] = nan;
  TensorStatistics s(16);
  s.add(v);
  EXPECT_EQ(s.getNanCount(), 2u);
  EXPECT_EQ(s.getCount(), 998u);
  EXPECT_EQ(s.getPosInfCount(), 2u);
  EXPECT_EQ(s.getNegInfCount(), 1u);
  EXPECT_EQ(s.getFiniteCount(), 995u);
  EXPECT_EQ(s.getMin(), -inf);
  EXPECT_EQ(s.getMax(), inf);
  EXPECT_TRUE(std::isfinite(s.getFiniteMin()));
  EXPECT_TRUE(std::isfinite(s.getFiniteMax()));
  EXPECT_TRUE(std::isfinite(s.getMean()));
  EXPECT_TRUE(std::isfinite(s.getStdDev()));

  std::vector<float> finite;
  for (float x : v)
    if (std::isfinite(x))
      finite.push_back(x);
  Moments exact = exactMoments(finite);
  EXPECT_NEAR(s.getMean(), exact.mean, 1e-9);
  EXPECT_NEAR(s.getStdDev(), exact.sd, 1e-9);
  std::vector<uint64_t> ref =
      referenceHistogram(finite, s.getHistogramRange(), 16);
  ref.front() += 1;
  ref.back() += 2;
  EXPECT_EQ(s.getHistogram().vec(), ref);
  // The infinities are outside any finite range.
  EXPECT_NEAR(s.getFractionOutside(-100, 100), 3.0 / 998, 1e-12);
  // Growth of R keeps them outermost.
  float big = 1000.0f;
  s.add(&big, 1);
  // R = 1024, w = 64: the finite values collapse next to 0, and 1000 shares
  // the last bin with the two +inf.
  EXPECT_EQ(s.getHistogramRange(), 1024.0);
  EXPECT_EQ(s.getHistogram().front(), 1u);
  EXPECT_EQ(s.getHistogram().back(), 3u);
  EXPECT_EQ(s.getQuantile(1.0), 1000.0);
}

TEST(QuantTensorStatisticsTest, BatchingDoesNotChangeTheResult) {
  // Large enough for the interleaved sub-histogram path in one call.
  std::vector<float> v = gaussianSamples(300001, 0.1f, 1.0f, 7);
  for (size_t i = 0; i < v.size(); i += 3)
    v[i] = std::max(v[i], 0.0f); // plenty of exact zeros
  TensorStatistics whole, pieces;
  whole.add(v);
  for (size_t i = 0; i < v.size(); i += 997)
    pieces.add(v.data() + i, std::min<size_t>(997, v.size() - i));
  EXPECT_EQ(whole.getHistogram().vec(), pieces.getHistogram().vec());
  EXPECT_EQ(whole.getZeroCount(), pieces.getZeroCount());
  EXPECT_EQ(whole.getMin(), pieces.getMin());
  EXPECT_EQ(whole.getMax(), pieces.getMax());
  EXPECT_NEAR(whole.getMean(), pieces.getMean(), 1e-9);
  EXPECT_NEAR(whole.getStdDev(), pieces.getStdDev(), 1e-6 * whole.getStdDev());
  EXPECT_EQ(whole.getHistogram().vec(),
            referenceHistogram(v, whole.getHistogramRange(), 2048));
}

TEST(QuantTensorStatisticsTest, GrowthOfRangeKeepsCountsAndQuantiles) {
  // Batches of increasing spread force R to double several times.
  std::vector<float> all;
  TensorStatistics s(512);
  for (int k = 0; k < 6; ++k) {
    std::vector<float> batch =
        gaussianSamples(20000, 0.0f, std::ldexp(0.01f, 2 * k), 10 + k);
    s.add(batch);
    all.insert(all.end(), batch.begin(), batch.end());
    EXPECT_EQ(s.getCount(), all.size());
    EXPECT_EQ(s.getHistogram().vec(),
              referenceHistogram(all, s.getHistogramRange(), 512));
  }
  float maxAbs = 0;
  for (float x : all)
    maxAbs = std::max(maxAbs, std::fabs(x));
  EXPECT_GE(s.getHistogramRange(), maxAbs);
  EXPECT_LT(s.getHistogramRange(), 2 * maxAbs);
  double w = s.getBinWidth();
  std::sort(all.begin(), all.end());
  for (double f : {0.0001, 0.05, 0.5, 0.95, 0.9999})
    EXPECT_NEAR(s.getQuantile(f), exactQuantile(all, f), w) << f;
  Moments exact = exactMoments(all);
  EXPECT_NEAR(s.getStdDev(), exact.sd, 1e-6 * exact.sd);
}

TEST(QuantTensorStatisticsTest, LateOutliersAndNanInALaterBatch) {
  // Once R is known, add() bins block by block and hands the rest of the
  // batch to the general path at the first block that needs R to grow or
  // holds a NaN. The result must not depend on where that happens.
  std::vector<float> first = gaussianSamples(10000, 0.0f, 1.0f, 40);
  std::vector<float> second = gaussianSamples(10001, 0.0f, 1.0f, 41);
  second[5000] = 40.0f;                                   // R grows mid-batch
  second[7003] = std::numeric_limits<float>::quiet_NaN(); // and a NaN later
  std::vector<float> third = gaussianSamples(3333, 0.0f, 1.0f, 42);
  third[3000] = HUGE_VALF;
  TensorStatistics s;
  s.add(first);
  s.add(second);
  s.add(third);
  std::vector<float> finite;
  for (const std::vector<float> *v : {&first, &second, &third})
    for (float x : *v)
      if (std::isfinite(x))
        finite.push_back(x);
  EXPECT_EQ(s.getNanCount(), 1u);
  EXPECT_EQ(s.getPosInfCount(), 1u);
  EXPECT_EQ(s.getCount(), finite.size() + 1);
  EXPECT_EQ(s.getHistogramRange(), 64.0);
  std::vector<uint64_t> ref = referenceHistogram(finite, 64.0, 2048);
  ref.back() += 1;
  EXPECT_EQ(s.getHistogram().vec(), ref);
  EXPECT_EQ(s.getFiniteMax(), 40.0);
  EXPECT_EQ(s.getMax(), HUGE_VAL);
  Moments exact = exactMoments(finite);
  EXPECT_NEAR(s.getMean(), exact.mean, 1e-9);
  EXPECT_NEAR(s.getStdDev(), exact.sd, 1e-6 * exact.sd);
}

TEST(QuantTensorStatisticsTest, MomentsStayAccurateWhenBatchesShift) {
  // Later batches far from the running mean relative to their own spread
  // (the one-pass path's shifted sums would cancel): still exact.
  std::vector<float> all = {100.0f, -100.0f};
  TensorStatistics s;
  s.add(all);
  for (int k = 0; k < 5; ++k) {
    std::vector<float> batch = gaussianSamples(5000, 50.0f + k, 0.001f, 50 + k);
    s.add(batch);
    all.insert(all.end(), batch.begin(), batch.end());
  }
  Moments exact = exactMoments(all);
  EXPECT_NEAR(s.getMean(), exact.mean, 1e-9 * std::fabs(exact.mean));
  EXPECT_NEAR(s.getStdDev(), exact.sd, 1e-6 * exact.sd);
  // A narrow distribution far from 0.
  std::vector<float> narrow = gaussianSamples(100000, 1000.0f, 0.01f, 60);
  TensorStatistics t;
  for (size_t i = 0; i < narrow.size(); i += 1000)
    t.add(narrow.data() + i, 1000);
  exact = exactMoments(narrow);
  EXPECT_NEAR(t.getMean(), exact.mean, 1e-9 * exact.mean);
  EXPECT_NEAR(t.getStdDev(), exact.sd, 1e-4 * exact.sd);
}

TEST(QuantTensorStatisticsTest, MergeEqualsAddingEverything) {
  std::vector<float> a = gaussianSamples(40000, 0.0f, 0.1f, 20);
  std::vector<float> b = gaussianSamples(30000, 1.0f, 7.0f, 21);
  b[17] = std::numeric_limits<float>::quiet_NaN();
  b[18] = -std::numeric_limits<float>::infinity();
  TensorStatistics sa, sb, all;
  sa.add(a);
  sb.add(b);
  all.add(a);
  all.add(b);
  TensorStatistics merged = sa;
  merged.merge(sb);
  EXPECT_EQ(merged.getHistogramRange(), all.getHistogramRange());
  EXPECT_EQ(merged.getHistogram().vec(), all.getHistogram().vec());
  EXPECT_EQ(merged.getCount(), all.getCount());
  EXPECT_EQ(merged.getNanCount(), 1u);
  EXPECT_EQ(merged.getNegInfCount(), 1u);
  EXPECT_EQ(merged.getZeroCount(), all.getZeroCount());
  EXPECT_EQ(merged.getMin(), all.getMin());
  EXPECT_EQ(merged.getFiniteMin(), all.getFiniteMin());
  EXPECT_EQ(merged.getMax(), all.getMax());
  EXPECT_NEAR(merged.getMean(), all.getMean(), 1e-12);
  EXPECT_NEAR(merged.getStdDev(), all.getStdDev(), 1e-9);
  // The other order: the small-range object absorbs the large one.
  TensorStatistics reversed = sb;
  reversed.merge(sa);
  EXPECT_EQ(reversed.getHistogram().vec(), all.getHistogram().vec());
  // Merging into or from an empty object.
  TensorStatistics empty, fromEmpty;
  fromEmpty.merge(sa);
  EXPECT_EQ(fromEmpty.getHistogram().vec(), sa.getHistogram().vec());
  TensorStatistics copy = sa;
  copy.merge(empty);
  EXPECT_EQ(copy.getHistogram().vec(), sa.getHistogram().vec());
  EXPECT_EQ(copy.getCount(), sa.getCount());
  // Self-merge doubles every count.
  TensorStatistics twice = sa;
  twice.merge(twice);
  EXPECT_EQ(twice.getCount(), 2 * sa.getCount());
  EXPECT_EQ(twice.getHistogram()[2048 + 3], 2 * sa.getHistogram()[2048 + 3]);
  EXPECT_NEAR(twice.getStdDev(), sa.getStdDev(), 1e-9);
}

TEST(QuantTensorStatisticsTest, MergeOfDifferentResolutionsKeepsTheCoarser) {
  std::vector<float> a = uniformSamples(5000, -1.0f, 1.0f, 30);
  std::vector<float> b = uniformSamples(5000, -3.0f, 3.0f, 31);
  TensorStatistics fine(1024), coarse(64);
  fine.add(a);
  coarse.add(b);
  fine.merge(coarse);
  // R = 4 and width 4 / 64: 64 bins per side.
  EXPECT_EQ(fine.getHistogramRange(), 4.0);
  EXPECT_EQ(fine.getBinsPerSide(), 64u);
  std::vector<float> all = a;
  all.insert(all.end(), b.begin(), b.end());
  EXPECT_EQ(fine.getHistogram().vec(), referenceHistogram(all, 4.0, 64));
}

TEST(QuantTensorStatisticsTest, EdgeValuesLandInDocumentedBins) {
  TensorStatistics s(4);
  float v[] = {2.0f, -2.0f, 0.5f, -0.5f, 0.25f, 1e-30f, -1e-30f};
  s.add(v, 7);
  ASSERT_EQ(s.getHistogramRange(), 2.0); // w = 0.5
  std::vector<uint64_t> expected = {1, 0, 0, 2, 3, 0, 0, 1};
  // -2 -> bin 0; -0.5, -1e-30 -> bin 3; 0.5, 0.25, 1e-30 -> bin 4 (0, 0.5];
  // 2 -> bin 7.
  EXPECT_EQ(s.getHistogram().vec(), expected);
}

TEST(QuantTensorStatisticsTest, ExtremeMagnitudesStayFinite) {
  const float maxF = std::numeric_limits<float>::max();
  const float denorm = std::numeric_limits<float>::denorm_min();
  TensorStatistics tiny;
  float t[] = {denorm, -denorm, 0.0f};
  tiny.add(t, 3);
  EXPECT_GT(tiny.getHistogramRange(), 0.0);
  EXPECT_EQ(tiny.getZeroCount(), 1u);
  EXPECT_EQ(tiny.getHistogram()[2047] + tiny.getHistogram()[2048], 3u);
  TensorStatistics huge;
  float h[] = {maxF, -maxF, 1.0f, 0.0f};
  huge.add(h, 4);
  EXPECT_EQ(huge.getHistogramRange(), std::ldexp(1.0, 128));
  EXPECT_EQ(huge.getHistogram().front(), 1u);
  EXPECT_EQ(huge.getHistogram().back(), 1u);
  EXPECT_TRUE(std::isfinite(huge.getStdDev()));
  EXPECT_NEAR(huge.getStdDev(), std::sqrt(2.0 * double(maxF) * maxF / 4),
              1e-6 * maxF);
  tiny.merge(huge);
  EXPECT_EQ(tiny.getCount(), 7u);
  EXPECT_EQ(tiny.getHistogram()[2047] + tiny.getHistogram()[2048], 5u);
}

} // namespace
