//===- DatasetTest.cpp - Tests of the streaming data set reader -----------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Builds .npz archives (stored members with qlc's writer, deflated members
// with zlib here, plain and ZIP64) and directories of .npy files in a
// temporary directory, then checks that DatasetReader's batches, read with
// various batch sizes and after rewinds, concatenate to exactly what the
// whole-array readers return, and that damaged or inconsistent data sets
// fail with messages naming the path and the problem.
//
//===----------------------------------------------------------------------===//

#include "qlc/IO/Dataset.h"
#include "Zip.h"
#include "qlc/IO/FileIO.h"
#include "qlc/IO/Npy.h"
#include "qlc/IO/Npz.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <zlib.h>

using namespace qlc;

namespace {

std::string fixture(llvm::StringRef name) {
  return (llvm::Twine(QLC_FIXTURES_DIR) + "/npy/" + name).str();
}

template <typename T> std::string errorOf(llvm::Expected<T> value) {
  return value ? std::string() : llvm::toString(value.takeError());
}
std::string errorOf(llvm::Error err) { return llvm::toString(std::move(err)); }

/// Float samples of shape [n, sample...] whose values follow a fixed
/// pseudo-random sequence (poorly compressible, so big arrays span many
/// deflate input buffers).
Tensor makeSamples(int64_t n, llvm::ArrayRef<int64_t> sampleShape,
                   uint32_t seed = 1) {
  Shape shape{n};
  shape.append(sampleShape.begin(), sampleShape.end());
  Tensor t(ElementType::Float, shape);
  uint32_t state = seed;
  for (float &v : t.getMutableData<float>()) {
    state = state * 1664525u + 1013904223u;
    v = static_cast<float>(state >> 8) / 65536.0f;
  }
  return t;
}

/// Raw deflate (window bits -15, as zip uses) of `data` at `level`.
std::string deflateRaw(llvm::StringRef data, int level) {
  z_stream zs{};
  EXPECT_EQ(
      deflateInit2(&zs, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
      Z_OK);
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef *>(&out[0]);
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

uint32_t crcOf(llvm::StringRef data) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef *>(data.data()), data.size()));
}

std::string npyBytes(const Tensor &t) {
  auto bytes = serializeNpy(t);
  EXPECT_TRUE(static_cast<bool>(bytes));
  return bytes ? *bytes : std::string();
}

/// How an archive member is written.
enum class Packing { Stored, Deflated, Zip64Stored, Zip64Deflated };

/// An archive of the named .npy members packed as `packing` says.
std::string
makeArchive(llvm::ArrayRef<std::pair<std::string, std::string>> members,
            Packing packing) {
  bool zip64 =
      packing == Packing::Zip64Stored || packing == Packing::Zip64Deflated;
  bool deflated =
      packing == Packing::Deflated || packing == Packing::Zip64Deflated;
  zip::Writer writer(zip64);
  for (const auto &m : members) {
    if (deflated)
      writer.addDeflated(m.first, deflateRaw(m.second, 6), crcOf(m.second),
                         m.second.size());
    else
      writer.addStored(m.first, m.second);
  }
  return writer.finish();
}

/// Every batch of `reader`, checked for its size, concatenated.
Tensor readAll(DatasetReader &reader, int64_t batch,
               std::vector<int64_t> *labels = nullptr) {
  std::string bytes;
  int64_t total = 0;
  while (true) {
    auto t = reader.next(batch, labels);
    EXPECT_TRUE(static_cast<bool>(t)) << errorOf(t.takeError());
    if (!t)
      return Tensor();
    int64_t expected = std::min(batch, reader.getNumSamples() - total);
    EXPECT_EQ(t->getDim(0), expected);
    EXPECT_EQ(t->getShape().drop_front(), reader.getSampleShape());
    EXPECT_EQ(t->getElementType(), reader.getElementType());
    if (t->getDim(0) == 0)
      break;
    bytes.append(t->getRawData(), t->getByteSize());
    total += t->getDim(0);
  }
  Shape shape{total};
  shape.append(reader.getSampleShape().begin(), reader.getSampleShape().end());
  return Tensor(reader.getElementType(), shape,
                std::make_shared<std::string>(std::move(bytes)));
}

class DatasetTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("qlc-dataset", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::string pathOf(llvm::StringRef name) const {
    return (llvm::Twine(dir) + "/" + name).str();
  }
  std::string write(llvm::StringRef name, llvm::StringRef bytes) {
    std::string path = pathOf(name);
    EXPECT_FALSE(static_cast<bool>(writeFileAtomic(path, bytes)));
    return path;
  }
  std::unique_ptr<DatasetReader> open(llvm::StringRef path,
                                      const DatasetOptions &options = {}) {
    auto reader = DatasetReader::open(path, options);
    EXPECT_TRUE(static_cast<bool>(reader)) << errorOf(reader.takeError());
    return reader ? std::move(*reader) : nullptr;
  }
  std::string openError(llvm::StringRef path,
                        const DatasetOptions &options = {}) {
    return errorOf(DatasetReader::open(path, options));
  }

  llvm::SmallString<128> dir;
};

} // namespace

TEST_F(DatasetTest, NpzBatchesMatchTheWholeArrayReader) {
  // 300 samples of 4 KiB: the deflated member spans several input buffers.
  Tensor x = makeSamples(300, {32, 32});
  Tensor y = Tensor::fromValues<int64_t>(
      {300}, llvm::ArrayRef<int64_t>(std::vector<int64_t>(300, 7)));
  for (Packing packing : {Packing::Stored, Packing::Deflated,
                          Packing::Zip64Stored, Packing::Zip64Deflated}) {
    SCOPED_TRACE(static_cast<int>(packing));
    std::string path = write(
        "data.npz",
        makeArchive({{"x.npy", npyBytes(x)}, {"y.npy", npyBytes(y)}}, packing));
    auto whole = readNpzFile(path, {"x"});
    ASSERT_TRUE(static_cast<bool>(whole)) << errorOf(whole.takeError());
    ASSERT_TRUE(whole->front().tensor.isIdenticalTo(x));
    auto reader = open(path);
    ASSERT_TRUE(reader);
    EXPECT_EQ(reader->getNumSamples(), 300);
    EXPECT_EQ(formatShape(reader->getSampleShape()), "[32, 32]");
    EXPECT_EQ(reader->getElementType(), ElementType::Float);
    EXPECT_EQ(reader->getSampleByteSize(), 4096u);
    EXPECT_TRUE(reader->hasLabels());
    for (int64_t batch : {1, 64, 300, 1000}) {
      SCOPED_TRACE(batch);
      ASSERT_FALSE(static_cast<bool>(reader->rewind()));
      EXPECT_TRUE(readAll(*reader, batch).isIdenticalTo(x));
    }
  }
}

TEST_F(DatasetTest, ReadsNumpyWrittenArchives) {
  // Written by np.savez / np.savez_compressed (test/fixtures/npy).
  for (const char *name :
       {"savez.npz", "savez_compressed.npz", "eval_small.npz"}) {
    SCOPED_TRACE(name);
    auto whole = readNpzFile(fixture(name), {"x", "y"});
    ASSERT_TRUE(static_cast<bool>(whole)) << errorOf(whole.takeError());
    auto reader = open(fixture(name));
    ASSERT_TRUE(reader);
    std::vector<int64_t> labels;
    EXPECT_TRUE(
        readAll(*reader, 3, &labels).isIdenticalTo(*findNpzArray(*whole, "x")));
    EXPECT_EQ(labels, findNpzArray(*whole, "y")->toInt64s());
  }
}

TEST_F(DatasetTest, BatchBoundaries) {
  Tensor x = makeSamples(10, {3});
  auto reader = open(
      write("x.npz", makeArchive({{"x.npy", npyBytes(x)}}, Packing::Deflated)));
  ASSERT_TRUE(reader);
  EXPECT_FALSE(reader->hasLabels());
  // 10 = 4 + 4 + 2, then empty batches at the end.
  for (int64_t expected : {4, 4, 2, 0, 0}) {
    std::vector<int64_t> labels;
    auto t = reader->next(4, &labels);
    ASSERT_TRUE(static_cast<bool>(t)) << errorOf(t.takeError());
    EXPECT_EQ(formatShape(t->getShape()), formatShape({expected, 3}));
    EXPECT_TRUE(labels.empty());
  }
  ASSERT_FALSE(static_cast<bool>(reader->rewind()));
  auto all = reader->next(11);
  ASSERT_TRUE(static_cast<bool>(all));
  EXPECT_TRUE(all->isIdenticalTo(x));
  EXPECT_EQ(errorOf(reader->next(0)),
            pathOf("x.npz") + ": batch size must be positive, got 0");
}

