//===- Type.cpp - Tensor types with symbolic dimensions -------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/IR/Type.h"

using namespace qlc;

TensorType::TensorType(ElementType elem, llvm::ArrayRef<int64_t> shape)
    : elem(elem) {
  setShape(shape);
}

TensorType::TensorType(ElementType elem, llvm::ArrayRef<Dim> d) : elem(elem) {
  setDims(d);
}

llvm::Optional<llvm::SmallVector<int64_t, 4>>
TensorType::getStaticShape() const {
  if (!rankKnown)
    return llvm::None;
  llvm::SmallVector<int64_t, 4> shape;
  for (const Dim &d : dims) {
    if (!d.isKnown())
      return llvm::None;
    shape.push_back(d.size);
  }
  return shape;
}

void TensorType::setDims(llvm::ArrayRef<Dim> d) {
  rankKnown = true;
  dims.assign(d.begin(), d.end());
}

void TensorType::setShape(llvm::ArrayRef<int64_t> shape) {
  rankKnown = true;
  dims.clear();
  for (int64_t s : shape)
    dims.push_back(s >= 0 ? Dim::known(s) : Dim::unknown());
}

void TensorType::clearShape() {
  rankKnown = false;
  dims.clear();
}

bool TensorType::admitsShape(llvm::ArrayRef<int64_t> shape) const {
  if (!rankKnown)
    return true;
  if (dims.size() != shape.size())
    return false;
  for (size_t d = 0; d < shape.size(); ++d)
    if (dims[d].isKnown() && dims[d].size != shape[d])
      return false;
  return true;
}

std::string TensorType::str() const {
  std::string s = getElementTypeName(elem).str();
  if (!rankKnown)
    return s;
  s += "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i)
      s += ",";
    if (dims[i].isKnown())
      s += std::to_string(dims[i].size);
    else if (!dims[i].symbol.empty())
      s += dims[i].symbol;
    else
      s += "?";
  }
  return s + "]";
}
