//===- FakeQuantTest.cpp - qlc.FakeQuant semantics ------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The quantiser arithmetic (QuantMath), the interpreter kernel, and the op's
// survival through ONNX export and import.
//
//===----------------------------------------------------------------------===//

#include "qlc/IR/Model.h"
#include "qlc/Interp/Interpreter.h"
#include "qlc/ONNX/Export.h"
#include "qlc/ONNX/Import.h"
#include "qlc/Quant/FakeQuantOp.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>

using namespace qlc;

namespace {

const QuantGrid kInt8 = QuantGrid::fromBits(8, true);
const QuantGrid kUInt8 = QuantGrid::fromBits(8, false);

TEST(QuantMathTest, GridsFromBits) {
  EXPECT_EQ(kInt8.getMin(), -128);
  EXPECT_EQ(kInt8.getMax(), 127);
  EXPECT_EQ(kUInt8.getMin(), 0);
  EXPECT_EQ(kUInt8.getMax(), 255);
  QuantGrid g2 = QuantGrid::fromBits(2, true);
  EXPECT_EQ(g2.getMin(), -2);
  EXPECT_EQ(g2.getMax(), 1);
  EXPECT_EQ(QuantGrid::fromBits(16, false).getMax(), 65535);
  EXPECT_EQ(kInt8.str(), "int8");
  EXPECT_EQ(QuantGrid::fromBits(4, false).str(), "uint4");
  QuantGrid odd;
  odd.zero = -3;
  odd.nLevels = 8;
  EXPECT_EQ(odd.str(), "[-3, 4]");
  EXPECT_EQ(odd.getBits(), 3u);
  EXPECT_TRUE(isValidGrid(-128, 256));
  EXPECT_FALSE(isValidGrid(1, 256));
  EXPECT_FALSE(isValidGrid(0, 1));
  EXPECT_FALSE(isValidGrid(-300, 256));
  EXPECT_FALSE(isValidGrid(0, 65537));
}

TEST(QuantMathTest, EpsFollowsQuantLibGetScale) {
  // Signed: max(|a| / 128, b / 127).
  EXPECT_DOUBLE_EQ(computeEps(-1.28, 0.5, kInt8), 0.01);
  EXPECT_DOUBLE_EQ(computeEps(-0.5, 2.54, kInt8), 0.02);
  // Non-negative data on a signed grid: b / 127; on an unsigned one b / 255.
  EXPECT_DOUBLE_EQ(computeEps(0.5, 1.27, kInt8), 0.01);
  EXPECT_DOUBLE_EQ(computeEps(0, 2.55, kUInt8), 0.01);
  // All negative on a signed grid: a / -128.
  EXPECT_DOUBLE_EQ(computeEps(-2.56, -1, kInt8), 0.02);
  // Negative data on an unsigned grid: max(|a|, |b|) / 255.
  EXPECT_DOUBLE_EQ(computeEps(-5.1, 2, kUInt8), 0.02);
  // Degenerate and non-finite ranges fall back to 1.
  EXPECT_EQ(computeEps(0, 0, kInt8), 1.0);
  EXPECT_EQ(computeEps(0, std::numeric_limits<double>::infinity(), kUInt8),
            1.0);
  // The grid covers the data range.
  double eps = computeEps(-0.3, 0.9, kInt8);
  EXPECT_LE(kInt8.getMin() * eps, -0.3);
  EXPECT_GE(kInt8.getMax() * eps, 0.9 - 1e-12);
}

TEST(QuantMathTest, FloorRuleWithQuarterQuantumSaturation) {
  float eps = 0.5f;
  // floor: 0.74 -> 1 * 0.5; -0.26 -> floor(-0.52) = -1 -> -0.5.
  EXPECT_EQ(fakeQuantize(0.74f, eps, kInt8), 0.5f);
  EXPECT_EQ(fakeQuantize(-0.26f, eps, kInt8), -0.5f);
  EXPECT_EQ(fakeQuantize(0.0f, eps, kInt8), 0.0f);
  // Top level 127 * 0.5 = 63.5 is reached and never exceeded.
  EXPECT_EQ(fakeQuantize(63.5f, eps, kInt8), 63.5f);
  EXPECT_EQ(fakeQuantize(63.9f, eps, kInt8), 63.5f);
  EXPECT_EQ(fakeQuantize(1e30f, eps, kInt8), 63.5f);
  EXPECT_EQ(fakeQuantize(-64.0f, eps, kInt8), -64.0f);
  EXPECT_EQ(fakeQuantize(-1e30f, eps, kInt8), -64.0f);
  // Unsigned: negatives clamp to 0.
  EXPECT_EQ(fakeQuantize(-3.0f, eps, kUInt8), 0.0f);
  EXPECT_EQ(quantizeLevel(127.7f, eps, kUInt8), 255);
}

TEST(QuantMathTest, HalfEvenRuleMatchesOnnx) {
  QuantGrid g = kInt8;
  g.rounding = Rounding::HalfEven;
  EXPECT_EQ(quantizeLevel(0.5f, 1.0f, g), 0);
  EXPECT_EQ(quantizeLevel(1.5f, 1.0f, g), 2);
  EXPECT_EQ(quantizeLevel(2.5f, 1.0f, g), 2);
  EXPECT_EQ(quantizeLevel(-2.5f, 1.0f, g), -2);
  EXPECT_EQ(quantizeLevel(-0.51f, 1.0f, g), -1);
  EXPECT_EQ(quantizeLevel(300.0f, 1.0f, g), 127);
  EXPECT_EQ(quantizeLevel(-300.0f, 1.0f, g), -128);
  // floor would give 0 here.
  EXPECT_EQ(quantizeLevel(0.9f, 1.0f, g), 1);
}

TEST(QuantMathTest, NanPropagatesAndInfSaturates) {
  float nan = std::numeric_limits<float>::quiet_NaN();
  float inf = std::numeric_limits<float>::infinity();
  EXPECT_TRUE(std::isnan(fakeQuantize(nan, 0.1f, kInt8)));
  EXPECT_EQ(fakeQuantize(inf, 1.0f, kInt8), 127.0f);
  EXPECT_EQ(fakeQuantize(-inf, 1.0f, kInt8), -128.0f);
  QuantGrid g = kInt8;
  g.rounding = Rounding::HalfEven;
  EXPECT_EQ(fakeQuantize(inf, 1.0f, g), 127.0f);
  // A tiny eps overflows x / eps to inf: still saturates, no UB.
  EXPECT_EQ(quantizeLevel(1.0f, 1e-45f, g), 127);
}

TEST(QuantMathTest, ResultIsLevelTimesEps) {
  // y / eps is exactly the integer level for every representable input.
  float eps = 0.0123f;
  for (int i = -2000; i <= 2000; ++i) {
    float x = i * 0.00137f;
    float y = fakeQuantize(x, eps, kInt8);
    EXPECT_EQ(y, static_cast<float>(quantizeLevel(x, eps, kInt8)) * eps);
    if (x >= -128 * eps && x <= 127 * eps) // in range: within one quantum
      EXPECT_LE(std::fabs(y - x), eps + 1e-6f) << x;
    else // saturated onto the nearest bound
      EXPECT_EQ(y, x < 0 ? -128 * eps : 127 * eps) << x;
  }
}

/// A model computing FakeQuant(x, eps) with the given attributes.
std::unique_ptr<Model> makeFakeQuantModel(llvm::ArrayRef<int64_t> shape,
                                          Tensor eps,
                                          const FakeQuantAttrs &attrs) {
  auto model = std::make_unique<Model>();
  model->setOpsetVersion("", 13);
  addQlcOpsetImport(*model);
  Graph &g = model->getGraph();
  g.name = "fq";
  Value *x = g.addInput("x", TensorType(ElementType::Float, shape));
  Value *e = g.addInitializer("eps", std::move(eps));
  Node *fq = createFakeQuant(g, x, e, attrs, "fq", "y", nullptr);
  g.addOutput(fq->getResult(0));
  return model;
}

Tensor run(const Model &model, Tensor x, unsigned threads = 1) {
  InterpreterOptions options;
  options.threads = threads;
  Interpreter interp(model, options);
  auto out = interp.run({{"x", std::move(x)}});
  if (!out) {
    ADD_FAILURE() << llvm::toString(out.takeError());
    return Tensor();
  }
  return (*out)["y"];
}

TEST(FakeQuantKernelTest, PerChannelAlongAxis) {
  FakeQuantAttrs attrs;
  attrs.grid = kInt8;
  attrs.axis = 1;
  auto model = makeFakeQuantModel(
      {2, 3}, Tensor::fromValues<float>({3}, {0.5f, 0.25f, 2.0f}), attrs);
  Tensor y = run(*model, Tensor::fromValues<float>(
                             {2, 3}, {0.74f, 0.74f, 0.74f, -3, -3, 1000}));
  std::vector<float> expected = {0.5f, 0.5f, 0.0f, -3.0f, -3.0f, 254.0f};
  ASSERT_EQ(y.getNumElements(), 6);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(y.getData<float>()[i], expected[i]) << i;
}

TEST(FakeQuantKernelTest, ThreadedEqualsSequentialReference) {
  FakeQuantAttrs attrs;
  attrs.grid = QuantGrid::fromBits(4, false);
  attrs.axis = 0;
  Tensor eps = Tensor::fromValues<float>({3}, {0.1f, 0.07f, 0.3f});
  std::vector<float> xs(3 * 50000);
  for (size_t i = 0; i < xs.size(); ++i)
    xs[i] = std::sin(0.001f * i) * 2;
  Tensor x = Tensor::fromValues<float>({3, 50000}, xs);
  auto model = makeFakeQuantModel({3, 50000}, eps, attrs);
  Tensor y = run(*model, x, 4);
  auto ref = applyFakeQuant(x, eps, attrs);
  ASSERT_TRUE(bool(ref)) << llvm::toString(ref.takeError());
  EXPECT_EQ(0, std::memcmp(y.getRawData(), ref->getRawData(), y.getByteSize()));
}

TEST(FakeQuantKernelTest, BadEpsAndAttributesAreErrors) {
  FakeQuantAttrs attrs;
  attrs.grid = kInt8;
  auto check = [&](Tensor eps, llvm::StringRef needle) {
    auto model = makeFakeQuantModel({2, 2}, std::move(eps), attrs);
    Interpreter interp(*model);
    auto out = interp.run({{"x", Tensor(ElementType::Float, {2, 2})}});
    ASSERT_FALSE(bool(out));
    std::string msg = llvm::toString(out.takeError());
    EXPECT_NE(msg.find("'fq' (qlc.FakeQuant)"), std::string::npos) << msg;
    EXPECT_NE(msg.find(needle.str()), std::string::npos) << msg;
  };
  check(Tensor::fromValues<float>({}, {0.0f}), "positive");
  check(Tensor::fromValues<float>({}, {-1.0f}), "positive");
  check(Tensor::fromValues<float>({3}, {1, 1, 1}), "must be a scalar or 1-D");
  auto model = makeFakeQuantModel({2}, Tensor::scalar<float>(1), attrs);
  Node &fq = model->getGraph().getNodes().front();
  fq.setAttr("n_levels", Attribute::getInt(1));
  Interpreter interp(*model);
  auto out = interp.run({{"x", Tensor(ElementType::Float, {2})}});
  ASSERT_FALSE(bool(out));
  EXPECT_NE(llvm::toString(out.takeError()).find("invalid grid"),
            std::string::npos);
  fq.setAttr("n_levels", Attribute::getInt(256));
  fq.setAttr("rounding", Attribute::getString("up"));
  Interpreter interp2(*model);
  auto out2 = interp2.run({{"x", Tensor(ElementType::Float, {2})}});
  ASSERT_FALSE(bool(out2));
  EXPECT_NE(llvm::toString(out2.takeError()).find("unknown rounding 'up'"),
            std::string::npos);
}

TEST(FakeQuantOnnxTest, SurvivesExportAndImport) {
  FakeQuantAttrs attrs;
  attrs.grid = QuantGrid::fromBits(5, true, Rounding::HalfEven);
  attrs.axis = 0;
  auto model = makeFakeQuantModel(
      {2, 2}, Tensor::fromValues<float>({2}, {0.1f, 0.2f}), attrs);
  auto bytes = exportModelBinary(*model, /*runChecker=*/true);
  ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
  auto back = importModelBinary(*bytes);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  const Node &fq = (*back)->getGraph().getNodes().front();
  ASSERT_TRUE(isFakeQuant(fq));
  auto read = readFakeQuantAttrs(fq);
  ASSERT_TRUE(bool(read));
  EXPECT_EQ(read->grid.zero, -16);
  EXPECT_EQ(read->grid.nLevels, 32);
  EXPECT_EQ(read->grid.rounding, Rounding::HalfEven);
  EXPECT_EQ(read->axis, 0);
  EXPECT_EQ((*back)->getOpsetVersion("qlc"), 1);
  Tensor x = Tensor::fromValues<float>({2, 2}, {0.26f, -9, 0.5f, 0.31f});
  Tensor a = run(*model, x), b = run(**back, x);
  EXPECT_EQ(0, std::memcmp(a.getRawData(), b.getRawData(), a.getByteSize()));
}

TEST(FakeQuantOnnxTest, CheckerRejectsMissingAttributes) {
  FakeQuantAttrs attrs;
  auto model = makeFakeQuantModel({2}, Tensor::scalar<float>(1), attrs);
  model->getGraph().getNodes().front().removeAttr("zero");
  auto bytes = exportModelBinary(*model, /*runChecker=*/true);
  ASSERT_FALSE(bool(bytes));
  EXPECT_NE(llvm::toString(bytes.takeError()).find("zero"), std::string::npos);
}

} // namespace
