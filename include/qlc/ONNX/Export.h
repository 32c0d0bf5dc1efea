//===- Export.h - ONNX model export -----------------------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Writes the IR as binary ONNX or as ONNX textual syntax. Output is
// deterministic (same input and pipeline, same bytes) and written atomically:
// to a temporary file in the destination directory, then renamed, so a failed
// run never leaves a partial file or clobbers an existing one.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_ONNX_EXPORT_H
#define QLC_ONNX_EXPORT_H

#include "qlc/IR/Model.h"
#include "qlc/ONNX/Import.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace qlc {

struct ExportOptions {
  ModelFormat format = ModelFormat::Binary;
  /// Run onnx::checker on the serialized model before writing.
  bool runChecker = true;
  /// Store initializers of at least `externalDataThreshold` bytes in a
  /// side file "<output>.data" (binary format only). Forced on for models
  /// whose serialized size would exceed protobuf's 2 GB limit.
  bool externalData = false;
  size_t externalDataThreshold = 1024;
};

/// Serializes to bytes (binary format, no external data).
llvm::Expected<std::string> exportModelBinary(const Model &model,
                                              bool runChecker = true);
/// Prints ONNX textual syntax that importModelText reads back losslessly:
/// model header, initializers, domains, attributes of every kind, floats
/// in round-trip precision.
/// Content that the 1.12 syntax cannot express (node names, doc strings,
/// float16 data, NaN, names that are not identifiers, some attribute kinds)
/// is still printed, readably or as comments, and listed in a leading
/// comment: then the text does not parse back to the same model.
void printModelText(const Model &model, llvm::raw_ostream &os);
/// What printModelText cannot express, one line per kind of content; empty
/// when the printed text parses back (importModelText) to the same IR.
std::vector<std::string> getTextFormatLimitations(const Model &model);
/// Writes `path` atomically in the requested format.
llvm::Error exportModelFile(const Model &model, llvm::StringRef path,
                            const ExportOptions &options = {});
/// Runs onnx::checker (full check, including shape inference checks).
llvm::Error checkModel(const Model &model);

/// Writes `contents` to `path` atomically (temporary file, then rename).
llvm::Error writeFileAtomically(llvm::StringRef path, llvm::StringRef contents);

} // namespace qlc

#endif // QLC_ONNX_EXPORT_H
