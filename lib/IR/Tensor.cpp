//===- Tensor.cpp - Dense constant and runtime tensors --------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/IR/Tensor.h"

#include "llvm/Support/ErrorHandling.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace qlc;

int64_t qlc::getNumElements(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string qlc::formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

Tensor::Tensor(ElementType type, llvm::ArrayRef<int64_t> shape)
    : type(type), shape(shape.begin(), shape.end()) {
  if (type == ElementType::String) {
    strings = std::make_shared<std::vector<std::string>>(
        static_cast<size_t>(getNumElements()));
    return;
  }
  size_t n = static_cast<size_t>(getNumElements()) * getElementSize(type);
  if (BufferPool *pool = BufferPool::getCurrent()) {
    bool recycled = false;
    bytes = pool->acquire(n, &recycled);
    if (recycled)
      std::fill(bytes->begin(), bytes->end(), '\0');
    return;
  }
  bytes = std::make_shared<std::string>(n, '\0');
}

Tensor Tensor::uninitialized(ElementType type, llvm::ArrayRef<int64_t> shape) {
  BufferPool *pool = BufferPool::getCurrent();
  if (type == ElementType::String || !pool)
    return Tensor(type, shape);
  Tensor t;
  t.type = type;
  t.shape.assign(shape.begin(), shape.end());
  t.bytes = pool->acquire(static_cast<size_t>(t.getNumElements()) *
                          getElementSize(type));
  return t;
}

void Tensor::recycleInto(BufferPool &pool) {
  std::shared_ptr<std::string> storage = std::move(bytes);
  *this = Tensor();
  pool.recycle(std::move(storage));
}

Tensor::Tensor(ElementType type, llvm::ArrayRef<int64_t> shape,
               std::shared_ptr<std::string> data)
    : type(type), shape(shape.begin(), shape.end()), bytes(std::move(data)) {
  assert(bytes &&
         bytes->size() ==
             static_cast<size_t>(getNumElements()) * getElementSize(type) &&
         "byte size does not match the shape");
}

Tensor Tensor::fromStrings(llvm::ArrayRef<int64_t> shape,
                           std::vector<std::string> values) {
  Tensor t;
  t.type = ElementType::String;
  t.shape.assign(shape.begin(), shape.end());
  assert(static_cast<int64_t>(values.size()) == t.getNumElements());
  t.strings = std::make_shared<std::vector<std::string>>(std::move(values));
  return t;
}

void Tensor::reshape(llvm::ArrayRef<int64_t> newShape) {
  assert(qlc::getNumElements(newShape) == getNumElements() &&
         "reshape must keep the element count");
  shape.assign(newShape.begin(), newShape.end());
}

char *Tensor::getMutableRawData() {
  if (!bytes)
    return nullptr;
  if (bytes.use_count() > 1)
    bytes = std::make_shared<std::string>(*bytes);
  return &(*bytes)[0];
}

const std::vector<std::string> &Tensor::getStrings() const {
  static const std::vector<std::string> empty;
  return strings ? *strings : empty;
}

namespace {
template <typename T> T load(const char *data, int64_t i) {
  T v;
  std::memcpy(&v, data + i * sizeof(T), sizeof(T));
  return v;
}
template <typename T> void store(char *data, int64_t i, T v) {
  std::memcpy(data + i * sizeof(T), &v, sizeof(T));
}

/// Converts a double to an integer type without undefined behaviour:
/// NaN becomes 0 and out-of-range values saturate.
template <typename T> T saturatingCast(double v) {
  if (std::isnan(v))
    return 0;
  double lo = static_cast<double>(std::numeric_limits<T>::lowest());
  double hi = static_cast<double>(std::numeric_limits<T>::max());
  if (v <= lo)
    return std::numeric_limits<T>::lowest();
  if (v >= hi)
    return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}
} // namespace

double Tensor::getAsDouble(int64_t i) const {
  const char *d = getRawData();
  switch (type) {
  case ElementType::Float:
    return load<float>(d, i);
  case ElementType::Double:
    return load<double>(d, i);
  case ElementType::Float16:
    return halfToFloat(load<uint16_t>(d, i));
  case ElementType::BFloat16:
    return bfloat16ToFloat(load<uint16_t>(d, i));
  case ElementType::UInt8:
  case ElementType::Bool:
    return load<uint8_t>(d, i);
  case ElementType::Int8:
    return load<int8_t>(d, i);
  case ElementType::UInt16:
    return load<uint16_t>(d, i);
  case ElementType::Int16:
    return load<int16_t>(d, i);
  case ElementType::Int32:
    return load<int32_t>(d, i);
  case ElementType::UInt32:
    return load<uint32_t>(d, i);
  case ElementType::Int64:
    return static_cast<double>(load<int64_t>(d, i));
  case ElementType::UInt64:
    return static_cast<double>(load<uint64_t>(d, i));
  default:
    llvm_unreachable("getAsDouble on a non-numeric tensor");
  }
}

int64_t Tensor::getAsInt64(int64_t i) const {
  const char *d = getRawData();
  switch (type) {
  case ElementType::UInt8:
  case ElementType::Bool:
    return load<uint8_t>(d, i);
  case ElementType::Int8:
    return load<int8_t>(d, i);
  case ElementType::UInt16:
    return load<uint16_t>(d, i);
  case ElementType::Int16:
    return load<int16_t>(d, i);
  case ElementType::Int32:
    return load<int32_t>(d, i);
  case ElementType::UInt32:
    return load<uint32_t>(d, i);
  case ElementType::Int64:
    return load<int64_t>(d, i);
  case ElementType::UInt64:
    return static_cast<int64_t>(load<uint64_t>(d, i));
  default:
    return saturatingCast<int64_t>(getAsDouble(i));
  }
}

std::vector<double> Tensor::toDoubles() const {
  std::vector<double> out(static_cast<size_t>(getNumElements()));
  for (int64_t i = 0, e = getNumElements(); i < e; ++i)
    out[i] = getAsDouble(i);
  return out;
}

std::vector<int64_t> Tensor::toInt64s() const {
  std::vector<int64_t> out(static_cast<size_t>(getNumElements()));
  for (int64_t i = 0, e = getNumElements(); i < e; ++i)
    out[i] = getAsInt64(i);
  return out;
}

void Tensor::setFromDouble(int64_t i, double v) {
  char *d = getMutableRawData();
  switch (type) {
  case ElementType::Float:
    return store<float>(d, i, static_cast<float>(v));
  case ElementType::Double:
    return store<double>(d, i, v);
  case ElementType::Float16:
    return store<uint16_t>(d, i, floatToHalf(static_cast<float>(v)));
  case ElementType::BFloat16:
    return store<uint16_t>(d, i, floatToBFloat16(static_cast<float>(v)));
  case ElementType::Bool:
    return store<uint8_t>(d, i, v != 0);
  case ElementType::UInt8:
    return store<uint8_t>(d, i, saturatingCast<uint8_t>(v));
  case ElementType::Int8:
    return store<int8_t>(d, i, saturatingCast<int8_t>(v));
  case ElementType::UInt16:
    return store<uint16_t>(d, i, saturatingCast<uint16_t>(v));
  case ElementType::Int16:
    return store<int16_t>(d, i, saturatingCast<int16_t>(v));
  case ElementType::Int32:
    return store<int32_t>(d, i, saturatingCast<int32_t>(v));
  case ElementType::UInt32:
    return store<uint32_t>(d, i, saturatingCast<uint32_t>(v));
  case ElementType::Int64:
    return store<int64_t>(d, i, saturatingCast<int64_t>(v));
  case ElementType::UInt64:
    return store<uint64_t>(d, i, saturatingCast<uint64_t>(v));
  default:
    llvm_unreachable("setFromDouble on a non-numeric tensor");
  }
}

Tensor Tensor::castTo(ElementType newType) const {
  if (newType == type)
    return *this;
  Tensor out(newType, shape);
  bool exactInts = isIntegerType(type) || type == ElementType::Bool;
  for (int64_t i = 0, e = getNumElements(); i < e; ++i) {
    // Integer-to-integer through int64 keeps 64-bit values exact.
    if (exactInts && (isIntegerType(newType) || newType == ElementType::Bool)) {
      int64_t v = getAsInt64(i);
      char *d = out.getMutableRawData();
      switch (newType) {
      case ElementType::Bool:
        store<uint8_t>(d, i, v != 0);
        break;
      case ElementType::UInt8:
        store<uint8_t>(d, i, static_cast<uint8_t>(v));
        break;
      case ElementType::Int8:
        store<int8_t>(d, i, static_cast<int8_t>(v));
        break;
      case ElementType::UInt16:
        store<uint16_t>(d, i, static_cast<uint16_t>(v));
        break;
      case ElementType::Int16:
        store<int16_t>(d, i, static_cast<int16_t>(v));
        break;
      case ElementType::Int32:
        store<int32_t>(d, i, static_cast<int32_t>(v));
        break;
      case ElementType::UInt32:
        store<uint32_t>(d, i, static_cast<uint32_t>(v));
        break;
      case ElementType::Int64:
        store<int64_t>(d, i, v);
        break;
      case ElementType::UInt64:
        store<uint64_t>(d, i, static_cast<uint64_t>(v));
        break;
      default:
        llvm_unreachable("not an integer type");
      }
      continue;
    }
    out.setFromDouble(i, getAsDouble(i));
  }
  return out;
}

bool Tensor::isIdenticalTo(const Tensor &other) const {
  if (type != other.type || shape != other.shape)
    return false;
  if (type == ElementType::String)
    return getStrings() == other.getStrings();
  if (getByteSize() != other.getByteSize())
    return false;
  return getByteSize() == 0 ||
         std::memcmp(getRawData(), other.getRawData(), getByteSize()) == 0;
}

Tensor Tensor::clone() const {
  Tensor t = *this;
  if (bytes)
    t.bytes = std::make_shared<std::string>(*bytes);
  if (strings)
    t.strings = std::make_shared<std::vector<std::string>>(*strings);
  return t;
}
