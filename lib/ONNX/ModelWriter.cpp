//===- ModelWriter.cpp - Writing models and files atomically --------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The public export entry points. Files are written to a temporary file in
// the destination directory and renamed over the destination only once they
// are complete, so a failure (full disk, checker error, rename refused)
// removes the temporary file and leaves an existing destination untouched.
// Binary models stream straight from the IR to the file (ProtoWriter.cpp);
// with external data, large initializers go to "<output>.data", written the
// same way and renamed first.
//
//===----------------------------------------------------------------------===//

#include "qlc/ONNX/Export.h"

#include "ProtoConversion.h"

#include "qlc/Support/Error.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <unistd.h>

using namespace qlc;

/// Protobuf cannot parse messages of 2 GB or more.
static constexpr size_t kMaxProtoSize = INT_MAX;

namespace {
/// Protobuf's FileOutputStream ignores its block size (8 KiB writes) in
/// 3.21; this sink lets CopyingOutputStreamAdaptor use a larger buffer and
/// write large aliased chunks (tensor bytes) directly.
class FdSink : public google::protobuf::io::CopyingOutputStream {
public:
  explicit FdSink(int fd) : fd(fd) {}
  bool Write(const void *buffer, int size) override {
    const char *p = static_cast<const char *>(buffer);
    while (size > 0) {
      ssize_t n = ::write(fd, p, static_cast<size_t>(size));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0) {
        error = errno;
        return false;
      }
      p += n;
      size -= static_cast<int>(n);
    }
    return true;
  }
  int getErrno() const { return error; }

private:
  int fd;
  int error = 0;
};

/// A temporary file next to `dest`, removed unless committed.
class TempFile {
public:
  static llvm::Expected<TempFile> create(llvm::StringRef dest) {
    TempFile tmp;
    tmp.dest = dest.str();
    llvm::SmallString<256> model(llvm::sys::path::parent_path(dest));
    if (model.empty())
      model = ".";
    llvm::sys::path::append(model, "." + llvm::sys::path::filename(dest) +
                                       ".tmp-%%%%%%%%");
    llvm::SmallString<256> path;
    if (std::error_code ec =
            llvm::sys::fs::createUniqueFile(model, tmp.fd, path))
      return makeError("cannot create a temporary file next to '" + dest +
                       "': " + ec.message());
    tmp.path = std::string(path);
    return tmp;
  }
  TempFile() = default;
  TempFile(TempFile &&o) { *this = std::move(o); }
  TempFile &operator=(TempFile &&o) {
    std::swap(fd, o.fd);
    std::swap(path, o.path);
    std::swap(dest, o.dest);
    return *this;
  }
  ~TempFile() {
    if (fd >= 0)
      ::close(fd);
    if (!path.empty())
      llvm::sys::fs::remove(path);
  }

  int getFD() const { return fd; }

  llvm::Error writeAll(const char *data, size_t size) {
    while (size > 0) {
      ssize_t n = ::write(fd, data, size);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return writeError(errno);
      data += n;
      size -= static_cast<size_t>(n);
    }
    return llvm::Error::success();
  }

  llvm::Error writeError(int err) const {
    return makeError("cannot write '" + dest + "': " + std::strerror(err));
  }

  /// Closes the file and renames it over the destination.
  llvm::Error commit() {
    int f = fd;
    fd = -1;
    if (::close(f) != 0)
      return writeError(errno);
    if (std::error_code ec = llvm::sys::fs::rename(path, dest))
      return makeError("cannot write '" + dest + "': " + ec.message());
    path.clear();
    return llvm::Error::success();
  }

private:
  int fd = -1;
  std::string path;
  std::string dest;
};
} // namespace

llvm::Error qlc::writeFileAtomically(llvm::StringRef path,
                                     llvm::StringRef contents) {
  llvm::Expected<TempFile> tmp = TempFile::create(path);
  if (!tmp)
    return tmp.takeError();
  if (llvm::Error err = tmp->writeAll(contents.data(), contents.size()))
    return err;
  return tmp->commit();
}

/// Checks a copy of the skeleton completed with its bytes (except large
/// weights, which the checker does not read).
static llvm::Error checkExported(const onnxio::ExportedModel &exported) {
  onnxio::ExportedModel copy{exported.proto, exported.spliced};
  onnxio::fillSplicedData(copy, onnxio::DataFill::ForAnalysis);
  return onnxio::checkModelProto(copy.proto);
}

