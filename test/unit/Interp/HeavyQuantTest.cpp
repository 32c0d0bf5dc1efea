//===- HeavyQuantTest.cpp - Quantisation and integer kernels --------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Rounding (half to even) and saturation of QuantizeLinear, negative and
// per-axis zero points, DequantizeLinear, and the exact integer ops
// (ConvInteger, MatMulInteger, QLinearConv, QLinearMatMul) against int64
// references on random shapes, including int32 accumulation at its limits.
//
//===----------------------------------------------------------------------===//

#include "HeavyTestUtils.h"
#include "Kernels/IntGemm.h"

#include <cmath>

using namespace qlc;
using namespace qlc::heavytest;
using namespace qlc::interp;

namespace {

template <typename T> Tensor make(std::vector<int64_t> s, std::vector<T> v) {
  return Tensor::fromValues<T>(s, v);
}

TEST(HeavyQuantTest, QuantizeRoundsHalfToEvenAndSaturates) {
  Tensor x = f32({9}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 300, -300, 3.4f});
  Tensor y = runOk({"QuantizeLinear", {x, f32({}, {1})}});
  expectIntsEqual(y, {0, 2, 2, 0, 0, 0, 255, 0, 3}, {9});
  EXPECT_EQ(y.getElementType(), ElementType::UInt8);
  // int8 with a negative zero point: round(x) - 3, saturated to [-128, 127].
  Tensor zp = make<int8_t>({}, {-3});
  Tensor s = runOk({"QuantizeLinear", {x, f32({}, {1}), zp}});
  expectIntsEqual(s, {-3, -1, -1, -3, -5, -5, 127, -128, 0}, {9});
  // Scale division: 1 / 0.25 = 4; 0.625 / 0.25 = 2.5 -> 2.
  Tensor q = runOk(
      {"QuantizeLinear",
       {f32({2}, {1, 0.625f}), f32({}, {0.25f}), make<uint8_t>({}, {10})}});
  expectIntsEqual(q, {14, 12}, {2});
}

TEST(HeavyQuantTest, QuantizePerAxisAndBlocked) {
  Tensor x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor scale = f32({3}, {1, 2, 4});
  Tensor zp = make<int8_t>({3}, {0, -1, 1});
  Tensor y = runOk({"QuantizeLinear", {x, scale, zp}, {attrInt("axis", 1)}});
  // 1/1, 2/2-1, 3/4=0.75->1 +1; 4/1, 5/2=2.5->2 -1, 6/4=1.5->2 +1.
  expectIntsEqual(y, {1, 0, 2, 4, 1, 3}, {2, 3});
  Tensor scale0 = f32({2}, {1, 10});
  expectIntsEqual(runOk({"QuantizeLinear",
                         {x, scale0, make<uint8_t>({2}, {0, 0})},
                         {attrInt("axis", 0)}}),
                  {1, 2, 3, 0, 0, 1}, {2, 3});
  // Blocks of 2 along axis 1: blocks {0,1} and {2}.
  Tensor bs = f32({2, 2}, {1, 3, 2, 6});
  expectIntsEqual(runOk({"QuantizeLinear",
                         {x, bs, make<uint8_t>({2, 2}, {0, 0, 0, 0})},
                         {attrInt("axis", 1), attrInt("block_size", 2)},
                         1,
                         21}),
                  {1, 2, 1, 2, 2, 1}, {2, 3});
  EXPECT_NE(runError({"QuantizeLinear", {x, f32({2}, {1, 2})}}).find("scale"),
            std::string::npos);
  EXPECT_NE(runError({"QuantizeLinear", {x, f32({}, {1}), f32({}, {0})}})
                .find("zero point"),
            std::string::npos);
}

