//===- ElementType.h - Tensor element types ---------------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Element types, numbered as ONNX's TensorProto::DataType so that the ONNX
// layer converts by a cast and opaque types survive a round trip.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_IR_ELEMENTTYPE_H
#define QLC_IR_ELEMENTTYPE_H

#include "llvm/ADT/StringRef.h"

#include <cstddef>
#include <cstdint>

namespace qlc {

enum class ElementType : int32_t {
  Undefined = 0,
  Float = 1,
  UInt8 = 2,
  Int8 = 3,
  UInt16 = 4,
  Int16 = 5,
  Int32 = 6,
  Int64 = 7,
  String = 8,
  Bool = 9,
  Float16 = 10,
  Double = 11,
  UInt32 = 12,
  UInt64 = 13,
  Complex64 = 14,
  Complex128 = 15,
  BFloat16 = 16,
};

/// Largest numeric value of ElementType; values above are rejected on import.
constexpr int32_t kMaxElementType = 16;

/// Bytes per element; 0 for Undefined and String.
size_t getElementSize(ElementType type);
/// ONNX's spelling in the textual syntax: "float", "int8", "bfloat16", ...
llvm::StringRef getElementTypeName(ElementType type);
/// Inverse of getElementTypeName; Undefined when the name is unknown.
ElementType parseElementTypeName(llvm::StringRef name);

bool isFloatType(ElementType type);   // float16, bfloat16, float, double
bool isIntegerType(ElementType type); // signed or unsigned, not bool
bool isSignedIntegerType(ElementType type);

/// Maps a C++ type to its ElementType.
template <typename T> struct ElementTypeOf;
#define QLC_ELEMENT_TYPE_OF(CType, Enum)                                       \
  template <> struct ElementTypeOf<CType> {                                    \
    static constexpr ElementType value = ElementType::Enum;                    \
  };
QLC_ELEMENT_TYPE_OF(float, Float)
QLC_ELEMENT_TYPE_OF(double, Double)
QLC_ELEMENT_TYPE_OF(uint8_t, UInt8)
QLC_ELEMENT_TYPE_OF(int8_t, Int8)
QLC_ELEMENT_TYPE_OF(uint16_t, UInt16)
QLC_ELEMENT_TYPE_OF(int16_t, Int16)
QLC_ELEMENT_TYPE_OF(int32_t, Int32)
QLC_ELEMENT_TYPE_OF(int64_t, Int64)
QLC_ELEMENT_TYPE_OF(uint32_t, UInt32)
QLC_ELEMENT_TYPE_OF(uint64_t, UInt64)
QLC_ELEMENT_TYPE_OF(bool, Bool)
#undef QLC_ELEMENT_TYPE_OF

/// IEEE half and bfloat16 conversions (round to nearest even).
float halfToFloat(uint16_t bits);
uint16_t floatToHalf(float value);
float bfloat16ToFloat(uint16_t bits);
uint16_t floatToBFloat16(float value);

} // namespace qlc

#endif // QLC_IR_ELEMENTTYPE_H
