//===- Pass.h - The unit of transformation ----------------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A pass transforms a Model in place and reports whether it changed it. It
// fails with an llvm::Error naming the node (qlc::makeNodeError) when the
// model is invalid for it; a pattern that merely does not apply is not an
// error. Passes are declared with PassBase:
//
//   class DcePass : public PassBase<DcePass> {
//   public:
//     static constexpr llvm::StringLiteral argument = "dce";
//     static constexpr llvm::StringLiteral summary = "Remove dead nodes";
//     Option<bool> keepInputs{*this, "keep-inputs", "...", true};
//     llvm::Expected<bool> run(Model &model) override;
//   };
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASS_PASS_H
#define QLC_PASS_PASS_H

#include "qlc/IR/Model.h"
#include "qlc/Pass/PassOptions.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>
#include <vector>

namespace qlc {

/// A named counter a pass increments (`--pass-statistics` prints them).
/// qlc keeps its own: llvm::Statistic counts nothing in release LLVM builds.
class PassStatistic {
public:
  PassStatistic(Pass &owner, llvm::StringRef name, llvm::StringRef description);
  PassStatistic &operator++() {
    ++value;
    return *this;
  }
  PassStatistic &operator+=(uint64_t n) {
    value += n;
    return *this;
  }
  uint64_t getValue() const { return value; }
  llvm::StringRef getName() const { return name; }
  llvm::StringRef getDescription() const { return description; }

private:
  std::string name;
  std::string description;
  uint64_t value = 0;
};

class Pass {
public:
  Pass() = default;
  Pass(const Pass &) = delete;
  Pass &operator=(const Pass &) = delete;
  virtual ~Pass();

  /// The pipeline name, kebab-case: "fold-bn".
  virtual llvm::StringRef getArgument() const = 0;
  /// One line for --list-passes and --help.
  virtual llvm::StringRef getSummary() const = 0;
  /// Optional longer text for --list-passes and docs/Passes.md.
  virtual llvm::StringRef getDescription() const { return ""; }

  /// Transforms `model`; returns whether anything changed.
  virtual llvm::Expected<bool> run(Model &model) = 0;

  /// What the last run found worth reporting (qlc-opt --report writes it
  /// to JSON); null for passes without a report.
  virtual llvm::json::Value getReport() const { return nullptr; }

  /// Parses "name=value name2=v1,v2" (whitespace-separated assignments;
  /// values may be quoted with '...' or "..." or grouped in {...}).
  llvm::Error parseOptions(llvm::StringRef text);
  llvm::ArrayRef<OptionBase *> getOptions() const { return options; }
  llvm::ArrayRef<PassStatistic *> getStatistics() const { return statistics; }
  /// "fold-bn{mode=into-weights}" with the options that were set.
  void printAsTextualPipeline(llvm::raw_ostream &os) const;

private:
  friend class OptionBase;
  friend class PassStatistic;
  std::vector<OptionBase *> options;
  std::vector<PassStatistic *> statistics;
};

/// Supplies getArgument/getSummary/getDescription from static members of
/// `Derived`: `argument`, `summary` and optionally `description`.
template <typename Derived> class PassBase : public Pass {
public:
  llvm::StringRef getArgument() const override { return Derived::argument; }
  llvm::StringRef getSummary() const override { return Derived::summary; }
  llvm::StringRef getDescription() const override {
    return getDescriptionImpl<Derived>(0);
  }

private:
  template <typename D>
  static auto getDescriptionImpl(int) -> decltype(D::description, llvm::StringRef()) {
    return D::description;
  }
  template <typename D> static llvm::StringRef getDescriptionImpl(long) {
    return "";
  }
};

} // namespace qlc

#endif // QLC_PASS_PASS_H
