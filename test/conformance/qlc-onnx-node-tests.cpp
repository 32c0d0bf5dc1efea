//===- qlc-onnx-node-tests.cpp - ONNX backend conformance harness ---------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Runs the ONNX backend test cases of one folder (e.g. libonnx-testdata's
// data/node): each case is a directory with model.onnx and
// test_data_set_*/{input,output}_N.pb. A case is
//   skipped  when its model uses a non-tensor type (sequence, map,
//            optional) or an op the interpreter does not support, or when
//            it is listed in the expected-failure file and fails;
//   failed   when import, verification, preparation or execution fails,
//            or an output differs from the reference beyond the tolerance
//            (NumPy allclose with ONNX's backend defaults rtol 1e-3,
//            atol 1e-7; integer, bool and string outputs exactly; NaN
//            equals NaN), or it is listed as an expected failure but passes;
//   passed   otherwise.
// Each case runs in a forked child with a time limit, so a crashing or
// hanging kernel fails that case only. The last line of output is exactly
// "N passed, N failed, N skipped"; the exit code is 0 iff nothing failed.
//
//===----------------------------------------------------------------------===//

#include "qlc/IO/TensorCompare.h"
#include "qlc/IR/Verifier.h"
#include "qlc/Interp/Interpreter.h"
#include "qlc/ONNX/Import.h"
#include "qlc/ONNX/TensorProto.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <csignal>
#include <map>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

using namespace qlc;
namespace cl = llvm::cl;
namespace fs = llvm::sys::fs;

static cl::opt<std::string> dataDir(cl::Positional, cl::Required,
                                    cl::desc("<folder of test cases>"));
static cl::opt<std::string>
    suiteName("suite",
              cl::desc("Suite name used in messages and the expected-failure "
                       "file (default: the folder's name)"));
static cl::opt<std::string>
    xfailFile("xfail", cl::desc("Expected-failure file (suite/test: reason)"));
static cl::opt<std::string>
    filter("filter", cl::desc("Run only cases whose name contains this"));
static cl::opt<unsigned> timeoutSec("timeout", cl::init(120),
                                    cl::desc("Seconds per case"));
static cl::opt<bool> noFork("no-fork",
                            cl::desc("Run cases in-process (debugging)"));
static cl::opt<bool> verbose("v", cl::desc("Print every case's result"));

static constexpr double kRtol = 1e-3, kAtol = 1e-7;

namespace {
enum class Status { Pass, Fail, Skip };
struct Outcome {
  Status status;
  std::string message;
};
} // namespace

//===----------------------------------------------------------------------===//
// Static checks on the ModelProto (run in the parent)
//===----------------------------------------------------------------------===//

static bool isTensorType(const onnx::TypeProto &t) {
  return t.value_case() == onnx::TypeProto::kTensorType;
}

/// Adds "domain::op" of every node of `g` and of its subgraphs.
static void collectOps(const onnx::GraphProto &g,
                       std::set<std::pair<std::string, std::string>> &ops) {
  for (const onnx::NodeProto &n : g.node()) {
    std::string domain = n.domain() == "ai.onnx" ? "" : n.domain();
    ops.emplace(domain, n.op_type());
    for (const onnx::AttributeProto &a : n.attribute()) {
      if (a.has_g())
        collectOps(a.g(), ops);
      for (const onnx::GraphProto &sub : a.graphs())
        collectOps(sub, ops);
    }
  }
}

/// Op names for messages: "Conv", or "domain.Op".
static std::string opName(const std::pair<std::string, std::string> &op) {
  return op.first.empty() ? op.second : op.first + "." + op.second;
}

