//===- BenchKernels.cpp - qlc-bench-kernels: choose the conv library ------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Times candidate convolution implementations on the real layer shapes of
// MLPerf Tiny MobileNetV1-0.25 VWW 96x96 and ResNet-8 at batch 1 and 32 and
// prints one table per batch size: microseconds per layer for each
// candidate, then per-model totals. Identical layers are timed once and
// weighted by their count. Every candidate is also checked against a naive
// reference (max relative error for float, exact equality for integers).
// Run with --threads N to allow N threads (default 1: a single-threaded
// comparison, which is what the interpreter's default run uses).
//
//===----------------------------------------------------------------------===//

#include "BenchCommon.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>

using namespace qlc::bench;

double qlc::bench::timeMicros(const RunFn &fn, double minSeconds) {
  using Clock = std::chrono::steady_clock;
  for (int i = 0; i < 3; ++i)
    fn();
  int64_t iters = 0;
  auto start = Clock::now();
  double elapsed = 0;
  while (elapsed < minSeconds || iters < 5) {
    fn();
    ++iters;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  return elapsed * 1e6 / iters;
}

namespace {

struct LayerGroup {
  ConvLayer layer;
  int count;
};

/// The convolutions of both models at batch 1, deduplicated with counts
/// (from the ONNX files in shared/models/mlperf_tiny).
std::vector<LayerGroup> getLayers() {
  auto mb = [](int64_t c, int64_t h, int64_t co, int64_t k, int64_t s,
               int64_t pb, int64_t group) {
    int64_t pt = s == 2 ? 0 : pb; // TF "SAME" with stride 2 pads bottom only
    return ConvLayer{"mobilenet", 1, c,  h,  h,  co, k,
                     k,           s, pt, pt, pb, pb, group};
  };
  auto rn = [](int64_t c, int64_t h, int64_t co, int64_t k, int64_t s,
               int64_t pb) {
    int64_t pt = s == 2 ? 0 : pb;
    return ConvLayer{"resnet8", 1, c, h, h, co, k, k, s, pt, pt, pb, pb, 1};
  };
  return {
      {mb(3, 96, 8, 3, 2, 1, 1), 1},    {mb(8, 48, 8, 3, 1, 1, 8), 1},
      {mb(8, 48, 16, 1, 1, 0, 1), 1},   {mb(16, 48, 16, 3, 2, 1, 16), 1},
      {mb(16, 24, 32, 1, 1, 0, 1), 1},  {mb(32, 24, 32, 3, 1, 1, 32), 1},
      {mb(32, 24, 32, 1, 1, 0, 1), 1},  {mb(32, 24, 32, 3, 2, 1, 32), 1},
      {mb(32, 12, 64, 1, 1, 0, 1), 1},  {mb(64, 12, 64, 3, 1, 1, 64), 1},
      {mb(64, 12, 64, 1, 1, 0, 1), 1},  {mb(64, 12, 64, 3, 2, 1, 64), 1},
      {mb(64, 6, 128, 1, 1, 0, 1), 1},  {mb(128, 6, 128, 3, 1, 1, 128), 5},
      {mb(128, 6, 128, 1, 1, 0, 1), 5}, {mb(128, 6, 128, 3, 2, 1, 128), 1},
      {mb(128, 3, 256, 1, 1, 0, 1), 1}, {mb(256, 3, 256, 3, 1, 1, 256), 1},
      {mb(256, 3, 256, 1, 1, 0, 1), 1}, {rn(3, 32, 16, 3, 1, 1), 1},
      {rn(16, 32, 16, 3, 1, 1), 2},     {rn(16, 32, 32, 3, 2, 1), 1},
      {rn(32, 16, 32, 3, 1, 1), 1},     {rn(16, 32, 32, 1, 2, 0), 1},
      {rn(32, 16, 64, 3, 2, 1), 1},     {rn(64, 8, 64, 3, 1, 1), 1},
      {rn(32, 16, 64, 1, 2, 0), 1},
  };
}

template <typename T>
void reference(const ConvLayer &l, const T *src, const T *wei,
               const float *bias, double *dst, double srcZero, double weiZero) {
  int64_t oh = l.outH(), ow = l.outW(), cg = l.c / l.group, og = l.co / l.group;
  for (int64_t b = 0; b < l.n; ++b)
    for (int64_t o = 0; o < l.co; ++o)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t x = 0; x < ow; ++x) {
          double acc = bias ? bias[o] : 0.0;
          int64_t g = o / og;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t ky = 0; ky < l.kh; ++ky)
              for (int64_t kx = 0; kx < l.kw; ++kx) {
                int64_t iy = y * l.stride - l.padT + ky,
                        ix = x * l.stride - l.padL + kx;
                if (iy < 0 || iy >= l.h || ix < 0 || ix >= l.w)
                  continue;
                double s = src[((b * l.c + g * cg + c) * l.h + iy) * l.w + ix];
                double w = wei[((o * cg + c) * l.kh + ky) * l.kw + kx];
                acc += (s - srcZero) * (w - weiZero);
              }
          *dst++ = acc;
        }
}

