//===- ModelReader.cpp - Reading binary and textual ONNX files ------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The public import entry points. Binary files are parsed straight from a
// file stream (no intermediate copy of the file in memory) with protobuf's
// total-size limit raised to its 2 GB maximum; text goes through ONNX 1.12's
// OnnxParser, whose error message (position, context line, reason) is kept.
// Both then share the ModelProto-to-IR conversion of Import.cpp.
//
//===----------------------------------------------------------------------===//

#include "qlc/ONNX/Import.h"

#include "ProtoConversion.h"

#include "qlc/Support/Error.h"

#include "onnx/defs/parser.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

using namespace qlc;
namespace pbio = google::protobuf::io;

ModelFormat qlc::guessModelFormat(llvm::StringRef path) {
  std::string ext = llvm::sys::path::extension(path).lower();
  if (ext == ".onnxtxt" || ext == ".onnxtext" || ext == ".txt")
    return ModelFormat::Text;
  return ModelFormat::Binary;
}

/// Parses a whole ModelProto from `in`; false on malformed input.
static bool parseProto(pbio::ZeroCopyInputStream &in, onnx::ModelProto &proto) {
  pbio::CodedInputStream coded(&in);
  coded.SetTotalBytesLimit(INT_MAX);
  return proto.ParseFromCodedStream(&coded) && coded.ConsumedEntireMessage();
}

/// The message for bytes that protobuf rejects, with a hint when they look
/// like ONNX text given a binary extension.
static std::string describeBadProto(llvm::StringRef head) {
  llvm::StringRef trimmed = head.ltrim();
  std::string msg = "not a valid ONNX protobuf (truncated or corrupt)";
  if (trimmed.startswith("<") || trimmed.startswith("#"))
    msg += "; it looks like ONNX text: use the .onnxtxt extension";
  return msg;
}

llvm::Expected<std::unique_ptr<Model>>
qlc::importModelBinary(llvm::StringRef bytes, llvm::StringRef baseDir) {
  if (bytes.empty())
    return makeError("the model is empty");
  if (bytes.size() > static_cast<size_t>(INT_MAX))
    return makeError("the model is larger than protobuf's 2 GB limit");
  pbio::ArrayInputStream in(bytes.data(), static_cast<int>(bytes.size()));
  onnx::ModelProto proto;
  if (!parseProto(in, proto))
    return makeError(describeBadProto(bytes.take_front(64)));
  return onnxio::importModelProto(proto, baseDir);
}

static std::string getModelDir(llvm::StringRef path) {
  llvm::StringRef dir = llvm::sys::path::parent_path(path);
  return dir.empty() ? std::string(".") : dir.str();
}

/// Reads of up to 256 KiB, but no bigger buffer than a small file needs.
static int getBufferSize(uint64_t fileSize) {
  return static_cast<int>(
      std::min<uint64_t>(std::max<uint64_t>(fileSize, 4096), 256 << 10));
}

/// Parses the open file `fd` (which it closes) into `proto`.
static llvm::Error parseFile(int fd, uint64_t size, onnx::ModelProto &proto) {
  pbio::FileInputStream in(fd, getBufferSize(size));
  in.SetCloseOnDelete(true);
  if (parseProto(in, proto))
    return llvm::Error::success();
  if (in.GetErrno() != 0)
    return makeError(llvm::Twine("read error: ") +
                     std::strerror(in.GetErrno()));
  char head[64] = {};
  ssize_t got = ::pread(fd, head, sizeof(head), 0);
  return makeError(describeBadProto(
      llvm::StringRef(head, got > 0 ? static_cast<size_t>(got) : 0)));
}

static llvm::Expected<std::unique_ptr<Model>>
importBinaryFile(llvm::StringRef path) {
  std::string pathStr = path.str();
  int fd = ::open(pathStr.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return makeError(llvm::Twine("cannot open: ") + std::strerror(errno));
  llvm::sys::fs::file_status status;
  std::error_code ec = llvm::sys::fs::status(fd, status);
  llvm::Error err = llvm::Error::success();
  if (ec)
    err = makeError("cannot stat: " + ec.message());
  else if (status.type() == llvm::sys::fs::file_type::directory_file)
    err = makeError("is a directory, not a model file");
  else if (status.getSize() == 0)
    err = makeError("the model file is empty");
  else if (status.getSize() > static_cast<uint64_t>(INT_MAX))
    err = makeError("the model file is larger than protobuf's 2 GB limit; "
                    "large weights must be stored as external data");
  if (err) {
    ::close(fd);
    return err;
  }
  // The stream and its buffer are gone before the IR is built.
  onnx::ModelProto proto;
  if (llvm::Error parseErr = parseFile(fd, status.getSize(), proto))
    return parseErr;
  return onnxio::importModelProto(proto, getModelDir(path));
}

/// Turns ONNX's "[ParseError at position (line: L column: C)]\nError
/// context: CTX\nREASON" into one line that keeps all three parts.
static std::string formatParseError(const std::string &raw) {
  llvm::StringRef msg = raw;
  llvm::StringRef pos, context, reason = msg;
  size_t l = msg.find("(line: ");
  size_t r = msg.find(')', l);
  if (l != llvm::StringRef::npos && r != llvm::StringRef::npos)
    pos = msg.slice(l + 1, r);
  size_t c = msg.find("Error context: ");
  if (c != llvm::StringRef::npos) {
    llvm::StringRef rest = msg.drop_front(c + strlen("Error context: "));
    std::tie(context, reason) = rest.split('\n');
  }
  std::string out = "text parse error";
  if (!pos.empty())
    out += " at " + pos.str();
  out += ": " + reason.trim().str();
  if (!context.trim().empty())
    out += " (in: '" + context.trim().str() + "')";
  return out;
}

llvm::Expected<std::unique_ptr<Model>>
qlc::importModelText(llvm::StringRef text) {
  // OnnxParser reads a NUL-terminated string.
  if (text.contains('\0'))
    return makeError("text parse error: the text contains a NUL byte");
  std::string buffer = text.str();
  onnx::ModelProto proto;
  {
    onnx::OnnxParser parser(buffer.c_str());
    try {
      onnx::Common::Status status = parser.Parse(proto);
      if (!status.IsOK())
        return makeError(formatParseError(status.ErrorMessage()));
    } catch (const std::exception &e) {
      // The 1.12 parser converts literals with std::stoll/std::stof, which
      // throw on malformed or out-of-range numbers.
      // GetCurrentPos() is "(line: L column: C)".
      std::string pos = parser.GetCurrentPos();
      if (pos.size() > 2)
        pos = pos.substr(1, pos.size() - 2);
      return makeError("text parse error at " + pos +
                       ": malformed or out-of-range number (" + e.what() + ")");
    }
  }
  return onnxio::importModelProto(proto, "");
}

llvm::Expected<std::unique_ptr<Model>>
qlc::importModelFile(llvm::StringRef path) {
  if (guessModelFormat(path) == ModelFormat::Binary)
    return importBinaryFile(path);
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return makeError("cannot open: " + buffer.getError().message());
  return importModelText((*buffer)->getBuffer());
}
