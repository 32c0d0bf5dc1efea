//===- DagPattern.cpp - Declarative DAG matching on the qlc IR ------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Matching walks the pattern from the root towards the producers, binding
// captures as it goes. Commutative nodes retry with operands 0 and 1
// swapped from a snapshot of the bindings. Only after the whole DAG matched
// are the external-use rules checked, because which nodes belong to the
// match is known only then.
//
//===----------------------------------------------------------------------===//

#include "qlc/Rewrite/DagPattern.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace qlc;

const Tensor *MatchResult::getConstant(llvm::StringRef name) const {
  Value *v = getValue(name);
  return v ? v->getConstant() : nullptr;
}

ValuePattern::ValuePattern(const OpPattern &producerPattern)
    : kind(Kind::Produced),
      producer(std::make_shared<OpPattern>(producerPattern)) {}

ValuePattern &ValuePattern::as(llvm::StringRef name) {
  captureName = name.str();
  return *this;
}

ValuePattern &ValuePattern::where(ValuePredicate predicate,
                                  llvm::StringRef what) {
  predicates.push_back(std::move(predicate));
  predicateNames.push_back(what.str());
  return *this;
}

ValuePattern &ValuePattern::orAbsent() {
  optional = true;
  return *this;
}

OpPattern &OpPattern::as(llvm::StringRef name) {
  captureName = name.str();
  return *this;
}

OpPattern &OpPattern::opTypes(llvm::ArrayRef<std::string> newTypes) {
  types.assign(newTypes.begin(), newTypes.end());
  return *this;
}

OpPattern &OpPattern::inDomain(llvm::StringRef newDomain) {
  domain = newDomain.str();
  return *this;
}

OpPattern &OpPattern::operand(unsigned i, ValuePattern value) {
  operands.emplace_back(i, std::move(value));
  return *this;
}

OpPattern &OpPattern::exactOperands() {
  exact = true;
  return *this;
}

OpPattern &OpPattern::commutative() {
  isCommutative = true;
  return *this;
}

OpPattern &OpPattern::allowExternalUses() {
  externalUsesAllowed = true;
  return *this;
}

OpPattern &OpPattern::attrEquals(llvm::StringRef name, Attribute value) {
  std::string key = name.str();
  return where(
      [key, value](const Node &n) {
        const Attribute *a = n.getAttr(key);
        return a && *a == value;
      },
      "attribute " + key);
}

OpPattern &OpPattern::attrEqualsOrAbsent(llvm::StringRef name,
                                         Attribute value) {
  std::string key = name.str();
  return where(
      [key, value](const Node &n) {
        const Attribute *a = n.getAttr(key);
        return !a || *a == value;
      },
      "attribute " + key);
}

OpPattern &OpPattern::where(NodePredicate predicate, llvm::StringRef what) {
  predicates.push_back(std::move(predicate));
  predicateNames.push_back(what.str());
  return *this;
}

namespace {

class DagMatcher {
public:
  explicit DagMatcher(MatchResult &result) : result(result) {}

  bool matchOp(const OpPattern &pattern, Node &node, bool isRoot) {
    if (!admits(pattern, node))
      return false;
    if (!pattern.isCommutative || node.getNumInputs() < 2)
      return matchOperands(pattern, node, /*swapped=*/false) &&
             record(pattern, node, isRoot);
    MatchResult snapshot = result;
    size_t externalSize = mustBeInternal.size();
    if (matchOperands(pattern, node, false))
      return record(pattern, node, isRoot);
    result = std::move(snapshot);
    mustBeInternal.resize(externalSize);
    return matchOperands(pattern, node, true) && record(pattern, node, isRoot);
  }

