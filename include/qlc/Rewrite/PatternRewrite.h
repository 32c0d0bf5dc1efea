//===- PatternRewrite.h - Rewrite patterns and the greedy driver -*- C++
//-*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A RewritePattern names a root op type and a benefit, and implements
// matchAndRewrite: return false without touching the graph when the node
// does not match, or rewrite it through the PatternRewriter and return true.
// DagRewritePattern does the matching from a DagPattern and hands the
// captures to rewrite(). applyPatternsGreedily runs a set of patterns over a
// model until none applies, erasing what the rewrites left dead.
//
// A pass that applies patterns is a few lines:
//
//   llvm::Expected<bool> run(Model &model) override {
//     PatternSet set;
//     set.add(std::make_unique<MyPattern>());
//     return applyPatternsGreedily(model, set);
//   }
//
// Patterns are also registered by name in a PatternRegistry (built-in ones,
// plugins', and JSON files' through --load-patterns) so that the
// `apply-patterns` pass can apply any of them.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_REWRITE_PATTERNREWRITE_H
#define QLC_REWRITE_PATTERNREWRITE_H

#include "qlc/IR/Model.h"
#include "qlc/Rewrite/DagPattern.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace qlc {

/// IR surgery for rewrites: creation before the matched root, replacement
/// that keeps graph-output names, and bookkeeping for the driver.
class PatternRewriter {
public:
  PatternRewriter(Model &model, Node *insertionPoint)
      : model(model), insertionPoint(insertionPoint) {}

  Model &getModel() { return model; }
  Graph &getGraph() { return model.getGraph(); }

  /// Nodes are created before this node (the matched root by default).
  void setInsertionPoint(Node *node) { insertionPoint = node; }
  Node *getInsertionPoint() const { return insertionPoint; }

  Node *createNode(llvm::StringRef opType, llvm::ArrayRef<Value *> operands,
                   llvm::StringRef resultHint, llvm::StringRef domain = "");
  /// A new initializer named after `hint`.
  Value *createConstant(llvm::StringRef hint, Tensor value);

  /// Redirects every use of `from` to `to`. Where `from` is a graph output,
  /// `to` takes over its name so that the model's interface is unchanged.
  void replaceValue(Value *from, Value *to);
  /// replaceValue for each result of `node`, then erases it.
  void replaceNode(Node *node, llvm::ArrayRef<Value *> newResults);

private:
  Model &model;
  Node *insertionPoint;
};

class RewritePattern {
public:
  RewritePattern(llvm::StringRef name, llvm::StringRef rootOpType,
                 unsigned benefit = 1, llvm::StringRef rootDomain = "")
      : name(name.str()), rootOpType(rootOpType.str()),
        rootDomain(rootDomain.str()), benefit(benefit) {}
  virtual ~RewritePattern();

  llvm::StringRef getName() const { return name; }
  /// Empty: the pattern is tried on every node.
  llvm::StringRef getRootOpType() const { return rootOpType; }
  llvm::StringRef getRootDomain() const { return rootDomain; }
  unsigned getBenefit() const { return benefit; }
  /// Whether the root op type and domain admit `node`.
  bool admitsRoot(const Node &node) const;

  /// Returns false, changing nothing, when `root` does not match; true after
  /// a rewrite; an Error (naming the node) when the match is invalid input.
  virtual llvm::Expected<bool>
  matchAndRewrite(Node &root, PatternRewriter &rewriter) const = 0;

private:
  std::string name;
  std::string rootOpType;
  std::string rootDomain;
  unsigned benefit;
};

/// A pattern whose matching is a DagPattern; rewrite() sees the captures.
class DagRewritePattern : public RewritePattern {
public:
  DagRewritePattern(llvm::StringRef name, OpPattern source,
                    unsigned benefit = 1);

  const OpPattern &getSource() const { return source; }
  llvm::Expected<bool> matchAndRewrite(Node &root,
                                       PatternRewriter &rewriter) const final;

protected:
  /// Called on a match; may still decline (return false) before changing
  /// anything, e.g. after checking constants the DAG cannot express.
  virtual llvm::Expected<bool> rewrite(const MatchResult &match,
                                       PatternRewriter &rewriter) const = 0;

private:
  OpPattern source;
};

/// An ordered collection of patterns, tried by decreasing benefit.
class PatternSet {
public:
  /// Takes a new pattern (a unique_ptr converts) or shares one owned
  /// elsewhere, e.g. by the registry.
  void add(std::shared_ptr<const RewritePattern> pattern);
  llvm::ArrayRef<std::shared_ptr<const RewritePattern>> getPatterns() const {
    return patterns;
  }
  bool empty() const { return patterns.empty(); }

private:
  std::vector<std::shared_ptr<const RewritePattern>> patterns;
};

struct GreedyRewriteConfig {
  /// Rewrites allowed per node of the graph (maxIterations * (nodes + 1) in
  /// all) before giving up with an error: a set of patterns that keeps
  /// rewriting its own output does not converge.
  unsigned maxIterations = 16;
};

/// Statistics of one greedy application.
struct RewriteStats {
  unsigned iterations = 0;
  llvm::StringMap<unsigned> applications; // pattern name -> count
};

/// Applies `patterns` in topological sweeps until a sweep changes nothing;
/// after each rewrite erases dead nodes (and the initializers only they
/// read) and restores topological order.
/// Returns whether anything changed.
llvm::Expected<bool> applyPatternsGreedily(Model &model,
                                           const PatternSet &patterns,
                                           GreedyRewriteConfig config = {},
                                           RewriteStats *stats = nullptr);

/// Named patterns: built-in, from plugins, and from JSON files.
class PatternRegistry {
public:
  /// Fails on a duplicate name.
  llvm::Error add(std::shared_ptr<const RewritePattern> pattern,
                  llvm::StringRef origin);
  const RewritePattern *lookup(llvm::StringRef name) const;
  std::shared_ptr<const RewritePattern> get(llvm::StringRef name) const;
  /// Every pattern, sorted by name, with its origin ("built-in",
  /// "plugin libfoo.so", "file head.json").
  std::vector<std::pair<std::shared_ptr<const RewritePattern>, std::string>>
  getPatterns() const;
  /// Names of the patterns registered with an origin starting with `prefix`.
  std::vector<std::string> getNamesFromOrigin(llvm::StringRef prefix) const;

private:
  struct Entry {
    std::shared_ptr<const RewritePattern> pattern;
    std::string origin;
  };
  llvm::StringMap<Entry> patterns;
};

/// The process-wide registry that `apply-patterns` reads; qlc-opt fills it
/// before parsing the pipeline.
PatternRegistry &getGlobalPatternRegistry();

} // namespace qlc

#endif // QLC_REWRITE_PATTERNREWRITE_H
