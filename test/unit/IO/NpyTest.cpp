//===- NpyTest.cpp - Tests of the .npy reader and writer ------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Reads fixtures written by NumPy (test/fixtures/npy/make_fixtures.py),
// checks their values, and checks that writing them back reproduces
// NumPy's bytes exactly. Bad inputs must fail with a specific message.
//
//===----------------------------------------------------------------------===//

#include "qlc/IO/Npy.h"
#include "qlc/IO/FileIO.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <complex>

using namespace qlc;

static std::string fixture(llvm::StringRef name) {
  return (llvm::Twine(QLC_FIXTURES_DIR) + "/npy/" + name).str();
}

static std::string readBytes(llvm::StringRef path) {
  auto buf = readWholeFile(path);
  EXPECT_TRUE(static_cast<bool>(buf)) << llvm::toString(buf.takeError());
  return buf ? (*buf)->getBuffer().str() : std::string();
}

/// The error message of `value`, or "" when it succeeded.
template <typename T> static std::string errorOf(llvm::Expected<T> value) {
  return value ? std::string() : llvm::toString(value.takeError());
}

namespace {
struct DtypeCase {
  const char *code;
  ElementType type;
};
} // namespace

static const DtypeCase kDtypes[] = {
    {"f2", ElementType::Float16},   {"f4", ElementType::Float},
    {"f8", ElementType::Double},    {"i1", ElementType::Int8},
    {"u1", ElementType::UInt8},     {"i2", ElementType::Int16},
    {"u2", ElementType::UInt16},    {"i4", ElementType::Int32},
    {"u4", ElementType::UInt32},    {"i8", ElementType::Int64},
    {"u8", ElementType::UInt64},    {"b1", ElementType::Bool},
    {"c8", ElementType::Complex64}, {"c16", ElementType::Complex128},
};

/// The values make_fixtures.py stores (real parts for complex dtypes).
static double expectedValue(llvm::StringRef code, int i) {
  switch (code[0]) {
  case 'b':
    return i % 3 == 0;
  case 'f':
  case 'c':
    return (i - 2.5) * 0.5;
  case 'u':
    return i * 40;
  default:
    return i * 20 - 50;
  }
}

TEST(NpyTest, ReadsEveryDtypeWrittenByNumPy) {
  for (const DtypeCase &c : kDtypes) {
    SCOPED_TRACE(c.code);
    auto t = readNpyFile(fixture(std::string("dtype_") + c.code + ".npy"));
    ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
    EXPECT_EQ(t->getElementType(), c.type);
    EXPECT_EQ(formatShape(t->getShape()), "[2, 3]");
    for (int i = 0; i < 6; ++i) {
      if (c.type == ElementType::Complex64) {
        auto v = reinterpret_cast<const std::complex<float> *>(t->getRawData());
        EXPECT_EQ(v[i].real(), expectedValue(c.code, i));
        EXPECT_EQ(v[i].imag(), i);
      } else if (c.type == ElementType::Complex128) {
        auto v =
            reinterpret_cast<const std::complex<double> *>(t->getRawData());
        EXPECT_EQ(v[i].real(), expectedValue(c.code, i));
        EXPECT_EQ(v[i].imag(), i);
      } else {
        EXPECT_EQ(t->getAsDouble(i), expectedValue(c.code, i)) << i;
      }
    }
  }
}

TEST(NpyTest, WritingReproducesNumPyBytes) {
  for (const char *name :
       {"dtype_f2.npy", "dtype_f4.npy", "dtype_f8.npy", "dtype_i1.npy",
        "dtype_u1.npy", "dtype_i2.npy", "dtype_u2.npy", "dtype_i4.npy",
        "dtype_u4.npy", "dtype_i8.npy", "dtype_u8.npy", "dtype_b1.npy",
        "dtype_c8.npy", "dtype_c16.npy", "scalar_f8.npy", "empty_f4.npy",
        "vector_i4.npy"}) {
    SCOPED_TRACE(name);
    std::string original = readBytes(fixture(name));
    auto t = parseNpy(original);
    ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
    auto written = serializeNpy(*t);
    ASSERT_TRUE(static_cast<bool>(written));
    EXPECT_EQ(*written, original);
  }
}

TEST(NpyTest, ScalarEmptyAndVectorShapes) {
  auto scalar = readNpyFile(fixture("scalar_f8.npy"));
  ASSERT_TRUE(static_cast<bool>(scalar));
  EXPECT_EQ(scalar->getRank(), 0);
  EXPECT_EQ(scalar->getAsDouble(0), 3.25);
  auto empty = readNpyFile(fixture("empty_f4.npy"));
  ASSERT_TRUE(static_cast<bool>(empty));
  EXPECT_EQ(formatShape(empty->getShape()), "[0, 3]");
  EXPECT_EQ(empty->getNumElements(), 0);
  auto vec = readNpyFile(fixture("vector_i4.npy"));
  ASSERT_TRUE(static_cast<bool>(vec));
  EXPECT_EQ(vec->getData<int32_t>(),
            llvm::makeArrayRef<int32_t>({0, 1, 2, 3, 4}));
}

