//===- FoldBatchNormTestUtils.h - Conv/Gemm + BN test models ----*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Builders of the small Conv -> BN and Gemm -> BN models the fold-bn tests
// run on, with deterministic random weights and BN statistics, and a
// helper comparing a transformed model's outputs with recorded ones.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_TEST_UNIT_PASS_FOLDBATCHNORMTESTUTILS_H
#define QLC_TEST_UNIT_PASS_FOLDBATCHNORMTESTUTILS_H

#include "PassTestUtils.h"

namespace qlc {
namespace test {

/// BN parameters: scale (gamma), bias (beta), running mean and variance.
struct BnParams {
  Tensor scale, bias, mean, var;
};
/// Random parameters for `channels` channels; variances in [0.1, 2).
BnParams randomBn(int64_t channels, uint32_t seed);
/// Appends BatchNormalization(x, params) named "bn", result `out`.
Node *addBn(Graph &g, Value *x, const BnParams &params, llvm::StringRef out,
            float epsilon, unsigned numResults = 1);

struct ConvSpec {
  int64_t cin = 4, m = 6, group = 1;
  bool bias = true;
  float epsilon = 1e-5f;
  int64_t opset = 17;
  /// Declare BN's four training outputs (opsets before 14).
  bool statisticsOutputs = false;
  ElementType weightType = ElementType::Float;
};

/// A model x -> Conv("c") -> BN("y", graph output), or Gemm instead.
struct BnFixture {
  std::unique_ptr<Model> model;
  Node *linear = nullptr;
  Node *bnNode = nullptr;
  /// Copies of the original constants (weight, bias or null, BN params).
  Tensor weight, bias;
  BnParams bn;
  TensorMap inputs;
};
BnFixture makeConvBn(const ConvSpec &spec);

/// Gemm's C: absent, scalar, (N), (1, N) or (M, N).
enum class CShape { None, Scalar, Vector, Row, Matrix };
/// x[3, 5] -> Gemm(B, C) -> [3, 4] -> BN("y").
BnFixture makeGemmBn(bool transB, float alpha, float beta, CShape c);

/// The constant of operand `i`, or null.
const Tensor *getConstantInput(const Node &node, unsigned i);

/// Runs `model` on `inputs` and expects every output within `tolerance`
/// (relative to the largest magnitude) of `expected`.
void expectSameOutputs(const Model &model, const TensorMap &inputs,
                       const TensorMap &expected, double tolerance);

} // namespace test
} // namespace qlc

#endif // QLC_TEST_UNIT_PASS_FOLDBATCHNORMTESTUTILS_H
