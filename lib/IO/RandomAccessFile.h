//===- RandomAccessFile.h - Positional reads from a file --------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A read-only file read with positional reads (pread), for readers that
// must not load a whole file: the streaming data set reader and the zip
// directory reader. Private to lib/IO.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_IO_RANDOMACCESSFILE_H
#define QLC_LIB_IO_RANDOMACCESSFILE_H

#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"

#include <memory>
#include <string>

namespace qlc {

class RandomAccessFile {
public:
  /// Opens `path`; the error reads "cannot read file: <reason>", as
  /// readWholeFile's does, and does not name the file.
  static llvm::Expected<std::unique_ptr<RandomAccessFile>>
  open(llvm::StringRef path);
  ~RandomAccessFile();
  RandomAccessFile(const RandomAccessFile &) = delete;
  RandomAccessFile &operator=(const RandomAccessFile &) = delete;

  const std::string &getPath() const { return path; }
  /// The size when the file was opened.
  uint64_t getSize() const { return size; }
  /// Reads exactly `count` bytes at `offset`; fails past the end.
  llvm::Error readAt(uint64_t offset, char *dst, uint64_t count) const;
  /// `count` bytes at `offset` as a string.
  llvm::Expected<std::string> readString(uint64_t offset, uint64_t count) const;

private:
  llvm::Error checkRange(uint64_t offset, uint64_t count) const;
  RandomAccessFile(std::string path, llvm::sys::fs::file_t handle,
                   uint64_t size)
      : path(std::move(path)), handle(handle), size(size) {}

  std::string path;
  llvm::sys::fs::file_t handle;
  uint64_t size;
};

} // namespace qlc

#endif // QLC_LIB_IO_RANDOMACCESSFILE_H