/// Why the case cannot run here, or "" when it can; fills `opNames`.
static std::string staticSkipReason(const std::string &modelPath,
                                    std::vector<std::string> &opNames) {
  auto buf = llvm::MemoryBuffer::getFile(modelPath);
  onnx::ModelProto proto;
  if (!buf || !proto.ParseFromArray((*buf)->getBufferStart(),
                                    static_cast<int>((*buf)->getBufferSize())))
    return ""; // let the importer report it as a failure
  std::set<std::pair<std::string, std::string>> ops;
  collectOps(proto.graph(), ops);
  for (const auto &op : ops)
    opNames.push_back(opName(op));
  auto allTensors = [](const auto &values) {
    return llvm::all_of(values, [](const onnx::ValueInfoProto &v) {
      return isTensorType(v.type());
    });
  };
  if (!allTensors(proto.graph().input()) || !allTensors(proto.graph().output()))
    return "non-tensor type (sequence, map or optional)";
  std::map<std::string, int64_t> versions;
  for (const onnx::OperatorSetIdProto &o : proto.opset_import())
    versions[o.domain() == "ai.onnx" ? "" : o.domain()] = o.version();
  const KernelRegistry &registry = KernelRegistry::getDefault();
  for (const auto &op : ops) {
    auto it = versions.find(op.first);
    int64_t version = it == versions.end() ? 1 : it->second;
    if (!registry.isSupported(op.first, op.second, version))
      return "unsupported op " + opName(op) +
             (op.first.empty() ? " (opset " + std::to_string(version) + ")"
                               : "");
  }
  return "";
}

//===----------------------------------------------------------------------===//
// Running a case (in the child)
//===----------------------------------------------------------------------===//

