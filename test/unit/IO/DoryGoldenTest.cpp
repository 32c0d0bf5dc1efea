//===- DoryGoldenTest.cpp - DORY golden feature map files -----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/IO/DoryGolden.h"
#include "qlc/IO/FileIO.h"

#include "llvm/Support/FileSystem.h"

#include "gtest/gtest.h"

using namespace qlc;

namespace {

std::string tempFile(llvm::StringRef contents) {
  llvm::SmallString<128> path;
  int fd;
  EXPECT_FALSE(llvm::sys::fs::createTemporaryFile("golden", "txt", fd, path));
  llvm::sys::fs::closeFile(fd);
  EXPECT_FALSE(bool(writeFileAtomic(path, contents)));
  return path.str().str();
}

TEST(DoryGoldenTest, FeatureMapsAreWrittenHwc) {
  // C = 2, H = 1, W = 3: channel 0 is 1 2 3, channel 1 is -1 -2 -3.
  Tensor t = Tensor::fromValues<int8_t>({1, 2, 1, 3}, {1, 2, 3, -1, -2, -3});
  EXPECT_EQ(formatDoryGolden("act", t),
            "# act (shape [1, 3, 2]),\n1,\n-1,\n2,\n-2,\n3,\n-3,\n");
}

TEST(DoryGoldenTest, VectorsDropTheBatchAndFloatsTruncate) {
  Tensor t = Tensor::fromValues<float>({1, 3}, {435.0f, -2.7f, 0.9f});
  EXPECT_EQ(formatDoryGolden("output", t),
            "# output (shape [3]),\n435,\n-2,\n0,\n");
}

TEST(DoryGoldenTest, ReadsQuantLabAndNemoStyles) {
  std::string path = tempFile("# x (shape [2]),\n12,\n-3,\n"
                              "layers.0 (shape [1, 2]),\\\n57.000,\\\n 4 ,\n");
  llvm::Expected<std::vector<int64_t>> v = readDoryGolden(path);
  ASSERT_TRUE(bool(v)) << llvm::toString(v.takeError());
  EXPECT_EQ(*v, (std::vector<int64_t>{12, -3, 57, 4}));
}

TEST(DoryGoldenTest, RejectsNonIntegers) {
  std::string path = tempFile("# x\n1,\n2.5,\n");
  llvm::Expected<std::vector<int64_t>> v = readDoryGolden(path);
  ASSERT_FALSE(bool(v));
  EXPECT_NE(llvm::toString(v.takeError()).find(":3: '2.5,' is not an integer"),
            std::string::npos);
}

TEST(DoryGoldenTest, InputRoundTripsThroughHwc) {
  Tensor t = Tensor::fromValues<uint8_t>({1, 2, 2, 2},
                                         {1, 2, 3, 4, 5, 6, 7, 8});
  std::string path = tempFile(formatDoryGolden("input", t));
  llvm::Expected<Tensor> back =
      readDoryInput(path, TensorType(ElementType::UInt8, {1, 2, 2, 2}));
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_TRUE(back->isIdenticalTo(t));
  llvm::Expected<Tensor> wrong =
      readDoryInput(path, TensorType(ElementType::UInt8, {1, 3, 2, 2}));
  ASSERT_FALSE(bool(wrong));
  EXPECT_NE(llvm::toString(wrong.takeError()).find("8 values for an input"),
            std::string::npos);
}

} // namespace
