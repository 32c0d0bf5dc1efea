//===- Npy.cpp - NumPy .npy arrays ----------------------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A .npy file is: the magic "\x93NUMPY", a major and minor version byte, the
// header length (2 bytes little-endian in version 1, 4 bytes in 2 and 3),
// an ASCII (v1, v2) or UTF-8 (v3) Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// padded with spaces and a newline, then the raw C-order data. The header
// is parsed by a tiny literal parser that accepts exactly the subset NumPy
// writes (strings, True/False, tuples of integers) and rejects the rest
// with a precise message instead of guessing. The streaming readers share
// it through NpyHeader.h.
//
//===----------------------------------------------------------------------===//

#include "qlc/IO/Npy.h"
#include "NpyHeader.h"
#include "qlc/IO/FileIO.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Endian.h"

#include <cstring>

using namespace qlc;

static const char kMagic[] = "\x93NUMPY";
static constexpr size_t kMagicSize = 6;

namespace {

/// The parsed header dictionary.
struct NpyHeader {
  std::string descr;
  bool fortranOrder = false;
  Shape shape;
};

/// Recursive-descent parser over the header text.
class HeaderParser {
public:
  explicit HeaderParser(llvm::StringRef text) : rest(text) {}

  llvm::Expected<NpyHeader> parse();

private:
  void skipSpace() { rest = rest.ltrim(" \t\r\n"); }
  bool consume(char c) {
    skipSpace();
    if (!rest.startswith(llvm::StringRef(&c, 1)))
      return false;
    rest = rest.drop_front();
    return true;
  }
  llvm::Error fail(const llvm::Twine &what) {
    return makeError("malformed .npy header: " + what);
  }
  llvm::Expected<std::string> parseString();
  llvm::Expected<bool> parseBool();
  llvm::Expected<Shape> parseShape();

  llvm::StringRef rest;
};

} // namespace

llvm::Expected<std::string> HeaderParser::parseString() {
  skipSpace();
  if (rest.empty() || (rest.front() != '\'' && rest.front() != '"'))
    return fail("expected a string");
  char quote = rest.front();
  size_t end = rest.find(quote, 1);
  if (end == llvm::StringRef::npos)
    return fail("unterminated string");
  std::string s = rest.substr(1, end - 1).str();
  rest = rest.drop_front(end + 1);
  return s;
}

llvm::Expected<bool> HeaderParser::parseBool() {
  skipSpace();
  if (rest.consume_front("True"))
    return true;
  if (rest.consume_front("False"))
    return false;
  return fail("expected True or False for 'fortran_order'");
}

llvm::Expected<Shape> HeaderParser::parseShape() {
  if (!consume('('))
    return fail("expected a tuple for 'shape'");
  Shape shape;
  while (!consume(')')) {
    skipSpace();
    size_t digits = 0;
    while (digits < rest.size() && llvm::isDigit(rest[digits]))
      ++digits;
    int64_t dim = 0;
    if (digits == 0 || digits > 18 ||
        rest.substr(0, digits).getAsInteger(10, dim))
      return fail("expected a non-negative dimension in 'shape'");
    rest = rest.drop_front(digits);
    rest.consume_front("L"); // Python 2 long literals.
    shape.push_back(dim);
    if (!consume(',')) {
      if (!consume(')'))
        return fail("expected ',' or ')' in 'shape'");
      break;
    }
  }
  return shape;
}

llvm::Expected<NpyHeader> HeaderParser::parse() {
  NpyHeader header;
  bool seenDescr = false, seenOrder = false, seenShape = false;
  if (!consume('{'))
    return fail("expected '{'");
  while (!consume('}')) {
    auto key = parseString();
    if (!key)
      return key.takeError();
    if (!consume(':'))
      return fail("expected ':' after '" + *key + "'");
    if (*key == "descr") {
      skipSpace();
      if (rest.startswith("["))
        return makeError("unsupported dtype: structured arrays are not "
                         "supported");
      auto descr = parseString();
      if (!descr)
        return descr.takeError();
      header.descr = *descr;
      seenDescr = true;
    } else if (*key == "fortran_order") {
      auto order = parseBool();
      if (!order)
        return order.takeError();
      header.fortranOrder = *order;
      seenOrder = true;
    } else if (*key == "shape") {
      auto shape = parseShape();
      if (!shape)
        return shape.takeError();
      header.shape = std::move(*shape);
      seenShape = true;
    } else {
      return fail("unexpected key '" + *key + "'");
    }
    if (!consume(',')) {
      if (!consume('}'))
        return fail("expected ',' or '}'");
      break;
    }
  }
  skipSpace();
  if (!rest.empty())
    return fail("trailing characters after the dictionary");
  if (!seenDescr || !seenOrder || !seenShape)
    return fail("missing 'descr', 'fortran_order' or 'shape'");
  return header;
}

