//===- ToolUtils.h - Shared helpers of the command-line tools ---*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QLC_TOOLS_TOOLUTILS_H
#define QLC_TOOLS_TOOLUTILS_H

#include "qlc/IR/Model.h"

#include "llvm/Support/Error.h"

#include <memory>

namespace qlc {

/// Prints "error: CONTEXT: message" to stderr; returns 1 (the exit code).
int reportError(llvm::StringRef context, llvm::Error err);

/// Reads a model from a file, or from standard input for "-" (format told
/// by content: textual models start with '<', '#' or a letter). The model
/// is verified; errors carry no file prefix.
llvm::Expected<std::unique_ptr<Model>> loadModel(llvm::StringRef path);

} // namespace qlc

#endif // QLC_TOOLS_TOOLUTILS_H
