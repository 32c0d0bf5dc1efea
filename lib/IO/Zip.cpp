//===- Zip.cpp - Minimal zip archive reader and writer --------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Layout (APPNOTE 6.3): local headers each followed by member data, then the
// central directory, optionally a ZIP64 end record and its locator, then the
// end-of-central-directory record. The reader trusts only the central
// directory for sizes (local headers may defer them to a data descriptor)
// and uses a local header only to find where the data starts. Every offset
// and length read from the file is bounds-checked before use.
//
//===----------------------------------------------------------------------===//

#include "Zip.h"
#include "RandomAccessFile.h"
#include "qlc/Support/Error.h"

#include "llvm/Support/Endian.h"

#include <zlib.h>

using namespace qlc;
using namespace qlc::zip;
namespace endian = llvm::support::endian;

static constexpr uint32_t kLocalSig = 0x04034b50;
static constexpr uint32_t kCentralSig = 0x02014b50;
static constexpr uint32_t kEndSig = 0x06054b50;
static constexpr uint32_t kEnd64Sig = 0x06064b50;
static constexpr uint32_t kLocator64Sig = 0x07064b50;
static constexpr uint16_t kZip64ExtraId = 0x0001;
static constexpr uint32_t k32Max = 0xffffffffu;
static constexpr uint16_t k16Max = 0xffffu;

static llvm::Error corrupt(const llvm::Twine &what) {
  return makeError("corrupt zip archive: " + what);
}

namespace {
/// Bounds-checked little-endian reads at absolute offsets.
struct Reader {
  llvm::StringRef bytes;
  bool has(uint64_t offset, uint64_t size) const {
    return offset <= bytes.size() && size <= bytes.size() - offset;
  }
  uint16_t u16(uint64_t offset) const {
    return endian::read16le(bytes.data() + offset);
  }
  uint32_t u32(uint64_t offset) const {
    return endian::read32le(bytes.data() + offset);
  }
  uint64_t u64(uint64_t offset) const {
    return endian::read64le(bytes.data() + offset);
  }
};

struct DirectoryLocation {
  uint64_t numEntries;
  uint64_t size;
  uint64_t offset;
};
} // namespace

/// Bytes of the archive at an absolute offset, already bounds-checked.
using ReadAtFn =
    llvm::function_ref<llvm::Expected<std::string>(uint64_t, uint64_t)>;

/// The end record and the ZIP64 locator lie in this many final bytes.
static constexpr uint64_t kTailSize = 22 + 0xffff + 20;

/// Finds the end record in `tail`, the last min(size, kTailSize) bytes of
/// an archive of `archiveSize` bytes, and, through the ZIP64 locator where
/// present, the central directory.
static llvm::Expected<DirectoryLocation>
locateDirectory(llvm::StringRef tail, uint64_t archiveSize, ReadAtFn readAt) {
  Reader r{tail};
  if (tail.size() < 22)
    return makeError("not a zip archive (too short)");
  uint64_t lowest = tail.size() > 22 + 0xffff ? tail.size() - 22 - 0xffff : 0;
  uint64_t end = tail.size() - 22;
  for (;; --end) {
    if (r.u32(end) == kEndSig && end + 22 + r.u16(end + 20) == tail.size())
      break;
    if (end == lowest)
      return makeError("not a zip archive (no end of central directory)");
  }
  DirectoryLocation loc{r.u16(end + 10), r.u32(end + 12), r.u32(end + 16)};
  if (r.u16(end + 4) != 0 || r.u16(end + 6) != 0)
    return makeError("multi-disk zip archives are not supported");
  bool needs64 =
      loc.numEntries == k16Max || loc.size == k32Max || loc.offset == k32Max;
  if (end >= 20 && r.u32(end - 20) == kLocator64Sig) {
    uint64_t rec = r.u64(end - 20 + 8);
    if (rec > archiveSize || archiveSize - rec < 56)
      return corrupt("bad ZIP64 end of central directory record");
    auto record = readAt(rec, 56);
    if (!record)
      return record.takeError();
    Reader r64{*record};
    if (r64.u32(0) != kEnd64Sig)
      return corrupt("bad ZIP64 end of central directory record");
    loc = DirectoryLocation{r64.u64(32), r64.u64(40), r64.u64(48)};
  } else if (needs64) {
    return corrupt("missing ZIP64 end of central directory locator");
  }
  if (loc.offset > archiveSize || loc.size > archiveSize - loc.offset)
    return corrupt("central directory out of bounds");
  return loc;
}

