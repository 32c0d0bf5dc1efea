//===- Canonicalize.cpp - Canonical form of opaque protobuf messages ------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Subgraphs, model functions, sparse tensors and type protos are kept in the
// IR as serialized bytes. Two writers of the same subgraph differ in details
// that do not change its meaning: tensor values in float_data or raw_data,
// optional strings set to "" or unset, attribute kinds written or implied.
// Canonicalizing before serializing makes equal content give equal bytes, so
// a model read from text and from binary compares equal, and validates every
// tensor inside (sizes, types, external data) at import time.
//
//===----------------------------------------------------------------------===//

#include "ProtoConversion.h"

#include "qlc/Support/Error.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

using namespace qlc;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

/// Numeric data goes to raw_data, read from external files if needed.
static llvm::Error canonicalizeTensor(onnx::TensorProto &t,
                                      llvm::StringRef baseDir) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    if (llvm::Error err = onnxio::inlineExternalData(t, baseDir))
      return err;
  if (t.data_type() == onnx::TensorProto::STRING || t.has_raw_data())
    return llvm::Error::success();
  onnx::TensorProto copy = t;
  llvm::Expected<Tensor> tensor = onnxio::tensorFromProto(copy, baseDir);
  if (!tensor)
    return tensor.takeError();
  t.clear_float_data();
  t.clear_int32_data();
  t.clear_int64_data();
  t.clear_double_data();
  t.clear_uint64_data();
  if (tensor->getByteSize() != 0)
    t.set_raw_data(tensor->getRawData(), tensor->getByteSize());
  return llvm::Error::success();
}

llvm::Error onnxio::canonicalizeProto(Message &msg, llvm::StringRef baseDir) {
  const google::protobuf::Descriptor *desc = msg.GetDescriptor();
  // The generated classes are the dynamic types here, so the casts are safe.
  if (desc == onnx::TensorProto::descriptor()) {
    if (llvm::Error err =
            canonicalizeTensor(static_cast<onnx::TensorProto &>(msg), baseDir))
      return err;
  } else if (desc == onnx::AttributeProto::descriptor()) {
    auto &attr = static_cast<onnx::AttributeProto &>(msg);
    if (attr.type() == onnx::AttributeProto::UNDEFINED)
      attr.set_type(inferAttributeType(attr));
  }
  const Reflection *refl = msg.GetReflection();
  std::vector<const FieldDescriptor *> fields;
  refl->ListFields(msg, &fields);
  for (const FieldDescriptor *field : fields) {
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (!field->is_repeated()) {
        if (llvm::Error err =
                canonicalizeProto(*refl->MutableMessage(&msg, field), baseDir))
          return err;
        continue;
      }
      for (int i = 0, e = refl->FieldSize(msg, field); i < e; ++i)
        if (llvm::Error err = canonicalizeProto(
                *refl->MutableRepeatedMessage(&msg, field, i), baseDir))
          return err;
      continue;
    }
    // An optional string set to "" means the same as unset; oneof members
    // (TensorShapeProto's dim_param) keep their presence, which is meaning.
    if (!field->is_repeated() && !field->containing_oneof() &&
        field->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
        refl->GetString(msg, field).empty())
      refl->ClearField(&msg, field);
  }
  return llvm::Error::success();
}