  /// Matched nodes other than the root whose results must stay inside.
  bool checkExternalUses() const {
    llvm::SmallPtrSet<const Node *, 8> inside(result.matchedNodes.begin(),
                                              result.matchedNodes.end());
    for (const Node *n : mustBeInternal)
      for (const Value *r : n->getResults()) {
        if (r->isGraphOutput())
          return false;
        for (const Use &u : r->getUses())
          if (!inside.count(u.user))
            return false;
      }
    return true;
  }

private:
  static bool admits(const OpPattern &pattern, const Node &node) {
    if (!pattern.types.empty() &&
        !llvm::is_contained(pattern.types, node.getOpType()))
      return false;
    bool domainOk = pattern.domain.empty() ? node.isOnnxDomain()
                                           : node.getDomain() == pattern.domain;
    if (!domainOk)
      return false;
    if (pattern.exact) {
      unsigned expected = 0;
      for (const auto &[index, value] : pattern.operands)
        expected = std::max(expected, index + 1);
      if (node.getNumInputs() != expected)
        return false;
    }
    return llvm::all_of(pattern.predicates,
                        [&](const NodePredicate &p) { return p(node); });
  }

  bool matchOperands(const OpPattern &pattern, Node &node, bool swapped) {
    for (const auto &[index, value] : pattern.operands) {
      unsigned i = index;
      if (swapped && i < 2)
        i = 1 - i;
      if (!matchValue(value, node.getOptionalInput(i)))
        return false;
    }
    return true;
  }

  bool matchValue(const ValuePattern &pattern, Value *value) {
    if (!value)
      return pattern.optional;
    switch (pattern.kind) {
    case ValuePattern::Kind::Any:
      break;
    case ValuePattern::Kind::Constant:
      if (!value->isInitializer() || value->isListedAsInput())
        return false;
      break;
    case ValuePattern::Kind::Produced: {
      Node *producer = value->getDefiningNode();
      if (!producer || !matchOp(*pattern.producer, *producer, false))
        return false;
      break;
    }
    }
    if (!llvm::all_of(pattern.predicates,
                      [&](const ValuePredicate &p) { return p(*value); }))
      return false;
    return bindValue(pattern.captureName, value);
  }

  bool record(const OpPattern &pattern, Node &node, bool isRoot) {
    if (!pattern.captureName.empty()) {
      Node *&slot = result.nodes[pattern.captureName];
      if (slot && slot != &node)
        return false;
      slot = &node;
      if (node.getNumResults() &&
          !bindValue(pattern.captureName, node.getResult(0)))
        return false;
    }
    if (!llvm::is_contained(result.matchedNodes, &node))
      result.matchedNodes.push_back(&node);
    if (!isRoot && !pattern.externalUsesAllowed)
      mustBeInternal.push_back(&node);
    return true;
  }

  bool bindValue(const std::string &name, Value *value) {
    if (name.empty())
      return true;
    Value *&slot = result.values[name];
    if (slot && slot != value)
      return false;
    slot = value;
    return true;
  }

  MatchResult &result;
  llvm::SmallVector<const Node *, 8> mustBeInternal;
};

} // namespace

bool qlc::matchDag(const OpPattern &pattern, Node &root, MatchResult &result) {
  result = MatchResult();
  result.root = &root;
  DagMatcher matcher(result);
  if (!matcher.matchOp(pattern, root, /*isRoot=*/true) ||
      !matcher.checkExternalUses()) {
    result = MatchResult();
    return false;
  }
  // The root first, whatever order the recursion recorded.
  auto it = llvm::find(result.matchedNodes, &root);
  std::rotate(result.matchedNodes.begin(), it, it + 1);
  return true;
}

OpPattern qlc::pat::op(llvm::StringRef type, llvm::StringRef domain) {
  OpPattern p;
  p.types.push_back(type.str());
  p.domain = domain.str();
  return p;
}

OpPattern qlc::pat::op(std::initializer_list<const char *> types,
                       llvm::StringRef domain) {
  OpPattern p;
  for (const char *t : types)
    p.types.push_back(t);
  p.domain = domain.str();
  return p;
}

ValuePattern qlc::pat::any() { return ValuePattern(); }

ValuePattern qlc::pat::constant() {
  ValuePattern p;
  p.kind = ValuePattern::Kind::Constant;
  return p;
}

ValuePattern qlc::pat::scalarConstant() {
  ValuePattern p = constant();
  p.where(
      [](const Value &v) {
        return v.getConstant() && v.getConstant()->getNumElements() == 1;
      },
      "one element");
  return p;
}