struct Totals {
  std::map<std::string, std::vector<double>> perModel;
};

void benchBatch(int64_t batch, double minSeconds) {
  std::vector<FloatCandidate> fc = getFloatCandidates();
  std::vector<IntCandidate> ic = getIntCandidates();
  std::printf("\n## batch %lld (microseconds per layer; x count)\n\n",
              (long long)batch);
  std::printf("| model | layer | n |");
  for (auto &c : fc)
    std::printf(" %s |", c.name);
  for (auto &c : ic)
    std::printf(" int:%s |", c.name);
  std::printf("\n|---|---|---|");
  for (size_t i = 0; i < fc.size() + ic.size(); ++i)
    std::printf("---|");
  std::printf("\n");

  std::mt19937 rng(42);
  std::map<std::string, std::vector<double>> totals;
  for (LayerGroup &lg : getLayers()) {
    ConvLayer l = lg.layer;
    l.n = batch;
    int64_t srcSize = l.n * l.c * l.h * l.w,
            weiSize = l.co * (l.c / l.group) * l.kh * l.kw,
            dstSize = l.n * l.co * l.outH() * l.outW();
    std::uniform_real_distribution<float> dist(-1, 1);
    std::vector<float> src(srcSize), wei(weiSize), bias(l.co), dst(dstSize);
    for (float &v : src)
      v = dist(rng);
    for (float &v : wei)
      v = dist(rng);
    for (float &v : bias)
      v = dist(rng);
    std::vector<double> ref(dstSize);
    reference(l, src.data(), wei.data(), bias.data(), ref.data(), 0, 0);

    std::uniform_int_distribution<int> bytes(0, 255);
    std::vector<uint8_t> isrc(srcSize), iwei(weiSize);
    for (uint8_t &v : isrc)
      v = uint8_t(bytes(rng));
    for (uint8_t &v : iwei)
      v = uint8_t(bytes(rng));
    std::vector<int32_t> idst(dstSize);
    std::vector<double> iref(dstSize);
    reference(l, isrc.data(), iwei.data(), nullptr, iref.data(), 3, 5);

    char name[96];
    std::snprintf(name, sizeof(name), "%lldx%lldx%lld k%lld s%lld g%lld->%lld",
                  (long long)l.c, (long long)l.h, (long long)l.w,
                  (long long)l.kh, (long long)l.stride, (long long)l.group,
                  (long long)l.co);
    std::printf("| %s | %s | %d |", l.model.c_str(), name, lg.count);
    std::vector<double> &tot = totals[l.model];
    tot.resize(fc.size() + ic.size());
    size_t col = 0;
    for (auto &c : fc) {
      std::fill(dst.begin(), dst.end(), 0.0f);
      RunFn fn = c.make(l, src.data(), wei.data(), bias.data(), dst.data());
      double us = timeMicros(fn, minSeconds);
      double err = 0;
      for (int64_t i = 0; i < dstSize; ++i)
        err = std::max(err, std::abs(dst[i] - ref[i]) /
                                std::max(1.0, std::abs(ref[i])));
      std::printf(" %.1f%s |", us, err > 1e-4 ? " (WRONG)" : "");
      tot[col++] += us * lg.count;
    }
    for (auto &c : ic) {
      std::fill(idst.begin(), idst.end(), 0);
      RunFn fn = c.make(l, isrc.data(), iwei.data(), idst.data());
      double us = timeMicros(fn, minSeconds);
      bool exact = true;
      for (int64_t i = 0; i < dstSize; ++i)
        exact &= double(idst[i]) == iref[i];
      std::printf(" %.1f%s |", us, exact ? "" : " (WRONG)");
      tot[col++] += us * lg.count;
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  for (auto &[model, tot] : totals) {
    std::printf("| %s | **total** | |", model.c_str());
    for (double t : tot)
      std::printf(" **%.0f** |", t);
    std::printf("\n");
  }
}

} // namespace

int main(int argc, char **argv) {
  int threads = 1;
  double minSeconds = 0.05;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--min-time") && i + 1 < argc)
      minSeconds = std::atof(argv[++i]);
    else {
      std::fprintf(stderr,
                   "usage: qlc-bench-kernels [--threads N] [--min-time S]\n");
      return 2;
    }
  }
  // All three libraries read their own thread settings.
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
  std::printf("# qlc-bench-kernels: conv candidates, %d thread(s)\n", threads);
  for (int64_t batch : {1, 32})
    benchBatch(batch, minSeconds);
  return 0;
}
