//===- ZipStream.cpp - Streaming reads of zip archive members -------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// MemberReader reads a member through positional file reads: a stored
// member straight from the file into the caller's buffer, a deflated one
// through zlib's z_stream, fed from a fixed-size input buffer and inflating
// directly into the caller's buffer. Memory therefore stays bounded however
// large the member. The running CRC-32 is compared with the directory's
// when the last byte is read; a member read only in part is not checked.
//
//===----------------------------------------------------------------------===//

#include "RandomAccessFile.h"
#include "Zip.h"
#include "qlc/Support/Error.h"

#include "llvm/Support/Endian.h"

#include <zlib.h>

using namespace qlc;
using namespace qlc::zip;

/// Compressed bytes read from the file at a time.
static constexpr uint64_t kInputBufferSize = 256 << 10;
static constexpr uint32_t kLocalSig = 0x04034b50;

static llvm::Error corrupt(const llvm::Twine &what) {
  return makeError("corrupt zip archive: " + what);
}

struct MemberReader::Inflater {
  z_stream zs{};
  bool initialized = false;
  bool ended = false; // Z_STREAM_END seen
  uint64_t compressedPosition = 0;
  std::vector<char> input;
  ~Inflater() {
    if (initialized)
      inflateEnd(&zs);
  }
};

MemberReader::MemberReader(const RandomAccessFile &file, const Entry &entry,
                           uint64_t dataStart)
    : file(file), entry(entry), dataStart(dataStart) {}

MemberReader::~MemberReader() = default;

llvm::Expected<std::unique_ptr<MemberReader>>
MemberReader::open(const RandomAccessFile &file, const Entry &e) {
  if (e.flags & 1)
    return makeError("encrypted zip member '" + e.name + "' is not supported");
  if (e.method != 0 && e.method != 8)
    return makeError("zip member '" + e.name +
                     "' uses unsupported compression method " +
                     llvm::Twine(e.method));
  uint64_t size = file.getSize(), local = e.localHeaderOffset;
  if (local > size || size - local < 30)
    return corrupt("bad local header for '" + e.name + "'");
  char header[30];
  if (llvm::Error err = file.readAt(local, header, sizeof(header)))
    return err;
  namespace endian = llvm::support::endian;
  if (endian::read32le(header) != kLocalSig)
    return corrupt("bad local header for '" + e.name + "'");
  uint64_t dataStart = local + 30 + endian::read16le(header + 26) +
                       endian::read16le(header + 28);
  if (dataStart > size || e.compressedSize > size - dataStart)
    return corrupt("data of '" + e.name + "' out of bounds");
  if (e.method == 0 && e.compressedSize != e.uncompressedSize)
    return corrupt("size mismatch in stored member '" + e.name + "'");
  // Deflate expands at most 1032:1; a larger claim is damage, and callers
  // size buffers from it.
  if (e.method == 8 && e.uncompressedSize / 1032 > e.compressedSize)
    return corrupt("'" + e.name + "' claims " +
                   llvm::Twine(e.uncompressedSize) + " bytes from only " +
                   llvm::Twine(e.compressedSize) + " compressed bytes");
  std::unique_ptr<MemberReader> reader(new MemberReader(file, e, dataStart));
  if (e.method == 8) {
    reader->inflater = std::make_unique<Inflater>();
    if (inflateInit2(&reader->inflater->zs, -MAX_WBITS) != Z_OK)
      return makeError("cannot initialise zlib");
    reader->inflater->initialized = true;
    reader->inflater->input.resize(static_cast<size_t>(
        std::max<uint64_t>(1, std::min(kInputBufferSize, e.compressedSize))));
  }
  return reader;
}

llvm::Error MemberReader::read(char *dst, uint64_t count) {
  if (count > getSize() - position)
    return makeError("read past the end of zip member '" + entry.name + "'");
  if (llvm::Error err =
          inflater ? readDeflated(dst, count) : readStored(dst, count))
    return err;
  // crc32_z takes a size_t: fine for any buffer that exists in memory.
  crc = static_cast<uint32_t>(
      crc32_z(crc, reinterpret_cast<const Bytef *>(dst), count));
  position += count;
  if (position == getSize() && !finished) {
    finished = true;
    return finish();
  }
  return llvm::Error::success();
}

