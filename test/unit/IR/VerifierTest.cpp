//===- VerifierTest.cpp - Verifier diagnostics ----------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/IR/Model.h"
#include "qlc/IR/Verifier.h"

#include "gtest/gtest.h"

using namespace qlc;

static std::string verifyMessage(const Model &m) {
  llvm::Error err = verify(m);
  return err ? llvm::toString(std::move(err)) : std::string();
}

TEST(VerifierTest, AcceptsWellFormedGraph) {
  Model m;
  Graph &g = m.getGraph();
  Value *x = g.addInput("x", TensorType(ElementType::Float, {1}));
  g.addOutput(g.createNode("Relu", {x}, "y")->getResult(0));
  EXPECT_EQ(verifyMessage(m), "");
}

TEST(VerifierTest, NamesNodeUsedBeforeDefinition) {
  Model m;
  Graph &g = m.getGraph();
  Value *x = g.addInput("x", TensorType(ElementType::Float, {1}));
  Node *a = g.createNode("Relu", {x}, "a");
  Node *b = g.createNode("Neg", {a->getResult(0)}, "b");
  g.addOutput(b->getResult(0));
  g.moveBefore(b, a);
  EXPECT_EQ(verifyMessage(m), "'b' (Neg): input 0 ('a') is used before it is "
                              "defined (nodes out of order or a cycle)");
}

TEST(VerifierTest, RejectsInitializerTypeMismatch) {
  Model m;
  Graph &g = m.getGraph();
  Value *w = g.addInitializer("w", Tensor::fromValues<float>({2}, {1, 2}));
  w->setType(TensorType(ElementType::Int8, {2}));
  g.addOutput(w);
  EXPECT_EQ(verifyMessage(m), "value 'w': declared type int8[2] does not "
                              "match its data float[2]");
}

TEST(VerifierTest, RejectsUntypedGraphInput) {
  Model m;
  Graph &g = m.getGraph();
  g.addOutput(g.addInput("x", TensorType()));
  EXPECT_EQ(verifyMessage(m), "value 'x': graph input has no element type");
}

TEST(VerifierTest, RejectsUseOfOmittedResult) {
  Model m;
  Graph &g = m.getGraph();
  Value *x = g.addInput("x", TensorType(ElementType::Float, {1}));
  Node *d = g.createNode("Dropout", {x}, {"y", ""});
  Node *n = g.createNode("Not", {d->getResult(1)}, "z");
  g.addOutput(n->getResult(0));
  EXPECT_EQ(verifyMessage(m), "'y' (Dropout): omitted result 1 is used");
}

TEST(VerifierTest, NamesCustomDomainInDiagnostics) {
  Model m;
  Graph &g = m.getGraph();
  Value *x = g.addInput("x", TensorType(ElementType::Float, {1}));
  Node *a = g.createNode("Neg", {x}, "a");
  Node *fq = g.createNode("FakeQuant", {a->getResult(0)}, "b", "qlc");
  fq->setName("fq");
  g.addOutput(fq->getResult(0));
  g.moveBefore(fq, a);
  EXPECT_EQ(verifyMessage(m).substr(0, 27), "'fq' (qlc.FakeQuant): input");
}
