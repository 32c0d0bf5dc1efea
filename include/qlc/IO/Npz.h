//===- Npz.h - NumPy .npz archives ------------------------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A .npz file is a zip archive of .npy members, one per array, named
// "<key>.npy". Reading accepts stored and deflate-compressed members
// (np.savez and np.savez_compressed) and ZIP64 archives, and checks each
// member's CRC-32. Writing produces stored members, switching to ZIP64
// records where sizes or offsets need it.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_IO_NPZ_H
#define QLC_IO_NPZ_H

#include "qlc/IR/Tensor.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace qlc {

struct NpzArray {
  std::string key; // member name without the ".npy" suffix
  Tensor tensor;
};

/// Arrays in archive order.
using NpzArrays = std::vector<NpzArray>;

/// Parses the bytes of a .npz file. With `onlyKeys`, only those arrays are
/// decoded (others, e.g. of string dtypes qlc cannot hold, are skipped).
llvm::Expected<NpzArrays> parseNpz(llvm::StringRef bytes,
                                   llvm::ArrayRef<std::string> onlyKeys = {});
/// Reads a .npz file; errors do not name the file (callers add it).
llvm::Expected<NpzArrays>
readNpzFile(llvm::StringRef path, llvm::ArrayRef<std::string> onlyKeys = {});

/// The array named `key`, or null.
const Tensor *findNpzArray(const NpzArrays &arrays, llvm::StringRef key);

/// Serializes `arrays` as an uncompressed archive (like np.savez); keys
/// must be unique and non-empty.
llvm::Expected<std::string> serializeNpz(const NpzArrays &arrays);
/// Writes an archive to `path` atomically.
llvm::Error writeNpzFile(llvm::StringRef path, const NpzArrays &arrays);

} // namespace qlc

#endif // QLC_IO_NPZ_H
