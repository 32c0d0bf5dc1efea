//===- RangeSelection.h - Choosing a quantiser's data range -----*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Given the statistics of one activation tensor and the grid of its
// fake-quantiser, chooseRange picks the data range [lo, hi] that the
// calibrate pass turns into the quantum with computeEps(lo, hi, grid). The
// methods, their formulas and their accuracy are documented in
// docs/calibration-methods.md:
//
//   minmax      [finite min, finite max]
//   meanstd     mean -+ nStd * stddev, clamped to [min, max]
//   percentile  keep `percentile` % of the values: for a signed grid cut
//               (100 - p) / 2 % from each tail; for an unsigned grid the
//               upper end is the p-th percentile of all values
//   mse         the eps minimising the expected squared error of
//               fakeQuantize (grid and rounding rule included) under the
//               histogram's density model
//   kl          TensorRT-style entropy calibration on |x| (signed grids) or
//               x >= 0 (unsigned grids)
//
// Every result satisfies lo <= hi, lies within [finite min, finite max]
// except that unsigned grids always get lo = 0, and ignores +-inf and NaN.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_QUANT_RANGESELECTION_H
#define QLC_QUANT_RANGESELECTION_H

#include "qlc/Quant/QuantMath.h"
#include "qlc/Quant/TensorStatistics.h"

#include "llvm/ADT/Optional.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace qlc {

enum class RangeMethod { MinMax, MeanStd, Percentile, Mse, Kl };

/// "minmax", "meanstd", "percentile", "mse", "kl".
llvm::StringRef getRangeMethodName(RangeMethod method);
llvm::Optional<RangeMethod> parseRangeMethod(llvm::StringRef name);

struct RangeOptions {
  RangeMethod method = RangeMethod::MinMax;
  /// meanstd: mean -+ nStd * stddev (clamped to [min, max]); must be > 0.
  double nStd = 3.0;
  /// percentile: keep this % of the values, in (0, 100]. Signed grids cut
  /// (100 - percentile) / 2 % from each tail.
  double percentile = 99.99;
};

struct DataRange {
  double lo = 0, hi = 0;
};

/// Checks the options of `options.method` (percentile in (0, 100],
/// nStd > 0 and finite).
llvm::Error validateRangeOptions(const RangeOptions &options);

/// Chooses the data range [lo, hi] that calibrate turns into eps with
/// computeEps(lo, hi, grid). Unsigned grids (grid.zero == 0): lo = 0.
/// Errors on statistics without finite values, an invalid grid or invalid
/// options.
llvm::Expected<DataRange> chooseRange(const TensorStatistics &stats,
                                      const QuantGrid &grid,
                                      const RangeOptions &options);

/// The expected squared error per finite value of fakeQuantize with quantum
/// `eps` on `grid` under the density model of `stats` (exact for the model:
/// piecewise integration of the quantiser's error). +-inf are ignored.
/// This is the objective the mse method minimises.
double expectedQuantError(const TensorStatistics &stats, double eps,
                          const QuantGrid &grid);

/// The same over precomputed pieces (stats.getPieces()), for searches.
double expectedQuantError(llvm::ArrayRef<HistogramPiece> pieces, double eps,
                          const QuantGrid &grid);

/// The KL-divergence threshold T >= 0 (the range is [-T, T] on signed
/// grids, [0, T] on unsigned ones); exposed for tests and reports.
double chooseKlThreshold(const TensorStatistics &stats, const QuantGrid &grid);

} // namespace qlc

#endif // QLC_QUANT_RANGESELECTION_H
