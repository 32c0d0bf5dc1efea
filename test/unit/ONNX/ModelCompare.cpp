//===- ModelCompare.cpp - Structural comparison of IR models --------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "ModelCompare.h"

#include "llvm/ADT/STLExtras.h"

using namespace qlc;

namespace {
class Comparer {
public:
  explicit Comparer(const test::CompareOptions &options) : options(options) {}

  std::string run(const Model &a, const Model &b);

private:
  bool differs(bool different, const std::string &what) {
    if (different && diff.empty())
      diff = what;
    return different;
  }
  void compareValue(const Value &a, const Value &b, const std::string &what);
  void compareNode(const Node &a, const Node &b);
  void compareGraph(const Graph &a, const Graph &b);

  const test::CompareOptions &options;
  std::string diff;
};
} // namespace

static std::string names(llvm::ArrayRef<Value *> values) {
  std::string s;
  for (Value *v : values)
    s += (s.empty() ? "" : ",") + (v ? v->getName().str() : "<none>");
  return s;
}

void Comparer::compareValue(const Value &a, const Value &b,
                            const std::string &what) {
  std::string label = what + " '" + a.getName().str() + "'";
  differs(a.getName() != b.getName(),
          label + ": name differs from '" + b.getName().str() + "'");
  differs(a.getKind() != b.getKind(), label + ": kind differs");
  differs(a.getType() != b.getType(),
          label + ": type " + a.getType().str() + " vs " + b.getType().str());
  differs(a.isListedAsInput() != b.isListedAsInput(),
          label + ": listed-as-input differs");
  if (options.docStrings)
    differs(a.docString != b.docString, label + ": doc string differs");
  if (a.isInitializer() && b.isInitializer())
    differs(!a.getConstant()->isIdenticalTo(*b.getConstant()),
            label + ": data differs");
}

void Comparer::compareNode(const Node &a, const Node &b) {
  std::string label =
      "node '" + a.getName().str() + "' (" + a.getOpType().str() + ")";
  differs(a.getOpType() != b.getOpType(),
          label + ": op differs from " + b.getOpType().str());
  differs(a.getDomain() != b.getDomain(), label + ": domain differs");
  if (options.nodeNames)
    differs(a.getName() != b.getName(), label + ": name differs");
  if (options.docStrings)
    differs(a.docString != b.docString, label + ": doc string differs");
  differs(names(a.getInputs()) != names(b.getInputs()),
          label + ": inputs " + names(a.getInputs()) + " vs " +
              names(b.getInputs()));
  differs(names(a.getImplicitInputs()) != names(b.getImplicitInputs()),
          label + ": implicit inputs " + names(a.getImplicitInputs()) + " vs " +
              names(b.getImplicitInputs()));
  if (differs(a.getNumResults() != b.getNumResults(),
              label + ": result count differs"))
    return;
  for (unsigned i = 0; i < a.getNumResults(); ++i)
    compareValue(*a.getResult(i), *b.getResult(i), label + " result");
  if (differs(a.getAttrs().size() != b.getAttrs().size(),
              label + ": attribute count differs"))
    return;
  for (size_t i = 0; i < a.getAttrs().size(); ++i) {
    const NamedAttribute &x = a.getAttrs()[i], &y = b.getAttrs()[i];
    std::string attrLabel = label + " attribute '" + x.name + "'";
    differs(x.name != y.name, attrLabel + ": name differs from " + y.name);
    differs(x.value != y.value, attrLabel + ": value differs");
    if (options.docStrings)
      differs(x.value.docString != y.value.docString,
              attrLabel + ": doc string differs");
  }
}

void Comparer::compareGraph(const Graph &a, const Graph &b) {
  differs(a.name != b.name, "graph name '" + a.name + "' vs '" + b.name + "'");
  if (options.docStrings)
    differs(a.docString != b.docString, "graph doc string differs");
  if (!differs(a.getInputs().size() != b.getInputs().size(),
               "graph inputs " + names(a.getInputs()) + " vs " +
                   names(b.getInputs())))
    for (size_t i = 0; i < a.getInputs().size(); ++i)
      compareValue(*a.getInputs()[i], *b.getInputs()[i], "graph input");
  auto initsA = a.getInitializers(), initsB = b.getInitializers();
  if (!differs(initsA.size() != initsB.size(),
               "initializers " + names(initsA) + " vs " + names(initsB)))
    for (size_t i = 0; i < initsA.size(); ++i)
      compareValue(*initsA[i], *initsB[i], "initializer");
  if (!differs(a.getNumNodes() != b.getNumNodes(),
               "node count " + std::to_string(a.getNumNodes()) + " vs " +
                   std::to_string(b.getNumNodes())))
    for (auto [x, y] : llvm::zip(a.getNodes(), b.getNodes()))
      compareNode(x, y);
  differs(names(a.getOutputs()) != names(b.getOutputs()),
          "graph outputs " + names(a.getOutputs()) + " vs " +
              names(b.getOutputs()));
}

std::string Comparer::run(const Model &a, const Model &b) {
  differs(a.irVersion != b.irVersion, "ir_version differs");
  std::string opsA, opsB;
  for (const OpsetImport &o : a.opsets)
    opsA += o.domain + ":" + std::to_string(o.version) + " ";
  for (const OpsetImport &o : b.opsets)
    opsB += o.domain + ":" + std::to_string(o.version) + " ";
  differs(opsA != opsB, "opset imports " + opsA + "vs " + opsB);
  differs(a.producerName != b.producerName ||
              a.producerVersion != b.producerVersion || a.domain != b.domain ||
              a.modelVersion != b.modelVersion,
          "producer/domain/model_version differ");
  if (options.docStrings)
    differs(a.docString != b.docString, "model doc string differs");
  differs(a.metadata != b.metadata, "metadata_props differ");
  differs(a.functions != b.functions, "functions differ");
  differs(a.trainingInfo != b.trainingInfo, "training_info differs");
  compareGraph(a.getGraph(), b.getGraph());
  return diff;
}

std::string test::compareModels(const Model &a, const Model &b,
                                const CompareOptions &options) {
  return Comparer(options).run(a, b);
}
