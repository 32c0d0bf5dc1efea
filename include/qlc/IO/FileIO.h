//===- FileIO.h - Whole-file reads and atomic writes ------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Small helpers shared by the tensor readers and writers: read a whole file
// into memory, and write a file atomically (a temporary file in the same
// directory, then a rename), so a failed run never leaves a partial file or
// clobbers an existing one. Also the mapping from tensor names to file
// names shared by the tools that write one .npy per tensor.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_IO_FILEIO_H
#define QLC_IO_FILEIO_H

#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <string>

namespace qlc {

/// The contents of `path`; the error message does not name the file.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readWholeFile(llvm::StringRef path);

/// Writes `contents` to `path` through a temporary file and a rename.
llvm::Error writeFileAtomic(llvm::StringRef path, llvm::StringRef contents);

/// A file name for a tensor name (ONNX names may hold '/', ':' ...):
/// characters outside [A-Za-z0-9._-] become '_', a leading '.' is
/// prefixed with '_', and "" becomes "_". qlc-run and tools/ort/run-ort.js
/// name their .npy files this way.
std::string sanitizeFileName(llvm::StringRef name);

} // namespace qlc

#endif // QLC_IO_FILEIO_H