/// Maps a descr such as "<f4" to an element type.
static llvm::Expected<ElementType> parseDescr(llvm::StringRef descr) {
  if (descr.size() < 3)
    return makeError("unsupported dtype '" + descr + "'");
  char order = descr[0];
  llvm::StringRef code = descr.drop_front();
  ElementType type = llvm::StringSwitch<ElementType>(code)
                         .Case("f2", ElementType::Float16)
                         .Case("f4", ElementType::Float)
                         .Case("f8", ElementType::Double)
                         .Case("i1", ElementType::Int8)
                         .Case("u1", ElementType::UInt8)
                         .Case("i2", ElementType::Int16)
                         .Case("u2", ElementType::UInt16)
                         .Case("i4", ElementType::Int32)
                         .Case("u4", ElementType::UInt32)
                         .Case("i8", ElementType::Int64)
                         .Case("u8", ElementType::UInt64)
                         .Case("b1", ElementType::Bool)
                         .Case("c8", ElementType::Complex64)
                         .Case("c16", ElementType::Complex128)
                         .Default(ElementType::Undefined);
  if (type == ElementType::Undefined)
    return makeError("unsupported dtype '" + descr + "'");
  // '=' is native order, little-endian on every host qlc supports.
  bool littleOrAny = order == '<' || order == '|' || order == '=';
  if (order == '>' && getElementSize(type) > 1)
    return makeError("big-endian arrays are not supported (dtype '" + descr +
                     "')");
  if (!littleOrAny && order != '>')
    return makeError("unsupported dtype '" + descr + "'");
  return type;
}

/// Element count of `shape`, failing on overflow past int64 / size_t.
static llvm::Expected<uint64_t> checkedByteSize(llvm::ArrayRef<int64_t> shape,
                                                size_t elemSize) {
  uint64_t total = elemSize;
  for (int64_t d : shape) {
    uint64_t dim = static_cast<uint64_t>(d);
    if (dim != 0 && total > (uint64_t(1) << 62) / dim)
      return makeError("array size overflows: shape " + formatShape(shape));
    total *= dim;
  }
  return total;
}

llvm::Expected<uint64_t> qlc::getNpyHeaderSize(llvm::StringRef prefix) {
  if (prefix.size() < kMagicSize + 2 ||
      std::memcmp(prefix.data(), kMagic, kMagicSize) != 0)
    return makeError("not a .npy file (bad magic)");
  unsigned major = static_cast<uint8_t>(prefix[6]);
  size_t lenSize;
  if (major == 1)
    lenSize = 2;
  else if (major == 2 || major == 3)
    lenSize = 4;
  else
    return makeError(
        "unsupported .npy format version " + llvm::Twine(major) + "." +
        llvm::Twine(static_cast<unsigned>(static_cast<uint8_t>(prefix[7]))));
  size_t lenStart = kMagicSize + 2;
  if (prefix.size() < lenStart + lenSize)
    return makeError("truncated .npy header");
  const char *lenPtr = prefix.data() + lenStart;
  uint64_t headerLen = lenSize == 2 ? llvm::support::endian::read16le(lenPtr)
                                    : llvm::support::endian::read32le(lenPtr);
  return lenStart + lenSize + headerLen;
}

llvm::Expected<NpyHeaderInfo> qlc::parseNpyHeader(llvm::StringRef bytes) {
  auto headerSize = getNpyHeaderSize(bytes);
  if (!headerSize)
    return headerSize.takeError();
  if (bytes.size() < *headerSize)
    return makeError("truncated .npy header");
  size_t prefix = static_cast<uint8_t>(bytes[6]) == 1 ? 10 : 12;
  auto header =
      HeaderParser(bytes.substr(prefix, *headerSize - prefix)).parse();
  if (!header)
    return header.takeError();
  auto type = parseDescr(header->descr);
  if (!type)
    return type.takeError();
  bool multiDim =
      llvm::count_if(header->shape, [](int64_t d) { return d != 1; }) > 1;
  if (header->fortranOrder && multiDim)
    return makeError("fortran-order arrays are not supported; save with "
                     "numpy.ascontiguousarray");
  auto byteSize = checkedByteSize(header->shape, getElementSize(*type));
  if (!byteSize)
    return byteSize.takeError();
  NpyHeaderInfo info;
  info.type = *type;
  info.shape = std::move(header->shape);
  info.dataOffset = *headerSize;
  info.dataSize = *byteSize;
  return info;
}

llvm::Error qlc::checkNpyDataSize(const NpyHeaderInfo &info,
                                  uint64_t available) {
  if (available < info.dataSize)
    return makeError("truncated .npy data: expected " +
                     llvm::Twine(info.dataSize) + " bytes for shape " +
                     formatShape(info.shape) + ", found " +
                     llvm::Twine(available));
  if (available > info.dataSize)
    return makeError("unexpected " + llvm::Twine(available - info.dataSize) +
                     " bytes after the .npy array data");
  return llvm::Error::success();
}

