//===- HeavyTestUtils.cpp - Running single heavy kernels ------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "HeavyTestUtils.h"

#include <cmath>

using namespace qlc;
using namespace qlc::heavytest;

/// The same single-node run as the light tests, on the default registry.
static test::NodeRun toNodeRun(const NodeSpec &spec) {
  return test::NodeRun(spec.op, spec.inputs, spec.attrs, spec.opset,
                       spec.numOutputs, spec.threads);
}

llvm::Expected<std::vector<Tensor>>
qlc::heavytest::runNode(const NodeSpec &spec) {
  return test::runNode(toNodeRun(spec), &KernelRegistry::getDefault());
}

Tensor qlc::heavytest::runOk(const NodeSpec &spec) {
  return test::runOk(toNodeRun(spec), &KernelRegistry::getDefault());
}

std::string qlc::heavytest::runError(const NodeSpec &spec) {
  return test::runError(toNodeRun(spec), &KernelRegistry::getDefault());
}

Tensor qlc::heavytest::randomFloat(std::mt19937 &rng,
                                   std::vector<int64_t> shape, float lo,
                                   float hi) {
  Tensor t(ElementType::Float, shape);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (float &v : t.getMutableData<float>())
    v = dist(rng);
  return t;
}

Tensor qlc::heavytest::randomInt(std::mt19937 &rng, ElementType type,
                                 std::vector<int64_t> shape) {
  Tensor t(type, shape);
  bool isSigned = isSignedIntegerType(type);
  int64_t bits = int64_t(getElementSize(type)) * 8;
  int64_t lo = isSigned ? -(int64_t(1) << (bits - 1)) : 0;
  int64_t hi =
      isSigned ? (int64_t(1) << (bits - 1)) - 1 : (int64_t(1) << bits) - 1;
  std::uniform_int_distribution<int64_t> dist(lo, hi);
  for (int64_t i = 0; i < t.getNumElements(); ++i)
    t.setFromDouble(i, double(dist(rng)));
  return t;
}

void qlc::heavytest::expectClose(const Tensor &actual,
                                 const std::vector<double> &expected,
                                 llvm::ArrayRef<int64_t> shape, double rtol,
                                 double atol) {
  ASSERT_EQ(formatShape(actual.getShape()), formatShape(shape));
  ASSERT_EQ(actual.getNumElements(), int64_t(expected.size()));
  int failures = 0;
  for (int64_t i = 0; i < actual.getNumElements() && failures < 5; ++i) {
    double a = actual.getAsDouble(i), e = expected[i];
    if (!(std::fabs(a - e) <= atol + rtol * std::fabs(e))) {
      ADD_FAILURE() << "at flat index " << i << ": got " << a << ", expected "
                    << e;
      ++failures;
    }
  }
}

void qlc::heavytest::expectIntsEqual(const Tensor &actual,
                                     const std::vector<int64_t> &expected,
                                     llvm::ArrayRef<int64_t> shape) {
  ASSERT_EQ(formatShape(actual.getShape()), formatShape(shape));
  ASSERT_EQ(actual.getNumElements(), int64_t(expected.size()));
  int failures = 0;
  for (int64_t i = 0; i < actual.getNumElements() && failures < 5; ++i)
    if (actual.getAsInt64(i) != expected[i]) {
      ADD_FAILURE() << "at flat index " << i << ": got " << actual.getAsInt64(i)
                    << ", expected " << expected[i];
      ++failures;
    }
}

std::vector<double> qlc::heavytest::refConv(
    const std::vector<double> &x, llvm::ArrayRef<int64_t> xShape,
    const std::vector<double> &w, llvm::ArrayRef<int64_t> wShape,
    const std::vector<double> *bias, int64_t group, RefWindow &win,
    double xZero, std::vector<double> wZero) {
  size_t rank = xShape.size() - 2;
  int64_t n = xShape[0], c = xShape[1], m = wShape[0], cg = c / group,
          mg = m / group;
  win.outSize.clear();
  int64_t inPix = 1, outPix = 1, kPix = 1;
  for (size_t d = 0; d < rank; ++d) {
    int64_t dk = (win.kernel[d] - 1) * win.dilations[d] + 1;
    win.outSize.push_back(
        (xShape[d + 2] + win.padBegin[d] + win.padEnd[d] - dk) /
            win.strides[d] +
        1);
    inPix *= xShape[d + 2];
    outPix *= win.outSize[d];
    kPix *= win.kernel[d];
  }
  std::vector<double> y(n * m * outPix);
  std::vector<int64_t> o(rank), k(rank);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oc = 0; oc < m; ++oc) {
      int64_t g = oc / mg;
      double wz = wZero.size() == 1 ? wZero[0] : wZero[oc];
      for (int64_t op = 0; op < outPix; ++op) {
        for (int64_t r = op, d = int64_t(rank) - 1; d >= 0; --d) {
          o[d] = r % win.outSize[d];
          r /= win.outSize[d];
        }
        double acc = bias ? (*bias)[oc] : 0.0;
        for (int64_t ic = 0; ic < cg; ++ic)
          for (int64_t kp = 0; kp < kPix; ++kp) {
            for (int64_t r = kp, d = int64_t(rank) - 1; d >= 0; --d) {
              k[d] = r % win.kernel[d];
              r /= win.kernel[d];
            }
            int64_t flat = 0;
            bool inside = true;
            for (size_t d = 0; d < rank; ++d) {
              int64_t i = o[d] * win.strides[d] - win.padBegin[d] +
                          k[d] * win.dilations[d];
              inside &= i >= 0 && i < xShape[d + 2];
              flat = flat * xShape[d + 2] + i;
            }
            if (!inside)
              continue;
            double xv = x[(b * c + g * cg + ic) * inPix + flat] - xZero;
            double wv = w[(oc * cg + ic) * kPix + kp] - wz;
            acc += xv * wv;
          }
        y[(b * m + oc) * outPix + op] = acc;
      }
    }
  return y;
}
