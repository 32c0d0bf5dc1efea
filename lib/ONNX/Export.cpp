//===- Export.cpp - IR to ModelProto and model checking -------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Converts the IR to a "skeleton" ModelProto: everything except the raw
// bytes of initializers, which ProtoWriter.cpp splices in from the IR's
// shared storage while serializing. The skeleton is deterministic: nodes in
// IR order, initializers in Graph::getInitializers() order, value_info for
// node results whose type is known, opsets in Model order. In IR version < 4
// every initializer is listed as a graph input too, as that version demands.
//
// checkModel runs onnx::checker::check_model plus strict shape inference
// with type checks, which is what onnx.checker's full_check does.
//
//===----------------------------------------------------------------------===//

#include "qlc/ONNX/Export.h"

#include "ProtoConversion.h"

#include "qlc/Support/Error.h"

#include "onnx/checker.h"
#include "onnx/shape_inference/implementation.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

using namespace qlc;

std::string
onnxio::serializeDeterministic(const google::protobuf::MessageLite &msg) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    msg.SerializeToCodedStream(&coded);
  }
  return out;
}

static void addValueInfo(const Value &v, onnx::ValueInfoProto &info,
                         const TensorType &type) {
  info.set_name(v.getName().str());
  onnxio::typeToProto(type, info);
  if (!v.docString.empty())
    info.set_doc_string(v.docString);
}

static llvm::Error exportNode(const Node &node, onnx::NodeProto &proto) {
  for (unsigned i = 0; i < node.getNumInputs(); ++i) {
    Value *in = node.getInput(i);
    if (in && in->getName().empty())
      return makeNodeError(node,
                           "input " + llvm::Twine(i) + " is an unnamed value");
    proto.add_input(in ? in->getName().str() : std::string());
  }
  for (Value *r : node.getResults())
    proto.add_output(r->getName().str());
  if (!node.getName().empty())
    proto.set_name(node.getName().str());
  proto.set_op_type(node.getOpType().str());
  if (!node.getDomain().empty())
    proto.set_domain(node.getDomain().str());
  for (const NamedAttribute &attr : node.getAttrs())
    if (llvm::Error err =
            onnxio::attributeToProto(attr, *proto.add_attribute()))
      return makeNodeError(node, llvm::toString(std::move(err)));
  if (!node.docString.empty())
    proto.set_doc_string(node.docString);
  return llvm::Error::success();
}

static llvm::Error exportGraph(const Graph &graph, int64_t irVersion,
                               const onnxio::SkeletonOptions &options,
                               onnxio::ExportedModel &out) {
  onnx::GraphProto &g = *out.proto.mutable_graph();
  if (!graph.name.empty())
    g.set_name(graph.name);
  if (!graph.docString.empty())
    g.set_doc_string(graph.docString);
  llvm::SmallVector<Value *, 16> inits = graph.getInitializers();
  for (Value *v : inits) {
    const Tensor &t = *v->getConstant();
    bool splice =
        t.getElementType() != ElementType::String && t.getByteSize() != 0;
    onnx::TensorProto &tp = *g.add_initializer();
    onnxio::tensorToProto(t, tp, /*withData=*/!splice);
    tp.set_name(v->getName().str());
    if (!v->docString.empty())
      tp.set_doc_string(v->docString);
    out.spliced.push_back(splice ? &t : nullptr);
  }
  for (Value *v : graph.getInputs())
    addValueInfo(*v, *g.add_input(), v->getType());
  if (irVersion < 4)
    for (Value *v : inits)
      addValueInfo(*v, *g.add_input(), v->getType());
  for (const Node &node : graph.getNodes())
    if (llvm::Error err = exportNode(node, *g.add_node()))
      return err;
  for (Value *v : graph.getOutputs()) {
    if (v->getName().empty())
      return makeError("a graph output is an unnamed value");
    addValueInfo(*v, *g.add_output(), v->getType());
  }
  if (!options.valueInfo)
    return llvm::Error::success();
  // Named results with a known type (or a doc string to keep).
  for (const Node &node : graph.getNodes())
    for (Value *r : node.getResults())
      if (!r->getName().empty() && !r->isGraphOutput() &&
          (!r->getType().isUndefined() || !r->docString.empty()))
        addValueInfo(*r, *g.add_value_info(), r->getType());
  return llvm::Error::success();
}

