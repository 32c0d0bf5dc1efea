//===- ToolUtils.cpp - Shared helpers of the command-line tools -----------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/Tools/ToolUtils.h"
#include "qlc/IR/Verifier.h"
#include "qlc/ONNX/Import.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/WithColor.h"

using namespace qlc;

int qlc::reportError(llvm::StringRef context, llvm::Error err) {
  std::string message = llvm::toString(std::move(err));
  // Errors that already start with the file they are about keep one prefix.
  if (llvm::StringRef(message).startswith((context + ": ").str()))
    llvm::WithColor::error(llvm::errs()) << message << "\n";
  else
    llvm::WithColor::error(llvm::errs()) << context << ": " << message << "\n";
  return 1;
}

static bool looksLikeText(llvm::StringRef bytes) {
  llvm::StringRef start = bytes.ltrim();
  return !start.empty() &&
         (start.front() == '<' || start.front() == '#' ||
          llvm::isAlpha(start.front()));
}

static llvm::Expected<std::unique_ptr<Model>> readModel(llvm::StringRef path) {
  if (path != "-")
    return importModelFile(path);
  auto buffer = llvm::MemoryBuffer::getSTDIN();
  if (!buffer)
    return makeError("cannot read standard input: " +
                     buffer.getError().message());
  llvm::StringRef bytes = (*buffer)->getBuffer();
  return looksLikeText(bytes) ? importModelText(bytes)
                              : importModelBinary(bytes);
}

llvm::Expected<std::unique_ptr<Model>> qlc::loadModel(llvm::StringRef path) {
  auto model = readModel(path);
  if (!model)
    return model.takeError();
  if (llvm::Error err = verify(**model))
    return addErrorContext(std::move(err), "invalid model");
  return model;
}