TEST(NpyTest, ReadsFormatVersions2And3) {
  for (const char *name : {"version2_f4.npy", "version3_f4.npy"}) {
    SCOPED_TRACE(name);
    std::string bytes = readBytes(fixture(name));
    ASSERT_GT(bytes.size(), 8u);
    EXPECT_EQ(static_cast<int>(bytes[6]), name[7] - '0');
    auto t = parseNpy(bytes);
    ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
    EXPECT_EQ(formatShape(t->getShape()), "[3, 2]");
    EXPECT_EQ(t->getData<float>()[5], 5.0f);
  }
}

TEST(NpyTest, RoundTripsEveryWritableType) {
  for (const DtypeCase &c : kDtypes) {
    SCOPED_TRACE(c.code);
    Tensor t(c.type, {3, 1, 2});
    char *raw = t.getMutableRawData();
    for (size_t i = 0; i < t.getByteSize(); ++i)
      raw[i] = static_cast<char>(c.type == ElementType::Bool ? i % 2 : i * 37);
    auto bytes = serializeNpy(t);
    ASSERT_TRUE(static_cast<bool>(bytes));
    auto back = parseNpy(*bytes);
    ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
    EXPECT_TRUE(back->isIdenticalTo(t));
  }
}

TEST(NpyTest, LongHeadersUseVersion2) {
  // 22000 dimensions of size 1 spell a shape tuple of 66000 characters,
  // past the 64 KiB a version-1 header length can hold.
  Shape shape(22000, 1);
  Tensor t(ElementType::UInt8, shape);
  auto bytes = serializeNpy(t);
  ASSERT_TRUE(static_cast<bool>(bytes));
  EXPECT_EQ((*bytes)[6], 2);
  auto back = parseNpy(*bytes);
  ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->getRank(), 22000);
}

TEST(NpyTest, WriteFileIsAtomicAndReadable) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("qlc-npy", dir));
  std::string path = (dir + "/out.npy").str();
  Tensor t = Tensor::fromValues<float>({2}, {1.5f, -2.0f});
  ASSERT_FALSE(static_cast<bool>(writeNpyFile(path, t)));
  auto back = readNpyFile(path);
  ASSERT_TRUE(static_cast<bool>(back));
  EXPECT_TRUE(back->isIdenticalTo(t));
  // A type NumPy lacks fails before anything is written.
  std::string bad = (dir + "/bf16.npy").str();
  llvm::Error err = writeNpyFile(bad, Tensor(ElementType::BFloat16, {2}));
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_EQ(llvm::toString(std::move(err)),
            "element type 'bfloat16' has no .npy equivalent");
  EXPECT_FALSE(llvm::sys::fs::exists(bad));
  // Writing into a missing directory fails cleanly.
  EXPECT_TRUE(static_cast<bool>(
      llvm::errorToBool(writeNpyFile((dir + "/no/such/x.npy").str(), t))));
  llvm::sys::fs::remove_directories(dir);
}

TEST(NpyTest, RejectsNumPyFilesItCannotRepresent) {
  EXPECT_EQ(errorOf(readNpyFile(fixture("bad_bigendian.npy"))),
            "big-endian arrays are not supported (dtype '>f4')");
  EXPECT_EQ(errorOf(readNpyFile(fixture("bad_fortran.npy"))),
            "fortran-order arrays are not supported; save with "
            "numpy.ascontiguousarray");
  EXPECT_EQ(errorOf(readNpyFile(fixture("bad_unicode.npy"))),
            "unsupported dtype '<U2'");
  EXPECT_EQ(errorOf(readNpyFile(fixture("bad_structured.npy"))),
            "unsupported dtype: structured arrays are not supported");
  EXPECT_EQ(errorOf(readNpyFile(fixture("bad_truncated.npy"))),
            "truncated .npy data: expected 24 bytes for shape [2, 3], "
            "found 19");
  EXPECT_EQ(errorOf(readNpyFile(fixture("no_such_file.npy"))),
            "cannot read file: No such file or directory");
}

/// A version-1 file with header `dict` followed by `data`.
static std::string makeNpy(llvm::StringRef dict, llvm::StringRef data = "") {
  std::string s("\x93NUMPY\x01\x00", 8);
  s += static_cast<char>(dict.size() & 0xff);
  s += static_cast<char>(dict.size() >> 8);
  return s + dict.str() + data.str();
}

