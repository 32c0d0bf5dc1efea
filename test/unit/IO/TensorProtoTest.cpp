//===- TensorProtoTest.cpp - Tests of TensorProto (.pb) I/O ---------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Round trips through raw_data, decoding of every typed field, and the
// errors for inconsistent protos. Also reads a file of the ONNX backend
// tests when Debian's libonnx-testdata is installed.
//
//===----------------------------------------------------------------------===//

#include "qlc/ONNX/TensorProto.h"

#include "llvm/Support/FileSystem.h"

#include "gtest/gtest.h"

#include <onnx/onnx_pb.h>

using namespace qlc;

template <typename T> static std::string errorOf(llvm::Expected<T> value) {
  return value ? std::string() : llvm::toString(value.takeError());
}

static const ElementType kNumericTypes[] = {
    ElementType::Float,     ElementType::UInt8,      ElementType::Int8,
    ElementType::UInt16,    ElementType::Int16,      ElementType::Int32,
    ElementType::Int64,     ElementType::Bool,       ElementType::Float16,
    ElementType::Double,    ElementType::UInt32,     ElementType::UInt64,
    ElementType::Complex64, ElementType::Complex128, ElementType::BFloat16};

TEST(TensorProtoTest, RoundTripsRawData) {
  for (ElementType type : kNumericTypes) {
    SCOPED_TRACE(getElementTypeName(type).str());
    Tensor t(type, {2, 3});
    char *raw = t.getMutableRawData();
    for (size_t i = 0; i < t.getByteSize(); ++i)
      raw[i] = static_cast<char>(type == ElementType::Bool ? i % 2 : i * 29);
    auto back = parseTensorProto(serializeTensorProto(t, "v"));
    ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
    EXPECT_EQ(back->name, "v");
    EXPECT_TRUE(back->tensor.isIdenticalTo(t));
  }
}

TEST(TensorProtoTest, RoundTripsStringsAndScalars) {
  Tensor s = Tensor::fromStrings({2}, {"hello", ""});
  auto back = parseTensorProto(serializeTensorProto(s, "s"));
  ASSERT_TRUE(static_cast<bool>(back));
  EXPECT_EQ(back->tensor.getStrings(), s.getStrings());
  auto scalar =
      parseTensorProto(serializeTensorProto(Tensor::scalar(2.5f), ""));
  ASSERT_TRUE(static_cast<bool>(scalar));
  EXPECT_EQ(scalar->tensor.getRank(), 0);
  EXPECT_EQ(scalar->tensor.getAsDouble(0), 2.5);
}

static std::string serialize(const onnx::TensorProto &p) {
  return p.SerializeAsString();
}

TEST(TensorProtoTest, DecodesTypedFields) {
  onnx::TensorProto p;
  p.add_dims(3);
  p.set_data_type(onnx::TensorProto::FLOAT);
  for (float v : {1.5f, -2.0f, 0.25f})
    p.add_float_data(v);
  auto f = parseTensorProto(serialize(p));
  ASSERT_TRUE(static_cast<bool>(f));
  EXPECT_EQ(f->tensor.toDoubles(), (std::vector<double>{1.5, -2.0, 0.25}));

  // Types of 16 bits or fewer travel in int32_data.
  struct Case {
    int dataType;
    ElementType type;
    std::vector<int32_t> values;
    std::vector<double> expected;
  };
  std::vector<Case> cases = {
      {onnx::TensorProto::INT8,
       ElementType::Int8,
       {-128, 5, 127},
       {-128, 5, 127}},
      {onnx::TensorProto::UINT8,
       ElementType::UInt8,
       {0, 200, 255},
       {0, 200, 255}},
      {onnx::TensorProto::INT16,
       ElementType::Int16,
       {-300, 0, 300},
       {-300, 0, 300}},
      {onnx::TensorProto::UINT16,
       ElementType::UInt16,
       {0, 1, 65535},
       {0, 1, 65535}},
      {onnx::TensorProto::INT32, ElementType::Int32, {-7, 0, 7}, {-7, 0, 7}},
      {onnx::TensorProto::BOOL, ElementType::Bool, {1, 0, 1}, {1, 0, 1}},
      // float16 bit patterns: 1.0, -2.0, 0.5.
      {onnx::TensorProto::FLOAT16,
       ElementType::Float16,
       {0x3c00, 0xc000, 0x3800},
       {1, -2, 0.5}},
      {onnx::TensorProto::BFLOAT16,
       ElementType::BFloat16,
       {0x3f80, 0xc000, 0x3f00},
       {1, -2, 0.5}},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.dataType);
    onnx::TensorProto q;
    q.add_dims(3);
    q.set_data_type(c.dataType);
    for (int32_t v : c.values)
      q.add_int32_data(v);
    auto t = parseTensorProto(serialize(q));
    ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
    EXPECT_EQ(t->tensor.getElementType(), c.type);
    EXPECT_EQ(t->tensor.toDoubles(), c.expected);
  }

  onnx::TensorProto i64;
  i64.add_dims(2);
  i64.set_data_type(onnx::TensorProto::INT64);
  i64.add_int64_data(-(int64_t(1) << 40));
  i64.add_int64_data(3);
  auto a = parseTensorProto(serialize(i64));
  ASSERT_TRUE(static_cast<bool>(a));
  EXPECT_EQ(a->tensor.toInt64s(),
            (std::vector<int64_t>{-(int64_t(1) << 40), 3}));

  onnx::TensorProto u32;
  u32.add_dims(2);
  u32.set_data_type(onnx::TensorProto::UINT32);
  u32.add_uint64_data(4000000000u);
  u32.add_uint64_data(1);
  auto b = parseTensorProto(serialize(u32));
  ASSERT_TRUE(static_cast<bool>(b));
  EXPECT_EQ(b->tensor.getData<uint32_t>()[0], 4000000000u);

  onnx::TensorProto dbl;
  dbl.add_dims(1);
  dbl.set_data_type(onnx::TensorProto::COMPLEX128);
  dbl.add_double_data(1.0);
  dbl.add_double_data(-1.0);
  auto c = parseTensorProto(serialize(dbl));
  ASSERT_TRUE(static_cast<bool>(c)) << llvm::toString(c.takeError());
  EXPECT_EQ(c->tensor.getByteSize(), 16u);

  onnx::TensorProto str;
  str.add_dims(1);
  str.set_data_type(onnx::TensorProto::STRING);
  str.add_string_data("abc");
  auto s = parseTensorProto(serialize(str));
  ASSERT_TRUE(static_cast<bool>(s));
  EXPECT_EQ(s->tensor.getStrings()[0], "abc");
}

