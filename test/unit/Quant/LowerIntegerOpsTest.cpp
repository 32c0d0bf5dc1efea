//===- LowerIntegerOpsTest.cpp - lower-integer-ops against the kernels ----===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// passes/backends/LowerIntegerOps.cpp claims its standard-ONNX form of
// qlc.Requant and qlc.EpsTunnel computes what qlc's kernels compute, bit
// for bit. Checked here in the interpreter (whose ONNX kernels the ONNX
// backend tests cover; ONNX Runtime is checked by ort-crosscheck-int-cnn and
// ort-crosscheck-requant-edges) on inputs chosen to break it: every integer
// input and output type, the ends of each type, values next to multiples of
// 2^shift, shifts 0 to 62, multipliers and offsets that take x * mul + add
// far beyond int32 and right up to the ends of int64 (elements whose sum
// would leave int64, an error in qlc, are replaced by 0), and quanta whose
// two scalings differ from one folded scaling. Also the pass's behaviour:
// no-op, idempotence, atomicity on errors, kept output names, statistics.
//
//===----------------------------------------------------------------------===//

#include "IntegerOpsTestUtils.h"
#include "PassTestUtils.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <random>

using namespace qlc;
using namespace qlc::test;

namespace {

constexpr int64_t kMin64 = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax64 = std::numeric_limits<int64_t>::max();

const ElementType kIntTypes[] = {ElementType::Int8,  ElementType::UInt8,
                                 ElementType::Int16, ElementType::UInt16,
                                 ElementType::Int32, ElementType::Int64};

/// The model lowered by a fresh lower-integer-ops (fails the test if the
/// pass fails or changes nothing).
std::unique_ptr<Model> lowered(const Model &model) {
  std::unique_ptr<Model> copy = model.clone();
  llvm::Expected<bool> changed = runPass(*copy, "lower-integer-ops");
  if (!changed)
    ADD_FAILURE() << llvm::toString(changed.takeError());
  else
    EXPECT_TRUE(*changed);
  for (const Node &n : copy->getGraph().getNodes())
    EXPECT_TRUE(n.isOnnxDomain()) << n.getOpType().str();
  return copy;
}

/// Runs `model` and its lowering on x and expects identical results.
void expectSameAfterLowering(const Model &model, const Tensor &x) {
  llvm::Expected<Tensor> want = runOnX(model, x);
  ASSERT_TRUE(static_cast<bool>(want)) << llvm::toString(want.takeError());
  std::unique_ptr<Model> low = lowered(model);
  llvm::Expected<Tensor> got = runOnX(*low, x);
  ASSERT_TRUE(static_cast<bool>(got)) << llvm::toString(got.takeError());
  ASSERT_EQ(got->getElementType(), want->getElementType());
  ASSERT_EQ(got->getShape(), want->getShape());
  for (int64_t i = 0, e = want->getNumElements(); i < e; ++i)
    ASSERT_EQ(got->getAsInt64(i), want->getAsInt64(i))
        << "element " << i << " of x = " << x.getAsInt64(i);
  EXPECT_TRUE(got->isIdenticalTo(*want));
}

/// Candidate x values of `type`: its ends, small values, values next to
/// multiples of 2^shift, and seeded random ones.
std::vector<int64_t> probeValues(ElementType type, int64_t shift, size_t n,
                                 uint32_t seed) {
  auto [lo, hi] = integerTypeRange(type);
  std::vector<int64_t> v = {lo, lo + 1, hi, hi - 1, 0, 1, -1, 2, -2, 3, -3};
  // k * 2^shift + d, saturated to int64 (then to the type, below).
  for (int k : {1, 3, -1, -5})
    for (int d : {-1, 0, 1}) {
      __int128 w = __int128(k) * (__int128(1) << shift) + d;
      v.push_back(static_cast<int64_t>(
          std::min<__int128>(std::max<__int128>(w, kMin64), kMax64)));
    }
  std::mt19937_64 rng(seed);
  while (v.size() < n) {
    // Spread the magnitudes: random bits shifted down by 1..63.
    int64_t s = static_cast<int64_t>(rng() >> (1 + rng() % 63));
    v.push_back(rng() % 2 ? s : -s);
  }
  v.resize(n);
  for (int64_t &x : v)
    x = std::min(std::max(x, lo), hi);
  return v;
}

/// Requant with one (mul, add) pair per column of an [n, k] x.
struct ColumnParams {
  std::vector<int64_t> mul, add;
};

ColumnParams columnParams(int64_t shift) {
  int64_t half = shift ? int64_t(1) << (shift - 1) : 0;
  return {{1, -1, 3, -3, (1 << 20) + 1, -2147483647, int64_t(1) << 40, 0,
           int64_t(1) << 55, kMax64 / 5},
          {0, 1, -1, half, -half, (int64_t(1) << 40) + 5, -(int64_t(1) << 40),
           12345, -half - 1, kMin64 / 4}};
}

TEST(LowerIntegerOps, RequantMatchesKernelForEveryTypeAndShift) {
  const int64_t rows = 48;
  for (ElementType in : kIntTypes)
    for (ElementType out :
         {ElementType::UInt8, ElementType::Int8, ElementType::UInt16,
          ElementType::Int32, ElementType::Int64})
      for (int64_t shift : {0, 1, 5, 16, 31, 40, 62}) {
        SCOPED_TRACE(getElementTypeName(in).str() + " -> " +
                     getElementTypeName(out).str() + ", shift " +
                     std::to_string(shift));
        ColumnParams p = columnParams(shift);
        int64_t cols = static_cast<int64_t>(p.mul.size());
        std::vector<int64_t> cand =
            probeValues(in, shift, rows, static_cast<uint32_t>(shift) + 1);
        std::vector<int64_t> x;
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < cols; ++c) {
            bool overflow = false;
            requantize(cand[r], p.mul[c], p.add[c], shift, kMin64, kMax64,
                       overflow);
            x.push_back(overflow ? 0 : cand[r]);
          }
        auto [outLo, outHi] = integerTypeRange(out);
        // The whole output range, then one narrower on both sides.
        for (auto [lo, hi] : {std::make_pair(outLo, outHi),
                              std::make_pair(outLo / 2 + 1, outHi / 2)}) {
          RequantAttrs a;
          a.shift = shift, a.lo = lo, a.hi = hi, a.to = out;
          auto model = makeRequantModel(
              in, {rows, cols}, Tensor::fromValues<int64_t>({1, cols}, p.mul),
              Tensor::fromValues<int64_t>({1, cols}, p.add), a);
          expectSameAfterLowering(*model, makeInts(in, {rows, cols}, x));
        }
      }
}

