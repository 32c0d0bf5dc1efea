//===- TextFormatTest.cpp - ONNX text printer and parser round trip -------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "ModelCompare.h"
#include "TestModels.h"

#include "qlc/ONNX/Export.h"
#include "qlc/ONNX/Import.h"

#include "llvm/ADT/StringExtras.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace qlc;
using namespace qlc::test;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

std::string print(const Model &m) {
  std::string text;
  llvm::raw_string_ostream os(text);
  printModelText(m, os);
  return os.str();
}

/// Prints, parses and compares; the printer must report no limitation.
void expectLosslessText(const Model &m) {
  EXPECT_THAT(getTextFormatLimitations(m), ::testing::IsEmpty());
  std::string text = print(m);
  std::unique_ptr<Model> back = parseText(text);
  ASSERT_TRUE(back) << text;
  EXPECT_EQ(compareModels(m, *back), "") << text;
  EXPECT_EQ(print(*back), text);
}

const char *kRichModel = R"(
<
  ir_version: 8,
  opset_import: ["" : 13, "qlc" : 1, "com.acme" : 2],
  producer_name: "unit",
  producer_version: "0.1",
  domain: "test.domain",
  model_version: 7,
  doc_string: "model doc with # hash and
a newline",
  metadata_props: ["k" : "v", "empty" : ""]
>
main (float[1,3,N,?] x, float[] anyrank, float scalar) =>
     (float[1,3,N,?] y, float[3] w_out, uint8[2] q)
  <
    float[3] w = {0.1, -0, 3.40282347e+38},
    double[2] d = {0.1, 1e-300},
    int8[3] i8 = {-128, 0, 127}, uint8[2] u8 = {0, 255},
    int16[1] i16 = {-32768}, uint16[1] u16 = {65535},
    int32[1] i32 = {-2147483648},
    int64[2] i64 = {-9223372036854775808, 9223372036854775807},
    uint32[1] u32 = {4294967295}, uint64[1] u64 = {18446744073709551615},
    bool[2] b = {1, 0}, string[2] s = {"a b", ""}, float sc = {2.5},
    float[0] empty = {},
    float[1,3,N,?] t
  >
{
  t = Relu (x)
  y = qlc.FakeQuant <bits = 8, scale = 0.5, zp = -3, mode = "sym",
                     axes = [0, 1], scales = [1.0, 2.5e-08],
                     names = ["a", "b"], table = float[2] {1, 2}> (t, , w)
  w_out = Identity (w)
  a, , c = com.acme.Split3 (x)
  q = com.acme.Quant <v = uint8[2] {1, 2}> ()
  = com.acme.Sink (a, c, )
}
<domain: "com.acme", opset_import: ["" : 13], doc_string: "fn doc">
Split3 <alpha> (x) => (a, b, c)
{
  a = Identity (x)
  b = LeakyRelu <alpha : float = @alpha> (x)
  c = Neg (x)
}
)";

TEST(ONNXText, RichModelRoundTripsLosslessly) {
  std::unique_ptr<Model> m = parseText(kRichModel);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->functions.size(), 1u);
  expectLosslessText(*m);
  const Tensor &w = *m->getGraph().lookupValue("w")->getConstant();
  EXPECT_EQ(w.getData<float>()[0], 0.1f);
  EXPECT_TRUE(std::signbit(w.getData<float>()[1]));
  EXPECT_EQ(w.getData<float>()[2], std::numeric_limits<float>::max());
  EXPECT_EQ(m->getGraph().lookupValue("sc")->getConstant()->getRank(), 0);
  EXPECT_FALSE(m->getGraph().lookupValue("anyrank")->getType().hasRank());
  EXPECT_TRUE(m->getGraph().lookupValue("scalar")->getType().hasRank());
}

TEST(ONNXText, SubgraphsRoundTripLosslessly) {
  std::unique_ptr<Model> m = parseText(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (bool cond, float[2] x) => (float[2] y) <float[2] w = {1, 2}>
    {
      a = Relu (x)
      y = If <then_branch = then_g () => (float[2] t_out) { t_out = Add (a, w) },
              else_branch = else_g () => (float[2] e_out)
                <float[1] k = {3}, float[2] tmp> {
                tmp = Mul (x, k)
                e_out = Constant <value = float[2] named {5, 6}> ()
              }> (cond)
    }
  )");
  ASSERT_TRUE(m);
  expectLosslessText(*m);
}

/// Binary input (raw_data, IR version 3 input listing) printed as text.
TEST(ONNXText, BinaryModelPrintsLosslessly) {
  onnx::ModelProto p = makeModelProto(/*irVersion=*/3, /*opset=*/9);
  onnx::GraphProto &g = *p.mutable_graph();
  addFloatInput(g, "x", {3});
  addFloatInput(g, "w", {3});
  onnx::TensorProto *w = g.add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(3);
  float values[3] = {1.f / 3, -1e-30f, 65504.f};
  w->set_raw_data(values, sizeof(values));
  onnx::TensorProto *h = g.add_initializer();
  h->set_name("h");
  h->set_data_type(onnx::TensorProto::INT64);
  int64_t shape[2] = {1, 3};
  h->add_dims(2);
  h->set_raw_data(shape, sizeof(shape));
  addNode(g, "Mul", {"x", "w"}, {"m"});
  addNode(g, "Reshape", {"m", "h"}, {"y"});
  addFloatOutput(g, "y", {1, 3});
  std::unique_ptr<Model> m = importProto(p);
  ASSERT_TRUE(m);
  expectLosslessText(*m);
  EXPECT_THAT(print(*m), HasSubstr("(float[3] x, float[3] w = {"));
}

