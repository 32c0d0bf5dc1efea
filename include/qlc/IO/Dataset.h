//===- Dataset.h - Streaming reader of sample data sets ---------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Reads the samples of a data set in order, batch by batch, for calibration
// and evaluation. Memory holds one batch plus bounded buffers, whatever the
// number of samples. A data set is one of:
//  - a .npz archive (np.savez or np.savez_compressed, ZIP64 included) with
//    the samples in member `x` ([n, sample...]) and optional labels in `y`
//    (class indices [n], or one-hot / scores [n, k] whose argmax is the
//    class). Stored members are read with positional reads, deflated ones
//    inflated incrementally; the CRC-32 is checked when a pass reaches the
//    end of the member.
//  - a directory of .npy files taken in sorted file-name order, each a
//    single sample or a batch of samples (see DatasetOptions::sampleRank);
//    no labels. Files are opened one at a time when their turn comes.
//  - a single .npy file, read like a directory holding only it.
// Arrays must be little-endian (or byte-order free) and in C order.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_IO_DATASET_H
#define QLC_IO_DATASET_H

#include "qlc/IR/Tensor.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace qlc {

struct DatasetOptions {
  /// Rank of one sample (the model input's rank minus 1 for the batch axis).
  /// For a directory of .npy files: a file of rank sampleRank is one sample,
  /// rank sampleRank+1 a batch of samples along axis 0. -1: every file is a
  /// batch. The same rule applies to the `x` array of a .npz.
  int sampleRank = -1;
  std::string inputKey = "x"; // npz member with the samples
  std::string labelKey = "y"; // npz member with labels (optional)
};

/// Samples read in order, batch by batch, holding at most one batch (plus
/// bounded buffers) in memory.
class DatasetReader {
public:
  virtual ~DatasetReader();
  /// Opens an .npz (samples in `x`, optional integer labels `y` of shape [n]
  /// or one-hot [n, k]), a directory of .npy files (taken in sorted
  /// file-name order; no labels) or a single .npy file. Errors name the
  /// path and what is wrong (missing key, bad member, shapes that differ
  /// between files, ...). Opening reads headers (and the labels) only.
  static llvm::Expected<std::unique_ptr<DatasetReader>>
  open(llvm::StringRef path, const DatasetOptions &options = {});

  const std::string &getPath() const { return path; }
  int64_t getNumSamples() const { return numSamples; }
  /// Shape of one sample, without the batch axis; element type of samples.
  llvm::ArrayRef<int64_t> getSampleShape() const { return sampleShape; }
  ElementType getElementType() const { return elementType; }
  /// Bytes of one sample.
  uint64_t getSampleByteSize() const;
  bool hasLabels() const { return withLabels; }
  /// Class indices of all samples (empty without labels); small, so held
  /// whole.
  llvm::ArrayRef<int64_t> getLabels() const { return labels; }

  /// Reads the next min(maxSamples, remaining) samples as one tensor of
  /// shape [n, sampleShape...]; n == 0 at the end. Labels (class indices)
  /// of those samples are appended to `labels` when non-null and
  /// hasLabels(). maxSamples must be positive.
  virtual llvm::Expected<Tensor>
  next(int64_t maxSamples, std::vector<int64_t> *labels = nullptr) = 0;
  /// Back to the first sample.
  virtual llvm::Error rewind() = 0;

protected:
  DatasetReader() = default;

  // Filled in by implementations when they open.
  std::string path;
  int64_t numSamples = 0;
  Shape sampleShape;
  ElementType elementType = ElementType::Undefined;
  bool withLabels = false;
  std::vector<int64_t> labels; // one per sample when withLabels
};

} // namespace qlc

#endif // QLC_IO_DATASET_H
