//===- IntegerOpsTest.cpp - qlc.Requant and qlc.EpsTunnel -----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The requantisation arithmetic (requantize), the interpreter's kernels of
// qlc.Requant and qlc.EpsTunnel on small hand-built models, and the ONNX
// schemas: floor rounding of negative sums, saturation at both ends, int64
// overflow as an error naming the node, per-channel broadcasting, shift 0
// and 62, every integer input and output type, rejected attributes and
// operands, EpsTunnel's half-to-even rounding and range check, and the
// checker and shape inference on both ops. Expected values are worked out
// by hand in the comments, or by an independent formula (a floor division
// written with std::floor on exact doubles).
//
//===----------------------------------------------------------------------===//

#include "IntegerOpsTestUtils.h"

#include "qlc/ONNX/Export.h"
#include "qlc/ONNX/ShapeInference.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>

using namespace qlc;
using namespace qlc::test;

namespace {

constexpr int64_t kMin64 = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax64 = std::numeric_limits<int64_t>::max();

RequantAttrs attrsOf(int64_t shift, int64_t lo, int64_t hi, ElementType to) {
  RequantAttrs a;
  a.shift = shift;
  a.lo = lo;
  a.hi = hi;
  a.to = to;
  return a;
}

int64_t requant(int64_t x, int64_t mul, int64_t add, int64_t shift,
                int64_t lo = kMin64, int64_t hi = kMax64) {
  bool overflow = false;
  int64_t r = requantize(x, mul, add, shift, lo, hi, overflow);
  EXPECT_FALSE(overflow) << x << " * " << mul << " + " << add;
  return r;
}

TEST(Requantize, FloorsNegativeValues) {
  EXPECT_EQ(requant(-1, 1, 0, 1), -1);  // floor(-0.5)
  EXPECT_EQ(requant(-3, 1, 0, 1), -2);  // floor(-1.5)
  EXPECT_EQ(requant(-4, 1, 0, 1), -2);  // exact
  EXPECT_EQ(requant(1, -3, 0, 1), -2);  // -3 * 1 >> 1
  EXPECT_EQ(requant(3, 1, 0, 1), 1);    // floor(1.5)
  EXPECT_EQ(requant(-1, 1, 0, 62), -1); // any negative sum < 2^62
  EXPECT_EQ(requant(kMin64, 1, 0, 62), -2);
  EXPECT_EQ(requant(kMax64, 1, 0, 62), 1);
  EXPECT_EQ(requant(-17, 1, 1, 4), -1); // floor(-16 / 16)
  EXPECT_EQ(requant(-17, 1, 0, 4), -2); // floor(-17 / 16)
}

TEST(Requantize, SaturatesAndFlagsOverflow) {
  EXPECT_EQ(requant(1000, 1, 0, 0, -128, 127), 127);
  EXPECT_EQ(requant(-1000, 1, 0, 0, -128, 127), -128);
  EXPECT_EQ(requant(-1, 1, 0, 0, 0, 255), 0);
  bool overflow = false;
  requantize(kMax64 / 2 + 1, 2, 0, 0, kMin64, kMax64, overflow);
  EXPECT_TRUE(overflow);
  overflow = false;
  requantize(kMax64, 1, 1, 0, kMin64, kMax64, overflow);
  EXPECT_TRUE(overflow);
  overflow = false;
  requantize(kMin64, -1, 0, 0, kMin64, kMax64, overflow);
  EXPECT_TRUE(overflow);
  overflow = false;
  requantize(kMin64, 1, 0, 3, kMin64, kMax64, overflow);
  EXPECT_FALSE(overflow);
}

/// Runs y = Requant(x) on a 1-D int32 x with scalar mul and add.
std::vector<int64_t> runScalarRequant(llvm::ArrayRef<int64_t> x, int64_t mul,
                                      int64_t add, const RequantAttrs &a,
                                      ElementType xType = ElementType::Int32) {
  int64_t n = static_cast<int64_t>(x.size());
  auto model = makeRequantModel(xType, {n}, Tensor::scalar<int64_t>(mul),
                                Tensor::scalar<int64_t>(add), a);
  llvm::Expected<Tensor> y = runOnX(*model, makeInts(xType, {n}, x));
  if (!y) {
    ADD_FAILURE() << llvm::toString(y.takeError());
    return {};
  }
  EXPECT_EQ(y->getElementType(), a.to);
  return y->toInt64s();
}

TEST(RequantKernel, FloorsNegativeSums) {
  RequantAttrs a = attrsOf(1, -128, 127, ElementType::Int8);
  // x / 2 rounded down: -1.5 -> -2, -1 -> -1, -0.5 -> -1, 0.5 -> 0.
  EXPECT_EQ(runScalarRequant({-3, -2, -1, 0, 1, 2, 3}, 1, 0, a),
            (std::vector<int64_t>{-2, -1, -1, 0, 0, 1, 1}));
  // -3 * x >> 1: {-3, -6, 3} / 2 -> {-2, -3, 1}.
  EXPECT_EQ(runScalarRequant({1, 2, -1}, -3, 0, a),
            (std::vector<int64_t>{-2, -3, 1}));
  // (5x - 7) >> 3: {-7, -2, 3, -17} / 8 -> {-1, -1, 0, -3}.
  EXPECT_EQ(runScalarRequant({0, 1, 2, -2}, 5, -7,
                             attrsOf(3, -128, 127, ElementType::Int8)),
            (std::vector<int64_t>{-1, -1, 0, -3}));
}

TEST(RequantKernel, SaturatesAtLoAndHi) {
  // (x + 8) >> 4 = round(x / 16) half up; then [0, 255].
  RequantAttrs a = attrsOf(4, 0, 255, ElementType::UInt8);
  EXPECT_EQ(
      runScalarRequant({-1000, -9, -8, 0, 4079, 4080, 4088, 1 << 30}, 1, 8, a),
      (std::vector<int64_t>{0, 0, 0, 0, 255, 255, 255, 255}));
  // A range narrower than the type: [10, 20] as int16.
  RequantAttrs b = attrsOf(0, 10, 20, ElementType::Int16);
  EXPECT_EQ(runScalarRequant({-5, 9, 10, 15, 20, 21, 99999}, 1, 0, b),
            (std::vector<int64_t>{10, 10, 10, 15, 20, 20, 20}));
}

TEST(RequantKernel, LargeProductsLeaveInt32Exactly) {
  // 2147483647 * 2^20 + 2^19 = 2^51 - 2^20 + 2^19, >> 24 -> 2^27 - 1 (the
  // 2^19 - 2^20 part floors away); no int32 wrap-around.
  RequantAttrs a = attrsOf(24, kMin64, kMax64, ElementType::Int64);
  EXPECT_EQ(
      runScalarRequant({2147483647, -2147483648}, 1 << 20, 1 << 19, a),
      (std::vector<int64_t>{(int64_t(1) << 27) - 1, -(int64_t(1) << 27)}));
}

TEST(RequantKernel, ShiftZeroAndSixtyTwo) {
  EXPECT_EQ(runScalarRequant({-2, 0, 3}, 7, -1,
                             attrsOf(0, -100, 100, ElementType::Int32)),
            (std::vector<int64_t>{-15, -1, 20}));
  RequantAttrs a = attrsOf(62, kMin64, kMax64, ElementType::Int64);
  EXPECT_EQ(
      runScalarRequant({kMin64, -1, 0, kMax64}, 1, 0, a, ElementType::Int64),
      (std::vector<int64_t>{-2, -1, 0, 1}));
}

TEST(RequantKernel, EveryIntegerInputAndOutputType) {
  const ElementType types[] = {ElementType::Int8,  ElementType::UInt8,
                               ElementType::Int16, ElementType::UInt16,
                               ElementType::Int32, ElementType::Int64};
  for (ElementType in : types) {
    auto [inLo, inHi] = integerTypeRange(in);
    // The type's ends, except for int64, where 3x must stay in int64; all
    // these products are exact in double.
    std::vector<int64_t> x =
        in == ElementType::Int64
            ? std::vector<int64_t>{-(int64_t(1) << 61), -7, 0, 1, 7,
                                   int64_t(1) << 61}
            : std::vector<int64_t>{inLo, inLo / 2, 0, 1, inHi / 3, inHi};
    for (ElementType out : types) {
      auto [outLo, outHi] = integerTypeRange(out);
      SCOPED_TRACE(getElementTypeName(in).str() + " -> " +
                   getElementTypeName(out).str());
      // y = floor(3x / 2), saturated to the output type.
      std::vector<int64_t> want;
      for (int64_t v : x) {
        double q = std::floor(3.0 * double(v) / 2.0);
        want.push_back(static_cast<int64_t>(
            std::min(std::max(q, double(outLo)), double(outHi))));
      }
      EXPECT_EQ(runScalarRequant(x, 3, 0, attrsOf(1, outLo, outHi, out), in),
                want);
    }
  }
}

TEST(RequantKernel, OverflowFailsNamingTheNode) {
  RequantAttrs a = attrsOf(0, kMin64, kMax64, ElementType::Int64);
  auto model =
      makeRequantModel(ElementType::Int64, {3}, Tensor::scalar<int64_t>(2),
                       Tensor::scalar<int64_t>(0), a);
  std::string err = runError(
      *model, makeInts(ElementType::Int64, {3}, {1, kMax64 / 2 + 1, 2}));
  EXPECT_NE(err.find("'rq' (qlc.Requant)"), std::string::npos) << err;
  EXPECT_NE(err.find("leaves int64 at element 1"), std::string::npos) << err;
  // The add overflows.
  auto model2 =
      makeRequantModel(ElementType::Int64, {2}, Tensor::scalar<int64_t>(1),
                       Tensor::scalar<int64_t>(1), a);
  err = runError(*model2, makeInts(ElementType::Int64, {2}, {0, kMax64}));
  EXPECT_NE(err.find("leaves int64 at element 1"), std::string::npos) << err;
  // Just inside int64: no error.
  EXPECT_EQ(
      runError(*model2, makeInts(ElementType::Int64, {2}, {0, kMax64 - 1})),
      "");
}

TEST(RequantKernel, BroadcastsPerChannel) {
  // x[n, c, h, w] = 10 * c + h * 2 + w - 4 for (1, 2, 2, 2); mul {3, -5},
  // add {1, 100} as (1, C, 1, 1); y = floor((x * mul + add) / 4).
  std::vector<int64_t> x, want;
  const int64_t mul[] = {3, -5}, add[] = {1, 100};
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t i = 0; i < 4; ++i) {
      int64_t v = 10 * c + i - 4;
      x.push_back(v);
      want.push_back(
          static_cast<int64_t>(std::floor(double(v * mul[c] + add[c]) / 4.0)));
    }
  // By hand: channel 0 gives floor((3 * {-4, -3, -2, -1} + 1) / 4) =
  // {-3, -2, -2, -1}; channel 1, floor((-5 * {6..9} + 100) / 4) =
  // {17, 16, 15, 13}.
  EXPECT_EQ(want, (std::vector<int64_t>{-3, -2, -2, -1, 17, 16, 15, 13}));
  RequantAttrs a = attrsOf(2, -128, 127, ElementType::Int8);
  auto model =
      makeRequantModel(ElementType::Int32, {1, 2, 2, 2},
                       Tensor::fromValues<int64_t>({1, 2, 1, 1}, {3, -5}),
                       Tensor::fromValues<int64_t>({1, 2, 1, 1}, {1, 100}), a);
  llvm::Expected<Tensor> y =
      runOnX(*model, makeInts(ElementType::Int32, {1, 2, 2, 2}, x));
  ASSERT_TRUE(static_cast<bool>(y)) << llvm::toString(y.takeError());
  EXPECT_EQ(y->toInt64s(), want);

