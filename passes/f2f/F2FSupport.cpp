//===- F2FSupport.cpp - Shared helpers of the float-to-fake passes --------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "f2f/F2FSupport.h"

#include "qlc/Support/Error.h"

#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <limits>

using namespace qlc;
using namespace qlc::f2f;

static bool hasFloatWeight(const Value *w) {
  if (!w || !w->getType().hasRank())
    return false;
  ElementType t = w->getElementType();
  return t == ElementType::Float || t == ElementType::Double;
}

llvm::Optional<LinearOpInfo> f2f::matchLinearOp(Node &node) {
  if (!node.isOnnxDomain() || node.getNumInputs() < 2)
    return llvm::None;
  LinearOpInfo info;
  info.node = &node;
  Value *w = node.getInput(1);
  if (!hasFloatWeight(w))
    return llvm::None;
  int64_t rank = w->getType().getRank();
  llvm::StringRef op = node.getOpType();
  if (op == "Conv" && rank >= 3)
    info.weightChannelAxis = 0;
  else if (op == "ConvTranspose" && rank >= 3 &&
           node.getAttrInt("group", 1) == 1)
    info.weightChannelAxis = 1;
  else if (op == "Gemm" && rank == 2)
    info.weightChannelAxis = node.getAttrInt("transB", 0) ? 0 : 1;
  else if (op == "MatMul" && rank >= 2)
    info.weightChannelAxis = rank - 1;
  else
    return llvm::None;
  return info;
}

Node *f2f::getWeightQuantiser(const LinearOpInfo &op) {
  Node *producer = op.node->getInput(op.weightIndex)->getDefiningNode();
  return producer && isFakeQuant(*producer) ? producer : nullptr;
}

/// Clip's bounds (attributes before opset 11, optional constant inputs
/// since); None when a bound is not a constant.
static llvm::Optional<std::pair<double, double>> readClipBounds(const Node &n,
                                                                int64_t opset) {
  double inf = std::numeric_limits<double>::infinity();
  if (opset < 11)
    return std::make_pair(double(n.getAttrFloat("min", -inf)),
                          double(n.getAttrFloat("max", inf)));
  std::pair<double, double> bounds(-inf, inf);
  for (unsigned i : {1u, 2u}) {
    Value *v = n.getOptionalInput(i);
    if (!v)
      continue;
    const Tensor *t = v->getConstant();
    if (!t || t->getNumElements() != 1)
      return llvm::None;
    (i == 1 ? bounds.first : bounds.second) = t->getAsDouble(0);
  }
  return bounds;
}

llvm::Optional<ActivationInfo> f2f::classifyActivation(const Node &node,
                                                       int64_t opset) {
  if (!node.isOnnxDomain())
    return llvm::None;
  llvm::StringRef op = node.getOpType();
  if (op == "Relu")
    return ActivationInfo{ActivationKind::Relu};
  if (op == "LeakyRelu" || op == "Identity")
    return ActivationInfo{ActivationKind::Signed};
  if (op != "Clip")
    return llvm::None;
  auto bounds = readClipBounds(node, opset);
  if (!bounds)
    return llvm::None;
  ActivationInfo info{ActivationKind::Signed, bounds->first, bounds->second};
  if (bounds->first >= 0)
    info.kind = std::isinf(bounds->second) ? ActivationKind::Relu
                                           : ActivationKind::BoundedNonNegative;
  return info;
}

bool f2f::isGridPreserving(const Node &node) {
  if (!node.isOnnxDomain())
    return false;
  llvm::StringRef op = node.getOpType();
  if (op == "Pad") {
    // Only constant padding with 0 keeps values on the grid.
    if (node.getAttrString("mode", "constant") != "constant")
      return false;
    Value *fill = node.getOptionalInput(2);
    if (!fill)
      return true;
    const Tensor *t = fill->getConstant();
    return t && t->getNumElements() == 1 && t->getAsDouble(0) == 0;
  }
  return llvm::StringSwitch<bool>(op)
      .Cases("Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze", true)
      .Cases("MaxPool", "GlobalMaxPool", "AveragePool", "GlobalAveragePool",
             true)
      .Cases("Identity", "Dropout", true)
      .Default(false);
}

bool f2f::isQuantisedValue(const Value &v) {
  const Node *producer = v.getDefiningNode();
  for (unsigned depth = 0; producer && depth < 64; ++depth) {
    if (isFakeQuant(*producer))
      return true;
    if (producer->is("Concat")) {
      for (Value *in : producer->getInputs())
        if (!in || !isQuantisedValue(*in))
          return false;
      return producer->getNumInputs() > 0;
    }
    if (!isGridPreserving(*producer) || producer->getNumInputs() == 0 ||
        !producer->getInput(0))
      return false;
    producer = producer->getInput(0)->getDefiningNode();
  }
  return false;
}