TEST(TensorProtoTest, RejectsInconsistentProtos) {
  EXPECT_EQ(errorOf(parseTensorProto("\xff\xff\xff")),
            "not a serialized ONNX TensorProto");
  onnx::TensorProto p;
  p.add_dims(4);
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_float_data(1);
  EXPECT_EQ(errorOf(parseTensorProto(serialize(p))),
            "tensor has 1 values in float_data, expected 4");
  p.clear_float_data();
  p.set_raw_data(std::string(15, '\0'));
  EXPECT_EQ(errorOf(parseTensorProto(serialize(p))),
            "raw_data has 15 bytes, expected 16 for shape [4]");
  p.set_data_type(0);
  EXPECT_EQ(errorOf(parseTensorProto(serialize(p))),
            "unsupported tensor data type 0");
  p.set_data_type(17);
  EXPECT_EQ(errorOf(parseTensorProto(serialize(p))),
            "unsupported tensor data type 17");
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.set_dims(0, -4);
  EXPECT_EQ(errorOf(parseTensorProto(serialize(p))), "negative dimension -4");
  p.set_dims(0, 4);
  p.set_data_location(onnx::TensorProto::EXTERNAL);
  EXPECT_EQ(errorOf(parseTensorProto(serialize(p))),
            "external data is not supported in .pb tensor files");
  onnx::TensorProto s;
  s.add_dims(2);
  s.set_data_type(onnx::TensorProto::STRING);
  s.add_string_data("x");
  EXPECT_EQ(errorOf(parseTensorProto(serialize(s))),
            "tensor has 1 values in string_data, expected 2");
  EXPECT_EQ(errorOf(readTensorProtoFile("/nonexistent/input_0.pb")),
            "cannot read file: No such file or directory");
}

TEST(TensorProtoTest, WritesFilesReadBack) {
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("qlc-tp", "pb", path));
  Tensor t = Tensor::fromValues<int32_t>({2}, {5, -6});
  ASSERT_FALSE(static_cast<bool>(writeTensorProtoFile(path, t, "in")));
  auto back = readTensorProtoFile(path);
  ASSERT_TRUE(static_cast<bool>(back));
  EXPECT_EQ(back->name, "in");
  EXPECT_TRUE(back->tensor.isIdenticalTo(t));
  llvm::sys::fs::remove(path);
}

TEST(TensorProtoTest, ReadsOnnxBackendTestData) {
  const char *path = "/usr/share/libonnx-testdata/data/node/test_relu/"
                     "test_data_set_0/input_0.pb";
  if (!llvm::sys::fs::exists(path))
    GTEST_SKIP() << "libonnx-testdata is not installed";
  auto t = readTensorProtoFile(path);
  ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
  EXPECT_EQ(t->name, "x");
  EXPECT_EQ(t->tensor.getElementType(), ElementType::Float);
  EXPECT_EQ(formatShape(t->tensor.getShape()), "[3, 4, 5]");
}