  // (1, C) over (N, C): columns scale differently.
  auto fc = makeRequantModel(ElementType::Int32, {2, 3},
                             Tensor::fromValues<int64_t>({1, 3}, {1, 2, -1}),
                             Tensor::fromValues<int64_t>({1, 3}, {0, 1, -1}),
                             attrsOf(1, -128, 127, ElementType::Int8));
  y = runOnX(*fc, makeInts(ElementType::Int32, {2, 3}, {5, 5, 5, -5, -5, -5}));
  ASSERT_TRUE(static_cast<bool>(y)) << llvm::toString(y.takeError());
  // {5, 11, -6, -5, -9, 4} / 2, floored.
  EXPECT_EQ(y->toInt64s(), (std::vector<int64_t>{2, 5, -3, -3, -5, 2}));
}

/// The error of running a Requant built with `a` (and given operands).
std::string requantError(const RequantAttrs &a, bool setAttrs = true,
                         Tensor mul = Tensor::scalar<int64_t>(1),
                         Tensor add = Tensor::scalar<int64_t>(0),
                         ElementType xType = ElementType::Int32) {
  auto model =
      makeRequantModel(xType, {2}, std::move(mul), std::move(add), a, setAttrs);
  Tensor x = isFloatType(xType) ? Tensor::fromValues<float>({2}, {1, 2})
                                : makeInts(xType, {2}, {1, 2});
  return runError(*model, x);
}

