//===- TextValues.cpp - Names, types and values in ONNX text --------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The leaves of the textual syntax: identifiers, string literals, types and
// tensor values. What ONNX 1.12's parser reads: identifiers
// [A-Za-z_][A-Za-z0-9_]*; string literals without escapes (so no '"');
// numbers made of an optional '-', digits, one '.', an exponent, converted
// by std::stof/std::stod, which reject NaN, infinities and (glibc raises
// ERANGE) subnormal values; tensor data only for int8/16/32/64, uint8/16/
// 32/64, bool, float, double and string. Floats are printed with 9
// significant digits and doubles with 17, which round-trip exactly.
//
//===----------------------------------------------------------------------===//

#include "TextPrinter.h"

#include "qlc/IR/ElementType.h"

#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <cstdio>
#include <cstring>

using namespace qlc;
using namespace qlc::onnxio;

bool onnxio::isTextIdentifier(llvm::StringRef name) {
  if (name.empty() || !(llvm::isAlpha(name[0]) || name[0] == '_'))
    return false;
  return llvm::all_of(name,
                      [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

void TextPrinter::noteLimit(llvm::StringRef what, llvm::StringRef example) {
  for (Limit &l : limits) {
    if (l.what == what) {
      ++l.count;
      return;
    }
  }
  // Examples end up in a comment: keep them on one line.
  std::string safe;
  for (char c : example.take_front(60))
    safe += llvm::isPrint(c) ? c : '?';
  limits.push_back(Limit{what.str(), safe, 1});
}

std::vector<std::string> TextPrinter::getLimitations() const {
  std::vector<std::string> lines;
  for (const Limit &l : limits) {
    std::string line = l.what + " (" + std::to_string(l.count) + "x";
    if (!l.example.empty())
      line += ", e.g. '" + l.example + "'";
    lines.push_back(line + ")");
  }
  return lines;
}

void TextPrinter::indentTo(unsigned indent) { os.indent(indent); }

void TextPrinter::printComment(llvm::StringRef text) {
  // A newline would end the comment and turn the rest into syntax.
  os << "# ";
  for (char c : text)
    os << (c == '\n' || c == '\r' ? ' ' : c);
}

void TextPrinter::printName(llvm::StringRef name) {
  if (!isTextIdentifier(name))
    noteLimit("names that are not identifiers [A-Za-z_][A-Za-z0-9_]*", name);
  os << name;
}

void TextPrinter::printIdList(const Ids &ids, const char *what) {
  if (!ids.empty() && ids.Get(0).empty())
    noteLimit(std::string("an omitted first ") + what);
  for (int i = 0; i < ids.size(); ++i) {
    if (i)
      os << ", ";
    if (!ids.Get(i).empty())
      printName(ids.Get(i));
  }
}

void TextPrinter::printString(llvm::StringRef s) {
  if (s.contains('"') || s.contains('\0'))
    noteLimit("strings containing '\"' or NUL (the parser has no escapes)",
              s.take_front(40));
  os << '"';
  for (char c : s) {
    if (c == '"')
      os << "\\\"";
    else if (c == '\0')
      os << "\\0";
    else
      os << c;
  }
  os << '"';
}

void TextPrinter::printDocString(llvm::StringRef doc, const char *what,
                                 unsigned indent) {
  if (doc.empty())
    return;
  noteLimit(std::string("doc strings of ") + what);
  indentTo(indent);
  printComment(std::string("doc: ") + doc.str());
  os << '\n';
}

static bool isParsableElementType(int32_t dt) {
  switch (static_cast<ElementType>(dt)) {
  case ElementType::Float:
  case ElementType::Double:
  case ElementType::Int8:
  case ElementType::Int16:
  case ElementType::Int32:
  case ElementType::Int64:
  case ElementType::UInt8:
  case ElementType::UInt16:
  case ElementType::UInt32:
  case ElementType::UInt64:
  case ElementType::Bool:
  case ElementType::String:
    return true;
  default:
    return false;
  }
}

static llvm::StringRef elementTypeName(int32_t dt) {
  if (dt <= 0 || dt > kMaxElementType)
    return "undefined";
  return getElementTypeName(static_cast<ElementType>(dt));
}

void TextPrinter::printType(const onnx::TypeProto &type) {
  if (type.has_tensor_type()) {
    const onnx::TypeProto::Tensor &tt = type.tensor_type();
    if (tt.elem_type() == 0) {
      if (tt.has_shape())
        noteLimit("shapes of values with an unknown element type");
      return;
    }
    os << elementTypeName(tt.elem_type());
    if (!tt.has_shape()) {
      os << "[]"; // unknown rank; a bare type would mean a scalar
      return;
    }
    if (tt.shape().dim_size() == 0)
      return;
    os << '[';
    for (int i = 0; i < tt.shape().dim_size(); ++i) {
      const onnx::TensorShapeProto::Dimension &d = tt.shape().dim(i);
      if (i)
        os << ',';
      if (d.has_dim_value())
        os << d.dim_value();
      else if (d.has_dim_param() && !d.dim_param().empty())
        printName(d.dim_param());
      else
        os << '?';
    }
    os << ']';
    return;
  }
  if (type.value_case() == onnx::TypeProto::VALUE_NOT_SET)
    return;
  noteLimit("value types other than tensors");
  if (type.has_sequence_type()) {
    os << "seq(";
    printType(type.sequence_type().elem_type());
    os << ')';
  } else if (type.has_optional_type()) {
    os << "optional(";
    printType(type.optional_type().elem_type());
    os << ')';
  } else if (type.has_map_type()) {
    os << "map(" << elementTypeName(type.map_type().key_type()) << ", ";
    printType(type.map_type().value_type());
    os << ')';
  } else {
    os << "sparse_tensor";
  }
}

void TextPrinter::printValueInfo(const onnx::ValueInfoProto &info) {
  bool typed = info.type().value_case() != onnx::TypeProto::VALUE_NOT_SET &&
               !(info.type().has_tensor_type() &&
                 info.type().tensor_type().elem_type() == 0);
  printType(info.type());
  if (typed)
    os << ' ';
  else if (parseElementTypeName(info.name()) != ElementType::Undefined)
    noteLimit("untyped values named like a type", info.name());
  printName(info.name());
}

void TextPrinter::printTensorType(const onnx::TensorProto &tensor) {
  os << elementTypeName(tensor.data_type());
  if (tensor.dims_size() == 0)
    return; // a bare type is a scalar
  os << '[';
  for (int i = 0; i < tensor.dims_size(); ++i)
    os << (i ? "," : "") << tensor.dims(i);
  os << ']';
}

void TextPrinter::printFloat(double v, bool isDouble, bool forceDecimal) {
  if (!std::isfinite(v)) {
    noteLimit("NaN or infinite floating-point values");
    os << (std::isnan(v) ? "nan" : v < 0 ? "-inf" : "inf");
    return;
  }
  bool subnormal = isDouble
                       ? std::fpclassify(v) == FP_SUBNORMAL
                       : std::fpclassify(static_cast<float>(v)) == FP_SUBNORMAL;
  if (subnormal)
    noteLimit("subnormal floating-point values (std::stof rejects them)");
  char buf[40];
  int n = std::snprintf(buf, sizeof(buf), isDouble ? "%.17g" : "%.9g", v);
  os.write(buf, n);
  // An attribute value needs a '.' or an exponent to parse as a float.
  if (forceDecimal && !std::strpbrk(buf, ".e"))
    os << ".0";
}

void TextPrinter::printFloatAttr(float value) {
  printFloat(value, /*isDouble=*/false, /*forceDecimal=*/true);
}

namespace {
/// Reads element `i` of a TensorProto from raw_data or its typed field.
class ElementReader {
public:
  explicit ElementReader(const onnx::TensorProto &t) : t(t) {}

  template <typename T> T raw(int64_t i) const {
    T v;
    std::memcpy(&v, t.raw_data().data() + i * sizeof(T), sizeof(T));
    return v;
  }
  int64_t available(size_t elemSize, int typedCount) const {
    return t.has_raw_data()
               ? static_cast<int64_t>(t.raw_data().size() / elemSize)
               : typedCount;
  }

  const onnx::TensorProto &t;
};
} // namespace

void TextPrinter::printTensorData(const onnx::TensorProto &t, unsigned indent) {
  int32_t dt = t.data_type();
  if (!isParsableElementType(dt))
    noteLimit(("tensor data of type " + elementTypeName(dt)).str());
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    noteLimit("tensors stored as external data");
  ElementType type = dt > 0 && dt <= kMaxElementType
                         ? static_cast<ElementType>(dt)
                         : ElementType::Undefined;
  ElementReader r(t);
  int64_t n = 1;
  for (int64_t d : t.dims())
    n *= d;
  size_t elemSize = getElementSize(type);
  bool complex =
      type == ElementType::Complex64 || type == ElementType::Complex128;
  int64_t values = complex ? 2 * n : n;
  int64_t avail = 0;
  switch (type) {
  case ElementType::String:
    avail = t.string_data_size();
    break;
  case ElementType::Float:
  case ElementType::Complex64:
    avail = r.available(4, t.float_data_size());
    break;
  case ElementType::Double:
  case ElementType::Complex128:
    avail = r.available(8, t.double_data_size());
    break;
  case ElementType::Int64:
    avail = r.available(8, t.int64_data_size());
    break;
  case ElementType::UInt32:
  case ElementType::UInt64:
    avail = r.available(elemSize, t.uint64_data_size());
    break;
  case ElementType::Undefined:
    break;
  default:
    avail = r.available(elemSize, t.int32_data_size());
    break;
  }
  if (avail < values) {
    noteLimit("tensors whose data does not match their shape", t.name());
    values = avail;
  }
  bool raw = t.has_raw_data();
  const int64_t perLine = type == ElementType::String ? 4 : 8;
  os << '{';
  for (int64_t i = 0; i < values; ++i) {
    if (i && i % perLine == 0) {
      os << ",\n";
      indentTo(indent + 2);
    } else if (i) {
      os << ", ";
    }
    switch (type) {
    case ElementType::String:
      printString(t.string_data(static_cast<int>(i)));
      break;
    case ElementType::Float:
    case ElementType::Complex64:
      printFloat(raw ? r.raw<float>(i) : t.float_data(i), false, false);
      break;
    case ElementType::Double:
    case ElementType::Complex128:
      printFloat(raw ? r.raw<double>(i) : t.double_data(i), true, false);
      break;
    case ElementType::Float16:
    case ElementType::BFloat16: {
      uint16_t bits =
          raw ? r.raw<uint16_t>(i) : static_cast<uint16_t>(t.int32_data(i));
      float f = type == ElementType::Float16 ? halfToFloat(bits)
                                             : bfloat16ToFloat(bits);
      printFloat(f, false, false);
      break;
    }
    case ElementType::Int64:
      os << (raw ? r.raw<int64_t>(i) : t.int64_data(i));
      break;
    case ElementType::UInt64:
      os << (raw ? r.raw<uint64_t>(i) : t.uint64_data(i));
      break;
    case ElementType::UInt32:
      os << (raw ? uint64_t(r.raw<uint32_t>(i)) : t.uint64_data(i));
      break;
    case ElementType::Int32:
      os << (raw ? r.raw<int32_t>(i) : t.int32_data(i));
      break;
    case ElementType::Int16:
      os << (raw ? int32_t(r.raw<int16_t>(i)) : t.int32_data(i));
      break;
    case ElementType::Int8:
      os << (raw ? int32_t(r.raw<int8_t>(i)) : t.int32_data(i));
      break;
    case ElementType::UInt16:
      os << (raw ? int32_t(r.raw<uint16_t>(i)) : t.int32_data(i));
      break;
    default: // uint8, bool
      os << (raw ? int32_t(r.raw<uint8_t>(i)) : t.int32_data(i));
      break;
    }
  }
  os << '}';
}