template <typename Msg>
static llvm::Error parseBlobs(const std::vector<std::string> &blobs,
                              google::protobuf::RepeatedPtrField<Msg> &out,
                              llvm::StringRef what) {
  for (const std::string &blob : blobs)
    if (!out.Add()->ParseFromString(blob))
      return makeError("the model holds corrupt serialized " + what);
  return llvm::Error::success();
}

llvm::Expected<onnxio::ExportedModel>
onnxio::buildSkeleton(const Model &model, const SkeletonOptions &options) {
  ExportedModel out;
  onnx::ModelProto &p = out.proto;
  p.set_ir_version(model.irVersion);
  for (const OpsetImport &o : model.opsets) {
    onnx::OperatorSetIdProto *opset = p.add_opset_import();
    opset->set_domain(o.domain);
    opset->set_version(o.version);
  }
  if (!model.producerName.empty())
    p.set_producer_name(model.producerName);
  if (!model.producerVersion.empty())
    p.set_producer_version(model.producerVersion);
  if (!model.domain.empty())
    p.set_domain(model.domain);
  if (model.modelVersion != 0)
    p.set_model_version(model.modelVersion);
  if (!model.docString.empty())
    p.set_doc_string(model.docString);
  for (const auto &[key, value] : model.metadata) {
    onnx::StringStringEntryProto *kv = p.add_metadata_props();
    kv->set_key(key);
    kv->set_value(value);
  }
  if (llvm::Error err =
          parseBlobs(model.functions, *p.mutable_functions(), "function"))
    return err;
  if (llvm::Error err = parseBlobs(model.trainingInfo,
                                   *p.mutable_training_info(), "training info"))
    return err;
  if (llvm::Error err =
          exportGraph(model.getGraph(), model.irVersion, options, out))
    return err;
  return out;
}

void onnxio::fillSplicedData(ExportedModel &exported, DataFill fill) {
  const size_t standInThreshold = 64 * 1024;
  onnx::GraphProto &g = *exported.proto.mutable_graph();
  for (size_t i = 0; i < exported.spliced.size(); ++i) {
    const Tensor *t = exported.spliced[i];
    if (!t)
      continue;
    onnx::TensorProto &tp = *g.mutable_initializer(static_cast<int>(i));
    if (fill == DataFill::ForAnalysis && isFloatType(t->getElementType()) &&
        t->getByteSize() > standInThreshold)
      tp.set_raw_data(std::string(1, '\0'));
    else
      tp.set_raw_data(t->getRawData(), t->getByteSize());
  }
  exported.spliced.assign(exported.spliced.size(), nullptr);
}

/// ONNX's messages span lines ("==> Context: ..."); tools print one line.
static std::string flatten(llvm::StringRef message) {
  std::string out;
  for (char c : message.trim())
    out += c == '\n' ? ' ' : c;
  return out;
}

llvm::Error onnxio::checkModelProto(onnx::ModelProto &proto) {
  registerQlcSchemas();
  try {
    onnx::checker::check_model(proto);
  } catch (const std::exception &e) {
    return makeError("onnx checker: " + flatten(e.what()));
  }
  try {
    onnx::ShapeInferenceOptions options(/*check_type=*/true,
                                        /*strict_mode=*/1,
                                        /*data_prop=*/false);
    onnx::shape_inference::InferShapes(
        proto, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception &e) {
    return makeError("onnx checker (shape inference): " + flatten(e.what()));
  }
  return llvm::Error::success();
}

llvm::Error qlc::checkModel(const Model &model) {
  llvm::Expected<onnxio::ExportedModel> exported =
      onnxio::buildSkeleton(model, onnxio::SkeletonOptions());
  if (!exported)
    return exported.takeError();
  onnxio::fillSplicedData(*exported, onnxio::DataFill::ForAnalysis);
  return onnxio::checkModelProto(exported->proto);
}
