//===- Import.cpp - ModelProto to IR -------------------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Builds the IR from a parsed ModelProto and normalises it on the way:
//  - Constant nodes (ONNX domain) become initializers named by their output;
//  - sparse initializers become dense initializers;
//  - in IR version < 4, where every initializer must also be a graph input,
//    initializers are marked Value::setListedAsInput; from version 4 an
//    input that has an initializer (an overridable default) is dropped and
//    the value is an ordinary initializer;
//  - nodes are created in file order and then sorted topologically;
//  - value_info entries give types to node results.
// Nodes of unknown ops and custom domains are ordinary nodes; subgraph
// attributes stay opaque but their outer-scope reads become implicit inputs.
// Every inconsistency (duplicate or undefined names, bad tensors, cycles)
// is an llvm::Error.
//
//===----------------------------------------------------------------------===//

#include "ProtoConversion.h"

#include "qlc/Support/Error.h"

#include "llvm/ADT/StringSet.h"

using namespace qlc;

namespace {
class GraphImporter {
public:
  GraphImporter(Graph &graph, llvm::StringRef baseDir, bool allInitsAreInputs)
      : graph(graph), baseDir(baseDir), allInitsAreInputs(allInitsAreInputs) {}

  llvm::Error run(onnx::GraphProto &proto);

private:
  llvm::Error checkNewName(const std::string &name, llvm::StringRef what);
  llvm::Error addInitializer(const std::string &name, Tensor tensor,
                             const std::string &doc);
  llvm::Error importInitializers(onnx::GraphProto &proto);
  llvm::Error importInputs(const onnx::GraphProto &proto);
  llvm::Error importNode(onnx::NodeProto &proto);
  llvm::Error importConstant(onnx::NodeProto &proto);
  llvm::Error wireInputs(Node &node, const onnx::NodeProto &proto);
  llvm::Error importOutputs(const onnx::GraphProto &proto);
  void applyValueInfo(const onnx::GraphProto &proto);

  Graph &graph;
  llvm::StringRef baseDir;
  bool allInitsAreInputs;
  /// Nodes awaiting their operands, which may be defined later in the file.
  std::vector<std::pair<Node *, const onnx::NodeProto *>> pending;
};
} // namespace

llvm::Error GraphImporter::checkNewName(const std::string &name,
                                        llvm::StringRef what) {
  if (name.empty())
    return makeError(what + " with an empty name");
  if (graph.lookupValue(name))
    return makeError("duplicate value name '" + name + "' (" + what + ")");
  return llvm::Error::success();
}

llvm::Error GraphImporter::addInitializer(const std::string &name,
                                          Tensor tensor,
                                          const std::string &doc) {
  if (llvm::Error err = checkNewName(name, "initializer"))
    return err;
  Value *v = graph.addInitializer(name, std::move(tensor));
  v->docString = doc;
  if (allInitsAreInputs)
    v->setListedAsInput(true);
  return llvm::Error::success();
}

llvm::Error GraphImporter::importInitializers(onnx::GraphProto &proto) {
  for (onnx::TensorProto &init : *proto.mutable_initializer()) {
    llvm::Expected<Tensor> t = onnxio::tensorFromProto(init, baseDir);
    if (!t)
      return addErrorContext(t.takeError(), "initializer");
    if (llvm::Error err =
            addInitializer(init.name(), std::move(*t), init.doc_string()))
      return err;
  }
  for (onnx::SparseTensorProto &sparse : *proto.mutable_sparse_initializer()) {
    std::string name = sparse.values().name();
    llvm::Expected<Tensor> t = onnxio::sparseTensorFromProto(sparse, baseDir);
    if (!t)
      return addErrorContext(t.takeError(), "sparse initializer");
    if (llvm::Error err = addInitializer(name, std::move(*t), ""))
      return err;
  }
  return llvm::Error::success();
}

llvm::Error GraphImporter::importInputs(const onnx::GraphProto &proto) {
  llvm::StringSet<> seen;
  for (const onnx::ValueInfoProto &in : proto.input()) {
    if (!seen.insert(in.name()).second)
      return makeError("graph input '" + in.name() + "' is listed twice");
    Value *existing = graph.lookupValue(in.name());
    if (existing && existing->isInitializer()) {
      // From IR version 4 an input with an initializer is an overridable
      // default; qlc treats it as a constant and drops the input listing.
      if (allInitsAreInputs)
        existing->setListedAsInput(true);
      if (existing->docString.empty())
        existing->docString = in.doc_string();
      continue;
    }
    if (llvm::Error err = checkNewName(in.name(), "graph input"))
      return err;
    llvm::Expected<TensorType> type =
        onnxio::typeFromProto(in.type(), "graph input '" + in.name() + "'");
    if (!type)
      return type.takeError();
    Value *v = graph.addInput(in.name(), std::move(*type));
    v->docString = in.doc_string();
  }
  return llvm::Error::success();
}

