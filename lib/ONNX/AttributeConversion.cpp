//===- AttributeConversion.cpp - AttributeProto <-> IR Attribute ----------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Converts node attributes of every ONNX kind. Numbers, strings and tensors
// become IR values; graphs, sparse tensors and type protos stay opaque as
// deterministic serialized bytes (external data inside subgraphs is inlined
// first). Attributes written without a type (very old models) get the kind
// of the one value field they set.
//
//===----------------------------------------------------------------------===//

#include "ProtoConversion.h"

#include "qlc/Support/Error.h"

using namespace qlc;
using AP = onnx::AttributeProto;

/// The kind of an attribute whose type field is UNDEFINED, from the value
/// field it sets (as ONNX's own helpers do for IR version 1 models).
AP::AttributeType onnxio::inferAttributeType(const AP &a) {
  if (a.has_f())
    return AP::FLOAT;
  if (a.has_i())
    return AP::INT;
  if (a.has_s())
    return AP::STRING;
  if (a.has_t())
    return AP::TENSOR;
  if (a.has_g())
    return AP::GRAPH;
  if (a.has_sparse_tensor())
    return AP::SPARSE_TENSOR;
  if (a.has_tp())
    return AP::TYPE_PROTO;
  if (a.floats_size())
    return AP::FLOATS;
  if (a.ints_size())
    return AP::INTS;
  if (a.strings_size())
    return AP::STRINGS;
  if (a.tensors_size())
    return AP::TENSORS;
  if (a.graphs_size())
    return AP::GRAPHS;
  if (a.sparse_tensors_size())
    return AP::SPARSE_TENSORS;
  if (a.type_protos_size())
    return AP::TYPE_PROTOS;
  return AP::UNDEFINED;
}

/// An opaque attribute: the canonical serialization of `msg`.
static llvm::Expected<Attribute>
opaque(AttrKind kind, google::protobuf::Message *msg, llvm::StringRef baseDir) {
  if (llvm::Error err = onnxio::canonicalizeProto(*msg, baseDir))
    return err;
  return Attribute::getOpaque(kind, {onnxio::serializeDeterministic(*msg)});
}

template <typename Msg>
static llvm::Expected<Attribute>
opaqueList(AttrKind kind, google::protobuf::RepeatedPtrField<Msg> &msgs,
           llvm::StringRef baseDir) {
  std::vector<std::string> blobs;
  for (Msg &m : msgs) {
    if (llvm::Error err = onnxio::canonicalizeProto(m, baseDir))
      return err;
    blobs.push_back(onnxio::serializeDeterministic(m));
  }
  return Attribute::getOpaque(kind, std::move(blobs));
}

static llvm::Expected<Attribute> convertValue(AP &a, AP::AttributeType type,
                                              llvm::StringRef baseDir) {
  switch (type) {
  case AP::FLOAT:
    return Attribute::getFloat(a.f());
  case AP::INT:
    return Attribute::getInt(a.i());
  case AP::STRING:
    return Attribute::getString(a.s());
  case AP::FLOATS:
    return Attribute::getFloats(
        llvm::ArrayRef<float>(a.floats().data(), a.floats_size()));
  case AP::INTS:
    return Attribute::getInts(
        llvm::ArrayRef<int64_t>(a.ints().data(), a.ints_size()));
  case AP::STRINGS:
    return Attribute::getStrings(
        std::vector<std::string>(a.strings().begin(), a.strings().end()));
  case AP::TENSOR: {
    llvm::Expected<Tensor> t = onnxio::tensorFromProto(*a.mutable_t(), baseDir);
    if (!t)
      return t.takeError();
    return Attribute::getTensor(std::move(*t));
  }
  case AP::TENSORS: {
    std::vector<Tensor> tensors;
    for (onnx::TensorProto &tp : *a.mutable_tensors()) {
      llvm::Expected<Tensor> t = onnxio::tensorFromProto(tp, baseDir);
      if (!t)
        return t.takeError();
      tensors.push_back(std::move(*t));
    }
    return Attribute::getTensors(std::move(tensors));
  }
  case AP::GRAPH:
    return opaque(AttrKind::Graph, a.mutable_g(), baseDir);
  case AP::GRAPHS:
    return opaqueList(AttrKind::Graphs, *a.mutable_graphs(), baseDir);
  case AP::SPARSE_TENSOR:
    return opaque(AttrKind::SparseTensor, a.mutable_sparse_tensor(), baseDir);
  case AP::SPARSE_TENSORS:
    return opaqueList(AttrKind::SparseTensors, *a.mutable_sparse_tensors(),
                      baseDir);
  case AP::TYPE_PROTO:
    return opaque(AttrKind::TypeProto, a.mutable_tp(), baseDir);
  case AP::TYPE_PROTOS:
    return opaqueList(AttrKind::TypeProtos, *a.mutable_type_protos(), baseDir);
  default:
    return makeError("unsupported attribute type " + std::to_string(type));
  }
}

