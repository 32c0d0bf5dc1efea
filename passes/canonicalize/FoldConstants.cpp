//===- FoldConstants.cpp - Evaluate nodes whose inputs are constant -------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Replaces a node whose inputs are all initializers by initializers holding
// its results, computed by the interpreter's own kernel for the node, so a
// folded model computes bit for bit what the original computed. Shape and
// Size also fold when their input is not constant but has a fully static
// type: this is what turns PyTorch's `x.view(x.size(0), -1)` chain into a
// constant shape.
//
// One forward sweep in topological order folds whole chains: a folded
// node's results are constants by the time its users are visited. Each
// folded result keeps the name of the value it replaces, so graph outputs
// and by-name subgraph references survive. Inputs left unused are the dce
// pass's job.
//
// Folding is limited by size (`max-size` elements per result) and, for
// float arithmetic, by `max-float-size`: small float computations (scalars,
// per-channel vectors) fold, while arithmetic on weights stays visible to
// the quantisation passes that recognise it (e.g. exported fake-quantisers).
// A node the kernels cannot evaluate is left alone, never an error.
//
//===----------------------------------------------------------------------===//

#include "canonicalize/FoldingSupport.h"
#include "canonicalize/Passes.h"
#include "canonicalize/RewriteUtils.h"

#include "qlc/Interp/Kernel.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/StringSet.h"

using namespace qlc;
using namespace qlc::canonicalize;

namespace {
/// The default op list: shape arithmetic and data movement.
const char *const kDefaultOps[] = {"Shape",
                                   "Size",
                                   "Gather",
                                   "Slice",
                                   "Concat",
                                   "Unsqueeze",
                                   "Squeeze",
                                   "Reshape",
                                   "Transpose",
                                   "Cast",
                                   "Flatten",
                                   "Identity",
                                   "ConstantOfShape",
                                   "Range",
                                   "Expand",
                                   "Add",
                                   "Sub",
                                   "Mul",
                                   "Div",
                                   "Neg",
                                   "Equal",
                                   "Where",
                                   "Not"};

class FoldConstantsPass : public PassBase<FoldConstantsPass> {
public:
  static constexpr llvm::StringLiteral argument = "fold-constants";
  static constexpr llvm::StringLiteral summary =
      "Evaluate nodes whose inputs are all constants into initializers";
  static constexpr llvm::StringLiteral description =
      "Runs the interpreter's kernel for each node of the listed op types "
      "whose inputs are all initializers, and replaces its results by "
      "initializers of the same names. Shape and Size also fold when their "
      "input has a fully static type. Random ops never fold.";

  Option<int64_t> maxSize{*this, "max-size",
                          "largest folded result, in elements", 1 << 20};
  Option<int64_t> maxFloatSize{
      *this, "max-float-size",
      "largest folded result of float arithmetic (not data movement), in "
      "elements",
      1024};
  ListOption<std::string> ops{
      *this, "ops",
      "op types to fold (default: Shape, Size, Gather, Slice, Concat, "
      "Unsqueeze, Squeeze, Reshape, Transpose, Cast, Flatten, Identity, "
      "ConstantOfShape, Range, Expand, Add, Sub, Mul, Div, Neg, Equal, "
      "Where, Not)"};

  PassStatistic nodesFolded{*this, "nodes-folded", "nodes folded"};
  PassStatistic shapesFolded{*this, "shapes-from-types",
                             "Shape/Size folded from a static type"};
  PassStatistic tooLarge{*this, "declined-too-large",
                         "nodes left alone: result above the size limit"};
  PassStatistic kernelFailures{
      *this, "declined-no-kernel",
      "nodes left alone: no kernel, or the kernel failed"};

