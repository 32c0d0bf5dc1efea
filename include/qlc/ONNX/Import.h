//===- Import.h - ONNX model import -----------------------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Reads binary ONNX (.onnx, with external data) and ONNX's textual syntax
// (.onnxtxt) into the qlc IR, normalising on the way: Constant nodes become
// initializers, IR-version-3 initializers listed as inputs become constants,
// nodes are sorted topologically, float16 stays float16. Unknown ops and
// custom domains are kept as opaque nodes.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_ONNX_IMPORT_H
#define QLC_ONNX_IMPORT_H

#include "qlc/IR/Model.h"

#include "llvm/Support/Error.h"

#include <memory>

namespace qlc {

enum class ModelFormat { Binary, Text };

/// Text for .onnxtxt / .onnxtext / .txt, binary otherwise.
ModelFormat guessModelFormat(llvm::StringRef path);

/// Reads a model file. Errors carry no file prefix; tools add it.
llvm::Expected<std::unique_ptr<Model>> importModelFile(llvm::StringRef path);
/// Parses serialized ModelProto bytes. External data is resolved relative
/// to `baseDir` (none when empty).
llvm::Expected<std::unique_ptr<Model>>
importModelBinary(llvm::StringRef bytes, llvm::StringRef baseDir = "");
/// Parses ONNX textual syntax (lines starting with '#' are comments).
llvm::Expected<std::unique_ptr<Model>> importModelText(llvm::StringRef text);

} // namespace qlc

#endif // QLC_ONNX_IMPORT_H
