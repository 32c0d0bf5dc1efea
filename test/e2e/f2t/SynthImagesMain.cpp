//===- SynthImagesMain.cpp - qlc-synth-images: seeded image data sets -----===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// qlc-synth-images OUT.npz --count N --shape C,H,W [--scale S] [--seed K]
//
// Writes a deterministic synthetic image data set (see SynthImages.h) for
// models without labelled data in the repository; the F2T end-to-end test
// (run-f2t-e2e.sh) feeds it to qlc-opt --calib-data and qlc-run --compare.
// --scale takes a number or a fraction such as 1/255. Errors print
// "error: what" and exit 1 without writing OUT.npz.
//
//===----------------------------------------------------------------------===//

#include "SynthImages.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

using namespace qlc;

namespace {

constexpr const char *kToolName = "qlc-synth-images";

struct Options {
  std::string output;
  synth::SynthOptions synth;
  bool haveCount = false, haveShape = false;
};

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs()) << message << "\n";
  return 1;
}

void printUsage(llvm::raw_ostream &os) {
  os << "usage: " << kToolName
     << " OUT.npz --count N --shape C,H,W [--scale S] [--seed K]\n"
        "  writes x: float32 [N,C,H,W] = synthetic pixels 0..255 times S "
        "(default 1;\n  a fraction such as 1/255 is accepted) and y: int64 "
        "[N] placeholder labels (0)\n";
}

bool parseShape(llvm::StringRef text, synth::SynthOptions &o) {
  llvm::SmallVector<llvm::StringRef, 3> parts;
  text.split(parts, ',');
  return parts.size() == 3 && !parts[0].getAsInteger(10, o.channels) &&
         !parts[1].getAsInteger(10, o.height) &&
         !parts[2].getAsInteger(10, o.width);
}

/// A decimal number or a fraction NUM/DEN.
bool parseScale(llvm::StringRef text, double &out) {
  auto [num, den] = text.split('/');
  double n = 0, d = 1;
  if (num.getAsDouble(n) || (!den.empty() && den.getAsDouble(d)) ||
      (text.contains('/') && den.empty()) || d == 0)
    return false;
  out = n / d;
  return true;
}

/// Applies option `name` with `value`; returns an error message or "".
std::string applyOption(llvm::StringRef name, llvm::StringRef value,
                        Options &opts) {
  synth::SynthOptions &s = opts.synth;
  if (name == "--count") {
    opts.haveCount = true;
    if (value.getAsInteger(10, s.count) || s.count <= 0)
      return ("--count needs a positive integer, got '" + value + "'").str();
  } else if (name == "--shape") {
    opts.haveShape = true;
    if (!parseShape(value, s))
      return ("--shape needs C,H,W, got '" + value + "'").str();
  } else if (name == "--scale") {
    if (!parseScale(value, s.scale))
      return ("--scale needs a number or a fraction, got '" + value + "'")
          .str();
  } else if (value.getAsInteger(10, s.seed)) {
    return ("--seed needs a non-negative integer, got '" + value + "'").str();
  }
  return "";
}

/// Fills `opts`; returns an error message, or "" on success.
std::string parseArgs(int argc, char **argv, Options &opts) {
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    llvm::StringRef name = arg, value;
    bool inlineValue = false;
    if (arg.startswith("--") && arg.contains('=')) {
      std::tie(name, value) = arg.split('=');
      inlineValue = true;
    }
    if (name == "--count" || name == "--shape" || name == "--scale" ||
        name == "--seed") {
      if (!inlineValue) {
        if (i + 1 >= argc)
          return (name + " needs a value").str();
        value = argv[++i];
      }
      std::string error = applyOption(name, value, opts);
      if (!error.empty())
        return error;
      continue;
    }
    if (arg.startswith("-") && arg.size() > 1)
      return ("unknown option '" + arg + "'").str();
    if (!opts.output.empty())
      return "expected one output file";
    opts.output = arg.str();
  }
  if (opts.output.empty() || !opts.haveCount || !opts.haveShape)
    return "expected OUT.npz, --count and --shape";
  return "";
}

} // namespace

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      printUsage(llvm::outs());
      return 0;
    }
  }
  Options opts;
  std::string usageError = parseArgs(argc, argv, opts);
  if (!usageError.empty()) {
    int rc = fail(llvm::Twine(kToolName) + ": " + usageError);
    printUsage(llvm::errs());
    return rc;
  }
  auto arrays = synth::makeSynthImages(opts.synth);
  if (!arrays)
    return fail(llvm::Twine(kToolName) + ": " +
                llvm::toString(arrays.takeError()));
  if (llvm::Error err = writeNpzFile(opts.output, *arrays))
    return fail(opts.output + ": " + llvm::toString(std::move(err)));
  return 0;
}
