//===- RangeSelection.cpp - Choosing a quantiser's data range -------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Option handling and the closed-form methods (minmax, meanstd, percentile)
// of chooseRange; the searches (mse, kl) live in RangeSearch.cpp. All
// methods work on the finite values: an inf would make every range infinite,
// and NaN has no place on a line.
//
//===----------------------------------------------------------------------===//

#include "qlc/Quant/RangeSelection.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/StringSwitch.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

using namespace qlc;

namespace qlc {
// Defined in RangeSearch.cpp.
DataRange chooseMseRange(const TensorStatistics &stats, const QuantGrid &grid);
} // namespace qlc

llvm::StringRef qlc::getRangeMethodName(RangeMethod method) {
  switch (method) {
  case RangeMethod::MinMax:
    return "minmax";
  case RangeMethod::MeanStd:
    return "meanstd";
  case RangeMethod::Percentile:
    return "percentile";
  case RangeMethod::Mse:
    return "mse";
  case RangeMethod::Kl:
    return "kl";
  }
  return "minmax";
}

llvm::Optional<RangeMethod> qlc::parseRangeMethod(llvm::StringRef name) {
  return llvm::StringSwitch<llvm::Optional<RangeMethod>>(name)
      .Case("minmax", RangeMethod::MinMax)
      .Case("meanstd", RangeMethod::MeanStd)
      .Case("percentile", RangeMethod::Percentile)
      .Case("mse", RangeMethod::Mse)
      .Case("kl", RangeMethod::Kl)
      .Default(llvm::None);
}

/// A double as printf's %g writes it (llvm::Twine takes no doubles).
static std::string formatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

llvm::Error qlc::validateRangeOptions(const RangeOptions &options) {
  switch (options.method) {
  case RangeMethod::MeanStd:
    if (!(options.nStd > 0) || !std::isfinite(options.nStd))
      return makeError("meanstd needs a positive, finite number of standard "
                       "deviations, got " +
                       formatNumber(options.nStd));
    break;
  case RangeMethod::Percentile:
    if (!(options.percentile > 0 && options.percentile <= 100))
      return makeError("percentile must be in (0, 100], got " +
                       formatNumber(options.percentile));
    break;
  case RangeMethod::MinMax:
  case RangeMethod::Mse:
  case RangeMethod::Kl:
    break;
  }
  return llvm::Error::success();
}

/// Unsigned grids represent nothing below 0: the range starts at 0 and ends
/// at the chosen upper end, itself at least 0.
static DataRange forGrid(DataRange r, const QuantGrid &grid) {
  if (!grid.isSigned()) {
    r.lo = 0;
    r.hi = std::max(r.hi, 0.0);
  }
  if (r.hi < r.lo)
    r.hi = r.lo;
  return r;
}

static DataRange chooseMeanStd(const TensorStatistics &stats, double nStd) {
  double mean = stats.getMean(), spread = nStd * stats.getStdDev();
  double fMin = stats.getFiniteMin(), fMax = stats.getFiniteMax();
  return {std::min(std::max(mean - spread, fMin), fMax),
          std::min(std::max(mean + spread, fMin), fMax)};
}

static DataRange choosePercentile(const TensorStatistics &stats,
                                  const QuantGrid &grid, double percentile) {
  double keep = percentile / 100.0;
  if (!grid.isSigned())
    return {0.0, stats.getQuantile(keep)};
  double cut = (1.0 - keep) / 2.0;
  return {stats.getQuantile(cut), stats.getQuantile(1.0 - cut)};
}

static DataRange chooseKl(const TensorStatistics &stats,
                          const QuantGrid &grid) {
  double t = chooseKlThreshold(stats, grid);
  double fMin = stats.getFiniteMin(), fMax = stats.getFiniteMax();
  return {std::min(std::max(-t, fMin), fMax),
          std::min(std::max(t, fMin), fMax)};
}

llvm::Expected<DataRange> qlc::chooseRange(const TensorStatistics &stats,
                                           const QuantGrid &grid,
                                           const RangeOptions &options) {
  if (!isValidGrid(grid.zero, grid.nLevels))
    return makeError("invalid quantisation grid " + grid.str());
  if (llvm::Error err = validateRangeOptions(options))
    return llvm::Expected<DataRange>(std::move(err));
  if (stats.empty())
    return makeError("no values were recorded");
  if (stats.getFiniteCount() == 0)
    return makeError("no finite values were recorded");

  DataRange minMax{stats.getFiniteMin(), stats.getFiniteMax()};
  // One distinct value: every method agrees, and the histogram's bin model
  // would only blur it.
  if (minMax.lo == minMax.hi)
    return forGrid(minMax, grid);
  switch (options.method) {
  case RangeMethod::MinMax:
    return forGrid(minMax, grid);
  case RangeMethod::MeanStd:
    return forGrid(chooseMeanStd(stats, options.nStd), grid);
  case RangeMethod::Percentile:
    return forGrid(choosePercentile(stats, grid, options.percentile), grid);
  case RangeMethod::Mse:
    return forGrid(chooseMseRange(stats, grid), grid);
  case RangeMethod::Kl:
    return forGrid(chooseKl(stats, grid), grid);
  }
  return forGrid(minMax, grid);
}
