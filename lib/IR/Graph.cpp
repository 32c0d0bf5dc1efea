//===- Graph.cpp - Values, nodes and graphs -------------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/IR/Graph.h"
#include "qlc/Support/Error.h"

#include <queue>

using namespace qlc;

//===----------------------------------------------------------------------===//
// Value
//===----------------------------------------------------------------------===//

void Value::setConstant(Tensor t) {
  assert(isInitializer() && "only initializers hold constants");
  type = TensorType(t.getElementType(), t.getShape());
  constant = std::move(t);
  graph->bumpEpoch();
}

llvm::SmallVector<Node *, 4> Value::getUsers() const {
  llvm::SmallVector<Node *, 4> users;
  for (const Use &u : uses)
    if (!llvm::is_contained(users, u.user))
      users.push_back(u.user);
  return users;
}

void Value::removeUse(Node *user, unsigned index, bool implicit) {
  for (auto it = uses.begin(), e = uses.end(); it != e; ++it) {
    if (it->user == user && it->index == index && it->implicit == implicit) {
      uses.erase(it);
      return;
    }
  }
  assert(false && "use not found");
}

//===----------------------------------------------------------------------===//
// Node
//===----------------------------------------------------------------------===//

bool Node::is(llvm::StringRef op, llvm::StringRef dom) const {
  if (opType != op)
    return false;
  bool wantOnnx = dom.empty() || dom == "ai.onnx";
  return wantOnnx ? isOnnxDomain() : domain == dom;
}

void Node::setInput(unsigned i, Value *v) {
  assert(i < inputs.size() && "input index out of range");
  if (inputs[i])
    inputs[i]->removeUse(this, i, /*implicit=*/false);
  inputs[i] = v;
  if (v)
    v->uses.push_back(Use{this, i, false});
  graph->bumpEpoch();
}

void Node::addInput(Value *v) {
  inputs.push_back(nullptr);
  setInput(static_cast<unsigned>(inputs.size() - 1), v);
}

void Node::truncateInputs(unsigned n) {
  while (inputs.size() > n) {
    unsigned last = static_cast<unsigned>(inputs.size() - 1);
    if (inputs[last])
      inputs[last]->removeUse(this, last, /*implicit=*/false);
    inputs.pop_back();
  }
  graph->bumpEpoch();
}

void Node::setInputs(llvm::ArrayRef<Value *> vs) {
  truncateInputs(0);
  for (Value *v : vs)
    addInput(v);
}

void Node::addImplicitInput(Value *v) {
  assert(v && "implicit inputs are never omitted");
  unsigned index = static_cast<unsigned>(implicitInputs.size());
  implicitInputs.push_back(v);
  v->uses.push_back(Use{this, index, true});
  graph->bumpEpoch();
}

void Node::dropAllUses() {
  truncateInputs(0);
  for (unsigned i = 0; i < implicitInputs.size(); ++i)
    implicitInputs[i]->removeUse(this, i, /*implicit=*/true);
  implicitInputs.clear();
}

const Attribute *Node::getAttr(llvm::StringRef attrName) const {
  for (const NamedAttribute &a : attrs)
    if (a.name == attrName)
      return &a.value;
  return nullptr;
}

int64_t Node::getAttrInt(llvm::StringRef attrName, int64_t dflt) const {
  const Attribute *a = getAttr(attrName);
  return a && a->getKind() == AttrKind::Int ? a->getIntValue() : dflt;
}

float Node::getAttrFloat(llvm::StringRef attrName, float dflt) const {
  const Attribute *a = getAttr(attrName);
  return a && a->getKind() == AttrKind::Float ? a->getFloatValue() : dflt;
}

std::string Node::getAttrString(llvm::StringRef attrName,
                                llvm::StringRef dflt) const {
  const Attribute *a = getAttr(attrName);
  return a && a->getKind() == AttrKind::String ? a->getStringValue()
                                                : dflt.str();
}

