//===- VerifyFakeVsTrue.h - Compare a fake-quantised model with its F2T program
//-*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// qlc-opt --verify-fake-vs-true=DATA.npz: runs the fake-quantised model
// (the input of the pipeline) and the integer program (its output) on the
// same samples, and compares them tensor by tensor. F2T keeps value names
// (a requantiser's result takes its quantiser's name, an accumulator its
// linear op's), so every integer tensor of the program with a namesake in
// the fake model that has a quantum eps is compared as fake / eps against
// the integer, in quanta. Outputs are compared by top-1 agreement and
// absolute error.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASSES_F2T_VERIFYFAKEVSTRUE_H
#define QLC_PASSES_F2T_VERIFYFAKEVSTRUE_H

#include "qlc/IR/Model.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

namespace qlc {
namespace f2t {

struct VerifyOptions {
  std::string dataPath;
  int64_t samples = 256;
  int64_t batch = 32;
};

/// Compares `fake` and `integer` on the first `samples` samples of the
/// data set; prints a summary to `os` and returns it as JSON.
llvm::Expected<llvm::json::Value> verifyFakeVsTrue(const Model &fake,
                                                   const Model &integer,
                                                   const VerifyOptions &options,
                                                   llvm::raw_ostream &os);

} // namespace f2t
} // namespace qlc

#endif // QLC_PASSES_F2T_VERIFYFAKEVSTRUE_H
