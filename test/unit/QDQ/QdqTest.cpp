//===- QdqTest.cpp - export-qdq and import-qdq on adversarial inputs ------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The exactness claims of docs/qdq.md, checked element by element in the
// interpreter on inputs chosen to break them: every level k * eps of the
// grid and beyond it, every tie (k + 1/2) * eps, the floats next to both,
// zeros, infinities, float's extremes, subnormals, and random values, for
// many grids and quanta, per tensor and per channel:
//   - half_even quantisers and weights: QDQ == FakeQuant (as values);
//   - floor quantisers, plain export: the QDQ level is the FakeQuant level
//     or one above, and one above exactly where round-half-even and floor
//     disagree;
//   - floor quantisers with floor-compensation: QDQ == FakeQuant;
//   - export then import: FakeQuant again, same grid, same values;
//   - NaN: FakeQuant propagates it, QDQ gives the zero level 0.
//
//===----------------------------------------------------------------------===//

#include "PassTestUtils.h"

#include "backends/QdqSupport.h"

#include "qlc/Quant/FakeQuantOp.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <random>

using namespace qlc;
using namespace qlc::test;

namespace {

struct Case {
  QuantGrid grid;
  std::vector<float> eps; // one entry: per tensor
};

/// x (float[channels, n] when per channel along axis 0, else float[n]) ->
/// FakeQuant -> y.
std::unique_ptr<Model> buildModel(const Case &c, int64_t n) {
  auto model = makeModel(13);
  addQlcOpsetImport(*model);
  Graph &g = model->getGraph();
  int64_t channels = static_cast<int64_t>(c.eps.size());
  bool perChannel = channels > 1;
  Shape shape = perChannel ? Shape{channels, n} : Shape{n};
  Value *x = g.addInput("x", TensorType(ElementType::Float, shape));
  Tensor epsT = perChannel ? Tensor::fromValues<float>({channels}, c.eps)
                           : Tensor::scalar<float>(c.eps.front());
  Value *eps = g.addInitializer("eps", std::move(epsT));
  FakeQuantAttrs attrs;
  attrs.grid = c.grid;
  attrs.axis = 0;
  Node *fq = createFakeQuant(g, x, eps, attrs, "fq", "y", nullptr);
  g.addOutput(fq->getResult(0));
  return model;
}

/// Inputs that probe every boundary of channel `eps`'s grid.
std::vector<float> probeValues(const QuantGrid &grid, float eps, int64_t n,
                               uint32_t seed) {
  std::vector<float> v;
  const float inf = std::numeric_limits<float>::infinity();
  for (int64_t k = grid.getMin() - 3; k <= grid.getMax() + 3; ++k) {
    for (float f : {float(k) * eps, (float(k) + 0.5f) * eps}) {
      v.push_back(f);
      v.push_back(std::nextafter(f, inf));
      v.push_back(std::nextafter(f, -inf));
    }
  }
  for (float f : {0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::max(),
                  std::numeric_limits<float>::lowest(),
                  std::numeric_limits<float>::denorm_min(),
                  -std::numeric_limits<float>::denorm_min(), 1e30f, -1e30f,
                  eps * 0.25f, -eps * 0.25f})
    v.push_back(f);
  std::mt19937 rng(seed);
  float span = float(grid.nLevels) * eps * 2;
  std::uniform_real_distribution<float> dist(-span, span);
  while (int64_t(v.size()) < n)
    v.push_back(dist(rng));
  v.resize(n);
  return v;
}

/// Enough elements for every probe of the largest grid used here.
int64_t probeCount(const Case &c) { return 6 * (c.grid.nLevels + 7) + 400; }

Tensor makeInput(const Case &c, int64_t n) {
  std::vector<float> all;
  for (size_t ch = 0; ch < c.eps.size(); ++ch) {
    std::vector<float> v = probeValues(c.grid, c.eps[ch], n, 7 + ch);
    all.insert(all.end(), v.begin(), v.end());
  }
  int64_t channels = static_cast<int64_t>(c.eps.size());
  Shape shape = channels > 1 ? Shape{channels, n} : Shape{n};
  return Tensor::fromValues<float>(shape, all);
}

/// Runs `model` on `x` and returns y.
Tensor run(const Model &model, const Tensor &x) {
  TensorMap inputs{{"x", x}};
  llvm::Expected<TensorMap> out = execute(model, inputs);
  if (!out) {
    ADD_FAILURE() << llvm::toString(out.takeError());
    return Tensor();
  }
  return out->at("y");
}

std::vector<Case> allCases() {
  QuantGrid shifted, wide, low, two;
  shifted.zero = -3, shifted.nLevels = 8;
  wide.zero = -1, wide.nLevels = 256;
  low.zero = -200, low.nLevels = 256;
  two.zero = -2, two.nLevels = 4;
  std::vector<QuantGrid> grids = {QuantGrid::fromBits(8, true),
                                  QuantGrid::fromBits(8, false),
                                  QuantGrid::fromBits(4, true),
                                  QuantGrid::fromBits(4, false),
                                  QuantGrid::fromBits(1, false),
                                  shifted,
                                  wide,
                                  low,
                                  two};
  std::vector<std::vector<float>> quanta = {
      {0.125f},  {0.1f},    {1.0f / 3}, {0.0173f},
      {3.7e-3f}, {2.5e-6f}, {1000.0f},  {0.01f, 0.05f, 1.0f / 3, 7.3e-4f}};
  std::vector<Case> cases;
  for (const QuantGrid &g : grids)
    for (const std::vector<float> &e : quanta)
      cases.push_back({g, e});
  return cases;
}

std::unique_ptr<Model> exportModel(const Model &m, llvm::StringRef options) {
  std::unique_ptr<Model> out = m.clone();
  llvm::Expected<bool> changed = runPass(*out, "export-qdq", options);
  if (!changed) {
    ADD_FAILURE() << llvm::toString(changed.takeError());
    return nullptr;
  }
  EXPECT_TRUE(*changed);
  EXPECT_EQ(countNodes(*out, "FakeQuant"), 0u);
  return out;
}

std::string describe(const Case &c, float x, float got, float want) {
  return c.grid.str() + " eps " + std::to_string(c.eps.front()) +
         (c.eps.size() > 1 ? " (per channel)" : "") + " x " +
         std::to_string(x) + ": got " + std::to_string(got) + ", want " +
         std::to_string(want);
}

/// Values equal (so -0 == +0), NaN aside.
void expectSameValues(const Case &c, const Tensor &x, const Tensor &got,
                      const Tensor &want) {
  ASSERT_EQ(got.getNumElements(), want.getNumElements());
  llvm::ArrayRef<float> xs = x.getData<float>(), g = got.getData<float>(),
                        w = want.getData<float>();
  for (size_t i = 0; i < g.size(); ++i) {
    if (!std::isnan(xs[i])) {
      ASSERT_EQ(g[i], w[i]) << describe(c, xs[i], g[i], w[i]);
    }
  }
}

TEST(ExportQdqTest, HalfEvenIsExact) {
  for (Case c : allCases()) {
    c.grid.rounding = Rounding::HalfEven;
    auto model = buildModel(c, probeCount(c));
    auto qdq = exportModel(*model, "");
    ASSERT_TRUE(qdq);
    Tensor x = makeInput(c, probeCount(c));
    expectSameValues(c, x, run(*qdq, x), run(*model, x));
  }
}

TEST(ExportQdqTest, FloorCompensationIsExact) {
  for (Case c : allCases()) {
    c.grid.rounding = Rounding::Floor;
    auto model = buildModel(c, probeCount(c));
    auto qdq = exportModel(*model, "floor-compensation=true");
    ASSERT_TRUE(qdq);
    EXPECT_EQ(countNodes(*qdq, "Floor"), 1u);
    Tensor x = makeInput(c, probeCount(c));
    expectSameValues(c, x, run(*qdq, x), run(*model, x));
  }
}

TEST(ExportQdqTest, PlainFloorIsAtMostOneLevelHigher) {
  unsigned higher = 0;
  for (Case c : allCases()) {
    c.grid.rounding = Rounding::Floor;
    auto model = buildModel(c, probeCount(c));
    auto qdq = exportModel(*model, "");
    ASSERT_TRUE(qdq);
    Tensor x = makeInput(c, probeCount(c));
    Tensor got = run(*qdq, x), want = run(*model, x);
    int64_t n = probeCount(c);
    llvm::ArrayRef<float> xs = x.getData<float>(), g = got.getData<float>(),
                          w = want.getData<float>();
    QuantGrid halfEven = c.grid;
    halfEven.rounding = Rounding::HalfEven;
    for (size_t i = 0; i < g.size(); ++i) {
      if (std::isnan(xs[i]))
        continue;
      float eps = c.eps[i / n];
      // The levels each side computes, and what half-even rounding of the
      // same x gives: the plain export is exactly that.
      int64_t lq = quantizeLevel(xs[i], eps, halfEven);
      int64_t lf = quantizeLevel(xs[i], eps, c.grid);
      ASSERT_EQ(g[i], float(lq) * eps) << describe(c, xs[i], g[i], w[i]);
      ASSERT_EQ(w[i], float(lf) * eps) << describe(c, xs[i], g[i], w[i]);
      ASSERT_TRUE(lq == lf || lq == lf + 1) << describe(c, xs[i], g[i], w[i]);
      higher += lq != lf;
    }
  }
  EXPECT_GT(higher, 0u); // the difference is real
}

TEST(ExportQdqTest, WeightsAreExact) {
  for (Case c : allCases()) {
    for (Rounding r : {Rounding::Floor, Rounding::HalfEven}) {
      c.grid.rounding = r;
      int64_t n = probeCount(c);
      auto model = buildModel(c, n);
      Graph &g = model->getGraph();
      // Make X a constant: the probes become weights.
      Tensor w = makeInput(c, n);
      llvm::MutableArrayRef<float> wv = w.getMutableData<float>();
      for (float &v : wv)
        if (std::isnan(v))
          v = 0; // weights with NaN are refused
      Value *x = g.getInputs().front();
      Value *wInit = g.addInitializer("w", w);
      g.replaceAllUsesWith(x, wInit);
      auto qdq = exportModel(*model, "");
      ASSERT_TRUE(qdq);
      EXPECT_EQ(countNodes(*qdq, "QuantizeLinear"), 0u);
      EXPECT_EQ(countNodes(*qdq, "DequantizeLinear"), 1u);
      Tensor unused = Tensor::fromValues<float>(
          x->getType().getStaticShape().getValue(),
          std::vector<float>(w.getNumElements(), 0.0f));
      expectSameValues(c, w, run(*qdq, unused), run(*model, unused));
    }
  }
}

TEST(ImportQdqTest, RoundTripRestoresTheQuantiser) {
  for (Case c : allCases()) {
    c.grid.rounding = Rounding::HalfEven;
    auto model = buildModel(c, probeCount(c));
    auto back = exportModel(*model, "");
    ASSERT_TRUE(back);
    QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*back, "import-qdq"));
    EXPECT_TRUE(changed);
    ASSERT_EQ(countNodes(*back, "FakeQuant"), 1u);
    EXPECT_EQ(countNodes(*back, "QuantizeLinear"), 0u);
    EXPECT_EQ(countNodes(*back, "Clip"), 0u);
    for (const Node &n : back->getGraph().getNodes()) {
      llvm::Expected<FakeQuantAttrs> attrs = readFakeQuantAttrs(n);
      ASSERT_TRUE(static_cast<bool>(attrs))
          << llvm::toString(attrs.takeError());
      EXPECT_EQ(attrs->grid.zero, c.grid.zero);
      EXPECT_EQ(attrs->grid.nLevels, c.grid.nLevels);
      EXPECT_EQ(attrs->grid.rounding, Rounding::HalfEven);
    }
    Tensor x = makeInput(c, probeCount(c));
    expectSameValues(c, x, run(*back, x), run(*model, x));
  }
}

