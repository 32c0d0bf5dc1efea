//===- Attribute.h - ONNX node attributes -----------------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Node attributes of every ONNX kind. Subgraphs, sparse tensors and type
// protos are kept opaque (serialized protobuf bytes) so that they round-trip
// unchanged without the IR depending on protobuf.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_IR_ATTRIBUTE_H
#define QLC_IR_ATTRIBUTE_H

#include "qlc/IR/Tensor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace qlc {

/// Numbered as ONNX's AttributeProto::AttributeType.
enum class AttrKind : int32_t {
  Undefined = 0,
  Float = 1,
  Int = 2,
  String = 3,
  Tensor = 4,
  Graph = 5,
  Floats = 6,
  Ints = 7,
  Strings = 8,
  Tensors = 9,
  Graphs = 10,
  SparseTensor = 11,
  SparseTensors = 12,
  TypeProto = 13,
  TypeProtos = 14,
};

llvm::StringRef getAttrKindName(AttrKind kind);

class Attribute {
public:
  Attribute() = default;
  static Attribute getFloat(float v);
  static Attribute getInt(int64_t v);
  static Attribute getString(llvm::StringRef v);
  static Attribute getTensor(Tensor v);
  static Attribute getFloats(llvm::ArrayRef<float> v);
  static Attribute getInts(llvm::ArrayRef<int64_t> v);
  static Attribute getStrings(llvm::ArrayRef<std::string> v);
  static Attribute getTensors(std::vector<Tensor> v);
  /// Graph, Graphs, SparseTensor(s), TypeProto(s): serialized protobuf bytes.
  static Attribute getOpaque(AttrKind kind, std::vector<std::string> blobs);

  AttrKind getKind() const { return kind; }
  bool isOpaque() const;

  float getFloatValue() const { return f; }
  int64_t getIntValue() const { return i; }
  const std::string &getStringValue() const { return s; }
  const Tensor &getTensorValue() const { return t; }
  llvm::ArrayRef<float> getFloatsValue() const { return floats; }
  llvm::ArrayRef<int64_t> getIntsValue() const { return ints; }
  llvm::ArrayRef<std::string> getStringsValue() const { return strings; }
  llvm::ArrayRef<Tensor> getTensorsValue() const { return tensors; }
  llvm::ArrayRef<std::string> getOpaqueValue() const { return opaque; }

  /// Reference to a function attribute (AttributeProto.ref_attr_name).
  std::string refAttrName;
  std::string docString;

  bool operator==(const Attribute &other) const;
  bool operator!=(const Attribute &other) const { return !(*this == other); }

private:
  AttrKind kind = AttrKind::Undefined;
  float f = 0;
  int64_t i = 0;
  std::string s;
  Tensor t;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::vector<Tensor> tensors;
  std::vector<std::string> opaque;
};

struct NamedAttribute {
  std::string name;
  Attribute value;
};

} // namespace qlc

#endif // QLC_IR_ATTRIBUTE_H
