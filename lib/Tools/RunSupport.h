//===- RunSupport.h - Internals of qlc-run ----------------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Declarations shared by the RunXxx.cpp files of qlc-run: loading a model
// for execution, gathering and checking inputs, writing and summarising
// outputs, comparing two models, evaluating over a data set and timing.
// Every error returned here already names the file it is about
// ("FILE: message"); the driver only adds "error: ". Private to lib/Tools.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_TOOLS_RUNSUPPORT_H
#define QLC_LIB_TOOLS_RUNSUPPORT_H

#include "qlc/IO/TensorCompare.h"
#include "qlc/Interp/Interpreter.h"
#include "qlc/Quant/InputQuantisation.h"

#include "llvm/Support/raw_ostream.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace qlc {
namespace run {

/// A verified model with a prepared interpreter.
struct LoadedModel {
  std::string path;
  std::unique_ptr<Model> model;
  std::unique_ptr<Interpreter> interpreter;
  /// The graph inputs a caller must feed (initializers excluded).
  std::vector<const Value *> inputs;
  /// Graph outputs in declaration order.
  std::vector<std::string> outputNames;
  /// Integer inputs of an F2T program that take float data, quantised as
  /// the model's metadata says.
  std::map<std::string, InputQuantisationInfo> inputQuantisation;
};

llvm::Expected<LoadedModel> loadRunnableModel(llvm::StringRef path,
                                              const InterpreterOptions &opts);
/// Runs the model; errors name the model file.
llvm::Expected<TensorMap> runModel(LoadedModel &m, const TensorMap &inputs);

//===- RunInputs.cpp ------------------------------------------------------===//

struct InputOptions {
  /// "NAME=FILE" (or "FILE" for a single-input model); .npy or .pb.
  std::vector<std::string> specs;
  bool random = false;
  uint64_t seed = 0;
  double randomMin = -1, randomMax = 1;
};

/// Inputs from files, then random ones for inputs still missing when
/// `random` is set. Fails on unknown names, missing inputs, bad files and
/// tensors that do not fit the declared type.
llvm::Expected<TensorMap> gatherInputs(const LoadedModel &m,
                                       const InputOptions &options);
/// Checks a tensor's element type and shape against the declared type of
/// `input` (element type, rank, known dimensions); the message names the
/// input. `quantisable`: float data is accepted for an integer input.
llvm::Error checkInputTensor(const Value &input, ElementType elem,
                             llvm::ArrayRef<int64_t> shape,
                             bool quantisable = false);

/// `tensor` converted to the declared element type of `input` when both are
/// numeric and differ (to feed one data set to a float and an integer
/// model); unchanged otherwise.
Tensor convertForInput(const Value &input, const Tensor &tensor);

//===- RunOutputs.cpp -----------------------------------------------------===//

using NamedTensorRefs = std::vector<std::pair<std::string, const Tensor *>>;

/// Writes each tensor as DIR/<sanitized name>.npy, creating DIR. Names that
/// collide after sanitising get "_1", "_2", ... suffixes. All tensors are
/// serialized before the first file is written and each file is written
/// atomically, so an error leaves no partial file behind.
llvm::Error writeTensorsToDir(llvm::StringRef dir,
                              const NamedTensorRefs &tensors);
/// "NAME: float [1, 10] min ... max ... mean ..." per tensor.
void printSummaries(const NamedTensorRefs &tensors, llvm::raw_ostream &os);
/// The outputs of `results` in the model's output order.
NamedTensorRefs orderedOutputs(const LoadedModel &m, const TensorMap &results);

//===- RunCompare.cpp -----------------------------------------------------===//

/// Error metrics of model A's outputs against model B's, accumulated over
/// one or many runs.
class OutputComparison {
public:
  /// Pairs outputs by name when every output of `a` exists in `b`, else by
  /// position; fails when the output counts differ.
  static llvm::Expected<OutputComparison> create(const LoadedModel &a,
                                                 const LoadedModel &b);
  /// Adds one run. With `batchRows` >= 0, outputs whose first dimension is
  /// `batchRows` are cut to their first `rows` rows (dropping the padding
  /// of a fixed-size last batch).
  llvm::Error add(const TensorMap &resultsA, const TensorMap &resultsB,
                  int64_t rows = -1, int64_t batchRows = -1);
  void print(llvm::raw_ostream &os) const;

private:
  struct Pair {
    std::string nameA, nameB;
    TensorDiff diff;
    bool any = false;
    int64_t top1Agree = 0, top1Rows = 0;
  };
  std::string pathA, pathB;
  std::vector<Pair> pairs;
};

//===- RunEval.cpp --------------------------------------------------------===//

struct EvalOptions {
  std::string dataPath;
  int64_t batch = 64;
  int64_t limit = 0; // 0 = every sample
};

/// Top-1 accuracy of `m` over the .npz data set (arrays x and y); with
/// `other`, also its accuracy and the comparison of both over the data.
llvm::Error runEvaluation(LoadedModel &m, LoadedModel *other,
                          const EvalOptions &options, llvm::raw_ostream &os);

//===- RunMain.cpp --------------------------------------------------------===//

/// Runs `runs` more times after the first and prints median/min latency,
/// throughput and the peak resident set size.
/// --dory-golden: runs DIR/input.txt and compares each fused DORY layer
/// (metadata qlc.dory.layers) with DIR/out_layer{i}.txt.
llvm::Error runDoryGoldenCheck(LoadedModel &m, llvm::StringRef dir,
                               llvm::raw_ostream &os);

llvm::Error runTiming(LoadedModel &m, const TensorMap &inputs, unsigned runs,
                      llvm::raw_ostream &os);

} // namespace run
} // namespace qlc

#endif // QLC_LIB_TOOLS_RUNSUPPORT_H
