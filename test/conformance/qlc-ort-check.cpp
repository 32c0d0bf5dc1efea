//===- qlc-ort-check.cpp - Cross-check qlc-run against ONNX Runtime -------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Runs each model through the qlc-run binary and through ONNX Runtime
// (tools/ort/run-ort.js, onnxruntime-node, one thread) on the same inputs
// and compares the .npy outputs the two write:
//   float outputs  pass iff every element satisfies
//                  |a - b| <= rtol * (|b| + max|b|)   (rtol 1e-5 default)
//                  i.e. relative to the element, with an absolute floor of
//                  rtol times the largest reference magnitude of that
//                  output; NaN must meet NaN, infinities must be equal;
//   integer/bool   must be equal.
// Inputs are random (qlc-run --random-inputs --save-inputs, the same files
// then go to ORT) or, with --backend-dir, each ONNX backend case's
// test_data_set_0/input_N.pb converted to .npy. Models with ops qlc does not
// support, or that ONNX Runtime has no kernel for (ops of old opsets), are
// skipped. With --reference-model, qlc-run executes that model instead of
// each case's (e.g. a fake-quantised model, whose QDQ export ONNX Runtime
// runs; inputs and outputs are matched by name). --ort-optimization sets
// ORT's graph optimisation level (default all); 'disabled' keeps it from
// fusing QDQ patterns into integer kernels, which round differently from
// float QDQ arithmetic. Prints "N passed, N failed, N skipped" last; exits 77
// (ctest: skipped) when node or onnxruntime-node is not installed.
//
//===----------------------------------------------------------------------===//

#include "qlc/IO/FileIO.h"
#include "qlc/IO/Npy.h"
#include "qlc/IO/TensorCompare.h"
#include "qlc/Interp/Kernel.h"
#include "qlc/ONNX/Import.h"
#include "qlc/ONNX/TensorProto.h"
#include "qlc/Support/Error.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace qlc;
namespace cl = llvm::cl;
namespace fs = llvm::sys::fs;

static cl::list<std::string> models(cl::Positional,
                                    cl::desc("<model.onnx>..."));
static cl::opt<std::string>
    backendDir("backend-dir",
               cl::desc("Check every case of an ONNX backend test folder"));
static cl::opt<std::string> qlcRun("qlc-run", cl::Required,
                                   cl::desc("Path of the qlc-run binary"));
static cl::opt<std::string> ortDir("ort-dir", cl::Required,
                                   cl::desc("tools/ort (run-ort.js and "
                                            "node_modules)"));
static cl::opt<std::string> workDir("work-dir", cl::Required,
                                    cl::desc("Scratch directory (emptied)"));
static cl::opt<double> rtol("rtol", cl::init(1e-5),
                            cl::desc("Relative tolerance of float outputs"));
static cl::opt<double> randomMin("random-min", cl::init(-1.0),
                                 cl::desc("Random float inputs: lower bound"));
static cl::opt<double> randomMax("random-max", cl::init(1.0),
                                 cl::desc("Random float inputs: upper bound"));
static cl::opt<std::string> referenceModel(
    "reference-model",
    cl::desc("Model qlc-run executes instead of each case's own (ONNX "
             "Runtime still runs the case's model)"));
static cl::opt<std::string> ortOptimization(
    "ort-optimization", cl::init("all"),
    cl::desc("ONNX Runtime graph optimisation level: disabled, basic, "
             "extended or all (run-ort.js --graph-optimization)"));
static cl::opt<unsigned> seed("seed", cl::init(1),
                              cl::desc("Seed of the random inputs"));

namespace {
enum class Status { Pass, Fail, Skip };
struct Outcome {
  Status status;
  std::string message;
};
struct Case {
  std::string name;
  std::string model;
  std::vector<std::string> inputPbs; // empty: random inputs
};
} // namespace

static std::string nodePath;