TEST(LowerIntegerOps, RequantPerChannelRank4) {
  // (1, C, 1, 1) parameters over (N, C, H, W), per-tensor shift.
  const int64_t n = 2, c = 3, hw = 4;
  std::vector<int64_t> x;
  std::mt19937 rng(5);
  std::uniform_int_distribution<int64_t> dist(-2000000, 2000000);
  for (int64_t i = 0; i < n * c * hw; ++i)
    x.push_back(dist(rng));
  RequantAttrs a;
  a.shift = 24, a.lo = -128, a.hi = 127, a.to = ElementType::Int8;
  auto model = makeRequantModel(
      ElementType::Int32, {n, c, 2, 2},
      Tensor::fromValues<int64_t>({1, c, 1, 1}, {1 << 22, -(1 << 21), 12345}),
      Tensor::fromValues<int64_t>({1, c, 1, 1}, {1 << 23, -(1 << 23), 0}), a);
  expectSameAfterLowering(*model,
                          makeInts(ElementType::Int32, {n, c, 2, 2}, x));
}

/// Values of `type` for the tunnel tests: integers at the ends of the type
/// and odd ones (ties after halving), floats on and between halves.
Tensor tunnelInput(ElementType type, int64_t count, uint32_t seed) {
  std::mt19937_64 rng(seed);
  if (isFloatType(type)) {
    std::vector<double> v = {
        0.5,       1.5,   2.5, -0.5,  -2.5,  0.49999999999999994,
        1e6 + 0.5, -3.75, 0,   127.5, -128.5};
    std::uniform_real_distribution<double> dist(-300, 300);
    while (int64_t(v.size()) < count)
      v.push_back(dist(rng));
    v.resize(count);
    return Tensor::fromValues<double>({count, 1}, v).castTo(type);
  }
  std::vector<int64_t> v = probeValues(type, 1, count, seed);
  return makeInts(type, {count, 1}, v);
}

