//===- Verifier.cpp - Structural IR checks --------------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The verifier never dereferences a pointer it has not first found among the
// graph's live values and nodes, so it reports stale pointers left by a buggy
// pass instead of crashing on them.
//
//===----------------------------------------------------------------------===//

#include "qlc/IR/Verifier.h"
#include "qlc/IR/Model.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringSet.h"

using namespace qlc;

namespace {
class GraphVerifier {
public:
  explicit GraphVerifier(const Graph &graph) : graph(graph) {}
  llvm::Error run();

private:
  llvm::Error checkValues();
  llvm::Error checkNode(const Node &node);
  llvm::Error checkOperand(const Node &node, const Value *v, unsigned index,
                           bool implicit);
  llvm::Error checkOutputs();

  const Graph &graph;
  llvm::DenseSet<const Value *> liveValues;
  llvm::DenseSet<const Node *> liveNodes;
  llvm::DenseSet<const Value *> defined;
};
} // namespace

static llvm::Error valueError(const Value &v, const llvm::Twine &message) {
  return makeError("value '" + v.getName() + "': " + message);
}

llvm::Error GraphVerifier::run() {
  for (const Node &n : graph.getNodes())
    liveNodes.insert(&n);
  if (llvm::Error err = checkValues())
    return err;
  for (const Node &n : graph.getNodes()) {
    if (llvm::Error err = checkNode(n))
      return err;
  }
  return checkOutputs();
}

llvm::Error GraphVerifier::checkValues() {
  llvm::StringSet<> names;
  for (const Value &v : graph.getValues()) {
    liveValues.insert(&v);
    if (!v.getName().empty() && !names.insert(v.getName()).second)
      return valueError(v, "duplicate value name");
    if (!v.getName().empty() && graph.lookupValue(v.getName()) != &v)
      return valueError(v, "name table is out of date");
    for (const Use &u : v.getUses()) {
      if (!liveNodes.count(u.user))
        return valueError(v, "used by a node that is not in the graph");
      llvm::ArrayRef<Value *> operands =
          u.implicit ? u.user->getImplicitInputs() : u.user->getInputs();
      if (u.index >= operands.size() || operands[u.index] != &v)
        return valueError(v, "use list is out of date");
    }
    if (v.isGraphInput() || v.isInitializer())
      defined.insert(&v);
    if (v.isInitializer()) {
      const Tensor &c = *v.getConstant();
      TensorType dataType(c.getElementType(), c.getShape());
      if (c.isNull())
        return valueError(v, "initializer has no data");
      if (v.getType() != dataType)
        return valueError(v, "declared type " + v.getType().str() +
                                 " does not match its data " + dataType.str());
    }
    if (v.isGraphInput() &&
        v.getType().getElementType() == ElementType::Undefined)
      return valueError(v, "graph input has no element type");
  }
  return llvm::Error::success();
}

llvm::Error GraphVerifier::checkOperand(const Node &node, const Value *v,
                                        unsigned index, bool implicit) {
  const char *what = implicit ? "implicit input " : "input ";
  if (!liveValues.count(v))
    return makeNodeError(node, llvm::Twine(what) + llvm::Twine(index) +
                                   " refers to a value that is not in the "
                                   "graph (dangling use)");
  if (!defined.count(v))
    return makeNodeError(node, llvm::Twine(what) + llvm::Twine(index) + " ('" +
                                   v->getName() +
                                   "') is used before it is defined "
                                   "(nodes out of order or a cycle)");
  for (const Use &u : v->getUses())
    if (u.user == &node && u.index == index && u.implicit == implicit)
      return llvm::Error::success();
  return makeNodeError(node, llvm::Twine(what) + llvm::Twine(index) +
                                 " is missing from the use list of '" +
                                 v->getName() + "'");
}

llvm::Error GraphVerifier::checkNode(const Node &node) {
  if (node.getOpType().empty())
    return makeNodeError(node, "node has no op type");
  for (unsigned i = 0; i < node.getNumInputs(); ++i) {
    const Value *v = node.getInput(i);
    if (!v)
      continue;
    if (llvm::Error err = checkOperand(node, v, i, /*implicit=*/false))
      return err;
  }
  llvm::ArrayRef<Value *> implicitInputs = node.getImplicitInputs();
  for (unsigned i = 0; i < implicitInputs.size(); ++i) {
    if (llvm::Error err =
            checkOperand(node, implicitInputs[i], i, /*implicit=*/true))
      return err;
  }
  for (unsigned i = 0; i < node.getNumResults(); ++i) {
    const Value *r = node.getResult(i);
    if (!liveValues.count(r))
      return makeNodeError(node, "result " + llvm::Twine(i) +
                                     " is not in the graph");
    if (r->getDefiningNode() != &node || r->getResultNumber() != i)
      return makeNodeError(node, "result " + llvm::Twine(i) + " ('" +
                                     r->getName() +
                                     "') has a stale defining node");
    if (r->getName().empty() && r->isLive())
      return makeNodeError(node, "omitted result " + llvm::Twine(i) +
                                     " is used");
    defined.insert(r);
  }
  return llvm::Error::success();
}

llvm::Error GraphVerifier::checkOutputs() {
  for (const Value *out : graph.getOutputs()) {
    if (!liveValues.count(out))
      return makeError("graph output refers to a value that is not in the "
                       "graph");
    if (out->getName().empty())
      return makeError("graph output has no name");
  }
  return llvm::Error::success();
}

llvm::Error qlc::verify(const Model &model) {
  return GraphVerifier(model.getGraph()).run();
}
