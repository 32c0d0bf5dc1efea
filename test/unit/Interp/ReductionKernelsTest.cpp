//===- ReductionKernelsTest.cpp - Reduce* and ArgMax/ArgMin ---------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "LightKernelTestUtils.h"

#include <cmath>

using namespace qlc;
using namespace qlc::test;

namespace {

std::vector<float> iota(int n) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i)
    v[i] = static_cast<float>(i);
  return v;
}

TEST(ReductionKernels, ReduceSumAxesMoveFromAttributeToInput) {
  Tensor x = f32({2, 3}, iota(6));
  expectTensor<float>(runOk({"ReduceSum",
                             {x},
                             {attrInts("axes", {1}), attrInt("keepdims", 0)},
                             11}),
                      {2}, {3, 12});
  expectTensor<float>(runOk({"ReduceSum", {x, i64({1}, {-1})}, {}, 13}), {2, 1},
                      {3, 12});
  expectTensor<float>(runOk({"ReduceSum", {x}, {}, 13}), {1, 1}, {15});
  Tensor noop = runOk({"ReduceSum",
                       {x, i64({0}, {})},
                       {attrInt("noop_with_empty_axes", 1)},
                       13});
  expectTensor<float>(noop, {2, 3}, iota(6));
  // Other reductions take axes as an input only from opset 18.
  expectTensor<float>(runOk({"ReduceMax", {x}, {attrInts("axes", {0})}, 13}),
                      {1, 3}, {3, 4, 5});
  expectTensor<float>(runOk({"ReduceMax", {x, i64({1}, {0})}, {}, 18}), {1, 3},
                      {3, 4, 5});
}

TEST(ReductionKernels, InnerAndOuterAxes) {
  // x[i,j,k] = 12i + 4j + k; the mean over i and k is 6 + 4j + 1.5.
  Tensor x = f32({2, 3, 4}, iota(24));
  expectTensor<float>(
      runOk({"ReduceMean", {x}, {attrInts("axes", {0, 2})}, 13}), {1, 3, 1},
      {7.5f, 11.5f, 15.5f});
  // Reducing the outer axis keeps the contiguous one: column sums.
  expectTensor<float>(runOk({"ReduceSum",
                             {f32({3, 4}, iota(12)), i64({1}, {0})},
                             {attrInt("keepdims", 0)},
                             13}),
                      {4}, {12, 15, 18, 21});
  expectTensor<float>(runOk({"ReduceMin",
                             {x},
                             {attrInts("axes", {1}), attrInt("keepdims", 0)},
                             13}),
                      {2, 4}, {0, 1, 2, 3, 12, 13, 14, 15});
}

TEST(ReductionKernels, IntegersAreExact) {
  int64_t big = int64_t(1) << 62;
  expectTensor<int64_t>(
      runOk({"ReduceMax", {i64({3}, {big, big + 1, -big})}, {}, 13}), {1},
      {big + 1});
  expectTensor<int64_t>(runOk({"ReduceSum",
                               {i64({2}, {big + 1, big - 1}), i64({1}, {0})},
                               {attrInt("keepdims", 0)},
                               13}),
                        {}, {INT64_MIN}); // 2^63 wraps
  expectTensor<int32_t>(runOk({"ReduceProd", {i32({3}, {2, 3, -4})}}), {1},
                        {-24});
  // Integer mean truncates toward zero.
  expectTensor<int32_t>(runOk({"ReduceMean",
                               {i32({2, 2}, {1, 2, -1, -2})},
                               {attrInts("axes", {1}), attrInt("keepdims", 0)},
                               13}),
                        {2}, {1, -1});
  EXPECT_EQ(runError({"ReduceL2", {i32({1}, {1})}}),
            "'n' (ReduceL2): unsupported element type int32");
}

TEST(ReductionKernels, NormsAndLogSums) {
  Tensor x = f32({2}, {3, -4});
  expectTensor<float>(runOk({"ReduceL1", {x}}), {1}, {7});
  expectTensor<float>(runOk({"ReduceL2", {x}}), {1}, {5});
  expectTensor<float>(runOk({"ReduceSumSquare", {x}}), {1}, {25});
  expectNear(runOk({"ReduceLogSum", {f32({2}, {1, 2})}}), {1},
             {std::log(3.0f)});
  // max + log(sum(exp(x - max))): no overflow for large inputs.
  expectNear(runOk({"ReduceLogSumExp", {f32({2}, {1000, 1000})}}), {1},
             {1000 + std::log(2.0f)}, 1e-3f);
  expectNear(runOk({"ReduceLogSumExp",
                    {f32({2, 2}, {0, 0, 1, 2})},
                    {attrInts("axes", {1}), attrInt("keepdims", 0)},
                    13}),
             {2}, {std::log(2.0f), std::log(std::exp(1.0f) + std::exp(2.0f))});
}

TEST(ReductionKernels, EmptyReductionAndBadAxis) {
  expectTensor<float>(
      runOk({"ReduceSum", {f32({2, 0}, {}), i64({1}, {1})}, {}, 13}), {2, 1},
      {0, 0});
  EXPECT_EQ(runError({"ReduceSum", {f32({2}, {1, 2}), i64({1}, {2})}, {}, 13}),
            "'n' (ReduceSum): axis 2 is out of range for rank 1");
}

TEST(ReductionKernels, ArgMaxAndArgMin) {
  Tensor x = f32({2, 3}, {1, 3, 3, 4, 0, 4});
  expectTensor<int64_t>(runOk({"ArgMax", {x}, {attrInt("axis", 1)}}), {2, 1},
                        {1, 0});
  expectTensor<int64_t>(
      runOk({"ArgMax",
             {x},
             {attrInt("axis", 1), attrInt("select_last_index", 1)}}),
      {2, 1}, {2, 2});
  expectTensor<int64_t>(runOk({"ArgMin", {x}, {attrInt("keepdims", 0)}}), {3},
                        {0, 1, 0});
  expectTensor<int64_t>(runOk({"ArgMin", {make<uint8_t>({3}, {5, 2, 9})}}), {1},
                        {1});
}

} // namespace
