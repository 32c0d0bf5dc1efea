//===- FmnistIdxTest.cpp - Tests of the IDX to .npz converter -------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Writes small synthetic IDX files (gzip and plain) into a temporary
// directory, converts them with fmnist::convertToNpz, and reads the .npz
// back with qlc's reader: every pixel value 0..255 must come out as
// value / 255.0f, labels as int64, and each kind of bad input must fail
// with its message and leave no output file.
//
//===----------------------------------------------------------------------===//

#include "FmnistIdx.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>

using namespace qlc;
using namespace qlc::fmnist;

namespace {

std::string bigEndian32(int32_t v) {
  uint32_t u = static_cast<uint32_t>(v);
  return {char(u >> 24), char(u >> 16), char(u >> 8), char(u)};
}

std::string idxBytes(int32_t magic, std::vector<int32_t> dims,
                     const std::string &data) {
  std::string out = bigEndian32(magic);
  for (int32_t d : dims)
    out += bigEndian32(d);
  return out + data;
}

class FmnistIdxTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("qlc-fmnist", dir));
    // Pixel i of the images is i % 256, so every byte value occurs.
    for (int64_t i = 0; i < kNumImages * 28 * 28; ++i)
      pixels += char(i % 256);
    labels = {9, 0, 3, 7, 1};
    imagesGz = writeGzip("images.gz",
                         idxBytes(kImagesMagic, {kNumImages, 28, 28}, pixels));
    labelsGz =
        writeGzip("labels.gz", idxBytes(kLabelsMagic, {kNumImages}, labels));
    out = path("out.npz");
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::string path(llvm::StringRef name) const {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p.str());
  }
  std::string writeGzip(llvm::StringRef name, const std::string &bytes) {
    std::string p = path(name);
    gzFile f = gzopen(p.c_str(), "wb");
    EXPECT_NE(f, nullptr);
    EXPECT_EQ(gzwrite(f, bytes.data(), bytes.size()), int(bytes.size()));
    EXPECT_EQ(gzclose(f), Z_OK);
    return p;
  }
  std::string writePlain(llvm::StringRef name, const std::string &bytes) {
    std::string p = path(name);
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  std::string readRaw(const std::string &p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  /// Converts and returns the error message ("" on success).
  std::string convert(const std::string &images, const std::string &labels,
                      SampleRange range = {}) {
    llvm::Error err = convertToNpz(images, labels, out, range);
    return err ? llvm::toString(std::move(err)) : "";
  }
  void expectFailure(const std::string &images, const std::string &labels,
                     llvm::StringRef fragment, SampleRange range = {}) {
    std::string message = convert(images, labels, range);
    EXPECT_NE(message.find(fragment.str()), std::string::npos) << message;
    EXPECT_FALSE(llvm::sys::fs::exists(out)) << "partial output left";
  }
  void expectArrays(int64_t offset, int64_t count) {
    auto arrays = readNpzFile(out);
    ASSERT_TRUE(bool(arrays)) << llvm::toString(arrays.takeError());
    const Tensor *x = findNpzArray(*arrays, "x");
    const Tensor *y = findNpzArray(*arrays, "y");
    ASSERT_TRUE(x && y);
    ASSERT_EQ(x->getElementType(), ElementType::Float);
    ASSERT_EQ(y->getElementType(), ElementType::Int64);
    EXPECT_EQ(formatShape(x->getShape()), formatShape({count, 1, 28, 28}));
    EXPECT_EQ(formatShape(y->getShape()), formatShape({count}));
    auto xs = x->getData<float>();
    for (int64_t i = 0; i < count * 28 * 28; ++i) {
      auto byte = static_cast<unsigned char>(pixels[offset * 28 * 28 + i]);
      ASSERT_EQ(xs[i], static_cast<float>(byte) / 255.0f) << "pixel " << i;
    }
    for (int64_t i = 0; i < count; ++i)
      EXPECT_EQ(y->getData<int64_t>()[i], labels[offset + i]);
  }

  static constexpr int32_t kNumImages = 5;
  llvm::SmallString<128> dir;
  std::string pixels, labels, imagesGz, labelsGz, out;
};

TEST_F(FmnistIdxTest, ConvertsAllSamples) {
  ASSERT_EQ(convert(imagesGz, labelsGz), "");
  expectArrays(0, kNumImages);
  auto arrays = readNpzFile(out);
  ASSERT_TRUE(bool(arrays));
  EXPECT_EQ(findNpzArray(*arrays, "x")->getData<float>()[255], 1.0f);
}

TEST_F(FmnistIdxTest, ConvertsASlice) {
  ASSERT_EQ(convert(imagesGz, labelsGz, {2, 2}), "");
  expectArrays(2, 2);
  ASSERT_EQ(convert(imagesGz, labelsGz, {3, -1}), "");
  expectArrays(3, 2);
}

TEST_F(FmnistIdxTest, AcceptsUncompressedIdx) {
  std::string images = writePlain(
      "images.idx", idxBytes(kImagesMagic, {kNumImages, 28, 28}, pixels));
  ASSERT_EQ(convert(images, labelsGz), "");
  expectArrays(0, kNumImages);
}

TEST_F(FmnistIdxTest, RejectsMissingFile) {
  expectFailure(path("missing.gz"), labelsGz,
                path("missing.gz") + ": cannot open: ");
}

TEST_F(FmnistIdxTest, RejectsTruncatedGzip) {
  std::string whole = readRaw(imagesGz);
  std::string cut = writePlain("cut.gz", whole.substr(0, whole.size() / 2));
  expectFailure(cut, labelsGz, cut + ": truncated gzip stream");
  // Only the 8-byte gzip trailer (CRC-32, size) missing.
  std::string noTrailer =
      writePlain("notrailer.gz", whole.substr(0, whole.size() - 8));
  expectFailure(noTrailer, labelsGz, noTrailer + ": truncated gzip stream");
}

TEST_F(FmnistIdxTest, RejectsCorruptGzip) {
  std::string bytes = readRaw(labelsGz);
  bytes[bytes.size() - 6] ^= 0x5a; // inside the CRC-32 of the trailer
  std::string bad = writePlain("crc.gz", bytes);
  expectFailure(imagesGz, bad, bad + ": cannot read: ");
}

TEST_F(FmnistIdxTest, RejectsBadHeaders) {
  expectFailure(labelsGz, imagesGz,
                labelsGz + ": bad IDX magic number 2049, expected 2051");
  std::string shortHeader = writeGzip("short.gz", bigEndian32(kImagesMagic));
  expectFailure(shortHeader, labelsGz, "truncated IDX header: 4 of 16 bytes");
  std::string zeroDim =
      writeGzip("zero.gz", idxBytes(kImagesMagic, {0, 28, 28}, ""));
  expectFailure(zeroDim, labelsGz, "IDX dimension 0 is 0");
  std::string huge = writeGzip(
      "huge.gz", idxBytes(kImagesMagic, {0x7fffffff, 28, 28}, pixels));
  expectFailure(huge, labelsGz, "is not supported");
}

TEST_F(FmnistIdxTest, RejectsWrongDataSize) {
  std::string shortData = writeGzip(
      "shortdata.gz", idxBytes(kImagesMagic, {kNumImages + 1, 28, 28}, pixels));
  expectFailure(shortData, labelsGz, "IDX data has 3920 bytes, expected 4704");
  std::string trailing = writeGzip(
      "trailing.gz", idxBytes(kLabelsMagic, {kNumImages}, labels + "x"));
  expectFailure(imagesGz, trailing, "trailing bytes after the 5 bytes");
}

TEST_F(FmnistIdxTest, RejectsMismatchedFiles) {
  std::string fewLabels = writeGzip(
      "few.gz", idxBytes(kLabelsMagic, {kNumImages - 1}, labels.substr(1)));
  expectFailure(imagesGz, fewLabels, imagesGz + ": 5 images but 4 labels");
  std::string badLabel = labels;
  badLabel[3] = 10;
  std::string labels10 =
      writeGzip("l10.gz", idxBytes(kLabelsMagic, {kNumImages}, badLabel));
  expectFailure(imagesGz, labels10, "label 10 of sample 3 is not below 10");
  std::string notSquare = writeGzip(
      "rect.gz", idxBytes(kImagesMagic, {kNumImages * 2, 28, 14}, pixels));
  expectFailure(notSquare, labelsGz, "images must be [n, 28, 28]");
}

TEST_F(FmnistIdxTest, RejectsBadRange) {
  expectFailure(imagesGz, labelsGz, "offset 5 is outside the 5 samples",
                {5, -1});
  expectFailure(imagesGz, labelsGz,
                "count 4 from offset 2 does not fit the 5 samples", {2, 4});
}

TEST_F(FmnistIdxTest, FailureKeepsExistingOutput) {
  writePlain("out.npz", "old");
  std::string message = convert(path("missing.gz"), labelsGz);
  EXPECT_NE(message.find("cannot open"), std::string::npos);
  EXPECT_EQ(readRaw(out), "old");
}

} // namespace
