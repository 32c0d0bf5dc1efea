//===- Tensor.h - Dense constant and runtime tensors ------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A dense tensor: element type, shape and little-endian raw bytes in C order.
// Storage is shared and copied on write, so cloning a graph or handing a
// weight to the interpreter is free; the ONNX importer adopts protobuf's
// raw_data string without copying it.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_IR_TENSOR_H
#define QLC_IR_TENSOR_H

#include "qlc/IR/BufferPool.h"
#include "qlc/IR/ElementType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cassert>
#include <memory>
#include <string>
#include <vector>

namespace qlc {

using Shape = llvm::SmallVector<int64_t, 4>;

/// Product of the dimensions; 1 for a scalar.
int64_t getNumElements(llvm::ArrayRef<int64_t> shape);
/// "[1, 3, 224, 224]".
std::string formatShape(llvm::ArrayRef<int64_t> shape);

class Tensor {
public:
  Tensor() = default;
  /// A zero-filled tensor (storage from the thread's BufferPool if any).
  Tensor(ElementType type, llvm::ArrayRef<int64_t> shape);
  /// A tensor whose contents are unspecified, for kernels that write every
  /// element: recycled storage from the thread's BufferPool is not cleared.
  static Tensor uninitialized(ElementType type, llvm::ArrayRef<int64_t> shape);
  /// Adopts `bytes`, which must hold exactly the tensor's size.
  Tensor(ElementType type, llvm::ArrayRef<int64_t> shape,
         std::shared_ptr<std::string> bytes);

  template <typename T>
  static Tensor fromValues(llvm::ArrayRef<int64_t> shape,
                           llvm::ArrayRef<T> values) {
    Tensor t(ElementTypeOf<T>::value, shape);
    assert(static_cast<int64_t>(values.size()) == t.getNumElements());
    std::copy(values.begin(), values.end(), t.getMutableData<T>().begin());
    return t;
  }
  template <typename T> static Tensor scalar(T value) {
    return fromValues<T>({}, llvm::ArrayRef<T>(value));
  }
  static Tensor fromStrings(llvm::ArrayRef<int64_t> shape,
                            std::vector<std::string> strings);

  bool isNull() const { return type == ElementType::Undefined; }
  ElementType getElementType() const { return type; }
  llvm::ArrayRef<int64_t> getShape() const { return shape; }
  int64_t getRank() const { return static_cast<int64_t>(shape.size()); }
  int64_t getDim(int64_t i) const { return shape[i]; }
  int64_t getNumElements() const { return qlc::getNumElements(shape); }
  size_t getByteSize() const { return bytes ? bytes->size() : 0; }

  /// Changes the shape; the element count must stay the same.
  void reshape(llvm::ArrayRef<int64_t> newShape);

  const char *getRawData() const { return bytes ? bytes->data() : nullptr; }
  /// Unshares the storage first.
  char *getMutableRawData();
  /// The shared storage (for zero-copy export).
  const std::shared_ptr<std::string> &getStorage() const { return bytes; }

  template <typename T> llvm::ArrayRef<T> getData() const {
    assert(ElementTypeOf<T>::value == type && "element type mismatch");
    return llvm::ArrayRef<T>(reinterpret_cast<const T *>(getRawData()),
                             getNumElements());
  }
  template <typename T> llvm::MutableArrayRef<T> getMutableData() {
    assert(ElementTypeOf<T>::value == type && "element type mismatch");
    return llvm::MutableArrayRef<T>(reinterpret_cast<T *>(getMutableRawData()),
                                    getNumElements());
  }
  /// Strings of a String tensor.
  const std::vector<std::string> &getStrings() const;

  /// Element `i` (flat index) converted to double / int64, any numeric type.
  double getAsDouble(int64_t i) const;
  int64_t getAsInt64(int64_t i) const;
  /// All elements converted (numeric types only).
  std::vector<double> toDoubles() const;
  std::vector<int64_t> toInt64s() const;
  /// Stores `value` at flat index `i`, converting (and rounding toward zero
  /// for integer types, as a C cast does).
  void setFromDouble(int64_t i, double value);

  /// Converts to another numeric element type (C++ cast semantics; float to
  /// float16/bfloat16 rounds to nearest even).
  Tensor castTo(ElementType newType) const;

  /// Same type, shape and bytes (NaNs compare bytewise).
  bool isIdenticalTo(const Tensor &other) const;

  /// A deep copy with its own storage.
  Tensor clone() const;

  /// Hands the storage to `pool` (kept only if unshared) and makes this
  /// tensor null.
  void recycleInto(BufferPool &pool);

private:
  ElementType type = ElementType::Undefined;
  Shape shape;
  std::shared_ptr<std::string> bytes;
  std::shared_ptr<std::vector<std::string>> strings;
};

} // namespace qlc

#endif // QLC_IR_TENSOR_H