TEST(ImportQdqTest, NaNIsTheOneDifference) {
  Case c{QuantGrid::fromBits(8, false, Rounding::HalfEven), {0.5f}};
  auto model = buildModel(c, 2);
  auto qdq = exportModel(*model, "");
  ASSERT_TRUE(qdq);
  float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor x = Tensor::fromValues<float>({2}, {nan, 1.0f});
  Tensor fromQdq = run(*qdq, x), fromFq = run(*model, x);
  EXPECT_EQ(fromQdq.getData<float>()[0], 0.0f);
  EXPECT_TRUE(std::isnan(fromFq.getData<float>()[0]));
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*qdq, "import-qdq"));
  EXPECT_TRUE(changed);
  EXPECT_TRUE(std::isnan(run(*qdq, x).getData<float>()[0]));
}

TEST(ExportQdqTest, BadWeightFailsBeforeAnyChange) {
  // Two quantisers: a good activation one first, then a weight with a NaN.
  Case c{QuantGrid::fromBits(8, true, Rounding::HalfEven), {0.5f}};
  auto model = buildModel(c, 2);
  Graph &g = model->getGraph();
  float nan = std::numeric_limits<float>::quiet_NaN();
  Value *w = g.addInitializer("w", Tensor::fromValues<float>({2}, {1.0f, nan}));
  FakeQuantAttrs attrs;
  attrs.grid = c.grid;
  Node *wq =
      createFakeQuant(g, w, g.lookupValue("eps"), attrs, "wq", "wq", nullptr);
  g.addOutput(wq->getResult(0));
  llvm::Expected<bool> changed = runPass(*model, "export-qdq");
  ASSERT_FALSE(static_cast<bool>(changed));
  EXPECT_EQ(errorMessage(changed.takeError()),
            "'wq' (qlc.FakeQuant): cannot quantise NaN to an integer level");
  EXPECT_EQ(countNodes(*model, "FakeQuant"), 2u);
  EXPECT_EQ(countNodes(*model, "QuantizeLinear"), 0u);
}