llvm::SmallVector<int64_t, 4>
Node::getAttrInts(llvm::StringRef attrName,
                  llvm::ArrayRef<int64_t> dflt) const {
  const Attribute *a = getAttr(attrName);
  llvm::ArrayRef<int64_t> v =
      a && a->getKind() == AttrKind::Ints ? a->getIntsValue() : dflt;
  return llvm::SmallVector<int64_t, 4>(v.begin(), v.end());
}

llvm::SmallVector<float, 4>
Node::getAttrFloats(llvm::StringRef attrName,
                    llvm::ArrayRef<float> dflt) const {
  const Attribute *a = getAttr(attrName);
  llvm::ArrayRef<float> v =
      a && a->getKind() == AttrKind::Floats ? a->getFloatsValue() : dflt;
  return llvm::SmallVector<float, 4>(v.begin(), v.end());
}

void Node::setAttr(llvm::StringRef attrName, Attribute value) {
  graph->bumpEpoch();
  for (NamedAttribute &a : attrs) {
    if (a.name == attrName) {
      a.value = std::move(value);
      return;
    }
  }
  attrs.push_back(NamedAttribute{attrName.str(), std::move(value)});
}

bool Node::removeAttr(llvm::StringRef attrName) {
  for (auto it = attrs.begin(); it != attrs.end(); ++it) {
    if (it->name == attrName) {
      attrs.erase(it);
      graph->bumpEpoch();
      return true;
    }
  }
  return false;
}

//===----------------------------------------------------------------------===//
// Graph: creation and erasure
//===----------------------------------------------------------------------===//

Graph::~Graph() {
  nodes.clear(); // nodes point at values, never the other way round
  values.clear();
}

llvm::SmallVector<Value *, 16> Graph::getInitializers() const {
  llvm::SmallVector<Value *, 16> result;
  for (const Value &v : values)
    if (v.isInitializer())
      result.push_back(const_cast<Value *>(&v));
  return result;
}

Value *Graph::createValue(Value::Kind kind, llvm::StringRef valueName) {
  assert((valueName.empty() || !valuesByName.count(valueName)) &&
         "value names must be unique");
  Value *v = new Value(*this, kind, valueName.str());
  values.push_back(v);
  if (!valueName.empty())
    valuesByName[valueName] = v;
  bumpEpoch();
  return v;
}

Value *Graph::addInput(llvm::StringRef valueName, TensorType type) {
  Value *v = createValue(Value::Kind::GraphInput, valueName);
  v->type = std::move(type);
  inputs.push_back(v);
  return v;
}

Value *Graph::addInitializer(llvm::StringRef valueName, Tensor value) {
  Value *v = createValue(Value::Kind::Initializer, valueName);
  v->type = TensorType(value.getElementType(), value.getShape());
  v->constant = std::move(value);
  return v;
}

void Graph::addOutput(Value *v) {
  outputs.push_back(v);
  ++v->outputRefs;
  bumpEpoch();
}

void Graph::setOutput(unsigned i, Value *v) {
  --outputs[i]->outputRefs;
  outputs[i] = v;
  ++v->outputRefs;
  bumpEpoch();
}

void Graph::removeOutput(unsigned i) {
  --outputs[i]->outputRefs;
  outputs.erase(outputs.begin() + i);
  bumpEpoch();
}

Node *Graph::createNode(llvm::StringRef opType,
                        llvm::ArrayRef<Value *> operands,
                        llvm::ArrayRef<std::string> resultNames,
                        llvm::StringRef domain, Node *insertPt) {
  Node *node = new Node(*this, opType.str(), domain.str());
  if (insertPt)
    nodes.insert(insertPt->getIterator(), node);
  else
    nodes.push_back(node);
  for (Value *v : operands)
    node->addInput(v);
  for (unsigned i = 0; i < resultNames.size(); ++i) {
    Value *r = createValue(Value::Kind::NodeResult, resultNames[i]);
    r->definingNode = node;
    r->resultNumber = i;
    node->results.push_back(r);
  }
  return node;
}

