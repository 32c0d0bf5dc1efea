//===- MalformedNodesTest.cpp - Passes on nodes with missing operands -----===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Models can hold nodes with too few or omitted operands (the importer
// does not check op schemas). Every canonicalize pass must leave them alone
// rather than crash; under ASan/UBSan these tests also catch out-of-bounds
// operand reads.
//
//===----------------------------------------------------------------------===//

#include "PassTestUtils.h"

#include "gtest/gtest.h"

using namespace qlc;
using namespace qlc::test;

namespace {
/// One node of each kind the passes match, with operands missing.
std::unique_ptr<Model> makeMalformedModel() {
  auto model = makeModel();
  Graph &g = model->getGraph();
  Value *x = g.addInput("x", TensorType(ElementType::Float, {2, 3}));
  Value *w = g.addInitializer("w", randomFloats({3, 3}, 1));
  std::vector<Node *> nodes{
      g.createNode("Identity", {}, "id0"),
      g.createNode("Identity", {nullptr}, "id1"),
      g.createNode("Dropout", {}, "drop"),
      g.createNode("Shape", {}, "shape"),
      g.createNode("Size", {nullptr}, "size"),
      g.createNode("Gather", {w}, "gather"),
      g.createNode("Reshape", {x}, "reshape"),
      g.createNode("Reshape", {nullptr, w}, "reshape2"),
      g.createNode("Concat", {nullptr, w}, "concat"),
      g.createNode("Range", {w}, "range"),
      g.createNode("ConstantOfShape", {}, "cos"),
      g.createNode("Conv", {x}, "conv"),
      g.createNode("Gemm", {x, nullptr}, "gemm"),
  };
  Node *bn =
      g.createNode("BatchNormalization", {nodes[11]->getResult(0), w, w}, "bn");
  Node *bn2 = g.createNode("BatchNormalization",
                           {nodes[12]->getResult(0), w, nullptr, w, w}, "bn2");
  nodes.push_back(bn);
  nodes.push_back(bn2);
  for (Node *n : nodes)
    if (n != nodes[11] && n != nodes[12])
      g.addOutput(n->getResult(0));
  return model;
}
} // namespace

TEST(MalformedNodesTest, PassesLeaveThemAlone) {
  for (llvm::StringRef pass : {"remove-identity", "fold-constants", "fold-bn",
                               "canonicalize-flatten"}) {
    for (llvm::StringRef options : {"", "mode=into-bias"}) {
      if (!options.empty() && pass != "fold-bn")
        continue;
      auto model = makeMalformedModel();
      size_t before = model->getGraph().getNumNodes();
      auto changed = runPass(*model, pass, options);
      ASSERT_TRUE(static_cast<bool>(changed))
          << pass.str() << ": " << llvm::toString(changed.takeError());
      EXPECT_FALSE(*changed) << pass.str();
      EXPECT_EQ(model->getGraph().getNumNodes(), before) << pass.str();
    }
  }
}

TEST(MalformedNodesTest, FoldConstantsWithAllOpsListed) {
  // Even ops outside the default list, listed explicitly, only decline.
  auto model = makeMalformedModel();
  auto changed = runPass(*model, "fold-constants",
                         "ops=Identity,Dropout,Shape,Size,Gather,Reshape,"
                         "Concat,Range,ConstantOfShape,Conv,Gemm,"
                         "BatchNormalization");
  ASSERT_TRUE(static_cast<bool>(changed))
      << llvm::toString(changed.takeError());
  EXPECT_FALSE(*changed);
}
