//===- NpzTest.cpp - Tests of the .npz reader and writer ------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Reads archives written by np.savez and np.savez_compressed, round-trips
// our own archives (plain and forced ZIP64), and checks that damaged
// archives fail with a message instead of crashing.
//
//===----------------------------------------------------------------------===//

#include "qlc/IO/Npz.h"
#include "Zip.h"
#include "qlc/IO/FileIO.h"
#include "qlc/IO/Npy.h"

#include "gtest/gtest.h"

using namespace qlc;

static std::string fixture(llvm::StringRef name) {
  return (llvm::Twine(QLC_FIXTURES_DIR) + "/npy/" + name).str();
}

template <typename T> static std::string errorOf(llvm::Expected<T> value) {
  return value ? std::string() : llvm::toString(value.takeError());
}

static void expectSavezContents(const NpzArrays &arrays) {
  ASSERT_EQ(arrays.size(), 2u);
  EXPECT_EQ(arrays[0].key, "x");
  EXPECT_EQ(arrays[1].key, "y");
  const Tensor *x = findNpzArray(arrays, "x");
  const Tensor *y = findNpzArray(arrays, "y");
  ASSERT_TRUE(x && y);
  EXPECT_EQ(findNpzArray(arrays, "z"), nullptr);
  EXPECT_EQ(formatShape(x->getShape()), "[4, 6]");
  for (int i = 0; i < 24; ++i)
    EXPECT_EQ(x->getData<float>()[i], static_cast<float>(i));
  EXPECT_EQ(y->getData<int64_t>(), llvm::makeArrayRef<int64_t>({1, 0, 3, 2}));
}

TEST(NpzTest, ReadsSavezAndSavezCompressed) {
  for (const char *name : {"savez.npz", "savez_compressed.npz"}) {
    SCOPED_TRACE(name);
    auto arrays = readNpzFile(fixture(name));
    ASSERT_TRUE(static_cast<bool>(arrays))
        << llvm::toString(arrays.takeError());
    expectSavezContents(*arrays);
  }
}

static NpzArrays sampleArrays() {
  NpzArrays arrays;
  arrays.push_back({"x", Tensor::fromValues<float>({2, 2}, {1, 2, 3, 4})});
  arrays.push_back({"labels", Tensor::fromValues<int64_t>({2}, {7, -1})});
  arrays.push_back({"flag", Tensor::scalar<bool>(true)});
  return arrays;
}

static void expectSameArrays(const NpzArrays &a, const NpzArrays &b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].key, b[i].key);
    EXPECT_TRUE(a[i].tensor.isIdenticalTo(b[i].tensor)) << a[i].key;
  }
}

TEST(NpzTest, DecodesOnlyRequestedArrays) {
  // A string array qlc cannot hold does not stop reading the others.
  zip::Writer writer;
  writer.addStored("x.npy", *serializeNpy(Tensor::scalar<float>(2)));
  std::string unicode("\x93NUMPY\x01\x00", 8);
  std::string dict = "{'descr': '<U2', 'fortran_order': False, 'shape': (), }";
  unicode += static_cast<char>(dict.size());
  unicode += '\0';
  writer.addStored("labels.npy", unicode + dict + std::string(8, 'a'));
  std::string bytes = writer.finish();
  EXPECT_EQ(errorOf(parseNpz(bytes)),
            "array 'labels': unsupported dtype '<U2'");
  auto only = parseNpz(bytes, {"x", "y"});
  ASSERT_TRUE(static_cast<bool>(only)) << llvm::toString(only.takeError());
  ASSERT_EQ(only->size(), 1u);
  EXPECT_EQ(only->front().key, "x");
}

TEST(NpzTest, RoundTripsStoredArchives) {
  NpzArrays arrays = sampleArrays();
  auto bytes = serializeNpz(arrays);
  ASSERT_TRUE(static_cast<bool>(bytes));
  auto back = parseNpz(*bytes);
  ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
  expectSameArrays(*back, arrays);
  // Deterministic: the same arrays give the same bytes.
  auto again = serializeNpz(arrays);
  ASSERT_TRUE(static_cast<bool>(again));
  EXPECT_EQ(*again, *bytes);
}

