//===- ProtoWriter.cpp - Zero-copy serialization of exported models -------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Serializes a skeleton ModelProto (Export.cpp) while splicing in the raw
// bytes of initializers straight from the IR's storage, so a 100 MB model is
// written without a second 100 MB copy. The output is exactly what protobuf
// would produce for the complete message with deterministic serialization:
// fields in field-number order, the graph and each initializer split around
// the one field that is inserted by hand.
//
// Wire format facts used here: ModelProto.graph is field 7, GraphProto.
// initializer field 5, TensorProto.raw_data field 9; all length-delimited
// (wire type 2), so each tag is a single byte.
//
//===----------------------------------------------------------------------===//

#include "ProtoConversion.h"

#include "qlc/Support/Error.h"

#include <google/protobuf/io/coded_stream.h>

#include <algorithm>

using namespace qlc;
using google::protobuf::io::CodedOutputStream;

static constexpr uint8_t kGraphTag = (7 << 3) | 2;
static constexpr uint8_t kInitializerTag = (5 << 3) | 2;
static constexpr uint8_t kRawDataTag = (9 << 3) | 2;

/// Bytes of a length-delimited field with a one-byte tag and `len` payload.
static size_t fieldSize(size_t len) {
  return 1 + CodedOutputStream::VarintSize64(len) + len;
}

/// Payload length of initializer `t` once `raw` bytes are spliced in.
static size_t splicedTensorSize(size_t skeletonSize, size_t raw) {
  return skeletonSize + fieldSize(raw);
}

size_t onnxio::getSplicedByteSize(const ExportedModel &exported) {
  const onnx::GraphProto &g = exported.proto.graph();
  size_t graphOld = g.ByteSizeLong();
  size_t graphNew = graphOld;
  for (size_t i = 0; i < exported.spliced.size(); ++i) {
    const Tensor *t = exported.spliced[i];
    if (!t)
      continue;
    size_t old = g.initializer(static_cast<int>(i)).ByteSizeLong();
    graphNew +=
        fieldSize(splicedTensorSize(old, t->getByteSize())) - fieldSize(old);
  }
  return exported.proto.ByteSizeLong() - fieldSize(graphOld) +
         fieldSize(graphNew);
}

namespace {
/// The fields of a message before and after the spliced field.
template <typename Msg> struct Split { Msg head, tail; };
} // namespace

/// Fields 1-6 stay in `model`; 8 and later move to the tail.
static onnx::ModelProto takeModelTail(onnx::ModelProto &model) {
  onnx::ModelProto tail;
  tail.mutable_opset_import()->Swap(model.mutable_opset_import());
  tail.mutable_metadata_props()->Swap(model.mutable_metadata_props());
  tail.mutable_training_info()->Swap(model.mutable_training_info());
  tail.mutable_functions()->Swap(model.mutable_functions());
  return tail;
}

/// Fields 1-2 (node, name) before the initializers, 10 and later after.
static Split<onnx::GraphProto> splitGraph(onnx::GraphProto &g) {
  Split<onnx::GraphProto> s;
  s.head.mutable_node()->Swap(g.mutable_node());
  if (g.has_name())
    s.head.set_name(g.name());
  if (g.has_doc_string())
    s.tail.set_doc_string(g.doc_string());
  s.tail.mutable_input()->Swap(g.mutable_input());
  s.tail.mutable_output()->Swap(g.mutable_output());
  s.tail.mutable_value_info()->Swap(g.mutable_value_info());
  s.tail.mutable_quantization_annotation()->Swap(
      g.mutable_quantization_annotation());
  s.tail.mutable_sparse_initializer()->Swap(g.mutable_sparse_initializer());
  return s;
}

/// Moves fields 10 and later of a tensor to `tail`.
static void splitTensor(onnx::TensorProto &t, onnx::TensorProto &tail) {
  tail.mutable_double_data()->Swap(t.mutable_double_data());
  tail.mutable_uint64_data()->Swap(t.mutable_uint64_data());
  if (t.has_doc_string())
    tail.set_doc_string(t.doc_string());
  t.clear_doc_string();
  tail.mutable_external_data()->Swap(t.mutable_external_data());
  if (t.has_data_location())
    tail.set_data_location(t.data_location());
  t.clear_data_location();
}

static void writeMessage(const google::protobuf::MessageLite &msg,
                         CodedOutputStream &out) {
  msg.ByteSizeLong(); // caches the sizes SerializeWithCachedSizes needs
  msg.SerializeWithCachedSizes(&out);
}

/// Writes tensor bytes; with a stream that allows aliasing (a file), large
/// chunks go straight from the IR's storage to write(2).
static void writeRaw(const char *data, size_t size, CodedOutputStream &out) {
  const size_t chunk = size_t(1) << 30; // the API takes an int
  for (size_t done = 0; done < size; done += chunk)
    out.WriteRawMaybeAliased(data + done,
                             static_cast<int>(std::min(chunk, size - done)));
}

llvm::Error
onnxio::writeSpliced(ExportedModel &exported,
                     google::protobuf::io::ZeroCopyOutputStream &stream) {
  onnx::ModelProto &model = exported.proto;
  onnx::GraphProto graph;
  graph.Swap(model.mutable_graph());
  model.clear_graph();
  onnx::ModelProto modelTail = takeModelTail(model);
  Split<onnx::GraphProto> graphParts = splitGraph(graph);

  auto &inits = *graph.mutable_initializer();
  std::vector<onnx::TensorProto> tails(inits.size());
  std::vector<size_t> lengths(inits.size());
  size_t graphLen =
      graphParts.head.ByteSizeLong() + graphParts.tail.ByteSizeLong();
  for (int i = 0; i < inits.size(); ++i) {
    const Tensor *t = exported.spliced[i];
    if (t)
      splitTensor(inits[i], tails[i]);
    size_t len = inits[i].ByteSizeLong();
    if (t)
      len = splicedTensorSize(len, t->getByteSize()) + tails[i].ByteSizeLong();
    lengths[i] = len;
    graphLen += fieldSize(len);
  }

  CodedOutputStream out(&stream);
  out.SetSerializationDeterministic(true);
  // Only takes effect for streams that support it; the IR outlives `out`.
  out.EnableAliasing(true);
  writeMessage(model, out);
  out.WriteTag(kGraphTag);
  out.WriteVarint64(graphLen);
  writeMessage(graphParts.head, out);
  for (int i = 0; i < inits.size(); ++i) {
    out.WriteTag(kInitializerTag);
    out.WriteVarint64(lengths[i]);
    writeMessage(inits[i], out);
    if (const Tensor *t = exported.spliced[i]) {
      out.WriteTag(kRawDataTag);
      out.WriteVarint64(t->getByteSize());
      writeRaw(t->getRawData(), t->getByteSize(), out);
      writeMessage(tails[i], out);
    }
  }
  writeMessage(graphParts.tail, out);
  writeMessage(modelTail, out);
  out.Trim();
  if (out.HadError())
    return makeError("failed to write the serialized model");
  return llvm::Error::success();
}
