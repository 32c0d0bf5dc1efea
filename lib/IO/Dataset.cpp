//===- Dataset.cpp - Streaming reader of sample data sets -----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// DatasetReader::open decides what a path holds (a directory, a .npy file
// by its magic, else a zip archive) and hands over to DatasetNpz.cpp or
// DatasetNpy.cpp. StreamingDatasetReader turns "read the next k samples'
// bytes" into batches: it allocates exactly one batch per call, so memory
// does not grow with the data set.
//
//===----------------------------------------------------------------------===//

#include "qlc/IO/Dataset.h"
#include "DatasetImpl.h"
#include "NpyHeader.h"
#include "RandomAccessFile.h"
#include "qlc/Support/Error.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <algorithm>

using namespace qlc;
namespace fs = llvm::sys::fs;

DatasetReader::~DatasetReader() = default;

uint64_t DatasetReader::getSampleByteSize() const {
  return static_cast<uint64_t>(qlc::getNumElements(sampleShape)) *
         getElementSize(elementType);
}

llvm::Expected<Tensor>
StreamingDatasetReader::next(int64_t maxSamples,
                             std::vector<int64_t> *batchLabels) {
  if (maxSamples <= 0)
    return makeError(path + ": batch size must be positive, got " +
                     llvm::Twine(maxSamples));
  if (failed)
    return makeError(path + ": cannot continue after a failed read; rewind "
                            "first");
  int64_t count = std::min(maxSamples, numSamples - position);
  Shape shape{count};
  shape.append(sampleShape.begin(), sampleShape.end());
  auto storage = std::make_shared<std::string>(
      static_cast<size_t>(count) * getSampleByteSize(), '\0');
  if (count > 0) {
    if (llvm::Error err = readSamples(&(*storage)[0], count)) {
      failed = true;
      return addErrorContext(std::move(err), path);
    }
    if (elementType == ElementType::Bool)
      normalizeNpyBools(&(*storage)[0], storage->size());
  }
  if (batchLabels && withLabels)
    batchLabels->insert(batchLabels->end(), labels.begin() + position,
                        labels.begin() + position + count);
  position += count;
  return Tensor(elementType, shape, std::move(storage));
}

llvm::Error StreamingDatasetReader::rewind() {
  position = 0;
  failed = false;
  if (llvm::Error err = rewindSamples()) {
    failed = true;
    return addErrorContext(std::move(err), path);
  }
  return llvm::Error::success();
}

llvm::Error qlc::splitSamples(llvm::ArrayRef<int64_t> shape, int sampleRank,
                              int64_t &count, Shape &sampleShape) {
  int64_t rank = static_cast<int64_t>(shape.size());
  if (sampleRank < -1)
    return makeError("invalid sample rank " + llvm::Twine(sampleRank));
  if (sampleRank >= 0 && rank == sampleRank) {
    count = 1;
    sampleShape.assign(shape.begin(), shape.end());
    return llvm::Error::success();
  }
  if (rank >= 1 && (sampleRank == -1 || rank == sampleRank + 1)) {
    count = shape[0];
    sampleShape.assign(shape.begin() + 1, shape.end());
    return llvm::Error::success();
  }
  if (sampleRank == -1)
    return makeError("shape " + formatShape(shape) +
                     " is not a batch of samples (samples go on axis 0)");
  return makeError("shape " + formatShape(shape) +
                   " is neither a sample of "
                   "rank " +
                   llvm::Twine(sampleRank) + " nor a batch of them");
}

/// The .npy files directly inside `dir`, sorted by name.
static llvm::Expected<std::vector<std::string>>
listNpyFiles(llvm::StringRef dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    if (name.endswith(".npy") && fs::is_regular_file(it->path()))
      files.push_back(it->path());
  }
  if (ec)
    return makeError(dir + ": cannot list the directory: " + ec.message());
  if (files.empty())
    return makeError(dir + ": no .npy files in the directory");
  std::sort(files.begin(), files.end());
  return files;
}

llvm::Expected<std::unique_ptr<DatasetReader>>
DatasetReader::open(llvm::StringRef path, const DatasetOptions &options) {
  if (fs::is_directory(path)) {
    auto files = listNpyFiles(path);
    if (!files)
      return files.takeError();
    return openNpyFilesDataset(path, std::move(*files), options);
  }
  auto file = RandomAccessFile::open(path);
  if (!file)
    return addErrorContext(file.takeError(), path);
  // A .npy file by its magic; anything else must be a zip archive.
  static const char kNpyMagic[] = "\x93NUMPY";
  char magic[6] = {};
  if ((*file)->getSize() >= sizeof(magic)) {
    if (llvm::Error err = (*file)->readAt(0, magic, sizeof(magic)))
      return addErrorContext(std::move(err), path);
  }
  if (std::equal(magic, magic + sizeof(magic), kNpyMagic)) {
    file->reset();
    return openNpyFilesDataset(path, {path.str()}, options);
  }
  return openNpzDataset(std::move(*file), options);
}
