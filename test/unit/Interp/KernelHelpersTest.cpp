//===- KernelHelpersTest.cpp - Broadcasting, strided plans, parallelFor ---===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "Kernels/Broadcast.h"
#include "Kernels/Parallel.h"

#include "gtest/gtest.h"

#include <atomic>
#include <vector>

using namespace qlc;
using namespace qlc::interp;

namespace {

std::vector<int64_t> vec(llvm::ArrayRef<int64_t> a) {
  return {a.begin(), a.end()};
}

TEST(BroadcastHelpers, Shapes) {
  EXPECT_EQ(vec(*broadcastShapes({2, 1, 3}, {4, 1})),
            (std::vector<int64_t>{2, 4, 3}));
  EXPECT_EQ(vec(*broadcastShapes({}, {3})), (std::vector<int64_t>{3}));
  EXPECT_EQ(vec(*broadcastShapes({0, 3}, {1, 3})),
            (std::vector<int64_t>{0, 3}));
  EXPECT_FALSE(broadcastShapes({0}, {2}).hasValue());
  EXPECT_FALSE(broadcastShapes({2, 3}, {2}).hasValue());
  EXPECT_TRUE(isBroadcastableTo({3, 1}, {2, 3, 4}));
  EXPECT_FALSE(isBroadcastableTo({2, 3, 4}, {3, 4}));
  EXPECT_EQ(vec(getBroadcastStrides({3, 1}, {2, 3, 4})),
            (std::vector<int64_t>{0, 1, 0}));
}

TEST(StridedPlan, CoalescesContiguousAndDropsUnitDims) {
  // Same shapes: one flat dimension.
  StridedPlan same = StridedPlan::broadcast({2, 3, 4}, {{2, 3, 4}, {2, 3, 4}});
  EXPECT_EQ(vec(same.getDims()), (std::vector<int64_t>{24}));
  // NCHW + C11: rows of H*W with the bias constant along a row.
  StridedPlan bias =
      StridedPlan::broadcast({2, 3, 4, 5}, {{2, 3, 4, 5}, {3, 1, 1}});
  EXPECT_EQ(vec(bias.getDims()), (std::vector<int64_t>{2, 3, 20}));
  EXPECT_EQ(vec(bias.getStrides(1)), (std::vector<int64_t>{0, 1, 0}));
  EXPECT_EQ(bias.getInnerStride(0), 1);
  StridedPlan scalar = StridedPlan::broadcast({1, 1}, {{1}});
  EXPECT_EQ(scalar.getNumElements(), 1);
  EXPECT_EQ(scalar.getInnerSize(), 1);
}

TEST(StridedPlan, RunsCoverAnyRangeWithCorrectOffsets) {
  // A transposed [3, 4] view of a [4, 3] tensor.
  StridedPlan plan({3, 4}, {Strides{1, 3}});
  for (int64_t begin = 0; begin < 12; ++begin)
    for (int64_t end = begin; end <= 12; ++end) {
      std::vector<int64_t> seen;
      plan.forEachRun(
          begin, end, [&](int64_t o, const int64_t *offs, int64_t n) {
            for (int64_t k = 0; k < n; ++k) {
              EXPECT_EQ(o + k, begin + static_cast<int64_t>(seen.size()));
              seen.push_back(offs[0] + k * plan.getInnerStride(0));
            }
          });
      ASSERT_EQ(static_cast<int64_t>(seen.size()), end - begin);
      for (int64_t p = begin; p < end; ++p)
        EXPECT_EQ(seen[p - begin], (p % 4) * 3 + p / 4) << "position " << p;
    }
}

TEST(StridedPlan, CopyWithNegativeStridesAndOffset) {
  std::vector<int32_t> src = {0, 1, 2, 3, 4, 5}; // [2, 3]
  std::vector<int32_t> dst(6, -1);
  // Reverse both axes: start at the last element.
  StridedPlan plan({2, 3}, {Strides{-3, -1}}, {5});
  stridedCopy(plan, sizeof(int32_t), reinterpret_cast<const char *>(src.data()),
              reinterpret_cast<char *>(dst.data()), 2);
  EXPECT_EQ(dst, (std::vector<int32_t>{5, 4, 3, 2, 1, 0}));
}

template <typename U> void checkTransposedCopy(unsigned threads) {
  // src is [2, 45, 37]; the plan reads it as [2, 37, 45] (last two axes
  // swapped), which takes the tiled transpose path.
  const int64_t n = 2, r = 37, c = 45;
  std::vector<U> src(n * r * c), dst(n * r * c);
  for (size_t i = 0; i < src.size(); ++i)
    src[i] = static_cast<U>(i * 7 + 1);
  StridedPlan plan({n, r, c}, {Strides{r * c, 1, r}});
  stridedCopy(plan, sizeof(U), reinterpret_cast<const char *>(src.data()),
              reinterpret_cast<char *>(dst.data()), threads);
  for (int64_t o = 0; o < n; ++o)
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < c; ++j)
        ASSERT_EQ(dst[(o * r + i) * c + j], src[o * r * c + j * r + i])
            << o << " " << i << " " << j;
}

TEST(StridedPlan, TiledTransposeForEveryElementSize) {
  checkTransposedCopy<uint8_t>(1);
  checkTransposedCopy<uint16_t>(2);
  checkTransposedCopy<uint32_t>(3);
  checkTransposedCopy<uint64_t>(1);
}

TEST(ParallelFor, CoversTheRangeExactlyOnce) {
  for (unsigned threads : {1u, 2u, 5u}) {
    std::vector<std::atomic<int>> hits(1000);
    parallelFor(threads, 1000, 10, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        hits[i]++;
    });
    for (auto &h : hits)
      EXPECT_EQ(h.load(), 1);
  }
  EXPECT_EQ(getNumChunks(4, 100, 30), 4u);
  EXPECT_EQ(getNumChunks(8, 100, 30), 4u);
  EXPECT_EQ(getNumChunks(8, 0, 30), 0u);
  EXPECT_EQ(getNumChunks(0, 10, 1), 1u);
}

TEST(ParallelFor, NestedCallsRunInline) {
  std::atomic<int64_t> total{0};
  parallelFor(3, 30, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      parallelFor(3, 10, 1, [&](int64_t b2, int64_t e2) { total += e2 - b2; });
  });
  EXPECT_EQ(total.load(), 300);
}

} // namespace
