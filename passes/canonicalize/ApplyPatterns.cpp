//===- ApplyPatterns.cpp - Apply named rewrite patterns -------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Applies patterns of the global PatternRegistry with the greedy driver:
// qlc's built-in patterns, those of plugins (--load-pass-plugin) and those
// of JSON files (--load-patterns). Without `patterns=`, it applies every
// pattern loaded from JSON files, so that
//   qlc-opt IN --load-patterns=p.json --apply-patterns -o OUT
// does what it says.
//
//===----------------------------------------------------------------------===//

#include "canonicalize/Passes.h"

#include "qlc/Rewrite/PatternRewrite.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/StringExtras.h"

using namespace qlc;

namespace {
class ApplyPatternsPass : public PassBase<ApplyPatternsPass> {
public:
  static constexpr llvm::StringLiteral argument = "apply-patterns";
  static constexpr llvm::StringLiteral summary =
      "Apply named rewrite patterns (built-in, plugins', JSON files') "
      "greedily";
  static constexpr llvm::StringLiteral description =
      "Without patterns=, applies every pattern loaded with --load-patterns. "
      "Patterns are tried by decreasing benefit in topological sweeps until "
      "none applies; nodes the rewrites leave dead are erased.";

  ListOption<std::string> names{*this, "patterns",
                                "names of the patterns to apply"};
  Option<unsigned> maxIterations{
      *this, "max-iterations",
      "rewrites allowed per node before giving up as non-converging", 16};

  PassStatistic applied{*this, "rewrites", "patterns applied"};

  llvm::Expected<bool> run(Model &model) override {
    const PatternRegistry &registry = getGlobalPatternRegistry();
    std::vector<std::string> selected(names.getValue().begin(),
                                      names.getValue().end());
    if (!names.hasValue())
      selected = registry.getNamesFromOrigin("file ");
    if (selected.empty())
      return makeError("no patterns selected (load some with "
                       "--load-patterns or name them with patterns=...)");
    PatternSet set;
    for (const std::string &name : selected) {
      std::shared_ptr<const RewritePattern> p = registry.get(name);
      if (!p)
        return makeError("unknown pattern '" + name +
                         "'; registered: " + listNames(registry));
      set.add(std::move(p));
    }
    GreedyRewriteConfig config;
    config.maxIterations = maxIterations;
    RewriteStats stats;
    llvm::Expected<bool> changed =
        applyPatternsGreedily(model, set, config, &stats);
    if (changed)
      for (const auto &entry : stats.applications)
        applied += entry.second;
    return changed;
  }

private:
  static std::string listNames(const PatternRegistry &registry) {
    std::vector<std::string> all;
    for (const auto &[pattern, origin] : registry.getPatterns())
      all.push_back(pattern->getName().str());
    return all.empty() ? std::string("none") : llvm::join(all, ", ");
  }
};
} // namespace

std::unique_ptr<Pass> qlc::canonicalize::createApplyPatternsPass() {
  return std::make_unique<ApplyPatternsPass>();
}
