//===- JsonPatterns.cpp - Applying JSON rewrite patterns ------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A JSON pattern rewrites like a C++ DagRewritePattern: it builds its
// replacement nodes before the matched root, in order, and replaces the
// results it names. A replacement node reading only constants is run with
// the interpreter's kernel at once and becomes an initializer named after
// its capture; intermediate constants nothing reads afterwards are erased.
//
//===----------------------------------------------------------------------===//

#include "qlc/Rewrite/JsonPatterns.h"

#include "JsonPatternSpec.h"

#include "qlc/IO/FileIO.h"
#include "qlc/Interp/Kernel.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/StringMap.h"

using namespace qlc;
using namespace qlc::json_patterns;

namespace {

class JsonPattern : public DagRewritePattern {
public:
  explicit JsonPattern(PatternSpec spec)
      : DagRewritePattern(spec.name, spec.source, spec.benefit),
        spec(std::move(spec)) {}

protected:
  llvm::Expected<bool> rewrite(const MatchResult &match,
                               PatternRewriter &rewriter) const override {
    llvm::StringMap<Value *> values;
    llvm::SmallVector<Value *, 4> folded;
    for (const ReplacementNode &spec : this->spec.nodes) {
      llvm::Expected<Value *> v = build(spec, match, values, rewriter);
      if (!v)
        return v.takeError();
      values[spec.capture] = *v;
      if ((*v)->isInitializer())
        folded.push_back(*v);
    }
    for (const auto &[from, to] : spec.results) {
      Value *replacement = values.lookup(to);
      if (!replacement)
        replacement = match.getValue(to);
      rewriter.replaceValue(match.getValue(from), replacement);
    }
    for (Value *c : folded)
      if (!c->isLive())
        rewriter.getGraph().eraseValue(c);
    return true;
  }

private:
  static Value *resolve(llvm::StringRef name, const MatchResult &match,
                        const llvm::StringMap<Value *> &values) {
    if (name.empty())
      return nullptr;
    if (Value *v = values.lookup(name))
      return v;
    return match.getValue(name); // null for an absent optional operand
  }

  llvm::Expected<Value *> build(const ReplacementNode &spec,
                                const MatchResult &match,
                                const llvm::StringMap<Value *> &values,
                                PatternRewriter &rewriter) const {
    llvm::SmallVector<Value *, 4> operands;
    for (const std::string &in : spec.inputs)
      operands.push_back(resolve(in, match, values));
    while (!operands.empty() && !operands.back())
      operands.pop_back();
    std::string opType = spec.opType, domain = spec.domain;
    if (!spec.sameAs.empty()) {
      const Node *like = match.getNode(spec.sameAs);
      opType = like->getOpType().str();
      if (!spec.domainSet)
        domain = like->getDomain().str();
    }
    Node *n = rewriter.createNode(opType, operands, spec.capture, domain);
    if (!spec.copyAttrs.empty())
      for (const NamedAttribute &a : match.getNode(spec.copyAttrs)->getAttrs())
        n->setAttr(a.name, a.value);
    for (const NamedAttribute &a : spec.attrs)
      n->setAttr(a.name, a.value);
    // A Constant, or an op on constants only, is computed now.
    bool allConstant = operands.empty() ? n->is("Constant")
                                        : llvm::all_of(operands, [](Value *v) {
                                            return v && v->getConstant();
                                          });
    if (!allConstant)
      return n->getResult(0);
    return fold(*n, rewriter);
  }

  /// Runs the node's kernel and replaces it by an initializer.
  static llvm::Expected<Value *> fold(Node &n, PatternRewriter &rewriter) {
    std::vector<const Tensor *> inputs;
    for (Value *v : n.getInputs())
      inputs.push_back(v ? v->getConstant() : nullptr);
    int64_t opset = rewriter.getModel().getOpsetVersion(n.getDomain());
    auto kernel = KernelRegistry::getDefault().createKernel(n, opset);
    if (!kernel)
      return makeNodeError(n, "cannot evaluate the constant replacement: " +
                                  llvm::toString(kernel.takeError()));
    std::vector<Tensor> results(n.getNumResults());
    KernelContext ctx{n, opset, inputs, results};
    if (llvm::Error err = (*kernel)->compute(ctx))
      return makeNodeError(n, "cannot evaluate the constant replacement: " +
                                  llvm::toString(std::move(err)));
    if (results.empty() || results.front().isNull())
      return makeNodeError(n, "the kernel computed no result");
    Tensor value = results.front();
    Graph &graph = rewriter.getGraph();
    std::string name = n.getResult(0)->getName().str();
    graph.renameValue(n.getResult(0), graph.makeUniqueName(name + "_folded"));
    graph.eraseNode(&n);
    return graph.addInitializer(name, std::move(value));
  }

  PatternSpec spec;
};

} // namespace

llvm::Expected<std::vector<std::shared_ptr<RewritePattern>>>
qlc::parsePatterns(llvm::StringRef json, llvm::StringRef fileName) {
  llvm::Expected<std::vector<PatternSpec>> specs = parseSpecs(json, fileName);
  if (!specs)
    return specs.takeError();
  std::vector<std::shared_ptr<RewritePattern>> patterns;
  for (PatternSpec &spec : *specs)
    patterns.push_back(std::make_shared<JsonPattern>(std::move(spec)));
  return patterns;
}

llvm::Error qlc::loadPatternFile(llvm::StringRef path,
                                 PatternRegistry &registry) {
  auto bytes = readWholeFile(path);
  if (!bytes)
    return addErrorContext(bytes.takeError(), path);
  llvm::Expected<std::vector<std::shared_ptr<RewritePattern>>> patterns =
      parsePatterns((*bytes)->getBuffer(), path);
  if (!patterns)
    return patterns.takeError();
  for (std::shared_ptr<RewritePattern> &p : *patterns)
    if (llvm::Error err = registry.add(std::move(p), ("file " + path).str()))
      return addErrorContext(std::move(err), path);
  return llvm::Error::success();
}
