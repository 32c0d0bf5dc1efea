//===- TensorProto.cpp - ONNX TensorProto files (.pb) ---------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Converts between onnx::TensorProto and qlc::Tensor. Data comes either from
// raw_data (little-endian bytes, adopted without a copy) or from the typed
// repeated field ONNX assigns to each data type: float_data (float,
// complex64), int32_data (every type of 16 bits or fewer, bool, float16 and
// bfloat16 as bit patterns), int64_data, uint64_data (uint32, uint64),
// double_data (double, complex128) and string_data. External data and
// segmented tensors are rejected.
//
//===----------------------------------------------------------------------===//

#include "qlc/ONNX/TensorProto.h"
#include "qlc/ONNX/Export.h"
#include "qlc/Support/Error.h"

#include "llvm/Support/MemoryBuffer.h"

#include <onnx/onnx_pb.h>

#include <cstring>

using namespace qlc;

namespace {
/// Copies `values` into `out`, converting each with a C cast.
template <typename T, typename Field>
void copyConverted(const Field &values, char *out) {
  for (int i = 0; i < values.size(); ++i) {
    T v = static_cast<T>(values.Get(i));
    std::memcpy(out + i * sizeof(T), &v, sizeof(T));
  }
}
} // namespace

/// Bytes of the tensor from its typed field; `count` values are expected
/// (elements, or twice that for complex types).
static llvm::Expected<std::string>
decodeTypedField(const onnx::TensorProto &proto, ElementType type,
                 int64_t numElements) {
  size_t elemSize = getElementSize(type);
  std::string bytes(static_cast<size_t>(numElements) * elemSize, '\0');
  char *out = &bytes[0];
  int64_t have = 0, want = numElements;
  llvm::StringRef field;
  switch (type) {
  case ElementType::Float:
  case ElementType::Complex64:
    field = "float_data";
    want *= type == ElementType::Complex64 ? 2 : 1;
    have = proto.float_data_size();
    if (have == want)
      copyConverted<float>(proto.float_data(), out);
    break;
  case ElementType::Double:
  case ElementType::Complex128:
    field = "double_data";
    want *= type == ElementType::Complex128 ? 2 : 1;
    have = proto.double_data_size();
    if (have == want)
      copyConverted<double>(proto.double_data(), out);
    break;
  case ElementType::Int64:
    field = "int64_data";
    have = proto.int64_data_size();
    if (have == want)
      copyConverted<int64_t>(proto.int64_data(), out);
    break;
  case ElementType::UInt32:
  case ElementType::UInt64:
    field = "uint64_data";
    have = proto.uint64_data_size();
    if (have == want) {
      if (type == ElementType::UInt32)
        copyConverted<uint32_t>(proto.uint64_data(), out);
      else
        copyConverted<uint64_t>(proto.uint64_data(), out);
    }
    break;
  default:
    field = "int32_data";
    have = proto.int32_data_size();
    if (have != want)
      break;
    if (elemSize == 4)
      copyConverted<int32_t>(proto.int32_data(), out);
    else if (elemSize == 2)
      copyConverted<uint16_t>(proto.int32_data(), out);
    else if (type == ElementType::Bool)
      for (int64_t i = 0; i < want; ++i)
        out[i] = proto.int32_data(static_cast<int>(i)) != 0;
    else
      copyConverted<uint8_t>(proto.int32_data(), out);
    break;
  }
  if (have != want)
    return makeError("tensor has " + llvm::Twine(have) + " values in " + field +
                     ", expected " + llvm::Twine(want));
  return bytes;
}

/// Builds a tensor from a parsed proto, consuming its raw_data.
static llvm::Expected<Tensor> convertProto(onnx::TensorProto &proto) {
  if (proto.data_location() == onnx::TensorProto::EXTERNAL)
    return makeError("external data is not supported in .pb tensor files");
  if (proto.has_segment())
    return makeError("segmented tensors are not supported");
  int32_t dt = proto.data_type();
  if (dt <= 0 || dt > kMaxElementType)
    return makeError("unsupported tensor data type " + llvm::Twine(dt));
  ElementType type = static_cast<ElementType>(dt);
  Shape shape;
  for (int64_t d : proto.dims()) {
    if (d < 0)
      return makeError("negative dimension " + llvm::Twine(d));
    shape.push_back(d);
  }
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d && n > (int64_t(1) << 40) / d)
      return makeError("tensor shape " + formatShape(shape) + " is too large");
    n *= d;
  }
  if (type == ElementType::String) {
    if (proto.has_raw_data())
      return makeError("string tensors cannot use raw_data");
    if (proto.string_data_size() != n)
      return makeError("tensor has " + llvm::Twine(proto.string_data_size()) +
                       " values in string_data, expected " + llvm::Twine(n));
    std::vector<std::string> strings(proto.string_data().begin(),
                                     proto.string_data().end());
    return Tensor::fromStrings(shape, std::move(strings));
  }
  if (proto.has_raw_data()) {
    uint64_t want = static_cast<uint64_t>(n) * getElementSize(type);
    if (proto.raw_data().size() != want)
      return makeError("raw_data has " +
                       llvm::Twine(uint64_t(proto.raw_data().size())) +
                       " bytes, expected " + llvm::Twine(want) + " for shape " +
                       formatShape(shape));
    auto bytes =
        std::make_shared<std::string>(std::move(*proto.mutable_raw_data()));
    if (type == ElementType::Bool)
      for (char &c : *bytes)
        c = c != 0;
    return Tensor(type, shape, std::move(bytes));
  }
  auto bytes = decodeTypedField(proto, type, n);
  if (!bytes)
    return bytes.takeError();
  return Tensor(type, shape, std::make_shared<std::string>(std::move(*bytes)));
}

llvm::Expected<NamedTensor> qlc::parseTensorProto(llvm::StringRef bytes) {
  onnx::TensorProto proto;
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return makeError("not a serialized ONNX TensorProto");
  auto tensor = convertProto(proto);
  if (!tensor)
    return tensor.takeError();
  return NamedTensor{proto.name(), std::move(*tensor)};
}

llvm::Expected<NamedTensor> qlc::readTensorProtoFile(llvm::StringRef path) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf)
    return makeError("cannot read file: " + buf.getError().message());
  return parseTensorProto((*buf)->getBuffer());
}

std::string qlc::serializeTensorProto(const Tensor &tensor,
                                      llvm::StringRef name) {
  onnx::TensorProto proto;
  proto.set_name(name.str());
  proto.set_data_type(static_cast<int32_t>(tensor.getElementType()));
  for (int64_t d : tensor.getShape())
    proto.add_dims(d);
  if (tensor.getElementType() == ElementType::String) {
    for (const std::string &s : tensor.getStrings())
      proto.add_string_data(s);
  } else {
    proto.set_raw_data(tensor.getRawData() ? tensor.getRawData() : "",
                       tensor.getByteSize());
  }
  return proto.SerializeAsString();
}

llvm::Error qlc::writeTensorProtoFile(llvm::StringRef path,
                                      const Tensor &tensor,
                                      llvm::StringRef name) {
  return writeFileAtomically(path, serializeTensorProto(tensor, name));
}
