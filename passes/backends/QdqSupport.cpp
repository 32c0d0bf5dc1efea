//===- QdqSupport.cpp - Grids as ONNX QuantizeLinear integers -------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The storage rule of QdqSupport.h and small constant and clean-up helpers
// shared by export-qdq and import-qdq.
//
//===----------------------------------------------------------------------===//

#include "backends/QdqSupport.h"

#include "qlc/Support/Error.h"

using namespace qlc;
using namespace qlc::backends;

bool QdqStorage::needsClip() const {
  auto range = getQdqTypeRange(type);
  return !range || clipLo > range->first || clipHi < range->second;
}

llvm::Optional<std::pair<int64_t, int64_t>>
backends::getQdqTypeRange(ElementType type) {
  switch (type) {
  case ElementType::Int8:
    return std::make_pair<int64_t, int64_t>(-128, 127);
  case ElementType::UInt8:
    return std::make_pair<int64_t, int64_t>(0, 255);
  case ElementType::Int16:
    return std::make_pair<int64_t, int64_t>(-32768, 32767);
  case ElementType::UInt16:
    return std::make_pair<int64_t, int64_t>(0, 65535);
  default:
    return llvm::None;
  }
}

llvm::Expected<QdqStorage> backends::chooseQdqStorage(const QuantGrid &grid) {
  if (grid.nLevels > 256)
    return makeError("grid " + grid.str() + " has " +
                     llvm::Twine(grid.nLevels) +
                     " levels: opset-13 QuantizeLinear stores at most 256 "
                     "(int8 or uint8)");
  QdqStorage s;
  if (grid.getMin() < 0 && grid.getMin() >= -128 && grid.getMax() <= 127) {
    // Signed grids, including sub-8-bit ones, keep their levels as int8.
    s.type = ElementType::Int8;
    s.zeroPoint = 0;
    s.clipLo = grid.getMin();
    s.clipHi = grid.getMax();
    return s;
  }
  if (-grid.getMin() <= 255) {
    // Unsigned grids (zero 0), and shifted ones such as [-1, 254]: the
    // zero point moves the lowest level to stored 0.
    s.type = ElementType::UInt8;
    s.zeroPoint = -grid.getMin();
    s.clipLo = 0;
    s.clipHi = grid.nLevels - 1;
    return s;
  }
  return makeError("grid " + grid.str() +
                   " fits neither int8 nor uint8 with a zero point");
}

llvm::Optional<QuantGrid> backends::gridFromQdq(int64_t zeroPoint, int64_t lo,
                                                int64_t hi) {
  QuantGrid g;
  g.zero = lo - zeroPoint;
  g.nLevels = hi - lo + 1;
  g.rounding = Rounding::HalfEven;
  if (!isValidGrid(g.zero, g.nLevels))
    return llvm::None;
  return g;
}

Value *backends::lookThroughIdentity(Value *v) {
  // Identity chains are acyclic (the graph is), so this terminates.
  while (v && v->isNodeResult()) {
    const Node *n = v->getDefiningNode();
    if (!n->is("Identity") || n->getNumInputs() != 1 || !n->getInput(0))
      return v;
    v = n->getInput(0);
  }
  return v;
}

const Tensor *backends::getFixedConstant(const Value *v) {
  v = lookThroughIdentity(const_cast<Value *>(v));
  if (!v || !v->isInitializer() || v->isListedAsInput())
    return nullptr;
  return v->getConstant();
}

llvm::Optional<int64_t> backends::getUniformInt(const Tensor &t) {
  if (t.getNumElements() == 0 || !isIntegerType(t.getElementType()))
    return llvm::None;
  std::vector<int64_t> vs = t.toInt64s();
  for (int64_t v : vs)
    if (v != vs.front())
      return llvm::None;
  return vs.front();
}

bool backends::haveSameValues(const Tensor &a, const Tensor &b) {
  if (a.getElementType() != b.getElementType() ||
      a.getNumElements() != b.getNumElements() || a.getRank() > 1 ||
      b.getRank() > 1)
    return false;
  for (int64_t i = 0, e = a.getNumElements(); i < e; ++i)
    if (a.getAsDouble(i) != b.getAsDouble(i))
      return false;
  return true;
}

void backends::eraseIfDeadInitializer(Graph &graph, Value *v) {
  if (v && v->isInitializer() && !v->isLive() && !v->isListedAsInput())
    graph.eraseValue(v);
}

bool backends::eraseIfDead(Graph &graph, Node *node) {
  if (!node)
    return false;
  for (Value *r : node->getResults())
    if (r->isLive())
      return false;
  llvm::SmallVector<Value *, 4> inputs;
  for (Value *v : node->getInputs())
    if (v && !llvm::is_contained(inputs, v))
      inputs.push_back(v);
  graph.eraseNode(node);
  for (Value *v : inputs) {
    Node *producer = v->getDefiningNode();
    if (producer && producer->is("Identity"))
      eraseIfDead(graph, producer);
    else
      eraseIfDeadInitializer(graph, v);
  }
  return true;
}