Node *Graph::createNode(llvm::StringRef opType,
                        llvm::ArrayRef<Value *> operands,
                        llvm::StringRef resultHint, llvm::StringRef domain,
                        Node *insertPt) {
  std::string name = makeUniqueName(resultHint);
  return createNode(opType, operands, llvm::makeArrayRef(name), domain,
                    insertPt);
}

void Graph::eraseNode(Node *node) {
  for (Value *r : node->results) {
    assert(!r->isLive() && "erasing a node whose results are still used");
    if (!r->name.empty())
      valuesByName.erase(r->name);
  }
  node->dropAllUses();
  for (Value *r : node->results)
    values.erase(r->getIterator());
  nodes.erase(node->getIterator());
  bumpEpoch();
}

void Graph::eraseValue(Value *value) {
  assert(!value->isNodeResult() && "erase the defining node instead");
  assert(!value->isLive() && "erasing a value that is still used");
  if (value->isGraphInput())
    inputs.erase(llvm::find(inputs, value));
  if (!value->name.empty())
    valuesByName.erase(value->name);
  values.erase(value->getIterator());
  bumpEpoch();
}

void Graph::moveBefore(Node *node, Node *insertPt) {
  auto pos = insertPt ? insertPt->getIterator() : nodes.end();
  nodes.splice(pos, nodes, node->getIterator());
  bumpEpoch();
}

//===----------------------------------------------------------------------===//
// Graph: replacement and naming
//===----------------------------------------------------------------------===//

void Graph::replaceAllUsesWith(Value *from, Value *to) {
  assert(from != to && "replacing a value with itself");
  llvm::SmallVector<Use, 4> uses(from->uses.begin(), from->uses.end());
  for (const Use &u : uses) {
    if (!u.implicit) {
      u.user->setInput(u.index, to);
      continue;
    }
    from->removeUse(u.user, u.index, true);
    u.user->implicitInputs[u.index] = to;
    to->uses.push_back(u);
  }
  for (unsigned i = 0; i < outputs.size(); ++i)
    if (outputs[i] == from)
      setOutput(i, to);
  bumpEpoch();
}

bool Graph::replaceValueKeepingOutputNames(Value *from, Value *to) {
  if (!from->isGraphOutput()) {
    replaceAllUsesWith(from, to);
    return true;
  }
  if (!to->isNodeResult() || to->isGraphOutput() || to->name.empty())
    return false;
  std::string outputName = from->name;
  TensorType outputType = from->type;
  replaceAllUsesWith(from, to);
  renameValue(from, makeUniqueName(outputName + "_replaced"));
  renameValue(to, outputName);
  if (to->type.isUndefined())
    to->type = outputType;
  return true;
}

std::string Graph::makeUniqueName(llvm::StringRef hint) {
  std::string base = hint.empty() ? std::string("v") : hint.str();
  if (!valuesByName.count(base) && !reservedNames.count(base)) {
    reservedNames.insert(base);
    return base;
  }
  unsigned &counter = nameCounters[base];
  std::string candidate;
  do
    candidate = base + "_" + std::to_string(++counter);
  while (valuesByName.count(candidate) || reservedNames.count(candidate));
  reservedNames.insert(candidate);
  return candidate;
}

void Graph::reserveName(llvm::StringRef reserved) {
  reservedNames.insert(reserved);
}

void Graph::renameValue(Value *v, llvm::StringRef newName) {
  if (v->name == newName)
    return;
  assert(!valuesByName.count(newName) && "value names must be unique");
  if (!v->name.empty())
    valuesByName.erase(v->name);
  v->name = newName.str();
  if (!newName.empty())
    valuesByName[newName] = v;
  bumpEpoch();
}

//===----------------------------------------------------------------------===//
// Graph: ordering and cloning
//===----------------------------------------------------------------------===//