/// Replaces 0xffffffff fields of `e` by values from its ZIP64 extra field.
static llvm::Error applyZip64Extra(const Reader &r, uint64_t extra,
                                   uint64_t extraLen, Entry &e,
                                   uint32_t rawUSize, uint32_t rawCSize,
                                   uint32_t rawOffset) {
  uint64_t pos = extra, stop = extra + extraLen;
  while (pos + 4 <= stop) {
    uint16_t id = r.u16(pos), len = r.u16(pos + 2);
    if (pos + 4 + len > stop)
      return corrupt("extra field of '" + e.name + "' out of bounds");
    if (id == kZip64ExtraId) {
      uint64_t field = pos + 4, fieldEnd = pos + 4 + len;
      auto take = [&](uint64_t &dst) -> bool {
        if (field + 8 > fieldEnd)
          return false;
        dst = r.u64(field);
        field += 8;
        return true;
      };
      if ((rawUSize == k32Max && !take(e.uncompressedSize)) ||
          (rawCSize == k32Max && !take(e.compressedSize)) ||
          (rawOffset == k32Max && !take(e.localHeaderOffset)))
        return corrupt("short ZIP64 extra field in '" + e.name + "'");
      return llvm::Error::success();
    }
    pos += 4 + len;
  }
  if (rawUSize == k32Max || rawCSize == k32Max || rawOffset == k32Max)
    return corrupt("missing ZIP64 extra field in '" + e.name + "'");
  return llvm::Error::success();
}

