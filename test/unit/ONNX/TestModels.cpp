//===- TestModels.cpp - Helpers for the lib/ONNX tests --------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "TestModels.h"

#include "qlc/ONNX/Import.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

using namespace qlc;

std::unique_ptr<Model> test::parseText(llvm::StringRef text) {
  llvm::Expected<std::unique_ptr<Model>> model = importModelText(text);
  if (!model) {
    ADD_FAILURE() << "text import failed: "
                  << llvm::toString(model.takeError());
    return nullptr;
  }
  return std::move(*model);
}

onnx::ModelProto test::makeModelProto(int64_t irVersion, int64_t opset) {
  onnx::ModelProto m;
  m.set_ir_version(irVersion);
  onnx::OperatorSetIdProto *o = m.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  m.mutable_graph()->set_name("g");
  return m;
}

static onnx::ValueInfoProto *makeFloatInfo(onnx::ValueInfoProto *vi,
                                           llvm::StringRef name,
                                           llvm::ArrayRef<int64_t> dims) {
  vi->set_name(name.str());
  auto *tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims)
    tt->mutable_shape()->add_dim()->set_dim_value(d);
  if (dims.empty())
    tt->mutable_shape();
  return vi;
}

onnx::ValueInfoProto *test::addFloatInput(onnx::GraphProto &g,
                                          llvm::StringRef name,
                                          llvm::ArrayRef<int64_t> dims) {
  return makeFloatInfo(g.add_input(), name, dims);
}

onnx::ValueInfoProto *test::addFloatOutput(onnx::GraphProto &g,
                                           llvm::StringRef name,
                                           llvm::ArrayRef<int64_t> dims) {
  return makeFloatInfo(g.add_output(), name, dims);
}

onnx::NodeProto *test::addNode(onnx::GraphProto &g, llvm::StringRef op,
                               llvm::ArrayRef<std::string> inputs,
                               llvm::ArrayRef<std::string> outputs,
                               llvm::StringRef domain) {
  onnx::NodeProto *n = g.add_node();
  n->set_op_type(op.str());
  if (!domain.empty())
    n->set_domain(domain.str());
  for (const std::string &i : inputs)
    n->add_input(i);
  for (const std::string &o : outputs)
    n->add_output(o);
  return n;
}

onnx::TensorProto *test::addFloatInitializer(onnx::GraphProto &g,
                                             llvm::StringRef name,
                                             llvm::ArrayRef<int64_t> dims,
                                             llvm::ArrayRef<float> values) {
  onnx::TensorProto *t = g.add_initializer();
  t->set_name(name.str());
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims)
    t->add_dims(d);
  for (float v : values)
    t->add_float_data(v);
  return t;
}

std::string test::serialize(const onnx::ModelProto &proto) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    proto.SerializeToCodedStream(&coded);
  }
  return out;
}

std::unique_ptr<Model> test::importProto(const onnx::ModelProto &proto,
                                         llvm::StringRef baseDir) {
  llvm::Expected<std::unique_ptr<Model>> model =
      importModelBinary(serialize(proto), baseDir);
  if (!model) {
    ADD_FAILURE() << "import failed: " << llvm::toString(model.takeError());
    return nullptr;
  }
  return std::move(*model);
}

std::string test::errorMessage(llvm::Error err) {
  return err ? llvm::toString(std::move(err)) : std::string();
}

test::TempDir::TempDir() {
  llvm::SmallString<128> path;
  std::error_code ec = llvm::sys::fs::createUniqueDirectory("qlc-onnx", path);
  EXPECT_FALSE(ec) << ec.message();
  dir = std::string(path);
}

test::TempDir::~TempDir() {
  // Make every entry removable again (tests chmod some of them).
  llvm::sys::fs::setPermissions(dir, llvm::sys::fs::all_all);
  llvm::sys::fs::remove_directories(dir);
}

std::string test::TempDir::file(llvm::StringRef name) const {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, name);
  return std::string(path);
}

std::vector<std::string> test::TempDir::list() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    names.push_back(llvm::sys::path::filename(it->path()).str());
  std::sort(names.begin(), names.end());
  return names;
}

std::string test::readFile(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buf =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  return buf ? (*buf)->getBuffer().str() : std::string();
}

void test::writeFile(llvm::StringRef path, llvm::StringRef contents) {
  std::ofstream out(path.str(), std::ios::binary);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path.str();
}