TEST_F(DatasetTest, RewindMidwayAndAfterTheEnd) {
  Tensor x = makeSamples(50, {2, 5});
  for (Packing packing : {Packing::Stored, Packing::Deflated}) {
    auto reader =
        open(write("x.npz", makeArchive({{"x.npy", npyBytes(x)}}, packing)));
    ASSERT_TRUE(reader);
    ASSERT_TRUE(static_cast<bool>(reader->next(7)));
    ASSERT_TRUE(static_cast<bool>(reader->next(7)));
    ASSERT_FALSE(static_cast<bool>(reader->rewind()));
    // Two full passes: the CRC is checked at the end of each.
    EXPECT_TRUE(readAll(*reader, 8).isIdenticalTo(x));
    ASSERT_FALSE(static_cast<bool>(reader->rewind()));
    EXPECT_TRUE(readAll(*reader, 50).isIdenticalTo(x));
  }
}

TEST_F(DatasetTest, PlainAndOneHotLabels) {
  Tensor x = makeSamples(5, {2});
  Tensor plain = Tensor::fromValues<int32_t>({5}, {3, 0, 2, 2, 1});
  Tensor oneHot = Tensor::fromValues<float>(
      {5, 4}, {0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0});
  for (const Tensor *y : {&plain, &oneHot}) {
    auto reader = open(write(
        "d.npz", makeArchive({{"x.npy", npyBytes(x)}, {"y.npy", npyBytes(*y)}},
                             Packing::Deflated)));
    ASSERT_TRUE(reader);
    ASSERT_TRUE(reader->hasLabels());
    EXPECT_EQ(reader->getLabels(),
              llvm::makeArrayRef<int64_t>({3, 0, 2, 2, 1}));
    // Labels follow the batches.
    std::vector<int64_t> labels;
    ASSERT_TRUE(static_cast<bool>(reader->next(2, &labels)));
    EXPECT_EQ(labels, std::vector<int64_t>({3, 0}));
    ASSERT_TRUE(static_cast<bool>(reader->next(2, &labels)));
    ASSERT_TRUE(static_cast<bool>(reader->next(2, &labels)));
    EXPECT_EQ(labels, std::vector<int64_t>({3, 0, 2, 2, 1}));
  }
  // Other keys.
  DatasetOptions options;
  options.inputKey = "images";
  options.labelKey = "classes";
  auto reader =
      open(write("k.npz", makeArchive({{"images.npy", npyBytes(x)},
                                       {"classes.npy", npyBytes(plain)}},
                                      Packing::Stored)),
           options);
  ASSERT_TRUE(reader);
  EXPECT_TRUE(reader->hasLabels());
  EXPECT_TRUE(readAll(*reader, 2).isIdenticalTo(x));
}

TEST_F(DatasetTest, LabelsMustMatchTheSamples) {
  Tensor x = makeSamples(5, {2});
  std::string path = write(
      "d.npz",
      makeArchive(
          {{"x.npy", npyBytes(x)},
           {"y.npy", npyBytes(Tensor::fromValues<int64_t>({4}, {0, 1, 2, 3}))}},
          Packing::Stored));
  EXPECT_EQ(openError(path),
            path + ": 'x' holds 5 samples of shape [2] but 'y' has shape "
                   "[4]; expected [5] or [5, classes]");
}

TEST_F(DatasetTest, DirectoryOfSingleSamplesAndBatches) {
  Tensor x = makeSamples(9, {2, 3});
  auto rows = [&](int64_t begin, int64_t count) {
    Tensor t(ElementType::Float, {count, 2, 3});
    std::copy_n(x.getRawData() + begin * 24, count * 24, t.getMutableRawData());
    return t;
  };
  Tensor single = rows(0, 1);
  single.reshape({2, 3});
  // Sorted by name: s0 (one sample), s1 (batch of 4), s2 (empty batch),
  // s3 (batch of 3), s4 (one sample); other files are ignored.
  std::string data = pathOf("data");
  ASSERT_FALSE(llvm::sys::fs::create_directory(data));
  write("data/s1.npy", npyBytes(rows(1, 4)));
  write("data/s0.npy", npyBytes(single));
  write("data/s2.npy", npyBytes(rows(5, 0)));
  write("data/s3.npy", npyBytes(rows(5, 3)));
  Tensor last = rows(8, 1);
  last.reshape({2, 3});
  write("data/s4.npy", npyBytes(last));
  write("data/README.txt", "not an array");
  DatasetOptions options;
  options.sampleRank = 2;
  auto reader = open(data, options);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->getNumSamples(), 9);
  EXPECT_FALSE(reader->hasLabels());
  for (int64_t batch : {1, 2, 4, 9, 20}) {
    SCOPED_TRACE(batch);
    ASSERT_FALSE(static_cast<bool>(reader->rewind()));
    EXPECT_TRUE(readAll(*reader, batch).isIdenticalTo(x));
  }
  // Every file a batch: the single-sample files are now rank-2 batches of
  // two samples of shape [3], and rank 3 batches do not fit.
  EXPECT_EQ(openError(data),
            pathOf("data/s1.npy") +
                ": samples of shape [2, 3] and type 'float' differ from [3] "
                "and 'float' in " +
                pathOf("data/s0.npy"));
}

