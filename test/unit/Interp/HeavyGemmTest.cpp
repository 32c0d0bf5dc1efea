//===- HeavyGemmTest.cpp - Gemm and MatMul kernels ------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "HeavyTestUtils.h"

using namespace qlc;
using namespace qlc::heavytest;

namespace {

/// op(A) * op(B) for row-major matrices read through getAsDouble.
std::vector<double> refMatMul(const Tensor &a, const Tensor &b, bool ta,
                              bool tb, int64_t aOff = 0, int64_t bOff = 0) {
  int64_t ar = a.getDim(a.getRank() - 2), ac = a.getDim(a.getRank() - 1);
  int64_t br = b.getDim(b.getRank() - 2), bc = b.getDim(b.getRank() - 1);
  int64_t m = ta ? ac : ar, k = ta ? ar : ac, n = tb ? br : bc;
  std::vector<double> c(m * n, 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p)
        c[i * n + j] += a.getAsDouble(aOff + (ta ? p * ac + i : i * ac + p)) *
                        b.getAsDouble(bOff + (tb ? j * bc + p : p * bc + j));
  return c;
}

TEST(HeavyGemmTest, HandComputed) {
  Tensor a = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = f32({3, 2}, {1, 0, 0, 1, 1, 1});
  Tensor c = f32({2}, {10, 20}); // row vector broadcast over rows
  Tensor y = runOk(
      {"Gemm", {a, b, c}, {attrFloat("alpha", 2), attrFloat("beta", 0.5f)}});
  // A*B = [[4,5],[10,11]]; 2*AB + 0.5*C.
  expectClose(y, {13, 20, 25, 32}, {2, 2});
}

TEST(HeavyGemmTest, TransposesAndBroadcasts) {
  std::mt19937 rng(5);
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (std::vector<int64_t> cShape :
           std::vector<std::vector<int64_t>>{{}, {1}, {7}, {5, 1}, {5, 7}}) {
        Tensor a = randomFloat(rng, ta ? std::vector<int64_t>{9, 5}
                                       : std::vector<int64_t>{5, 9});
        Tensor b = randomFloat(rng, tb ? std::vector<int64_t>{7, 9}
                                       : std::vector<int64_t>{9, 7});
        Tensor c = randomFloat(rng, cShape);
        std::vector<double> ref = refMatMul(a, b, ta, tb);
        for (int64_t i = 0; i < 5; ++i)
          for (int64_t j = 0; j < 7; ++j) {
            int64_t ci = cShape.size() == 2
                             ? (cShape[0] == 1 ? 0 : i) * cShape[1] +
                                   (cShape[1] == 1 ? 0 : j)
                         : cShape.size() == 1 ? (cShape[0] == 1 ? 0 : j)
                                              : 0;
            ref[i * 7 + j] = 1.5 * ref[i * 7 + j] - 2 * c.getAsDouble(ci);
          }
        Tensor y =
            runOk({"Gemm",
                   {a, b, c},
                   {attrInt("transA", ta), attrInt("transB", tb),
                    attrFloat("alpha", 1.5f), attrFloat("beta", -2.0f)}});
        expectClose(y, ref, {5, 7});
        // Double through the generic loop.
        Tensor yd = runOk(
            {"Gemm",
             {a.castTo(ElementType::Double), b.castTo(ElementType::Double),
              c.castTo(ElementType::Double)},
             {attrInt("transA", ta), attrInt("transB", tb),
              attrFloat("alpha", 1.5f), attrFloat("beta", -2.0f)}});
        expectClose(yd, ref, {5, 7}, 1e-12, 1e-12);
      }
}

TEST(HeavyGemmTest, NoBiasAndErrors) {
  Tensor a = f32({1, 2}, {1, 2}), b = f32({2, 1}, {3, 4});
  expectClose(runOk({"Gemm", {a, b}}), {11}, {1, 1});
  Tensor bad = f32({3, 1}, {1, 2, 3});
  EXPECT_NE(runError({"Gemm", {a, bad}}).find("inner dimensions"),
            std::string::npos);
  Tensor c = f32({3}, {1, 2, 3});
  EXPECT_NE(runError({"Gemm", {a, b, c}}).find("broadcast"), std::string::npos);
}

TEST(HeavyGemmTest, MatMulVectorsAndBatches) {
  std::mt19937 rng(9);
  Tensor v = randomFloat(rng, {4}), m = randomFloat(rng, {4, 3});
  Tensor vm = runOk({"MatMul", {v, m}});
  Tensor v2 = v;
  v2.reshape({1, 4});
  expectClose(vm, refMatMul(v2, m, false, false), {3});
  Tensor m2 = randomFloat(rng, {3, 4});
  Tensor mv = runOk({"MatMul", {m2, v}});
  Tensor vcol = v;
  vcol.reshape({4, 1});
  expectClose(mv, refMatMul(m2, vcol, false, false), {3});
  // Broadcast batches: [2,1,3,4] x [5,4,2] -> [2,5,3,2].
  Tensor a = randomFloat(rng, {2, 1, 3, 4}), b = randomFloat(rng, {5, 4, 2});
  Tensor y = runOk({"MatMul", {a, b}});
  std::vector<double> ref;
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 5; ++j) {
      std::vector<double> part = refMatMul(a, b, false, false, i * 12, j * 8);
      ref.insert(ref.end(), part.begin(), part.end());
    }
  expectClose(y, ref, {2, 5, 3, 2});
  // A batched left operand against a plain matrix (one folded GEMM).
  Tensor a3 = randomFloat(rng, {3, 2, 4}), w = randomFloat(rng, {4, 5});
  Tensor a3flat = a3;
  a3flat.reshape({6, 4});
  expectClose(runOk({"MatMul", {a3, w}}), refMatMul(a3flat, w, false, false),
              {3, 2, 5});
}

TEST(HeavyGemmTest, MatMulIntegersWrapAround) {
  Tensor a = Tensor::fromValues<int32_t>({1, 2}, {INT32_MAX, 1});
  Tensor b = Tensor::fromValues<int32_t>({2, 1}, {2, 3});
  // INT32_MAX * 2 + 3 wraps to 1 in two's complement.
  Tensor y = runOk({"MatMul", {a, b}});
  expectIntsEqual(y, {1}, {1, 1});
  Tensor bad = f32({3, 1}, {1, 2, 3});
  EXPECT_NE(
      runError({"MatMul", {f32({1, 2}, {1, 2}), bad}}).find("inner dimensions"),
      std::string::npos);
  EXPECT_NE(runError({"MatMul",
                      {f32({2, 2, 2}, std::vector<float>(8, 0)),
                       f32({3, 2, 2}, std::vector<float>(12, 0))}})
                .find("broadcast"),
            std::string::npos);
}

TEST(HeavyGemmTest, EmptyReduction) {
  Tensor a(ElementType::Float, {2, 0}), b(ElementType::Float, {0, 3});
  expectClose(runOk({"MatMul", {a, b}}), std::vector<double>(6, 0.0), {2, 3});
}

} // namespace
