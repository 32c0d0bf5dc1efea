//===- HeavyConvTest.cpp - Conv and ConvTranspose kernels -----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Hand-computed cases, then random shapes compared with a naive reference:
// depthwise with padding and stride, dilations, groups, auto_pad, asymmetric
// pads, batches, 1-D and 3-D, double (the non-oneDNN path), empty and size-1
// dimensions, several threads; and the errors bad shapes must give.
//
//===----------------------------------------------------------------------===//

#include "HeavyTestUtils.h"

using namespace qlc;
using namespace qlc::heavytest;

namespace {

std::vector<double> toDoubles(const Tensor &t) { return t.toDoubles(); }

TEST(HeavyConvTest, HandComputedNoPadding) {
  // 3x3 input 1..9, 2x2 kernel of ones: sums of 2x2 windows, plus bias 1.
  Tensor x = f32({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor w = f32({1, 1, 2, 2}, {1, 1, 1, 1});
  Tensor b = f32({1}, {1});
  Tensor y = runOk({"Conv", {x, w, b}});
  expectClose(y, {13, 17, 25, 29}, {1, 1, 2, 2});
}

TEST(HeavyConvTest, HandComputedPaddedStride) {
  // Pads 1 all round, stride 2, 3x3 kernel of ones over 1..9: corners see
  // four inputs, the centre all nine.
  Tensor x = f32({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor w = f32({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  Tensor y =
      runOk({"Conv",
             {x, w},
             {attrInts("pads", {1, 1, 1, 1}), attrInts("strides", {2, 2})}});
  expectClose(y, {12, 16, 24, 28}, {1, 1, 2, 2});
}

struct ConvCase {
  const char *name;
  std::vector<int64_t> xShape, wShape;
  int64_t group;
  std::vector<int64_t> strides, dilations, pads;
  const char *autoPad;
  bool bias;
  unsigned threads;
};

/// Explicit pads a reference needs for `c` (auto_pad resolved by hand).
RefWindow windowFor(const ConvCase &c) {
  size_t rank = c.xShape.size() - 2;
  RefWindow win;
  for (size_t d = 0; d < rank; ++d) {
    int64_t k = c.wShape[d + 2];
    int64_t s = c.strides.empty() ? 1 : c.strides[d];
    int64_t dil = c.dilations.empty() ? 1 : c.dilations[d];
    int64_t in = c.xShape[d + 2], pb = 0, pe = 0;
    std::string ap = c.autoPad;
    if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
      int64_t out = (in + s - 1) / s;
      int64_t total =
          std::max<int64_t>(0, (out - 1) * s + (k - 1) * dil + 1 - in);
      pb = ap == "SAME_UPPER" ? total / 2 : total - total / 2;
      pe = total - pb;
    } else if (ap == "NOTSET" && !c.pads.empty()) {
      pb = c.pads[d];
      pe = c.pads[d + rank];
    }
    win.kernel.push_back(k);
    win.strides.push_back(s);
    win.dilations.push_back(dil);
    win.padBegin.push_back(pb);
    win.padEnd.push_back(pe);
  }
  return win;
}

class RandomConvTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(RandomConvTest, MatchesReference) {
  const ConvCase &c = GetParam();
  std::mt19937 rng(7);
  Tensor x = randomFloat(rng, c.xShape), w = randomFloat(rng, c.wShape);
  Tensor b = randomFloat(rng, {c.wShape[0]});
  std::vector<NamedAttribute> attrs{attrInt("group", c.group),
                                    attrString("auto_pad", c.autoPad)};
  if (!c.strides.empty())
    attrs.push_back(attrInts("strides", c.strides));
  if (!c.dilations.empty())
    attrs.push_back(attrInts("dilations", c.dilations));
  if (!c.pads.empty())
    attrs.push_back(attrInts("pads", c.pads));
  NodeSpec spec{"Conv", {x, w}, attrs};
  if (c.bias)
    spec.inputs.push_back(b);
  spec.threads = c.threads;
  RefWindow win = windowFor(c);
  std::vector<double> bv = toDoubles(b);
  std::vector<double> ref =
      refConv(toDoubles(x), c.xShape, toDoubles(w), c.wShape,
              c.bias ? &bv : nullptr, c.group, win);
  std::vector<int64_t> outShape{c.xShape[0], c.wShape[0]};
  outShape.insert(outShape.end(), win.outSize.begin(), win.outSize.end());
  expectClose(runOk(spec), ref, outShape);
  // The same through the non-oneDNN path (double).
  spec.inputs[0] = x.castTo(ElementType::Double);
  spec.inputs[1] = w.castTo(ElementType::Double);
  if (c.bias)
    spec.inputs[2] = b.castTo(ElementType::Double);
  Tensor yd = runOk(spec);
  EXPECT_EQ(yd.getElementType(), ElementType::Double);
  expectClose(yd, ref, outShape, 1e-12, 1e-12);
}

const ConvCase kConvCases[] = {
    {"plain3x3",
     {1, 3, 9, 9},
     {4, 3, 3, 3},
     1,
     {},
     {},
     {1, 1, 1, 1},
     "NOTSET",
     true,
     1},
    {"depthwisePadStride",
     {2, 8, 11, 10},
     {8, 1, 3, 3},
     8,
     {2, 2},
     {},
     {1, 1, 1, 1},
     "NOTSET",
     true,
     1},
    {"depthwiseTfSame",
     {1, 16, 12, 12},
     {16, 1, 3, 3},
     16,
     {2, 2},
     {},
     {0, 0, 1, 1},
     "NOTSET",
     true,
     1},
    {"dilations",
     {1, 2, 10, 9},
     {3, 2, 3, 2},
     1,
     {},
     {2, 3},
     {},
     "NOTSET",
     true,
     1},
    {"groups",
     {2, 6, 7, 7},
     {4, 3, 3, 3},
     2,
     {1, 2},
     {},
     {1, 0, 2, 1},
     "NOTSET",
     true,
     1},
    {"sameUpper",
     {1, 3, 8, 7},
     {2, 3, 4, 3},
     1,
     {2, 3},
     {},
     {},
     "SAME_UPPER",
     true,
     1},
    {"sameLower",
     {1, 3, 8, 7},
     {2, 3, 4, 3},
     1,
     {2, 3},
     {},
     {},
     "SAME_LOWER",
     false,
     1},
    {"valid", {1, 2, 9, 8}, {2, 2, 3, 3}, 1, {2, 2}, {}, {}, "VALID", true, 1},
    {"asymmetricPads",
     {1, 4, 6, 5},
     {5, 4, 2, 3},
     1,
     {},
     {},
     {0, 2, 3, 1},
     "NOTSET",
     true,
     1},
    {"pointwiseBatch",
     {3, 16, 5, 5},
     {32, 16, 1, 1},
     1,
     {},
     {},
     {},
     "NOTSET",
     true,
     1},
    {"oneD", {2, 3, 17}, {4, 3, 5}, 1, {2}, {2}, {3, 1}, "NOTSET", true, 1},
    {"threeD",
     {1, 2, 5, 6, 4},
     {3, 2, 3, 2, 2},
     1,
     {1, 2, 1},
     {},
     {},
     "NOTSET",
     true,
     1},
    {"fourD",
     {1, 2, 3, 4, 3, 3},
     {2, 2, 2, 2, 2, 2},
     1,
     {},
     {},
     {},
     "NOTSET",
     true,
     1},
    {"sizeOneDims",
     {1, 1, 1, 1},
     {1, 1, 1, 1},
     1,
     {},
     {},
     {},
     "NOTSET",
     true,
     1},
    {"twoThreads",
     {4, 8, 12, 12},
     {16, 4, 3, 3},
     2,
     {},
     {},
     {1, 1, 1, 1},
     "NOTSET",
     true,
     2},
};

INSTANTIATE_TEST_SUITE_P(Shapes, RandomConvTest,
                         ::testing::ValuesIn(kConvCases),
                         [](const auto &info) { return info.param.name; });

TEST(HeavyConvTest, BatchSizeChangesBetweenRuns) {
  // One kernel object sees two batch sizes (its oneDNN plan is rebuilt).
  std::mt19937 rng(3);
  Tensor w = randomFloat(rng, {4, 2, 3, 3});
  for (int64_t n : {1, 3, 1}) {
    Tensor x = randomFloat(rng, {n, 2, 6, 6});
    RefWindow win{{3, 3}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, {}};
    std::vector<double> ref =
        refConv(x.toDoubles(), x.getShape(), w.toDoubles(), w.getShape(),
                nullptr, 1, win);
    expectClose(runOk({"Conv", {x, w}}), ref, {n, 4, 4, 4});
  }
}

TEST(HeavyConvTest, EmptyBatch) {
  Tensor x(ElementType::Float, {0, 2, 5, 5});
  Tensor w = f32({3, 2, 1, 1}, std::vector<float>(6, 1.0f));
  Tensor y = runOk({"Conv", {x, w}});
  EXPECT_EQ(formatShape(y.getShape()), "[0, 3, 5, 5]");
}

TEST(HeavyConvTest, Float16ComputesInFloat) {
  Tensor x = f32({1, 1, 2, 2}, {1, 2, 3, 4}).castTo(ElementType::Float16);
  Tensor w = f32({1, 1, 1, 1}, {0.5f}).castTo(ElementType::Float16);
  Tensor y = runOk({"Conv", {x, w}});
  ASSERT_EQ(y.getElementType(), ElementType::Float16);
  expectClose(y, {0.5, 1, 1.5, 2}, {1, 1, 2, 2});
}

TEST(HeavyConvTest, RejectsBadShapes) {
  Tensor x = f32({1, 3, 4, 4}, std::vector<float>(48, 0));
  Tensor w = f32({2, 2, 3, 3}, std::vector<float>(36, 0));
  EXPECT_NE(runError({"Conv", {x, w}}).find("input channels"),
            std::string::npos);
  Tensor w3 = f32({2, 3, 3, 3}, std::vector<float>(54, 0));
  EXPECT_NE(runError({"Conv", {x, w3}, {attrInt("group", 2)}}).find("group"),
            std::string::npos);
  EXPECT_NE(runError({"Conv", {x, w3}, {attrInts("kernel_shape", {2, 2})}})
                .find("kernel_shape"),
            std::string::npos);
  EXPECT_NE(runError({"Conv", {x, w3}, {attrString("auto_pad", "SAME")}})
                .find("auto_pad"),
            std::string::npos);
  Tensor big = f32({2, 3, 5, 5}, std::vector<float>(150, 0));
  EXPECT_NE(runError({"Conv", {x, big}}).find("does not fit"),
            std::string::npos);
  Tensor b = f32({3}, {0, 0, 0});
  EXPECT_NE(runError({"Conv", {x, w3, b}}).find("bias"), std::string::npos);
  Tensor xi(ElementType::Int32, {1, 3, 4, 4});
  EXPECT_NE(runError({"Conv", {xi, w3}}).find("element type"),
            std::string::npos);
}

TEST(HeavyConvTest, ConvTransposeHandComputed) {
  // ONNX's documented example: 3x3 input 0..8, two 3x3 kernels of ones.
  Tensor x = f32({1, 1, 3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8});
  Tensor w = f32({1, 2, 3, 3}, std::vector<float>(18, 1.0f));
  Tensor y = runOk({"ConvTranspose", {x, w}});
  std::vector<double> plane = {0,  1,  3,  3,  2,  3,  8, 15, 12,
                               7,  9,  21, 36, 27, 15, 9, 20, 33,
                               24, 13, 6,  13, 21, 15, 8};
  std::vector<double> expected = plane;
  expected.insert(expected.end(), plane.begin(), plane.end());
  expectClose(y, expected, {1, 2, 5, 5});
}

/// ConvTranspose by its definition: scatter every input times the kernel.
std::vector<double> refConvTranspose(const Tensor &x, const Tensor &w,
                                     int64_t group, int64_t s, int64_t d,
                                     int64_t pb, std::vector<int64_t> outHW) {
  int64_t n = x.getDim(0), c = x.getDim(1), h = x.getDim(2), wd = x.getDim(3);
  int64_t mg = w.getDim(1), cg = c / group, m = mg * group;
  int64_t kh = w.getDim(2), kw = w.getDim(3);
  std::vector<double> y(n * m * outHW[0] * outHW[1], 0.0);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ic = 0; ic < c; ++ic)
      for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < wd; ++j)
          for (int64_t oc = 0; oc < mg; ++oc)
            for (int64_t ki = 0; ki < kh; ++ki)
              for (int64_t kj = 0; kj < kw; ++kj) {
                int64_t oi = i * s - pb + ki * d, oj = j * s - pb + kj * d;
                if (oi < 0 || oi >= outHW[0] || oj < 0 || oj >= outHW[1])
                  continue;
                int64_t g = ic / cg, och = g * mg + oc;
                y[((b * m + och) * outHW[0] + oi) * outHW[1] + oj] +=
                    x.getAsDouble(((b * c + ic) * h + i) * wd + j) *
                    w.getAsDouble(((ic * mg + oc) * kh + ki) * kw + kj);
              }
  return y;
}

TEST(HeavyConvTest, ConvTransposeRandomMatchesReference) {
  std::mt19937 rng(11);
  Tensor x = randomFloat(rng, {2, 4, 5, 6});
  Tensor w = randomFloat(rng, {4, 3, 3, 3}); // group 2: 6 output channels
  // stride 2, dilation 2, pads 1, output_padding 1:
  // out = 2*(in-1) + 1 + (3-1)*2+1 - 2 = 2*in + 2.
  Tensor y =
      runOk({"ConvTranspose",
             {x, w},
             {attrInt("group", 2), attrInts("strides", {2, 2}),
              attrInts("dilations", {2, 2}), attrInts("pads", {1, 1, 1, 1}),
              attrInts("output_padding", {1, 1})}});
  expectClose(y, refConvTranspose(x, w, 2, 2, 2, 1, {12, 14}), {2, 6, 12, 14});
  // output_shape larger than the natural size grows at the end.
  Tensor y2 = runOk({"ConvTranspose",
                     {x, w},
                     {attrInt("group", 2), attrInts("strides", {2, 2}),
                      attrInts("output_shape", {12, 15})}});
  expectClose(y2, refConvTranspose(x, w, 2, 2, 1, 0, {12, 15}), {2, 6, 12, 15});
}

TEST(HeavyConvTest, ConvTransposeRejectsBadWeights) {
  Tensor x = f32({1, 2, 3, 3}, std::vector<float>(18, 0));
  Tensor w = f32({3, 1, 2, 2}, std::vector<float>(12, 0));
  EXPECT_NE(runError({"ConvTranspose", {x, w}}).find("input channels"),
            std::string::npos);
}

} // namespace
