//===- RunOutputs.cpp - qlc-run: writing and summarising tensors ----------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Output files are named after tensor names, which in ONNX may contain
// '/', ':' and anything else; sanitizeFileName maps them to safe names and
// writeTensorsToDir resolves the collisions that mapping can create.
// bfloat16 tensors, which NumPy cannot hold, are written as float32.
//
//===----------------------------------------------------------------------===//

#include "RunSupport.h"
#include "qlc/IO/FileIO.h"
#include "qlc/IO/Npy.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace qlc;
using namespace qlc::run;

NamedTensorRefs run::orderedOutputs(const LoadedModel &m,
                                    const TensorMap &results) {
  NamedTensorRefs refs;
  for (const std::string &name : m.outputNames) {
    auto it = results.find(name);
    if (it != results.end())
      refs.emplace_back(name, &it->second);
  }
  return refs;
}

llvm::Error run::writeTensorsToDir(llvm::StringRef dir,
                                   const NamedTensorRefs &tensors) {
  // Serialize everything first: a tensor that cannot be written must fail
  // the run before any file exists.
  std::vector<std::pair<std::string, std::string>> files;
  llvm::StringSet<> used;
  for (const auto &[name, tensor] : tensors) {
    Tensor converted;
    const Tensor *t = tensor;
    if (t->getElementType() == ElementType::BFloat16) {
      converted = t->castTo(ElementType::Float);
      t = &converted;
    }
    auto bytes = serializeNpy(*t);
    if (!bytes)
      return addErrorContext(bytes.takeError(), "tensor '" + name + "'");
    std::string base = sanitizeFileName(name), file = base + ".npy";
    for (unsigned i = 1; !used.insert(file).second; ++i)
      file = base + "_" + std::to_string(i) + ".npy";
    files.emplace_back(file, std::move(*bytes));
  }
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return makeError(dir + ": cannot create directory: " + ec.message());
  for (const auto &[file, bytes] : files) {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, file);
    if (llvm::Error err = writeFileAtomic(path, bytes))
      return err; // the message names the path
  }
  return llvm::Error::success();
}

void run::printSummaries(const NamedTensorRefs &tensors,
                         llvm::raw_ostream &os) {
  for (const auto &[name, tensor] : tensors)
    os << name << ": " << summarizeTensor(*tensor) << "\n";
}
