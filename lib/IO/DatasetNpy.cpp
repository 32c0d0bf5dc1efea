//===- DatasetNpy.cpp - Data set reader over .npy files -------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Opening reads only each file's .npy header (so it is cheap however large
// the files) and checks that all files hold samples of one shape and
// element type. Batches then read sample rows with positional reads from
// one file at a time, crossing into the next file when a batch needs more;
// only the current file is open, so a directory of 50,000 single-sample
// files needs one file descriptor.
//
//===----------------------------------------------------------------------===//

#include "DatasetImpl.h"
#include "NpyHeader.h"
#include "RandomAccessFile.h"
#include "qlc/Support/Error.h"

using namespace qlc;

namespace {
/// What opening learnt about one file.
struct NpyFile {
  std::string path;
  uint64_t size = 0;       // checked again when the file's turn comes
  uint64_t dataOffset = 0; // where the sample data starts
  int64_t count = 0;       // samples in the file
};

class NpyFilesDatasetReader : public StreamingDatasetReader {
public:
  static llvm::Expected<std::unique_ptr<DatasetReader>>
  open(llvm::StringRef path, const std::vector<std::string> &files,
       const DatasetOptions &options);

private:
  llvm::Error addFile(const std::string &file, int sampleRank);
  llvm::Error readSamples(char *dst, int64_t count) override;
  llvm::Error rewindSamples() override;
  /// Opens files[fileIndex], checking it did not change since open().
  llvm::Error openCurrent();

  std::vector<NpyFile> files;
  std::string firstFile; // the file that set the sample shape and type
  size_t fileIndex = 0;
  int64_t sampleInFile = 0;
  std::unique_ptr<RandomAccessFile> current; // files[fileIndex] once open
};
} // namespace

/// Reads and checks the header of `file`.
static llvm::Expected<NpyHeaderInfo> readFileHeader(RandomAccessFile &file) {
  uint64_t offset = 0;
  auto read = [&](char *dst, size_t size) {
    llvm::Error err = file.readAt(offset, dst, size);
    offset += size;
    return err;
  };
  auto header = readNpyHeader(read, file.getSize());
  if (!header)
    return header.takeError();
  if (llvm::Error err =
          checkNpyDataSize(*header, file.getSize() - header->dataOffset))
    return err;
  return header;
}

llvm::Error NpyFilesDatasetReader::addFile(const std::string &path,
                                           int sampleRank) {
  auto file = RandomAccessFile::open(path);
  if (!file)
    return addErrorContext(file.takeError(), path);
  auto header = readFileHeader(**file);
  if (!header)
    return addErrorContext(header.takeError(), path);
  NpyFile info{path, (*file)->getSize(), header->dataOffset, 0};
  Shape shape;
  if (llvm::Error err =
          splitSamples(header->shape, sampleRank, info.count, shape))
    return addErrorContext(std::move(err), path);
  if (files.empty()) {
    sampleShape = shape;
    elementType = header->type;
    firstFile = path;
  } else if (shape != sampleShape || header->type != elementType) {
    return makeError(path + ": samples of shape " + formatShape(shape) +
                     " and type '" + getElementTypeName(header->type) +
                     "' differ from " + formatShape(sampleShape) + " and '" +
                     getElementTypeName(elementType) + "' in " + firstFile);
  }
  numSamples += info.count;
  files.push_back(std::move(info));
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<DatasetReader>>
NpyFilesDatasetReader::open(llvm::StringRef path,
                            const std::vector<std::string> &files,
                            const DatasetOptions &options) {
  std::unique_ptr<NpyFilesDatasetReader> reader(new NpyFilesDatasetReader);
  reader->path = path.str();
  for (const std::string &file : files)
    if (llvm::Error err = reader->addFile(file, options.sampleRank))
      return err;
  return std::unique_ptr<DatasetReader>(std::move(reader));
}

llvm::Error NpyFilesDatasetReader::openCurrent() {
  const NpyFile &info = files[fileIndex];
  auto file = RandomAccessFile::open(info.path);
  if (!file)
    return addErrorContext(file.takeError(), info.path);
  if ((*file)->getSize() != info.size)
    return makeError(info.path + ": the file changed while being read");
  current = std::move(*file);
  return llvm::Error::success();
}

llvm::Error NpyFilesDatasetReader::readSamples(char *dst, int64_t count) {
  uint64_t sampleBytes = getSampleByteSize();
  while (count > 0) {
    // Move past exhausted (or empty) files; StreamingDatasetReader never
    // asks for more samples than remain, so a file with samples is ahead.
    while (sampleInFile == files[fileIndex].count) {
      current.reset();
      ++fileIndex;
      sampleInFile = 0;
    }
    if (!current)
      if (llvm::Error err = openCurrent())
        return err;
    const NpyFile &info = files[fileIndex];
    int64_t take = std::min(count, info.count - sampleInFile);
    uint64_t offset = info.dataOffset + sampleInFile * sampleBytes;
    if (llvm::Error err = current->readAt(offset, dst, take * sampleBytes))
      return addErrorContext(std::move(err), info.path);
    dst += take * sampleBytes;
    count -= take;
    sampleInFile += take;
  }
  return llvm::Error::success();
}

llvm::Error NpyFilesDatasetReader::rewindSamples() {
  current.reset();
  fileIndex = 0;
  sampleInFile = 0;
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<DatasetReader>>
qlc::openNpyFilesDataset(llvm::StringRef path, std::vector<std::string> files,
                         const DatasetOptions &options) {
  return NpyFilesDatasetReader::open(path, files, options);
}
