//===- RunDoryGolden.cpp - qlc-run --dory-golden
//---------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Runs a model on DIR/input.txt and compares the output of each fused DORY
// layer (metadata qlc.dory.layers, written by import-dory) with
// DIR/out_layer{i}.txt, and the graph output with DIR/output.txt when
// present, value by value in the files' HWC order.
//
//===----------------------------------------------------------------------===//

#include "RunSupport.h"

#include "qlc/IO/DoryGolden.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace qlc;
using namespace qlc::run;

namespace {

std::vector<std::string> layerOutputs(const Model &model) {
  for (const auto &[key, value] : model.metadata)
    if (key == "qlc.dory.layers") {
      llvm::SmallVector<llvm::StringRef, 16> names;
      llvm::StringRef(value).split(names, ',', -1, false);
      return std::vector<std::string>(names.begin(), names.end());
    }
  return {};
}

std::string goldenPath(llvm::StringRef dir, llvm::StringRef file) {
  llvm::SmallString<128> path(dir);
  llvm::sys::path::append(path, file);
  return path.str().str();
}

/// Compares one tensor with one golden file; prints a line; returns
/// whether they match.
llvm::Expected<bool> compareLayer(llvm::StringRef label, llvm::StringRef name,
                                  const Tensor &t, llvm::StringRef path,
                                  llvm::raw_ostream &os) {
  llvm::Expected<std::vector<int64_t>> golden = readDoryGolden(path);
  if (!golden)
    return golden.takeError();
  std::vector<int64_t> got = doryGoldenOrder(t);
  os << label << " (" << name << "): ";
  if (got.size() != golden->size()) {
    os << "MISMATCH: " << got.size() << " values, the golden has "
       << golden->size() << "\n";
    return false;
  }
  size_t first = got.size(), differ = 0;
  for (size_t i = 0; i < got.size(); ++i)
    if (got[i] != (*golden)[i]) {
      first = std::min(first, i);
      ++differ;
    }
  if (!differ) {
    os << got.size() << " values, match\n";
    return true;
  }
  os << "MISMATCH at index " << first << ": got " << got[first] << ", golden "
     << (*golden)[first] << " (" << differ << " of " << got.size()
     << " differ)\n";
  return false;
}

} // namespace

llvm::Error run::runDoryGoldenCheck(LoadedModel &m, llvm::StringRef dir,
                                    llvm::raw_ostream &os) {
  std::vector<std::string> layers = layerOutputs(*m.model);
  if (layers.empty())
    return makeError(m.path + ": no 'qlc.dory.layers' metadata; import the "
                              "DORY ONNX with qlc-opt --import-dory first");
  if (m.inputs.size() != 1)
    return makeError(m.path + ": --dory-golden needs a model with one input");
  const Value &in = *m.inputs.front();
  llvm::Expected<Tensor> x =
      readDoryInput(goldenPath(dir, "input.txt"), in.getType());
  if (!x)
    return x.takeError();
  TensorMap inputs{{in.getName().str(), *x}};
  llvm::Expected<TensorMap> values = runModel(m, inputs);
  if (!values)
    return values.takeError();
  unsigned matched = 0, compared = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    auto it = values->find(layers[i]);
    if (it == values->end())
      return makeError(m.path + ": layer output '" + layers[i] +
                       "' was not computed");
    llvm::Expected<bool> ok = compareLayer(
        "layer " + std::to_string(i), layers[i], it->second,
        goldenPath(dir, "out_layer" + std::to_string(i) + ".txt"), os);
    if (!ok)
      return ok.takeError();
    matched += *ok;
    ++compared;
  }
  std::string outputFile = goldenPath(dir, "output.txt");
  if (llvm::sys::fs::exists(outputFile) && m.outputNames.size() == 1) {
    llvm::Expected<bool> ok =
        compareLayer("output", m.outputNames.front(),
                     values->at(m.outputNames.front()), outputFile, os);
    if (!ok)
      return ok.takeError();
    matched += *ok;
    ++compared;
  }
  os << "dory goldens: " << matched << " of " << compared << " match\n";
  if (matched != compared)
    return makeError(dir + ": " + llvm::Twine(compared - matched) +
                     " golden files differ from qlc's execution");
  return llvm::Error::success();
}