llvm::Expected<NamedAttribute>
onnxio::attributeFromProto(AP &proto, llvm::StringRef baseDir) {
  if (proto.name().empty())
    return makeError("attribute with an empty name");
  AP::AttributeType type = proto.type();
  if (type == AP::UNDEFINED)
    type = onnxio::inferAttributeType(proto);
  NamedAttribute result{proto.name(), Attribute()};
  if (type != AP::UNDEFINED) {
    llvm::Expected<Attribute> value = convertValue(proto, type, baseDir);
    if (!value)
      return addErrorContext(value.takeError(),
                             "attribute '" + proto.name() + "'");
    result.value = std::move(*value);
  } else if (proto.ref_attr_name().empty()) {
    return makeError("attribute '" + proto.name() + "' has no value");
  }
  result.value.refAttrName = proto.ref_attr_name();
  result.value.docString = proto.doc_string();
  return result;
}

/// Parses an opaque blob back into its message.
template <typename Msg>
static llvm::Error parseBlob(const std::string &blob, Msg &msg,
                             const std::string &attrName) {
  if (!msg.ParseFromString(blob))
    return makeError("attribute '" + attrName + "' holds corrupt " +
                     "serialized " + msg.GetTypeName());
  return llvm::Error::success();
}

template <typename Msg>
static llvm::Error parseBlobs(llvm::ArrayRef<std::string> blobs,
                              google::protobuf::RepeatedPtrField<Msg> &out,
                              const std::string &attrName) {
  for (const std::string &blob : blobs)
    if (llvm::Error err = parseBlob(blob, *out.Add(), attrName))
      return err;
  return llvm::Error::success();
}

static llvm::Error setOpaque(const Attribute &a, AP &p,
                             const std::string &name) {
  llvm::ArrayRef<std::string> blobs = a.getOpaqueValue();
  bool single = a.getKind() == AttrKind::Graph ||
                a.getKind() == AttrKind::SparseTensor ||
                a.getKind() == AttrKind::TypeProto;
  if (single && blobs.size() != 1)
    return makeError("attribute '" + name + "' holds " +
                     std::to_string(blobs.size()) + " values, expected one");
  switch (a.getKind()) {
  case AttrKind::Graph:
    return parseBlob(blobs[0], *p.mutable_g(), name);
  case AttrKind::SparseTensor:
    return parseBlob(blobs[0], *p.mutable_sparse_tensor(), name);
  case AttrKind::TypeProto:
    return parseBlob(blobs[0], *p.mutable_tp(), name);
  case AttrKind::Graphs:
    return parseBlobs(blobs, *p.mutable_graphs(), name);
  case AttrKind::SparseTensors:
    return parseBlobs(blobs, *p.mutable_sparse_tensors(), name);
  case AttrKind::TypeProtos:
    return parseBlobs(blobs, *p.mutable_type_protos(), name);
  default:
    return makeError("attribute '" + name + "' is not opaque");
  }
}

llvm::Error onnxio::attributeToProto(const NamedAttribute &named, AP &proto) {
  const Attribute &a = named.value;
  proto.set_name(named.name);
  if (!a.refAttrName.empty())
    proto.set_ref_attr_name(a.refAttrName);
  if (!a.docString.empty())
    proto.set_doc_string(a.docString);
  if (a.getKind() == AttrKind::Undefined)
    return llvm::Error::success();
  proto.set_type(static_cast<AP::AttributeType>(a.getKind()));
  switch (a.getKind()) {
  case AttrKind::Float:
    proto.set_f(a.getFloatValue());
    break;
  case AttrKind::Int:
    proto.set_i(a.getIntValue());
    break;
  case AttrKind::String:
    proto.set_s(a.getStringValue());
    break;
  case AttrKind::Floats:
    proto.mutable_floats()->Add(a.getFloatsValue().begin(),
                                a.getFloatsValue().end());
    break;
  case AttrKind::Ints:
    proto.mutable_ints()->Add(a.getIntsValue().begin(), a.getIntsValue().end());
    break;
  case AttrKind::Strings:
    for (const std::string &s : a.getStringsValue())
      proto.add_strings(s);
    break;
  case AttrKind::Tensor:
    tensorToProto(a.getTensorValue(), *proto.mutable_t(), /*withData=*/true);
    break;
  case AttrKind::Tensors:
    for (const Tensor &t : a.getTensorsValue())
      tensorToProto(t, *proto.add_tensors(), /*withData=*/true);
    break;
  default:
    return setOpaque(a, proto, named.name);
  }
  return llvm::Error::success();
}