/// Random floats and doubles survive printing with 9/17 digits exactly.
TEST(ONNXText, FloatsRoundTripExactly) {
  std::mt19937 rng(1234);
  std::unique_ptr<Model> m = parseText(
      "<ir_version: 8, opset_import: [\"\" : 13]> g () => (float[2] a) "
      "<float[2] a = {0, 0}> {}");
  ASSERT_TRUE(m);
  Tensor f(ElementType::Float, {500});
  Tensor d(ElementType::Double, {500});
  for (int64_t i = 0; i < 500; ++i) {
    uint32_t bits;
    do
      bits = rng();
    while (!std::isnormal([&] {
      float v;
      std::memcpy(&v, &bits, 4);
      return v;
    }()));
    std::memcpy(f.getMutableRawData() + 4 * i, &bits, 4);
    uint64_t dbits;
    double dv;
    do {
      dbits = (uint64_t(rng()) << 32) | rng();
      std::memcpy(&dv, &dbits, 8);
    } while (!std::isnormal(dv));
    std::memcpy(d.getMutableRawData() + 8 * i, &dbits, 8);
  }
  m->getGraph().addInitializer("f", f);
  m->getGraph().addInitializer("d", d);
  expectLosslessText(*m);
}

TEST(ONNXText, PrintedFormat) {
  std::unique_ptr<Model> m = parseText(R"(
    <ir_version: 8, opset_import: ["" : 13], producer_name: "p">
    g (float[1,3,N,?] x) => (float[1,2,N,?] y)
      <float[2,3,1,1] w = {1, 2, 3, 4, 5, 6}>
    { y = Conv <kernel_shape = [1, 1], alpha = 1.0> (x, w) }
  )");
  ASSERT_TRUE(m);
  EXPECT_EQ(print(*m), R"(<
  ir_version: 8,
  opset_import: ["" : 13],
  producer_name: "p"
>
g (float[1,3,N,?] x) => (float[1,2,N,?] y)
  <
    float[2,3,1,1] w = {1, 2, 3, 4, 5, 6}
  >
{
  y = Conv <kernel_shape = [1, 1], alpha = 1.0> (x, w)
}
)");
}

/// Content the 1.12 syntax cannot express is reported, and still printed.
TEST(ONNXText, LimitationsAreReported) {
  std::unique_ptr<Model> m = parseText(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[2] x) => (float[2] y) <float[2] w = {1, 2}> { y = Add (x, w) }
  )");
  ASSERT_TRUE(m);
  Graph &g = m->getGraph();
  Node &add = g.getNodes().front();
  add.setName("add_node");
  add.docString = "adds";
  add.setAttr("empty", Attribute::getInts({}));
  add.setAttr("quote", Attribute::getString("say \"hi\""));
  add.setAttr("nan", Attribute::getFloat(std::nanf("")));
  add.setAttr("sub", Attribute::getFloat(1e-40f));
  add.setAttr("many", Attribute::getTensors({Tensor::scalar<float>(1)}));
  g.addInitializer("input.1", Tensor::scalar<float>(1));
  g.addInitializer("half", Tensor(ElementType::Float16, {2}));
  std::vector<std::string> limits = getTextFormatLimitations(*m);
  auto has = [&](const char *what) {
    return llvm::any_of(limits, [&](const std::string &l) {
      return llvm::StringRef(l).contains(what);
    });
  };
  EXPECT_TRUE(has("node names")) << llvm::join(limits, "\n");
  EXPECT_TRUE(has("doc strings of nodes"));
  EXPECT_TRUE(has("empty list attributes"));
  EXPECT_TRUE(has("strings containing '\"'"));
  EXPECT_TRUE(has("NaN"));
  EXPECT_TRUE(has("subnormal"));
  EXPECT_TRUE(has("attributes of kind tensors"));
  EXPECT_TRUE(has("not identifiers"));
  EXPECT_TRUE(has("tensor data of type float16"));
  std::string text = print(*m);
  EXPECT_THAT(text, StartsWith("# note: ONNX 1.12's parser cannot read back"));
  EXPECT_THAT(text, HasSubstr("y = Add <"));
  EXPECT_THAT(text, HasSubstr("# name: add_node"));
  EXPECT_THAT(text, HasSubstr("float16[2] half = {0, 0}"));
  EXPECT_THAT(text, HasSubstr("# attribute 'many' of kind tensors cannot"));
  // A name with a newline never escapes its comment.
  add.setName("evil\ny = Relu (x)");
  std::string evil = print(*m);
  for (llvm::StringRef line : llvm::split(evil, '\n'))
    EXPECT_FALSE(line.startswith("y = Relu")) << line.str();
}

} // namespace
