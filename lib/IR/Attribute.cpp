//===- Attribute.cpp - ONNX node attributes -------------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/IR/Attribute.h"

#include <cstring>

using namespace qlc;

llvm::StringRef qlc::getAttrKindName(AttrKind kind) {
  switch (kind) {
  case AttrKind::Undefined:
    return "undefined";
  case AttrKind::Float:
    return "float";
  case AttrKind::Int:
    return "int";
  case AttrKind::String:
    return "string";
  case AttrKind::Tensor:
    return "tensor";
  case AttrKind::Graph:
    return "graph";
  case AttrKind::Floats:
    return "floats";
  case AttrKind::Ints:
    return "ints";
  case AttrKind::Strings:
    return "strings";
  case AttrKind::Tensors:
    return "tensors";
  case AttrKind::Graphs:
    return "graphs";
  case AttrKind::SparseTensor:
    return "sparse_tensor";
  case AttrKind::SparseTensors:
    return "sparse_tensors";
  case AttrKind::TypeProto:
    return "type_proto";
  case AttrKind::TypeProtos:
    return "type_protos";
  }
  return "undefined";
}

Attribute Attribute::getFloat(float v) {
  Attribute a;
  a.kind = AttrKind::Float;
  a.f = v;
  return a;
}

Attribute Attribute::getInt(int64_t v) {
  Attribute a;
  a.kind = AttrKind::Int;
  a.i = v;
  return a;
}

Attribute Attribute::getString(llvm::StringRef v) {
  Attribute a;
  a.kind = AttrKind::String;
  a.s = v.str();
  return a;
}

Attribute Attribute::getTensor(Tensor v) {
  Attribute a;
  a.kind = AttrKind::Tensor;
  a.t = std::move(v);
  return a;
}

Attribute Attribute::getFloats(llvm::ArrayRef<float> v) {
  Attribute a;
  a.kind = AttrKind::Floats;
  a.floats.assign(v.begin(), v.end());
  return a;
}

Attribute Attribute::getInts(llvm::ArrayRef<int64_t> v) {
  Attribute a;
  a.kind = AttrKind::Ints;
  a.ints.assign(v.begin(), v.end());
  return a;
}

Attribute Attribute::getStrings(llvm::ArrayRef<std::string> v) {
  Attribute a;
  a.kind = AttrKind::Strings;
  a.strings.assign(v.begin(), v.end());
  return a;
}

Attribute Attribute::getTensors(std::vector<Tensor> v) {
  Attribute a;
  a.kind = AttrKind::Tensors;
  a.tensors = std::move(v);
  return a;
}

Attribute Attribute::getOpaque(AttrKind kind, std::vector<std::string> blobs) {
  Attribute a;
  a.kind = kind;
  a.opaque = std::move(blobs);
  assert(a.isOpaque() && "not an opaque attribute kind");
  return a;
}

bool Attribute::isOpaque() const {
  switch (kind) {
  case AttrKind::Graph:
  case AttrKind::Graphs:
  case AttrKind::SparseTensor:
  case AttrKind::SparseTensors:
  case AttrKind::TypeProto:
  case AttrKind::TypeProtos:
    return true;
  default:
    return false;
  }
}

bool Attribute::operator==(const Attribute &o) const {
  if (kind != o.kind || refAttrName != o.refAttrName)
    return false;
  auto sameTensors = [](llvm::ArrayRef<Tensor> a, llvm::ArrayRef<Tensor> b) {
    if (a.size() != b.size())
      return false;
    for (size_t k = 0; k < a.size(); ++k)
      if (!a[k].isIdenticalTo(b[k]))
        return false;
    return true;
  };
  switch (kind) {
  case AttrKind::Float:
    return std::memcmp(&f, &o.f, sizeof(f)) == 0;
  case AttrKind::Int:
    return i == o.i;
  case AttrKind::String:
    return s == o.s;
  case AttrKind::Tensor:
    return t.isIdenticalTo(o.t);
  case AttrKind::Floats:
    return floats.size() == o.floats.size() &&
           (floats.empty() || std::memcmp(floats.data(), o.floats.data(),
                                          floats.size() * sizeof(float)) == 0);
  case AttrKind::Ints:
    return ints == o.ints;
  case AttrKind::Strings:
    return strings == o.strings;
  case AttrKind::Tensors:
    return sameTensors(tensors, o.tensors);
  default:
    return opaque == o.opaque;
  }
}
