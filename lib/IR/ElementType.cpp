//===- ElementType.cpp - Tensor element types -----------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/IR/ElementType.h"

#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <cstring>

using namespace qlc;

size_t qlc::getElementSize(ElementType type) {
  switch (type) {
  case ElementType::Undefined:
  case ElementType::String:
    return 0;
  case ElementType::UInt8:
  case ElementType::Int8:
  case ElementType::Bool:
    return 1;
  case ElementType::UInt16:
  case ElementType::Int16:
  case ElementType::Float16:
  case ElementType::BFloat16:
    return 2;
  case ElementType::Float:
  case ElementType::Int32:
  case ElementType::UInt32:
    return 4;
  case ElementType::Int64:
  case ElementType::UInt64:
  case ElementType::Double:
  case ElementType::Complex64:
    return 8;
  case ElementType::Complex128:
    return 16;
  }
  return 0;
}

llvm::StringRef qlc::getElementTypeName(ElementType type) {
  switch (type) {
  case ElementType::Undefined:
    return "undefined";
  case ElementType::Float:
    return "float";
  case ElementType::UInt8:
    return "uint8";
  case ElementType::Int8:
    return "int8";
  case ElementType::UInt16:
    return "uint16";
  case ElementType::Int16:
    return "int16";
  case ElementType::Int32:
    return "int32";
  case ElementType::Int64:
    return "int64";
  case ElementType::String:
    return "string";
  case ElementType::Bool:
    return "bool";
  case ElementType::Float16:
    return "float16";
  case ElementType::Double:
    return "double";
  case ElementType::UInt32:
    return "uint32";
  case ElementType::UInt64:
    return "uint64";
  case ElementType::Complex64:
    return "complex64";
  case ElementType::Complex128:
    return "complex128";
  case ElementType::BFloat16:
    return "bfloat16";
  }
  return "undefined";
}

ElementType qlc::parseElementTypeName(llvm::StringRef name) {
  return llvm::StringSwitch<ElementType>(name)
      .Case("float", ElementType::Float)
      .Case("uint8", ElementType::UInt8)
      .Case("int8", ElementType::Int8)
      .Case("uint16", ElementType::UInt16)
      .Case("int16", ElementType::Int16)
      .Case("int32", ElementType::Int32)
      .Case("int64", ElementType::Int64)
      .Case("string", ElementType::String)
      .Case("bool", ElementType::Bool)
      .Case("float16", ElementType::Float16)
      .Case("double", ElementType::Double)
      .Case("uint32", ElementType::UInt32)
      .Case("uint64", ElementType::UInt64)
      .Case("complex64", ElementType::Complex64)
      .Case("complex128", ElementType::Complex128)
      .Case("bfloat16", ElementType::BFloat16)
      .Default(ElementType::Undefined);
}

bool qlc::isFloatType(ElementType type) {
  return type == ElementType::Float || type == ElementType::Double ||
         type == ElementType::Float16 || type == ElementType::BFloat16;
}

bool qlc::isSignedIntegerType(ElementType type) {
  return type == ElementType::Int8 || type == ElementType::Int16 ||
         type == ElementType::Int32 || type == ElementType::Int64;
}

bool qlc::isIntegerType(ElementType type) {
  return isSignedIntegerType(type) || type == ElementType::UInt8 ||
         type == ElementType::UInt16 || type == ElementType::UInt32 ||
         type == ElementType::UInt64;
}

float qlc::halfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else { // subnormal: value = mant * 2^-24
      float v = std::ldexp(static_cast<float>(mant), -24);
      return sign ? -v : v;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000 | (mant << 13);
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t qlc::floatToHalf(float value) {
  uint32_t x;
  std::memcpy(&x, &value, 4);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  uint32_t absx = x & 0x7fffffff;
  if (absx >= 0x7f800000) // inf or nan
    return sign | 0x7c00 | (absx > 0x7f800000 ? 0x200 : 0);
  if (absx >= 0x477ff000) // rounds to >= 65520: overflow to inf
    return sign | 0x7c00;
  if (absx < 0x38800000) { // subnormal or zero in half
    // value * 2^24 rounded to nearest even gives the mantissa.
    float a;
    std::memcpy(&a, &absx, 4);
    float scaled = a * 16777216.0f; // exact: power of two
    float r = std::nearbyint(scaled); // default rounding mode: to even
    return sign | static_cast<uint16_t>(r);
  }
  uint32_t mant = absx & 0x7fffff;
  uint32_t exp = (absx >> 23) - 112;
  uint32_t half = (exp << 10) | (mant >> 13);
  uint32_t rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1)))
    ++half; // may carry into the exponent, which is correct
  return sign | static_cast<uint16_t>(half);
}

float qlc::bfloat16ToFloat(uint16_t bits) {
  uint32_t x = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

uint16_t qlc::floatToBFloat16(float value) {
  uint32_t x;
  std::memcpy(&x, &value, 4);
  if ((x & 0x7fffffff) > 0x7f800000) // nan: keep it a quiet nan
    return static_cast<uint16_t>((x >> 16) | 0x40);
  uint32_t lsb = (x >> 16) & 1;
  x += 0x7fff + lsb;
  return static_cast<uint16_t>(x >> 16);
}
