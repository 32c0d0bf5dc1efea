//===- FoldBatchNormTest.cpp - Tests of fold-bn (into-weights) ------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Folded weights are checked element by element against an independent
// long-double computation rounded once to float, and the folded model is
// run against the original in the interpreter.
//
//===----------------------------------------------------------------------===//

#include "FoldBatchNormTestUtils.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace qlc;
using namespace qlc::test;

namespace {
/// The exact per-channel factor gamma / sqrt(var + epsilon).
std::vector<long double> exactScales(const BnParams &p, float epsilon) {
  std::vector<long double> s;
  for (int64_t c = 0; c < p.scale.getNumElements(); ++c)
    s.push_back(
        (long double)p.scale.getAsDouble(c) /
        std::sqrt((long double)p.var.getAsDouble(c) + (long double)epsilon));
  return s;
}

/// Checks W' and b' of a folded Conv against the exact values.
void expectConvFoldedExactly(const BnFixture &f, float epsilon) {
  std::vector<long double> s = exactScales(f.bn, epsilon);
  const Tensor *w = f.linear->getInput(1)->getConstant();
  const Tensor *b = getConstantInput(*f.linear, 2);
  ASSERT_TRUE(w && b);
  int64_t m = f.weight.getDim(0), inner = f.weight.getNumElements() / m;
  for (int64_t i = 0; i < f.weight.getNumElements(); ++i) {
    float expected =
        (float)((long double)f.weight.getAsDouble(i) * s[i / inner]);
    ASSERT_EQ(w->getData<float>()[i], expected) << "weight " << i;
  }
  for (int64_t c = 0; c < m; ++c) {
    long double bias = f.bias.isNull() ? 0 : f.bias.getAsDouble(c);
    float expected = (float)((bias - f.bn.mean.getAsDouble(c)) * s[c] +
                             f.bn.bias.getAsDouble(c));
    ASSERT_EQ(b->getData<float>()[c], expected) << "bias " << c;
  }
}

/// Checks B' and C' of a folded Gemm (alpha and beta folded in).
void expectGemmFoldedExactly(const BnFixture &f, bool transB, float alpha,
                             float beta) {
  std::vector<long double> s = exactScales(f.bn, 1e-5f);
  const Tensor *w = f.linear->getInput(1)->getConstant();
  const Tensor *c = getConstantInput(*f.linear, 2);
  ASSERT_TRUE(w && c);
  int64_t n = static_cast<int64_t>(s.size());
  for (int64_t i = 0; i < f.weight.getNumElements(); ++i) {
    int64_t ch = transB ? i / f.weight.getDim(1) : i % n;
    float expected =
        (float)((long double)alpha * f.weight.getAsDouble(i) * s[ch]);
    ASSERT_EQ(w->getData<float>()[i], expected) << "weight " << i;
  }
  ASSERT_EQ(c->getNumElements(), n);
  for (int64_t ch = 0; ch < n; ++ch) {
    long double bias = 0;
    if (!f.bias.isNull())
      bias = (long double)beta *
             f.bias.getAsDouble(f.bias.getNumElements() == 1 ? 0 : ch);
    float expected = (float)((bias - f.bn.mean.getAsDouble(ch)) * s[ch] +
                             f.bn.bias.getAsDouble(ch));
    ASSERT_EQ(c->getData<float>()[ch], expected) << "bias " << ch;
  }
  EXPECT_FALSE(f.linear->hasAttr("alpha"));
  EXPECT_FALSE(f.linear->hasAttr("beta"));
}

/// The BN is gone and the linear op's result took over its name.
void expectBnRemoved(const BnFixture &f) {
  EXPECT_EQ(countNodes(*f.model, "BatchNormalization"), 0u);
  Graph &g = f.model->getGraph();
  ASSERT_EQ(g.getOutputs().size(), 1u);
  EXPECT_EQ(g.getOutputs()[0]->getName(), "y");
  EXPECT_EQ(g.getOutputs()[0], f.linear->getResult(0));
}
} // namespace