TEST_F(DatasetTest, SingleNpyFile) {
  Tensor x = makeSamples(6, {4});
  std::string path = write("x.npy", npyBytes(x));
  auto reader = open(path);
  ASSERT_TRUE(reader);
  EXPECT_TRUE(readAll(*reader, 4).isIdenticalTo(x));
}

TEST_F(DatasetTest, BoolSamplesAreZeroOrOne) {
  std::string npy = npyBytes(Tensor::fromValues<bool>({2, 2}, {1, 0, 1, 1}));
  npy[npy.size() - 1] = 2; // NumPy bools may hold any non-zero byte
  auto reader =
      open(write("b.npz", makeArchive({{"x.npy", npy}}, Packing::Stored)));
  ASSERT_TRUE(reader);
  auto t = reader->next(2);
  ASSERT_TRUE(static_cast<bool>(t));
  EXPECT_EQ(t->getData<bool>(), llvm::makeArrayRef<bool>({1, 0, 1, 1}));
}

TEST_F(DatasetTest, MissingSamples) {
  std::string path = write(
      "noy.npz",
      makeArchive({{"y.npy", npyBytes(Tensor::fromValues<int64_t>({1}, {0}))}},
                  Packing::Stored));
  EXPECT_EQ(openError(path),
            path + ": no array 'x' (the samples); the archive holds 'y'");
  EXPECT_EQ(openError(pathOf("missing.npz")),
            pathOf("missing.npz") +
                ": cannot read file: No such file or directory");
  std::string junk = write("junk.npz", std::string(100, 'j'));
  EXPECT_EQ(openError(junk),
            junk + ": not a zip archive (no end of central directory)");
}

TEST_F(DatasetTest, TruncatedMembers) {
  Tensor x = makeSamples(10, {4});
  // The .npy header promises more data than the member holds.
  std::string npy = npyBytes(x);
  std::string path =
      write("short.npz", makeArchive({{"x.npy", npy.substr(0, npy.size() - 8)}},
                                     Packing::Stored));
  EXPECT_EQ(openError(path),
            path + ": array 'x': truncated .npy data: expected 160 bytes "
                   "for shape [10, 4], found 152");
  // The deflate stream stops halfway while the directory promises it all.
  std::string deflated = deflateRaw(npyBytes(makeSamples(1000, {64})), 1);
  zip::Writer writer;
  std::string whole = npyBytes(makeSamples(1000, {64}));
  writer.addDeflated("x.npy", deflated.substr(0, deflated.size() / 2),
                     crcOf(whole), whole.size());
  path = write("cut.npz", writer.finish());
  auto reader = open(path);
  ASSERT_TRUE(reader);
  llvm::Error err = llvm::Error::success();
  for (int i = 0; i < 20 && !err; ++i) {
    auto t = reader->next(100);
    if (!t)
      err = t.takeError();
  }
  EXPECT_EQ(errorOf(std::move(err)),
            path + ": array 'x': corrupt zip archive: 'x.npy' is truncated: "
                   "its deflate data ends early");
  // Reading on needs a rewind, which starts over cleanly.
  EXPECT_NE(errorOf(reader->next(1)), "");
  EXPECT_FALSE(static_cast<bool>(reader->rewind()));
  EXPECT_TRUE(static_cast<bool>(reader->next(1)));
  // A directory claiming more than deflate can expand to is not trusted
  // (readers size buffers from it).
  zip::Writer liar;
  liar.addDeflated("x.npy", deflated.substr(0, 100), 0, uint64_t(1) << 40);
  path = write("liar.npz", liar.finish());
  EXPECT_EQ(openError(path),
            path + ": corrupt zip archive: 'x.npy' claims 1099511627776 "
                   "bytes from only 100 compressed bytes");
  EXPECT_EQ(errorOf(readNpzFile(path)),
            "corrupt zip archive: 'x.npy' claims 1099511627776 bytes from "
            "only 100 compressed bytes");
  // The archive itself cut short loses its directory.
  std::string archive = makeArchive({{"x.npy", npy}}, Packing::Stored);
  path = write("cutzip.npz", archive.substr(0, archive.size() - 30));
  EXPECT_NE(openError(path).find("not a zip archive"), std::string::npos);
}

