//===- Graph.h - Values, nodes and graphs -----------------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The core IR: a Graph owns Values (graph inputs, initializers, node results)
// and Nodes, both in intrusive lists so that erasure is O(1) and iterators
// stay valid. Every Value keeps its use list, so "all users of x" and
// "replace all uses" cost O(uses). Nodes are kept in topological order; all
// mutation goes through Graph (or Node's operand setters), which bumps a
// mutation epoch that the pass manager reads to detect change.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_IR_GRAPH_H
#define QLC_IR_GRAPH_H

#include "qlc/IR/Attribute.h"
#include "qlc/IR/Tensor.h"
#include "qlc/IR/Type.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/ilist.h"
#include "llvm/ADT/ilist_node.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>

namespace qlc {

class Graph;
class Node;

/// One use of a value: operand `index` of `user`, or implicit input `index`
/// (an outer-scope value read by one of the user's subgraph attributes).
struct Use {
  Node *user;
  unsigned index;
  bool implicit;
};

class Value : public llvm::ilist_node<Value> {
public:
  enum class Kind : uint8_t { GraphInput, Initializer, NodeResult };

  Kind getKind() const { return kind; }
  bool isGraphInput() const { return kind == Kind::GraphInput; }
  bool isInitializer() const { return kind == Kind::Initializer; }
  bool isNodeResult() const { return kind == Kind::NodeResult; }

  llvm::StringRef getName() const { return name; }
  const TensorType &getType() const { return type; }
  void setType(TensorType t) { type = std::move(t); }
  ElementType getElementType() const { return type.getElementType(); }

  /// Producer, or null for graph inputs and initializers.
  Node *getDefiningNode() const { return definingNode; }
  unsigned getResultNumber() const { return resultNumber; }

  /// The constant value of an initializer; null otherwise.
  const Tensor *getConstant() const {
    return isInitializer() ? &constant : nullptr;
  }
  /// Replaces an initializer's value and updates its type.
  void setConstant(Tensor t);

  llvm::ArrayRef<Use> getUses() const { return uses; }
  bool hasUses() const { return !uses.empty(); }
  bool hasOneUse() const { return uses.size() == 1; }
  unsigned getNumUses() const { return static_cast<unsigned>(uses.size()); }
  /// Distinct nodes that read this value, in use order.
  llvm::SmallVector<Node *, 4> getUsers() const;

  bool isGraphOutput() const { return outputRefs > 0; }
  /// Used by a node or listed as a graph output.
  bool isLive() const { return hasUses() || isGraphOutput(); }
  /// An initializer that IR version 3 also lists as a graph input.
  bool isListedAsInput() const { return listedAsInput; }
  void setListedAsInput(bool v) { listedAsInput = v; }

  Graph &getGraph() const { return *graph; }

  std::string docString;

private:
  friend class Graph;
  friend class Node;
  Value(Graph &graph, Kind kind, std::string name)
      : graph(&graph), kind(kind), name(std::move(name)) {}
  void removeUse(Node *user, unsigned index, bool implicit);

  Graph *graph;
  Kind kind;
  std::string name;
  TensorType type;
  Node *definingNode = nullptr;
  unsigned resultNumber = 0;
  Tensor constant;
  llvm::SmallVector<Use, 2> uses;
  unsigned outputRefs = 0;
  bool listedAsInput = false;
};

class Node : public llvm::ilist_node<Node> {
public:
  llvm::StringRef getName() const { return name; }
  void setName(llvm::StringRef n) { name = n.str(); }
  llvm::StringRef getOpType() const { return opType; }
  llvm::StringRef getDomain() const { return domain; }
  /// True for `op` in `dom`; "" and "ai.onnx" both mean the ONNX domain.
  bool is(llvm::StringRef op, llvm::StringRef dom = "") const;
  bool isOnnxDomain() const { return domain.empty() || domain == "ai.onnx"; }

  unsigned getNumInputs() const { return static_cast<unsigned>(inputs.size()); }
  /// Null for an omitted optional input ("" in ONNX).
  Value *getInput(unsigned i) const { return inputs[i]; }
  /// Like getInput, but null when `i` is past the end too.
  Value *getOptionalInput(unsigned i) const {
    return i < inputs.size() ? inputs[i] : nullptr;
  }
  llvm::ArrayRef<Value *> getInputs() const { return inputs; }
  void setInput(unsigned i, Value *v);
  void addInput(Value *v);
  /// Drops trailing inputs down to `n`.
  void truncateInputs(unsigned n);
  void setInputs(llvm::ArrayRef<Value *> vs);

  unsigned getNumResults() const { return static_cast<unsigned>(results.size()); }
  Value *getResult(unsigned i) const { return results[i]; }
  llvm::ArrayRef<Value *> getResults() const { return results; }

  /// Outer-scope values read by subgraph attributes (If/Loop/Scan bodies).
  llvm::ArrayRef<Value *> getImplicitInputs() const { return implicitInputs; }
  void addImplicitInput(Value *v);

