//===- SubgraphTest.cpp - Opaque subgraphs and custom-domain round trips --===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "ModelCompare.h"
#include "TestModels.h"

#include "qlc/IR/Verifier.h"
#include "qlc/ONNX/Export.h"
#include "qlc/ONNX/Import.h"

#include <google/protobuf/util/message_differencer.h>

#include <cstring>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace qlc;
using namespace qlc::test;
using ::testing::HasSubstr;

namespace {

/// If whose branches read outer values; the producer of one of them comes
/// after the If in the file, and a nested Loop reads another outer value.
const char *kIfModel = R"(
  <ir_version: 8, opset_import: ["" : 13]>
  g (bool cond, float[2] x) => (float[2] y)
    <float[2] w = {1, 2}>
  {
    y = If <then_branch = then_g () => (float[2] t_out) {
              t_out = Add (a, w)
            },
            else_branch = else_g () => (float[2] e_out) {
              e_out = Loop <body = body_g (int64 i, bool c_in, float[2] v_in)
                                   => (bool c_out, float[2] v_out) {
                c_out = Identity (c_in)
                v_out = Add (v_in, late)
              }> (trip, cond, x)
            }> (cond)
    a = Relu (x)
    late = Abs (x)
    trip = Constant <value = int64 {3}> ()
  }
)";

TEST(ONNXSubgraph, OuterScopeReadsBecomeImplicitInputs) {
  std::unique_ptr<Model> m = parseText(kIfModel);
  ASSERT_TRUE(m);
  EXPECT_EQ(errorMessage(verify(*m)), "");
  Graph &g = m->getGraph();
  Node &ifNode = g.getNodes().back(); // sorted after its producers
  ASSERT_TRUE(ifNode.is("If"));
  std::vector<std::string> implicit;
  for (Value *v : ifNode.getImplicitInputs())
    implicit.push_back(v->getName().str());
  // Branch order, then order of first use; "v_in", "c_in" are inner names.
  EXPECT_EQ(implicit,
            (std::vector<std::string>{"a", "w", "trip", "cond", "x", "late"}));
  // The producers have uses, so dead-code elimination keeps them.
  EXPECT_TRUE(g.lookupValue("late")->hasUses());
  EXPECT_TRUE(g.lookupValue("a")->hasUses());
  // Subgraphs stay opaque.
  EXPECT_TRUE(ifNode.getAttr("then_branch")->isOpaque());

  llvm::Expected<std::string> bytes = exportModelBinary(*m, true);
  ASSERT_TRUE(bool(bytes)) << errorMessage(bytes.takeError());
  llvm::Expected<std::unique_ptr<Model>> back = importModelBinary(*bytes);
  ASSERT_TRUE(bool(back));
  EXPECT_EQ(compareModels(*m, **back), "");
}

TEST(ONNXSubgraph, UndefinedOuterNameIsAnError) {
  llvm::Expected<std::unique_ptr<Model>> m = importModelText(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (bool cond) => (float[2] y) {
      y = If <then_branch = t () => (float[2] o) { o = Relu (nowhere) },
              else_branch = e () => (float[2] p) { p = Relu (nowhere) }> (cond)
    }
  )");
  EXPECT_EQ(errorMessage(m), "'y' (If): subgraph attribute 'then_branch' "
                             "reads 'nowhere', which is not defined");
}