TEST(LowerIntegerOps, EpsTunnelMatchesKernel) {
  // One (eps_in, eps_out) per column; the float quanta round differently
  // as X / ei * eo and X * (eo / ei).
  const std::vector<float> ein = {1,    1,        0.25f,    3,
                                  0.1f, 1.0f / 3, 0x1p-20f, 0.0037f};
  const std::vector<float> eout = {1, 0.5f, 0.125f, 0.1f, 3, 1, 1, 0.0021f};
  const int64_t cols = static_cast<int64_t>(ein.size()), rows = 40;
  for (ElementType in :
       {ElementType::Int8, ElementType::UInt8, ElementType::Int16,
        ElementType::Int32, ElementType::Int64, ElementType::Float,
        ElementType::Double})
    for (ElementType to :
         {ElementType::Float, ElementType::Double, ElementType::Int8,
          ElementType::UInt16, ElementType::Int32, ElementType::Int64}) {
      SCOPED_TRACE(getElementTypeName(in).str() + " -> " +
                   getElementTypeName(to).str());
      Tensor col = tunnelInput(in, rows, 3);
      // Broadcast the column over the quanta; zero the elements whose
      // integer result would not fit `to` (an error in qlc).
      Tensor x(in, {rows, cols});
      auto [lo, hi] = integerTypeRange(to);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
          double v = col.getAsDouble(r);
          double y = std::nearbyint(v / double(ein[c]) * double(eout[c]));
          // hi + 1 is a power of two, exact in double (INT64_MAX is not).
          bool fits = isFloatType(to) ||
                      (y >= double(lo) && y < double(hi / 2 + 1) * 2.0);
          if (in == ElementType::Int64) // exact int64, not via double
            x.getMutableData<int64_t>()[r * cols + c] =
                fits ? col.getData<int64_t>()[r] : 0;
          else
            x.setFromDouble(r * cols + c, fits ? v : 0);
        }
      auto model = makeEpsTunnelModel(
          in, {rows, cols}, Tensor::fromValues<float>({1, cols}, ein),
          Tensor::fromValues<float>({1, cols}, eout), to);
      expectSameAfterLowering(*model, x);
    }
}

TEST(LowerIntegerOps, NoOpWithoutIntegerOps) {
  auto model = makeModel(11);
  Graph &g = model->getGraph();
  Value *x = g.addInput("x", TensorType(ElementType::Int32, {2}));
  Node *n = g.createNode("Neg", {x}, std::vector<std::string>{"y"});
  g.addOutput(n->getResult(0));
  uint64_t epoch = g.getEpoch();
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*model, "lower-integer-ops"));
  EXPECT_FALSE(changed);
  EXPECT_EQ(g.getEpoch(), epoch);
  EXPECT_EQ(model->getOpsetVersion(""), 11);
}

TEST(LowerIntegerOps, IdempotentAndKeepsOutputNames) {
  RequantAttrs a;
  a.shift = 3, a.lo = 0, a.hi = 255, a.to = ElementType::UInt8;
  auto model =
      makeRequantModel(ElementType::Int32, {4}, Tensor::scalar<int64_t>(5),
                       Tensor::scalar<int64_t>(-2), a);
  QLC_ASSERT_OK_AND_ASSIGN(first, runPass(*model, "lower-integer-ops"));
  EXPECT_TRUE(first);
  const Graph &g = model->getGraph();
  ASSERT_EQ(g.getOutputs().size(), 1u);
  EXPECT_EQ(g.getOutputs()[0]->getName(), "y");
  EXPECT_EQ(g.getOutputs()[0]->getElementType(), ElementType::UInt8);
  EXPECT_EQ(model->getOpsetVersion("qlc"), -1);
  uint64_t epoch = g.getEpoch();
  QLC_ASSERT_OK_AND_ASSIGN(second, runPass(*model, "lower-integer-ops"));
  EXPECT_FALSE(second);
  EXPECT_EQ(g.getEpoch(), epoch);
}

