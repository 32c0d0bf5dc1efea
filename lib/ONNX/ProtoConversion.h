//===- ProtoConversion.h - Internal ONNX protobuf <-> IR helpers -*- C++
//-*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Declarations shared by the files of lib/ONNX, the only code in qlc that
// sees protobuf. Import converts a ModelProto (which it may plunder: raw
// tensor bytes are adopted, not copied) into the IR; export builds a
// "skeleton" ModelProto whose initializers carry no raw bytes and splices
// the bytes straight from the IR's shared storage while serializing, so a
// large model is never copied to be written.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_ONNX_PROTOCONVERSION_H
#define QLC_LIB_ONNX_PROTOCONVERSION_H

#include "qlc/IR/Model.h"

#include "onnx/onnx_pb.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace google::protobuf {
class Message;
class MessageLite;
namespace io {
class ZeroCopyOutputStream;
} // namespace io
} // namespace google::protobuf

namespace qlc::onnxio {

//===----------------------------------------------------------------------===//
// Tensors, types, attributes (TensorConversion.cpp, ExternalData.cpp,
// AttributeConversion.cpp, Canonicalize.cpp)
//===----------------------------------------------------------------------===//

/// Converts a TensorProto. Raw bytes are released from `proto` and adopted
/// without a copy; typed fields are converted to little-endian bytes;
/// external data is read relative to `baseDir`.
llvm::Expected<Tensor> tensorFromProto(onnx::TensorProto &proto,
                                       llvm::StringRef baseDir);
/// Converts a SparseTensorProto to a dense tensor.
llvm::Expected<Tensor> sparseTensorFromProto(onnx::SparseTensorProto &proto,
                                             llvm::StringRef baseDir);
/// Replaces external data in `proto` by raw_data read from `baseDir`.
llvm::Error inlineExternalData(onnx::TensorProto &proto,
                               llvm::StringRef baseDir);
/// Puts a message kept opaque in the IR (subgraph, function, sparse
/// tensor...) in canonical form, recursively: tensor data in raw_data (read
/// from external files if needed), attribute kinds explicit, empty strings
/// unset. Equal models then give equal bytes whatever wrote them.
llvm::Error canonicalizeProto(google::protobuf::Message &msg,
                              llvm::StringRef baseDir);

/// A tensor type; `what` names the value in errors. Non-tensor types
/// (sequence, map, optional, sparse) are an error.
llvm::Expected<TensorType> typeFromProto(const onnx::TypeProto &type,
                                         llvm::StringRef what);
/// Writes `type` (nothing at all for a fully unknown type).
void typeToProto(const TensorType &type, onnx::ValueInfoProto &info);

/// Fills `proto` with dims, data type and, when `withData`, the values
/// (raw_data for numbers, string_data for strings).
void tensorToProto(const Tensor &tensor, onnx::TensorProto &proto,
                   bool withData);

/// The kind of an attribute from the value field it sets (type UNDEFINED
/// in IR version 1 models).
onnx::AttributeProto::AttributeType
inferAttributeType(const onnx::AttributeProto &attr);
/// Converts an attribute of any kind; opaque kinds are serialized.
llvm::Expected<NamedAttribute> attributeFromProto(onnx::AttributeProto &proto,
                                                  llvm::StringRef baseDir);
/// The inverse; fails only on corrupt opaque bytes.
llvm::Error attributeToProto(const NamedAttribute &attr,
                             onnx::AttributeProto &proto);

//===----------------------------------------------------------------------===//
// Import (Import.cpp, Subgraph.cpp)
//===----------------------------------------------------------------------===//

/// Builds the IR from `proto`, taking its tensor bytes.
llvm::Expected<std::unique_ptr<Model>>
importModelProto(onnx::ModelProto &proto, llvm::StringRef baseDir);

/// Names a subgraph reads from enclosing scopes: used (recursively) but not
/// defined inside, in order of first use.
std::vector<std::string> collectOuterScopeNames(const onnx::GraphProto &graph);

//===----------------------------------------------------------------------===//
// Export (Export.cpp, ProtoWriter.cpp)
//===----------------------------------------------------------------------===//

struct ExportedModel {
  onnx::ModelProto proto;
  /// For each graph initializer, the tensor whose bytes the proto lacks
  /// (null when the proto holds the data itself, e.g. strings).
  std::vector<const Tensor *> spliced;
};

struct SkeletonOptions {
  /// Write value_info for node results with a known type.
  bool valueInfo = true;
};

/// Converts the IR to a ModelProto without initializer raw bytes.
llvm::Expected<ExportedModel> buildSkeleton(const Model &model,
                                            const SkeletonOptions &options);
/// How fillSplicedData completes a skeleton.
enum class DataFill {
  /// Every byte: the proto is the model.
  Full,
  /// For onnx::checker and shape inference, which never read the values of
  /// large floating-point tensors (they read shapes, and the data of small
  /// tensors such as Reshape shapes or Resize scales): floating-point
  /// initializers over 64 KiB get a 1-byte stand-in instead of a copy.
  ForAnalysis,
};
/// Copies the spliced bytes into the proto, making it self-contained.
void fillSplicedData(ExportedModel &exported, DataFill fill = DataFill::Full);
/// Runs onnx::checker and strict shape inference on a complete proto
/// (shape inference adds value_info to it).
llvm::Error checkModelProto(onnx::ModelProto &proto);

/// Registers the schemas of qlc's own ops with ONNX (once; QlcSchemas.cpp).
void registerQlcSchemas();

/// Serialized size of the skeleton with its spliced bytes.
size_t getSplicedByteSize(const ExportedModel &exported);
/// Serializes deterministically, splicing the bytes; consumes the proto.
llvm::Error writeSpliced(ExportedModel &exported,
                         google::protobuf::io::ZeroCopyOutputStream &out);

/// Deterministic serialization of a small message.
std::string serializeDeterministic(const google::protobuf::MessageLite &msg);

//===----------------------------------------------------------------------===//
// Text (TextPrinter.cpp)
//===----------------------------------------------------------------------===//

/// Prints `proto` in ONNX 1.12 textual syntax; appends to `limitations`
/// a line for each kind of content the 1.12 parser cannot read back.
void printModelProtoText(const onnx::ModelProto &proto, llvm::raw_ostream &os,
                         std::vector<std::string> &limitations);

} // namespace qlc::onnxio

#endif // QLC_LIB_ONNX_PROTOCONVERSION_H