TEST(FoldBatchNormTest, FoldsIntoConvWithBias) {
  BnFixture f = makeConvBn({});
  QLC_ASSERT_OK_AND_ASSIGN(before, execute(*f.model, f.inputs));
  auto pass = createPass("fold-bn");
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*pass, *f.model));
  EXPECT_TRUE(changed);
  expectBnRemoved(f);
  expectConvFoldedExactly(f, 1e-5f);
  EXPECT_EQ(getStatistic(*pass, "conv-folded"), 1u);
  // In place: the weight keeps its name.
  EXPECT_EQ(f.linear->getInput(1)->getName(), "W");
  expectSameOutputs(*f.model, f.inputs, before, 1e-5);
}

TEST(FoldBatchNormTest, FoldsIntoConvWithoutBias) {
  ConvSpec spec;
  spec.bias = false;
  BnFixture f = makeConvBn(spec);
  QLC_ASSERT_OK_AND_ASSIGN(before, execute(*f.model, f.inputs));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*f.model, "fold-bn"));
  EXPECT_TRUE(changed);
  ASSERT_EQ(f.linear->getNumInputs(), 3u);
  expectBnRemoved(f);
  expectConvFoldedExactly(f, 1e-5f);
  expectSameOutputs(*f.model, f.inputs, before, 1e-5);
}

TEST(FoldBatchNormTest, FoldsIntoGroupedAndDepthwiseConv) {
  for (int64_t group : {2, 4}) {
    ConvSpec spec;
    spec.cin = 4;
    spec.m = group == 4 ? 8 : 6; // depthwise with channel multiplier 2
    spec.group = group;
    BnFixture f = makeConvBn(spec);
    QLC_ASSERT_OK_AND_ASSIGN(before, execute(*f.model, f.inputs));
    QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*f.model, "fold-bn"));
    EXPECT_TRUE(changed) << "group " << group;
    expectBnRemoved(f);
    expectConvFoldedExactly(f, 1e-5f);
    expectSameOutputs(*f.model, f.inputs, before, 1e-5);
  }
}

TEST(FoldBatchNormTest, UsesTheEpsilonAttribute) {
  ConvSpec spec;
  spec.epsilon = 0.25f; // large, so that ignoring it could not pass
  BnFixture f = makeConvBn(spec);
  QLC_ASSERT_OK_AND_ASSIGN(before, execute(*f.model, f.inputs));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*f.model, "fold-bn"));
  EXPECT_TRUE(changed);
  expectConvFoldedExactly(f, 0.25f);
  expectSameOutputs(*f.model, f.inputs, before, 1e-5);
}

TEST(FoldBatchNormTest, FoldsIntoGemm) {
  struct Case {
    bool transB;
    float alpha, beta;
    CShape c;
  };
  const Case cases[] = {
      {false, 1.0f, 1.0f, CShape::Vector}, {true, 1.0f, 1.0f, CShape::Vector},
      {true, 0.5f, 2.0f, CShape::Row},     {false, 2.0f, 0.25f, CShape::Scalar},
      {true, 1.5f, 3.0f, CShape::None},
  };
  for (const Case &k : cases) {
    BnFixture f = makeGemmBn(k.transB, k.alpha, k.beta, k.c);
    QLC_ASSERT_OK_AND_ASSIGN(before, execute(*f.model, f.inputs));
    auto pass = createPass("fold-bn");
    QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*pass, *f.model));
    ASSERT_TRUE(changed) << "transB " << k.transB << " c " << int(k.c);
    expectBnRemoved(f);
    expectGemmFoldedExactly(f, k.transB, k.alpha, k.beta);
    EXPECT_EQ(getStatistic(*pass, "gemm-folded"), 1u);
    expectSameOutputs(*f.model, f.inputs, before, 1e-5);
  }
}

