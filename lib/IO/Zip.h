//===- Zip.h - Minimal zip archive reader and writer ------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Just enough of the zip format for .npz files: the reader walks the central
// directory (ZIP64 included) and extracts stored or deflated members,
// checking CRC-32, either from an archive in memory or streaming from a
// file (MemberReader, in ZipStream.cpp); the writer emits stored members
// (and, for tests, members deflated by the caller) with deterministic
// timestamps and ZIP64 records where 32-bit fields overflow.
// Private to lib/IO.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_IO_ZIP_H
#define QLC_LIB_IO_ZIP_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace qlc {

class RandomAccessFile;

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

/// Lists the members of the archive in `file`, reading only its end records
/// and central directory.
llvm::Expected<std::vector<Entry>> readDirectory(const RandomAccessFile &file);

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
  /// Adds a member of raw deflate data (zlib with -15 window bits) whose
  /// inflated bytes have CRC-32 `crc` and size `uncompressedSize`; nothing
  /// is checked, so tests can also build damaged members.
  void addDeflated(llvm::StringRef name, llvm::StringRef deflated, uint32_t crc,
                   uint64_t uncompressedSize);
  /// Appends the central directory and end records; returns the archive.
  std::string finish();

private:
  void addMember(llvm::StringRef name, uint16_t method, llvm::StringRef data,
                 uint32_t crc, uint64_t uncompressedSize);

  bool forceZip64;
  std::string out;
  std::vector<Entry> entries;
};

/// Streams the uncompressed bytes of one member of an archive file front to
/// back, holding only a bounded input buffer. The CRC-32 is checked when the
/// last byte has been read, and a deflated member must end exactly there.
class MemberReader {
public:
  /// Checks the local header and the member's bounds; `file` must outlive
  /// the reader.
  static llvm::Expected<std::unique_ptr<MemberReader>>
  open(const RandomAccessFile &file, const Entry &entry);
  ~MemberReader();
  MemberReader(const MemberReader &) = delete;
  MemberReader &operator=(const MemberReader &) = delete;

  const Entry &getEntry() const { return entry; }
  /// Uncompressed size of the member.
  uint64_t getSize() const { return entry.uncompressedSize; }
  /// Bytes read since the start (or the last rewind).
  uint64_t getPosition() const { return position; }
  /// Reads exactly `count` more bytes into `dst`.
  llvm::Error read(char *dst, uint64_t count);
  /// All remaining bytes.
  llvm::Expected<std::string> readRest();
  /// Back to the first byte.
  void rewind();

private:
  struct Inflater;
  MemberReader(const RandomAccessFile &file, const Entry &entry,
               uint64_t dataStart);
  llvm::Error readStored(char *dst, uint64_t count);
  llvm::Error readDeflated(char *dst, uint64_t count);
  llvm::Error refillInput();
  /// At the end of the member: the deflate stream ends and the CRC holds.
  llvm::Error finish();

  const RandomAccessFile &file;
  Entry entry;
  uint64_t dataStart;
  uint64_t position = 0;
  uint32_t crc = 0;
  bool finished = false;              // finish() ran for this pass
  std::unique_ptr<Inflater> inflater; // deflated members only
};

} // namespace zip
} // namespace qlc

#endif // QLC_LIB_IO_ZIP_H
