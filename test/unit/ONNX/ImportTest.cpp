//===- ImportTest.cpp - ONNX import and normalisation ---------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "TestModels.h"

#include "qlc/IR/Verifier.h"
#include "qlc/ONNX/Export.h"
#include "qlc/ONNX/Import.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>

using namespace qlc;
using namespace qlc::test;

namespace {

TEST(ONNXImport, TextModelWithCommentsAndTypes) {
  std::unique_ptr<Model> m = parseText(R"(
    # a comment line before the header
    <ir_version: 8, opset_import: ["" : 13, "qlc" : 1],
     producer_name: "unit", model_version: 3>
    net (float[1,3,N,?] x) => (float[1,3,N,?] y)
      <float[3] w = {1.5, -2, 0.25}, float[1,3,N,?] t>
    {
      # a comment between nodes
      t = Relu (x)
      y = qlc.FakeQuant <bits = 8> (t, , w)
    }
  )");
  ASSERT_TRUE(m);
  EXPECT_FALSE(errorMessage(verify(*m)).size()) << errorMessage(verify(*m));
  EXPECT_EQ(m->irVersion, 8);
  EXPECT_EQ(m->getOpsetVersion(""), 13);
  EXPECT_EQ(m->getOpsetVersion("qlc"), 1);
  EXPECT_EQ(m->producerName, "unit");
  EXPECT_EQ(m->modelVersion, 3);
  Graph &g = m->getGraph();
  EXPECT_EQ(g.name, "net");
  ASSERT_EQ(g.getInputs().size(), 1u);
  const TensorType &xt = g.getInputs()[0]->getType();
  ASSERT_TRUE(xt.hasRank());
  ASSERT_EQ(xt.getRank(), 4);
  EXPECT_EQ(xt.getDims()[2].symbol, "N");
  EXPECT_FALSE(xt.getDims()[3].isKnown());
  EXPECT_TRUE(xt.getDims()[3].symbol.empty());

  Value *w = g.lookupValue("w");
  ASSERT_TRUE(w && w->isInitializer());
  EXPECT_EQ(w->getConstant()->getData<float>()[1], -2.0f);

  ASSERT_EQ(g.getNumNodes(), 2u);
  Node &fq = g.getNodes().back();
  EXPECT_TRUE(fq.is("FakeQuant", "qlc"));
  EXPECT_EQ(fq.getAttrInt("bits", 0), 8);
  ASSERT_EQ(fq.getNumInputs(), 3u);
  EXPECT_EQ(fq.getInput(1), nullptr); // omitted optional input
  EXPECT_EQ(fq.getInput(2), w);
  // value_info gave the intermediate value its type.
  EXPECT_EQ(g.lookupValue("t")->getType(), xt);
}

TEST(ONNXImport, GuessFormatByExtension) {
  EXPECT_EQ(guessModelFormat("a/b.onnxtxt"), ModelFormat::Text);
  EXPECT_EQ(guessModelFormat("b.ONNXTEXT"), ModelFormat::Text);
  EXPECT_EQ(guessModelFormat("b.txt"), ModelFormat::Text);
  EXPECT_EQ(guessModelFormat("b.onnx"), ModelFormat::Binary);
  EXPECT_EQ(guessModelFormat("model"), ModelFormat::Binary);
}

/// One initializer per data type in typed fields, checked byte by byte.
TEST(ONNXImport, EveryDataTypeFromTypedFields) {
  onnx::ModelProto p = makeModelProto();
  onnx::GraphProto &g = *p.mutable_graph();
  auto add = [&](const char *name, onnx::TensorProto::DataType dt) {
    onnx::TensorProto *t = g.add_initializer();
    t->set_name(name);
    t->set_data_type(dt);
    t->add_dims(2);
    return t;
  };
  add("f32", onnx::TensorProto::FLOAT)->mutable_float_data()->Add(1.5f);
  g.mutable_initializer(0)->add_float_data(-0.0f);
  auto *f64 = add("f64", onnx::TensorProto::DOUBLE);
  f64->add_double_data(0.1);
  f64->add_double_data(-1e300);
  auto *i8 = add("i8", onnx::TensorProto::INT8);
  i8->add_int32_data(-128);
  i8->add_int32_data(127);
  auto *u8 = add("u8", onnx::TensorProto::UINT8);
  u8->add_int32_data(0);
  u8->add_int32_data(255);
  auto *i16 = add("i16", onnx::TensorProto::INT16);
  i16->add_int32_data(-32768);
  i16->add_int32_data(7);
  auto *u16 = add("u16", onnx::TensorProto::UINT16);
  u16->add_int32_data(65535);
  u16->add_int32_data(1);
  auto *i32 = add("i32", onnx::TensorProto::INT32);
  i32->add_int32_data(std::numeric_limits<int32_t>::min());
  i32->add_int32_data(42);
  auto *i64 = add("i64", onnx::TensorProto::INT64);
  i64->add_int64_data(std::numeric_limits<int64_t>::min());
  i64->add_int64_data(std::numeric_limits<int64_t>::max());
  auto *u32 = add("u32", onnx::TensorProto::UINT32);
  u32->add_uint64_data(4294967295u);
  u32->add_uint64_data(3);
  auto *u64 = add("u64", onnx::TensorProto::UINT64);
  u64->add_uint64_data(std::numeric_limits<uint64_t>::max());
  u64->add_uint64_data(9);
  auto *b = add("b", onnx::TensorProto::BOOL);
  b->add_int32_data(1);
  b->add_int32_data(0);
  auto *f16 = add("f16", onnx::TensorProto::FLOAT16);
  f16->add_int32_data(0x3C00); // 1.0
  f16->add_int32_data(0xC000); // -2.0
  auto *bf16 = add("bf16", onnx::TensorProto::BFLOAT16);
  bf16->add_int32_data(0x3F80); // 1.0
  bf16->add_int32_data(0x4040); // 3.0
  auto *str = add("str", onnx::TensorProto::STRING);
  str->add_string_data("a\"b");
  str->add_string_data("");
  auto *c64 = add("c64", onnx::TensorProto::COMPLEX64);
  for (float v : {1.f, 2.f, 3.f, 4.f})
    c64->add_float_data(v);
  auto *c128 = add("c128", onnx::TensorProto::COMPLEX128);
  for (double v : {1., 2., 3., 4.})
    c128->add_double_data(v);
  addFloatOutput(g, "f32", {2});

  std::unique_ptr<Model> m = importProto(p);
  ASSERT_TRUE(m);
  auto data = [&](const char *name) -> const Tensor & {
    return *m->getGraph().lookupValue(name)->getConstant();
  };
  EXPECT_EQ(data("f32").getData<float>()[0], 1.5f);
  EXPECT_TRUE(std::signbit(data("f32").getData<float>()[1]));
  EXPECT_EQ(data("f64").getData<double>()[0], 0.1);
  EXPECT_EQ(data("f64").getData<double>()[1], -1e300);
  EXPECT_EQ(data("i8").getData<int8_t>()[0], -128);
  EXPECT_EQ(data("u8").getData<uint8_t>()[1], 255);
  EXPECT_EQ(data("i16").getData<int16_t>()[0], -32768);
  EXPECT_EQ(data("u16").getData<uint16_t>()[0], 65535);
  EXPECT_EQ(data("i32").getData<int32_t>()[0],
            std::numeric_limits<int32_t>::min());
  EXPECT_EQ(data("i64").getData<int64_t>()[1],
            std::numeric_limits<int64_t>::max());
  EXPECT_EQ(data("u32").getData<uint32_t>()[0], 4294967295u);
  EXPECT_EQ(data("u64").getData<uint64_t>()[0],
            std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(data("b").getData<bool>()[0], true);
  EXPECT_EQ(data("b").getData<bool>()[1], false);
  // float16 stays float16: the bits are kept, not converted.
  EXPECT_EQ(data("f16").getElementType(), ElementType::Float16);
  EXPECT_EQ(data("f16").getAsDouble(1), -2.0);
  EXPECT_EQ(data("bf16").getAsDouble(1), 3.0);
  EXPECT_EQ(data("str").getStrings()[0], "a\"b");
  EXPECT_EQ(data("c64").getByteSize(), 16u);
  EXPECT_EQ(data("c128").getByteSize(), 32u);
  float c64Values[4];
  std::memcpy(c64Values, data("c64").getRawData(), 16);
  EXPECT_EQ(c64Values[3], 4.f);

  // Exported as raw_data and read back: identical bytes for every type.
  llvm::Expected<std::string> bytes = exportModelBinary(*m, false);
  ASSERT_TRUE(bool(bytes)) << errorMessage(bytes.takeError());
  llvm::Expected<std::unique_ptr<Model>> again = importModelBinary(*bytes);
  ASSERT_TRUE(bool(again)) << errorMessage(again.takeError());
  for (Value *v : m->getGraph().getInitializers())
    EXPECT_TRUE(v->getConstant()->isIdenticalTo(
        *(*again)->getGraph().lookupValue(v->getName())->getConstant()))
        << v->getName().str();
}

TEST(ONNXImport, RawDataIsAdoptedWithItsValues) {
  onnx::ModelProto p = makeModelProto();
  onnx::TensorProto *t = p.mutable_graph()->add_initializer();
  t->set_name("w");
  t->set_data_type(onnx::TensorProto::INT16);
  t->add_dims(3);
  int16_t values[3] = {-1, 2, 300};
  t->set_raw_data(values, sizeof(values));
  addFloatOutput(*p.mutable_graph(), "w", {3});
  std::unique_ptr<Model> m = importProto(p);
  ASSERT_TRUE(m);
  const Tensor &w = *m->getGraph().lookupValue("w")->getConstant();
  EXPECT_EQ(w.getData<int16_t>()[2], 300);
  EXPECT_EQ(w.getByteSize(), sizeof(values));
}

/// Every form of Constant becomes an initializer named by its output.
TEST(ONNXImport, ConstantNodesBecomeInitializers) {
  onnx::ModelProto p = makeModelProto();
  onnx::GraphProto &g = *p.mutable_graph();
  auto constant = [&](const char *out, const char *attr,
                      onnx::AttributeProto::AttributeType type) {
    onnx::NodeProto *n = addNode(g, "Constant", {}, {out});
    onnx::AttributeProto *a = n->add_attribute();
    a->set_name(attr);
    a->set_type(type);
    return a;
  };
  onnx::AttributeProto *value =
      constant("c_t", "value", onnx::AttributeProto::TENSOR);
  value->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
  value->mutable_t()->add_dims(2);
  value->mutable_t()->add_float_data(1);
  value->mutable_t()->add_float_data(2);
  constant("c_f", "value_float", onnx::AttributeProto::FLOAT)->set_f(0.5f);
  auto *fs = constant("c_fs", "value_floats", onnx::AttributeProto::FLOATS);
  fs->add_floats(1);
  fs->add_floats(2);
  fs->add_floats(3);
  constant("c_i", "value_int", onnx::AttributeProto::INT)->set_i(-7);
  auto *is = constant("c_is", "value_ints", onnx::AttributeProto::INTS);
  is->add_ints(4);
  is->add_ints(5);
  constant("c_s", "value_string", onnx::AttributeProto::STRING)->set_s("hi");
  auto *ss = constant("c_ss", "value_strings", onnx::AttributeProto::STRINGS);
  ss->add_strings("a");
  ss->add_strings("b");
  auto *sp =
      constant("c_sp", "sparse_value", onnx::AttributeProto::SPARSE_TENSOR)
          ->mutable_sparse_tensor();
  sp->add_dims(2);
  sp->add_dims(3);
  sp->mutable_values()->set_data_type(onnx::TensorProto::FLOAT);
  sp->mutable_values()->add_dims(2);
  sp->mutable_values()->add_float_data(5);
  sp->mutable_values()->add_float_data(6);
  sp->mutable_indices()->set_data_type(onnx::TensorProto::INT64);
  sp->mutable_indices()->add_dims(2);
  sp->mutable_indices()->add_int64_data(1);
  sp->mutable_indices()->add_int64_data(5);
  addFloatInput(g, "x", {2});
  addNode(g, "Add", {"x", "c_t"}, {"y"});
  addFloatOutput(g, "y", {2});

  std::unique_ptr<Model> m = importProto(p);
  ASSERT_TRUE(m);
  Graph &graph = m->getGraph();
  ASSERT_EQ(graph.getNumNodes(), 1u);
  EXPECT_EQ(graph.getNodes().front().getInput(1), graph.lookupValue("c_t"));
  auto data = [&](const char *name) -> const Tensor & {
    Value *v = graph.lookupValue(name);
    EXPECT_TRUE(v && v->isInitializer()) << name;
    return *v->getConstant();
  };
  EXPECT_EQ(data("c_t").getData<float>()[1], 2.f);
  EXPECT_EQ(data("c_f").getRank(), 0);
  EXPECT_EQ(data("c_f").getData<float>()[0], 0.5f);
  EXPECT_EQ(data("c_fs").getShape(), llvm::ArrayRef<int64_t>({3}));
  EXPECT_EQ(data("c_i").getData<int64_t>()[0], -7);
  EXPECT_EQ(data("c_is").getData<int64_t>()[1], 5);
  EXPECT_EQ(data("c_s").getStrings(), std::vector<std::string>{"hi"});
  EXPECT_EQ(data("c_ss").getStrings().size(), 2u);
  EXPECT_EQ(data("c_sp").toDoubles(), (std::vector<double>{0, 5, 0, 0, 0, 6}));
  EXPECT_FALSE(data("c_t").isNull());
  EXPECT_FALSE(graph.lookupValue("c_t")->isListedAsInput());
}

/// IR version 3 lists initializers as inputs: they become constants that
/// are listed again on export, and only while ir_version < 4.
TEST(ONNXImport, IRVersion3InitializersListedAsInputs) {
  onnx::ModelProto p = makeModelProto(/*irVersion=*/3, /*opset=*/8);
  onnx::GraphProto &g = *p.mutable_graph();
  addFloatInput(g, "x", {2});
  addFloatInput(g, "w", {2});
  addFloatInitializer(g, "w", {2}, {1, 2});
  addNode(g, "Add", {"x", "w"}, {"y"});
  addFloatOutput(g, "y", {2});
  std::unique_ptr<Model> m = importProto(p);
  ASSERT_TRUE(m);
  Value *w = m->getGraph().lookupValue("w");
  ASSERT_TRUE(w->isInitializer());
  EXPECT_TRUE(w->isListedAsInput());
  ASSERT_EQ(m->getGraph().getInputs().size(), 1u);
  EXPECT_EQ(m->getGraph().getInputs()[0]->getName(), "x");

  auto exportedInputs = [](const Model &model) {
    llvm::Expected<std::string> bytes = exportModelBinary(model, true);
    EXPECT_TRUE(bool(bytes)) << errorMessage(bytes.takeError());
    onnx::ModelProto out;
    out.ParseFromString(bytes ? *bytes : std::string());
    std::string names;
    for (const onnx::ValueInfoProto &in : out.graph().input())
      names += in.name() + " ";
    return names;
  };
  EXPECT_EQ(exportedInputs(*m), "x w ");
  m->irVersion = 7;
  EXPECT_EQ(exportedInputs(*m), "x ");
}

TEST(ONNXImport, IRVersion4InputWithInitializerBecomesConstant) {
  onnx::ModelProto p = makeModelProto(/*irVersion=*/7);
  onnx::GraphProto &g = *p.mutable_graph();
  addFloatInput(g, "x", {2});
  addFloatInput(g, "w", {2});
  addFloatInitializer(g, "w", {2}, {1, 2});
  addNode(g, "Add", {"x", "w"}, {"y"});
  addFloatOutput(g, "y", {2});
  std::unique_ptr<Model> m = importProto(p);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->getGraph().lookupValue("w")->isInitializer());
  EXPECT_FALSE(m->getGraph().lookupValue("w")->isListedAsInput());
  EXPECT_EQ(m->getGraph().getInputs().size(), 1u);
}

TEST(ONNXImport, UnsortedNodesAreSorted) {
  onnx::ModelProto p = makeModelProto();
  onnx::GraphProto &g = *p.mutable_graph();
  addFloatInput(g, "x", {2});
  addNode(g, "Neg", {"b"}, {"y"})->set_name("last");
  addNode(g, "Relu", {"a"}, {"b"})->set_name("middle");
  addNode(g, "Abs", {"x"}, {"a"})->set_name("first");
  addFloatOutput(g, "y", {2});
  std::unique_ptr<Model> m = importProto(p);
  ASSERT_TRUE(m);
  std::vector<std::string> order;
  for (Node &n : m->getGraph().getNodes())
    order.push_back(n.getName().str());
  EXPECT_EQ(order, (std::vector<std::string>{"first", "middle", "last"}));
  EXPECT_FALSE(bool(verify(*m)));
}

TEST(ONNXImport, AcceptsOpsetsOldAndNew) {
  for (int64_t opset : {1, 7, 13, 17, 18, 42}) {
    std::unique_ptr<Model> m = parseText(
        "<ir_version: 8, opset_import: [\"\" : " + std::to_string(opset) +
        "]> g (float[2] x) => (float[2] y) { y = Relu (x) }");
    ASSERT_TRUE(m) << opset;
    EXPECT_EQ(m->getOpsetVersion(""), opset);
  }
}

TEST(ONNXImport, OmittedOptionalOutputsAndNodesWithoutOutputs) {
  std::unique_ptr<Model> m = parseText(R"(
    <ir_version: 8, opset_import: ["" : 13, "x" : 1]>
    g (float[2] a) => (float[2] y)
    {
      y, , z = x.Three (a)
      = x.Sink (z)
    }
  )");
  ASSERT_TRUE(m);
  Node &three = m->getGraph().getNodes().front();
  ASSERT_EQ(three.getNumResults(), 3u);
  EXPECT_TRUE(three.getResult(1)->getName().empty());
  EXPECT_EQ(m->getGraph().getNodes().back().getNumResults(), 0u);
  llvm::Expected<std::string> bytes = exportModelBinary(*m, true);
  ASSERT_TRUE(bool(bytes)) << errorMessage(bytes.takeError());
  onnx::ModelProto out;
  ASSERT_TRUE(out.ParseFromString(*bytes));
  EXPECT_EQ(out.graph().node(0).output(1), "");
  EXPECT_EQ(out.graph().node(1).output_size(), 0);
}

TEST(ONNXImport, ModelFileFromDisk) {
  TempDir dir;
  std::string text = "<ir_version: 8, opset_import: [\"\" : 13]>\n"
                     "g (float[2] x) => (float[2] y) { y = Relu (x) }\n";
  writeFile(dir.file("m.onnxtxt"), text);
  llvm::Expected<std::unique_ptr<Model>> fromText =
      importModelFile(dir.file("m.onnxtxt"));
  ASSERT_TRUE(bool(fromText)) << errorMessage(fromText.takeError());
  llvm::Expected<std::string> bytes = exportModelBinary(**fromText, true);
  ASSERT_TRUE(bool(bytes));
  writeFile(dir.file("m.onnx"), *bytes);
  llvm::Expected<std::unique_ptr<Model>> fromBinary =
      importModelFile(dir.file("m.onnx"));
  ASSERT_TRUE(bool(fromBinary)) << errorMessage(fromBinary.takeError());
  EXPECT_EQ((*fromBinary)->getGraph().getNumNodes(), 1u);
}

} // namespace