llvm::Expected<std::string> qlc::exportModelBinary(const Model &model,
                                                   bool runChecker) {
  llvm::Expected<onnxio::ExportedModel> exported =
      onnxio::buildSkeleton(model, onnxio::SkeletonOptions());
  if (!exported)
    return exported.takeError();
  if (runChecker)
    if (llvm::Error err = checkExported(*exported))
      return err;
  size_t size = onnxio::getSplicedByteSize(*exported);
  if (size > kMaxProtoSize)
    return makeError("the model needs " + std::to_string(size) +
                     " bytes, over protobuf's 2 GB limit: export it to a " +
                     "file with external data");
  std::string bytes;
  bytes.reserve(size);
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    if (llvm::Error err = onnxio::writeSpliced(*exported, stream))
      return err;
  }
  return bytes;
}

/// Moves initializers of at least `threshold` bytes to the side file
/// `location`; returns them in file order.
static std::vector<const Tensor *> externalize(onnxio::ExportedModel &exported,
                                               const std::string &location,
                                               size_t threshold) {
  std::vector<const Tensor *> moved;
  uint64_t offset = 0;
  onnx::GraphProto &g = *exported.proto.mutable_graph();
  for (size_t i = 0; i < exported.spliced.size(); ++i) {
    const Tensor *t = exported.spliced[i];
    if (!t || t->getByteSize() < threshold)
      continue;
    onnx::TensorProto &tp = *g.mutable_initializer(static_cast<int>(i));
    tp.set_data_location(onnx::TensorProto::EXTERNAL);
    auto addEntry = [&](const char *key, const std::string &value) {
      onnx::StringStringEntryProto *e = tp.add_external_data();
      e->set_key(key);
      e->set_value(value);
    };
    addEntry("location", location);
    addEntry("offset", std::to_string(offset));
    addEntry("length", std::to_string(t->getByteSize()));
    offset += t->getByteSize();
    moved.push_back(t);
    exported.spliced[i] = nullptr;
  }
  return moved;
}

static llvm::Error writeBinaryFile(const Model &model, llvm::StringRef path,
                                   const ExportOptions &options) {
  llvm::Expected<onnxio::ExportedModel> exported =
      onnxio::buildSkeleton(model, onnxio::SkeletonOptions());
  if (!exported)
    return exported.takeError();
  if (options.runChecker)
    if (llvm::Error err = checkExported(*exported))
      return err;

  bool external = options.externalData ||
                  onnxio::getSplicedByteSize(*exported) > kMaxProtoSize;
  std::string dataPath = (path + ".data").str();
  std::vector<const Tensor *> moved;
  if (external)
    moved = externalize(*exported, llvm::sys::path::filename(dataPath).str(),
                        options.externalDataThreshold);
  if (onnxio::getSplicedByteSize(*exported) > kMaxProtoSize)
    return makeError("the model is over protobuf's 2 GB limit even with "
                     "external data; lower the external data threshold");

  // Data first: the model is renamed last, once everything it names exists.
  TempFile dataTmp;
  if (!moved.empty()) {
    llvm::Expected<TempFile> tmp = TempFile::create(dataPath);
    if (!tmp)
      return tmp.takeError();
    dataTmp = std::move(*tmp);
    for (const Tensor *t : moved)
      if (llvm::Error err = dataTmp.writeAll(t->getRawData(), t->getByteSize()))
        return err;
  }
  llvm::Expected<TempFile> modelTmp = TempFile::create(path);
  if (!modelTmp)
    return modelTmp.takeError();
  {
    FdSink sink(modelTmp->getFD());
    // A 256 KiB buffer, or less for a small model; large tensors bypass it.
    size_t bufferSize = std::min<size_t>(
        std::max<size_t>(onnxio::getSplicedByteSize(*exported), 4096),
        256 << 10);
    google::protobuf::io::CopyingOutputStreamAdaptor stream(
        &sink, static_cast<int>(bufferSize));
    llvm::Error err = onnxio::writeSpliced(*exported, stream);
    bool flushed = stream.Flush();
    if (sink.getErrno() != 0) {
      llvm::consumeError(std::move(err));
      return modelTmp->writeError(sink.getErrno());
    }
    if (err)
      return err;
    if (!flushed)
      return makeError("cannot write '" + path + "'");
  }
  if (!moved.empty())
    if (llvm::Error err = dataTmp.commit())
      return err;
  return modelTmp->commit();
}

llvm::Error qlc::exportModelFile(const Model &model, llvm::StringRef path,
                                 const ExportOptions &options) {
  if (options.format == ModelFormat::Binary)
    return writeBinaryFile(model, path, options);
  if (options.runChecker)
    if (llvm::Error err = checkModel(model))
      return err;
  std::string text;
  llvm::raw_string_ostream os(text);
  printModelText(model, os);
  os.flush();
  return writeFileAtomically(path, text);
}
