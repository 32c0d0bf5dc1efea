//===- IntegerOps.cpp - qlc.Requant and qlc.EpsTunnel attributes ----------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Attribute access and validation of the fake-to-true ops, shared by the
// F2T passes, the lowerings and the interpreter's kernels.
//
//===----------------------------------------------------------------------===//

#include "qlc/Quant/IntegerOps.h"
#include "qlc/Quant/FakeQuantOp.h"

#include "qlc/Support/Error.h"

#include <limits>

using namespace qlc;

bool qlc::isRequant(const Node &node) {
  return node.getOpType() == kRequantOpName && node.getDomain() == kQlcDomain;
}

bool qlc::isEpsTunnel(const Node &node) {
  return node.getOpType() == kEpsTunnelOpName && node.getDomain() == kQlcDomain;
}

bool qlc::isRequantType(ElementType t) {
  switch (t) {
  case ElementType::Int8:
  case ElementType::UInt8:
  case ElementType::Int16:
  case ElementType::UInt16:
  case ElementType::Int32:
  case ElementType::Int64:
    return true;
  default:
    return false;
  }
}

static llvm::Expected<ElementType> readToAttr(const Node &node,
                                              ElementType dflt) {
  if (!node.hasAttr("to"))
    return dflt;
  int64_t code = node.getAttrInt("to", 0);
  auto type = static_cast<ElementType>(code);
  if (code <= 0 || code > kMaxElementType ||
      (!isRequantType(type) && type != ElementType::Float &&
       type != ElementType::Double))
    return makeNodeError(node, "attribute 'to' must be an integer type up to "
                               "64 bits, float or double, got " +
                                   llvm::Twine(code));
  return type;
}

llvm::Expected<RequantAttrs> qlc::readRequantAttrs(const Node &node) {
  RequantAttrs attrs;
  if (!node.hasAttr("shift") || !node.hasAttr("lo") || !node.hasAttr("hi") ||
      !node.hasAttr("to"))
    return makeNodeError(
        node, "attributes 'shift', 'lo', 'hi' and 'to' are required");
  attrs.shift = node.getAttrInt("shift", 0);
  attrs.lo = node.getAttrInt("lo", 0);
  attrs.hi = node.getAttrInt("hi", 0);
  llvm::Expected<ElementType> to = readToAttr(node, ElementType::Undefined);
  if (!to)
    return to.takeError();
  attrs.to = *to;
  if (attrs.shift < 0 || attrs.shift > 62)
    return makeNodeError(node, "shift must be in 0..62, got " +
                                   llvm::Twine(attrs.shift));
  if (!isRequantType(attrs.to))
    return makeNodeError(node, "'to' must be an integer type");
  auto [tlo, thi] = integerTypeRange(attrs.to);
  if (attrs.lo > attrs.hi || attrs.lo < tlo || attrs.hi > thi)
    return makeNodeError(node, "clip range [" + llvm::Twine(attrs.lo) + ", " +
                                   llvm::Twine(attrs.hi) +
                                   "] is empty or "
                                   "does not fit the output type");
  return attrs;
}

void qlc::writeRequantAttrs(Node &node, const RequantAttrs &attrs) {
  node.setAttr("shift", Attribute::getInt(attrs.shift));
  node.setAttr("lo", Attribute::getInt(attrs.lo));
  node.setAttr("hi", Attribute::getInt(attrs.hi));
  node.setAttr("to", Attribute::getInt(static_cast<int64_t>(attrs.to)));
}

llvm::Expected<ElementType> qlc::readEpsTunnelType(const Node &node) {
  return readToAttr(node, ElementType::Float);
}

ElementType qlc::integerTypeForGrid(const QuantGrid &grid) {
  int64_t lo = grid.zero, hi = grid.zero + grid.nLevels - 1;
  for (ElementType t : {ElementType::UInt8, ElementType::Int8,
                        ElementType::UInt16, ElementType::Int16}) {
    auto [tlo, thi] = integerTypeRange(t);
    if (lo >= tlo && hi <= thi)
      return t;
  }
  return ElementType::Int32;
}

std::pair<int64_t, int64_t> qlc::integerTypeRange(ElementType type) {
  switch (type) {
  case ElementType::UInt8:
    return {0, 255};
  case ElementType::Int8:
    return {-128, 127};
  case ElementType::UInt16:
    return {0, 65535};
  case ElementType::Int16:
    return {-32768, 32767};
  case ElementType::Int32:
    return {std::numeric_limits<int32_t>::min(),
            std::numeric_limits<int32_t>::max()};
  default:
    return {std::numeric_limits<int64_t>::min(),
            std::numeric_limits<int64_t>::max()};
  }
}
