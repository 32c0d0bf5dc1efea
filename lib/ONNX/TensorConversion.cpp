//===- TensorConversion.cpp - TensorProto/TypeProto <-> IR ----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Converts tensors and tensor types between ONNX protobuf and the IR. On
// import, raw_data is released from the proto and adopted as the tensor's
// shared storage (no copy); typed fields (float_data, int32_data holding
// 8/16-bit integers, bools and float16 bits, ...) are packed into
// little-endian bytes. Every size is validated against the shape before any
// IR object is built, so bad input yields an error instead of an assertion.
//
//===----------------------------------------------------------------------===//

#include "ProtoConversion.h"

#include "qlc/Support/Error.h"

#include "llvm/Support/Host.h"

#include <cstring>
#include <limits>

using namespace qlc;
using google::protobuf::RepeatedField;

static_assert(sizeof(float) == 4 && sizeof(double) == 8, "IEEE types needed");

static std::string tensorLabel(const onnx::TensorProto &proto) {
  return proto.name().empty() ? std::string("tensor")
                              : "tensor '" + proto.name() + "'";
}

/// Element count of `dims`, rejecting negative sizes and counts whose byte
/// size could not be addressed.
static llvm::Expected<int64_t>
getCheckedNumElements(const RepeatedField<int64_t> &dims,
                      const std::string &label) {
  int64_t n = 1;
  const int64_t limit = std::numeric_limits<int64_t>::max() / 16;
  for (int64_t d : dims) {
    if (d < 0)
      return makeError(label + " has a negative dimension " +
                       std::to_string(d));
    if (d != 0 && n > limit / d)
      return makeError(label + " is too large");
    n *= d;
  }
  return n;
}

/// Packs `src` into a byte string of `Dst` values (little-endian host).
template <typename Dst, typename Src>
static std::shared_ptr<std::string> pack(const RepeatedField<Src> &src) {
  auto bytes = std::make_shared<std::string>(src.size() * sizeof(Dst), '\0');
  char *out = &(*bytes)[0];
  for (int i = 0, e = src.size(); i < e; ++i) {
    Dst v = static_cast<Dst>(src.Get(i));
    std::memcpy(out + i * sizeof(Dst), &v, sizeof(Dst));
  }
  return bytes;
}

static std::shared_ptr<std::string>
packBools(const RepeatedField<int32_t> &src) {
  auto bytes = std::make_shared<std::string>(src.size(), '\0');
  for (int i = 0, e = src.size(); i < e; ++i)
    (*bytes)[i] = src.Get(i) != 0 ? 1 : 0;
  return bytes;
}

namespace {
/// Where a data type keeps its values when not in raw_data.
struct TypedField {
  const char *name;
  int size;
  std::shared_ptr<std::string> bytes;
};
} // namespace

static TypedField packTypedField(const onnx::TensorProto &p, ElementType t) {
  switch (t) {
  case ElementType::Float:
  case ElementType::Complex64:
    return {"float_data", p.float_data_size(), pack<float>(p.float_data())};
  case ElementType::Double:
  case ElementType::Complex128:
    return {"double_data", p.double_data_size(), pack<double>(p.double_data())};
  case ElementType::Int32:
    return {"int32_data", p.int32_data_size(), pack<int32_t>(p.int32_data())};
  case ElementType::Int16:
    return {"int32_data", p.int32_data_size(), pack<int16_t>(p.int32_data())};
  case ElementType::Int8:
    return {"int32_data", p.int32_data_size(), pack<int8_t>(p.int32_data())};
  case ElementType::UInt16:
  case ElementType::Float16:
  case ElementType::BFloat16:
    return {"int32_data", p.int32_data_size(), pack<uint16_t>(p.int32_data())};
  case ElementType::UInt8:
    return {"int32_data", p.int32_data_size(), pack<uint8_t>(p.int32_data())};
  case ElementType::Bool:
    return {"int32_data", p.int32_data_size(), packBools(p.int32_data())};
  case ElementType::Int64:
    return {"int64_data", p.int64_data_size(), pack<int64_t>(p.int64_data())};
  case ElementType::UInt32:
    return {"uint64_data", p.uint64_data_size(),
            pack<uint32_t>(p.uint64_data())};
  case ElementType::UInt64:
    return {"uint64_data", p.uint64_data_size(),
            pack<uint64_t>(p.uint64_data())};
  default:
    return {"", 0, nullptr};
  }
}

static bool isComplex(ElementType t) {
  return t == ElementType::Complex64 || t == ElementType::Complex128;
}

