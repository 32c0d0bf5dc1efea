//===- RandomAccessFile.cpp - Positional reads from a file ----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Wraps LLVM's native file handles: readNativeFileSlice is pread on POSIX.
// Reads loop because the kernel may return fewer bytes than asked (Linux
// caps one read near 2 GiB); reaching the end of the file early is an
// error, since every caller knows how many bytes must be there.
//
//===----------------------------------------------------------------------===//

#include "RandomAccessFile.h"
#include "qlc/Support/Error.h"

using namespace qlc;
namespace fs = llvm::sys::fs;

llvm::Expected<std::unique_ptr<RandomAccessFile>>
RandomAccessFile::open(llvm::StringRef path) {
  auto handle = fs::openNativeFileForRead(path);
  if (!handle)
    return makeError("cannot read file: " +
                     llvm::errorToErrorCode(handle.takeError()).message());
  fs::file_status status;
  std::error_code ec = fs::status(*handle, status);
  if (!ec && status.type() == fs::file_type::directory_file)
    ec = std::make_error_code(std::errc::is_a_directory);
  if (ec) {
    fs::closeFile(*handle);
    return makeError("cannot read file: " + ec.message());
  }
  return std::unique_ptr<RandomAccessFile>(
      new RandomAccessFile(path.str(), *handle, status.getSize()));
}

RandomAccessFile::~RandomAccessFile() { fs::closeFile(handle); }

llvm::Error RandomAccessFile::checkRange(uint64_t offset,
                                         uint64_t count) const {
  if (offset > size || count > size - offset)
    return makeError("read of " + llvm::Twine(count) + " bytes at offset " +
                     llvm::Twine(offset) + " is past the end of the file (" +
                     llvm::Twine(size) + " bytes)");
  return llvm::Error::success();
}

llvm::Error RandomAccessFile::readAt(uint64_t offset, char *dst,
                                     uint64_t count) const {
  if (llvm::Error err = checkRange(offset, count))
    return err;
  while (count > 0) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(count, 1u << 30));
    auto got = fs::readNativeFileSlice(
        handle, llvm::MutableArrayRef<char>(dst, chunk), offset);
    if (!got)
      return makeError("cannot read file: " +
                       llvm::errorToErrorCode(got.takeError()).message());
    if (*got == 0)
      return makeError("file ended early (was it truncated while open?)");
    dst += *got;
    offset += *got;
    count -= *got;
  }
  return llvm::Error::success();
}

llvm::Expected<std::string> RandomAccessFile::readString(uint64_t offset,
                                                         uint64_t count) const {
  if (llvm::Error err = checkRange(offset, count))
    return err;
  std::string bytes(count, '\0');
  if (llvm::Error err = readAt(offset, &bytes[0], count))
    return err;
  return bytes;
}
