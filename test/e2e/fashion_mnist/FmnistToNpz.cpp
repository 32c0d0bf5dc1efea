//===- FmnistToNpz.cpp - qlc-fmnist-npz: Fashion-MNIST IDX to .npz --------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// qlc-fmnist-npz IMAGES.gz LABELS.gz OUT.npz [--offset N] [--count N]
//
// Converts a slice of the Fashion-MNIST IDX files (as shipped by Debian's
// dataset-fashion-mnist in /usr/share/datasets/fashion-mnist) into the .npz
// data set the F2F end-to-end tests give qlc: `x` float32 [count,1,28,28] =
// pixel / 255 and `y` int64 labels, the same preprocessing as the training
// scripts in test/fixtures/fashion_mnist. Errors print "error: FILE: what"
// and exit 1 without writing OUT.npz.
//
//===----------------------------------------------------------------------===//

#include "FmnistIdx.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

using namespace qlc;

namespace {

constexpr const char *kToolName = "qlc-fmnist-npz";

struct Options {
  std::vector<std::string> files; // images, labels, output
  fmnist::SampleRange range;
};

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs()) << message << "\n";
  return 1;
}

void printUsage(llvm::raw_ostream &os) {
  os << "usage: " << kToolName
     << " IMAGES.gz LABELS.gz OUT.npz [--offset N] [--count N]\n"
        "  writes x: float32 [count,1,28,28] = pixel/255 and y: int64 labels "
        "of\n  samples offset .. offset+count-1 (default: all)\n";
}

/// Parses a non-negative integer option value into `out`.
bool parseCount(llvm::StringRef text, int64_t &out) {
  return !text.getAsInteger(10, out) && out >= 0;
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
    if (name == "--offset" || name == "--count") {
      if (!inlineValue) {
        if (i + 1 >= argc)
          return (name + " needs a value").str();
        value = argv[++i];
      }
      int64_t &slot = name == "--offset" ? opts.range.offset : opts.range.count;
      if (!parseCount(value, slot))
        return (name + " needs a non-negative integer, got '" + value + "'")
            .str();
      continue;
    }
    if (arg.startswith("-") && arg.size() > 1)
      return ("unknown option '" + arg + "'").str();
    opts.files.push_back(arg.str());
  }
  if (opts.files.size() != 3)
    return "expected IMAGES.gz LABELS.gz OUT.npz";
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
  if (opts.range.count == 0)
    return fail(llvm::Twine(opts.files[0]) + ": --count must be positive");
  if (llvm::Error err = fmnist::convertToNpz(opts.files[0], opts.files[1],
                                             opts.files[2], opts.range))
    return fail(llvm::toString(std::move(err)));
  return 0;
}