static llvm::Expected<ElementType> getElementType(int32_t dataType,
                                                  const std::string &label) {
  if (dataType <= 0 || dataType > kMaxElementType)
    return makeError(label + " has unsupported data type " +
                     std::to_string(dataType));
  return static_cast<ElementType>(dataType);
}

llvm::Expected<Tensor> onnxio::tensorFromProto(onnx::TensorProto &proto,
                                               llvm::StringRef baseDir) {
  static_assert(!llvm::sys::IsBigEndianHost,
                "qlc stores tensors in host order, which must be "
                "little-endian like ONNX's raw_data");
  std::string label = tensorLabel(proto);
  llvm::Expected<ElementType> type = getElementType(proto.data_type(), label);
  if (!type)
    return type.takeError();
  llvm::Expected<int64_t> n = getCheckedNumElements(proto.dims(), label);
  if (!n)
    return n.takeError();
  if (proto.has_segment())
    return makeError(label + " is segmented, which is not supported");
  Shape shape(proto.dims().begin(), proto.dims().end());

  if (proto.data_location() == onnx::TensorProto::EXTERNAL)
    if (llvm::Error err = inlineExternalData(proto, baseDir))
      return err;

  if (*type == ElementType::String) {
    if (proto.has_raw_data())
      return makeError(label + ": string tensors cannot use raw_data");
    if (proto.string_data_size() != *n)
      return makeError(label + " has " + std::to_string(*n) + " elements but " +
                       std::to_string(proto.string_data_size()) + " strings");
    std::vector<std::string> strings(
        std::make_move_iterator(proto.mutable_string_data()->begin()),
        std::make_move_iterator(proto.mutable_string_data()->end()));
    return Tensor::fromStrings(shape, std::move(strings));
  }

  size_t expectedBytes = static_cast<size_t>(*n) * getElementSize(*type);
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != expectedBytes)
      return makeError(label + " of type " + getElementTypeName(*type) +
                       formatShape(shape) + " needs " +
                       std::to_string(expectedBytes) + " bytes but raw_data " +
                       "has " + std::to_string(proto.raw_data().size()));
    // Adopt protobuf's heap string: no copy of the weights.
    std::shared_ptr<std::string> bytes(proto.release_raw_data());
    return Tensor(*type, shape, std::move(bytes));
  }

  TypedField field = packTypedField(proto, *type);
  int64_t expectedValues = *n * (isComplex(*type) ? 2 : 1);
  if (field.size != expectedValues)
    return makeError(label + " of type " + getElementTypeName(*type) +
                     formatShape(shape) + " needs " +
                     std::to_string(expectedValues) + " values but " +
                     field.name + " has " + std::to_string(field.size));
  return Tensor(*type, shape, std::move(field.bytes));
}

//===----------------------------------------------------------------------===//
// Sparse tensors
//===----------------------------------------------------------------------===//

/// Flat positions of the sparse values: indices are [NNZ] (already flat) or
/// [NNZ, rank] (coordinates).
static llvm::Expected<std::vector<int64_t>>
getFlatIndices(const Tensor &indices, llvm::ArrayRef<int64_t> dims, int64_t nnz,
               int64_t total) {
  if (indices.getElementType() != ElementType::Int64)
    return makeError("sparse tensor indices must be int64");
  std::vector<int64_t> raw = indices.toInt64s();
  std::vector<int64_t> flat;
  if (indices.getRank() == 1 && indices.getDim(0) == nnz) {
    flat = raw;
  } else if (indices.getRank() == 2 && indices.getDim(0) == nnz &&
             indices.getDim(1) == static_cast<int64_t>(dims.size())) {
    for (int64_t i = 0; i < nnz; ++i) {
      int64_t pos = 0;
      for (size_t d = 0; d < dims.size(); ++d) {
        int64_t c = raw[i * dims.size() + d];
        if (c < 0 || c >= dims[d])
          return makeError("sparse tensor index out of range");
        pos = pos * dims[d] + c;
      }
      flat.push_back(pos);
    }
  } else {
    return makeError("sparse tensor indices have shape " +
                     formatShape(indices.getShape()) + ", expected [" +
                     std::to_string(nnz) + "] or [" + std::to_string(nnz) +
                     ", " + std::to_string(dims.size()) + "]");
  }
  for (int64_t p : flat)
    if (p < 0 || p >= total)
      return makeError("sparse tensor index out of range");
  return flat;
}

