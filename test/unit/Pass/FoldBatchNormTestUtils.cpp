//===- FoldBatchNormTestUtils.cpp - Conv/Gemm + BN models for tests -------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "FoldBatchNormTestUtils.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace qlc;

test::BnParams test::randomBn(int64_t channels, uint32_t seed) {
  BnParams p;
  p.scale = randomFloats({channels}, seed, 0.5f, 2.0f);
  p.bias = randomFloats({channels}, seed + 1);
  p.mean = randomFloats({channels}, seed + 2);
  p.var = randomFloats({channels}, seed + 3, 0.1f, 2.0f);
  return p;
}

Node *test::addBn(Graph &g, Value *x, const BnParams &p, llvm::StringRef out,
                  float epsilon, unsigned numResults) {
  std::string base = out.str();
  Value *params[] = {
      g.addInitializer(g.makeUniqueName(base + "_scale"), p.scale),
      g.addInitializer(g.makeUniqueName(base + "_bias"), p.bias),
      g.addInitializer(g.makeUniqueName(base + "_mean"), p.mean),
      g.addInitializer(g.makeUniqueName(base + "_var"), p.var)};
  std::vector<std::string> names{base};
  for (unsigned i = 1; i < numResults; ++i)
    names.push_back(base + "_stat" + std::to_string(i));
  Node *bn =
      g.createNode("BatchNormalization",
                   {x, params[0], params[1], params[2], params[3]}, names);
  bn->setName(base == "y" ? std::string("bn") : "bn_" + base);
  bn->setAttr("epsilon", Attribute::getFloat(epsilon));
  return bn;
}

test::BnFixture test::makeConvBn(const ConvSpec &spec) {
  BnFixture f;
  f.model = makeModel(spec.opset);
  Graph &g = f.model->getGraph();
  const int64_t h = 5, k = 3;
  Value *x =
      g.addInput("x", TensorType(ElementType::Float, {1, spec.cin, h, h}));
  Tensor w = randomFloats({spec.m, spec.cin / spec.group, k, k}, 11);
  f.weight = w.castTo(spec.weightType);
  llvm::SmallVector<Value *, 3> operands{x, g.addInitializer("W", f.weight)};
  if (spec.bias) {
    f.bias = randomFloats({spec.m}, 12).castTo(spec.weightType);
    operands.push_back(g.addInitializer("B", f.bias));
  }
  f.linear = g.createNode("Conv", operands, "c");
  f.linear->setName("conv");
  f.linear->setAttr("group", Attribute::getInt(spec.group));
  f.linear->setAttr("pads", Attribute::getInts({1, 1, 1, 1}));
  f.bn = randomBn(spec.m, 20);
  f.bnNode = addBn(g, f.linear->getResult(0), f.bn, "y", spec.epsilon,
                   spec.statisticsOutputs ? 5 : 1);
  g.addOutput(f.bnNode->getResult(0));
  f.inputs["x"] = randomFloats({1, spec.cin, h, h}, 13);
  return f;
}

test::BnFixture test::makeGemmBn(bool transB, float alpha, float beta,
                                 CShape c) {
  BnFixture f;
  f.model = makeModel(17);
  Graph &g = f.model->getGraph();
  const int64_t m = 3, kDim = 5, n = 4;
  Value *x = g.addInput("x", TensorType(ElementType::Float, {m, kDim}));
  f.weight = transB ? randomFloats({n, kDim}, 31) : randomFloats({kDim, n}, 31);
  llvm::SmallVector<Value *, 3> operands{x, g.addInitializer("W", f.weight)};
  switch (c) {
  case CShape::None:
    break;
  case CShape::Scalar:
    f.bias = Tensor::scalar<float>(0.75f);
    break;
  case CShape::Vector:
    f.bias = randomFloats({n}, 32);
    break;
  case CShape::Row:
    f.bias = randomFloats({1, n}, 32);
    break;
  case CShape::Matrix:
    f.bias = randomFloats({m, n}, 32);
    break;
  }
  if (c != CShape::None)
    operands.push_back(g.addInitializer("C", f.bias));
  f.linear = g.createNode("Gemm", operands, "c");
  f.linear->setName("gemm");
  if (transB)
    f.linear->setAttr("transB", Attribute::getInt(1));
  if (alpha != 1.0f)
    f.linear->setAttr("alpha", Attribute::getFloat(alpha));
  if (beta != 1.0f)
    f.linear->setAttr("beta", Attribute::getFloat(beta));
  f.bn = randomBn(n, 40);
  f.bnNode = addBn(g, f.linear->getResult(0), f.bn, "y", 1e-5f);
  g.addOutput(f.bnNode->getResult(0));
  f.inputs["x"] = randomFloats({m, kDim}, 33);
  return f;
}

const Tensor *test::getConstantInput(const Node &node, unsigned i) {
  Value *v = node.getOptionalInput(i);
  return v ? v->getConstant() : nullptr;
}

void test::expectSameOutputs(const Model &model, const TensorMap &inputs,
                             const TensorMap &expected, double tolerance) {
  auto actual = execute(model, inputs);
  ASSERT_TRUE(static_cast<bool>(actual)) << llvm::toString(actual.takeError());
  ASSERT_EQ(actual->size(), expected.size());
  for (const auto &entry : expected) {
    auto it = actual->find(entry.first);
    ASSERT_NE(it, actual->end()) << "missing output " << entry.first;
    double scale = 1.0;
    for (double v : entry.second.toDoubles())
      scale = std::max(scale, std::fabs(v));
    EXPECT_LE(maxAbsDiff(it->second, entry.second), tolerance * scale)
        << "output " << entry.first;
  }
}