llvm::Error Graph::sortTopologically() {
  llvm::DenseMap<Node *, unsigned> position, pending;
  std::vector<Node *> order;
  for (Node &n : nodes) {
    position[&n] = static_cast<unsigned>(order.size());
    order.push_back(&n);
  }
  auto countProducers = [&](Node &n) {
    unsigned count = 0;
    auto visit = [&](Value *v) {
      if (v && v->definingNode)
        ++count;
    };
    llvm::for_each(n.inputs, visit);
    llvm::for_each(n.implicitInputs, visit);
    return count;
  };
  using Entry = std::pair<unsigned, Node *>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> ready;
  for (Node *n : order) {
    pending[n] = countProducers(*n);
    if (pending[n] == 0)
      ready.push({position[n], n});
  }
  std::vector<Node *> sorted;
  while (!ready.empty()) {
    Node *n = ready.top().second;
    ready.pop();
    sorted.push_back(n);
    for (Value *r : n->results)
      for (const Use &u : r->uses)
        if (--pending[u.user] == 0)
          ready.push({position[u.user], u.user});
  }
  if (sorted.size() != order.size()) {
    for (Node *n : order)
      if (pending[n] != 0)
        return makeNodeError(*n, "graph has a cycle through this node");
  }
  for (Node *n : sorted)
    nodes.remove(n);
  for (Node *n : sorted)
    nodes.push_back(n);
  bumpEpoch();
  return llvm::Error::success();
}

static Value *remap(llvm::DenseMap<Value *, Value *> &mapping, Value *v) {
  if (!v)
    return nullptr;
  Value *mapped = mapping.lookup(v);
  return mapped ? mapped : v;
}

static void copyNodeBody(const Node &from, Node &to) {
  for (const NamedAttribute &a : from.getAttrs())
    to.setAttr(a.name, a.value);
  to.docString = from.docString;
}

void Graph::cloneNodes(llvm::ArrayRef<Node *> subgraph,
                       llvm::DenseMap<Value *, Value *> &mapping,
                       Node *insertPt) {
  for (Node *old : subgraph) {
    llvm::SmallVector<Value *, 4> operands;
    for (Value *v : old->inputs)
      operands.push_back(remap(mapping, v));
    std::vector<std::string> names;
    for (Value *r : old->results)
      names.push_back(r->name.empty() ? std::string() : makeUniqueName(r->name));
    Node *copy =
        createNode(old->opType, operands, names, old->domain, insertPt);
    copyNodeBody(*old, *copy);
    for (Value *v : old->implicitInputs)
      copy->addImplicitInput(remap(mapping, v));
    for (unsigned i = 0; i < old->results.size(); ++i) {
      copy->results[i]->type = old->results[i]->type;
      mapping[old->results[i]] = copy->results[i];
    }
  }
}

std::unique_ptr<Graph> Graph::clone() const {
  auto g = std::make_unique<Graph>();
  g->name = name;
  g->docString = docString;
  llvm::DenseMap<Value *, Value *> mapping;
  for (const Value &v : values) {
    if (v.isNodeResult())
      continue;
    Value *copy = g->createValue(v.kind, v.name);
    copy->type = v.type;
    copy->constant = v.constant;
    copy->listedAsInput = v.listedAsInput;
    copy->docString = v.docString;
    mapping[const_cast<Value *>(&v)] = copy;
  }
  for (Value *in : inputs)
    g->inputs.push_back(mapping[in]);
  for (Node &n : const_cast<NodeList &>(nodes)) {
    llvm::SmallVector<Value *, 4> operands;
    for (Value *v : n.inputs)
      operands.push_back(remap(mapping, v));
    std::vector<std::string> names;
    for (Value *r : n.results)
      names.push_back(r->name);
    Node *copy = g->createNode(n.opType, operands, names, n.domain);
    copy->name = n.name;
    copyNodeBody(n, *copy);
    for (Value *v : n.implicitInputs)
      copy->addImplicitInput(remap(mapping, v));
    for (unsigned i = 0; i < n.results.size(); ++i) {
      copy->results[i]->type = n.results[i]->type;
      copy->results[i]->docString = n.results[i]->docString;
      mapping[n.results[i]] = copy->results[i];
    }
  }
  for (Value *out : outputs)
    g->addOutput(mapping[out]);
  g->reservedNames = reservedNames;
  return g;
}
