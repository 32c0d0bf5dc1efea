//===- DatasetNpz.cpp - Data set reader over a .npz archive ---------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Opening reads the archive's central directory, the .npy header at the
// start of the samples member and the whole (small) labels member. Batches
// then come from a zip::MemberReader positioned after that header: stored
// members are read in place with positional reads, deflated ones inflated
// incrementally. Rewinding restarts the member and reads past the header
// again.
//
//===----------------------------------------------------------------------===//

#include "DatasetImpl.h"
#include "NpyHeader.h"
#include "RandomAccessFile.h"
#include "Zip.h"
#include "qlc/IO/Npy.h"
#include "qlc/IO/TensorCompare.h"
#include "qlc/Support/Error.h"

using namespace qlc;

namespace {
class NpzDatasetReader : public StreamingDatasetReader {
public:
  static llvm::Expected<std::unique_ptr<DatasetReader>>
  open(std::unique_ptr<RandomAccessFile> file, const DatasetOptions &options);

private:
  llvm::Error readSamples(char *dst, int64_t count) override;
  llvm::Error rewindSamples() override;
  llvm::Error openSamples(const zip::Entry &entry, int sampleRank);
  llvm::Error readLabels(const zip::Entry &entry);
  std::string describe(llvm::StringRef key) const {
    return path + ": array '" + key.str() + "'";
  }

  std::unique_ptr<RandomAccessFile> file;
  std::unique_ptr<zip::MemberReader> samples;
  std::string inputKey, labelKey;
  uint64_t dataOffset = 0; // of the sample data within the member
};
} // namespace

/// The member named "<key>.npy", or null.
static const zip::Entry *findMember(const std::vector<zip::Entry> &entries,
                                    llvm::StringRef key) {
  for (const zip::Entry &e : entries)
    if (e.name == key.str() + ".npy")
      return &e;
  return nullptr;
}

/// "'a', 'b'": the arrays of an archive, for error messages.
static std::string listArrays(const std::vector<zip::Entry> &entries) {
  std::string list;
  for (const zip::Entry &e : entries) {
    llvm::StringRef key(e.name);
    if (!key.consume_back(".npy"))
      continue;
    list += (list.empty() ? "'" : ", '") + key.str() + "'";
  }
  return list.empty() ? "no arrays" : list;
}

llvm::Expected<std::unique_ptr<DatasetReader>>
NpzDatasetReader::open(std::unique_ptr<RandomAccessFile> file,
                       const DatasetOptions &options) {
  std::unique_ptr<NpzDatasetReader> reader(new NpzDatasetReader);
  reader->path = file->getPath();
  reader->inputKey = options.inputKey;
  reader->labelKey = options.labelKey;
  auto entries = zip::readDirectory(*file);
  if (!entries)
    return addErrorContext(entries.takeError(), reader->path);
  reader->file = std::move(file);
  const zip::Entry *x = findMember(*entries, options.inputKey);
  if (!x)
    return makeError(reader->path + ": no array '" + options.inputKey +
                     "' (the samples); the archive holds " +
                     listArrays(*entries));
  if (llvm::Error err = reader->openSamples(*x, options.sampleRank))
    return err;
  if (const zip::Entry *y = findMember(*entries, options.labelKey))
    if (llvm::Error err = reader->readLabels(*y))
      return err;
  return std::unique_ptr<DatasetReader>(std::move(reader));
}

llvm::Error NpzDatasetReader::openSamples(const zip::Entry &entry,
                                          int sampleRank) {
  auto member = zip::MemberReader::open(*file, entry);
  if (!member)
    return addErrorContext(member.takeError(), path);
  samples = std::move(*member);
  auto read = [&](char *dst, size_t size) { return samples->read(dst, size); };
  auto header = readNpyHeader(read, samples->getSize());
  if (!header)
    return addErrorContext(header.takeError(), describe(inputKey));
  if (llvm::Error err =
          checkNpyDataSize(*header, samples->getSize() - header->dataOffset))
    return addErrorContext(std::move(err), describe(inputKey));
  if (llvm::Error err =
          splitSamples(header->shape, sampleRank, numSamples, sampleShape))
    return addErrorContext(std::move(err), describe(inputKey));
  elementType = header->type;
  dataOffset = header->dataOffset;
  return llvm::Error::success();
}

/// Class indices from labels of shape [n] (indices) or [n, k] (one-hot or
/// scores: the argmax is the class).
llvm::Error NpzDatasetReader::readLabels(const zip::Entry &entry) {
  auto member = zip::MemberReader::open(*file, entry);
  if (!member)
    return addErrorContext(member.takeError(), path);
  auto bytes = (*member)->readRest();
  if (!bytes)
    return addErrorContext(bytes.takeError(), path);
  auto y = parseNpy(*bytes);
  if (!y)
    return addErrorContext(y.takeError(), describe(labelKey));
  ElementType type = y->getElementType();
  if (!isFloatType(type) && !isIntegerType(type) && type != ElementType::Bool)
    return makeError(describe(labelKey) + ": labels of type '" +
                     getElementTypeName(type) + "' are not numbers");
  if (y->getRank() < 1 || y->getRank() > 2 || y->getDim(0) != numSamples ||
      (y->getRank() == 2 && y->getDim(1) == 0))
    return makeError(path + ": '" + inputKey + "' holds " +
                     llvm::Twine(numSamples) + " samples of shape " +
                     formatShape(sampleShape) + " but '" + labelKey +
                     "' has shape " + formatShape(y->getShape()) +
                     "; expected [" + llvm::Twine(numSamples) + "] or [" +
                     llvm::Twine(numSamples) + ", classes]");
  labels = y->getRank() == 1 ? y->toInt64s() : argmaxLastAxis(*y);
  withLabels = true;
  return llvm::Error::success();
}

llvm::Error NpzDatasetReader::readSamples(char *dst, int64_t count) {
  if (llvm::Error err = samples->read(dst, count * getSampleByteSize()))
    return addErrorContext(std::move(err), "array '" + inputKey + "'");
  return llvm::Error::success();
}

llvm::Error NpzDatasetReader::rewindSamples() {
  samples->rewind();
  std::string header(dataOffset, '\0');
  return samples->read(&header[0], header.size());
}

llvm::Expected<std::unique_ptr<DatasetReader>>
qlc::openNpzDataset(std::unique_ptr<RandomAccessFile> file,
                    const DatasetOptions &options) {
  return NpzDatasetReader::open(std::move(file), options);
}
