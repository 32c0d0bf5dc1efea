//===- SynthImages.cpp - Seeded synthetic image data sets -----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Draws the images described in SynthImages.h. Each random number is taken
// in its own statement so that the order of draws, and hence the data, does
// not depend on the compiler's order of evaluating arguments.
//
//===----------------------------------------------------------------------===//

#include "SynthImages.h"

#include "qlc/Support/Error.h"

#include "llvm/ADT/Twine.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using namespace qlc;
using namespace qlc::synth;

namespace {

constexpr double kMaxPixel = 255.0;
constexpr double kNoise = 6.0; // half-width of the triangular pixel noise

/// Uniform in [0, 1) from the top 53 bits of one draw.
double uniform01(std::mt19937_64 &rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

/// Uniform integer in [lo, hi].
int64_t uniformInt(std::mt19937_64 &rng, int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
}

/// One image as doubles in channel-major order, before rounding.
class ImagePainter {
public:
  ImagePainter(const SynthOptions &o, std::mt19937_64 &rng)
      : o(o), rng(rng), pixels(o.channels * o.height * o.width) {}

  std::vector<double> paint() {
    paintBackground();
    int64_t shapes = uniformInt(rng, 1, 4);
    for (int64_t s = 0; s < shapes; ++s)
      paintShape();
    for (double &p : pixels) {
      double a = uniform01(rng);
      double b = uniform01(rng);
      p += (a + b - 1.0) * kNoise;
    }
    return std::move(pixels);
  }

private:
  double &at(int64_t c, int64_t y, int64_t x) {
    return pixels[(c * o.height + y) * o.width + x];
  }

  /// Position of pixel `i` of `n` on a grid of `g` nodes: the lower node
  /// and the fraction towards the next one.
  static std::pair<int64_t, double> gridPos(int64_t i, int64_t n, int64_t g) {
    double t = n > 1 ? static_cast<double>(i) * (g - 1) / (n - 1) : 0.0;
    int64_t lo = std::min<int64_t>(static_cast<int64_t>(t), g - 2);
    return {lo, t - lo};
  }

  /// A random g x g grid per channel, bilinearly upsampled.
  void paintBackground() {
    int64_t g = uniformInt(rng, 2, 6);
    std::vector<double> grid(o.channels * g * g);
    for (double &v : grid)
      v = uniform01(rng) * kMaxPixel;
    for (int64_t c = 0; c < o.channels; ++c) {
      const double *gc = grid.data() + c * g * g;
      for (int64_t y = 0; y < o.height; ++y) {
        auto [y0, fy] = gridPos(y, o.height, g);
        for (int64_t x = 0; x < o.width; ++x) {
          auto [x0, fx] = gridPos(x, o.width, g);
          const double *r0 = gc + y0 * g, *r1 = r0 + g;
          at(c, y, x) = (1 - fy) * ((1 - fx) * r0[x0] + fx * r0[x0 + 1]) +
                        fy * ((1 - fx) * r1[x0] + fx * r1[x0 + 1]);
        }
      }
    }
  }

  /// A flat ellipse or rectangle of random colour, radii 1/10 to 1/3 of
  /// the image side.
  void paintShape() {
    double cy = uniform01(rng) * o.height;
    double cx = uniform01(rng) * o.width;
    double ry = o.height * (0.1 + uniform01(rng) * 0.7 / 3);
    double rx = o.width * (0.1 + uniform01(rng) * 0.7 / 3);
    bool ellipse = uniform01(rng) < 0.5;
    std::vector<double> colour(o.channels);
    for (double &v : colour)
      v = uniform01(rng) * kMaxPixel;
    for (int64_t y = 0; y < o.height; ++y) {
      double dy = (y - cy) / ry;
      for (int64_t x = 0; x < o.width; ++x) {
        double dx = (x - cx) / rx;
        bool inside = ellipse ? dy * dy + dx * dx <= 1.0
                              : std::fabs(dy) <= 1.0 && std::fabs(dx) <= 1.0;
        if (!inside)
          continue;
        for (int64_t c = 0; c < o.channels; ++c)
          at(c, y, x) = colour[c];
      }
    }
  }

  const SynthOptions &o;
  std::mt19937_64 &rng;
  std::vector<double> pixels;
};

} // namespace

llvm::Error synth::checkOptions(const SynthOptions &o) {
  if (o.count <= 0 || o.channels <= 0 || o.height <= 0 || o.width <= 0)
    return makeError("count, channels, height and width must be positive");
  // Divide rather than multiply so that huge sizes cannot overflow.
  int64_t perImage = o.channels;
  for (int64_t d : {o.height, o.width}) {
    if (perImage > kMaxValues / d)
      return makeError("an image of " + llvm::Twine(o.channels) + "x" +
                       llvm::Twine(o.height) + "x" + llvm::Twine(o.width) +
                       " is too large");
    perImage *= d;
  }
  if (o.count > kMaxValues / perImage)
    return makeError(llvm::Twine(o.count) + " images of " +
                     llvm::Twine(perImage) + " values exceed the limit of " +
                     llvm::Twine(kMaxValues) + " values");
  if (!(o.scale > 0) || !std::isfinite(o.scale))
    return makeError("scale must be positive and finite");
  return llvm::Error::success();
}

llvm::Expected<NpzArrays> synth::makeSynthImages(const SynthOptions &o) {
  if (llvm::Error err = checkOptions(o))
    return err;
  Tensor x(ElementType::Float, {o.count, o.channels, o.height, o.width});
  Tensor y(ElementType::Int64, {o.count});
  auto xs = x.getMutableData<float>();
  std::fill(y.getMutableData<int64_t>().begin(),
            y.getMutableData<int64_t>().end(), 0);
  std::mt19937_64 rng(o.seed);
  size_t next = 0;
  for (int64_t i = 0; i < o.count; ++i) {
    for (double p : ImagePainter(o, rng).paint()) {
      double pixel = std::min(std::max(std::floor(p + 0.5), 0.0), kMaxPixel);
      xs[next++] = static_cast<float>(pixel * o.scale);
    }
  }
  NpzArrays arrays;
  arrays.push_back({"x", std::move(x)});
  arrays.push_back({"y", std::move(y)});
  return arrays;
}
