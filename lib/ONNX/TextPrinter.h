//===- TextPrinter.h - ONNX 1.12 textual syntax printer ---------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Prints a ModelProto in the textual syntax that ONNX 1.12's OnnxParser
// reads. The syntax cannot express everything (node names, doc strings,
// float16 data, NaN, names that are not identifiers, several attribute
// kinds...); the printer still prints such content readably, or as comments,
// and records a limitation for each kind, so callers can tell the user that
// the text will not parse back to the same model.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_ONNX_TEXTPRINTER_H
#define QLC_LIB_ONNX_TEXTPRINTER_H

#include "onnx/onnx_pb.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace qlc::onnxio {

class TextPrinter {
public:
  explicit TextPrinter(llvm::raw_ostream &os) : os(os) {}

  void printModel(const onnx::ModelProto &model);
  /// One line per kind of content the 1.12 parser cannot read back.
  std::vector<std::string> getLimitations() const;

private:
  using Ids = google::protobuf::RepeatedPtrField<std::string>;

  // Structure (TextPrinter.cpp).
  void printHeader(const onnx::ModelProto &model);
  void printOpsets(
      const google::protobuf::RepeatedPtrField<onnx::OperatorSetIdProto> &);
  void printGraph(const onnx::GraphProto &graph, unsigned indent);
  void printSignature(const onnx::GraphProto &graph, unsigned indent);
  void printValueInfos(const onnx::GraphProto &graph, unsigned indent);
  void printNodes(const google::protobuf::RepeatedPtrField<onnx::NodeProto> &,
                  unsigned indent);
  void printNode(const onnx::NodeProto &node, unsigned indent);
  bool isPrintable(const onnx::AttributeProto &attr);
  void printAttribute(const onnx::AttributeProto &attr, unsigned indent);
  void printAttributeValue(const onnx::AttributeProto &attr, unsigned indent);
  void printFunction(const onnx::FunctionProto &function);

  // Leaves (TextValues.cpp).
  void printName(llvm::StringRef name);
  void printIdList(const Ids &ids, const char *what);
  void printString(llvm::StringRef s);
  void printDocString(llvm::StringRef doc, const char *what, unsigned indent);
  void printValueInfo(const onnx::ValueInfoProto &info);
  void printType(const onnx::TypeProto &type);
  void printTensorType(const onnx::TensorProto &tensor);
  void printTensorData(const onnx::TensorProto &tensor, unsigned indent);
  void printFloatAttr(float value);
  void printFloat(double value, bool isDouble, bool forceDecimal);
  void printComment(llvm::StringRef text);
  void indentTo(unsigned indent);
  void noteLimit(llvm::StringRef what, llvm::StringRef example = "");

  llvm::raw_ostream &os;
  struct Limit {
    std::string what;
    std::string example;
    unsigned count;
  };
  std::vector<Limit> limits;
};

/// True for [A-Za-z_][A-Za-z0-9_]*, what the 1.12 parser reads as a name.
bool isTextIdentifier(llvm::StringRef name);

} // namespace qlc::onnxio

#endif // QLC_LIB_ONNX_TEXTPRINTER_H
