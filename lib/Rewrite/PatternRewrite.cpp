//===- PatternRewrite.cpp - Rewrite patterns and the greedy driver --------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The greedy driver sweeps the nodes in topological order and tries the
// patterns admitting each node by decreasing benefit. After a rewrite it
// erases what died and starts the sweep again, so no pattern ever sees a
// node that a previous rewrite erased; graphs are small enough for that.
// A set that keeps rewriting its own output is stopped with an error
// instead of looping.
//
//===----------------------------------------------------------------------===//

#include "qlc/Rewrite/PatternRewrite.h"

#include "qlc/Support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <algorithm>

using namespace qlc;

Node *PatternRewriter::createNode(llvm::StringRef opType,
                                  llvm::ArrayRef<Value *> operands,
                                  llvm::StringRef resultHint,
                                  llvm::StringRef domain) {
  Node *node = getGraph().createNode(opType, operands, resultHint, domain,
                                     insertionPoint);
  node->setName(node->getResult(0)->getName());
  return node;
}

Value *PatternRewriter::createConstant(llvm::StringRef hint, Tensor value) {
  Graph &graph = getGraph();
  return graph.addInitializer(graph.makeUniqueName(hint), std::move(value));
}

void PatternRewriter::replaceValue(Value *from, Value *to) {
  Graph &graph = getGraph();
  if (from == to)
    return;
  bool takeName = to->isNodeResult() && !to->isGraphOutput();
  if (from->isGraphOutput() && !takeName) {
    // An input or initializer cannot become a named graph output; keep the
    // output slot by redirecting only the node uses.
    llvm::SmallVector<Use, 4> uses(from->getUses().begin(),
                                   from->getUses().end());
    for (const Use &u : uses)
      if (!u.implicit)
        u.user->setInput(u.index, to);
    return;
  }
  graph.replaceAllUsesWith(from, to);
  if (!takeName)
    return;
  std::string name = from->getName().str();
  TensorType type = from->getType();
  graph.renameValue(from, graph.makeUniqueName(name + "_dead"));
  graph.renameValue(to, name);
  if (to->getType().isUndefined())
    to->setType(type);
}

void PatternRewriter::replaceNode(Node *node,
                                  llvm::ArrayRef<Value *> newResults) {
  assert(newResults.size() == node->getNumResults());
  for (unsigned i = 0; i < newResults.size(); ++i)
    replaceValue(node->getResult(i), newResults[i]);
  if (llvm::none_of(node->getResults(),
                    [](const Value *r) { return r->isLive(); }))
    getGraph().eraseNode(node);
}

RewritePattern::~RewritePattern() = default;

bool RewritePattern::admitsRoot(const Node &node) const {
  if (rootOpType.empty())
    return true;
  if (node.getOpType() != rootOpType)
    return false;
  return rootDomain.empty() ? node.isOnnxDomain()
                            : node.getDomain() == rootDomain;
}

namespace {
/// The root op type of a DAG pattern with exactly one type; "" otherwise
/// (tried on every node).
std::string singleRootType(const OpPattern &source) {
  return source.types.size() == 1 ? source.types.front() : std::string();
}
} // namespace

DagRewritePattern::DagRewritePattern(llvm::StringRef name, OpPattern source,
                                     unsigned benefit)
    : RewritePattern(name, singleRootType(source), benefit, source.domain),
      source(std::move(source)) {}

llvm::Expected<bool>
DagRewritePattern::matchAndRewrite(Node &root,
                                   PatternRewriter &rewriter) const {
  MatchResult match;
  if (!matchDag(source, root, match))
    return false;
  rewriter.setInsertionPoint(&root);
  return rewrite(match, rewriter);
}

void PatternSet::add(std::shared_ptr<const RewritePattern> pattern) {
  patterns.push_back(std::move(pattern));
}

