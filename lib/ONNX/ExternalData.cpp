//===- ExternalData.cpp - Reading ONNX external tensor data ---------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Resolves tensors stored outside the model (data_location EXTERNAL, keys
// "location", "offset", "length") relative to the model's directory. The
// location must stay inside that directory: absolute paths, ".." components
// and symbolic links leading elsewhere are rejected, since a model file must
// not be able to read arbitrary files. Canonicalize.cpp applies this to
// subgraphs too, so the opaque bytes kept in the IR never name side files.
//
//===----------------------------------------------------------------------===//

#include "ProtoConversion.h"

#include "qlc/Support/Error.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

using namespace qlc;

namespace {
struct ExternalRef {
  std::string location;
  uint64_t offset = 0;
  bool hasLength = false;
  uint64_t length = 0;
};
} // namespace

static llvm::Expected<ExternalRef> parseRef(const onnx::TensorProto &proto,
                                            const std::string &label) {
  ExternalRef ref;
  for (const onnx::StringStringEntryProto &e : proto.external_data()) {
    llvm::StringRef value = e.value();
    if (e.key() == "location") {
      ref.location = e.value();
    } else if (e.key() == "offset") {
      if (value.getAsInteger(10, ref.offset))
        return makeError(label + " has an invalid external data offset '" +
                         value + "'");
    } else if (e.key() == "length") {
      ref.hasLength = true;
      if (value.getAsInteger(10, ref.length))
        return makeError(label + " has an invalid external data length '" +
                         value + "'");
    }
  }
  if (ref.location.empty())
    return makeError(label + " is stored externally but has no location");
  return ref;
}

/// Joins `location` to `baseDir`, refusing paths that leave the directory.
static llvm::Expected<std::string> resolvePath(llvm::StringRef baseDir,
                                               llvm::StringRef location,
                                               const std::string &label) {
  if (baseDir.empty())
    return makeError(label + " uses external data file '" + location +
                     "' but the model's directory is unknown");
  if (llvm::sys::path::is_absolute(location))
    return makeError(label + ": external data location '" + location +
                     "' must be relative to the model's directory");
  for (llvm::StringRef part : llvm::make_range(llvm::sys::path::begin(location),
                                               llvm::sys::path::end(location)))
    if (part == "..")
      return makeError(label + ": external data location '" + location +
                       "' escapes the model's directory");
  llvm::SmallString<256> path(baseDir);
  llvm::sys::path::append(path, location);
  llvm::SmallString<256> realDir, realFile;
  if (std::error_code ec = llvm::sys::fs::real_path(path, realFile))
    return makeError(label + ": cannot open external data file '" + path +
                     "': " + ec.message());
  if (std::error_code ec = llvm::sys::fs::real_path(baseDir, realDir))
    return makeError(label + ": cannot resolve the model directory '" +
                     baseDir + "': " + ec.message());
  llvm::StringRef file = realFile, dir = realDir;
  if (!file.startswith(dir) || file.size() <= dir.size() ||
      !llvm::sys::path::is_separator(file[dir.size()]))
    return makeError(label + ": external data file '" + location +
                     "' resolves outside the model's directory");
  return std::string(realFile);
}

/// Reads exactly `size` bytes at `offset` of `path`.
static llvm::Expected<std::string> readSlice(const std::string &path,
                                             uint64_t offset, uint64_t size,
                                             const std::string &label) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return makeError(label + ": cannot open external data file '" + path +
                     "': " + std::strerror(errno));
  auto closeFd = llvm::make_scope_exit([fd] { ::close(fd); });
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(fd, status))
    return makeError(label + ": cannot stat '" + path + "': " + ec.message());
  if (status.type() != llvm::sys::fs::file_type::regular_file)
    return makeError(label + ": external data '" + path +
                     "' is not a regular file");
  uint64_t fileSize = status.getSize();
  if (offset > fileSize || size > fileSize - offset)
    return makeError(label + ": external data range [" +
                     std::to_string(offset) + ", " +
                     std::to_string(offset + size) + ") is outside '" + path +
                     "' (" + std::to_string(fileSize) + " bytes)");
  std::string bytes(size, '\0');
  uint64_t done = 0;
  while (done < size) {
    ssize_t got = ::pread(fd, &bytes[done], size - done, offset + done);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return makeError(label + ": cannot read '" + path +
                       "': " + (got < 0 ? std::strerror(errno) : "short read"));
    done += static_cast<uint64_t>(got);
  }
  return bytes;
}

llvm::Error onnxio::inlineExternalData(onnx::TensorProto &proto,
                                       llvm::StringRef baseDir) {
  std::string label = proto.name().empty() ? std::string("tensor")
                                           : "tensor '" + proto.name() + "'";
  if (proto.data_type() == onnx::TensorProto::STRING)
    return makeError(label + ": string tensors cannot be stored externally");
  if (proto.has_raw_data())
    return makeError(label + " is stored externally but also has raw_data");
  llvm::Expected<ExternalRef> ref = parseRef(proto, label);
  if (!ref)
    return ref.takeError();
  // The expected size follows from the shape; element types that are not
  // numeric are caught by the caller, so a zero size here is harmless.
  uint64_t n = 1;
  for (int64_t d : proto.dims()) {
    if (d < 0 || (d != 0 && n > (UINT64_MAX >> 8) / static_cast<uint64_t>(d)))
      return makeError(label + " has invalid dimensions");
    n *= static_cast<uint64_t>(d);
  }
  int32_t dt = proto.data_type();
  uint64_t elemSize = dt > 0 && dt <= kMaxElementType
                          ? getElementSize(static_cast<ElementType>(dt))
                          : 0;
  uint64_t size = n * elemSize;
  if (ref->hasLength && ref->length != size)
    return makeError(label + " needs " + std::to_string(size) +
                     " bytes but its external data length is " +
                     std::to_string(ref->length));
  llvm::Expected<std::string> path = resolvePath(baseDir, ref->location, label);
  if (!path)
    return path.takeError();
  llvm::Expected<std::string> bytes =
      readSlice(*path, ref->offset, size, label);
  if (!bytes)
    return bytes.takeError();
  proto.clear_external_data();
  proto.clear_data_location();
  *proto.mutable_raw_data() = std::move(*bytes);
  return llvm::Error::success();
}
