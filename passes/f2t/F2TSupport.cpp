//===- F2TSupport.cpp - Shared helpers of the fake-to-true passes ---------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "f2t/F2TSupport.h"

#include "qlc/Quant/InputQuantisation.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace qlc;
using namespace qlc::f2t;

bool Quantum::sameEps(const Quantum &other) const {
  if (eps.size() != other.eps.size())
    return false;
  if (eps.size() > 1 && axis != other.axis)
    return false;
  for (size_t i = 0; i < eps.size(); ++i)
    if (std::fabs(eps[i] - other.eps[i]) > 1e-9 * std::fabs(eps[i]))
      return false;
  return true;
}

std::string Quantum::str() const {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (isPerTensor()) {
    os << llvm::format("%g", eps[0]);
    return os.str();
  }
  os << "[";
  for (size_t i = 0; i < eps.size() && i < 3; ++i)
    os << (i ? ", " : "") << llvm::format("%g", eps[i]);
  os << (eps.size() > 3 ? ", ...]" : "]") << " (axis " << axis << ")";
  return os.str();
}

bool f2t::sameQuanta(llvm::ArrayRef<double> a, llvm::ArrayRef<double> b) {
  if (a.size() != b.size() && a.size() != 1 && b.size() != 1)
    return false;
  for (size_t i = 0, n = std::max(a.size(), b.size()); i < n; ++i)
    if (a[a.size() == 1 ? 0 : i] != b[b.size() == 1 ? 0 : i])
      return false;
  return true;
}

bool f2t::isUnitEps(llvm::ArrayRef<double> eps) {
  return llvm::all_of(eps, [](double e) { return e == 1.0; });
}

static llvm::SmallVector<int64_t, 4> channelShape(size_t n, int64_t axis,
                                                  int64_t rank) {
  if (n == 1)
    return {};
  llvm::SmallVector<int64_t, 4> shape(std::max<int64_t>(rank, axis + 1), 1);
  shape[axis] = static_cast<int64_t>(n);
  return shape;
}

Value *f2t::createEpsConstant(Graph &graph, llvm::StringRef hint,
                              llvm::ArrayRef<double> eps, int64_t axis,
                              int64_t rank) {
  std::vector<float> values(eps.begin(), eps.end());
  Tensor t =
      Tensor::fromValues<float>(channelShape(eps.size(), axis, rank), values);
  return graph.addInitializer(graph.makeUniqueName(hint), std::move(t));
}

Value *f2t::createChannelConstant(Graph &graph, llvm::StringRef hint,
                                  llvm::ArrayRef<int64_t> values, int64_t axis,
                                  int64_t rank) {
  Tensor t = Tensor::fromValues<int64_t>(
      channelShape(values.size(), axis, rank), values);
  return graph.addInitializer(graph.makeUniqueName(hint), std::move(t));
}

bool TunnelView::isIdentity() const {
  if (epsIn.size() != epsOut.size())
    return false;
  for (size_t i = 0; i < epsIn.size(); ++i)
    if (epsIn[i] != epsOut[i])
      return false;
  return elementTypeOf(node->getInput(0)) == to;
}

llvm::Optional<TunnelView> f2t::viewTunnel(Node &node) {
  if (!isEpsTunnel(node) || node.getNumInputs() != 3)
    return llvm::None;
  const Tensor *in =
      node.getInput(1) ? node.getInput(1)->getConstant() : nullptr;
  const Tensor *out =
      node.getInput(2) ? node.getInput(2)->getConstant() : nullptr;
  llvm::Expected<ElementType> to = readEpsTunnelType(node);
  if (!in || !out || !to) {
    if (!to)
      llvm::consumeError(to.takeError());
    return llvm::None;
  }
  TunnelView view;
  view.node = &node;
  view.epsIn = in->toDoubles();
  view.epsOut = out->toDoubles();
  view.to = *to;
  return view;
}

bool f2t::isReadOnlyByTunnels(const Value &v) {
  return !v.isGraphOutput() && v.hasUses() &&
         llvm::all_of(v.getUses(), [](const Use &u) {
           return !u.implicit && isEpsTunnel(*u.user) && u.index == 0;
         });
}

void f2t::retargetTunnels(Value &from, Value *to) {
  llvm::SmallVector<Node *, 4> readers = from.getUsers();
  for (Node *t : readers) {
    llvm::Optional<TunnelView> view = viewTunnel(*t);
    t->setInput(0, to);
    setTunnel(*t, {1.0}, view->epsOut, view->to);
  }
}

int64_t f2t::tunnelAxis(const Node &tunnel) {
  for (unsigned i : {1u, 2u}) {
    const Tensor *t = tunnel.getInput(i)->getConstant();
    if (t && t->getNumElements() > 1)
      for (int64_t d = 0; d < t->getRank(); ++d)
        if (t->getShape()[d] > 1)
          return d;
  }
  return 1;
}

Node *f2t::createTunnel(Graph &graph, Value *x, llvm::ArrayRef<double> epsIn,
                        llvm::ArrayRef<double> epsOut, int64_t axis,
                        ElementType to, llvm::StringRef nodeName,
                        Node *insertPt) {
  int64_t rank = rankOf(x);
  Value *in =
      createEpsConstant(graph, (nodeName + "_eps_in").str(), epsIn, axis, rank);
  Value *out = createEpsConstant(graph, (nodeName + "_eps_out").str(), epsOut,
                                 axis, rank);
  Node *t = graph.createNode(kEpsTunnelOpName, {x, in, out},
                             llvm::StringRef((nodeName + "_out").str()),
                             kQlcDomain, insertPt);
  t->setName(graph.makeUniqueName(nodeName));
  t->setAttr("to", Attribute::getInt(static_cast<int64_t>(to)));
  TensorType type = x->getType();
  type.setElementType(to);
  t->getResult(0)->setType(type);
  return t;
}

