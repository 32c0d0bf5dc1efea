//===- CalibrateTest.cpp - The calibrate pass -----------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Calibration on generated data with known statistics: the eps each method
// must produce, shared-eps groups, the sample limit, auto-unsigned, the
// weight-rounding switch, the report, and the errors for bad data.
//
//===----------------------------------------------------------------------===//

#include "PassTestUtils.h"

#include "qlc/IO/Npz.h"
#include "qlc/Quant/FakeQuantOp.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace qlc;
using namespace qlc::test;

namespace {

/// y = FakeQuant(Relu(x), eps_r); z = FakeQuant(x, eps_s) (signed); the
/// quantisers start at eps = 1.
std::unique_ptr<Model> makeModel(int64_t features) {
  auto model = test::makeModel(13);
  addQlcOpsetImport(*model);
  Graph &g = model->getGraph();
  Value *x =
      g.addInput("x", TensorType(ElementType::Float,
                                 {Dim::unknown(), Dim::known(features)}));
  Node *relu = g.createNode("Relu", {x}, "r");
  FakeQuantAttrs u, s;
  u.grid = QuantGrid::fromBits(8, false);
  s.grid = QuantGrid::fromBits(8, true);
  Node *fy = createFakeQuant(g, relu->getResult(0),
                             g.addInitializer("eps_r", Tensor::scalar(1.0f)), u,
                             "relu_aq", "y", nullptr);
  Node *fz =
      createFakeQuant(g, x, g.addInitializer("eps_s", Tensor::scalar(1.0f)), s,
                      "x_aq", "z", nullptr);
  g.addOutput(fy->getResult(0));
  g.addOutput(fz->getResult(0));
  return model;
}

class CalibrateTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("qlc-calib", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  /// Writes x = rows of [lo, hi] spaced evenly (row-major) as data.npz.
  std::string writeData(int64_t rows, int64_t features, float lo, float hi) {
    Tensor x(ElementType::Float, {rows, features});
    auto v = x.getMutableData<float>();
    for (int64_t i = 0; i < rows * features; ++i)
      v[i] = lo + (hi - lo) * i / float(rows * features - 1);
    llvm::SmallString<128> path(dir);
    llvm::sys::path::append(path, "data.npz");
    EXPECT_FALSE(bool(writeNpzFile(path, {{"x", x}})));
    return path.str().str();
  }

  static double epsOf(const Model &m, llvm::StringRef name) {
    return m.getGraph().lookupValue(name)->getConstant()->getAsDouble(0);
  }

  llvm::SmallString<128> dir;
};

TEST_F(CalibrateTest, MinMaxSetsEpsFromObservedRange) {
  auto model = makeModel(4);
  std::string data = writeData(100, 4, -2.0f, 5.1f);
  auto pass =
      createPass("calibrate", "data='" + data + "' batch=7 progress=none");
  ASSERT_TRUE(pass);
  auto changed = runPass(*pass, *model);
  ASSERT_TRUE(bool(changed)) << llvm::toString(changed.takeError());
  // Relu output in [0, 5.1] on uint8: 5.1 / 255; x in [-2, 5.1] on int8:
  // max(2/128, 5.1/127).
  EXPECT_NEAR(epsOf(*model, "eps_r"), 5.1 / 255, 1e-7);
  EXPECT_NEAR(epsOf(*model, "eps_s"), 5.1 / 127, 1e-7);
  EXPECT_EQ(getStatistic(*pass, "samples"), 100u);
  EXPECT_EQ(getStatistic(*pass, "calibrated"), 2u);
  EXPECT_EQ(getStatistic(*pass, "made-unsigned"), 0u);
}

TEST_F(CalibrateTest, SampleLimitAndAutoUnsigned) {
  auto model = makeModel(2);
  // Values grow with the row: the first 10 rows end at 0.19.
  std::string data = writeData(100, 2, 0.0f, 1.99f);
  auto pass =
      createPass("calibrate", "data='" + data + "' samples=10 progress=none");
  auto changed = runPass(*pass, *model);
  ASSERT_TRUE(bool(changed)) << llvm::toString(changed.takeError());
  EXPECT_EQ(getStatistic(*pass, "samples"), 10u);
  EXPECT_NEAR(epsOf(*model, "eps_r"), 0.19 / 255, 1e-7);
  // x never went negative: its signed quantiser became unsigned.
  EXPECT_EQ(getStatistic(*pass, "made-unsigned"), 1u);
  EXPECT_NEAR(epsOf(*model, "eps_s"), 0.19 / 255, 1e-7);
  for (Node &n : model->getGraph().getNodes())
    if (isFakeQuant(n)) {
      EXPECT_EQ(n.getAttrInt("zero", -1), 0) << n.getName().str();
    }
}

TEST_F(CalibrateTest, MethodsClipOutliers) {
  // 10000 values in [0, 1] plus one outlier of 100 in the Relu branch.
  auto model = makeModel(1);
  Tensor x(ElementType::Float, {10001, 1});
  auto v = x.getMutableData<float>();
  for (int i = 0; i < 10000; ++i)
    v[i] = i / 9999.0f;
  v[10000] = 100.0f;
  llvm::SmallString<128> path(dir);
  llvm::sys::path::append(path, "outlier.npz");
  ASSERT_FALSE(bool(writeNpzFile(path, {{"x", x}})));
  auto epsFor = [&](llvm::StringRef options) {
    auto m = makeModel(1);
    auto pass = createPass(
        "calibrate",
        ("data='" + path + "' samples=0 " + options + " progress=none").str());
    auto changed = runPass(*pass, *m);
    EXPECT_TRUE(bool(changed)) << llvm::toString(changed.takeError());
    return epsOf(*m, "eps_r");
  };
  double minmax = epsFor("method=minmax");
  EXPECT_NEAR(minmax, 100.0 / 255, 1e-6);
  for (const char *m :
       {"method=percentile percentile=99.9", "method=meanstd n-std=3"}) {
    double eps = epsFor(m);
    EXPECT_LT(eps, minmax / 5) << m; // the outlier is clipped
    EXPECT_GT(eps, 0.5 / 255) << m;  // the bulk is not
  }
  // One outlier of 100 costs less squared error kept than clipped (99^2
  // against 10000 * eps^2 / 3), so MSE keeps it; KL cannot resolve the bulk
  // in a histogram spanning [0, 128]. Both stay within the observed range.
  for (const char *m : {"method=mse", "method=kl"}) {
    double eps = epsFor(m);
    EXPECT_LE(eps, minmax * (1 + 1e-6)) << m;
    EXPECT_GT(eps, 0.5 / 255) << m;
  }
}

TEST_F(CalibrateTest, SharedEpsUsesTheUnionOfOperands) {
  auto model = test::makeModel(13);
  addQlcOpsetImport(*model);
  Graph &g = model->getGraph();
  Value *a = g.addInput(
      "a", TensorType(ElementType::Float, {Dim::unknown(), Dim::known(2)}));
  Node *neg = g.createNode("Neg", {a}, "n");
  Node *mul = g.createNode(
      "Mul", {a, g.addInitializer("three", Tensor::scalar(3.0f))}, "m");
  Value *eps = g.addInitializer("eps", Tensor::scalar(1.0f));
  FakeQuantAttrs s;
  s.grid = QuantGrid::fromBits(8, true);
  Node *q1 =
      createFakeQuant(g, neg->getResult(0), eps, s, "q1", "n_q", nullptr);
  Node *q2 =
      createFakeQuant(g, mul->getResult(0), eps, s, "q2", "m_q", nullptr);
  Node *add = g.createNode("Add", {q1->getResult(0), q2->getResult(0)}, "sum");
  g.addOutput(add->getResult(0));
  std::string data = writeData(50, 2, 0.0f, 1.0f);
  auto pass = createPass("calibrate", "data='" + data + "' progress=none");
  auto changed = runPass(*pass, *model);
  ASSERT_TRUE(bool(changed)) << llvm::toString(changed.takeError());
  // Union of [-1, 0] and [0, 3]: max(1/128, 3/127); shared, so no flip.
  EXPECT_NEAR(epsOf(*model, "eps"), 3.0 / 127, 1e-7);
  EXPECT_EQ(getStatistic(*pass, "calibrated"), 1u);
  llvm::json::Value report = pass->getReport();
  auto *obj = report.getAsObject();
  ASSERT_TRUE(obj);
  auto *acts = obj->getArray("activations");
  ASSERT_TRUE(acts && acts->size() == 1);
  auto *entry = (*acts)[0].getAsObject();
  EXPECT_EQ(entry->getArray("quantisers")->size(), 2u);
  EXPECT_NEAR(*entry->getNumber("clip_hi"), 3.0, 1e-6);
  EXPECT_NEAR(*entry->getNumber("saturation"), 0.0, 1e-9);
}

TEST_F(CalibrateTest, WeightRoundingSwitchesWeightQuantisers) {
  auto model = test::makeModel(13);
  addQlcOpsetImport(*model);
  Graph &g = model->getGraph();
  Value *x = g.addInput(
      "x", TensorType(ElementType::Float, {Dim::unknown(), Dim::known(2)}));
  FakeQuantAttrs s;
  s.grid = QuantGrid::fromBits(8, true);
  Node *wq = createFakeQuant(
      g, g.addInitializer("W", Tensor::fromValues<float>({2, 2}, {1, 2, 3, 4})),
      g.addInitializer("W_eps", Tensor::scalar(0.1f)), s, "wq", "W_q", nullptr);
  Node *mm = g.createNode("MatMul", {x, wq->getResult(0)}, "y");
  g.addOutput(mm->getResult(0));
  std::string data = writeData(4, 2, 0.0f, 1.0f);
  auto changed = runPass(*model, "calibrate",
                         "data='" + data + "' weight-rounding=half_even");
  ASSERT_TRUE(bool(changed)) << llvm::toString(changed.takeError());
  EXPECT_EQ(wq->getAttrString("rounding", ""), "half_even");
}

TEST_F(CalibrateTest, BadDataIsAClearError) {
  auto expectError = [&](Model &m, const std::string &options,
                         llvm::StringRef needle) {
    auto changed = runPass(m, "calibrate", options + " progress=none");
    ASSERT_FALSE(bool(changed)) << options;
    std::string msg = llvm::toString(changed.takeError());
    EXPECT_NE(msg.find(needle.str()), std::string::npos) << msg;
  };
  auto model = makeModel(3);
  llvm::SmallString<128> missing(dir);
  llvm::sys::path::append(missing, "missing.npz");
  expectError(*model, "data='" + missing.str().str() + "'", "missing.npz");
  // Samples of 4 features for an input of 3.
  std::string data = writeData(10, 4, 0, 1);
  expectError(*model, "data='" + data + "'", "do not fit input 'x'");
  expectError(*model, "data='" + data + "' method=percentile percentile=0",
              "percentile");
  expectError(*model, "data='" + data + "' batch=0", "batch must be positive");
  // Two inputs: which one would the data feed?
  auto two = makeModel(4);
  two->getGraph().addInput("extra", TensorType(ElementType::Float, {1}));
  expectError(*two, "data='" + data + "'", "one input");
}

} // namespace