TEST(HeavyQuantTest, DequantizePerTensorPerAxisAndInt32) {
  Tensor x = make<int8_t>({2, 2}, {-128, 127, 0, -1});
  Tensor y =
      runOk({"DequantizeLinear", {x, f32({}, {0.5f}), make<int8_t>({}, {-2})}});
  expectClose(y, {-63, 64.5, 1, 0.5}, {2, 2}, 0, 0);
  Tensor ya = runOk({"DequantizeLinear",
                     {x, f32({2}, {1, 2}), make<int8_t>({2}, {1, -1})},
                     {attrInt("axis", 0)}});
  expectClose(ya, {-129, 126, 2, 0}, {2, 2}, 0, 0);
  Tensor xi = make<int32_t>({2}, {-1000000, 7});
  expectClose(runOk({"DequantizeLinear", {xi, f32({}, {0.5f})}}),
              {-500000, 3.5}, {2}, 0, 0);
  EXPECT_NE(
      runError({"DequantizeLinear", {xi, f32({}, {1}), make<int32_t>({}, {1})}})
          .find("zero point"),
      std::string::npos);
}

TEST(HeavyQuantTest, DynamicQuantizeLinear) {
  // ONNX's example: [0, 2, -3, -2.5, 1.34, 0.5].
  auto outs = runNode({"DynamicQuantizeLinear",
                       {f32({6}, {0, 2, -3, -2.5f, 1.34f, 0.5f})},
                       {},
                       3});
  ASSERT_TRUE(bool(outs)) << llvm::toString(outs.takeError());
  expectIntsEqual((*outs)[0], {153, 255, 0, 26, 221, 179}, {6});
  expectClose((*outs)[1], {5.0 / 255}, {}, 1e-7, 0);
  expectIntsEqual((*outs)[2], {153}, {});
}

/// Int64 reference of sum (a - za[row]) (b - zb[col]).
std::vector<int64_t> refIntMatMul(const Tensor &a, const Tensor &b,
                                  std::vector<int64_t> za,
                                  std::vector<int64_t> zb) {
  int64_t m = a.getDim(0), k = a.getDim(1), n = b.getDim(1);
  std::vector<int64_t> c(m * n, 0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p)
        c[i * n + j] += (a.getAsInt64(i * k + p) - za[za.size() > 1 ? i : 0]) *
                        (b.getAsInt64(p * n + j) - zb[zb.size() > 1 ? j : 0]);
  return c;
}

TEST(HeavyQuantTest, MatMulIntegerZeroPointsPerRowAndColumn) {
  std::mt19937 rng(13);
  for (ElementType at : {ElementType::UInt8, ElementType::Int8})
    for (ElementType bt : {ElementType::UInt8, ElementType::Int8}) {
      Tensor a = randomInt(rng, at, {7, 45}), b = randomInt(rng, bt, {45, 9});
      Tensor za = randomInt(rng, at, {7}), zb = randomInt(rng, bt, {9});
      Tensor y = runOk({"MatMulInteger", {a, b, za, zb}});
      expectIntsEqual(y, refIntMatMul(a, b, za.toInt64s(), zb.toInt64s()),
                      {7, 9});
      Tensor zs = randomInt(rng, at, {});
      Tensor ys = runOk({"MatMulInteger", {a, b, zs}});
      expectIntsEqual(ys, refIntMatMul(a, b, zs.toInt64s(), {0}), {7, 9});
    }
}

TEST(HeavyQuantTest, MatMulIntegerBatchedBroadcast) {
  std::mt19937 rng(17);
  Tensor a = randomInt(rng, ElementType::UInt8, {3, 2, 5});
  Tensor b = randomInt(rng, ElementType::Int8, {5, 4});
  Tensor y = runOk({"MatMulInteger", {a, b}});
  std::vector<int64_t> ref;
  for (int64_t i = 0; i < 3; ++i) {
    Tensor slice = Tensor::fromValues<uint8_t>(
        {2, 5}, a.getData<uint8_t>().slice(i * 10, 10));
    std::vector<int64_t> part = refIntMatMul(slice, b, {0}, {0});
    ref.insert(ref.end(), part.begin(), part.end());
  }
  expectIntsEqual(y, ref, {3, 2, 4});
}