TEST(RequantKernel, RejectsBadAttributesAndOperands) {
  RequantAttrs good = attrsOf(2, 0, 255, ElementType::UInt8);
  EXPECT_EQ(requantError(good), "");
  auto expectError = [](const std::string &err, const char *what) {
    EXPECT_NE(err.find("'rq' (qlc.Requant)"), std::string::npos) << err;
    EXPECT_NE(err.find(what), std::string::npos) << err;
  };
  expectError(requantError(good, /*setAttrs=*/false),
              "attributes 'shift', 'lo', 'hi' and 'to' are required");
  expectError(requantError(attrsOf(2, 9, 8, ElementType::UInt8)),
              "clip range [9, 8] is empty or does not fit the output type");
  expectError(requantError(attrsOf(2, 0, 256, ElementType::UInt8)),
              "clip range [0, 256]");
  expectError(requantError(attrsOf(2, -129, 0, ElementType::Int8)),
              "clip range [-129, 0]");
  expectError(requantError(attrsOf(63, 0, 255, ElementType::UInt8)),
              "shift must be in 0..62, got 63");
  expectError(requantError(attrsOf(-1, 0, 255, ElementType::UInt8)),
              "shift must be in 0..62, got -1");
  expectError(requantError(attrsOf(2, 0, 255, ElementType::Float)),
              "'to' must be an integer type");
  expectError(requantError(good, true, Tensor::scalar<int32_t>(1)),
              "mul must be int64");
  expectError(requantError(good, true, Tensor::scalar<int64_t>(1),
                           Tensor::scalar<float>(0)),
              "add must be int64");
  expectError(
      requantError(good, true, Tensor::fromValues<int64_t>({3}, {1, 2, 3})),
      "does not broadcast to the shape of X");
  expectError(requantError(good, true, Tensor::scalar<int64_t>(1),
                           Tensor::scalar<int64_t>(0), ElementType::Float),
              "X must be an integer tensor");
}