llvm::Expected<std::string> MemberReader::readRest() {
  std::string bytes(getSize() - position, '\0');
  if (llvm::Error err = read(&bytes[0], bytes.size()))
    return err;
  return bytes;
}

void MemberReader::rewind() {
  position = 0;
  crc = 0;
  finished = false;
  if (inflater) {
    inflateReset(&inflater->zs);
    inflater->zs.avail_in = 0;
    inflater->compressedPosition = 0;
    inflater->ended = false;
  }
}

llvm::Error MemberReader::readStored(char *dst, uint64_t count) {
  return file.readAt(dataStart + position, dst, count);
}

llvm::Error MemberReader::refillInput() {
  Inflater &inf = *inflater;
  uint64_t left = entry.compressedSize - inf.compressedPosition;
  if (left == 0)
    return llvm::Error::success(); // inflate will report the truncation
  uInt n = static_cast<uInt>(std::min<uint64_t>(left, inf.input.size()));
  if (llvm::Error err =
          file.readAt(dataStart + inf.compressedPosition, inf.input.data(), n))
    return err;
  inf.zs.next_in = reinterpret_cast<Bytef *>(inf.input.data());
  inf.zs.avail_in = n;
  inf.compressedPosition += n;
  return llvm::Error::success();
}

/// Runs inflate once into [dst, dst + count) (count < 4 GiB), refilling the
/// input first when it is empty; returns the bytes produced, or an error
/// for damaged or truncated data.
static llvm::Expected<uint64_t> inflateStep(z_stream &zs, char *dst, uInt count,
                                            bool inputExhausted, bool &ended,
                                            llvm::StringRef name) {
  zs.next_out = reinterpret_cast<Bytef *>(dst);
  zs.avail_out = count;
  int status = inflate(&zs, Z_NO_FLUSH);
  uint64_t produced = count - zs.avail_out;
  if (status == Z_STREAM_END)
    ended = true;
  else if (status == Z_BUF_ERROR && zs.avail_in == 0 && inputExhausted)
    return corrupt("'" + name + "' is truncated: its deflate data ends early");
  else if (status != Z_OK && status != Z_BUF_ERROR)
    return corrupt("cannot inflate '" + name + "'" +
                   (zs.msg ? llvm::Twine(": ") + zs.msg : llvm::Twine()));
  return produced;
}

llvm::Error MemberReader::readDeflated(char *dst, uint64_t count) {
  Inflater &inf = *inflater;
  while (count > 0) {
    if (inf.ended)
      return corrupt("'" + entry.name +
                     "' inflates to fewer bytes than its recorded size");
    if (inf.zs.avail_in == 0)
      if (llvm::Error err = refillInput())
        return err;
    // avail_out is 32-bit: inflate huge reads in slices.
    uInt chunk = static_cast<uInt>(std::min<uint64_t>(count, 1u << 30));
    auto produced = inflateStep(inf.zs, dst, chunk,
                                inf.compressedPosition == entry.compressedSize,
                                inf.ended, entry.name);
    if (!produced)
      return produced.takeError();
    dst += *produced;
    count -= *produced;
  }
  return llvm::Error::success();
}

llvm::Error MemberReader::finish() {
  if (inflater) {
    Inflater &inf = *inflater;
    // The recorded size is reached; the deflate stream must end here too.
    while (!inf.ended) {
      if (inf.zs.avail_in == 0)
        if (llvm::Error err = refillInput())
          return err;
      char extra;
      auto produced = inflateStep(
          inf.zs, &extra, 1, inf.compressedPosition == entry.compressedSize,
          inf.ended, entry.name);
      if (!produced)
        return produced.takeError();
      if (*produced)
        return corrupt("'" + entry.name +
                       "' inflates to more bytes than its recorded size");
    }
  }
  if (crc != entry.crc)
    return corrupt("CRC mismatch in '" + entry.name + "'");
  return llvm::Error::success();
}