bool f2f::isNonNegative(const Value &v, int64_t opset) {
  const Node *producer = v.getDefiningNode();
  for (unsigned depth = 0; producer && depth < 64; ++depth) {
    if (isFakeQuant(*producer)) {
      auto attrs = readFakeQuantAttrs(*producer);
      if (!attrs) {
        llvm::consumeError(attrs.takeError());
        return false;
      }
      return attrs->grid.zero == 0;
    }
    if (producer->is("Sigmoid") || producer->is("Softmax") ||
        producer->is("HardSigmoid"))
      return true;
    if (auto act = classifyActivation(*producer, opset))
      return act->isUnsigned();
    if (!isGridPreserving(*producer) || producer->is("Pad") ||
        !producer->getInput(0))
      return false;
    producer = producer->getInput(0)->getDefiningNode();
  }
  return false;
}

bool f2f::mayBeFloat(const Value &v) {
  ElementType t = v.getElementType();
  return t == ElementType::Undefined || t == ElementType::Float ||
         t == ElementType::Double;
}

Value *f2f::createEpsInitializer(Graph &graph, llvm::StringRef hint,
                                 llvm::ArrayRef<double> eps) {
  Shape shape;
  if (eps.size() != 1)
    shape.push_back(static_cast<int64_t>(eps.size()));
  Tensor t(ElementType::Float, shape);
  for (size_t i = 0; i < eps.size(); ++i)
    t.setFromDouble(static_cast<int64_t>(i), eps[i]);
  return graph.addInitializer(graph.makeUniqueName(hint), std::move(t));
}

Node *f2f::quantiseValue(Graph &graph, Value *v, Value *eps,
                         const FakeQuantAttrs &attrs,
                         llvm::StringRef nodeName) {
  Node *producer = v->getDefiningNode();
  Graph::NodeList &nodes = graph.getNodes();
  auto next =
      producer ? std::next(Graph::NodeList::iterator(producer)) : nodes.begin();
  Node *insertPt = next == nodes.end() ? nullptr : &*next;
  Node *fq = createFakeQuant(graph, v, eps, attrs, nodeName,
                             (v->getName() + "_q").str(), insertPt);
  Value *q = fq->getResult(0);
  llvm::SmallVector<Use, 4> uses(v->getUses().begin(), v->getUses().end());
  for (const Use &u : uses)
    if (u.user != fq && !u.implicit)
      u.user->setInput(u.index, q);
  // A graph output keeps its name, now on the quantised value.
  if (v->isGraphOutput() && v->isNodeResult()) {
    for (unsigned i = 0; i < graph.getOutputs().size(); ++i)
      if (graph.getOutputs()[i] == v)
        graph.setOutput(i, q);
    std::string name = v->getName().str();
    graph.renameValue(v, graph.makeUniqueName(name + "_float"));
    graph.renameValue(q, name);
  }
  return fq;
}

Node *f2f::quantiseOperand(Graph &graph, Node &user, unsigned index, Value *eps,
                           const FakeQuantAttrs &attrs,
                           llvm::StringRef nodeName) {
  Value *v = user.getInput(index);
  Node *fq = createFakeQuant(graph, v, eps, attrs, nodeName,
                             (v->getName() + "_q").str(), &user);
  user.setInput(index, fq->getResult(0));
  return fq;
}

llvm::StringRef f2f::getLayerName(const Node &node) {
  if (!node.getName().empty() || node.getNumResults() == 0)
    return node.getName();
  return node.getResult(0)->getName();
}

std::string f2f::makeNodeName(const Graph &graph, const Node &base,
                              llvm::StringRef suffix) {
  std::string stem = (getLayerName(base) + "_" + suffix).str();
  auto taken = [&](llvm::StringRef name) {
    for (const Node &n : graph.getNodes())
      if (n.getName() == name)
        return true;
    return false;
  };
  std::string name = stem;
  for (unsigned i = 1; taken(name); ++i)
    name = stem + "_" + std::to_string(i);
  return name;
}

llvm::Expected<NamePatterns>
NamePatterns::compile(llvm::ArrayRef<std::string> patterns) {
  NamePatterns result;
  for (const std::string &p : patterns) {
    auto re = std::make_shared<llvm::Regex>(p);
    std::string why;
    if (!re->isValid(why))
      return makeError("invalid node-name pattern '" + p + "': " + why);
    result.regexes.push_back(std::move(re));
  }
  return result;
}

bool NamePatterns::matches(llvm::StringRef name) const {
  for (const auto &re : regexes)
    if (re->match(name))
      return true;
  return false;
}
