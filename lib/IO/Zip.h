//===- Zip.h - Minimal zip archive reader and writer ------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Just enough of the zip format for .npz files: the reader walks the central
// directory (ZIP64 included) and extracts stored or deflated members,
// checking CRC-32; the writer emits stored members with deterministic
// timestamps and ZIP64 records where 32-bit fields overflow.
// Private to lib/IO.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_IO_ZIP_H
#define QLC_LIB_IO_ZIP_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace qlc {
namespace zip {

struct Entry {
  std::string name;
  uint16_t method = 0; // 0 stored, 8 deflate
  uint16_t flags = 0;
  uint32_t crc = 0;
  uint64_t compressedSize = 0;
  uint64_t uncompressedSize = 0;
  uint64_t localHeaderOffset = 0;
};

/// Lists the members of `archive` from its central directory.
llvm::Expected<std::vector<Entry>> readDirectory(llvm::StringRef archive);

/// The uncompressed bytes of `entry`, CRC-checked.
llvm::Expected<std::string> extract(llvm::StringRef archive,
                                    const Entry &entry);

/// Builds an archive of stored members in memory.
class Writer {
public:
  /// With `forceZip64`, every member and the end record use ZIP64 fields
  /// (for tests; they are used anyway where 32 bits do not suffice).
  explicit Writer(bool forceZip64 = false) : forceZip64(forceZip64) {}
  void addStored(llvm::StringRef name, llvm::StringRef data);
  /// Appends the central directory and end records; returns the archive.
  std::string finish();

private:
  bool forceZip64;
  std::string out;
  std::vector<Entry> entries;
};

} // namespace zip
} // namespace qlc

#endif // QLC_LIB_IO_ZIP_H
