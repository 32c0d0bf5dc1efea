//===- DagPattern.h - Declarative DAG matching on the qlc IR ----*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A DAG pattern describes a node (the root) and, through its operands, the
// producers it must have: op types, attribute and constant predicates, and
// capture names under which the matched nodes and values are handed to the
// rewrite. C++ patterns build it with the helpers in namespace qlc::pat; the
// JSON pattern loader parses the same structures, so both match alike.
//
//   using namespace qlc::pat;
//   OpPattern gemm = op("Gemm").as("gemm")
//       .operand(0, op("Flatten").operand(0, op({"GlobalAveragePool"})))
//       .operand(1, constant().as("w"));
//
// Matching rules:
// - An operand pattern constrains operand i of the node; operands without a
//   pattern are unconstrained. exactOperands() also fixes their number.
// - Every matched node except the root must have all its results used only
//   inside the match (unless allowExternalUses()), so the rewrite may erase
//   it without changing anything else.
// - A capture name used twice must bind the same node or value both times.
// - commutative() tries operands 0 and 1 in both orders.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_REWRITE_DAGPATTERN_H
#define QLC_REWRITE_DAGPATTERN_H

#include "qlc/IR/Graph.h"

#include "llvm/ADT/Optional.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace qlc {

/// What a successful match binds.
struct MatchResult {
  Node *root = nullptr;
  llvm::StringMap<Node *> nodes;
  llvm::StringMap<Value *> values;
  /// Every matched node, root first.
  llvm::SmallVector<Node *, 8> matchedNodes;

  Node *getNode(llvm::StringRef name) const { return nodes.lookup(name); }
  Value *getValue(llvm::StringRef name) const { return values.lookup(name); }
  /// The initializer constant captured as `name`, or null.
  const Tensor *getConstant(llvm::StringRef name) const;
};

using NodePredicate = std::function<bool(const Node &)>;
using ValuePredicate = std::function<bool(const Value &)>;

class OpPattern;

/// Matches one operand value.
class ValuePattern {
public:
  enum class Kind { Any, Constant, Produced };

  ValuePattern() = default;
  /// A value produced by a node matching `producer`.
  ValuePattern(const OpPattern &producer);

  /// Captures the value under `name`.
  ValuePattern &as(llvm::StringRef name);
  ValuePattern &where(ValuePredicate predicate, llvm::StringRef what = "");
  /// The operand may also be omitted (or past the end of the operands).
  ValuePattern &orAbsent();

  Kind kind = Kind::Any;
  bool optional = false;
  std::string captureName;
  std::shared_ptr<OpPattern> producer;
  std::vector<ValuePredicate> predicates;
  std::vector<std::string> predicateNames;
};

/// Matches one node.
class OpPattern {
public:
  OpPattern() = default;

  /// Captures the node under `name`; its first result is also captured
  /// as a value under the same name.
  OpPattern &as(llvm::StringRef name);
  /// The op must be one of `types`; empty means any op of the domain.
  OpPattern &opTypes(llvm::ArrayRef<std::string> types);
  OpPattern &inDomain(llvm::StringRef domain);
  /// Operand `i` must match `value` (an OpPattern converts implicitly).
  OpPattern &operand(unsigned i, ValuePattern value);
  OpPattern &exactOperands();
  OpPattern &commutative();
  OpPattern &allowExternalUses();
  /// The attribute must be present and equal to `value` (ints, floats,
  /// strings, and their lists compare by value).
  OpPattern &attrEquals(llvm::StringRef name, Attribute value);
  /// The attribute is absent or equal to `value`.
  OpPattern &attrEqualsOrAbsent(llvm::StringRef name, Attribute value);
  OpPattern &where(NodePredicate predicate, llvm::StringRef what = "");

  std::string captureName;
  llvm::SmallVector<std::string, 2> types;
  std::string domain;
  std::vector<std::pair<unsigned, ValuePattern>> operands;
  bool exact = false;
  bool isCommutative = false;
  bool externalUsesAllowed = false;
  std::vector<NodePredicate> predicates;
  std::vector<std::string> predicateNames;
};

/// Tries to match `pattern` rooted at `root`; fills `result` on success.
bool matchDag(const OpPattern &pattern, Node &root, MatchResult &result);

/// Builders for C++ patterns.
namespace pat {
OpPattern op(llvm::StringRef type, llvm::StringRef domain = "");
OpPattern op(std::initializer_list<const char *> types,
             llvm::StringRef domain = "");
ValuePattern any();
/// An initializer.
ValuePattern constant();
/// An initializer with one element.
ValuePattern scalarConstant();
} // namespace pat

} // namespace qlc

#endif // QLC_REWRITE_DAGPATTERN_H