TEST(HeavyQuantTest, IntegerAccumulationAtTheInt32Limit) {
  // (0 - 255) * (0 - 255) = 65025 per term: 33025 terms reach 2147450625
  // (exact in int32), 33026 terms pass INT32_MAX and wrap around.
  for (int64_t k : {int64_t(33025), int64_t(33026)}) {
    Tensor a(ElementType::UInt8, {1, k}), b(ElementType::UInt8, {k, 2});
    Tensor z = make<uint8_t>({}, {255});
    Tensor y = runOk({"MatMulInteger", {a, b, z, z}});
    int64_t exact = 65025 * k;
    int32_t wrapped = static_cast<int32_t>(static_cast<uint32_t>(exact));
    expectIntsEqual(y, {wrapped, wrapped}, {1, 2});
  }
}

TEST(HeavyQuantTest, ConvIntegerMatchesReference) {
  std::mt19937 rng(23);
  struct Case {
    std::vector<int64_t> x, w;
    int64_t group;
    std::vector<int64_t> strides, pads;
  };
  for (const Case &c :
       {Case{{2, 4, 7, 6}, {6, 2, 3, 3}, 2, {1, 2}, {1, 1, 0, 2}},
        Case{{1, 8, 9, 9}, {8, 1, 3, 3}, 8, {2, 2}, {0, 0, 1, 1}},
        Case{{1, 5, 4, 4}, {7, 5, 1, 1}, 1, {1, 1}, {0, 0, 0, 0}},
        Case{{1, 3, 10}, {2, 3, 4}, 1, {3}, {2, 1}},
        // Large enough for several 64-column GEMM tiles, odd reductions.
        Case{{2, 6, 19, 21}, {10, 3, 3, 2}, 2, {2, 1}, {2, 0, 1, 3}},
        Case{{1, 5, 17, 16}, {6, 5, 3, 3}, 1, {1, 1}, {1, 1, 1, 1}}}) {
    Tensor x = randomInt(rng, ElementType::UInt8, c.x);
    Tensor w = randomInt(rng, ElementType::Int8, c.w);
    Tensor xz = make<uint8_t>({}, {131});
    Tensor wz = randomInt(rng, ElementType::Int8, {c.w[0]}); // per channel
    Tensor y =
        runOk({"ConvInteger",
               {x, w, xz, wz},
               {attrInt("group", c.group), attrInts("strides", c.strides),
                attrInts("pads", c.pads)}});
    size_t rank = c.x.size() - 2;
    RefWindow win;
    for (size_t d = 0; d < rank; ++d) {
      win.kernel.push_back(c.w[d + 2]);
      win.strides.push_back(c.strides[d]);
      win.dilations.push_back(1);
      win.padBegin.push_back(c.pads[d]);
      win.padEnd.push_back(c.pads[d + rank]);
    }
    std::vector<double> ref =
        refConv(x.toDoubles(), c.x, w.toDoubles(), c.w, nullptr, c.group, win,
                131, wz.toDoubles());
    std::vector<int64_t> refInts(ref.begin(), ref.end());
    std::vector<int64_t> shape{c.x[0], c.w[0]};
    shape.insert(shape.end(), win.outSize.begin(), win.outSize.end());
    expectIntsEqual(y, refInts, shape);
    EXPECT_EQ(y.getElementType(), ElementType::Int32);
  }
}

TEST(HeavyQuantTest, QLinearMatMulRequantises) {
  // ONNX's QLinearMatMul example (2-D).
  Tensor a = make<uint8_t>({2, 4}, {208, 236, 0, 238, 3, 214, 255, 29});
  Tensor b = make<uint8_t>(
      {4, 3}, {152, 51, 244, 60, 26, 255, 0, 127, 246, 127, 254, 247});
  Tensor y = runOk({"QLinearMatMul",
                    {a, f32({}, {0.0066f}), make<uint8_t>({}, {113}), b,
                     f32({}, {0.00705f}), make<uint8_t>({}, {114}),
                     f32({}, {0.0107f}), make<uint8_t>({}, {118})}});
  expectIntsEqual(y, {168, 115, 255, 1, 66, 151}, {2, 3});
}

