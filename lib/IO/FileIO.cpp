//===- FileIO.cpp - Whole-file reads and atomic writes --------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The atomic write creates a uniquely named temporary file next to the
// destination (same file system, so the rename is atomic), writes and
// closes it, then renames it over the destination. Any failure removes the
// temporary file and leaves the destination untouched.
//
//===----------------------------------------------------------------------===//

#include "qlc/IO/FileIO.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace qlc;

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
qlc::readWholeFile(llvm::StringRef path) {
  auto bufOrErr = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
  if (!bufOrErr)
    return makeError("cannot read file: " + bufOrErr.getError().message());
  return std::move(*bufOrErr);
}

llvm::Error qlc::writeFileAtomic(llvm::StringRef path,
                                 llvm::StringRef contents) {
  llvm::SmallString<256> model(path);
  model += ".tmp%%%%%%";
  int fd = -1;
  llvm::SmallString<256> tempPath;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(model, fd, tempPath))
    return makeError("cannot create a temporary file next to '" + path +
                     "': " + ec.message());
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << contents;
    os.close();
    if (os.has_error()) {
      std::error_code ec = os.error();
      os.clear_error();
      llvm::sys::fs::remove(tempPath);
      return makeError("cannot write '" + path + "': " + ec.message());
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(tempPath, path)) {
    llvm::sys::fs::remove(tempPath);
    return makeError("cannot rename temporary file to '" + path +
                     "': " + ec.message());
  }
  return llvm::Error::success();
}

std::string qlc::sanitizeFileName(llvm::StringRef name) {
  std::string out;
  for (char c : name)
    out += llvm::isAlnum(c) || c == '.' || c == '_' || c == '-' ? c : '_';
  if (out.empty() || out.front() == '.')
    out.insert(out.begin(), '_');
  return out;
}
