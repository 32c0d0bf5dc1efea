//===- Type.h - Tensor types with symbolic dimensions -----------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QLC_IR_TYPE_H
#define QLC_IR_TYPE_H

#include "qlc/IR/ElementType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/Optional.h"
#include "llvm/ADT/SmallVector.h"

#include <string>

namespace qlc {

/// One dimension: a known size, a named symbol ("N"), or unknown.
struct Dim {
  int64_t size = -1;  // >= 0 when known
  std::string symbol; // non-empty for a symbolic dimension

  static Dim known(int64_t n) { return Dim{n, {}}; }
  static Dim symbolic(std::string name) { return Dim{-1, std::move(name)}; }
  static Dim unknown() { return Dim{}; }
  bool isKnown() const { return size >= 0; }
  bool operator==(const Dim &o) const {
    return size == o.size && symbol == o.symbol;
  }
};

/// Element type plus an optional shape (absent = unknown rank).
class TensorType {
public:
  TensorType() = default;
  explicit TensorType(ElementType elem) : elem(elem) {}
  TensorType(ElementType elem, llvm::ArrayRef<int64_t> dims);
  TensorType(ElementType elem, llvm::ArrayRef<Dim> dims);

  ElementType getElementType() const { return elem; }
  void setElementType(ElementType e) { elem = e; }
  bool hasRank() const { return rankKnown; }
  llvm::ArrayRef<Dim> getDims() const { return dims; }
  int64_t getRank() const { return static_cast<int64_t>(dims.size()); }
  /// All dimensions known: the static shape, else None.
  llvm::Optional<llvm::SmallVector<int64_t, 4>> getStaticShape() const;
  void setDims(llvm::ArrayRef<Dim> d);
  void setShape(llvm::ArrayRef<int64_t> shape);
  void clearShape();
  bool isUndefined() const { return elem == ElementType::Undefined && !rankKnown; }
  /// Whether a tensor of `shape` fits: no rank, or the same rank with every
  /// known dimension equal (unknown and symbolic dimensions fit anything).
  bool admitsShape(llvm::ArrayRef<int64_t> shape) const;
  /// "float[1,3,N,?]" as in ONNX's textual syntax ("float" without a shape).
  std::string str() const;

  bool operator==(const TensorType &o) const {
    return elem == o.elem && rankKnown == o.rankKnown && dims == o.dims;
  }
  bool operator!=(const TensorType &o) const { return !(*this == o); }

private:
  ElementType elem = ElementType::Undefined;
  bool rankKnown = false;
  llvm::SmallVector<Dim, 4> dims;
};

} // namespace qlc

#endif // QLC_IR_TYPE_H