  llvm::Expected<bool> run(Model &model) override {
    if (maxSize < 0 || maxFloatSize < 0)
      return makeError("max-size and max-float-size must be >= 0");
    llvm::StringSet<> opSet;
    if (ops.empty())
      for (const char *op : kDefaultOps)
        opSet.insert(op);
    for (const std::string &op : ops.getValue())
      opSet.insert(op);

    Graph &graph = model.getGraph();
    bool changed = false;
    for (auto it = graph.getNodes().begin(); it != graph.getNodes().end();) {
      Node &node = *it++;
      if (!node.isOnnxDomain() || !opSet.count(node.getOpType()))
        continue;
      changed |= tryFold(model, node);
    }
    return changed;
  }

private:
  bool tryFold(Model &model, Node &node) {
    if (!llvm::any_of(node.getResults(), [](Value *r) { return r->isLive(); }))
      return false; // dead: dce's job
    if (isNondeterministicOp(node.getOpType()) ||
        !node.getImplicitInputs().empty() ||
        llvm::any_of(node.getAttrs(), [](const NamedAttribute &a) {
          return a.value.isOpaque();
        }))
      return false;

    std::vector<Tensor> results(node.getNumResults());
    if (llvm::Optional<Tensor> t = foldShapeFromType(node)) {
      results[0] = std::move(*t);
      if (results[0].getNumElements() > maxSize) {
        ++tooLarge;
        return false;
      }
      ++shapesFolded;
    } else if (!evaluate(model, node, results)) {
      return false;
    }
    replaceByConstants(model.getGraph(), node, results);
    ++nodesFolded;
    return true;
  }

  /// Runs the node's kernel on its constant inputs; false (no change) when
  /// an input is not constant, a limit is exceeded or the kernel fails.
  bool evaluate(Model &model, Node &node, std::vector<Tensor> &results) {
    std::vector<const Tensor *> inputs;
    for (Value *v : node.getInputs()) {
      if (v && !v->getConstant())
        return false;
      inputs.push_back(v ? v->getConstant() : nullptr);
    }
    int64_t limit = sizeLimit(node, inputs);
    if (estimateResultElements(node, inputs) > limit) {
      ++tooLarge;
      return false;
    }
    int64_t opset = model.getOpsetVersion(node.getDomain());
    auto kernel = KernelRegistry::getDefault().createKernel(node, opset);
    if (!kernel) {
      llvm::consumeError(kernel.takeError());
      ++kernelFailures;
      return false;
    }
    KernelContext ctx{node, opset, inputs, results};
    if (llvm::Error err = (*kernel)->compute(ctx)) {
      llvm::consumeError(std::move(err));
      ++kernelFailures;
      return false;
    }
    return checkResults(node, results, limit);
  }

  /// Float arithmetic has its own, smaller limit; data movement does not.
  int64_t sizeLimit(const Node &node, llvm::ArrayRef<const Tensor *> inputs) {
    if (isDataMovementOp(node.getOpType()))
      return maxSize;
    bool floatResult = llvm::any_of(inputs, [](const Tensor *t) {
      return t && isFloatType(t->getElementType());
    });
    return floatResult ? std::min<int64_t>(maxSize, maxFloatSize) : maxSize;
  }

  /// Every live result computed, within the limit, and of the declared
  /// element type (a mismatch means the kernel and the model disagree).
  bool checkResults(const Node &node, llvm::ArrayRef<Tensor> results,
                    int64_t limit) {
    for (unsigned i = 0; i < node.getNumResults(); ++i) {
      const Value *r = node.getResult(i);
      if (!r->isLive())
        continue;
      const Tensor &t = results[i];
      ElementType declared = r->getElementType();
      if (t.isNull() || (declared != ElementType::Undefined &&
                         declared != t.getElementType())) {
        ++kernelFailures;
        return false;
      }
      if (t.getNumElements() > limit) {
        ++tooLarge;
        return false;
      }
    }
    return true;
  }

  /// Each live result becomes an initializer that takes the result's name;
  /// then the node goes.
  static void replaceByConstants(Graph &graph, Node &node,
                                 std::vector<Tensor> &results) {
    for (unsigned i = 0; i < node.getNumResults(); ++i) {
      Value *r = node.getResult(i);
      if (!r->isLive())
        continue;
      Value *init =
          graph.addInitializer(makeDerivedName(graph, r->getName(), "folded"),
                               std::move(results[i]));
      replaceTakingName(graph, r, init);
    }
    graph.eraseNode(&node);
  }
};
} // namespace

std::unique_ptr<Pass> qlc::canonicalize::createFoldConstantsPass() {
  return std::make_unique<FoldConstantsPass>();
}
