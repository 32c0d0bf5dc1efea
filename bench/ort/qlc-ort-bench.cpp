//===- qlc-ort-bench.cpp - qlc-run versus ONNX Runtime throughput ---------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Prints a Markdown table comparing qlc-run (the reference interpreter) and
// ONNX Runtime (tools/ort/run-ort.js) single-threaded on MLPerf Tiny models
// at batch 1 and 32: throughput (inferences/s from the median of N timed
// runs after one untimed run, model loading excluded; from CPU time, which
// other load on a shared machine does not inflate, and from wall time;
// the two tools alternate for --rounds rounds and each keeps its best)
// and peak resident
// memory (each process's own RSS high-water mark, loading included; Node.js
// itself accounts for ~40-80 MiB of ORT's figure).
//
// The models' batch dimension is fixed to 1; the batch-32 variants are made
// here by makeBatchVariant(): every graph input, graph output and value
// type whose first dimension is 1 gets the new batch, and every Reshape
// whose constant target shape starts with 1 gets it too. That is enough for
// these CNNs (their only batch-dependent constant is the flatten Reshape);
// it is not a general re-batching tool.
//
//===----------------------------------------------------------------------===//

#include "qlc/IO/FileIO.h"
#include "qlc/ONNX/Export.h"
#include "qlc/ONNX/Import.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <regex>

using namespace qlc;
namespace cl = llvm::cl;
namespace fs = llvm::sys::fs;

static cl::opt<std::string> qlcRun("qlc-run", cl::init(QLC_RUN_PATH),
                                   cl::desc("qlc-run binary"));
static cl::opt<std::string> ortDir("ort-dir", cl::init(QLC_ORT_DIR),
                                   cl::desc("tools/ort"));
static cl::opt<std::string> fixtures("fixtures", cl::init(QLC_MLPERF_DIR),
                                     cl::desc("MLPerf Tiny model folder"));
static cl::opt<std::string> workDir("work-dir", cl::init(QLC_BENCH_WORK_DIR),
                                    cl::desc("Scratch directory"));
static cl::opt<unsigned> runs("runs", cl::init(20),
                              cl::desc("Timed runs per measurement"));
static cl::opt<unsigned>
    rounds("rounds", cl::init(3),
           cl::desc("Alternating qlc-run / ORT measurements per case; the "
                    "best of each is reported"));
static cl::list<unsigned> batches("batch", cl::CommaSeparated,
                                  cl::desc("Batch sizes (default 1,32)"));

namespace {
struct BenchModel {
  const char *label;
  const char *file;
  double randomMin, randomMax;
};
struct Measurement {
  double inferencesPerSec = 0;    // from the median wall time
  double cpuInferencesPerSec = 0; // from the median CPU time
  uint64_t peakRssKiB = 0;
};
} // namespace

/// Keeps the higher throughputs and the higher peak memory.
static void keepBest(Measurement &best, const Measurement &m) {
  best.inferencesPerSec = std::max(best.inferencesPerSec, m.inferencesPerSec);
  best.cpuInferencesPerSec =
      std::max(best.cpuInferencesPerSec, m.cpuInferencesPerSec);
  best.peakRssKiB = std::max(best.peakRssKiB, m.peakRssKiB);
}

static const BenchModel kModels[] = {
    {"MobileNetV1 0.25 VWW 96x96 (float)", "mobilenetv1_025_vww96_fp32.onnx", 0,
     1},
    {"ResNet-8 (float)", "resnet8_ic_fp32.onnx", 0, 255},
    {"ResNet-8 (integer)", "resnet8_ic_int.onnx", 0, 255},
};

/// Sets dimension 0 of `type` to `batch` when it is 1.
static void rebatchType(Value &v, int64_t batch) {
  TensorType type = v.getType();
  if (!type.hasRank() || type.getRank() == 0)
    return;
  llvm::SmallVector<Dim, 4> dims(type.getDims().begin(), type.getDims().end());
  if (!dims[0].isKnown() || dims[0].size != 1)
    return;
  dims[0] = Dim::known(batch);
  type.setDims(dims);
  v.setType(type);
}

static llvm::Error makeBatchVariant(llvm::StringRef in, llvm::StringRef out,
                                    int64_t batch) {
  auto model = importModelFile(in);
  if (!model)
    return addErrorContext(model.takeError(), in);
  Graph &graph = (*model)->getGraph();
  for (Value *v : graph.getInputs())
    rebatchType(*v, batch);
  for (Node &n : graph.getNodes()) {
    for (Value *r : n.getResults())
      rebatchType(*r, batch);
    Value *shape = n.is("Reshape") ? n.getOptionalInput(1) : nullptr;
    const Tensor *c = shape ? shape->getConstant() : nullptr;
    if (c && c->getElementType() == ElementType::Int64 &&
        c->getNumElements() > 0 && c->getData<int64_t>()[0] == 1) {
      Tensor t = c->clone();
      t.getMutableData<int64_t>()[0] = batch;
      shape->setConstant(std::move(t));
    }
  }
  return addErrorContext(exportModelFile(**model, out), out);
}

