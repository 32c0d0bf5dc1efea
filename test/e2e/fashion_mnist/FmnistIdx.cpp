//===- FmnistIdx.cpp - Fashion-MNIST IDX files to .npz --------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Reading goes through zlib's gz* file interface, which inflates gzip
// members and passes plain files through. The header is read first and the
// data is then read in bounded chunks, so a header that claims more data
// than the file holds costs no more memory than the file itself; a gzip
// stream that ends early (zlib's Z_BUF_ERROR) and a failed CRC are errors.
//
//===----------------------------------------------------------------------===//

#include "FmnistIdx.h"

#include "qlc/Support/Error.h"

#include "llvm/ADT/Twine.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

using namespace qlc;
using namespace qlc::fmnist;

namespace {

/// IDX data larger than this is refused (the Fashion-MNIST training images
/// are 47 MB).
constexpr int64_t kMaxDataBytes = int64_t(1) << 30;
constexpr unsigned kChunkBytes = 1u << 20;

struct GzCloser {
  void operator()(gzFile_s *file) const { gzclose_r(file); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

/// zlib's message for the last error on `file`, without the "PATH: "
/// prefix zlib adds, or "" when there is none.
std::string gzMessage(gzFile file, llvm::StringRef path, int *errnum) {
  const char *raw = gzerror(file, errnum);
  if (*errnum == Z_ERRNO)
    return std::strerror(errno);
  llvm::StringRef message(raw ? raw : "");
  message.consume_front((path + ": ").str());
  return message.str();
}

/// Appends up to `want` bytes from `file` to `out`; stops early only at the
/// end of a complete stream. A truncated gzip stream or a read error is an
/// error.
llvm::Error readSome(gzFile file, llvm::StringRef path, int64_t want,
                     std::string &out) {
  while (want > 0) {
    unsigned len = static_cast<unsigned>(std::min<int64_t>(want, kChunkBytes));
    size_t old = out.size();
    out.resize(old + len);
    int got = gzread(file, &out[old], len);
    out.resize(old + std::max(got, 0));
    int errnum = Z_OK;
    std::string message = gzMessage(file, path, &errnum);
    if (got < 0 || (errnum != Z_OK && errnum != Z_BUF_ERROR))
      return makeError("cannot read: " + message);
    if (errnum == Z_BUF_ERROR)
      return makeError("truncated gzip stream (" + message + ")");
    if (got == 0)
      return llvm::Error::success(); // end of the (complete) stream
    want -= got;
  }
  return llvm::Error::success();
}

int32_t readBigEndian32(const char *p) {
  auto *u = reinterpret_cast<const unsigned char *>(p);
  return static_cast<int32_t>(uint32_t(u[0]) << 24 | uint32_t(u[1]) << 16 |
                              uint32_t(u[2]) << 8 | uint32_t(u[3]));
}

/// Checks the magic number and dimensions in `header` (checking the magic
/// number first, so a file of the wrong kind is named as such even when
/// shorter than the header) and returns the dimensions.
llvm::Expected<std::vector<int64_t>> parseHeader(llvm::StringRef header,
                                                 int32_t magic, unsigned rank) {
  if (header.size() >= 4) {
    int32_t gotMagic = readBigEndian32(header.data());
    if (gotMagic != magic)
      return makeError("bad IDX magic number " + llvm::Twine(gotMagic) +
                       ", expected " + llvm::Twine(magic));
  }
  size_t headerBytes = 4 + 4 * size_t(rank);
  if (header.size() != headerBytes)
    return makeError("truncated IDX header: " + llvm::Twine(header.size()) +
                     " of " + llvm::Twine(headerBytes) + " bytes");
  std::vector<int64_t> dims;
  int64_t bytes = 1;
  for (unsigned i = 0; i < rank; ++i) {
    int32_t dim = readBigEndian32(header.data() + 4 + 4 * i);
    if (dim <= 0)
      return makeError("IDX dimension " + llvm::Twine(i) + " is " +
                       llvm::Twine(dim) + ", expected a positive size");
    dims.push_back(dim);
    bytes *= dim;
    if (bytes > kMaxDataBytes)
      return makeError("IDX data larger than " + llvm::Twine(kMaxDataBytes) +
                       " bytes is not supported");
  }
  return dims;
}

} // namespace

llvm::Expected<IdxArray> fmnist::readIdxFile(llvm::StringRef path,
                                             int32_t magic, unsigned rank) {
  errno = 0;
  GzFile file(gzopen(path.str().c_str(), "rb"));
  if (!file)
    return makeError(llvm::Twine("cannot open: ") +
                     (errno ? std::strerror(errno) : "out of memory"));
  std::string header;
  int64_t headerBytes = 4 + 4 * int64_t(rank);
  if (llvm::Error err = readSome(file.get(), path, headerBytes, header))
    return err;
  auto dims = parseHeader(header, magic, rank);
  if (!dims)
    return dims.takeError();

  IdxArray array;
  array.dims = std::move(*dims);
  int64_t expected = 1;
  for (int64_t dim : array.dims)
    expected *= dim;
  // One byte more than expected, to detect trailing data.
  if (llvm::Error err = readSome(file.get(), path, expected + 1, array.data))
    return err;
  int64_t got = static_cast<int64_t>(array.data.size());
  if (got < expected)
    return makeError("IDX data has " + llvm::Twine(got) + " bytes, expected " +
                     llvm::Twine(expected));
  if (got > expected)
    return makeError("trailing bytes after the " + llvm::Twine(expected) +
                     " bytes of IDX data");
  return array;
}

llvm::Expected<NpzArrays> fmnist::makeArrays(const IdxArray &images,
                                             const IdxArray &labels,
                                             SampleRange range) {
  if (images.dims.size() != 3 || images.dims[1] != kImageSide ||
      images.dims[2] != kImageSide)
    return makeError("images must be [n, 28, 28]");
  if (labels.dims.size() != 1)
    return makeError("labels must be [n]");
  int64_t n = images.dims[0];
  if (labels.dims[0] != n)
    return makeError(llvm::Twine(n) + " images but " +
                     llvm::Twine(labels.dims[0]) + " labels");
  if (range.offset < 0 || range.offset >= n)
    return makeError("offset " + llvm::Twine(range.offset) +
                     " is outside the " + llvm::Twine(n) + " samples");
  int64_t count = range.count < 0 ? n - range.offset : range.count;
  if (count == 0 || count > n - range.offset)
    return makeError("count " + llvm::Twine(count) + " from offset " +
                     llvm::Twine(range.offset) + " does not fit the " +
                     llvm::Twine(n) + " samples");

  const int64_t pixels = kImageSide * kImageSide;
  Tensor x(ElementType::Float, {count, 1, kImageSide, kImageSide});
  Tensor y(ElementType::Int64, {count});
  auto xs = x.getMutableData<float>();
  auto ys = y.getMutableData<int64_t>();
  auto *imageBytes =
      reinterpret_cast<const unsigned char *>(images.data.data());
  auto *labelBytes =
      reinterpret_cast<const unsigned char *>(labels.data.data());
  for (int64_t i = 0; i < count * pixels; ++i)
    xs[i] = static_cast<float>(imageBytes[range.offset * pixels + i]) / 255.0f;
  for (int64_t i = 0; i < count; ++i) {
    int64_t label = labelBytes[range.offset + i];
    if (label >= kNumClasses)
      return makeError("label " + llvm::Twine(label) + " of sample " +
                       llvm::Twine(range.offset + i) + " is not below " +
                       llvm::Twine(kNumClasses));
    ys[i] = label;
  }
  NpzArrays arrays;
  arrays.push_back({"x", std::move(x)});
  arrays.push_back({"y", std::move(y)});
  return arrays;
}

llvm::Error fmnist::convertToNpz(llvm::StringRef imagesPath,
                                 llvm::StringRef labelsPath,
                                 llvm::StringRef outPath, SampleRange range) {
  auto images = readIdxFile(imagesPath, kImagesMagic, 3);
  if (!images)
    return addErrorContext(images.takeError(), imagesPath);
  auto labels = readIdxFile(labelsPath, kLabelsMagic, 1);
  if (!labels)
    return addErrorContext(labels.takeError(), labelsPath);
  auto arrays = makeArrays(*images, *labels, range);
  if (!arrays) // about the pair or the range: name the images file
    return addErrorContext(arrays.takeError(), imagesPath);
  return addErrorContext(writeNpzFile(outPath, *arrays), outPath);
}
