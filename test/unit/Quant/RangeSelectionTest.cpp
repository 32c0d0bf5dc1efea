//===- RangeSelectionTest.cpp - Tests of chooseRange ----------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Checks every range-selection method against answers computed another way:
// exact moments and order statistics of the samples, the analytic
// MSE-optimal clipping of a Gaussian, brute-force squared errors of the real
// fakeQuantize over the raw samples, and a literal (quadratic) re-statement
// of the entropy calibration. Also the errors on bad options and empty
// statistics, and invariants that every method must keep.
//
//===----------------------------------------------------------------------===//

#include "qlc/Quant/RangeSelection.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace qlc;

namespace {

std::vector<float> gaussianSamples(size_t n, float mean, float sd,
                                   unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(mean, sd);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(gen);
  return v;
}

std::vector<float> uniformSamples(size_t n, float lo, float hi, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(gen);
  return v;
}

/// Gaussian N(0, 1) plus 0.01% outliers at +50 and -30.
std::vector<float> gaussianWithOutliers(size_t n, unsigned seed) {
  std::vector<float> v = gaussianSamples(n, 0.0f, 1.0f, seed);
  for (size_t i = 0; i < n / 10000; ++i) {
    v[i * 10000] = 50.0f;
    v[i * 10000 + 1] = -30.0f;
  }
  return v;
}

/// ReLU of N(0, 1): half exact zeros.
std::vector<float> reluSamples(size_t n, unsigned seed) {
  std::vector<float> v = gaussianSamples(n, 0.0f, 1.0f, seed);
  for (float &x : v)
    x = std::max(x, 0.0f);
  return v;
}

TensorStatistics statsOf(const std::vector<float> &v, unsigned bins = 2048) {
  TensorStatistics s(bins);
  s.add(v);
  return s;
}

DataRange choose(const TensorStatistics &s, const QuantGrid &grid,
                 RangeMethod method) {
  RangeOptions opts;
  opts.method = method;
  llvm::Expected<DataRange> r = chooseRange(s, grid, opts);
  if (!r) {
    ADD_FAILURE() << llvm::toString(r.takeError());
    return {};
  }
  return *r;
}

/// The squared error of the real quantiser over the samples (float, as the
/// interpreter computes it).
double sampleMse(const std::vector<float> &v, double eps,
                 const QuantGrid &grid) {
  double sum = 0;
  float e = static_cast<float>(eps);
  for (float x : v) {
    double d = double(x) - double(fakeQuantize(x, e, grid));
    sum += d * d;
  }
  return sum / v.size();
}

double epsOf(const DataRange &r, const QuantGrid &grid) {
  return computeEps(r.lo, r.hi, grid);
}

std::string errorOf(const TensorStatistics &s, const QuantGrid &grid,
                    const RangeOptions &opts) {
  llvm::Expected<DataRange> r = chooseRange(s, grid, opts);
  if (r)
    return "";
  return llvm::toString(r.takeError());
}

const QuantGrid kInt8 = QuantGrid::fromBits(8, true);
const QuantGrid kUint8 = QuantGrid::fromBits(8, false);
const QuantGrid kInt8Even = QuantGrid::fromBits(8, true, Rounding::HalfEven);

TEST(QuantRangeSelectionTest, MethodNamesRoundTrip) {
  for (RangeMethod m :
       {RangeMethod::MinMax, RangeMethod::MeanStd, RangeMethod::Percentile,
        RangeMethod::Mse, RangeMethod::Kl}) {
    llvm::Optional<RangeMethod> parsed =
        parseRangeMethod(getRangeMethodName(m));
    ASSERT_TRUE(parsed.hasValue());
    EXPECT_EQ(*parsed, m);
  }
  EXPECT_EQ(getRangeMethodName(RangeMethod::Kl).str(), "kl");
  EXPECT_FALSE(parseRangeMethod("entropy").hasValue());
  EXPECT_FALSE(parseRangeMethod("MSE").hasValue());
  EXPECT_FALSE(parseRangeMethod("").hasValue());
}

TEST(QuantRangeSelectionTest, RejectsBadOptions) {
  TensorStatistics s = statsOf(uniformSamples(100, -1, 1, 1));
  RangeOptions p;
  p.method = RangeMethod::Percentile;
  for (double bad : {0.0, -5.0, 100.01, std::nan("")}) {
    p.percentile = bad;
    EXPECT_NE(errorOf(s, kInt8, p).find("percentile must be in (0, 100]"),
              std::string::npos)
        << bad;
  }
  p.percentile = 100;
  EXPECT_EQ(errorOf(s, kInt8, p), "");
  RangeOptions m;
  m.method = RangeMethod::MeanStd;
  for (double bad : {0.0, -1.0, std::nan(""), HUGE_VAL}) {
    m.nStd = bad;
    EXPECT_NE(errorOf(s, kInt8, m).find("meanstd needs a positive"),
              std::string::npos)
        << bad;
  }
  // Options of other methods are not looked at.
  RangeOptions mm;
  mm.percentile = -1;
  mm.nStd = 0;
  EXPECT_EQ(errorOf(s, kInt8, mm), "");
  QuantGrid invalid;
  invalid.nLevels = 1;
  EXPECT_NE(errorOf(s, invalid, RangeOptions()).find("invalid quantisation"),
            std::string::npos);
}

TEST(QuantRangeSelectionTest, RejectsStatisticsWithoutFiniteValues) {
  TensorStatistics empty;
  for (RangeMethod method : {RangeMethod::MinMax, RangeMethod::Mse}) {
    RangeOptions opts;
    opts.method = method;
    EXPECT_EQ(errorOf(empty, kInt8, opts), "no values were recorded");
  }
  TensorStatistics onlyNan;
  float nan = std::numeric_limits<float>::quiet_NaN();
  onlyNan.add(&nan, 1);
  EXPECT_EQ(errorOf(onlyNan, kInt8, RangeOptions()), "no values were recorded");
  TensorStatistics onlyInf;
  float inf[] = {HUGE_VALF, -HUGE_VALF};
  onlyInf.add(inf, 2);
  EXPECT_EQ(errorOf(onlyInf, kUint8, RangeOptions()),
            "no finite values were recorded");
}

TEST(QuantRangeSelectionTest, MinMaxIgnoresInfinitiesAndRespectsUnsignedGrids) {
  std::vector<float> v = uniformSamples(1000, -1.5f, 3.0f, 2);
  v[5] = HUGE_VALF;
  v[6] = std::numeric_limits<float>::quiet_NaN();
  TensorStatistics s = statsOf(v);
  DataRange r = choose(s, kInt8, RangeMethod::MinMax);
  EXPECT_EQ(r.lo, s.getFiniteMin());
  EXPECT_EQ(r.hi, s.getFiniteMax());
  EXPECT_LT(r.lo, -1.4);
  EXPECT_GT(r.hi, 2.9);
  EXPECT_LT(r.hi, 3.0);
  DataRange u = choose(s, kUint8, RangeMethod::MinMax);
  EXPECT_EQ(u.lo, 0.0);
  EXPECT_EQ(u.hi, s.getFiniteMax());
}

TEST(QuantRangeSelectionTest, MeanStdUsesExactMomentsAndClamps) {
  std::vector<float> v = gaussianSamples(100000, 1.0f, 2.0f, 3);
  TensorStatistics s = statsOf(v);
  RangeOptions opts;
  opts.method = RangeMethod::MeanStd;
  opts.nStd = 2.5;
  DataRange r = *chooseRange(s, kInt8, opts);
  EXPECT_NEAR(r.lo, s.getMean() - 2.5 * s.getStdDev(), 1e-12);
  EXPECT_NEAR(r.hi, s.getMean() + 2.5 * s.getStdDev(), 1e-12);
  EXPECT_NEAR(r.lo, 1.0 - 5.0, 0.05);
  EXPECT_NEAR(r.hi, 1.0 + 5.0, 0.05);
  // Uniform [0, 1]: sd = 0.289, so 3 sd reaches past both ends.
  TensorStatistics u = statsOf(uniformSamples(100000, 0.0f, 1.0f, 4));
  opts.nStd = 3;
  DataRange ru = *chooseRange(u, kInt8, opts);
  EXPECT_EQ(ru.lo, u.getFiniteMin());
  EXPECT_EQ(ru.hi, u.getFiniteMax());
  opts.nStd = 1;
  ru = *chooseRange(u, kInt8, opts);
  EXPECT_NEAR(ru.lo, 0.5 - 1 / std::sqrt(12.0), 0.005);
  EXPECT_NEAR(ru.hi, 0.5 + 1 / std::sqrt(12.0), 0.005);
}

TEST(QuantRangeSelectionTest, PercentileSplitsTheCutOnSignedGrids) {
  std::vector<float> v = uniformSamples(200000, -1.0f, 3.0f, 5);
  TensorStatistics s = statsOf(v);
  double w = s.getBinWidth();
  std::vector<float> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  auto order = [&](double f) {
    return sorted[static_cast<size_t>(std::ceil(f * sorted.size())) - 1];
  };
  RangeOptions opts;
  opts.method = RangeMethod::Percentile;
  opts.percentile = 98;
  // Signed: 1% from each tail.
  DataRange r = *chooseRange(s, kInt8, opts);
  EXPECT_NEAR(r.lo, order(0.01), w);
  EXPECT_NEAR(r.hi, order(0.99), w);
  EXPECT_NEAR(r.lo, -0.96, 0.01);
  EXPECT_NEAR(r.hi, 2.96, 0.01);
  // Unsigned: the upper end is the 98th percentile of all values.
  DataRange u = *chooseRange(s, kUint8, opts);
  EXPECT_EQ(u.lo, 0.0);
  EXPECT_NEAR(u.hi, order(0.98), w);
  // 100% keeps everything.
  opts.percentile = 100;
  r = *chooseRange(s, kInt8, opts);
  EXPECT_EQ(r.lo, s.getFiniteMin());
  EXPECT_EQ(r.hi, s.getFiniteMax());
}

TEST(QuantRangeSelectionTest, ExpectedQuantErrorMatchesSampleError) {
  struct Case {
    std::vector<float> data;
    QuantGrid grid;
  };
  std::vector<Case> cases = {
      {gaussianWithOutliers(50000, 6), kInt8},
      {gaussianWithOutliers(50000, 6), kInt8Even},
      {reluSamples(50000, 7), kUint8},
      {reluSamples(50000, 7),
       QuantGrid::fromBits(4, false, Rounding::HalfEven)},
      {uniformSamples(50000, -2.0f, 1.0f, 8), QuantGrid::fromBits(3, true)},
  };
  for (const Case &c : cases) {
    TensorStatistics s = statsOf(c.data);
    double epsMax = computeEps(c.grid.isSigned() ? s.getFiniteMin() : 0.0,
                               s.getFiniteMax(), c.grid);
    // From no clipping down to eps of a few bin widths.
    for (double f : {1.0, 0.5, 0.2, 0.1, 0.03}) {
      double eps = epsMax * f;
      double model = expectedQuantError(s, eps, c.grid);
      double exact = sampleMse(c.data, eps, c.grid);
      EXPECT_NEAR(model, exact, 0.03 * exact)
          << c.grid.str() << " " << getRoundingName(c.grid.rounding).str()
          << " eps=" << eps;
    }
  }
}

TEST(QuantRangeSelectionTest, MseFindsTheAnalyticGaussianOptimum) {
  // MSE-optimal clipping of N(0, 1) on 256 levels: 3.92 sigma with
  // round-to-nearest, 3.61 sigma with floor (error eps^2/3 inside instead
  // of eps^2/12; cf. Banner et al., ACIQ, for round-to-nearest).
  TensorStatistics s = statsOf(gaussianSamples(400000, 0.0f, 1.0f, 9));
  double even = epsOf(choose(s, kInt8Even, RangeMethod::Mse), kInt8Even);
  double floorEps = epsOf(choose(s, kInt8, RangeMethod::Mse), kInt8);
  EXPECT_NEAR(127.5 * even, 3.92, 0.3);
  EXPECT_NEAR(127.5 * floorEps, 3.61, 0.3);
  EXPECT_LT(floorEps, even);
}

TEST(QuantRangeSelectionTest, MseBeatsMinMaxAndMatchesBruteForce) {
  struct Case {
    std::vector<float> data;
    QuantGrid grid;
  };
  std::vector<Case> cases = {
      {gaussianWithOutliers(20000, 10), kInt8},
      {gaussianWithOutliers(20000, 10), kInt8Even},
      {gaussianWithOutliers(20000, 10), QuantGrid::fromBits(4, true)},
      {reluSamples(20000, 11), kUint8},
      {uniformSamples(20000, -1.0f, 2.0f, 12), kInt8Even},
  };
  for (const Case &c : cases) {
    TensorStatistics s = statsOf(c.data);
    DataRange mm = choose(s, c.grid, RangeMethod::MinMax);
    DataRange mse = choose(s, c.grid, RangeMethod::Mse);
    double epsMm = epsOf(mm, c.grid), eps = epsOf(mse, c.grid);
    ASSERT_LE(eps, epsMm * (1 + 1e-12));
    double err = sampleMse(c.data, eps, c.grid);
    double errMm = sampleMse(c.data, epsMm, c.grid);
    EXPECT_LE(err, errMm * 1.001) << c.grid.str();
    // Brute force: 100 steps of epsMm / 100, then 100 around the best.
    double best = errMm, bestEps = epsMm;
    for (int k = 1; k < 100; ++k) {
      double e = sampleMse(c.data, epsMm * k / 100.0, c.grid);
      if (e < best) {
        best = e;
        bestEps = epsMm * k / 100.0;
      }
    }
    for (int k = -50; k <= 50; ++k) {
      double cand = bestEps * (1 + k / 5000.0);
      if (cand <= epsMm)
        best = std::min(best, sampleMse(c.data, cand, c.grid));
    }
    EXPECT_LE(err, best * 1.02) << c.grid.str();
  }
  // Uniform data should not be clipped at 8 bits.
  TensorStatistics u = statsOf(uniformSamples(40000, -1.0f, 2.0f, 12));
  DataRange r = choose(u, kInt8Even, RangeMethod::Mse);
  EXPECT_GT(r.hi, 0.98 * u.getFiniteMax());
  // At 8 bits the squared error of 0.02% outliers at 30-50 sigma outweighs
  // the rounding error: no clipping. At 4 bits they are clipped.
  TensorStatistics o = statsOf(gaussianWithOutliers(20000, 10));
  r = choose(o, kInt8, RangeMethod::Mse);
  EXPECT_GT(r.hi, 30.0);
  r = choose(o, QuantGrid::fromBits(4, true), RangeMethod::Mse);
  EXPECT_LT(r.hi, 10.0);
  EXPECT_GT(r.hi, 1.0);
}

/// pytorch-quantization's _compute_amax_entropy stated literally (quadratic
/// in the number of bins) over the same magnitude histogram, exact zeros
/// removed: the divergence of every threshold bin i (index i, infinite
/// where undefined).
std::vector<double> referenceKl(const TensorStatistics &s,
                                const QuantGrid &grid) {
  llvm::ArrayRef<uint64_t> hist = s.getHistogram();
  size_t b = s.getBinsPerSide();
  double w = s.getBinWidth();
  double maxMag = grid.isSigned()
                      ? std::max(-s.getFiniteMin(), s.getFiniteMax())
                      : s.getFiniteMax();
  size_t used = static_cast<size_t>(std::ceil(maxMag / w));
  std::vector<double> h(used);
  for (size_t m = 0; m < used; ++m)
    h[m] = double(hist[b + m]) + (grid.isSigned() ? hist[b - 1 - m] : 0);
  h[0] -= s.getZeroCount();
  size_t nQ = grid.isSigned() ? 128 : 256;
  std::vector<double> result(used + 1, HUGE_VAL);
  for (size_t i = nQ; i <= used; ++i) {
    std::vector<double> p(h.begin(), h.begin() + i), q(i, 0.0);
    for (size_t j = i; j < used; ++j)
      p[i - 1] += h[j];
    std::vector<double> total(nQ, 0.0), nonzero(nQ, 0.0);
    for (size_t j = 0; j < i; ++j) {
      total[j * nQ / i] += h[j];
      nonzero[j * nQ / i] += h[j] > 0;
    }
    for (size_t j = 0; j < i; ++j)
      if (h[j] > 0)
        q[j] = total[j * nQ / i] / nonzero[j * nQ / i];
    double sp = 0, sq = 0;
    for (size_t j = 0; j < i; ++j) {
      sp += p[j];
      sq += q[j];
    }
    double kl = 0;
    for (size_t j = 0; j < i && kl < HUGE_VAL; ++j) {
      if (p[j] == 0)
        continue;
      kl = q[j] == 0 ? HUGE_VAL
                     : kl + p[j] / sp * std::log((p[j] / sp) / (q[j] / sq));
    }
    result[i] = kl;
  }
  return result;
}

/// Checks that threshold t is min(i * w, max |x|) for a bin i whose
/// reference divergence is the minimum (up to rounding).
void expectKlOptimal(const TensorStatistics &s, const QuantGrid &grid,
                     double t) {
  std::vector<double> kl = referenceKl(s, grid);
  double minKl = *std::min_element(kl.begin(), kl.end());
  ASSERT_LT(minKl, HUGE_VAL);
  double w = s.getBinWidth();
  size_t i = static_cast<size_t>(std::ceil(t / w));
  ASSERT_LT(i, kl.size());
  EXPECT_EQ(t, std::min(i * w, grid.isSigned() ? std::max(-s.getFiniteMin(),
                                                          s.getFiniteMax())
                                               : s.getFiniteMax()));
  EXPECT_LE(kl[i], minKl + 1e-9 * std::fabs(minKl) + 1e-12);
}

TEST(QuantRangeSelectionTest, KlClipsOutliersOfAGaussian) {
  // NVIDIA's pytorch-quantization (the same algorithm, 2048 bins over the
  // magnitudes) gives 4.66 sigma on 1M N(0, 1) samples and 4.13 sigma with
  // 0.01% outliers at 50 sigma; MSE's optimum is 3.6-3.9 sigma.
  std::vector<float> v = gaussianWithOutliers(200000, 13);
  TensorStatistics s = statsOf(v);
  double t = chooseKlThreshold(s, kInt8);
  EXPECT_GT(t, 3.0);
  EXPECT_LT(t, 5.0);
  expectKlOptimal(s, kInt8, t);
  DataRange r = choose(s, kInt8, RangeMethod::Kl);
  EXPECT_EQ(r.lo, -t);
  EXPECT_EQ(r.hi, t);
}

TEST(QuantRangeSelectionTest, KlKeepsUniformDataAndHandlesReluOutputs) {
  TensorStatistics u = statsOf(uniformSamples(100000, -2.0f, 2.0f, 14));
  double t = chooseKlThreshold(u, kInt8);
  EXPECT_GT(t, 0.95 * 2.0);
  expectKlOptimal(u, kInt8, t);
  // ReLU outputs on an unsigned grid: the zeros do not drag the threshold.
  TensorStatistics relu = statsOf(reluSamples(200000, 15));
  double tr = chooseKlThreshold(relu, kUint8);
  expectKlOptimal(relu, kUint8, tr);
  EXPECT_GT(tr, 2.5);
  EXPECT_LE(tr, relu.getFiniteMax());
  DataRange r = choose(relu, kUint8, RangeMethod::Kl);
  EXPECT_EQ(r.lo, 0.0);
  EXPECT_EQ(r.hi, std::min(tr, relu.getFiniteMax()));
  // Too few bins to resolve 128 levels: no clipping.
  TensorStatistics coarse = statsOf(gaussianWithOutliers(20000, 16), 64);
  EXPECT_EQ(chooseKlThreshold(coarse, kInt8), 50.0);
}

TEST(QuantRangeSelectionTest, EveryMethodKeepsTheInvariants) {
  std::vector<std::vector<float>> datasets = {
      gaussianWithOutliers(20000, 17), reluSamples(20000, 18),
      uniformSamples(20000, -5.0f, -1.0f, 19),
      uniformSamples(20000, 0.5f, 7.0f, 20)};
  datasets.back()[3] = HUGE_VALF;
  QuantGrid odd;
  odd.zero = -3;
  odd.nLevels = 10;
  for (const std::vector<float> &v : datasets) {
    TensorStatistics s = statsOf(v);
    for (const QuantGrid &grid :
         {kInt8, kUint8, kInt8Even, QuantGrid::fromBits(2, true), odd}) {
      double epsMm = epsOf(choose(s, grid, RangeMethod::MinMax), grid);
      for (RangeMethod m :
           {RangeMethod::MinMax, RangeMethod::MeanStd, RangeMethod::Percentile,
            RangeMethod::Mse, RangeMethod::Kl}) {
        DataRange r = choose(s, grid, m);
        SCOPED_TRACE(getRangeMethodName(m).str() + " " + grid.str());
        ASSERT_TRUE(std::isfinite(r.lo) && std::isfinite(r.hi));
        EXPECT_LE(r.lo, r.hi);
        EXPECT_LE(r.hi, std::max(s.getFiniteMax(), 0.0));
        if (grid.isSigned()) {
          EXPECT_GE(r.lo, s.getFiniteMin());
        } else {
          EXPECT_EQ(r.lo, 0.0);
        }
        EXPECT_LE(epsOf(r, grid), epsMm * (1 + 1e-12));
      }
    }
  }
}

TEST(QuantRangeSelectionTest, DegenerateData) {
  TensorStatistics single = statsOf(std::vector<float>(100, -0.75f));
  TensorStatistics zeros = statsOf(std::vector<float>(100, 0.0f));
  for (RangeMethod m :
       {RangeMethod::MinMax, RangeMethod::MeanStd, RangeMethod::Percentile,
        RangeMethod::Mse, RangeMethod::Kl}) {
    DataRange r = choose(single, kInt8, m);
    EXPECT_EQ(r.lo, -0.75);
    EXPECT_EQ(r.hi, -0.75);
    // Negative data on an unsigned grid: nothing representable but 0.
    DataRange u = choose(single, kUint8, m);
    EXPECT_EQ(u.lo, 0.0);
    EXPECT_EQ(u.hi, 0.0);
    DataRange z = choose(zeros, kInt8, m);
    EXPECT_EQ(z.lo, 0.0);
    EXPECT_EQ(z.hi, 0.0);
  }
  // Negative-only data on a signed grid: the upper end stays the data's.
  TensorStatistics neg = statsOf(uniformSamples(20000, -5.0f, -1.0f, 21));
  DataRange r = choose(neg, kInt8, RangeMethod::Mse);
  EXPECT_EQ(r.hi, neg.getFiniteMax());
  EXPECT_GE(r.lo, neg.getFiniteMin());
  DataRange u = choose(neg, kUint8, RangeMethod::Mse);
  EXPECT_EQ(u.lo, 0.0);
  EXPECT_EQ(u.hi, 0.0);
}

} // namespace
