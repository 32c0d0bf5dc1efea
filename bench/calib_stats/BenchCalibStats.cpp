//===- BenchCalibStats.cpp - Speed of calibration statistics --------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// qlc-bench-calib-stats prints two tables: the throughput of
// TensorStatistics::add (values/s and ns/value) on Gaussian data and on
// ReLU-like data (half exact zeros), added whole or in batches; and the time
// of chooseRange per method on the statistics of 16M values. Each figure is
// the best of several repetitions on a fresh object, in thread CPU time.
//
// Usage: qlc-bench-calib-stats [--reps N]
//
//===----------------------------------------------------------------------===//

#include "qlc/Quant/RangeSelection.h"
#include "qlc/Quant/TensorStatistics.h"

#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

using namespace qlc;

namespace {

/// CPU time of this thread: the build machine is shared, and wall-clock
/// times on a loaded machine measure the neighbours.
double threadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

std::vector<float> gaussian(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.5f, 2.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(gen);
  return v;
}

/// ReLU of a Gaussian: about half the values are exactly 0.
std::vector<float> reluLike(size_t n, unsigned seed) {
  std::vector<float> v = gaussian(n, seed);
  for (float &x : v)
    x = std::max(x - 0.5f, 0.0f);
  return v;
}

/// Best time over `reps` of adding `data` to a fresh object in batches of
/// `batch` values (0: all at once).
double timeAdd(const std::vector<float> &data, size_t batch, int reps) {
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    TensorStatistics stats;
    double start = threadSeconds();
    size_t step = batch ? batch : data.size();
    for (size_t i = 0; i < data.size(); i += step)
      stats.add(data.data() + i, std::min(step, data.size() - i));
    best = std::min(best, threadSeconds() - start);
    if (stats.getCount() != data.size()) // keeps the work observable
      llvm::errs() << "count mismatch\n";
  }
  return best;
}

void printAddRow(const char *name, const std::vector<float> &data, size_t batch,
                 int reps) {
  double t = timeAdd(data, batch, reps);
  double n = static_cast<double>(data.size());
  std::printf("%-12s %10zu %10s %12.1f %9.3f\n", name, data.size(),
              batch ? std::to_string(batch).c_str() : "all", n / t / 1e6,
              t / n * 1e9);
}

void printRangeRows(const char *name, const TensorStatistics &stats,
                    const QuantGrid &grid, int reps) {
  for (RangeMethod m :
       {RangeMethod::MinMax, RangeMethod::MeanStd, RangeMethod::Percentile,
        RangeMethod::Mse, RangeMethod::Kl}) {
    RangeOptions opts;
    opts.method = m;
    double best = 1e30;
    DataRange range;
    for (int r = 0; r < reps; ++r) {
      double start = threadSeconds();
      llvm::Expected<DataRange> got = chooseRange(stats, grid, opts);
      best = std::min(best, threadSeconds() - start);
      if (!got) {
        llvm::errs() << llvm::toString(got.takeError()) << "\n";
        return;
      }
      range = *got;
    }
    std::string gridName =
        grid.str() + "/" + getRoundingName(grid.rounding).str();
    std::printf("%-10s %-15s %-11s %10.3f   [%.4g, %.4g]\n", name,
                gridName.c_str(), getRangeMethodName(m).str().c_str(),
                best * 1e3, range.lo, range.hi);
  }
}

} // namespace

int main(int argc, char **argv) {
  int reps = 5;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
      reps = std::max(1, std::atoi(argv[++i]));
  }
  const size_t big = size_t(16) << 20, small = size_t(1) << 20;
  std::vector<float> g16 = gaussian(big, 1), r16 = reluLike(big, 2);
  std::vector<float> g1(g16.begin(), g16.begin() + small);
  std::vector<float> r1(r16.begin(), r16.begin() + small);

  std::printf("TensorStatistics::add (2048 bins per side)\n");
  std::printf("%-12s %10s %10s %12s %9s\n", "data", "values", "batch",
              "Mvalues/s", "ns/value");
  printAddRow("gaussian", g1, 0, reps);
  printAddRow("gaussian", g16, 0, reps);
  printAddRow("gaussian", g16, 1024, reps);
  printAddRow("gaussian", g16, 4096, reps);
  printAddRow("gaussian", g16, 100352, reps);
  printAddRow("relu", r1, 0, reps);
  printAddRow("relu", r16, 0, reps);
  printAddRow("relu", r16, 100352, reps);

  TensorStatistics gStats, rStats;
  gStats.add(g16);
  rStats.add(r16);
  std::printf("\nchooseRange on the statistics of 16M values\n");
  std::printf("%-10s %-15s %-11s %10s   %s\n", "data", "grid", "method", "ms",
              "range");
  printRangeRows("gaussian", gStats, QuantGrid::fromBits(8, true), reps);
  printRangeRows("gaussian", gStats,
                 QuantGrid::fromBits(8, true, Rounding::HalfEven), reps);
  printRangeRows("gaussian", gStats, QuantGrid::fromBits(4, true), reps);
  printRangeRows("relu", rStats, QuantGrid::fromBits(8, false), reps);
  return 0;
}
