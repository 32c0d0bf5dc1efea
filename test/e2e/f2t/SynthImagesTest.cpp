//===- SynthImagesTest.cpp - Tests of the synthetic image generator -------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Checks synth::makeSynthImages: the arrays' shapes and types, pixel values
// on the integer grid 0..255 times the scale, determinism for a seed and
// variation across seeds and images, spatial structure (neighbouring pixels
// closer than random pairs), and rejection of bad options.
//
//===----------------------------------------------------------------------===//

#include "SynthImages.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

using namespace qlc;
using namespace qlc::synth;

namespace {

SynthOptions smallOptions(uint64_t seed = 1) {
  SynthOptions o;
  o.count = 4;
  o.channels = 3;
  o.height = 16;
  o.width = 12;
  o.seed = seed;
  return o;
}

NpzArrays make(const SynthOptions &o) {
  auto arrays = makeSynthImages(o);
  EXPECT_TRUE(static_cast<bool>(arrays)) << llvm::toString(arrays.takeError());
  return arrays ? std::move(*arrays) : NpzArrays{};
}

bool sameBytes(const Tensor &a, const Tensor &b) {
  return a.getByteSize() == b.getByteSize() &&
         std::memcmp(a.getRawData(), b.getRawData(), a.getByteSize()) == 0;
}

TEST(SynthImages, ShapesTypesAndPlaceholderLabels) {
  NpzArrays arrays = make(smallOptions());
  const Tensor *x = findNpzArray(arrays, "x");
  const Tensor *y = findNpzArray(arrays, "y");
  ASSERT_TRUE(x && y);
  EXPECT_EQ(x->getElementType(), ElementType::Float);
  EXPECT_EQ(x->getShape(), llvm::ArrayRef<int64_t>({4, 3, 16, 12}));
  EXPECT_EQ(y->getElementType(), ElementType::Int64);
  EXPECT_EQ(y->getShape(), llvm::ArrayRef<int64_t>({4}));
  for (int64_t label : y->getData<int64_t>())
    EXPECT_EQ(label, 0);
}

TEST(SynthImages, PixelsLieOnTheScaledIntegerGrid) {
  for (double scale : {1.0, 1.0 / 255}) {
    SynthOptions o = smallOptions();
    o.scale = scale;
    NpzArrays arrays = make(o);
    const Tensor *x = findNpzArray(arrays, "x");
    ASSERT_TRUE(x);
    bool sawLow = false, sawHigh = false;
    for (float v : x->getData<float>()) {
      double pixel = v / scale;
      ASSERT_GE(pixel, -1e-3);
      ASSERT_LE(pixel, 255 + 1e-3);
      EXPECT_NEAR(pixel, std::round(pixel), 1e-3);
      sawLow |= pixel < 64;
      sawHigh |= pixel > 192;
    }
    EXPECT_TRUE(sawLow && sawHigh) << "pixels do not span the range";
  }
}

TEST(SynthImages, SameSeedSameBytesOtherSeedOtherImages) {
  NpzArrays a = make(smallOptions(7)), b = make(smallOptions(7)),
            c = make(smallOptions(8));
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_TRUE(sameBytes(a[0].tensor, b[0].tensor));
  EXPECT_FALSE(sameBytes(a[0].tensor, c[0].tensor));
}

TEST(SynthImages, ImagesDifferAndAreSpatiallySmooth) {
  SynthOptions o = smallOptions(3);
  NpzArrays arrays = make(o);
  ASSERT_EQ(arrays.size(), 2u);
  auto xs = arrays[0].tensor.getData<float>();
  int64_t perImage = o.channels * o.height * o.width;
  for (int64_t i = 1; i < o.count; ++i)
    EXPECT_NE(std::memcmp(&xs[0], &xs[i * perImage], perImage * sizeof(float)),
              0)
        << "image " << i << " repeats image 0";
  // Mean |difference| of horizontal neighbours vs pixels half an image
  // apart: smooth fields with shapes keep neighbours much closer.
  double near = 0, far = 0;
  int64_t n = 0;
  for (int64_t i = 0; i < o.count * o.channels * o.height; ++i) {
    const float *row = &xs[i * o.width];
    for (int64_t x = 0; x + o.width / 2 < o.width; ++x, ++n) {
      near += std::fabs(row[x + 1] - row[x]);
      far += std::fabs(row[x + o.width / 2] - row[x]);
    }
  }
  EXPECT_LT(near, 0.5 * far);
}

TEST(SynthImages, RejectsBadOptions) {
  SynthOptions o = smallOptions();
  EXPECT_FALSE(llvm::errorToBool(checkOptions(o)));
  o.count = 0;
  EXPECT_TRUE(llvm::errorToBool(checkOptions(o)));
  auto expectError = [](SynthOptions bad, const char *what) {
    auto arrays = makeSynthImages(bad);
    ASSERT_FALSE(static_cast<bool>(arrays)) << what;
    EXPECT_FALSE(llvm::toString(arrays.takeError()).empty()) << what;
  };
  expectError(o, "zero count");
  o = smallOptions();
  o.height = -2;
  expectError(o, "negative height");
  o = smallOptions();
  o.channels = o.height = o.width = int64_t(1) << 20;
  expectError(o, "image larger than the limit (would overflow int64)");
  o = smallOptions();
  o.count = kMaxValues;
  expectError(o, "data set larger than the limit");
  for (double scale : {0.0, -1.0, std::numeric_limits<double>::infinity(),
                       std::numeric_limits<double>::quiet_NaN()}) {
    o = smallOptions();
    o.scale = scale;
    expectError(o, "bad scale");
  }
}

} // namespace