TEST(FoldBatchNormTest, DeclinesGemmWithPerRowBias) {
  BnFixture f = makeGemmBn(false, 1.0f, 1.0f, CShape::Matrix);
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*f.model, "fold-bn"));
  EXPECT_FALSE(changed);
  EXPECT_EQ(countNodes(*f.model, "BatchNormalization"), 1u);
}

TEST(FoldBatchNormTest, InternalBnOutputKeepsItsName) {
  BnFixture f = makeConvBn({});
  Graph &g = f.model->getGraph();
  Value *y = f.bnNode->getResult(0);
  Node *relu = g.createNode("Relu", {y}, "z");
  g.setOutput(0, relu->getResult(0));
  QLC_ASSERT_OK_AND_ASSIGN(before, execute(*f.model, f.inputs));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*f.model, "fold-bn"));
  EXPECT_TRUE(changed);
  EXPECT_EQ(relu->getInput(0), f.linear->getResult(0));
  EXPECT_EQ(f.linear->getResult(0)->getName(), "y");
  expectSameOutputs(*f.model, f.inputs, before, 1e-5);
}

TEST(FoldBatchNormTest, SharedWeightsAreCopiedNotOverwritten) {
  // Two Conv+BN branches read the same W and B.
  BnFixture f = makeConvBn({});
  Graph &g = f.model->getGraph();
  Node *conv2 = g.createNode("Conv", f.linear->getInputs(), "c2");
  for (const NamedAttribute &a : f.linear->getAttrs())
    conv2->setAttr(a.name, a.value);
  BnParams p2 = randomBn(f.weight.getDim(0), 77);
  Node *bn2 = addBn(g, conv2->getResult(0), p2, "y2", 1e-5f);
  g.addOutput(bn2->getResult(0));
  QLC_ASSERT_OK_AND_ASSIGN(before, execute(*f.model, f.inputs));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*f.model, "fold-bn"));
  EXPECT_TRUE(changed);
  EXPECT_EQ(countNodes(*f.model, "BatchNormalization"), 0u);
  EXPECT_NE(f.linear->getInput(1), conv2->getInput(1));
  expectConvFoldedExactly(f, 1e-5f);
  expectSameOutputs(*f.model, f.inputs, before, 1e-5);
}

TEST(FoldBatchNormTest, FoldsFloat16AndDoubleWeights) {
  for (ElementType type : {ElementType::Float16, ElementType::Double}) {
    ConvSpec spec;
    spec.weightType = type;
    BnFixture f = makeConvBn(spec);
    QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*f.model, "fold-bn"));
    ASSERT_TRUE(changed);
    const Tensor *w = f.linear->getInput(1)->getConstant();
    const Tensor *b = getConstantInput(*f.linear, 2);
    EXPECT_EQ(w->getElementType(), type);
    EXPECT_EQ(b->getElementType(), type);
    std::vector<long double> s = exactScales(f.bn, 1e-5f);
    int64_t inner = f.weight.getNumElements() / f.weight.getDim(0);
    for (int64_t i = 0; i < w->getNumElements(); ++i) {
      long double exact = (long double)f.weight.getAsDouble(i) * s[i / inner];
      // float16: within one unit in the last place (rounded via float);
      // double: within a few double ulps.
      double tol = type == ElementType::Float16
                       ? std::ldexp(std::fabs((double)exact), -10)
                       : std::fabs((double)exact) * 1e-15;
      ASSERT_NEAR(w->getAsDouble(i), (double)exact, tol) << i;
    }
  }
}

TEST(FoldBatchNormTest, DeclinesWhenTheConvResultHasOtherReaders) {
  for (bool alsoOutput : {false, true}) {
    BnFixture f = makeConvBn({});
    Graph &g = f.model->getGraph();
    if (alsoOutput) {
      g.addOutput(f.linear->getResult(0));
    } else {
      Node *relu = g.createNode("Relu", {f.linear->getResult(0)}, "r");
      g.addOutput(relu->getResult(0));
    }
    QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*f.model, "fold-bn"));
    EXPECT_FALSE(changed);
    EXPECT_EQ(countNodes(*f.model, "BatchNormalization"), 1u);
  }
}

