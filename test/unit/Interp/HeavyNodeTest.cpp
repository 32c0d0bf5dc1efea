//===- HeavyNodeTest.cpp - ONNX node tests of the heavy kernels -----------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Runs the official ONNX node tests (Debian's libonnx-testdata) of the ops
// the heavy kernels implement: each model.onnx on every test_data_set_*,
// compared with the stored outputs (integers exactly, floats within
// rtol 1e-4 / atol 1e-5). Skips, saying so, when the package is absent.
//
//===----------------------------------------------------------------------===//

#include "qlc/IO/TensorCompare.h"
#include "qlc/Interp/Interpreter.h"
#include "qlc/ONNX/Import.h"
#include "qlc/ONNX/TensorProto.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <string>
#include <vector>

using namespace qlc;

namespace {

const char *kNodeTestDir = "/usr/share/libonnx-testdata/data/node";

/// Test-directory prefixes of the heavy ops (training-mode BatchNorm too).
const char *kPrefixes[] = {"test_conv",
                           "test_basic_conv",
                           "test_convtranspose",
                           "test_gemm",
                           "test_matmul",
                           "test_batchnorm",
                           "test_instancenorm",
                           "test_layer_normalization",
                           "test_maxpool",
                           "test_averagepool",
                           "test_globalaveragepool",
                           "test_globalmaxpool",
                           "test_lppool",
                           "test_quantizelinear",
                           "test_dequantizelinear",
                           "test_dynamicquantizelinear",
                           "test_qlinear",
                           "test_convinteger",
                           "test_basic_convinteger",
                           "test_matmulinteger"};

std::vector<std::string> listTests() {
  std::vector<std::string> tests;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(kNodeTestDir, ec), end;
       it != end && !ec; it.increment(ec)) {
    std::string name = llvm::sys::path::filename(it->path()).str();
    for (const char *prefix : kPrefixes)
      if (llvm::StringRef(name).startswith(prefix) &&
          !llvm::StringRef(name).endswith("_expanded")) {
        tests.push_back(name);
        break;
      }
  }
  std::sort(tests.begin(), tests.end());
  return tests;
}

std::vector<std::string> listFiles(const std::string &dir,
                                   llvm::StringRef prefix) {
  std::vector<std::string> files;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    if (llvm::sys::path::filename(it->path()).startswith(prefix))
      files.push_back(it->path());
  // input_10 sorts after input_9 only when compared by length first.
  std::sort(files.begin(), files.end(), [](const auto &a, const auto &b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  return files;
}

/// Runs one node test; returns "" or what went wrong.
std::string runNodeTest(const std::string &name) {
  std::string dir = std::string(kNodeTestDir) + "/" + name;
  auto model = importModelFile(dir + "/model.onnx");
  if (!model)
    return "import: " + llvm::toString(model.takeError());
  Interpreter interp(**model);
  if (llvm::Error err = interp.prepare())
    return "prepare: " + llvm::toString(std::move(err));
  const Graph &g = (*model)->getGraph();
  for (const std::string &set : listFiles(dir, "test_data_set_")) {
    std::vector<std::string> inFiles = listFiles(set, "input_"),
                             outFiles = listFiles(set, "output_");
    TensorMap feeds;
    size_t next = 0;
    for (Value *in : g.getInputs()) {
      if (in->isInitializer())
        continue;
      if (next >= inFiles.size())
        return "missing input file for " + in->getName().str();
      auto t = readTensorProtoFile(inFiles[next++]);
      if (!t)
        return llvm::toString(t.takeError());
      feeds[in->getName().str()] = t->tensor;
    }
    auto results = interp.run(feeds);
    if (!results)
      return "run: " + llvm::toString(results.takeError());
    for (size_t i = 0; i < outFiles.size() && i < g.getOutputs().size(); ++i) {
      auto expected = readTensorProtoFile(outFiles[i]);
      if (!expected)
        return llvm::toString(expected.takeError());
      std::string outName = g.getOutputs()[i]->getName().str();
      const Tensor &actual = (*results)[outName];
      if (actual.getElementType() != expected->tensor.getElementType())
        return outName + ": element type differs";
      bool exact = !isFloatType(actual.getElementType());
      if (llvm::Error err = checkAllClose(actual, expected->tensor,
                                          exact ? 0 : 1e-4, exact ? 0 : 1e-5))
        return outName + ": " + llvm::toString(std::move(err));
    }
  }
  return "";
}

TEST(HeavyNodeTest, OfficialNodeTests) {
  if (!llvm::sys::fs::is_directory(kNodeTestDir))
    GTEST_SKIP() << "libonnx-testdata is not installed (" << kNodeTestDir
                 << " is absent)";
  std::vector<std::string> tests = listTests();
  ASSERT_GT(tests.size(), 50u) << "expected the heavy ops' node tests";
  int passed = 0;
  for (const std::string &name : tests) {
    std::string problem = runNodeTest(name);
    if (problem.empty())
      ++passed;
    else
      ADD_FAILURE() << name << ": " << problem;
  }
  std::printf("[ heavy node tests: %d of %zu passed ]\n", passed, tests.size());
}

} // namespace
