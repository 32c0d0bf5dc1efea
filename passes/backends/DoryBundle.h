//===- DoryBundle.h - The files DORY's code generator reads -----*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The DORY ONNX, its config JSON, the golden feature maps and the float
// head, all computed in memory first so that a failure writes nothing.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASSES_BACKENDS_DORYBUNDLE_H
#define QLC_PASSES_BACKENDS_DORYBUNDLE_H

#include "backends/DoryEmit.h"

#include "llvm/Support/JSON.h"

#include <string>
#include <utility>
#include <vector>

namespace qlc {
namespace backends {

struct BundleOptions {
  std::string name = "network";
  /// A .npy sample (batch 1) or an .npz dataset for the goldens; empty:
  /// seeded random integers.
  std::string inputPath;
  /// The sample of an .npz dataset's array x.
  unsigned sampleIndex = 0;
  unsigned seed = 1;
  unsigned codeReservedSpace = 160000;
};

struct DoryBundle {
  /// (file name, contents), in writing order.
  std::vector<std::pair<std::string, std::string>> files;
  llvm::json::Array fileNames() const;
};

/// Runs the integer program `source` (before conversion) on the golden
/// input and assembles every file of the bundle.
llvm::Expected<DoryBundle> buildDoryBundle(const Model &source,
                                           const DoryProgram &program,
                                           const DoryModel &dory,
                                           const BundleOptions &options);

/// Creates `dir` if needed and writes each file atomically.
llvm::Error writeDoryBundle(const DoryBundle &bundle, llvm::StringRef dir);

} // namespace backends
} // namespace qlc

#endif // QLC_PASSES_BACKENDS_DORYBUNDLE_H