/// A model that uses every attribute kind, a custom domain, node names and
/// doc strings, metadata, a model function and training info.
onnx::ModelProto makeEverythingModel() {
  onnx::ModelProto p = makeModelProto(8, 13);
  onnx::OperatorSetIdProto *acme = p.add_opset_import();
  acme->set_domain("com.acme");
  acme->set_version(3);
  p.set_producer_name("unit");
  p.set_producer_version("1.0");
  p.set_domain("org.test");
  p.set_model_version(5);
  p.set_doc_string("model doc");
  auto *kv = p.add_metadata_props();
  kv->set_key("author");
  kv->set_value("me");
  onnx::GraphProto &g = *p.mutable_graph();
  g.set_doc_string("graph doc");
  addFloatInput(g, "x", {2})->set_doc_string("input doc");
  onnx::NodeProto *n =
      addNode(g, "Frobnicate", {"x", "", "x"}, {"y", "aux"}, "com.acme");
  n->set_name("frob");
  n->set_doc_string("node doc");
  using AP = onnx::AttributeProto;
  auto attr = [&](const char *name, AP::AttributeType type) {
    AP *a = n->add_attribute();
    a->set_name(name);
    a->set_type(type);
    return a;
  };
  attr("f", AP::FLOAT)->set_f(-0.125f);
  attr("i", AP::INT)->set_i(-3);
  attr("s", AP::STRING)->set_s("text \"quoted\"");
  AP *t = attr("t", AP::TENSOR);
  t->set_doc_string("attr doc");
  t->mutable_t()->set_data_type(onnx::TensorProto::INT8);
  t->mutable_t()->add_dims(2);
  t->mutable_t()->add_int32_data(-1);
  t->mutable_t()->add_int32_data(7);
  onnx::GraphProto *sub = attr("g", AP::GRAPH)->mutable_g();
  sub->set_name("sub");
  addFloatOutput(*sub, "x", {2}); // reads the outer x directly
  attr("fs", AP::FLOATS)->add_floats(2.5f);
  attr("is", AP::INTS)->add_ints(9);
  attr("ss", AP::STRINGS)->add_strings("");
  AP *ts = attr("ts", AP::TENSORS);
  ts->add_tensors()->set_data_type(onnx::TensorProto::DOUBLE);
  ts->mutable_tensors(0)->add_double_data(3.25);
  AP *gs = attr("gs", AP::GRAPHS);
  gs->add_graphs()->set_name("a");
  gs->add_graphs()->set_name("b");
  AP *sp = attr("sp", AP::SPARSE_TENSOR);
  sp->mutable_sparse_tensor()->add_dims(4);
  sp->mutable_sparse_tensor()->mutable_values()->set_data_type(1);
  sp->mutable_sparse_tensor()->mutable_values()->add_dims(0);
  attr("sps", AP::SPARSE_TENSORS)->add_sparse_tensors()->add_dims(1);
  attr("tp", AP::TYPE_PROTO)
      ->mutable_tp()
      ->mutable_tensor_type()
      ->set_elem_type(7);
  attr("tps", AP::TYPE_PROTOS)->add_type_protos()->mutable_sequence_type();
  attr("empty_ints", AP::INTS);
  addFloatOutput(g, "y", {2});

  onnx::FunctionProto *fn = p.add_functions();
  fn->set_name("Frobnicate");
  fn->set_domain("com.acme");
  fn->add_input("a");
  fn->add_output("b");
  onnx::NodeProto *fnNode = fn->add_node();
  fnNode->set_op_type("Identity");
  fnNode->add_input("a");
  fnNode->add_output("b");
  onnx::OperatorSetIdProto *fnOpset = fn->add_opset_import();
  fnOpset->set_domain("");
  fnOpset->set_version(13);
  p.add_training_info()->mutable_algorithm()->set_name("train");
  return p;
}

/// Custom ops are ordinary nodes; everything survives import -> export.
TEST(ONNXSubgraph, CustomDomainRoundTripKeepsEverything) {
  onnx::ModelProto original = makeEverythingModel();
  std::unique_ptr<Model> m = importProto(original);
  ASSERT_TRUE(m);
  Node &n = m->getGraph().getNodes().front();
  EXPECT_EQ(n.getName(), "frob");
  EXPECT_EQ(n.getDomain(), "com.acme");
  EXPECT_EQ(n.getAttrs().size(), 15u);
  EXPECT_EQ(n.getImplicitInputs().size(), 1u); // "x" read by subgraph "g"
  EXPECT_EQ(m->functions.size(), 1u);
  EXPECT_EQ(m->trainingInfo.size(), 1u);

  llvm::Expected<std::string> bytes = exportModelBinary(*m, false);
  ASSERT_TRUE(bool(bytes)) << errorMessage(bytes.takeError());
  onnx::ModelProto exported;
  ASSERT_TRUE(exported.ParseFromString(*bytes));
  // Attributes, node name and doc, metadata, function and training info
  // are those of the original (tensor data may move to raw_data).
  const onnx::NodeProto &before = original.graph().node(0);
  const onnx::NodeProto &after = exported.graph().node(0);
  EXPECT_EQ(after.name(), before.name());
  EXPECT_EQ(after.doc_string(), before.doc_string());
  ASSERT_EQ(after.attribute_size(), before.attribute_size());
  for (int i = 0; i < before.attribute_size(); ++i) {
    const std::string &name = before.attribute(i).name();
    if (name == "t" || name == "ts")
      continue; // typed data became raw_data; checked below
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equivalent(
        before.attribute(i), after.attribute(i)))
        << before.attribute(i).name();
  }
  EXPECT_EQ(after.attribute(3).doc_string(), "attr doc");
  const std::string &raw = after.attribute(3).t().raw_data();
  EXPECT_EQ(raw, std::string("\xff\x07", 2));
  double d = 0;
  ASSERT_EQ(after.attribute(8).tensors(0).raw_data().size(), sizeof(d));
  std::memcpy(&d, after.attribute(8).tensors(0).raw_data().data(), sizeof(d));
  EXPECT_EQ(d, 3.25);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equivalent(
      original.metadata_props(0), exported.metadata_props(0)));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equivalent(
      original.functions(0), exported.functions(0)));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equivalent(
      original.training_info(0), exported.training_info(0)));
  EXPECT_EQ(exported.doc_string(), "model doc");
  EXPECT_EQ(exported.graph().doc_string(), "graph doc");
  EXPECT_EQ(exported.graph().input(0).doc_string(), "input doc");
  EXPECT_EQ(exported.model_version(), 5);

  llvm::Expected<std::unique_ptr<Model>> again = importModelBinary(*bytes);
  ASSERT_TRUE(bool(again)) << errorMessage(again.takeError());
  EXPECT_EQ(compareModels(*m, **again), "");
}

} // namespace