/// "'name' (Constant)", as makeNodeError would say for a node in the IR.
static std::string describeProtoNode(const onnx::NodeProto &proto) {
  std::string name = proto.name();
  if (name.empty() && proto.output_size() > 0)
    name = proto.output(0);
  std::string op = proto.domain().empty() || proto.domain() == "ai.onnx"
                       ? proto.op_type()
                       : proto.domain() + "." + proto.op_type();
  return "'" + name + "' (" + op + ")";
}

/// The value of a Constant node, from whichever attribute holds it.
static llvm::Expected<Tensor> getConstantValue(onnx::AttributeProto &a,
                                               llvm::StringRef baseDir) {
  const std::string &n = a.name();
  if (n == "value")
    return onnxio::tensorFromProto(*a.mutable_t(), baseDir);
  if (n == "sparse_value")
    return onnxio::sparseTensorFromProto(*a.mutable_sparse_tensor(), baseDir);
  if (n == "value_float")
    return Tensor::scalar<float>(a.f());
  if (n == "value_int")
    return Tensor::scalar<int64_t>(a.i());
  if (n == "value_string")
    return Tensor::fromStrings({}, {a.s()});
  int64_t count = 0;
  if (n == "value_floats") {
    count = a.floats_size();
    return Tensor::fromValues<float>(
        {count}, llvm::ArrayRef<float>(a.floats().data(), count));
  }
  if (n == "value_ints") {
    count = a.ints_size();
    return Tensor::fromValues<int64_t>(
        {count}, llvm::ArrayRef<int64_t>(a.ints().data(), count));
  }
  if (n == "value_strings") {
    count = a.strings_size();
    return Tensor::fromStrings(
        {count},
        std::vector<std::string>(a.strings().begin(), a.strings().end()));
  }
  return makeError("unknown attribute '" + n + "'");
}

llvm::Error GraphImporter::importConstant(onnx::NodeProto &proto) {
  std::string where = describeProtoNode(proto);
  if (proto.output_size() != 1 || proto.output(0).empty())
    return makeError(where + ": Constant must have exactly one named output");
  if (proto.input_size() != 0)
    return makeError(where + ": Constant must not have inputs");
  if (proto.attribute_size() != 1)
    return makeError(where + ": Constant must have exactly one value " +
                     "attribute, found " +
                     std::to_string(proto.attribute_size()));
  llvm::Expected<Tensor> value =
      getConstantValue(*proto.mutable_attribute(0), baseDir);
  if (!value)
    return addErrorContext(value.takeError(), where);
  return addInitializer(proto.output(0), std::move(*value), proto.doc_string());
}

llvm::Error GraphImporter::importNode(onnx::NodeProto &proto) {
  bool onnxDomain = proto.domain().empty() || proto.domain() == "ai.onnx";
  if (onnxDomain && proto.op_type() == "Constant")
    return importConstant(proto);
  if (proto.op_type().empty())
    return makeError(describeProtoNode(proto) + ": node has no op type");
  std::vector<std::string> results(proto.output().begin(),
                                   proto.output().end());
  for (const std::string &r : results) {
    if (r.empty())
      continue; // an omitted optional output
    if (graph.lookupValue(r) || llvm::count(results, r) > 1)
      return makeError(describeProtoNode(proto) + ": duplicate value name '" +
                       r + "'");
  }
  Node *node = graph.createNode(proto.op_type(), {}, results, proto.domain());
  node->setName(proto.name());
  node->docString = proto.doc_string();
  for (onnx::AttributeProto &a : *proto.mutable_attribute()) {
    if (node->hasAttr(a.name()))
      return makeNodeError(*node, "duplicate attribute '" + a.name() + "'");
    llvm::Expected<NamedAttribute> attr =
        onnxio::attributeFromProto(a, baseDir);
    if (!attr)
      return makeNodeError(*node, llvm::toString(attr.takeError()));
    node->setAttr(attr->name, std::move(attr->value));
  }
  pending.emplace_back(node, &proto);
  return llvm::Error::success();
}

