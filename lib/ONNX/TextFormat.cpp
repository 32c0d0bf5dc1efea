//===- TextFormat.cpp - Public entry points of the text printer -----------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// printModelText exports the IR to a complete ModelProto and prints it with
// TextPrinter. When the ONNX 1.12 syntax cannot express part of the model,
// the text opens with a comment listing what will not parse back, so a
// reader (or a test) never mistakes a lossy printout for a faithful one.
//
//===----------------------------------------------------------------------===//

#include "qlc/ONNX/Export.h"

#include "ProtoConversion.h"
#include "TextPrinter.h"

using namespace qlc;

/// Prints the body of `model` to `os`; returns the limitations met.
static std::vector<std::string> printBody(const Model &model,
                                          llvm::raw_ostream &os) {
  llvm::Expected<onnxio::ExportedModel> exported =
      onnxio::buildSkeleton(model, onnxio::SkeletonOptions());
  if (!exported) {
    std::string message = llvm::toString(exported.takeError());
    os << "# error: the model cannot be printed: " << message << '\n';
    return {"the model cannot be exported: " + message};
  }
  onnxio::fillSplicedData(*exported);
  std::vector<std::string> limitations;
  onnxio::printModelProtoText(exported->proto, os, limitations);
  return limitations;
}

void qlc::printModelText(const Model &model, llvm::raw_ostream &os) {
  std::string body;
  llvm::raw_string_ostream bodyStream(body);
  std::vector<std::string> limitations = printBody(model, bodyStream);
  bodyStream.flush();
  if (!limitations.empty()) {
    os << "# note: ONNX 1.12's parser cannot read back all of this model:\n";
    for (const std::string &line : limitations)
      os << "#   - " << line << '\n';
  }
  os << body;
}

std::vector<std::string> qlc::getTextFormatLimitations(const Model &model) {
  return printBody(model, llvm::nulls());
}
