//===- NpyHeader.h - .npy header parsing for streaming readers --*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The .npy header parser behind parseNpy, exposed to lib/IO so that readers
// which stream the array data (Dataset.cpp) check headers exactly as the
// whole-array reader does: same dtypes, same rejection of big-endian and
// Fortran-order arrays, same messages. Private to lib/IO.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_IO_NPYHEADER_H
#define QLC_LIB_IO_NPYHEADER_H

#include "qlc/IR/Tensor.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Error.h"

namespace qlc {

/// What a .npy header says about the array data that follows it.
struct NpyHeaderInfo {
  ElementType type = ElementType::Undefined;
  Shape shape;
  /// Bytes of magic, version, length field and header: where data starts.
  uint64_t dataOffset = 0;
  /// Bytes of data the shape and element type imply.
  uint64_t dataSize = 0;
};

/// Bytes a streaming reader reads before it can call getNpyHeaderSize.
constexpr uint64_t kNpyPreludeSize = 12;

/// The data offset (total header size) from the first bytes of a .npy file,
/// at least 10 of them (12 for format versions 2 and 3). Fails on a bad
/// magic, an unknown version or too few bytes.
llvm::Expected<uint64_t> getNpyHeaderSize(llvm::StringRef prefix);

/// Parses the header at the start of `bytes`, which must hold at least the
/// whole header (the data may follow or not).
llvm::Expected<NpyHeaderInfo> parseNpyHeader(llvm::StringRef bytes);

/// Checks that `available` bytes of data are exactly what `info` needs
/// ("truncated .npy data: ..." or "unexpected N bytes after ...").
llvm::Error checkNpyDataSize(const NpyHeaderInfo &info, uint64_t available);

/// Reads and parses the header at the start of a stream of `streamSize`
/// bytes; `read` must deliver exactly the requested bytes in order.
llvm::Expected<NpyHeaderInfo>
readNpyHeader(llvm::function_ref<llvm::Error(char *dst, size_t size)> read,
              uint64_t streamSize);

/// NumPy bools may hold any non-zero byte; qlc's are exactly 0 or 1.
inline void normalizeNpyBools(char *data, size_t size) {
  for (size_t i = 0; i < size; ++i)
    data[i] = data[i] != 0;
}

} // namespace qlc

#endif // QLC_LIB_IO_NPYHEADER_H
