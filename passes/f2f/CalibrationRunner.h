//===- CalibrationRunner.h - Feed data, gather statistics -------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Runs a copy of the model in which the activation quantisers are bypassed
// (weights stay fake-quantised) on a data set, batch by batch, and streams
// the values reaching each bypassed quantiser into a TensorStatistics.
// Memory is one batch plus the bounded statistics, whatever the number of
// samples.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASSES_F2F_CALIBRATIONRUNNER_H
#define QLC_PASSES_F2F_CALIBRATIONRUNNER_H

#include "qlc/IR/Model.h"
#include "qlc/Quant/TensorStatistics.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace qlc {
namespace f2f {

struct CalibrationConfig {
  std::string dataPath;
  int64_t maxSamples = 0; ///< 0: all
  int64_t batchSize = 32;
  unsigned threads = 0;  ///< 0: every core
  bool progress = false; ///< a bar on stderr (else a line per 10%)
  bool quiet = false;
};

/// One quantity to observe: the operand of the activation quantisers in
/// `quantisers`, all sharing one eps (their statistics are merged).
struct ObservedGroup {
  std::vector<Node *> quantisers; ///< in the original model
  TensorStatistics stats;
};

/// Runs the calibration and fills every group's statistics; returns the
/// number of samples used. Errors name the data path.
llvm::Expected<int64_t> runCalibration(const Model &model,
                                       std::vector<ObservedGroup> &groups,
                                       const CalibrationConfig &config);

} // namespace f2f
} // namespace qlc

#endif // QLC_PASSES_F2F_CALIBRATIONRUNNER_H
