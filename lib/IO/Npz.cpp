//===- Npz.cpp - NumPy .npz archives --------------------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Maps archive members "<key>.npy" to named tensors through the zip layer
// (Zip.h) and the .npy parser. Errors name the offending member.
//
//===----------------------------------------------------------------------===//

#include "qlc/IO/Npz.h"
#include "Zip.h"
#include "qlc/IO/FileIO.h"
#include "qlc/IO/Npy.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"

using namespace qlc;

llvm::Expected<NpzArrays> qlc::parseNpz(llvm::StringRef bytes,
                                        llvm::ArrayRef<std::string> onlyKeys) {
  auto entries = zip::readDirectory(bytes);
  if (!entries)
    return entries.takeError();
  NpzArrays arrays;
  llvm::StringSet<> seen;
  for (const zip::Entry &e : *entries) {
    llvm::StringRef key(e.name);
    if (key.endswith("/"))
      continue; // a directory entry carries no data
    if (!key.consume_back(".npy"))
      return makeError("member '" + e.name + "' is not a .npy array");
    if (!seen.insert(key).second)
      return makeError("duplicate array '" + key + "'");
    if (!onlyKeys.empty() && !llvm::is_contained(onlyKeys, key))
      continue;
    auto data = zip::extract(bytes, e);
    if (!data)
      return data.takeError();
    auto tensor = parseNpy(*data);
    if (!tensor)
      return addErrorContext(tensor.takeError(), "array '" + key + "'");
    arrays.push_back(NpzArray{key.str(), std::move(*tensor)});
  }
  return arrays;
}

llvm::Expected<NpzArrays>
qlc::readNpzFile(llvm::StringRef path, llvm::ArrayRef<std::string> onlyKeys) {
  auto buf = readWholeFile(path);
  if (!buf)
    return buf.takeError();
  return parseNpz((*buf)->getBuffer(), onlyKeys);
}

const Tensor *qlc::findNpzArray(const NpzArrays &arrays, llvm::StringRef key) {
  for (const NpzArray &a : arrays)
    if (a.key == key)
      return &a.tensor;
  return nullptr;
}

llvm::Expected<std::string> qlc::serializeNpz(const NpzArrays &arrays) {
  zip::Writer writer;
  llvm::StringSet<> seen;
  for (const NpzArray &a : arrays) {
    if (a.key.empty())
      return makeError("empty array name in .npz");
    if (!seen.insert(a.key).second)
      return makeError("duplicate array '" + a.key + "'");
    auto npy = serializeNpy(a.tensor);
    if (!npy)
      return addErrorContext(npy.takeError(), "array '" + a.key + "'");
    writer.addStored(a.key + ".npy", *npy);
  }
  return writer.finish();
}

llvm::Error qlc::writeNpzFile(llvm::StringRef path, const NpzArrays &arrays) {
  auto bytes = serializeNpz(arrays);
  if (!bytes)
    return bytes.takeError();
  return writeFileAtomic(path, *bytes);
}