/// Runs `args` (args[0] is the program); on failure returns its stderr.
static llvm::Error runProgram(llvm::ArrayRef<std::string> args,
                              llvm::StringRef logPath) {
  std::vector<llvm::StringRef> refs(args.begin(), args.end());
  llvm::Optional<llvm::StringRef> redirects[] = {llvm::StringRef(""), logPath,
                                                 logPath};
  std::string errMsg;
  int rc = llvm::sys::ExecuteAndWait(args[0], refs, llvm::None, redirects,
                                     /*SecondsToWait=*/300, 0, &errMsg);
  if (rc == 0)
    return llvm::Error::success();
  std::string log;
  if (auto buf = llvm::MemoryBuffer::getFile(logPath))
    log = (*buf)->getBuffer().trim().str();
  return makeError(llvm::sys::path::filename(args[0]) + " failed (exit " +
                   llvm::Twine(rc) + (errMsg.empty() ? "" : ", " + errMsg) +
                   "): " + log);
}

/// Why `model` cannot be checked, or "".
static std::string unsupportedReason(const Model &model) {
  const KernelRegistry &registry = KernelRegistry::getDefault();
  for (const Node &n : model.getGraph().getNodes()) {
    int64_t version = model.getOpsetVersion(n.getDomain());
    if (!registry.isSupported(n.getDomain(), n.getOpType(), version))
      return "unsupported op " + n.getOpType().str();
  }
  return "";
}

static llvm::Error compareOutput(const std::string &name, const Tensor &got,
                                 const Tensor &want, std::string &detail) {
  auto diff = compareTensors(got, want);
  if (!diff)
    return addErrorContext(diff.takeError(), "output '" + name + "'");
  double floor = rtol * diff->referenceMaxAbs;
  llvm::raw_string_ostream os(detail);
  os << (detail.empty() ? "" : "; ") << name << ": max|a-b| "
     << llvm::format("%.3g", diff->maxAbsError) << ", max|b| "
     << llvm::format("%.3g", diff->referenceMaxAbs);
  return addErrorContext(checkAllClose(got, want, rtol, floor),
                         "output '" + name + "'");
}

static Outcome checkCase(const Case &c, unsigned index) {
  auto model = importModelFile(c.model);
  if (!model)
    return {Status::Fail, "import: " + llvm::toString(model.takeError())};
  std::string qlcModel = referenceModel.empty() ? c.model : referenceModel;
  auto reference = importModelFile(qlcModel);
  if (!reference)
    return {Status::Fail, "import: " + llvm::toString(reference.takeError())};
  std::string reason = unsupportedReason(**reference);
  if (!reason.empty())
    return {Status::Skip, reason};
  const Graph &graph = (*model)->getGraph();
  std::string dir = workDir + "/" + std::to_string(index);
  std::string inDir = dir + "/inputs", qlcDir = dir + "/qlc",
              ortOut = dir + "/ort";
  fs::create_directories(inDir);
  std::vector<std::string> qlcArgs = {qlcRun, qlcModel, "--output-dir", qlcDir};
  std::vector<std::string> ortArgs = {
      nodePath, ortDir + "/run-ort.js", c.model,        "--output-dir",
      ortOut,   "--graph-optimization", ortOptimization};
  std::vector<const Value *> inputs;
  for (const Value *v : graph.getInputs())
    if (v->isGraphInput())
      inputs.push_back(v);
  if (c.inputPbs.empty()) {
    qlcArgs.insert(qlcArgs.end(),
                   {"--random-inputs", "--seed=" + std::to_string(seed),
                    "--random-min=" + std::to_string(randomMin.getValue()),
                    "--random-max=" + std::to_string(randomMax.getValue()),
                    "--save-inputs", inDir});
  } else {
    for (size_t i = 0; i < c.inputPbs.size() && i < inputs.size(); ++i) {
      auto t = readTensorProtoFile(c.inputPbs[i]);
      if (!t)
        return {Status::Fail,
                c.inputPbs[i] + ": " + llvm::toString(t.takeError())};
      std::string file =
          inDir + "/" + sanitizeFileName(inputs[i]->getName()) + ".npy";
      if (llvm::Error err = writeNpyFile(file, t->tensor))
        return {Status::Fail, llvm::toString(std::move(err))};
      qlcArgs.push_back("--input=" + inputs[i]->getName().str() + "=" + file);
    }
  }
  if (llvm::Error err = runProgram(qlcArgs, dir + "/qlc.log"))
    return {Status::Fail, llvm::toString(std::move(err))};
  for (const Value *v : inputs) {
    ortArgs.push_back("--input");
    ortArgs.push_back(v->getName().str() + "=" + inDir + "/" +
                      sanitizeFileName(v->getName()) + ".npy");
  }
  if (llvm::Error err = runProgram(ortArgs, dir + "/ort.log")) {
    // ORT dropped kernels for some pre-opset-7 ops: no reference to check.
    std::string msg = llvm::toString(std::move(err));
    size_t pos = msg.find("Could not find an implementation");
    if (pos != std::string::npos)
      return {Status::Skip, "ONNX Runtime: " + msg.substr(pos)};
    return {Status::Fail, msg};
  }
  std::string detail;
  for (const Value *v : graph.getOutputs()) {
    std::string file = sanitizeFileName(v->getName()) + ".npy";
    auto got = readNpyFile(qlcDir + "/" + file);
    auto want = readNpyFile(ortOut + "/" + file);
    if (!got || !want) {
      std::string msg = !got ? llvm::toString(got.takeError())
                             : (llvm::consumeError(got.takeError()), "");
      if (!want)
        msg += llvm::toString(want.takeError());
      return {Status::Fail, file + ": " + msg};
    }
    if (llvm::Error err =
            compareOutput(v->getName().str(), *got, *want, detail))
      return {Status::Fail, llvm::toString(std::move(err))};
  }
  return {Status::Pass, detail};
}