/// Runs y = EpsTunnel(x, epsIn, epsOut) to `to` on a 1-D x.
llvm::Expected<Tensor> runTunnel(const Tensor &x, float epsIn, float epsOut,
                                 ElementType to) {
  auto model = makeEpsTunnelModel(x.getElementType(), x.getShape(),
                                  Tensor::scalar<float>(epsIn),
                                  Tensor::scalar<float>(epsOut), to);
  return runOnX(*model, x);
}

std::vector<int64_t> tunnelInts(const Tensor &x, float epsIn, float epsOut,
                                ElementType to) {
  llvm::Expected<Tensor> y = runTunnel(x, epsIn, epsOut, to);
  if (!y) {
    ADD_FAILURE() << llvm::toString(y.takeError());
    return {};
  }
  EXPECT_EQ(y->getElementType(), to);
  return y->toInt64s();
}

TEST(EpsTunnelKernel, RoundsHalfToEven) {
  Tensor odd =
      makeInts(ElementType::Int32, {10}, {1, 3, 5, 7, -1, -3, -5, -7, 0, 2});
  // x / 2: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, 3.5 -> 4, and the negatives alike.
  std::vector<int64_t> want = {0, 2, 2, 4, 0, -2, -2, -4, 0, 1};
  EXPECT_EQ(tunnelInts(odd, 1, 0.5f, ElementType::Int32), want);
  EXPECT_EQ(tunnelInts(odd, 4, 2, ElementType::Int8), want);
  EXPECT_EQ(tunnelInts(odd, 0.25f, 0.125f, ElementType::Int16), want);
  // From float: ties and the nearest doubles below 0.5 (no floor(x + 0.5)).
  Tensor f = Tensor::fromValues<float>(
      {6}, {2.5f, 3.5f, -2.5f, 0.49999997f, -0.49999997f, 1e6f + 0.5f});
  EXPECT_EQ(tunnelInts(f, 1, 1, ElementType::Int32),
            (std::vector<int64_t>{2, 4, -2, 0, 0, 1000000}));
}