/// Runs a command, returning its standard output.
static llvm::Expected<std::string> capture(llvm::ArrayRef<std::string> args,
                                           llvm::StringRef outFile) {
  std::vector<llvm::StringRef> refs(args.begin(), args.end());
  llvm::Optional<llvm::StringRef> redirects[] = {llvm::StringRef(""), outFile,
                                                 outFile};
  std::string errMsg;
  int rc = llvm::sys::ExecuteAndWait(args[0], refs, llvm::None, redirects, 0, 0,
                                     &errMsg);
  auto buf = llvm::MemoryBuffer::getFile(outFile);
  std::string text = buf ? (*buf)->getBuffer().str() : "";
  if (rc != 0)
    return makeError(args[0] + " failed (exit " + llvm::Twine(rc) +
                     "): " + errMsg + text);
  return text;
}

/// Parses the "timing:" and "peak RSS:" lines qlc-run and run-ort.js print.
static llvm::Expected<Measurement> parseTiming(const std::string &text) {
  std::smatch m;
  static const std::regex timing(
      R"(timing: \d+ runs, batch \d+, median [0-9.]+ ms \(CPU [0-9.]+ ms\), min [0-9.]+ ms, ([0-9.]+) inferences/s \(CPU ([0-9.]+)\))");
  static const std::regex rss(R"(peak RSS: (\d+) KiB)");
  Measurement out;
  if (!std::regex_search(text, m, timing))
    return makeError("no timing line in: " + text);
  out.inferencesPerSec = std::stod(m[1]);
  out.cpuInferencesPerSec = std::stod(m[2]);
  if (!std::regex_search(text, m, rss))
    return makeError("no peak RSS line in: " + text);
  out.peakRssKiB = std::stoull(m[1]);
  return out;
}

int main(int argc, char **argv) {
  cl::ParseCommandLineOptions(argc, argv, "qlc-run versus ONNX Runtime\n");
  auto node = llvm::sys::findProgramByName("node");
  if (!node || !fs::is_directory(ortDir + "/node_modules/onnxruntime-node")) {
    llvm::errs() << "error: needs node and " << ortDir
                 << "/node_modules (ONNXRUNTIME_NODE_INSTALL=skip npm ci)\n";
    return 1;
  }
  std::vector<unsigned> sizes(batches.begin(), batches.end());
  if (sizes.empty())
    sizes = {1, 32};
  fs::create_directories(workDir);
  llvm::outs() << "| model | batch | qlc-run inf/s (CPU) | ORT inf/s (CPU) "
                  "| ORT / qlc (CPU) | qlc-run inf/s (wall) | ORT inf/s "
                  "(wall) | qlc-run peak RSS MiB | ORT peak RSS MiB |\n"
               << "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const BenchModel &bm : kModels) {
    for (unsigned batch : sizes) {
      std::string model = fixtures + "/" + bm.file;
      std::string tag = std::string(bm.file) + ".b" + std::to_string(batch);
      if (batch != 1) {
        std::string variant = workDir + "/" + tag + ".onnx";
        if (llvm::Error err = makeBatchVariant(model, variant, batch)) {
          llvm::errs() << "error: " << llvm::toString(std::move(err)) << "\n";
          return 1;
        }
        model = variant;
      }
      std::string inDir = workDir + "/" + tag + ".inputs";
      std::string log = workDir + "/" + tag + ".log";
      // The two runtimes alternate, so a slow spell of a shared machine
      // hits both; each keeps its best round.
      Measurement qlcBest, ortBest;
      for (unsigned round = 0; round < std::max(1u, unsigned(rounds));
           ++round) {
        auto qlc = capture({qlcRun, model, "--random-inputs", "--seed=1",
                            "--random-min=" + std::to_string(bm.randomMin),
                            "--random-max=" + std::to_string(bm.randomMax),
                            "--save-inputs", inDir,
                            "--time-runs=" + std::to_string(runs)},
                           log);
        auto qlcM = qlc ? parseTiming(*qlc) : qlc.takeError();
        std::vector<std::string> ortArgs = {
            *node, ortDir + "/run-ort.js", model,
            "--time-runs=" + std::to_string(runs)};
        std::error_code ec;
        for (fs::directory_iterator it(inDir, ec), end; it != end && !ec;
             it.increment(ec)) {
          llvm::StringRef file = llvm::sys::path::filename(it->path());
          ortArgs.push_back("--input");
          ortArgs.push_back(file.drop_back(4).str() + "=" + it->path());
        }
        auto ort = capture(ortArgs, log);
        auto ortM = ort ? parseTiming(*ort) : ort.takeError();
        if (!qlcM || !ortM) {
          llvm::errs() << "error: " << bm.file << " batch " << batch << ": "
                       << (qlcM ? "" : llvm::toString(qlcM.takeError()))
                       << (ortM ? "" : llvm::toString(ortM.takeError()))
                       << "\n";
          return 1;
        }
        keepBest(qlcBest, *qlcM);
        keepBest(ortBest, *ortM);
      }
      const Measurement *qlcM = &qlcBest, *ortM = &ortBest;
      llvm::outs() << "| " << bm.label << " | " << batch << " | "
                   << llvm::format("%.1f", qlcM->cpuInferencesPerSec) << " | "
                   << llvm::format("%.1f", ortM->cpuInferencesPerSec) << " | "
                   << llvm::format("%.2f", ortM->cpuInferencesPerSec /
                                               qlcM->cpuInferencesPerSec)
                   << " | " << llvm::format("%.1f", qlcM->inferencesPerSec)
                   << " | " << llvm::format("%.1f", ortM->inferencesPerSec)
                   << " | " << llvm::format("%.1f", qlcM->peakRssKiB / 1024.0)
                   << " | " << llvm::format("%.1f", ortM->peakRssKiB / 1024.0)
                   << " |\n";
      llvm::outs().flush();
    }
  }
  return 0;
}
