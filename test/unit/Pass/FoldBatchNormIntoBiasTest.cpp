//===- FoldBatchNormIntoBiasTest.cpp - Tests of fold-bn{mode=into-bias} ---===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "FoldBatchNormTestUtils.h"

#include "gtest/gtest.h"

using namespace qlc;
using namespace qlc::test;

TEST(FoldBatchNormIntoBiasTest, MovesConvBiasIntoTheMean) {
  BnFixture f = makeConvBn({});
  QLC_ASSERT_OK_AND_ASSIGN(before, execute(*f.model, f.inputs));
  auto pass = createPass("fold-bn", "mode=into-bias");
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*pass, *f.model));
  EXPECT_TRUE(changed);
  EXPECT_EQ(f.linear->getNumInputs(), 2u);
  EXPECT_EQ(countNodes(*f.model, "BatchNormalization"), 1u);
  EXPECT_EQ(f.model->getGraph().getOutputs()[0], f.bnNode->getResult(0));
  const Tensor *mean = f.bnNode->getInput(3)->getConstant();
  ASSERT_TRUE(mean);
  for (int64_t c = 0; c < 6; ++c)
    EXPECT_EQ(mean->getData<float>()[c],
              (float)((double)f.bn.mean.getData<float>()[c] -
                      (double)f.bias.getData<float>()[c]));
  EXPECT_EQ(getStatistic(*pass, "biases-moved"), 1u);
  expectSameOutputs(*f.model, f.inputs, before, 1e-5);
  // Nothing left to move.
  QLC_ASSERT_OK_AND_ASSIGN(again, runPass(*pass, *f.model));
  EXPECT_FALSE(again);
}

TEST(FoldBatchNormIntoBiasTest, ConvWithoutBiasIsUnchanged) {
  ConvSpec spec;
  spec.bias = false;
  BnFixture f = makeConvBn(spec);
  QLC_ASSERT_OK_AND_ASSIGN(changed,
                           runPass(*f.model, "fold-bn", "mode=into-bias"));
  EXPECT_FALSE(changed);
}

TEST(FoldBatchNormIntoBiasTest, MovesScaledGemmBias) {
  for (CShape c : {CShape::Vector, CShape::Row, CShape::Scalar}) {
    BnFixture f = makeGemmBn(true, 0.5f, 2.0f, c);
    QLC_ASSERT_OK_AND_ASSIGN(before, execute(*f.model, f.inputs));
    QLC_ASSERT_OK_AND_ASSIGN(changed,
                             runPass(*f.model, "fold-bn", "mode=into-bias"));
    ASSERT_TRUE(changed);
    EXPECT_EQ(f.linear->getNumInputs(), 2u);
    EXPECT_FALSE(f.linear->hasAttr("beta"));
    EXPECT_TRUE(f.linear->hasAttr("alpha"));
    const Tensor *mean = f.bnNode->getInput(3)->getConstant();
    for (int64_t n = 0; n < 4; ++n) {
      double bias = f.bias.getAsDouble(f.bias.getNumElements() == 1 ? 0 : n);
      EXPECT_EQ(mean->getData<float>()[n],
                (float)(f.bn.mean.getAsDouble(n) - 2.0 * bias));
    }
    expectSameOutputs(*f.model, f.inputs, before, 1e-5);
  }
}

TEST(FoldBatchNormIntoBiasTest, SharedMeanIsCopied) {
  BnFixture f = makeConvBn({});
  Graph &g = f.model->getGraph();
  Value *mean = f.bnNode->getInput(3);
  Node *other = g.createNode("Neg", {mean}, "m");
  g.addOutput(other->getResult(0));
  QLC_ASSERT_OK_AND_ASSIGN(changed,
                           runPass(*f.model, "fold-bn", "mode=into-bias"));
  EXPECT_TRUE(changed);
  EXPECT_NE(f.bnNode->getInput(3), mean);
  EXPECT_TRUE(mean->getConstant()->isIdenticalTo(f.bn.mean));
}

TEST(FoldBatchNormIntoBiasTest, DeclinesNonConstantMeanOrBias) {
  BnFixture f = makeConvBn({});
  Graph &g = f.model->getGraph();
  f.linear->setInput(2,
                     g.addInput("b_in", TensorType(ElementType::Float, {6})));
  QLC_ASSERT_OK_AND_ASSIGN(changed,
                           runPass(*f.model, "fold-bn", "mode=into-bias"));
  EXPECT_FALSE(changed);

  BnFixture m = makeConvBn({});
  Graph &gm = m.model->getGraph();
  m.bnNode->setInput(
      3, gm.addInput("mean_in", TensorType(ElementType::Float, {6})));
  QLC_ASSERT_OK_AND_ASSIGN(meanChanged,
                           runPass(*m.model, "fold-bn", "mode=into-bias"));
  EXPECT_FALSE(meanChanged);
}

TEST(FoldBatchNormIntoBiasTest, RejectsUnknownMode) {
  auto model = makeModel();
  auto pass = test::createPass("fold-bn");
  ASSERT_TRUE(pass);
  EXPECT_EQ(errorMessage(pass->parseOptions("mode=into-nothing")),
            "option 'mode': invalid value 'into-nothing', expected one of "
            "'into-weights', 'into-bias'");
}