TEST(EpsTunnelKernel, ScalesInDoubleThenCasts) {
  Tensor x = makeInts(ElementType::Int32, {4}, {-7, 1, 3, 1 << 30});
  llvm::Expected<Tensor> y = runTunnel(x, 3, 0.1f, ElementType::Float);
  ASSERT_TRUE(static_cast<bool>(y)) << llvm::toString(y.takeError());
  ASSERT_EQ(y->getElementType(), ElementType::Float);
  const double e = static_cast<double>(0.1f);
  for (int64_t i = 0; i < 4; ++i)
    EXPECT_EQ(y->getData<float>()[i],
              static_cast<float>(double(x.getAsInt64(i)) / 3.0 * e));
  y = runTunnel(x, 3, 0.1f, ElementType::Double);
  ASSERT_TRUE(static_cast<bool>(y)) << llvm::toString(y.takeError());
  for (int64_t i = 0; i < 4; ++i)
    EXPECT_EQ(y->getData<double>()[i], double(x.getAsInt64(i)) / 3.0 * e);
}

TEST(EpsTunnelKernel, BroadcastsPerChannelEps) {
  auto model = makeEpsTunnelModel(
      ElementType::Int32, {2, 2}, Tensor::fromValues<float>({1, 2}, {1, 2}),
      Tensor::fromValues<float>({1, 2}, {0.5f, 3}), ElementType::Int32);
  llvm::Expected<Tensor> y =
      runOnX(*model, makeInts(ElementType::Int32, {2, 2}, {3, 3, -5, 5}));
  ASSERT_TRUE(static_cast<bool>(y)) << llvm::toString(y.takeError());
  // Column 0: x / 2 (1.5 -> 2, -2.5 -> -2); column 1: x * 1.5.
  EXPECT_EQ(y->toInt64s(), (std::vector<int64_t>{2, 4, -2, 8}));
}

TEST(EpsTunnelKernel, OutOfRangeFailsNamingTheNode) {
  auto check = [](const Tensor &x, ElementType to, const char *what) {
    llvm::Expected<Tensor> y = runTunnel(x, 1, 1, to);
    ASSERT_FALSE(static_cast<bool>(y));
    std::string err = llvm::toString(y.takeError());
    EXPECT_NE(err.find("'tunnel' (qlc.EpsTunnel)"), std::string::npos) << err;
    EXPECT_NE(err.find(what), std::string::npos) << err;
  };
  check(makeInts(ElementType::Int32, {3}, {0, 255, 256}), ElementType::UInt8,
        "element 2 does not fit the output type uint8");
  check(makeInts(ElementType::Int32, {2}, {-128, -129}), ElementType::Int8,
        "element 1 does not fit");
  check(Tensor::fromValues<float>({2}, {1, std::nanf("")}), ElementType::Int32,
        "element 1 does not fit");
  // -0.4 rounds to -0, which fits uint8.
  EXPECT_EQ(tunnelInts(Tensor::fromValues<float>({1}, {-0.4f}), 1, 1,
                       ElementType::UInt8),
            (std::vector<int64_t>{0}));
  for (float bad : {0.0f, -1.0f, std::numeric_limits<float>::infinity()}) {
    llvm::Expected<Tensor> y = runTunnel(makeInts(ElementType::Int32, {1}, {1}),
                                         bad, 1, ElementType::Float);
    ASSERT_FALSE(static_cast<bool>(y));
    std::string err = llvm::toString(y.takeError());
    EXPECT_NE(err.find("eps must be positive and finite"), std::string::npos)
        << err;
  }
}

