//===- BenchCommon.h - Shared pieces of qlc-bench-kernels -------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Layer descriptions and the timing helper shared by the candidate
// implementations that qlc-bench-kernels compares. Each candidate file
// exposes factories returning a callable "run the layer once" so that the
// setup (weight packing, primitive creation) stays out of the timing, as it
// does in the interpreter where kernels are prepared once per node.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_BENCH_KERNELS_BENCHCOMMON_H
#define QLC_BENCH_KERNELS_BENCHCOMMON_H

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace qlc {
namespace bench {

/// One 2-D convolution layer, NCHW, pads as ONNX (top, left, bottom, right).
struct ConvLayer {
  std::string model;
  int64_t n, c, h, w;
  int64_t co, kh, kw, stride;
  int64_t padT, padL, padB, padR;
  int64_t group;

  int64_t outH() const { return (h + padT + padB - kh) / stride + 1; }
  int64_t outW() const { return (w + padL + padR - kw) / stride + 1; }
  int64_t macs() const {
    return n * co * outH() * outW() * (c / group) * kh * kw;
  }
  bool isDepthwise() const { return group == c && group == co && group > 1; }
};

/// Runs one layer once on preallocated buffers.
using RunFn = std::function<void()>;
/// Builds a runner, or returns an empty function when unsupported.
using FloatConvFactory = RunFn (*)(const ConvLayer &layer, const float *src,
                                   const float *weights, const float *bias,
                                   float *dst);
using IntConvFactory = RunFn (*)(const ConvLayer &layer, const uint8_t *src,
                                 const uint8_t *weights, int32_t *dst);

struct FloatCandidate {
  const char *name;
  FloatConvFactory make;
};
struct IntCandidate {
  const char *name;
  IntConvFactory make;
};

std::vector<FloatCandidate> getFloatCandidates();
/// The interpreter's own kernels (QlcCandidate.cpp).
RunFn makeQlcConv(const ConvLayer &layer, const float *src,
                  const float *weights, const float *bias, float *dst);
RunFn makeQlcConvInteger(const ConvLayer &layer, const uint8_t *src,
                         const uint8_t *weights, int32_t *dst);
std::vector<IntCandidate> getIntCandidates();

/// Microseconds per call: warms up, then runs for at least `minSeconds`.
double timeMicros(const RunFn &fn, double minSeconds = 0.1);

} // namespace bench
} // namespace qlc

#endif // QLC_BENCH_KERNELS_BENCHCOMMON_H