TEST(HeavyQuantTest, QLinearConvMatchesReference) {
  std::mt19937 rng(29);
  Tensor x = randomInt(rng, ElementType::Int8, {2, 4, 6, 6});
  Tensor w = randomInt(rng, ElementType::Int8, {4, 2, 3, 3});
  Tensor wScale = f32({4}, {0.01f, 0.02f, 0.005f, 0.03f});
  Tensor bias = make<int32_t>({4}, {100, -2000, 0, 12345});
  float xs = 0.05f, ys = 0.9f;
  Tensor y = runOk(
      {"QLinearConv",
       {x, f32({}, {xs}), make<int8_t>({}, {-7}), w, wScale,
        make<int8_t>({}, {0}), f32({}, {ys}), make<int8_t>({}, {5}), bias},
       {attrInt("group", 2), attrInts("pads", {1, 1, 1, 1})}});
  RefWindow win{{3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {}};
  std::vector<double> acc = refConv(x.toDoubles(), x.getShape(), w.toDoubles(),
                                    w.getShape(), nullptr, 2, win, -7, {0});
  std::vector<int64_t> ref;
  for (size_t i = 0; i < acc.size(); ++i) {
    int64_t c = (i / 36) % 4;
    float mult = xs * wScale.getData<float>()[c] / ys;
    float v = float(int32_t(acc[i]) + bias.getData<int32_t>()[c]) * mult;
    ref.push_back(std::min<int64_t>(
        127, std::max<int64_t>(-128, int64_t(std::nearbyint(v)) + 5)));
  }
  expectIntsEqual(y, ref, {2, 4, 6, 6});
  EXPECT_EQ(y.getElementType(), ElementType::Int8);
}

TEST(HeavyQuantTest, IntegerOpsRejectBadInputs) {
  Tensor a = f32({2, 2}, {1, 2, 3, 4});
  EXPECT_NE(runError({"MatMulInteger", {a, a}}).find("int8"),
            std::string::npos);
  Tensor u = make<uint8_t>({2, 2}, {1, 2, 3, 4});
  EXPECT_NE(runError({"MatMulInteger", {u, u, make<uint8_t>({3}, {1, 2, 3})}})
                .find("zero point"),
            std::string::npos);
  Tensor x = make<uint8_t>({1, 1, 2, 2}, {1, 2, 3, 4});
  EXPECT_NE(runError({"ConvInteger", {x, x, make<int8_t>({}, {0})}})
                .find("zero point"),
            std::string::npos);
}

} // namespace

TEST(HeavyQuantTest, IntGemmKernelsAgreeOnEveryIsaAndTileTail) {
  // Row counts around the 4-row tiles, odd and even depths, and column
  // counts around the 16- and 64-column tiles, on every kernel this CPU
  // can run; each against an int64 reference.
  std::mt19937 rng(29);
  std::uniform_int_distribution<int> value(-255, 255);
  IntGemmIsa best = getIntGemmIsa();
  for (IntGemmIsa isa :
       {IntGemmIsa::Scalar, IntGemmIsa::Avx2, IntGemmIsa::Avx512}) {
    if (isa > best)
      continue;
    setIntGemmIsa(isa);
    for (int64_t m : {1, 3, 4, 6, 9})
      for (int64_t k : {1, 2, 7, 288})
        for (int64_t n : {1, 15, 16, 17, 64, 65, 150}) {
          int64_t lda = getPairedDepth(k);
          std::vector<int16_t> a(m * lda, 0), b(lda * n, 0);
          std::vector<int64_t> ref(m * n, 0);
          for (int64_t i = 0; i < m; ++i)
            for (int64_t p = 0; p < k; ++p)
              a[i * lda + p] = static_cast<int16_t>(value(rng));
          for (int64_t p = 0; p < k; ++p)
            for (int64_t j = 0; j < n; ++j)
              b[getPackedIndex(p, j, n)] = static_cast<int16_t>(value(rng));
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j)
              for (int64_t p = 0; p < k; ++p)
                ref[i * n + j] +=
                    int64_t(a[i * lda + p]) * b[getPackedIndex(p, j, n)];
          std::vector<int32_t> c(m * n, -1);
          gemmInt16(m, n, k, a.data(), lda, b.data(), c.data(), n, 1);
          for (int64_t i = 0; i < m * n; ++i)
            ASSERT_EQ(c[i], ref[i]) << "isa " << int(isa) << " m " << m << " k "
                                    << k << " n " << n << " at " << i;
        }
  }
  setIntGemmIsa(best);
}