llvm::Expected<NpyHeaderInfo>
qlc::readNpyHeader(llvm::function_ref<llvm::Error(char *dst, size_t size)> read,
                   uint64_t streamSize) {
  // Real headers are a few hundred bytes; a huge length field is damage,
  // and trusting it would allocate that much.
  constexpr uint64_t kMaxHeaderSize = 1 << 24;
  std::string bytes(std::min(streamSize, kNpyPreludeSize), '\0');
  if (llvm::Error err = read(&bytes[0], bytes.size()))
    return err;
  auto headerSize = getNpyHeaderSize(bytes);
  if (!headerSize)
    return headerSize.takeError();
  if (*headerSize > streamSize)
    return makeError("truncated .npy header");
  if (*headerSize > kMaxHeaderSize)
    return makeError(".npy header of " + llvm::Twine(*headerSize) +
                     " bytes is too large");
  size_t have = bytes.size();
  if (*headerSize > have) {
    bytes.resize(*headerSize);
    if (llvm::Error err = read(&bytes[have], *headerSize - have))
      return err;
  }
  return parseNpyHeader(bytes);
}

llvm::Expected<Tensor> qlc::parseNpy(llvm::StringRef bytes) {
  auto info = parseNpyHeader(bytes);
  if (!info)
    return info.takeError();
  llvm::StringRef data = bytes.drop_front(info->dataOffset);
  if (llvm::Error err = checkNpyDataSize(*info, data.size()))
    return err;
  auto storage = std::make_shared<std::string>(data.str());
  if (info->type == ElementType::Bool)
    normalizeNpyBools(&(*storage)[0], storage->size());
  return Tensor(info->type, info->shape, std::move(storage));
}

llvm::Expected<Tensor> qlc::readNpyFile(llvm::StringRef path) {
  auto buf = readWholeFile(path);
  if (!buf)
    return buf.takeError();
  return parseNpy((*buf)->getBuffer());
}

std::string qlc::getNpyDescr(ElementType type) {
  switch (type) {
  case ElementType::Float16:
    return "<f2";
  case ElementType::Float:
    return "<f4";
  case ElementType::Double:
    return "<f8";
  case ElementType::Int8:
    return "|i1";
  case ElementType::UInt8:
    return "|u1";
  case ElementType::Int16:
    return "<i2";
  case ElementType::UInt16:
    return "<u2";
  case ElementType::Int32:
    return "<i4";
  case ElementType::UInt32:
    return "<u4";
  case ElementType::Int64:
    return "<i8";
  case ElementType::UInt64:
    return "<u8";
  case ElementType::Bool:
    return "|b1";
  case ElementType::Complex64:
    return "<c8";
  case ElementType::Complex128:
    return "<c16";
  case ElementType::Undefined:
  case ElementType::String:
  case ElementType::BFloat16:
    return "";
  }
  return "";
}

/// "(3,)" for rank 1, "()" for scalars, "(2, 3)" otherwise, as NumPy does.
static std::string formatPythonTuple(llvm::ArrayRef<int64_t> shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1)
    s += ",";
  return s + ")";
}

llvm::Expected<std::string> qlc::serializeNpy(const Tensor &tensor) {
  std::string descr = getNpyDescr(tensor.getElementType());
  if (descr.empty())
    return makeError("element type '" +
                     getElementTypeName(tensor.getElementType()) +
                     "' has no .npy equivalent");
  std::string dict = "{'descr': '" + descr +
                     "', 'fortran_order': False, 'shape': " +
                     formatPythonTuple(tensor.getShape()) + ", }";
  // Pad so that the data starts on a 64-byte boundary, as NumPy does.
  size_t prefix = kMagicSize + 2 + 2;
  size_t total = prefix + dict.size() + 1;
  unsigned major = 1;
  if ((total + 63) / 64 * 64 - prefix > 0xffff) {
    major = 2;
    prefix += 2;
    total += 2;
  }
  size_t padded = (total + 63) / 64 * 64;
  dict.append(padded - total, ' ');
  dict += '\n';

  std::string out(kMagic, kMagicSize);
  out += static_cast<char>(major);
  out += '\0';
  char len[4];
  if (major == 1) {
    llvm::support::endian::write16le(len, static_cast<uint16_t>(dict.size()));
    out.append(len, 2);
  } else {
    llvm::support::endian::write32le(len, static_cast<uint32_t>(dict.size()));
    out.append(len, 4);
  }
  out += dict;
  if (tensor.getByteSize())
    out.append(tensor.getRawData(), tensor.getByteSize());
  return out;
}

llvm::Error qlc::writeNpyFile(llvm::StringRef path, const Tensor &tensor) {
  auto bytes = serializeNpy(tensor);
  if (!bytes)
    return bytes.takeError();
  return writeFileAtomic(path, *bytes);
}
