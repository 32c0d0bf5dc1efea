//===- HeavyTestUtils.h - Running single heavy kernels ----------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Builds one-node models through the IR API and runs them with the default
// kernel registry, plus naive reference implementations (plain loops in
// double / int64, written for clarity rather than speed) that the heavy
// kernels are compared against on random shapes.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_TEST_UNIT_INTERP_HEAVYTESTUTILS_H
#define QLC_TEST_UNIT_INTERP_HEAVYTESTUTILS_H

#include "LightKernelTestUtils.h"
#include "qlc/IR/Model.h"
#include "qlc/Interp/Interpreter.h"

#include "gtest/gtest.h"

#include <random>
#include <string>
#include <vector>

namespace qlc {
namespace heavytest {

struct NodeSpec {
  NodeSpec(std::string op, std::vector<Tensor> inputs,
           std::vector<NamedAttribute> attrs = {}, unsigned numOutputs = 1,
           int64_t opset = 17, unsigned threads = 1)
      : op(std::move(op)), inputs(std::move(inputs)), attrs(std::move(attrs)),
        numOutputs(numOutputs), opset(opset), threads(threads) {}

  std::string op;
  std::vector<Tensor> inputs; // null tensors are omitted optional inputs
  std::vector<NamedAttribute> attrs;
  unsigned numOutputs = 1;
  int64_t opset = 17;
  unsigned threads = 1;
};

/// Runs the node with the default registry: its outputs, or the error.
llvm::Expected<std::vector<Tensor>> runNode(const NodeSpec &spec);
/// Output 0 of a run expected to succeed (null tensor after a failure).
Tensor runOk(const NodeSpec &spec);
/// The message of a run expected to fail.
std::string runError(const NodeSpec &spec);

using test::attrFloat;
using test::attrInt;
using test::attrInts;
using test::attrString;
using test::f32;

/// Uniform random float tensor in [lo, hi).
Tensor randomFloat(std::mt19937 &rng, std::vector<int64_t> shape, float lo = -1,
                   float hi = 1);
/// Uniform random integer tensor of `type` over its whole range.
Tensor randomInt(std::mt19937 &rng, ElementType type,
                 std::vector<int64_t> shape);

/// Expects equal shapes and |a - b| <= atol + rtol * |b| everywhere.
void expectClose(const Tensor &actual, const std::vector<double> &expected,
                 llvm::ArrayRef<int64_t> shape, double rtol = 1e-5,
                 double atol = 1e-5);
/// Expects the same shape and identical integer values.
void expectIntsEqual(const Tensor &actual, const std::vector<int64_t> &expected,
                     llvm::ArrayRef<int64_t> shape);

/// Geometry of a reference convolution / pool in explicit form.
struct RefWindow {
  std::vector<int64_t> kernel, strides, dilations, padBegin, padEnd;
  std::vector<int64_t> outSize; // filled by the reference
};

/// N-D convolution in double: x [N,C,...], w [M,C/g,...], optional bias.
/// Subtracts xZero / wZero (per output channel when wZero has M entries).
std::vector<double>
refConv(const std::vector<double> &x, llvm::ArrayRef<int64_t> xShape,
        const std::vector<double> &w, llvm::ArrayRef<int64_t> wShape,
        const std::vector<double> *bias, int64_t group, RefWindow &win,
        double xZero = 0, std::vector<double> wZero = {0});

} // namespace heavytest
} // namespace qlc

#endif // QLC_TEST_UNIT_INTERP_HEAVYTESTUTILS_H
