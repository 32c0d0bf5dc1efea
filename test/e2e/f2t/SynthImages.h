//===- SynthImages.h - Seeded synthetic image data sets ---------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Makes deterministic, unlabelled image data sets for the F2T end-to-end
// test of models that have no labelled data in the repository (MLPerf
// Tiny's ResNet-8 on CIFAR-10 and MobileNetV1 on Visual Wake Words). An
// image is a smooth colour field (a random g x g grid per channel, g in
// 2..6, bilinearly upsampled) with one to four flat ellipses or rectangles
// of random colour painted over it and a little triangular pixel noise,
// rounded and clamped to the integer pixel range 0..255, then multiplied by
// `scale` (1 for a raw-pixel input, 1/255 for an input in [0, 1]). Such
// images have the spatial structure of natural photographs (smooth regions,
// edges) that white noise lacks, so activations reach realistic ranges.
//
// Everything is drawn from std::mt19937_64 with explicit conversions (no
// std:: distributions, whose output is implementation-defined), so a seed
// gives the same bytes on every platform. The arrays are `x` float32
// [count, channels, height, width] and `y` int64 [count] of zeros: qlc-run
// --eval needs labels, so `y` is a placeholder and only the model-to-model
// comparisons of --compare are meaningful on these data.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_TEST_E2E_SYNTHIMAGES_H
#define QLC_TEST_E2E_SYNTHIMAGES_H

#include "qlc/IO/Npz.h"

#include "llvm/Support/Error.h"

#include <cstdint>

namespace qlc {
namespace synth {

struct SynthOptions {
  int64_t count = 0;
  int64_t channels = 3;
  int64_t height = 0;
  int64_t width = 0;
  double scale = 1.0; // multiplies the integer pixel values 0..255
  uint64_t seed = 0;
};

/// The largest number of float values one data set may hold (1 GiB).
constexpr int64_t kMaxValues = int64_t(1) << 28;

/// Checks `options`: positive sizes, at most kMaxValues values, a positive
/// finite scale.
llvm::Error checkOptions(const SynthOptions &options);

/// The arrays `x` and `y` described above.
llvm::Expected<NpzArrays> makeSynthImages(const SynthOptions &options);

} // namespace synth
} // namespace qlc

#endif // QLC_TEST_E2E_SYNTHIMAGES_H