TEST(NpzTest, RoundTripsForcedZip64) {
  zip::Writer writer(/*forceZip64=*/true);
  NpzArrays arrays = sampleArrays();
  for (const NpzArray &a : arrays)
    writer.addStored(a.key + ".npy", *serializeNpy(a.tensor));
  std::string bytes = writer.finish();
  auto entries = zip::readDirectory(bytes);
  ASSERT_TRUE(static_cast<bool>(entries))
      << llvm::toString(entries.takeError());
  EXPECT_EQ(entries->size(), 3u);
  auto back = parseNpz(bytes);
  ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
  expectSameArrays(*back, arrays);
}

TEST(NpzTest, EmptyArchive) {
  auto bytes = serializeNpz({});
  ASSERT_TRUE(static_cast<bool>(bytes));
  EXPECT_EQ(bytes->size(), 22u);
  auto back = parseNpz(*bytes);
  ASSERT_TRUE(static_cast<bool>(back));
  EXPECT_TRUE(back->empty());
}

TEST(NpzTest, RejectsBadArraysOnWrite) {
  NpzArrays dup = sampleArrays();
  dup.push_back({"x", Tensor::scalar<float>(1)});
  EXPECT_EQ(errorOf(serializeNpz(dup)), "duplicate array 'x'");
  EXPECT_EQ(errorOf(serializeNpz({{"", Tensor::scalar<float>(1)}})),
            "empty array name in .npz");
  EXPECT_EQ(errorOf(serializeNpz({{"s", Tensor::fromStrings({1}, {"a"})}})),
            "array 's': element type 'string' has no .npy equivalent");
}

static std::string savezBytes(const char *name) {
  auto buf = readWholeFile(fixture(name));
  return buf ? (*buf)->getBuffer().str() : std::string();
}

TEST(NpzTest, RejectsDamagedArchives) {
  EXPECT_EQ(errorOf(parseNpz("")), "not a zip archive (too short)");
  EXPECT_EQ(errorOf(parseNpz(std::string(100, 'z'))),
            "not a zip archive (no end of central directory)");
  EXPECT_EQ(errorOf(readNpzFile(fixture("missing.npz"))),
            "cannot read file: No such file or directory");

  std::string stored = savezBytes("savez.npz");
  ASSERT_FALSE(stored.empty());
  // Flip a byte of x's data (after its local header and .npy header).
  std::string flipped = stored;
  flipped[200] ^= 0x55;
  EXPECT_EQ(errorOf(parseNpz(flipped)),
            "corrupt zip archive: CRC mismatch in 'x.npy'");
  // Cut the archive: the end record is lost.
  EXPECT_EQ(errorOf(parseNpz(llvm::StringRef(stored).drop_back(30))),
            "not a zip archive (no end of central directory)");
  // Point the central directory past the end of the file.
  std::string moved = stored;
  size_t end = moved.size() - 22;
  moved[end + 19] = '\x7f'; // high byte of the directory offset
  EXPECT_EQ(errorOf(parseNpz(moved)),
            "corrupt zip archive: central directory out of bounds");

  std::string deflated = savezBytes("savez_compressed.npz");
  ASSERT_FALSE(deflated.empty());
  std::string garbled = deflated;
  for (size_t i = 60; i < 90; ++i)
    garbled[i] = static_cast<char>(0xff);
  std::string err = errorOf(parseNpz(garbled));
  EXPECT_EQ(err.rfind("corrupt zip archive: ", 0), 0u) << err;
}

TEST(NpzTest, RejectsMembersThatAreNotArrays) {
  zip::Writer notNpy;
  notNpy.addStored("readme.txt", "hello");
  EXPECT_EQ(errorOf(parseNpz(notNpy.finish())),
            "member 'readme.txt' is not a .npy array");
  zip::Writer badNpy;
  badNpy.addStored("x.npy", "garbage");
  EXPECT_EQ(errorOf(parseNpz(badNpy.finish())),
            "array 'x': not a .npy file (bad magic)");
  zip::Writer twice;
  std::string npy = *serializeNpy(Tensor::scalar<float>(1));
  twice.addStored("a.npy", npy);
  twice.addStored("a.npy", npy);
  EXPECT_EQ(errorOf(parseNpz(twice.finish())), "duplicate array 'a'");
}