TEST(LowerIntegerOps, ChecksEveryNodeBeforeChangingAny) {
  RequantAttrs a;
  a.shift = 3, a.lo = 0, a.hi = 255, a.to = ElementType::UInt8;
  auto model =
      makeRequantModel(ElementType::Int32, {4}, Tensor::scalar<int64_t>(5),
                       Tensor::scalar<int64_t>(-2), a);
  // A second Requant reading y, with lo > hi.
  Graph &g = model->getGraph();
  Value *y = g.getOutputs()[0];
  Node *bad =
      g.createNode("Requant", {y, g.lookupValue("p1"), g.lookupValue("p2")},
                   std::vector<std::string>{"z"}, "qlc");
  bad->setName("bad");
  RequantAttrs b = a;
  b.lo = 10, b.hi = 9;
  writeRequantAttrs(*bad, b);
  g.addOutput(bad->getResult(0));
  uint64_t epoch = g.getEpoch();
  llvm::Expected<bool> r = runPass(*model, "lower-integer-ops");
  ASSERT_FALSE(static_cast<bool>(r));
  std::string err = llvm::toString(r.takeError());
  EXPECT_NE(err.find("'bad' (qlc.Requant): clip range [10, 9]"),
            std::string::npos)
      << err;
  EXPECT_EQ(g.getEpoch(), epoch);
  EXPECT_EQ(g.getNumNodes(), 2u);
}

TEST(LowerIntegerOps, CountsRequantsProvablyFreeOfOverflow) {
  // int32 x: |x| <= 2^31, so |x * mul| <= 2^63 - 2^31 for mul = 2^32 - 1
  // (free with add up to 2^31 - 1) and 2^63 for mul = 2^32 (not free).
  struct Case {
    int64_t mul, add;
    uint64_t free;
  } cases[] = {{(int64_t(1) << 32) - 1, (int64_t(1) << 31) - 1, 1},
               {(int64_t(1) << 32) - 1, int64_t(1) << 31, 0},
               {int64_t(1) << 32, 0, 0},
               {-((int64_t(1) << 32) - 1), -((int64_t(1) << 31) - 1), 1}};
  for (const Case &c : cases) {
    RequantAttrs a;
    a.shift = 40, a.lo = -128, a.hi = 127, a.to = ElementType::Int8;
    auto model = makeRequantModel(ElementType::Int32, {2},
                                  Tensor::scalar<int64_t>(c.mul),
                                  Tensor::scalar<int64_t>(c.add), a);
    std::unique_ptr<Pass> pass = createPass("lower-integer-ops");
    QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*pass, *model));
    EXPECT_TRUE(changed);
    EXPECT_EQ(getStatistic(*pass, "requants-lowered"), 1u);
    EXPECT_EQ(getStatistic(*pass, "requants-overflow-free"), c.free)
        << c.mul << ", " << c.add;
  }
}

TEST(LowerIntegerOps, RaisesOldOpsets) {
  RequantAttrs a;
  a.shift = 1, a.lo = -128, a.hi = 127, a.to = ElementType::Int8;
  auto model =
      makeRequantModel(ElementType::Int32, {3}, Tensor::scalar<int64_t>(3),
                       Tensor::scalar<int64_t>(0), a);
  model->setOpsetVersion("", 10);
  std::unique_ptr<Pass> pass = createPass("lower-integer-ops");
  QLC_ASSERT_OK_AND_ASSIGN(changed, runPass(*pass, *model));
  EXPECT_TRUE(changed);
  EXPECT_EQ(model->getOpsetVersion(""), 13);
  EXPECT_EQ(getStatistic(*pass, "opset-raised"), 1u);
  llvm::Expected<Tensor> y =
      runOnX(*model, makeInts(ElementType::Int32, {3}, {-1, 1, 100}));
  ASSERT_TRUE(static_cast<bool>(y)) << llvm::toString(y.takeError());
  // floor({-3, 3, 300} / 2) = {-2, 1, 150 -> 127}.
  EXPECT_EQ(y->toInt64s(), (std::vector<int64_t>{-2, 1, 127}));
}

} // namespace