/// Cases of an ONNX backend folder: each test_*/model.onnx with the
/// input_N.pb files of test_data_set_0.
static std::vector<Case> backendCases(llvm::StringRef dir) {
  std::vector<Case> cases;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    Case c;
    c.name = llvm::sys::path::filename(it->path()).str();
    c.model = it->path() + "/model.onnx";
    for (unsigned i = 0;; ++i) {
      std::string pb =
          it->path() + "/test_data_set_0/input_" + std::to_string(i) + ".pb";
      if (!fs::exists(pb))
        break;
      c.inputPbs.push_back(pb);
    }
    cases.push_back(std::move(c));
  }
  std::sort(cases.begin(), cases.end(),
            [](const Case &a, const Case &b) { return a.name < b.name; });
  return cases;
}

int main(int argc, char **argv) {
  cl::ParseCommandLineOptions(argc, argv,
                              "Cross-check qlc-run against ONNX Runtime\n");
  auto node = llvm::sys::findProgramByName("node");
  if (!node) {
    llvm::outs() << "skipped: node (Node.js) not found\n";
    return 77;
  }
  nodePath = *node;
  if (!fs::is_directory(ortDir + "/node_modules/onnxruntime-node")) {
    llvm::outs() << "skipped: " << ortDir
                 << "/node_modules is missing: run `ONNXRUNTIME_NODE_INSTALL="
                    "skip npm ci` in tools/ort\n";
    return 77;
  }
  std::vector<Case> cases;
  if (!backendDir.empty()) {
    if (!fs::is_directory(backendDir)) {
      llvm::outs() << "skipped: " << backendDir
                   << " not found (install Debian's libonnx-testdata)\n";
      return 77;
    }
    cases = backendCases(backendDir);
  }
  for (const std::string &m : models)
    cases.push_back({llvm::sys::path::filename(m).str(), m, {}});
  fs::remove_directories(workDir);
  unsigned passed = 0, failed = 0, skipped = 0;
  for (unsigned i = 0; i < cases.size(); ++i) {
    Outcome o = checkCase(cases[i], i);
    const char *label = o.status == Status::Pass   ? "PASS"
                        : o.status == Status::Skip ? "SKIP"
                                                   : "FAIL";
    (o.status == Status::Pass   ? passed
     : o.status == Status::Skip ? skipped
                                : failed)++;
    llvm::outs() << label << " " << cases[i].name << ": " << o.message << "\n";
  }
  llvm::outs() << passed << " passed, " << failed << " failed, " << skipped
               << " skipped\n";
  return failed == 0 ? 0 : 1;
}