static std::vector<std::string> listSorted(llvm::StringRef dir,
                                           llvm::StringRef prefix) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    if (name.startswith(prefix))
      names.push_back(name.str());
  }
  // input_10 must follow input_9: order by length, then by name.
  std::sort(names.begin(), names.end(), [](const auto &a, const auto &b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  return names;
}

/// Binds tensors to values: by name when the file's name matches, else by
/// position. ONNX's test data stores bfloat16 tensors as uint16 (NumPy has
/// no bfloat16); such tensors are reinterpreted as the declared bfloat16.
static llvm::Expected<std::vector<std::pair<std::string, Tensor>>>
readTensors(llvm::StringRef dir, llvm::StringRef prefix,
            llvm::ArrayRef<std::string> valueNames, const Graph &graph) {
  std::vector<std::pair<std::string, Tensor>> out;
  std::vector<std::string> files = listSorted(dir, prefix);
  if (files.size() > valueNames.size())
    return makeError(dir + ": " + llvm::Twine(files.size()) + " " + prefix +
                     "*.pb files for " + llvm::Twine(valueNames.size()) +
                     " graph values");
  for (size_t i = 0; i < files.size(); ++i) {
    std::string path = (dir + "/" + files[i]).str();
    auto named = readTensorProtoFile(path);
    if (!named)
      return addErrorContext(named.takeError(), path);
    bool known = llvm::is_contained(valueNames, named->name);
    std::string name = known ? named->name : valueNames[i];
    Tensor &t = named->tensor;
    const Value *v = graph.lookupValue(name);
    if (v && v->getElementType() == ElementType::BFloat16 &&
        t.getElementType() == ElementType::UInt16)
      t = Tensor(ElementType::BFloat16, t.getShape(), t.getStorage());
    out.emplace_back(name, std::move(t));
  }
  return out;
}

static llvm::Error compareOutput(const std::string &name, const Tensor &got,
                                 const Tensor &want) {
  llvm::Error err = llvm::Error::success();
  if (want.getElementType() == ElementType::String) {
    if (got.getElementType() != ElementType::String ||
        got.getShape() != want.getShape() ||
        got.getStrings() != want.getStrings())
      err = makeError("string output differs");
  } else {
    err = checkAllClose(got, want, kRtol, kAtol);
  }
  return addErrorContext(std::move(err), "output '" + name + "'");
}

static Outcome runCase(const std::string &caseDir) {
  auto model = importModelFile(caseDir + "/model.onnx");
  if (!model)
    return {Status::Fail, "import: " + llvm::toString(model.takeError())};
  if (llvm::Error err = verify(**model))
    return {Status::Fail, "verify: " + llvm::toString(std::move(err))};
  const Graph &graph = (*model)->getGraph();
  std::vector<std::string> inputNames, outputNames;
  for (const Value *v : graph.getInputs())
    if (v->isGraphInput())
      inputNames.push_back(v->getName().str());
  for (const Value *v : graph.getOutputs())
    outputNames.push_back(v->getName().str());
  Interpreter interp(**model);
  if (llvm::Error err = interp.prepare())
    return {Status::Fail, "prepare: " + llvm::toString(std::move(err))};
  std::vector<std::string> sets = listSorted(caseDir, "test_data_set_");
  if (sets.empty())
    return {Status::Fail, "no test_data_set_* directory"};
  for (const std::string &set : sets) {
    std::string setDir = caseDir + "/" + set;
    auto inputs = readTensors(setDir, "input_", inputNames, graph);
    if (!inputs)
      return {Status::Fail, llvm::toString(inputs.takeError())};
    auto expected = readTensors(setDir, "output_", outputNames, graph);
    if (!expected)
      return {Status::Fail, llvm::toString(expected.takeError())};
    TensorMap feed(inputs->begin(), inputs->end());
    auto results = interp.run(feed);
    if (!results)
      return {Status::Fail, set + ": " + llvm::toString(results.takeError())};
    for (const auto &[name, want] : *expected) {
      auto it = results->find(name);
      if (it == results->end())
        return {Status::Fail, set + ": output '" + name + "' missing"};
      if (llvm::Error err = compareOutput(name, it->second, want))
        return {Status::Fail, set + ": " + llvm::toString(std::move(err))};
    }
  }
  return {Status::Pass, ""};
}

/// Runs `caseDir` in a child process with a time limit.
static Outcome runCaseIsolated(const std::string &caseDir) {
  if (noFork)
    return runCase(caseDir);
  llvm::outs().flush();
  llvm::errs().flush();
  int fds[2];
  if (pipe(fds) != 0)
    return {Status::Fail, "pipe() failed"};
  pid_t pid = fork();
  if (pid < 0)
    return {Status::Fail, "fork() failed"};
  if (pid == 0) {
    close(fds[0]);
    alarm(timeoutSec);
    Outcome o = runCase(caseDir);
    std::string msg =
        std::string(1, "PFS"[static_cast<int>(o.status)]) + o.message;
    for (size_t off = 0; off < msg.size();) {
      ssize_t n = write(fds[1], msg.data() + off, msg.size() - off);
      if (n <= 0)
        break;
      off += static_cast<size_t>(n);
    }
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::string msg;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;)
    msg.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    return {Status::Fail,
            sig == SIGALRM
                ? "timed out after " + std::to_string(timeoutSec) + " s"
                : "crashed with signal " + std::to_string(sig) + " (" +
                      strsignal(sig) + ")"};
  }
  if (msg.empty() || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return {Status::Fail, "child exited without a result (status " +
                              std::to_string(WEXITSTATUS(status)) + ")"};
  Status s = msg[0] == 'P'   ? Status::Pass
             : msg[0] == 'S' ? Status::Skip
                             : Status::Fail;
  return {s, msg.substr(1)};
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

/// "suite/test: reason" lines of `path` for this suite; '#' starts a
/// comment line.
static llvm::Expected<std::map<std::string, std::string>>
readExpectedFailures(llvm::StringRef path, llvm::StringRef suite) {
  std::map<std::string, std::string> xfail;
  if (path.empty())
    return xfail;
  auto buf = llvm::MemoryBuffer::getFile(path);
  if (!buf)
    return makeError(path + ": " + buf.getError().message());
  llvm::SmallVector<llvm::StringRef, 64> lines;
  (*buf)->getBuffer().split(lines, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    llvm::StringRef line = lines[i].trim();
    if (line.empty() || line.startswith("#"))
      continue;
    auto [key, reason] = line.split(':');
    auto [lineSuite, test] = key.trim().split('/');
    if (test.empty() || reason.trim().empty())
      return makeError(path + ":" + llvm::Twine(i + 1) +
                       ": expected 'suite/test: reason'");
    if (lineSuite == suite)
      xfail[test.str()] = reason.trim().str();
  }
  return xfail;
}

/// Skip reasons grouped for the summary: without opset or xfail details.
static std::string summaryReason(llvm::StringRef message) {
  if (message.startswith("expected failure"))
    return "expected failure";
  return message.split(" (opset ").first.str();
}

int main(int argc, char **argv) {
  cl::ParseCommandLineOptions(
      argc, argv, "ONNX backend conformance of qlc's interpreter\n");
  std::string suite = suiteName.empty()
                          ? llvm::sys::path::filename(dataDir).str()
                          : suiteName.getValue();
  if (!fs::is_directory(dataDir)) {
    llvm::outs() << "skipped: " << dataDir
                 << " not found (install Debian's libonnx-testdata)\n";
    return 77;
  }
  auto xfail = readExpectedFailures(xfailFile, suite);
  if (!xfail) {
    llvm::errs() << "error: " << llvm::toString(xfail.takeError()) << "\n";
    return 1;
  }
  unsigned passed = 0, failed = 0, skipped = 0;
  std::map<std::string, unsigned> skipReasons, failingOps;
  std::set<std::string> seen;
  for (const std::string &name : listSorted(dataDir, "test_")) {
    if (!filter.empty() && !llvm::StringRef(name).contains(filter))
      continue;
    seen.insert(name);
    std::string caseDir = dataDir + "/" + name;
    std::vector<std::string> ops;
    std::string reason = staticSkipReason(caseDir + "/model.onnx", ops);
    Outcome o = reason.empty() ? runCaseIsolated(caseDir)
                               : Outcome{Status::Skip, reason};
    auto xf = xfail->find(name);
    if (xf != xfail->end()) {
      if (o.status == Status::Pass)
        o = {Status::Fail, "unexpectedly passed: remove it from the "
                           "expected-failure file"};
      else if (o.status == Status::Fail) {
        o = {Status::Skip, "expected failure (" + xf->second + ")"};
      }
    }
    switch (o.status) {
    case Status::Pass:
      ++passed;
      if (verbose)
        llvm::outs() << "PASS " << suite << "/" << name << "\n";
      break;
    case Status::Skip:
      ++skipped;
      ++skipReasons[summaryReason(o.message)];
      if (verbose)
        llvm::outs() << "SKIP " << suite << "/" << name << ": " << o.message
                     << "\n";
      break;
    case Status::Fail:
      ++failed;
      for (const std::string &op : ops)
        ++failingOps[op];
      llvm::outs() << "FAIL " << suite << "/" << name << ": " << o.message
                   << "\n";
      break;
    }
  }
  for (const auto &kv : *xfail)
    if (filter.empty() && !seen.count(kv.first))
      llvm::outs() << "warning: expected failure " << suite << "/" << kv.first
                   << " names no test case\n";
  if (!failingOps.empty()) {
    llvm::outs() << "failing cases by op:";
    for (const auto &kv : failingOps)
      llvm::outs() << " " << kv.first << "=" << kv.second;
    llvm::outs() << "\n";
  }
  std::vector<std::pair<unsigned, std::string>> reasons;
  for (const auto &kv : skipReasons)
    reasons.emplace_back(kv.second, kv.first);
  std::sort(reasons.rbegin(), reasons.rend());
  for (const auto &[count, why] : reasons)
    llvm::outs() << "skipped " << count << ": " << why << "\n";
  llvm::outs() << passed << " passed, " << failed << " failed, " << skipped
               << " skipped\n";
  return failed == 0 ? 0 : 1;
}