  llvm::ArrayRef<NamedAttribute> getAttrs() const { return attrs; }
  const Attribute *getAttr(llvm::StringRef attrName) const;
  bool hasAttr(llvm::StringRef attrName) const { return getAttr(attrName); }
  int64_t getAttrInt(llvm::StringRef attrName, int64_t dflt) const;
  float getAttrFloat(llvm::StringRef attrName, float dflt) const;
  std::string getAttrString(llvm::StringRef attrName,
                            llvm::StringRef dflt) const;
  llvm::SmallVector<int64_t, 4>
  getAttrInts(llvm::StringRef attrName,
              llvm::ArrayRef<int64_t> dflt = {}) const;
  llvm::SmallVector<float, 4>
  getAttrFloats(llvm::StringRef attrName, llvm::ArrayRef<float> dflt = {}) const;
  /// Adds or replaces; keeps the position of an existing attribute.
  void setAttr(llvm::StringRef attrName, Attribute value);
  bool removeAttr(llvm::StringRef attrName);

  Graph &getGraph() const { return *graph; }

  std::string docString;

private:
  friend class Graph;
  Node(Graph &graph, std::string opType, std::string domain)
      : graph(&graph), opType(std::move(opType)), domain(std::move(domain)) {}
  void dropAllUses();

  Graph *graph;
  std::string name;
  std::string opType;
  std::string domain;
  llvm::SmallVector<Value *, 4> inputs;
  llvm::SmallVector<Value *, 2> results;
  llvm::SmallVector<Value *, 0> implicitInputs;
  std::vector<NamedAttribute> attrs;
};

class Graph {
public:
  using NodeList = llvm::iplist<Node>;
  using ValueList = llvm::iplist<Value>;

  Graph() = default;
  Graph(const Graph &) = delete;
  Graph &operator=(const Graph &) = delete;
  ~Graph();

  std::string name;
  std::string docString;

  NodeList &getNodes() { return nodes; }
  const NodeList &getNodes() const { return nodes; }
  size_t getNumNodes() const { return nodes.size(); }
  /// Every value in creation order (inputs, initializers, results).
  const ValueList &getValues() const { return values; }

  llvm::ArrayRef<Value *> getInputs() const { return inputs; }
  llvm::ArrayRef<Value *> getOutputs() const { return outputs; }
  /// Initializers in creation order.
  llvm::SmallVector<Value *, 16> getInitializers() const;

  Value *lookupValue(llvm::StringRef valueName) const {
    return valuesByName.lookup(valueName);
  }

  /// Creation. Names must be unique; use makeUniqueName for fresh ones.
  Value *addInput(llvm::StringRef valueName, TensorType type);
  Value *addInitializer(llvm::StringRef valueName, Tensor value);
  void addOutput(Value *v);
  void setOutput(unsigned i, Value *v);
  void removeOutput(unsigned i);

  /// Creates a node before `insertPt` (at the end when null) with results
  /// named `resultNames`.
  Node *createNode(llvm::StringRef opType, llvm::ArrayRef<Value *> operands,
                   llvm::ArrayRef<std::string> resultNames,
                   llvm::StringRef domain = "", Node *insertPt = nullptr);
  /// Same, with one fresh result named after `resultHint`.
  Node *createNode(llvm::StringRef opType, llvm::ArrayRef<Value *> operands,
                   llvm::StringRef resultHint, llvm::StringRef domain = "",
                   Node *insertPt = nullptr);

  /// Erases a node whose results have no uses and are not graph outputs.
  void eraseNode(Node *node);
  /// Erases an unused graph input or initializer.
  void eraseValue(Value *value);
  void moveBefore(Node *node, Node *insertPt);

  /// Redirects every node use (and graph-output slot) of `from` to `to`.
  void replaceAllUsesWith(Value *from, Value *to);
  /// Replaces `from` by `to` so that graph-output names survive: where
  /// `from` is a graph output and `to` is a private node result, `to` takes
  /// over the name. Returns false, changing nothing, when that is impossible
  /// (e.g. `to` is a graph input or already an output).
  bool replaceValueKeepingOutputNames(Value *from, Value *to);

  /// "hint", then "hint_1", "hint_2", ...: deterministic.
  std::string makeUniqueName(llvm::StringRef hint);
  void renameValue(Value *v, llvm::StringRef newName);
  /// Keeps makeUniqueName from handing out `name` (e.g. a name defined
  /// inside an opaque subgraph, which must not be shadowed).
  void reserveName(llvm::StringRef name);

  /// Restores topological order (stable: keeps the relative order of
  /// independent nodes); fails naming a node on a cycle.
  llvm::Error sortTopologically();

  /// Copies `subgraph` (in order) before `insertPt`, remapping operands
  /// through `mapping`, which receives the new results.
  void cloneNodes(llvm::ArrayRef<Node *> subgraph,
                  llvm::DenseMap<Value *, Value *> &mapping,
                  Node *insertPt = nullptr);
  /// A deep copy (tensor storage is shared copy-on-write).
  std::unique_ptr<Graph> clone() const;

  /// Bumped by every mutation.
  uint64_t getEpoch() const { return epoch; }
  void bumpEpoch() { ++epoch; }

private:
  friend class Node;
  friend class Value;
  Value *createValue(Value::Kind kind, llvm::StringRef valueName);

  NodeList nodes;
  ValueList values;
  llvm::SmallVector<Value *, 4> inputs;
  llvm::SmallVector<Value *, 4> outputs;
  llvm::StringMap<Value *> valuesByName;
  llvm::StringMap<unsigned> nameCounters;
  llvm::StringSet<> reservedNames;
  uint64_t epoch = 0;
};

} // namespace qlc

#endif // QLC_IR_GRAPH_H
