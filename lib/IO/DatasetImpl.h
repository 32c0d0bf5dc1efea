//===- DatasetImpl.h - Internals of the data set readers --------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The shared batch logic of the DatasetReader implementations and their
// factories: DatasetNpz.cpp reads the `x` member of a .npz, DatasetNpy.cpp a
// list of .npy files. Private to lib/IO.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_IO_DATASETIMPL_H
#define QLC_LIB_IO_DATASETIMPL_H

#include "qlc/IO/Dataset.h"

namespace qlc {

class RandomAccessFile;

/// A reader that produces batches from consecutive raw sample bytes;
/// implementations only say how to fetch those bytes.
class StreamingDatasetReader : public DatasetReader {
public:
  llvm::Expected<Tensor> next(int64_t maxSamples,
                              std::vector<int64_t> *labels) override;
  llvm::Error rewind() override;

protected:
  /// Reads `count` samples (0 < count <= remaining) at the current position
  /// into `dst` (count * getSampleByteSize() bytes). Errors need not name
  /// the data set's path.
  virtual llvm::Error readSamples(char *dst, int64_t count) = 0;
  /// Back to the first sample.
  virtual llvm::Error rewindSamples() = 0;

private:
  int64_t position = 0;
  /// A failed read leaves the underlying stream mid-batch: refuse further
  /// reads until rewind().
  bool failed = false;
};

/// Splits an array of `shape` into samples as DatasetOptions::sampleRank
/// says: its number of samples and the shape of one. The error does not
/// name the array.
llvm::Error splitSamples(llvm::ArrayRef<int64_t> shape, int sampleRank,
                         int64_t &count, Shape &sampleShape);

/// A reader over the `options.inputKey` member of the .npz in `file`.
llvm::Expected<std::unique_ptr<DatasetReader>>
openNpzDataset(std::unique_ptr<RandomAccessFile> file,
               const DatasetOptions &options);

/// A reader over the .npy files `files`, in that order; `path` is what
/// errors about the whole set name (the directory).
llvm::Expected<std::unique_ptr<DatasetReader>>
openNpyFilesDataset(llvm::StringRef path, std::vector<std::string> files,
                    const DatasetOptions &options);

} // namespace qlc

#endif // QLC_LIB_IO_DATASETIMPL_H