/// Parses the `numEntries` entries of central directory bytes `dir`.
static llvm::Expected<std::vector<Entry>> parseEntries(llvm::StringRef dir,
                                                       uint64_t numEntries) {
  Reader r{dir};
  std::vector<Entry> entries;
  uint64_t pos = 0, stop = dir.size();
  for (uint64_t i = 0; i < numEntries; ++i) {
    if (pos + 46 > stop || r.u32(pos) != kCentralSig)
      return corrupt("bad central directory entry " + llvm::Twine(i));
    Entry e;
    e.flags = r.u16(pos + 8);
    e.method = r.u16(pos + 10);
    e.crc = r.u32(pos + 16);
    uint32_t rawCSize = r.u32(pos + 20), rawUSize = r.u32(pos + 24);
    uint16_t nameLen = r.u16(pos + 28), extraLen = r.u16(pos + 30),
             commentLen = r.u16(pos + 32);
    uint32_t rawOffset = r.u32(pos + 42);
    if (pos + 46 + nameLen + extraLen + commentLen > stop)
      return corrupt("central directory entry " + llvm::Twine(i) +
                     " out of bounds");
    e.name = dir.substr(pos + 46, nameLen).str();
    e.compressedSize = rawCSize;
    e.uncompressedSize = rawUSize;
    e.localHeaderOffset = rawOffset;
    if (llvm::Error err = applyZip64Extra(r, pos + 46 + nameLen, extraLen, e,
                                          rawUSize, rawCSize, rawOffset))
      return err;
    entries.push_back(std::move(e));
    pos += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

llvm::Expected<std::vector<Entry>> zip::readDirectory(llvm::StringRef archive) {
  auto readAt = [&](uint64_t offset,
                    uint64_t size) -> llvm::Expected<std::string> {
    return archive.substr(offset, size).str();
  };
  uint64_t tailStart =
      archive.size() > kTailSize ? archive.size() - kTailSize : 0;
  auto loc =
      locateDirectory(archive.drop_front(tailStart), archive.size(), readAt);
  if (!loc)
    return loc.takeError();
  return parseEntries(archive.substr(loc->offset, loc->size), loc->numEntries);
}

llvm::Expected<std::vector<Entry>>
zip::readDirectory(const RandomAccessFile &file) {
  uint64_t size = file.getSize();
  uint64_t tailStart = size > kTailSize ? size - kTailSize : 0;
  auto tail = file.readString(tailStart, size - tailStart);
  if (!tail)
    return tail.takeError();
  auto readAt = [&](uint64_t offset, uint64_t count) {
    return file.readString(offset, count);
  };
  auto loc = locateDirectory(*tail, size, readAt);
  if (!loc)
    return loc.takeError();
  auto dir = file.readString(loc->offset, loc->size);
  if (!dir)
    return dir.takeError();
  return parseEntries(*dir, loc->numEntries);
}

/// Inflates raw deflate data into exactly `size` bytes.
static llvm::Expected<std::string> inflateRaw(llvm::StringRef in, uint64_t size,
                                              llvm::StringRef name) {
  std::string out(size, '\0');
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK)
    return makeError("cannot initialise zlib");
  zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
  zs.next_out = reinterpret_cast<Bytef *>(&out[0]);
  uint64_t inLeft = in.size(), outLeft = size;
  int status = Z_OK;
  // avail_in/avail_out are 32-bit: feed members over 4 GiB in slices.
  while (status == Z_OK) {
    uInt inChunk = static_cast<uInt>(std::min<uint64_t>(inLeft, 1u << 30));
    uInt outChunk = static_cast<uInt>(std::min<uint64_t>(outLeft, 1u << 30));
    zs.avail_in = inChunk;
    zs.avail_out = outChunk;
    status = inflate(&zs, Z_NO_FLUSH);
    inLeft -= inChunk - zs.avail_in;
    outLeft -= outChunk - zs.avail_out;
    if (status == Z_BUF_ERROR && (inLeft == 0 || outLeft == 0))
      break;
  }
  inflateEnd(&zs);
  if (status != Z_STREAM_END || outLeft != 0)
    return corrupt("cannot inflate '" + name + "'" +
                   (zs.msg ? llvm::Twine(": ") + zs.msg : llvm::Twine()));
  return out;
}

static uint32_t crc32Of(llvm::StringRef data) {
  return static_cast<uint32_t>(
      crc32_z(0, reinterpret_cast<const Bytef *>(data.data()), data.size()));
}

llvm::Expected<std::string> zip::extract(llvm::StringRef archive,
                                         const Entry &e) {
  Reader r{archive};
  if (e.flags & 1)
    return makeError("encrypted zip member '" + e.name + "' is not supported");
  uint64_t local = e.localHeaderOffset;
  if (!r.has(local, 30) || r.u32(local) != kLocalSig)
    return corrupt("bad local header for '" + e.name + "'");
  uint64_t dataStart = local + 30 + r.u16(local + 26) + r.u16(local + 28);
  if (!r.has(dataStart, e.compressedSize))
    return corrupt("data of '" + e.name + "' out of bounds");
  llvm::StringRef raw = archive.substr(dataStart, e.compressedSize);
  std::string data;
  if (e.method == 0) {
    if (e.compressedSize != e.uncompressedSize)
      return corrupt("size mismatch in stored member '" + e.name + "'");
    data = raw.str();
  } else if (e.method == 8) {
    // Deflate expands at most 1032:1; trusting a larger claim would
    // allocate it.
    if (e.uncompressedSize / 1032 > e.compressedSize)
      return corrupt("'" + e.name + "' claims " +
                     llvm::Twine(e.uncompressedSize) + " bytes from only " +
                     llvm::Twine(e.compressedSize) + " compressed bytes");
    auto inflated = inflateRaw(raw, e.uncompressedSize, e.name);
    if (!inflated)
      return inflated.takeError();
    data = std::move(*inflated);
  } else {
    return makeError("zip member '" + e.name +
                     "' uses unsupported compression method " +
                     llvm::Twine(e.method));
  }
  if (crc32Of(data) != e.crc)
    return corrupt("CRC mismatch in '" + e.name + "'");
  return data;
}

static void put16(std::string &s, uint16_t v) {
  char b[2];
  endian::write16le(b, v);
  s.append(b, 2);
}
static void put32(std::string &s, uint32_t v) {
  char b[4];
  endian::write32le(b, v);
  s.append(b, 4);
}
static void put64(std::string &s, uint64_t v) {
  char b[8];
  endian::write64le(b, v);
  s.append(b, 8);
}

// A fixed DOS timestamp (1980-01-01 00:00) keeps archives reproducible.
static constexpr uint16_t kDosTime = 0, kDosDate = (1 << 5) | 1;

void Writer::addStored(llvm::StringRef name, llvm::StringRef data) {
  addMember(name, /*method=*/0, data, crc32Of(data), data.size());
}

void Writer::addDeflated(llvm::StringRef name, llvm::StringRef deflated,
                         uint32_t crc, uint64_t uncompressedSize) {
  addMember(name, /*method=*/8, deflated, crc, uncompressedSize);
}

void Writer::addMember(llvm::StringRef name, uint16_t method,
                       llvm::StringRef data, uint32_t crc,
                       uint64_t uncompressedSize) {
  Entry e;
  e.name = name.str();
  e.method = method;
  e.crc = crc;
  e.compressedSize = data.size();
  e.uncompressedSize = uncompressedSize;
  e.localHeaderOffset = out.size();
  bool big = forceZip64 || data.size() >= k32Max || uncompressedSize >= k32Max;
  bool utf8 = llvm::any_of(name, [](char c) { return c & 0x80; });
  e.flags = utf8 ? 0x0800 : 0;
  put32(out, kLocalSig);
  put16(out, big ? 45 : 20);
  put16(out, e.flags);
  put16(out, method);
  put16(out, kDosTime);
  put16(out, kDosDate);
  put32(out, e.crc);
  put32(out, big ? k32Max : static_cast<uint32_t>(data.size()));
  put32(out, big ? k32Max : static_cast<uint32_t>(uncompressedSize));
  put16(out, static_cast<uint16_t>(name.size()));
  put16(out, big ? 20 : 0);
  out += name;
  if (big) {
    put16(out, kZip64ExtraId);
    put16(out, 16);
    put64(out, uncompressedSize);
    put64(out, data.size());
  }
  out += data;
  entries.push_back(std::move(e));
}

std::string Writer::finish() {
  uint64_t dirOffset = out.size();
  for (const Entry &e : entries) {
    bool bigSize = forceZip64 || e.uncompressedSize >= k32Max ||
                   e.compressedSize >= k32Max;
    bool bigOffset = forceZip64 || e.localHeaderOffset >= k32Max;
    uint16_t extraLen = (bigSize ? 16 : 0) + (bigOffset ? 8 : 0);
    put32(out, kCentralSig);
    put16(out, (3 << 8) | 45); // made by Unix, spec 4.5
    put16(out, extraLen ? 45 : 20);
    put16(out, e.flags);
    put16(out, e.method);
    put16(out, kDosTime);
    put16(out, kDosDate);
    put32(out, e.crc);
    put32(out, bigSize ? k32Max : static_cast<uint32_t>(e.compressedSize));
    put32(out, bigSize ? k32Max : static_cast<uint32_t>(e.uncompressedSize));
    put16(out, static_cast<uint16_t>(e.name.size()));
    put16(out, extraLen ? extraLen + 4 : 0);
    put16(out, 0);           // comment
    put16(out, 0);           // disk
    put16(out, 0);           // internal attributes
    put32(out, 0644u << 16); // external attributes: -rw-r--r--
    put32(out, bigOffset ? k32Max : static_cast<uint32_t>(e.localHeaderOffset));
    out += e.name;
    if (extraLen) {
      put16(out, kZip64ExtraId);
      put16(out, extraLen);
      if (bigSize) {
        put64(out, e.uncompressedSize);
        put64(out, e.compressedSize);
      }
      if (bigOffset)
        put64(out, e.localHeaderOffset);
    }
  }
  uint64_t dirSize = out.size() - dirOffset;
  bool big = forceZip64 || entries.size() >= k16Max || dirSize >= k32Max ||
             dirOffset >= k32Max;
  if (big) {
    uint64_t rec = out.size();
    put32(out, kEnd64Sig);
    put64(out, 44); // size of the rest of this record
    put16(out, (3 << 8) | 45);
    put16(out, 45);
    put32(out, 0);
    put32(out, 0);
    put64(out, entries.size());
    put64(out, entries.size());
    put64(out, dirSize);
    put64(out, dirOffset);
    put32(out, kLocator64Sig);
    put32(out, 0);
    put64(out, rec);
    put32(out, 1);
  }
  uint16_t count = big ? k16Max : static_cast<uint16_t>(entries.size());
  put32(out, kEndSig);
  put16(out, 0);
  put16(out, 0);
  put16(out, count);
  put16(out, count);
  put32(out, big ? k32Max : static_cast<uint32_t>(dirSize));
  put32(out, big ? k32Max : static_cast<uint32_t>(dirOffset));
  put16(out, 0);
  entries.clear();
  return std::move(out);
}