/// The element type shape inference gives y after its type is cleared.
ElementType inferredOutputType(Model &model) {
  Value *y = model.getGraph().getOutputs()[0];
  y->setType(TensorType());
  llvm::Expected<bool> changed = inferShapes(model);
  if (!changed) {
    ADD_FAILURE() << llvm::toString(changed.takeError());
    return ElementType::Undefined;
  }
  EXPECT_EQ(y->getType().str(),
            TensorType(y->getElementType(), {1, 2, 3, 3}).str());
  return y->getElementType();
}

/// The checker's complaint about `model`, "" when it accepts it.
std::string checkerError(const Model &model) {
  llvm::Error err = checkModel(model);
  return err ? llvm::toString(std::move(err)) : "";
}

TEST(IntegerOpsSchemas, CheckerAndShapeInferenceAcceptBothOps) {
  auto rq = makeRequantModel(ElementType::Int32, {1, 2, 3, 3},
                             Tensor::fromValues<int64_t>({1, 2, 1, 1}, {3, 4}),
                             Tensor::scalar<int64_t>(7),
                             attrsOf(8, -128, 127, ElementType::Int8));
  EXPECT_EQ(checkerError(*rq), "");
  EXPECT_EQ(inferredOutputType(*rq), ElementType::Int8);

  auto tunnel = makeEpsTunnelModel(
      ElementType::UInt8, {1, 2, 3, 3}, Tensor::scalar<float>(0.5f),
      Tensor::scalar<float>(1), ElementType::Int16);
  EXPECT_EQ(checkerError(*tunnel), "");
  EXPECT_EQ(inferredOutputType(*tunnel), ElementType::Int16);

  // Without 'to', an EpsTunnel produces float.
  tunnel->getGraph().getNodes().front().removeAttr("to");
  EXPECT_EQ(inferredOutputType(*tunnel), ElementType::Float);
  EXPECT_EQ(checkerError(*tunnel), "");
}

TEST(IntegerOpsSchemas, CheckerRejectsWrongOperandTypes) {
  RequantAttrs a = attrsOf(8, -128, 127, ElementType::Int8);
  // mul must be int64.
  auto rq = makeRequantModel(ElementType::Int32, {1, 2, 3, 3},
                             Tensor::scalar<int32_t>(3),
                             Tensor::scalar<int64_t>(7), a);
  EXPECT_NE(
      checkerError(*rq).find(
          "mul typestr: tensor(int64), has unsupported type: tensor(int32)"),
      std::string::npos)
      << checkerError(*rq);
  // X must be an integer tensor.
  auto fx = makeRequantModel(ElementType::Float, {1, 2, 3, 3},
                             Tensor::scalar<int64_t>(3),
                             Tensor::scalar<int64_t>(7), a);
  EXPECT_NE(checkerError(*fx).find(
                "X typestr: T, has unsupported type: tensor(float)"),
            std::string::npos)
      << checkerError(*fx);
  // Requant's 'to' is required.
  auto noTo = makeRequantModel(ElementType::Int32, {1, 2, 3, 3},
                               Tensor::scalar<int64_t>(3),
                               Tensor::scalar<int64_t>(7), a);
  noTo->getGraph().getNodes().front().removeAttr("to");
  EXPECT_NE(checkerError(*noTo).find("Required attribute 'to' is missing"),
            std::string::npos)
      << checkerError(*noTo);
}

} // namespace
