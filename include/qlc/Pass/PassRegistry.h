//===- PassRegistry.h - Named pass factories --------------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Passes are registered explicitly (registerAllPasses in passes/), never by
// static constructors, which LLVM bans and which vanish from static
// libraries. Registration must precede command-line parsing, because every
// registered pass becomes a flag.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASS_PASSREGISTRY_H
#define QLC_PASS_PASSREGISTRY_H

#include "qlc/Pass/Pass.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <vector>

namespace qlc {

using PassAllocator = std::function<std::unique_ptr<Pass>()>;

struct PassInfo {
  std::string argument;
  std::string summary;
  std::string description;
  PassAllocator allocator;
  /// A fresh instance, for reading its options' names and defaults.
  std::unique_ptr<Pass> createPass() const { return allocator(); }
};

class PassRegistry {
public:
  /// Instantiates the pass once to read its argument and summary; fails on
  /// a duplicate argument.
  llvm::Error add(PassAllocator allocator);
  const PassInfo *lookup(llvm::StringRef argument) const;
  /// Every pass, sorted by argument.
  std::vector<const PassInfo *> getPasses() const;
  /// --list-passes: names, summaries, options with types and defaults.
  /// `markdown` prints the table used for docs/PassReference.md.
  void print(llvm::raw_ostream &os, bool markdown = false) const;

private:
  llvm::StringMap<PassInfo> passes;
};

} // namespace qlc

#endif // QLC_PASS_PASSREGISTRY_H
