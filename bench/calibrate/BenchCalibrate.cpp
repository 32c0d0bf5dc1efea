//===- BenchCalibrate.cpp - Speed and memory of calibrate -----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Prepares MobileNetV1 0.25 VWW (insert-pact, harmonise-adds, interpose),
// writes N random images in [0, 1] as an .npz, and runs `calibrate` on
// them in a forked child per configuration, so that the child's peak RSS
// (wait4) shows whether memory grows with the number of samples. Prints one
// table row per (samples, threads, method).
//
// usage: qlc-bench-calibrate [MODEL] [--samples 128,512] [--threads 1]
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "qlc/IO/Npz.h"
#include "qlc/ONNX/Import.h"
#include "qlc/Pass/PassManager.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <random>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace qlc;

namespace {

std::vector<int64_t> parseList(llvm::StringRef text) {
  llvm::SmallVector<llvm::StringRef, 4> parts;
  text.split(parts, ',');
  std::vector<int64_t> out;
  for (llvm::StringRef p : parts) {
    int64_t v;
    if (!p.getAsInteger(10, v))
      out.push_back(v);
  }
  return out;
}

llvm::Error runPipeline(Model &model, PassRegistry &registry,
                        llvm::StringRef pipeline) {
  PassManager pm;
  if (llvm::Error err = pm.addPipeline(pipeline, registry))
    return err;
  return pm.run(model);
}

/// Writes `n` random samples shaped like the model's input (batch axis
/// replaced by n).
llvm::Error writeData(const Model &model, int64_t n, llvm::StringRef path) {
  const Value *input = model.getGraph().getInputs().front();
  Shape shape{n};
  for (size_t i = 1; i < input->getType().getDims().size(); ++i)
    shape.push_back(input->getType().getDims()[i].size);
  Tensor x(ElementType::Float, shape);
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  for (float &v : x.getMutableData<float>())
    v = dist(rng);
  return writeNpzFile(path, {{"x", std::move(x)}});
}

struct Measurement {
  double wallSeconds = 0, cpuSeconds = 0;
  long peakRssKiB = 0;
  bool ok = false;
};

/// Runs calibrate in a child process; the parent measures it.
Measurement measure(const Model &prepared, PassRegistry &registry,
                    llvm::StringRef options) {
  Measurement m;
  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    std::unique_ptr<Model> copy = prepared.clone();
    llvm::Error err =
        runPipeline(*copy, registry, ("calibrate{" + options + "}").str());
    if (err) {
      llvm::errs() << "calibrate: " << llvm::toString(std::move(err)) << "\n";
      _exit(1);
    }
    _exit(0);
  }
  int status = 0;
  struct rusage usage;
  if (pid < 0 || wait4(pid, &status, 0, &usage) < 0)
    return m;
  m.wallSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  m.cpuSeconds = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec * 1e-6 +
                 usage.ru_stime.tv_sec + usage.ru_stime.tv_usec * 1e-6;
  m.peakRssKiB = usage.ru_maxrss;
  m.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return m;
}

} // namespace

int main(int argc, char **argv) {
  std::string modelPath =
      QLC_FIXTURES_DIR "/mlperf_tiny/mobilenetv1_025_vww96_fp32.onnx";
  std::vector<int64_t> sampleCounts{128, 512}, threadCounts{1};
  std::vector<std::string> methods{"minmax", "percentile", "mse", "kl"};
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    if (arg == "--samples" && i + 1 < argc)
      sampleCounts = parseList(argv[++i]);
    else if (arg == "--threads" && i + 1 < argc)
      threadCounts = parseList(argv[++i]);
    else
      modelPath = arg.str();
  }
  PassRegistry registry;
  if (llvm::Error err = registerAllPasses(registry)) {
    llvm::errs() << llvm::toString(std::move(err)) << "\n";
    return 1;
  }
  auto model = importModelFile(modelPath);
  if (!model) {
    llvm::errs() << "error: " << modelPath << ": "
                 << llvm::toString(model.takeError()) << "\n";
    return 1;
  }
  if (llvm::Error err =
          runPipeline(**model, registry,
                      "infer-shapes,insert-pact,harmonise-adds,interpose")) {
    llvm::errs() << "error: " << llvm::toString(std::move(err)) << "\n";
    return 1;
  }
  llvm::SmallString<128> dir;
  if (llvm::sys::fs::createUniqueDirectory("qlc-bench-calib", dir))
    return 1;
  llvm::outs() << "calibrate on " << llvm::sys::path::filename(modelPath)
               << " (random inputs in [0, 1])\n";
  llvm::outs() << " samples  threads method         wall s     cpu s"
                  "    samples/s    peak MiB\n";
  int rc = 0;
  for (int64_t n : sampleCounts) {
    llvm::SmallString<128> data(dir);
    llvm::sys::path::append(data, "calib-" + std::to_string(n) + ".npz");
    if (llvm::Error err = writeData(**model, n, data)) {
      llvm::errs() << llvm::toString(std::move(err)) << "\n";
      return 1;
    }
    for (int64_t t : threadCounts)
      for (const std::string &method : methods) {
        std::string options =
            "data='" + data.str().str() +
            "' samples=0 progress=none threads=" + std::to_string(t) +
            " method=" + method;
        Measurement m = measure(**model, registry, options);
        if (!m.ok)
          rc = 1;
        llvm::outs() << llvm::format("%8lld %8lld %-11s %9.2f %9.2f %12.1f "
                                     "%11.1f%s\n",
                                     (long long)n, (long long)t, method.c_str(),
                                     m.wallSeconds, m.cpuSeconds,
                                     n / m.wallSeconds, m.peakRssKiB / 1024.0,
                                     m.ok ? "" : "  FAILED");
        llvm::outs().flush();
      }
    llvm::sys::fs::remove(data);
  }
  llvm::sys::fs::remove(dir);
  return rc;
}