TEST(FoldBatchNormTest, DeclinesTrainingModeAndLiveStatistics) {
  BnFixture training = makeConvBn({});
  training.bnNode->setAttr("training_mode", Attribute::getInt(1));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*training.model, "fold-bn"));
  EXPECT_FALSE(changed);

  // Opset 9: five outputs; the running mean is read.
  ConvSpec spec;
  spec.opset = 9;
  spec.statisticsOutputs = true;
  BnFixture stats = makeConvBn(spec);
  stats.model->getGraph().addOutput(stats.bnNode->getResult(1));
  QLC_ASSERT_OK_AND_ASSIGN(statsChanged, runPass(*stats.model, "fold-bn"));
  EXPECT_FALSE(statsChanged);

  // The same without readers of the statistics folds.
  BnFixture unused = makeConvBn(spec);
  QLC_ASSERT_OK_AND_ASSIGN(unusedChanged, runPass(*unused.model, "fold-bn"));
  EXPECT_TRUE(unusedChanged);

  ConvSpec old;
  old.opset = 7;
  BnFixture perElement = makeConvBn(old);
  perElement.bnNode->setAttr("spatial", Attribute::getInt(0));
  QLC_ASSERT_OK_AND_ASSIGN(spatialChanged,
                           runPass(*perElement.model, "fold-bn"));
  EXPECT_FALSE(spatialChanged);
}

TEST(FoldBatchNormTest, DeclinesNonConstantOperands) {
  BnFixture scale = makeConvBn({});
  Graph &g = scale.model->getGraph();
  Value *gamma = g.addInput(
      "gamma", TensorType(ElementType::Float, {scale.weight.getDim(0)}));
  scale.bnNode->setInput(1, gamma);
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*scale.model, "fold-bn"));
  EXPECT_FALSE(changed);

  BnFixture weight = makeConvBn({});
  Graph &g2 = weight.model->getGraph();
  Value *w = g2.addInput("w_in", weight.linear->getInput(1)->getType());
  weight.linear->setInput(1, w);
  QLC_ASSERT_OK_AND_ASSIGN(weightChanged, runPass(*weight.model, "fold-bn"));
  EXPECT_FALSE(weightChanged);
}

TEST(FoldBatchNormTest, DeclinesNonPositiveVariance) {
  BnFixture f = makeConvBn({});
  Tensor var = f.bn.var.clone();
  var.setFromDouble(0, -1.0);
  f.bnNode->getInput(4)->setConstant(var);
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*f.model, "fold-bn"));
  EXPECT_FALSE(changed);
}

TEST(FoldBatchNormTest, MalformedParametersAreErrors) {
  BnFixture size = makeConvBn({});
  size.bnNode->getInput(1)->setConstant(randomFloats({7}, 9));
  auto changed = runPass(*size.model, "fold-bn");
  ASSERT_FALSE(changed);
  EXPECT_EQ(errorMessage(changed.takeError()),
            "'bn' (BatchNormalization): scale has 7 elements but the input "
            "has 6 channels");

  BnFixture rank = makeConvBn({});
  rank.bnNode->getInput(4)->setConstant(randomFloats({1, 6}, 9, 0.5f, 1.0f));
  auto rankChanged = runPass(*rank.model, "fold-bn");
  ASSERT_FALSE(rankChanged);
  EXPECT_EQ(errorMessage(rankChanged.takeError()),
            "'bn' (BatchNormalization): input_var must have rank 1, got "
            "float[1,6]");

  BnFixture type = makeConvBn({});
  type.bnNode->getInput(3)->setConstant(Tensor(ElementType::Int32, {6}));
  auto typeChanged = runPass(*type.model, "fold-bn");
  ASSERT_FALSE(typeChanged);
  EXPECT_EQ(errorMessage(typeChanged.takeError()),
            "'bn' (BatchNormalization): input_mean must be a float tensor, "
            "got int32");
}
