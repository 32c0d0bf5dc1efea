//===- RoundTrip.cpp - ONNX import/export round trip over model corpora ---===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// qlc-onnx-roundtrip [--expected-failures FILE] PATH...
//
// For every model (PATH is a .onnx file, a directory holding */model.onnx,
// or a directory of .onnx files): import, verify the IR, export with the
// ONNX checker on, re-import and compare with the first import; check that
// the exported proto is the original after normalisation (an independent
// proto-level comparison); and print the IR as ONNX text: when the printer
// reports no limitation, the text must parse back to the identical IR.
//
// Prints every failing model with its reason, then exactly
// "roundtrip: N passed, N failed". The exit status is 0 when the failing
// models are exactly those listed in the expected-failures file (one model
// name per line, '#' comments), so the list stays accurate both ways.
// Exit status 77 (a ctest skip) when no model is found.
//
//===----------------------------------------------------------------------===//

#include "ModelCompare.h"
#include "ProtoEquivalence.h"

#include "qlc/IR/Verifier.h"
#include "qlc/ONNX/Export.h"
#include "qlc/ONNX/Import.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <fstream>
#include <map>

using namespace qlc;

namespace {
struct Stats {
  unsigned passed = 0, failed = 0;
  unsigned textLossless = 0, textLossy = 0;
  /// Models per kind of text limitation.
  std::map<std::string, unsigned> limitations;
};
} // namespace

/// A short name: the test directory for .../test_x/model.onnx, else the
/// file name.
static std::string modelName(llvm::StringRef path) {
  llvm::StringRef file = llvm::sys::path::filename(path);
  if (file == "model.onnx")
    return llvm::sys::path::filename(llvm::sys::path::parent_path(path)).str();
  return file.str();
}

static void collectModels(llvm::StringRef root, std::vector<std::string> &out) {
  if (!llvm::sys::fs::is_directory(root)) {
    if (llvm::sys::fs::exists(root))
      out.push_back(root.str());
    return;
  }
  std::vector<std::string> found;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(root, ec), end; it != end && !ec;
       it.increment(ec)) {
    llvm::SmallString<256> nested(it->path());
    llvm::sys::path::append(nested, "model.onnx");
    if (llvm::sys::fs::exists(nested))
      found.push_back(std::string(nested));
    else if (llvm::sys::path::extension(it->path()) == ".onnx")
      found.push_back(it->path());
  }
  std::sort(found.begin(), found.end());
  out.insert(out.end(), found.begin(), found.end());
}

/// "kind (3x, e.g. 'x')" -> "kind".
static std::string limitationKind(llvm::StringRef line) {
  for (size_t pos = line.find(" ("); pos != llvm::StringRef::npos;
       pos = line.find(" (", pos + 1)) {
    llvm::StringRef rest = line.drop_front(pos + 2);
    size_t digits = rest.find_first_not_of("0123456789");
    if (digits > 0 && digits != llvm::StringRef::npos && rest[digits] == 'x')
      return line.take_front(pos).str();
  }
  return line.str();
}

/// Empty on success, else why the model fails.
static std::string checkModelFile(const std::string &path, Stats &stats) {
  std::ifstream in(path, std::ios::binary);
  onnx::ModelProto original;
  if (!original.ParseFromIstream(&in))
    return "protobuf cannot parse the original";

  llvm::Expected<std::unique_ptr<Model>> first = importModelFile(path);
  if (!first)
    return "import: " + llvm::toString(first.takeError());
  if (llvm::Error err = verify(**first))
    return "verifier: " + llvm::toString(std::move(err));
  llvm::Expected<std::string> bytes =
      exportModelBinary(**first, /*runChecker=*/true);
  if (!bytes)
    return "export: " + llvm::toString(bytes.takeError());
  llvm::Expected<std::unique_ptr<Model>> second = importModelBinary(*bytes);
  if (!second)
    return "re-import: " + llvm::toString(second.takeError());
  std::string diff = test::compareModels(**first, **second);
  if (!diff.empty())
    return "re-import differs: " + diff;
  onnx::ModelProto exported;
  if (!exported.ParseFromString(*bytes))
    return "protobuf cannot parse the export";
  diff = test::checkEquivalent(original, exported);
  if (!diff.empty())
    return "export differs from the original: " + diff;

  std::string text;
  llvm::raw_string_ostream os(text);
  printModelText(**first, os);
  os.flush();
  std::vector<std::string> limitations = getTextFormatLimitations(**first);
  if (!limitations.empty()) {
    ++stats.textLossy;
    for (const std::string &l : limitations)
      ++stats.limitations[limitationKind(l)];
    return "";
  }
  llvm::Expected<std::unique_ptr<Model>> fromText = importModelText(text);
  if (!fromText)
    return "text claimed lossless but does not parse: " +
           llvm::toString(fromText.takeError());
  diff = test::compareModels(**first, **fromText);
  if (!diff.empty())
    return "text claimed lossless but differs: " + diff;
  ++stats.textLossless;
  return "";
}

static llvm::StringSet<> readExpected(llvm::StringRef path) {
  llvm::StringSet<> names;
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buf =
      llvm::MemoryBuffer::getFile(path);
  if (!buf) {
    llvm::errs() << "cannot read " << path << "\n";
    return names;
  }
  llvm::SmallVector<llvm::StringRef, 64> lines;
  (*buf)->getBuffer().split(lines, '\n');
  for (llvm::StringRef line : lines) {
    llvm::StringRef name = line.split('#').first.trim();
    if (!name.empty())
      names.insert(name);
  }
  return names;
}

int main(int argc, char **argv) {
  std::string expectedPath;
  std::vector<std::string> models;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    if (arg == "--expected-failures" && i + 1 < argc)
      expectedPath = argv[++i];
    else
      collectModels(arg, models);
  }
  if (models.empty()) {
    llvm::outs() << "roundtrip: no models found (is libonnx-testdata "
                    "installed?); skipping\n";
    return 77;
  }
  llvm::StringSet<> expected;
  if (!expectedPath.empty())
    expected = readExpected(expectedPath);

  Stats stats;
  bool asExpected = true;
  llvm::StringSet<> seen;
  for (const std::string &path : models) {
    std::string name = modelName(path);
    seen.insert(name);
    std::string reason = checkModelFile(path, stats);
    bool isExpected = expected.count(name);
    if (reason.empty()) {
      ++stats.passed;
      if (isExpected) {
        llvm::outs() << "UNEXPECTED PASS " << name
                     << ": remove it from the expected failures\n";
        asExpected = false;
      }
      continue;
    }
    ++stats.failed;
    llvm::outs() << "FAIL " << name << " (" << path << "): " << reason
                 << (isExpected ? " [expected]" : " [UNEXPECTED]") << "\n";
    asExpected &= isExpected;
  }
  for (const auto &e : expected)
    if (!seen.count(e.getKey()))
      llvm::outs() << "note: expected failure " << e.getKey()
                   << " was not among the models\n";
  for (const auto &[kind, count] : stats.limitations)
    llvm::outs() << "text limitation: " << kind << ": " << count << " models\n";
  llvm::outs() << "text: " << stats.textLossless << " printed losslessly, "
               << stats.textLossy << " with reported limitations\n";
  llvm::outs() << "roundtrip: " << stats.passed << " passed, " << stats.failed
               << " failed\n";
  return asExpected ? 0 : 1;
}
