//===- OnnxIoBench.cpp - ONNX import/export cost against protobuf ---------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// qlc-bench-onnx-io [--reps N] [MODEL.onnx...]
//
// Measures, for a generated ResNet-50-sized model (about 100 MB) and the
// MLPerf Tiny fixtures (or the models given):
//   - protobuf alone: parse the file into a ModelProto and serialize it to
//     a file (what any ONNX tool must at least pay);
//   - qlc: importModelFile + exportModelFile (checker off, then on);
//   - the peak resident memory each adds, measured in a fresh child process
//     (VmHWM at the end minus VmRSS at the start).
// Each measurement runs in its own child process, which repeats the work
// and reports its fastest run. Prints a table with the ratios; the targets
// are qlc within 2x of protobuf's time and peak memory within 3x the file.
//
//===----------------------------------------------------------------------===//

#include "ResNet50.h"

#include "qlc/ONNX/Export.h"
#include "qlc/ONNX/Import.h"

#include "onnx/onnx_pb.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <fcntl.h>
#include <fstream>
#include <unistd.h>

using namespace qlc;

#ifndef QLC_BENCH_FIXTURES_DIR
#define QLC_BENCH_FIXTURES_DIR ""
#endif

namespace {

/// A field of /proc/self/status in KiB ("VmRSS", "VmHWM").
long readStatusKiB(const char *field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  std::string prefix = std::string(field) + ":";
  while (std::getline(in, line))
    if (line.compare(0, prefix.size(), prefix) == 0)
      return std::atol(line.c_str() + prefix.size());
  return -1;
}

bool protobufRoundTrip(const std::string &in, const std::string &out) {
  onnx::ModelProto proto;
  {
    int fd = ::open(in.c_str(), O_RDONLY);
    if (fd < 0)
      return false;
    google::protobuf::io::FileInputStream stream(fd);
    stream.SetCloseOnDelete(true);
    google::protobuf::io::CodedInputStream coded(&stream);
    coded.SetTotalBytesLimit(INT_MAX);
    if (!proto.ParseFromCodedStream(&coded))
      return false;
  }
  int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    return false;
  google::protobuf::io::FileOutputStream stream(fd);
  bool ok = proto.SerializeToZeroCopyStream(&stream);
  return stream.Close() && ok;
}

bool qlcRoundTrip(const std::string &in, const std::string &out, bool checker) {
  llvm::Expected<std::unique_ptr<Model>> model = importModelFile(in);
  if (!model) {
    llvm::errs() << llvm::toString(model.takeError()) << "\n";
    return false;
  }
  ExportOptions options;
  options.runChecker = checker;
  if (llvm::Error err = exportModelFile(**model, out, options)) {
    llvm::errs() << llvm::toString(std::move(err)) << "\n";
    return false;
  }
  return true;
}

/// Child: repeats one mode, prints "<best ms> <peak increase KiB>".
int runChild(llvm::StringRef mode, const std::string &in,
             const std::string &out, int reps) {
  long baseline = readStatusKiB("VmRSS");
  double best = 1e300;
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    bool ok = mode == "protobuf" ? protobufRoundTrip(in, out)
                                 : qlcRoundTrip(in, out, mode == "checked");
    auto t1 = std::chrono::steady_clock::now();
    if (!ok)
      return 1;
    best = std::min(best,
                    std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  llvm::outs() << llvm::format("%.3f %ld\n", best,
                               readStatusKiB("VmHWM") - baseline);
  return 0;
}

struct Measure {
  double ms = -1;
  double peakMB = -1;
};

Measure spawn(const std::string &self, const char *mode,
              const std::string &model, const std::string &tmpDir, int reps) {
  std::string out = tmpDir + "/out-" + mode + ".onnx";
  std::string report = tmpDir + "/report.txt";
  std::string repsStr = std::to_string(reps);
  llvm::SmallVector<llvm::StringRef, 8> args = {self,  "--child", mode,
                                                model, out,       repsStr};
  llvm::Optional<llvm::StringRef> redirects[] = {
      llvm::None, llvm::StringRef(report), llvm::None};
  std::string err;
  int rc =
      llvm::sys::ExecuteAndWait(self, args, llvm::None, redirects, 0, 0, &err);
  Measure m;
  std::ifstream in(report);
  long peakKiB = -1;
  if (rc == 0 && (in >> m.ms >> peakKiB))
    m.peakMB = peakKiB / 1024.0;
  else
    llvm::errs() << "measurement " << mode << " of " << model
                 << " failed: " << err << "\n";
  llvm::sys::fs::remove(out);
  llvm::sys::fs::remove(out + ".data");
  return m;
}

std::vector<std::string> defaultFixtures() {
  std::vector<std::string> models;
  llvm::SmallString<256> dir(QLC_BENCH_FIXTURES_DIR);
  llvm::sys::path::append(dir, "mlperf_tiny");
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    if (llvm::sys::path::extension(it->path()) == ".onnx")
      models.push_back(it->path());
  std::sort(models.begin(), models.end());
  return models;
}

} // namespace

int main(int argc, char **argv) {
  // Child mode never spawns processes itself.
  if (argc > 1 && llvm::StringRef(argv[1]) == "--child") {
    if (argc != 6) {
      llvm::errs() << "usage: --child MODE MODEL OUTPUT REPS\n";
      return 2;
    }
    return runChild(argv[2], argv[3], argv[4], std::atoi(argv[5]));
  }
  int bigReps = 5, smallReps = 20;
  std::vector<std::string> models;
  for (int i = 1; i < argc; ++i) {
    if (llvm::StringRef(argv[i]) == "--reps" && i + 1 < argc)
      bigReps = smallReps = std::atoi(argv[++i]);
    else
      models.push_back(argv[i]);
  }
  std::string self =
      llvm::sys::fs::getMainExecutable(argv[0], (void *)&runChild);
  llvm::SmallString<128> tmp;
  if (llvm::sys::fs::createUniqueDirectory("qlc-bench-onnx-io", tmp)) {
    llvm::errs() << "cannot create a temporary directory\n";
    return 1;
  }
  std::string tmpDir(tmp);

  bool generated = models.empty();
  if (generated) {
    auto t0 = std::chrono::steady_clock::now();
    std::unique_ptr<Model> resnet = bench::buildResNet50(/*seed=*/42);
    std::string path = tmpDir + "/resnet50.onnx";
    ExportOptions options;
    options.runChecker = true;
    if (llvm::Error err = exportModelFile(*resnet, path, options)) {
      llvm::errs() << "generating ResNet-50: " << llvm::toString(std::move(err))
                   << "\n";
      return 1;
    }
    auto t1 = std::chrono::steady_clock::now();
    llvm::outs() << llvm::format(
        "generated resnet50.onnx: %.1f M parameters, %zu nodes (%.0f ms)\n",
        bench::countParameters(*resnet) / 1e6, resnet->getGraph().getNumNodes(),
        std::chrono::duration<double, std::milli>(t1 - t0).count());
    models.push_back(path);
    for (const std::string &f : defaultFixtures())
      models.push_back(f);
  }

  llvm::outs() << llvm::format(
      "%-32s %7s %8s %8s %5s %8s %5s %7s %7s %7s %6s %6s\n",
      (const char *)"model", (const char *)"MB", (const char *)"pb ms",
      (const char *)"qlc ms", (const char *)"x", (const char *)"+chk ms",
      (const char *)"x", (const char *)"pb MB", (const char *)"qlc MB",
      (const char *)"+chk MB", (const char *)"qlc/sz", (const char *)"chk/sz");
  for (const std::string &model : models) {
    uint64_t size = 0;
    llvm::sys::fs::file_size(model, size);
    double sizeMB = size / (1024.0 * 1024.0);
    int reps = size > (16u << 20) ? bigReps : smallReps;
    Measure pb = spawn(self, "protobuf", model, tmpDir, reps);
    Measure q = spawn(self, "qlc", model, tmpDir, reps);
    Measure qc = spawn(self, "checked", model, tmpDir, reps);
    llvm::outs() << llvm::format(
        "%-32s %7.2f %8.2f %8.2f %5.2f %8.2f %5.2f %7.1f %7.1f %7.1f %6.2f "
        "%6.2f\n",
        llvm::sys::path::filename(model).str().c_str(), sizeMB, pb.ms, q.ms,
        q.ms / pb.ms, qc.ms, qc.ms / pb.ms, pb.peakMB, q.peakMB, qc.peakMB,
        q.peakMB / sizeMB, qc.peakMB / sizeMB);
  }
  llvm::outs() << "times: fastest of " << bigReps << " (models > 16 MB) or "
               << smallReps << " runs in a child process (pb: protobuf parse "
               << "+ serialize; qlc: import + export; +chk: with the ONNX "
               << "checker); x: ratio to pb; MB: peak resident memory the "
               << "child added; qlc/sz, chk/sz: that peak / file size\n";
  llvm::sys::fs::remove_directories(tmpDir);
  return 0;
}
