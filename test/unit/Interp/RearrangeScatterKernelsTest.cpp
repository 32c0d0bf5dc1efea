//===- RearrangeScatterKernelsTest.cpp - DepthToSpace, Trilu, Scatter* ----===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "LightKernelTestUtils.h"

using namespace qlc;
using namespace qlc::test;

namespace {

std::vector<float> iota(int n) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i)
    v[i] = static_cast<float>(i);
  return v;
}

TEST(RearrangeKernels, DepthToSpaceModesAndInverse) {
  Tensor x = f32({1, 8, 1, 1}, iota(8));
  expectTensor<float>(runOk({"DepthToSpace", {x}, {attrInt("blocksize", 2)}}),
                      {1, 2, 2, 2}, {0, 2, 4, 6, 1, 3, 5, 7});
  expectTensor<float>(
      runOk({"DepthToSpace",
             {x},
             {attrInt("blocksize", 2), attrString("mode", "CRD")}}),
      {1, 2, 2, 2}, iota(8));
  expectTensor<float>(runOk({"SpaceToDepth",
                             {f32({1, 1, 2, 2}, iota(4))},
                             {attrInt("blocksize", 2)}}),
                      {1, 4, 1, 1}, iota(4));
  EXPECT_EQ(runError({"DepthToSpace",
                      {f32({1, 3, 1, 1}, iota(3))},
                      {attrInt("blocksize", 2)}}),
            "'n' (DepthToSpace): channels 3 are not divisible by blocksize^2 "
            "(blocksize 2)");
}

TEST(RearrangeKernels, TriluEyeLikeCumSum) {
  Tensor m = f32({3, 3}, iota(9));
  expectTensor<float>(runOk({"Trilu", {m}}), {3, 3},
                      {0, 1, 2, 0, 4, 5, 0, 0, 8});
  expectTensor<float>(
      runOk({"Trilu", {m, i64({}, {-1})}, {attrInt("upper", 0)}}), {3, 3},
      {0, 0, 0, 3, 0, 0, 6, 7, 0});
  expectTensor<float>(
      runOk({"EyeLike", {f32({2, 3}, iota(6))}, {attrInt("k", 1)}}), {2, 3},
      {0, 1, 0, 0, 0, 1});
  Tensor v = i32({3}, {1, 2, 3});
  expectTensor<int32_t>(runOk({"CumSum", {v, i64({}, {0})}}), {3}, {1, 3, 6});
  expectTensor<int32_t>(
      runOk({"CumSum",
             {v, i32({}, {0})},
             {attrInt("exclusive", 1), attrInt("reverse", 1)}}),
      {3}, {5, 3, 0});
}

TEST(ScatterKernels, GatherND) {
  Tensor data = f32({2, 2}, {0, 1, 2, 3});
  expectTensor<float>(runOk({"GatherND", {data, i64({2, 2}, {1, 0, 0, 1})}}),
                      {2}, {2, 1});
  expectTensor<float>(runOk({"GatherND", {data, i64({2, 1}, {1, 0})}}), {2, 2},
                      {2, 3, 0, 1});
  expectTensor<float>(runOk({"GatherND",
                             {f32({2, 2, 2}, iota(8)), i64({2, 1}, {1, 0})},
                             {attrInt("batch_dims", 1)}}),
                      {2, 2}, {2, 3, 4, 5});
  EXPECT_EQ(runError({"GatherND", {data, i64({1, 2}, {2, 0})}}),
            "'n' (GatherND): index 2 is out of range [-2, 2)");
}

TEST(ScatterKernels, ScatterElementsAndScatterND) {
  Tensor zeros = f32({3}, {0, 0, 0});
  Tensor idx = i64({3}, {1, 1, -1});
  Tensor upd = f32({3}, {5, 6, 7});
  expectTensor<float>(runOk({"ScatterElements", {zeros, idx, upd}}), {3},
                      {0, 6, 7});
  expectTensor<float>(runOk({"ScatterElements",
                             {zeros, idx, upd},
                             {attrString("reduction", "add")},
                             16}),
                      {3}, {0, 11, 7});
  expectTensor<float>(
      runOk({"ScatterND",
             {f32({4}, {1, 2, 3, 4}), i64({2, 1}, {3, 1}), f32({2}, {9, 10})}}),
      {4}, {1, 10, 3, 9});
  EXPECT_EQ(
      runError({"ScatterElements", {zeros, i64({1}, {3}), f32({1}, {1})}}),
      "'n' (ScatterElements): index 3 is out of range [-3, 3)");
}

TEST(ScatterKernels, OneHotAndCompress) {
  Tensor oh =
      runOk({"OneHot", {i64({3}, {0, -1, 5}), i64({}, {3}), f32({2}, {0, 1})}});
  expectTensor<float>(oh, {3, 3}, {1, 0, 0, 0, 0, 1, 0, 0, 0});
  Tensor x = f32({3, 2}, {1, 2, 3, 4, 5, 6});
  expectTensor<float>(runOk({"Compress",
                             {x, make<bool>({3}, {false, true, true})},
                             {attrInt("axis", 0)}}),
                      {2, 2}, {3, 4, 5, 6});
  expectTensor<float>(
      runOk({"Compress", {x, make<bool>({3}, {true, false, true})}}), {2},
      {1, 3});
}

} // namespace