TEST(QdqSupportTest, StorageOfGrids) {
  using backends::chooseQdqStorage;
  auto storage = [](int64_t zero, int64_t n) {
    QuantGrid g;
    g.zero = zero;
    g.nLevels = n;
    return chooseQdqStorage(g);
  };
  auto s8 = storage(-128, 256);
  ASSERT_TRUE(static_cast<bool>(s8));
  EXPECT_EQ(s8->type, ElementType::Int8);
  EXPECT_FALSE(s8->needsClip());
  auto u4 = storage(0, 16);
  ASSERT_TRUE(static_cast<bool>(u4));
  EXPECT_EQ(u4->type, ElementType::UInt8);
  EXPECT_TRUE(u4->needsClip());
  EXPECT_EQ(u4->clipHi, 15);
  auto wide = storage(-1, 256);
  ASSERT_TRUE(static_cast<bool>(wide));
  EXPECT_EQ(wide->type, ElementType::UInt8);
  EXPECT_EQ(wide->zeroPoint, 1);
  EXPECT_FALSE(wide->needsClip());
  // No 8-bit type holds [-256, -1] or 512 levels.
  EXPECT_EQ(errorMessage(storage(-256, 256).takeError()),
            "grid [-256, -1] fits neither int8 nor uint8 with a zero point");
  EXPECT_NE(errorMessage(storage(-256, 512).takeError()).find("512 levels"),
            std::string::npos);
  // Grids back from stored ranges: a zero point above the range is no grid.
  EXPECT_FALSE(backends::gridFromQdq(0, 5, 10).hasValue());
  llvm::Optional<QuantGrid> g = backends::gridFromQdq(128, 0, 255);
  ASSERT_TRUE(g.hasValue());
  EXPECT_EQ(g->zero, -128);
  EXPECT_EQ(g->nLevels, 256);
}

} // namespace