void f2t::setTunnel(Node &tunnel, llvm::ArrayRef<double> epsIn,
                    llvm::ArrayRef<double> epsOut, ElementType to) {
  Graph &graph = tunnel.getGraph();
  int64_t axis = tunnelAxis(tunnel);
  int64_t rank = rankOf(tunnel.getInput(0));
  Value *oldIn = tunnel.getInput(1), *oldOut = tunnel.getInput(2);
  std::string base = tunnel.getName().str();
  tunnel.setInput(
      1, createEpsConstant(graph, base + "_eps_in", epsIn, axis, rank));
  tunnel.setInput(
      2, createEpsConstant(graph, base + "_eps_out", epsOut, axis, rank));
  for (Value *old : {oldIn, oldOut})
    if (old->isInitializer() && !old->isLive())
      graph.eraseValue(old);
  tunnel.setAttr("to", Attribute::getInt(static_cast<int64_t>(to)));
  TensorType type = tunnel.getResult(0)->getType();
  type.setElementType(to);
  tunnel.getResult(0)->setType(type);
}

void f2t::bypassTunnel(Graph &graph, Node &tunnel) {
  Value *in = tunnel.getInput(0), *out = tunnel.getResult(0);
  if (!graph.replaceValueKeepingOutputNames(out, in)) {
    // The input is a graph input or already an output: keep an Identity
    // so the output name survives.
    Node *id =
        graph.createNode("Identity", {in}, llvm::StringRef("tmp"), "", &tunnel);
    id->setName(tunnel.getName());
    id->getResult(0)->setType(in->getType());
    graph.replaceValueKeepingOutputNames(out, id->getResult(0));
  }
  Value *epsIn = tunnel.getInput(1), *epsOut = tunnel.getInput(2);
  graph.eraseNode(&tunnel);
  for (Value *v : {epsIn, epsOut})
    if (v->isInitializer() && !v->isLive())
      graph.eraseValue(v);
}

bool f2t::isScalePreserving(const Node &node) {
  if (!node.isOnnxDomain())
    return false;
  llvm::StringRef op = node.getOpType();
  if (op == "Pad") {
    if (node.getAttrString("mode", "constant") != "constant")
      return false;
    Value *cv = node.getOptionalInput(2);
    const Tensor *c = cv ? cv->getConstant() : nullptr;
    if (cv && !c)
      return false;
    if (c && llvm::any_of(c->toDoubles(), [](double v) { return v != 0; }))
      return false;
    return node.getAttrFloat("value", 0.f) == 0.f;
  }
  if (op == "MaxPool")
    return node.getNumResults() == 1;
  static const llvm::StringRef kOps[] = {
      "Flatten",  "Reshape", "Squeeze",       "Unsqueeze", "Transpose",
      "Identity", "Dropout", "GlobalMaxPool", "Concat"};
  return llvm::is_contained(kOps, op);
}

void f2t::eraseDeadConstants(Graph &graph) {
  for (Value *v : graph.getInitializers())
    if (!v->isLive() && !v->isListedAsInput())
      graph.eraseValue(v);
}

ElementType f2t::elementTypeOf(const Value *v) {
  return v ? v->getType().getElementType() : ElementType::Undefined;
}

int64_t f2t::rankOf(const Value *v) {
  return v && v->getType().hasRank() ? v->getType().getRank() : -1;
}

void f2t::setInputQuantisation(Model &model, llvm::StringRef name,
                               const Quantum &q) {
  InputQuantisationInfo info;
  info.eps = q.eps[0];
  if (q.grid)
    info.grid = *q.grid;
  writeInputQuantisation(model, name, info);
}

llvm::Optional<Quantum> f2t::getInputQuantisation(const Model &model,
                                                  llvm::StringRef name) {
  llvm::Optional<InputQuantisationInfo> info =
      readInputQuantisation(model, name);
  if (!info)
    return llvm::None;
  Quantum q;
  q.eps = {info->eps};
  q.grid = info->grid;
  return q;
}

llvm::Optional<QuantGrid> f2t::findImageGrid(const Model &model,
                                             const Value *v) {
  for (int depth = 0; v && depth < 64; ++depth) {
    if (v->isGraphInput()) {
      llvm::Optional<Quantum> q = getInputQuantisation(model, v->getName());
      return q ? q->grid : llvm::None;
    }
    const Node *p = v->getDefiningNode();
    if (!p)
      return llvm::None;
    if (isFakeQuant(*p)) {
      llvm::Expected<FakeQuantAttrs> a = readFakeQuantAttrs(*p);
      if (!a) {
        llvm::consumeError(a.takeError());
        return llvm::None;
      }
      return a->grid;
    }
    if (isRequant(*p)) {
      llvm::Expected<RequantAttrs> a = readRequantAttrs(*p);
      if (!a) {
        llvm::consumeError(a.takeError());
        return llvm::None;
      }
      QuantGrid g;
      g.zero = a->lo;
      g.nLevels = a->hi - a->lo + 1;
      return g;
    }
    // Average pools sum: their image has no 8-bit grid.
    bool passes =
        isEpsTunnel(*p) || (isScalePreserving(*p) && !p->is("Concat"));
    if (!passes)
      return llvm::None;
    v = p->getInput(0);
  }
  return llvm::None;
}

const Tensor *f2t::getConstantThroughIdentity(const Value *v) {
  for (int depth = 0; v && depth < 16; ++depth) {
    if (v->isInitializer())
      return v->getConstant();
    const Node *p = v->getDefiningNode();
    if (!p || !p->is("Identity"))
      return nullptr;
    v = p->getInput(0);
  }
  return nullptr;
}