llvm::Expected<Tensor>
onnxio::sparseTensorFromProto(onnx::SparseTensorProto &proto,
                              llvm::StringRef baseDir) {
  llvm::Expected<Tensor> values =
      tensorFromProto(*proto.mutable_values(), baseDir);
  if (!values)
    return values.takeError();
  std::string label = "sparse tensor '" + proto.values().name() + "'";
  llvm::Expected<int64_t> total = getCheckedNumElements(proto.dims(), label);
  if (!total)
    return total.takeError();
  if (values->getRank() != 1)
    return makeError(label + " values must have rank 1");
  int64_t nnz = values->getDim(0);
  Shape dims(proto.dims().begin(), proto.dims().end());
  Tensor indices;
  if (proto.has_indices()) {
    llvm::Expected<Tensor> idx =
        tensorFromProto(*proto.mutable_indices(), baseDir);
    if (!idx)
      return idx.takeError();
    indices = std::move(*idx);
  } else if (nnz != 0) {
    return makeError(label + " has values but no indices");
  }
  std::vector<int64_t> flat;
  if (nnz != 0) {
    llvm::Expected<std::vector<int64_t>> f =
        getFlatIndices(indices, dims, nnz, *total);
    if (!f)
      return addErrorContext(f.takeError(), label);
    flat = std::move(*f);
  }
  ElementType type = values->getElementType();
  if (type == ElementType::String) {
    std::vector<std::string> dense(static_cast<size_t>(*total));
    for (int64_t i = 0; i < nnz; ++i)
      dense[flat[i]] = values->getStrings()[i];
    return Tensor::fromStrings(dims, std::move(dense));
  }
  Tensor dense(type, dims);
  size_t elemSize = getElementSize(type);
  char *out = dense.getMutableRawData();
  for (int64_t i = 0; i < nnz; ++i)
    std::memcpy(out + flat[i] * elemSize, values->getRawData() + i * elemSize,
                elemSize);
  return dense;
}

//===----------------------------------------------------------------------===//
// Types and export
//===----------------------------------------------------------------------===//

static const char *getTypeCaseName(const onnx::TypeProto &type) {
  switch (type.value_case()) {
  case onnx::TypeProto::kSequenceType:
    return "a sequence";
  case onnx::TypeProto::kMapType:
    return "a map";
  case onnx::TypeProto::kOptionalType:
    return "an optional";
  case onnx::TypeProto::kSparseTensorType:
    return "a sparse tensor";
  default:
    return "a non-tensor";
  }
}

llvm::Expected<TensorType> onnxio::typeFromProto(const onnx::TypeProto &type,
                                                 llvm::StringRef what) {
  if (type.value_case() == onnx::TypeProto::VALUE_NOT_SET)
    return TensorType();
  if (!type.has_tensor_type())
    return makeError(what + " has " + getTypeCaseName(type) +
                     " type; only tensor types are supported");
  const onnx::TypeProto::Tensor &tt = type.tensor_type();
  int32_t elem = tt.elem_type();
  if (elem < 0 || elem > kMaxElementType)
    return makeError(what + " has unsupported element type " +
                     std::to_string(elem));
  TensorType result(static_cast<ElementType>(elem));
  if (!tt.has_shape())
    return result;
  llvm::SmallVector<Dim, 4> dims;
  for (const onnx::TensorShapeProto::Dimension &d : tt.shape().dim()) {
    if (d.has_dim_value() && d.dim_value() >= 0)
      dims.push_back(Dim::known(d.dim_value()));
    else if (d.has_dim_param() && !d.dim_param().empty())
      dims.push_back(Dim::symbolic(d.dim_param()));
    else
      dims.push_back(Dim::unknown());
  }
  result.setDims(dims);
  return result;
}

void onnxio::typeToProto(const TensorType &type, onnx::ValueInfoProto &info) {
  if (type.isUndefined())
    return;
  onnx::TypeProto::Tensor *tt = info.mutable_type()->mutable_tensor_type();
  if (type.getElementType() != ElementType::Undefined)
    tt->set_elem_type(static_cast<int32_t>(type.getElementType()));
  if (!type.hasRank())
    return;
  onnx::TensorShapeProto *shape = tt->mutable_shape();
  for (const Dim &d : type.getDims()) {
    onnx::TensorShapeProto::Dimension *pd = shape->add_dim();
    if (d.isKnown())
      pd->set_dim_value(d.size);
    else if (!d.symbol.empty())
      pd->set_dim_param(d.symbol);
  }
}

void onnxio::tensorToProto(const Tensor &tensor, onnx::TensorProto &proto,
                           bool withData) {
  proto.set_data_type(static_cast<int32_t>(tensor.getElementType()));
  for (int64_t d : tensor.getShape())
    proto.add_dims(d);
  if (!withData)
    return;
  if (tensor.getElementType() == ElementType::String) {
    for (const std::string &s : tensor.getStrings())
      proto.add_string_data(s);
    return;
  }
  if (tensor.getByteSize() != 0)
    proto.set_raw_data(tensor.getRawData(), tensor.getByteSize());
}
