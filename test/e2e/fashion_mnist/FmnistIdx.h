//===- FmnistIdx.h - Fashion-MNIST IDX files to .npz ------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Reads the gzip-compressed IDX files of (Fashion-)MNIST (big-endian magic
// 2051 for images, 2049 for labels, then one big-endian int32 per
// dimension, then uint8 data) and turns a slice of them into the arrays the
// F2F end-to-end tests feed to qlc: `x` float32 [count, 1, 28, 28] =
// pixel / 255 (what numpy's x.astype(float32) / float32(255) gives) and `y`
// int64 labels. Uncompressed IDX files are accepted too (zlib reads them
// transparently). Every check happens before anything is written, and the
// .npz is written atomically, so a failure never leaves a partial file.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_TEST_E2E_FMNISTIDX_H
#define QLC_TEST_E2E_FMNISTIDX_H

#include "qlc/IO/Npz.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace qlc {
namespace fmnist {

constexpr int32_t kImagesMagic = 2051;
constexpr int32_t kLabelsMagic = 2049;
constexpr int64_t kImageSide = 28;
constexpr int64_t kNumClasses = 10;

/// The dimensions and raw uint8 data of an IDX file.
struct IdxArray {
  std::vector<int64_t> dims;
  std::string data;
};

/// Reads and checks an IDX file (gzip or plain) with the given magic number
/// and rank; the data must be exactly as long as the dimensions say.
/// Errors do not name the file.
llvm::Expected<IdxArray> readIdxFile(llvm::StringRef path, int32_t magic,
                                     unsigned rank);

/// Which samples to convert: `count` < 0 means all from `offset` on.
struct SampleRange {
  int64_t offset = 0;
  int64_t count = -1;
};

/// Checks that `images` ([n, 28, 28]) and `labels` ([n], values < 10)
/// match and `range` lies within them, and returns {x, y}. Errors do not
/// name a file.
llvm::Expected<NpzArrays> makeArrays(const IdxArray &images,
                                     const IdxArray &labels, SampleRange range);

/// The whole conversion; errors read "FILE: what".
llvm::Error convertToNpz(llvm::StringRef imagesPath, llvm::StringRef labelsPath,
                         llvm::StringRef outPath, SampleRange range);

} // namespace fmnist
} // namespace qlc

#endif // QLC_TEST_E2E_FMNISTIDX_H