namespace {

/// Erases nodes none of whose results is live, and initializers that lost
/// their last reader, until nothing more dies.
void eraseDead(Graph &graph, llvm::SmallPtrSetImpl<Value *> &wereUsed) {
  bool erased = true;
  while (erased) {
    erased = false;
    for (auto it = graph.getNodes().rbegin(); it != graph.getNodes().rend();) {
      Node &n = *it++;
      if (llvm::any_of(n.getResults(),
                       [](const Value *r) { return r->isLive(); }))
        continue;
      for (Value *in : n.getInputs())
        if (in && in->isInitializer())
          wereUsed.insert(in);
      graph.eraseNode(&n);
      erased = true;
    }
  }
  for (Value *v : graph.getInitializers())
    if (wereUsed.count(v) && !v->isLive() && !v->isListedAsInput())
      graph.eraseValue(v);
}

/// Tries the admitting patterns on `node`; the name of the one that
/// rewrote, or "" when none applied.
llvm::Expected<std::string>
tryPatterns(Model &model, Node &node,
            llvm::ArrayRef<const RewritePattern *> ordered) {
  for (const RewritePattern *p : ordered) {
    if (!p->admitsRoot(node))
      continue;
    PatternRewriter rewriter(model, &node);
    llvm::Expected<bool> done = p->matchAndRewrite(node, rewriter);
    if (!done)
      return addErrorContext(done.takeError(),
                             "pattern '" + p->getName() + "'");
    if (*done)
      return p->getName().str();
  }
  return std::string();
}

} // namespace

llvm::Expected<bool> qlc::applyPatternsGreedily(Model &model,
                                                const PatternSet &patterns,
                                                GreedyRewriteConfig config,
                                                RewriteStats *stats) {
  std::vector<const RewritePattern *> ordered;
  for (const auto &p : patterns.getPatterns())
    ordered.push_back(p.get());
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const RewritePattern *a, const RewritePattern *b) {
                     return a->getBenefit() > b->getBenefit();
                   });
  Graph &graph = model.getGraph();
  // Each rewrite restarts the sweep; a converging set rewrites each node a
  // bounded number of times.
  size_t budget = config.maxIterations * (graph.getNumNodes() + 1);
  bool changed = false;
  for (size_t rewrites = 0;; ++rewrites) {
    if (stats)
      stats->iterations = static_cast<unsigned>(rewrites + 1);
    if (rewrites > budget)
      return makeError("rewrite patterns did not converge after " +
                       llvm::Twine(rewrites) + " rewrites");
    std::string applied;
    Node *at = nullptr;
    for (Node &node : graph.getNodes()) {
      llvm::Expected<std::string> name = tryPatterns(model, node, ordered);
      if (!name)
        return name.takeError();
      if (!name->empty()) {
        applied = std::move(*name);
        at = &node;
        break;
      }
    }
    if (!at)
      break;
    changed = true;
    if (stats)
      ++stats->applications[applied];
    llvm::SmallPtrSet<Value *, 16> wereUsed;
    eraseDead(graph, wereUsed);
    if (llvm::Error err = graph.sortTopologically())
      return err;
  }
  return changed;
}

llvm::Error PatternRegistry::add(std::shared_ptr<const RewritePattern> pattern,
                                 llvm::StringRef origin) {
  std::string name = pattern->getName().str();
  auto [it, inserted] = patterns.try_emplace(name);
  if (!inserted)
    return makeError("pattern '" + name + "' from " + origin +
                     " is already registered (from " + it->second.origin + ")");
  it->second = Entry{std::move(pattern), origin.str()};
  return llvm::Error::success();
}

const RewritePattern *PatternRegistry::lookup(llvm::StringRef name) const {
  auto it = patterns.find(name);
  return it == patterns.end() ? nullptr : it->second.pattern.get();
}

std::shared_ptr<const RewritePattern>
PatternRegistry::get(llvm::StringRef name) const {
  auto it = patterns.find(name);
  return it == patterns.end() ? nullptr : it->second.pattern;
}

std::vector<std::pair<std::shared_ptr<const RewritePattern>, std::string>>
PatternRegistry::getPatterns() const {
  std::vector<std::pair<std::shared_ptr<const RewritePattern>, std::string>>
      all;
  for (const auto &e : patterns)
    all.emplace_back(e.second.pattern, e.second.origin);
  llvm::sort(all, [](const auto &a, const auto &b) {
    return a.first->getName() < b.first->getName();
  });
  return all;
}

std::vector<std::string>
PatternRegistry::getNamesFromOrigin(llvm::StringRef prefix) const {
  std::vector<std::string> names;
  for (const auto &[pattern, origin] : getPatterns())
    if (llvm::StringRef(origin).startswith(prefix))
      names.push_back(pattern->getName().str());
  return names;
}

PatternRegistry &qlc::getGlobalPatternRegistry() {
  static PatternRegistry registry;
  return registry;
}