TEST_F(DatasetTest, CrcMismatchIsFoundAtTheEnd) {
  Tensor x = makeSamples(40, {16});
  std::string npy = npyBytes(x);
  // Level 0 keeps the bytes verbatim in stored deflate blocks, so flipping
  // one still inflates and only the CRC can tell.
  std::string deflated = deflateRaw(npy, 0);
  deflated[deflated.size() - 20] ^= 0x40;
  zip::Writer writer;
  writer.addDeflated("x.npy", deflated, crcOf(npy), npy.size());
  std::string bad = write("bad.npz", writer.finish());
  // The same for a stored member.
  std::string archive = makeArchive({{"x.npy", npy}}, Packing::Stored);
  // Past the 30-byte local header and the name, near the member's end.
  archive[30 + 5 + npy.size() - 20] ^= 0x40;
  std::string badStored = write("badstored.npz", archive);
  for (const std::string &path : {bad, badStored}) {
    auto reader = open(path);
    ASSERT_TRUE(reader);
    for (int i = 0; i < 3; ++i)
      EXPECT_TRUE(static_cast<bool>(reader->next(10))) << i;
    EXPECT_EQ(errorOf(reader->next(10)),
              path + ": array 'x': corrupt zip archive: CRC mismatch in "
                     "'x.npy'");
  }
}

TEST_F(DatasetTest, RejectsUnsupportedArrays) {
  auto fixtureBytes = [](const char *name) {
    auto buf = readWholeFile(fixture(name));
    return buf ? (*buf)->getBuffer().str() : std::string();
  };
  std::string path =
      write("f.npz", makeArchive({{"x.npy", fixtureBytes("bad_fortran.npy")}},
                                 Packing::Deflated));
  EXPECT_EQ(openError(path),
            path + ": array 'x': fortran-order arrays are not supported; "
                   "save with numpy.ascontiguousarray");
  EXPECT_EQ(openError(fixture("bad_fortran.npy")),
            fixture("bad_fortran.npy") +
                ": fortran-order arrays are not supported; save with "
                "numpy.ascontiguousarray");
  EXPECT_EQ(openError(fixture("bad_bigendian.npy")),
            fixture("bad_bigendian.npy") +
                ": big-endian arrays are not supported (dtype '>f4')");
  EXPECT_EQ(openError(fixture("bad_unicode.npy")),
            fixture("bad_unicode.npy") + ": unsupported dtype '<U2'");
  EXPECT_EQ(openError(fixture("bad_truncated.npy")),
            fixture("bad_truncated.npy") +
                ": truncated .npy data: expected 24 bytes for shape [2, 3], "
                "found 19");
  // A scalar is no batch; a rank-3 array is no sample of rank 1 nor a
  // batch of them.
  path = write("scalar.npy", npyBytes(Tensor::scalar<float>(1)));
  EXPECT_EQ(openError(path),
            path + ": shape [] is not a batch of samples (samples go on "
                   "axis 0)");
  DatasetOptions options;
  options.sampleRank = 1;
  path = write("rank3.npy", npyBytes(makeSamples(2, {2, 2})));
  EXPECT_EQ(openError(path, options),
            path + ": shape [2, 2, 2] is neither a sample of rank 1 nor a "
                   "batch of them");
}

TEST_F(DatasetTest, DirectoryErrors) {
  std::string empty = pathOf("empty");
  ASSERT_FALSE(llvm::sys::fs::create_directory(empty));
  write("empty/notes.txt", "no arrays here");
  EXPECT_EQ(openError(empty), empty + ": no .npy files in the directory");

  std::string mixed = pathOf("mixed");
  ASSERT_FALSE(llvm::sys::fs::create_directory(mixed));
  write("mixed/a.npy", npyBytes(makeSamples(2, {3})));
  write("mixed/b.npy",
        npyBytes(makeSamples(2, {3}).castTo(ElementType::Double)));
  EXPECT_EQ(openError(mixed),
            pathOf("mixed/b.npy") +
                ": samples of shape [3] and type 'double' differ from [3] "
                "and 'float' in " +
                pathOf("mixed/a.npy"));
}