TEST(NpyTest, RejectsMalformedHeaders) {
  EXPECT_EQ(errorOf(parseNpy("")), "not a .npy file (bad magic)");
  EXPECT_EQ(errorOf(parseNpy("PK\x03\x04 not npy")),
            "not a .npy file (bad magic)");
  EXPECT_EQ(errorOf(parseNpy(llvm::StringRef("\x93NUMPY\x04\x00", 8))),
            "unsupported .npy format version 4.0");
  EXPECT_EQ(errorOf(parseNpy(llvm::StringRef("\x93NUMPY\x01\x00\x50", 9))),
            "truncated .npy header");
  EXPECT_EQ(
      errorOf(parseNpy(llvm::StringRef("\x93NUMPY\x01\x00\x50\x00{", 11))),
      "truncated .npy header");
  const char *ok = "'fortran_order': False, 'shape': (2,), }";
  EXPECT_EQ(errorOf(parseNpy(makeNpy(std::string("{'descr': '<f4', ") + ok,
                                     std::string(8, '\0')))),
            "");
  EXPECT_EQ(errorOf(parseNpy(makeNpy(std::string("{'descr': '<f4', ") + ok,
                                     std::string(9, '\0')))),
            "unexpected 1 bytes after the .npy array data");
  EXPECT_EQ(errorOf(parseNpy(makeNpy("['descr']"))),
            "malformed .npy header: expected '{'");
  EXPECT_EQ(errorOf(parseNpy(makeNpy("{'descr': '<f4'"))),
            "malformed .npy header: expected ',' or '}'");
  EXPECT_EQ(errorOf(parseNpy(makeNpy("{'descr: '<f4'}"))),
            "malformed .npy header: expected ':' after 'descr: '");
  EXPECT_EQ(errorOf(parseNpy(makeNpy("{'descr': '<f4', 'shape': (2,)}"))),
            "malformed .npy header: missing 'descr', 'fortran_order' or "
            "'shape'");
  EXPECT_EQ(errorOf(parseNpy(makeNpy(
                "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}"))),
            "malformed .npy header: expected True or False for "
            "'fortran_order'");
  EXPECT_EQ(errorOf(parseNpy(makeNpy(
                "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}"))),
            "malformed .npy header: expected a non-negative dimension in "
            "'shape'");
  EXPECT_EQ(errorOf(parseNpy(makeNpy(
                "{'descr': '<f4', 'fortran_order': False, 'shape': [2]}"))),
            "malformed .npy header: expected a tuple for 'shape'");
  EXPECT_EQ(errorOf(parseNpy(makeNpy(
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}"))),
            "malformed .npy header: expected ',' or ')' in 'shape'");
  EXPECT_EQ(errorOf(parseNpy(makeNpy("{'descr': '<f4', 'fortran_order': "
                                     "False, 'shape': (2,), 'x': 1}"))),
            "malformed .npy header: unexpected key 'x'");
  EXPECT_EQ(errorOf(parseNpy(makeNpy("{'descr': '<f4', 'fortran_order': "
                                     "False, 'shape': (2,)} junk"))),
            "malformed .npy header: trailing characters after the dictionary");
  EXPECT_EQ(errorOf(parseNpy(makeNpy("{'descr': '<f4', 'fortran_order': "
                                     "False, 'shape': (2,), 'descr': '<f4 }"))),
            "malformed .npy header: unterminated string");
  EXPECT_EQ(errorOf(parseNpy(makeNpy("{'descr': 'O', 'fortran_order': "
                                     "False, 'shape': (2,)}"))),
            "unsupported dtype 'O'");
  EXPECT_EQ(errorOf(parseNpy(makeNpy("{'descr': '<f16', 'fortran_order': "
                                     "False, 'shape': (2,)}"))),
            "unsupported dtype '<f16'");
  EXPECT_EQ(errorOf(parseNpy(
                makeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': "
                        "(4294967296, 4294967296)}"))),
            "array size overflows: shape [4294967296, 4294967296]");
}

TEST(NpyTest, AcceptsPython2LongsAndNormalisesBools) {
  auto t = parseNpy(makeNpy("{'descr': '|b1', 'fortran_order': False, "
                            "'shape': (3L,), }",
                            llvm::StringRef("\x00\x02\x01", 3)));
  ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
  EXPECT_EQ(t->getAsInt64(0), 0);
  EXPECT_EQ(t->getAsInt64(1), 1);
  EXPECT_EQ(t->getAsInt64(2), 1);
}

TEST(NpyTest, NoNumPyTypeForBFloat16OrStrings) {
  EXPECT_EQ(getNpyDescr(ElementType::BFloat16), "");
  EXPECT_EQ(errorOf(serializeNpy(Tensor::fromStrings({1}, {"a"}))),
            "element type 'string' has no .npy equivalent");
}
