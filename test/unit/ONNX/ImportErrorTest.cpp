//===- ImportErrorTest.cpp - Bad ONNX input yields clear errors -----------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "TestModels.h"

#include "qlc/ONNX/Export.h"
#include "qlc/ONNX/Import.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace qlc;
using namespace qlc::test;
using ::testing::HasSubstr;

namespace {

/// A valid serialized model: x -> Relu -> y, with a 4-float initializer.
std::string validModelBytes() {
  onnx::ModelProto p = makeModelProto();
  onnx::GraphProto &g = *p.mutable_graph();
  addFloatInput(g, "x", {4});
  addFloatInitializer(g, "w", {4}, {1, 2, 3, 4});
  addNode(g, "Add", {"x", "w"}, {"y"});
  addFloatOutput(g, "y", {4});
  return serialize(p);
}

std::string importError(const onnx::ModelProto &p) {
  llvm::Expected<std::unique_ptr<Model>> m = importModelBinary(serialize(p));
  return errorMessage(m);
}

std::string textError(llvm::StringRef text) {
  llvm::Expected<std::unique_ptr<Model>> m = importModelText(text);
  return errorMessage(m);
}

TEST(ONNXImportError, TruncatedProtobuf) {
  std::string bytes = validModelBytes();
  for (size_t cut : {bytes.size() - 1, bytes.size() / 2, size_t(3)}) {
    llvm::Expected<std::unique_ptr<Model>> m =
        importModelBinary(llvm::StringRef(bytes).take_front(cut));
    EXPECT_THAT(errorMessage(m), HasSubstr("not a valid ONNX protobuf"))
        << "cut at " << cut;
  }
}

TEST(ONNXImportError, GarbageAndEmptyInput) {
  std::string garbage = "\xff\xff\xff\xff garbage \x01\x02";
  llvm::Expected<std::unique_ptr<Model>> m = importModelBinary(garbage);
  EXPECT_THAT(errorMessage(m), HasSubstr("not a valid ONNX protobuf"));
  // Bytes that happen to parse as protobuf but hold no graph.
  llvm::Expected<std::unique_ptr<Model>> noGraph =
      importModelBinary(std::string("\x08\x07", 2));
  EXPECT_THAT(errorMessage(noGraph), HasSubstr("has no graph"));
  llvm::Expected<std::unique_ptr<Model>> empty = importModelBinary("");
  EXPECT_THAT(errorMessage(empty), HasSubstr("empty"));
}

TEST(ONNXImportError, MissingFileDirectoryAndTextWithBinaryExtension) {
  TempDir dir;
  llvm::Expected<std::unique_ptr<Model>> missing =
      importModelFile(dir.file("nope.onnx"));
  EXPECT_THAT(errorMessage(missing), HasSubstr("No such file"));
  llvm::Expected<std::unique_ptr<Model>> missingText =
      importModelFile(dir.file("nope.onnxtxt"));
  EXPECT_THAT(errorMessage(missingText), HasSubstr("cannot open"));
  llvm::Expected<std::unique_ptr<Model>> directory =
      importModelFile(dir.path());
  EXPECT_THAT(errorMessage(directory), HasSubstr("directory"));
  writeFile(dir.file("text.onnx"), "<ir_version: 8>\ng () => () {}\n");
  llvm::Expected<std::unique_ptr<Model>> text =
      importModelFile(dir.file("text.onnx"));
  EXPECT_THAT(errorMessage(text), HasSubstr("looks like ONNX text"));
  writeFile(dir.file("empty.onnx"), "");
  llvm::Expected<std::unique_ptr<Model>> empty =
      importModelFile(dir.file("empty.onnx"));
  EXPECT_THAT(errorMessage(empty), HasSubstr("empty"));
}

TEST(ONNXImportError, MalformedTextCarriesParserMessage) {
  std::string err = textError("<ir_version: 8> g (float[2] x) => (float[2] y)"
                              "{ y = Relu (x }");
  EXPECT_THAT(err, HasSubstr("text parse error at line: 1"));
  EXPECT_THAT(err, HasSubstr("Expected character ) not found"));
  EXPECT_THAT(textError(""), HasSubstr("text parse error"));
  EXPECT_THAT(textError("<bogus_key: 1> g () => () {}"),
              HasSubstr("Unhandled keyword"));
  // std::stof/stoll failures inside the parser become errors too.
  EXPECT_THAT(textError("<ir_version: 99999999999999999999> g () => () {}"),
              HasSubstr("text parse error at line: 1 column: "));
  EXPECT_THAT(textError("<ir_version: 99999999999999999999> g () => () {}"),
              HasSubstr("out-of-range number"));
  EXPECT_THAT(textError("<ir_version: 8> g () => (float[1] w) "
                        "<float[1] w = {1e999}> {}"),
              HasSubstr("out-of-range number"));
  EXPECT_THAT(textError(llvm::StringRef("<ir_version: 8>\0g", 17)),
              HasSubstr("NUL"));
}

TEST(ONNXImportError, DanglingInput) {
  std::string err = textError("<ir_version: 8, opset_import: [\"\" : 13]>"
                              "g (float[2] x) => (float[2] y)"
                              "{ y = Add (x, nope) }");
  EXPECT_EQ(err, "'y' (Add): input 'nope' is not defined");
}

TEST(ONNXImportError, UndefinedGraphOutput) {
  EXPECT_EQ(textError("<ir_version: 8> g (float[2] x) => (float[2] y) {}"),
            "graph output 'y' is not defined");
}

TEST(ONNXImportError, DuplicateValueNames) {
  EXPECT_THAT(textError("<ir_version: 8> g (float[2] x) => (float[2] x) "
                        "{ x = Relu (x) }"),
              HasSubstr("duplicate value name 'x'"));
  onnx::ModelProto p = makeModelProto();
  addFloatInitializer(*p.mutable_graph(), "w", {1}, {1});
  addFloatInitializer(*p.mutable_graph(), "w", {1}, {2});
  EXPECT_THAT(importError(p), HasSubstr("duplicate value name 'w'"));
  onnx::ModelProto twice = makeModelProto();
  addFloatInput(*twice.mutable_graph(), "x", {1});
  addFloatInput(*twice.mutable_graph(), "x", {1});
  EXPECT_THAT(importError(twice), HasSubstr("listed twice"));
}

TEST(ONNXImportError, Cycle) {
  std::string err =
      textError("<ir_version: 8, opset_import: [\"\" : 13]>"
                "g (float[2] x) => (float[2] y)"
                "{ a = Add (x, b)\n b = Relu (a)\n y = Relu (b) }");
  EXPECT_THAT(err, HasSubstr("cycle"));
}

TEST(ONNXImportError, TensorSizeMismatch) {
  onnx::ModelProto raw = makeModelProto();
  onnx::TensorProto *t = raw.mutable_graph()->add_initializer();
  t->set_name("w");
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_dims(3);
  t->set_raw_data(std::string(8, '\0'));
  EXPECT_EQ(importError(raw), "initializer: tensor 'w' of type float[3] needs "
                              "12 bytes but raw_data has 8");
  onnx::ModelProto typed = makeModelProto();
  addFloatInitializer(*typed.mutable_graph(), "w", {2, 2}, {1, 2, 3});
  EXPECT_THAT(importError(typed), HasSubstr("needs 4 values but float_data "
                                            "has 3"));
  EXPECT_THAT(textError("<ir_version: 8> g () => (float[3] w) "
                        "<float[3] w = {1, 2}> {}"),
              HasSubstr("needs 3 values"));
}

TEST(ONNXImportError, BadDataTypesAndDims) {
  onnx::ModelProto p = makeModelProto();
  onnx::TensorProto *t = addFloatInitializer(*p.mutable_graph(), "w", {1}, {1});
  t->set_data_type(99);
  EXPECT_THAT(importError(p), HasSubstr("unsupported data type 99"));
  t->set_data_type(0);
  EXPECT_THAT(importError(p), HasSubstr("unsupported data type 0"));
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->set_dims(0, -1);
  EXPECT_THAT(importError(p), HasSubstr("negative dimension"));
  t->set_dims(0, int64_t(1) << 40);
  t->add_dims(int64_t(1) << 40);
  EXPECT_THAT(importError(p), HasSubstr("too large"));

  onnx::ModelProto badType = makeModelProto();
  addFloatInput(*badType.mutable_graph(), "x", {1})
      ->mutable_type()
      ->mutable_tensor_type()
      ->set_elem_type(77);
  EXPECT_THAT(importError(badType), HasSubstr("unsupported element type 77"));
}

TEST(ONNXImportError, NonTensorGraphInput) {
  onnx::ModelProto p = makeModelProto();
  onnx::ValueInfoProto *in = p.mutable_graph()->add_input();
  in->set_name("seq");
  in->mutable_type()
      ->mutable_sequence_type()
      ->mutable_elem_type()
      ->mutable_tensor_type()
      ->set_elem_type(1);
  EXPECT_EQ(importError(p), "graph input 'seq' has a sequence type; only "
                            "tensor types are supported");
}

TEST(ONNXImportError, MalformedConstants) {
  onnx::ModelProto p = makeModelProto();
  addNode(*p.mutable_graph(), "Constant", {}, {"c"});
  EXPECT_EQ(importError(p), "'c' (Constant): Constant must have exactly one "
                            "value attribute, found 0");
  onnx::AttributeProto *a = p.mutable_graph()->mutable_node(0)->add_attribute();
  a->set_name("value_bogus");
  a->set_type(onnx::AttributeProto::INT);
  EXPECT_THAT(importError(p), HasSubstr("unknown attribute 'value_bogus'"));
  onnx::ModelProto noOutput = makeModelProto();
  addNode(*noOutput.mutable_graph(), "Constant", {}, {});
  EXPECT_THAT(importError(noOutput), HasSubstr("exactly one named output"));
}

TEST(ONNXImportError, AttributesWithoutValueOrName) {
  onnx::ModelProto p = makeModelProto();
  addFloatInput(*p.mutable_graph(), "x", {1});
  onnx::NodeProto *n = addNode(*p.mutable_graph(), "Relu", {"x"}, {"y"});
  n->add_attribute()->set_name("empty");
  EXPECT_EQ(importError(p), "'y' (Relu): attribute 'empty' has no value");
  n->mutable_attribute(0)->set_name("");
  n->mutable_attribute(0)->set_i(1);
  EXPECT_EQ(importError(p), "'y' (Relu): attribute with an empty name");
  n->mutable_attribute(0)->set_name("dup");
  *n->add_attribute() = n->attribute(0);
  EXPECT_EQ(importError(p), "'y' (Relu): duplicate attribute 'dup'");
}

TEST(ONNXImportError, CorruptOpaqueBytesFailExportNotCrash) {
  std::unique_ptr<Model> m = parseText(
      "<ir_version: 8, opset_import: [\"\" : 13]>"
      "g (bool c) => (float[1] y) { y = If <then_branch = t () => (float[1] a)"
      "{ a = Constant <value = float[1] {1.0}> () }, else_branch = e () => "
      "(float[1] b) { b = Constant <value = float[1] {2.0}> () }> (c) }");
  ASSERT_TRUE(m);
  Node &ifNode = m->getGraph().getNodes().front();
  ifNode.setAttr("then_branch",
                 Attribute::getOpaque(AttrKind::Graph, {"\xff\xff\xff"}));
  llvm::Expected<std::string> bytes = exportModelBinary(*m, false);
  EXPECT_THAT(errorMessage(bytes),
              HasSubstr("attribute 'then_branch' holds corrupt serialized "
                        "onnx.GraphProto"));
}

} // namespace