llvm::Error GraphImporter::wireInputs(Node &node,
                                      const onnx::NodeProto &proto) {
  for (const std::string &in : proto.input()) {
    if (in.empty()) {
      node.addInput(nullptr);
      continue;
    }
    Value *v = graph.lookupValue(in);
    if (!v)
      return makeNodeError(node, "input '" + in + "' is not defined");
    node.addInput(v);
  }
  // Subgraphs read outer values by name: record them as implicit inputs.
  for (const onnx::AttributeProto &a : proto.attribute()) {
    std::vector<const onnx::GraphProto *> bodies;
    if (a.has_g())
      bodies.push_back(&a.g());
    for (const onnx::GraphProto &g : a.graphs())
      bodies.push_back(&g);
    for (const onnx::GraphProto *body : bodies) {
      for (const std::string &name : onnxio::collectOuterScopeNames(*body)) {
        Value *v = graph.lookupValue(name);
        if (!v)
          return makeNodeError(node, "subgraph attribute '" + a.name() +
                                         "' reads '" + name +
                                         "', which is not defined");
        if (!llvm::is_contained(node.getImplicitInputs(), v))
          node.addImplicitInput(v);
      }
    }
  }
  return llvm::Error::success();
}

llvm::Error GraphImporter::importOutputs(const onnx::GraphProto &proto) {
  for (const onnx::ValueInfoProto &out : proto.output()) {
    if (out.name().empty())
      return makeError("graph output with an empty name");
    Value *v = graph.lookupValue(out.name());
    if (!v)
      return makeError("graph output '" + out.name() + "' is not defined");
    llvm::Expected<TensorType> type =
        onnxio::typeFromProto(out.type(), "graph output '" + out.name() + "'");
    if (!type)
      return type.takeError();
    // Inputs and initializers already carry their own type.
    if (v->isNodeResult() && !type->isUndefined())
      v->setType(std::move(*type));
    if (v->docString.empty())
      v->docString = out.doc_string();
    graph.addOutput(v);
  }
  return llvm::Error::success();
}

void GraphImporter::applyValueInfo(const onnx::GraphProto &proto) {
  for (const onnx::ValueInfoProto &info : proto.value_info()) {
    Value *v = graph.lookupValue(info.name());
    if (!v || !v->isNodeResult())
      continue;
    // Non-tensor types (sequences...) cannot be represented: leave unknown.
    llvm::Expected<TensorType> type = onnxio::typeFromProto(info.type(), "");
    if (!type) {
      llvm::consumeError(type.takeError());
      continue;
    }
    if (v->getType().isUndefined())
      v->setType(std::move(*type));
    if (v->docString.empty())
      v->docString = info.doc_string();
  }
}

llvm::Error GraphImporter::run(onnx::GraphProto &proto) {
  graph.name = proto.name();
  graph.docString = proto.doc_string();
  if (llvm::Error err = importInitializers(proto))
    return err;
  if (llvm::Error err = importInputs(proto))
    return err;
  for (onnx::NodeProto &node : *proto.mutable_node())
    if (llvm::Error err = importNode(node))
      return err;
  for (auto &[node, nodeProto] : pending)
    if (llvm::Error err = wireInputs(*node, *nodeProto))
      return err;
  if (llvm::Error err = importOutputs(proto))
    return err;
  applyValueInfo(proto);
  return graph.sortTopologically();
}

llvm::Expected<std::unique_ptr<Model>>
onnxio::importModelProto(onnx::ModelProto &proto, llvm::StringRef baseDir) {
  if (!proto.has_graph())
    return makeError("the model has no graph");
  auto model = std::make_unique<Model>();
  model->irVersion = proto.ir_version();
  for (const onnx::OperatorSetIdProto &opset : proto.opset_import())
    model->opsets.push_back(OpsetImport{opset.domain(), opset.version()});
  model->producerName = proto.producer_name();
  model->producerVersion = proto.producer_version();
  model->domain = proto.domain();
  model->modelVersion = proto.model_version();
  model->docString = proto.doc_string();
  for (const onnx::StringStringEntryProto &kv : proto.metadata_props())
    model->metadata.emplace_back(kv.key(), kv.value());
  for (onnx::FunctionProto &f : *proto.mutable_functions()) {
    if (llvm::Error err = canonicalizeProto(f, baseDir))
      return addErrorContext(std::move(err), "function '" + f.name() + "'");
    model->functions.push_back(serializeDeterministic(f));
  }
  for (onnx::TrainingInfoProto &t : *proto.mutable_training_info()) {
    if (llvm::Error err = canonicalizeProto(t, baseDir))
      return addErrorContext(std::move(err), "training_info");
    model->trainingInfo.push_back(serializeDeterministic(t));
  }

  // IR versions 1 to 3 required every initializer to be a graph input too
  // (0 means the version is missing).
  bool allInitsAreInputs = proto.ir_version() > 0 && proto.ir_version() < 4;
  GraphImporter importer(model->getGraph(), baseDir, allInitsAreInputs);
  if (llvm::Error err = importer.run(*proto.mutable_graph()))
    return err;
  return model;
}
