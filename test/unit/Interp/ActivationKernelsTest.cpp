//===- ActivationKernelsTest.cpp - Activations, Clip, Softmax -------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Clip across opsets and on integers, PRelu broadcasting, numerically
// delicate activations, and Softmax / LogSoftmax / Hardmax axis semantics
// before and after opset 13.
//
//===----------------------------------------------------------------------===//

#include "LightKernelTestUtils.h"

#include <cmath>
#include <limits>

using namespace qlc;
using namespace qlc::test;

namespace {

TEST(ActivationKernels, ReluOnFloatAndInt) {
  expectTensor<float>(runOk({"Relu", {f32({3}, {-1, 0, 2})}}), {3}, {0, 0, 2});
  expectTensor<int8_t>(runOk({"Relu", {make<int8_t>({3}, {-128, 0, 127})}}),
                       {3}, {0, 0, 127});
}

TEST(ActivationKernels, LeakyReluDefaultAlpha) {
  expectNear(runOk({"LeakyRelu", {f32({2}, {-10, 3})}}), {2}, {-0.1f, 3});
  expectNear(
      runOk({"LeakyRelu", {f32({1}, {-10})}, {attrFloat("alpha", 0.5f)}}), {1},
      {-5});
}

TEST(ActivationKernels, PReluBroadcastsSlope) {
  Tensor out = runOk(
      {"PRelu",
       {f32({2, 3}, {-1, -1, -1, 1, -2, -3}), f32({3}, {0.1f, 0.2f, 0.3f})}});
  expectNear(out, {2, 3}, {-0.1f, -0.2f, -0.3f, 1, -0.4f, -0.9f});
  Tensor chan = runOk(
      {"PRelu", {f32({1, 2, 2}, {-1, -1, -1, 2}), f32({2, 1}, {0.5f, 2})}});
  expectNear(chan, {1, 2, 2}, {-0.5f, -0.5f, -2, 2});
  std::string msg =
      runError({"PRelu", {f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({2}, {1, 1})}});
  EXPECT_EQ(
      msg,
      "'n' (PRelu): slope shape [2] does not broadcast to input shape [2, 3]");
}

TEST(ActivationKernels, ClipOpset6UsesAttributes) {
  Tensor out = runOk({"Clip",
                      {f32({4}, {-5, -0.5f, 0.5f, 5})},
                      {attrFloat("min", -1), attrFloat("max", 1)},
                      /*opset=*/6});
  expectTensor<float>(out, {4}, {-1, -0.5f, 0.5f, 1});
  // Without attributes nothing is clipped.
  Tensor none = runOk({"Clip", {f32({2}, {-1e30f, 1e30f})}, {}, 6});
  expectTensor<float>(none, {2}, {-1e30f, 1e30f});
}

TEST(ActivationKernels, ClipOnIntegersIsExact) {
  Tensor out = runOk({"Clip",
                      {make<int8_t>({5}, {-128, -5, 0, 5, 127}),
                       make<int8_t>({}, {-3}), make<int8_t>({}, {4})}});
  expectTensor<int8_t>(out, {5}, {-3, -3, 0, 4, 4});
  // Only max: min is an omitted optional input.
  Tensor onlyMax =
      runOk({"Clip", {i32({2}, {-10, 10}), Tensor(), i32({}, {5})}});
  expectTensor<int32_t>(onlyMax, {2}, {-10, 5});
  uint64_t big = (uint64_t(1) << 63) + 5;
  Tensor u = runOk({"Clip",
                    {make<uint64_t>({2}, {big, 7}), Tensor(),
                     make<uint64_t>({}, {big - 4})}});
  expectTensor<uint64_t>(u, {2}, {big - 4, 7});
}

TEST(ActivationKernels, ClipMinAboveMaxGivesMax) {
  Tensor out =
      runOk({"Clip", {f32({3}, {0, 5, 10}), f32({}, {6}), f32({}, {2})}});
  expectTensor<float>(out, {3}, {2, 2, 2});
}

TEST(ActivationKernels, ClipKeepsNaNAndChecksBounds) {
  Tensor out = runOk({"Clip", {f32({1}, {NAN}), f32({}, {0}), f32({}, {1})}});
  EXPECT_TRUE(std::isnan(out.getData<float>()[0]));
  std::string msg = runError({"Clip", {f32({1}, {1}), i32({}, {0})}});
  EXPECT_EQ(msg, "'n' (Clip): min has element type int32, expected float");
  msg = runError({"Clip", {f32({1}, {1}), f32({2}, {0, 1})}});
  EXPECT_EQ(msg, "'n' (Clip): min must be a scalar, got shape [2]");
}

TEST(ActivationKernels, SigmoidAndSoftplusDoNotOverflow) {
  expectNear(runOk({"Sigmoid", {f32({3}, {-100, 0, 100})}}), {3}, {0, 0.5f, 1});
  expectNear(runOk({"Softplus", {f32({3}, {-100, 0, 100})}}), {3},
             {0, 0.6931472f, 100});
}

TEST(ActivationKernels, HardSigmoidAndHardSwish) {
  expectNear(runOk({"HardSigmoid", {f32({3}, {-5, 0, 1})}}), {3},
             {0, 0.5f, 0.7f});
  expectNear(runOk({"HardSwish", {f32({4}, {-4, 0, 1, 4})}}), {4},
             {0, 0, 0.6666667f, 4});
}

TEST(ActivationKernels, EluSeluCelu) {
  expectNear(runOk({"Elu", {f32({2}, {-1, 2})}, {attrFloat("alpha", 2)}}), {2},
             {-1.2642411f, 2});
  expectNear(runOk({"Selu", {f32({2}, {-1, 1})}}), {2},
             {-1.1113307f, 1.0507010f});
  expectNear(runOk({"Celu", {f32({2}, {-1, 1})}}), {2}, {-0.6321206f, 1});
}

//===----------------------------------------------------------------------===//
// Softmax family
//===----------------------------------------------------------------------===//

Tensor iota3d() { return f32({2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7}); }

TEST(SoftmaxKernels, Opset11FlattensFromAxis) {
  // Default axis 1: rows of 4 elements.
  Tensor out = runOk({"Softmax", {iota3d()}, {}, /*opset=*/11});
  std::vector<float> row = {0.0320586f, 0.0871443f, 0.2368828f, 0.6439142f};
  std::vector<float> want = row;
  want.insert(want.end(), row.begin(), row.end());
  expectNear(out, {2, 2, 2}, want);
  // axis 2: rows of 2.
  Tensor last = runOk({"Softmax", {iota3d()}, {attrInt("axis", 2)}, 11});
  expectNear(last, {2, 2, 2},
             {0.2689414f, 0.7310586f, 0.2689414f, 0.7310586f, 0.2689414f,
              0.7310586f, 0.2689414f, 0.7310586f});
}

TEST(SoftmaxKernels, Opset13NormalisesOneAxis) {
  Tensor last = runOk({"Softmax", {iota3d()}, {}, /*opset=*/13});
  expectNear(last, {2, 2, 2},
             {0.2689414f, 0.7310586f, 0.2689414f, 0.7310586f, 0.2689414f,
              0.7310586f, 0.2689414f, 0.7310586f});
  // axis 1 pairs x[i,0,k] with x[i,1,k], which differ by 2.
  Tensor mid = runOk({"Softmax", {iota3d()}, {attrInt("axis", 1)}, 13});
  expectNear(mid, {2, 2, 2},
             {0.1192029f, 0.1192029f, 0.8807971f, 0.8807971f, 0.1192029f,
              0.1192029f, 0.8807971f, 0.8807971f});
}

TEST(SoftmaxKernels, LargeValuesAreStable) {
  expectNear(runOk({"Softmax", {f32({2}, {1000, 1001})}}), {2},
             {0.2689414f, 0.7310586f});
  expectNear(runOk({"LogSoftmax", {f32({2}, {1000, 1001})}}), {2},
             {-1.3132617f, -0.3132617f});
}

TEST(SoftmaxKernels, HardmaxPicksTheFirstMaximum) {
  Tensor out = runOk({"Hardmax", {f32({2, 3}, {3, 3, 1, 0, 2, 2})}});
  expectTensor<float>(out, {2, 3}, {1, 0, 0, 0, 1, 0});
}

TEST(SoftmaxKernels, AxisOutOfRange) {
  EXPECT_EQ(runError({"Softmax", {f32({2}, {1, 2})}, {attrInt("axis", 1)}, 13}),
            "'n' (Softmax): axis 1 is out of range for rank 1");
}

} // namespace
