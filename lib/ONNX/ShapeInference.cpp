//===- ShapeInference.cpp - ONNX shape inference on the IR ----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Runs onnx::shape_inference::InferShapes (data propagation on) on an
// exported copy of the model, without the node-result value_info, so every
// result type is recomputed rather than checked against stale information,
// and copies the inferred types back onto node results. Nodes of custom
// domains have no schema and are skipped by ONNX; domains a model uses
// without importing them get a placeholder import in the copy so inference
// does not stop at them.
//
//===----------------------------------------------------------------------===//

#include "qlc/ONNX/ShapeInference.h"

#include "ProtoConversion.h"

#include "qlc/Support/Error.h"

#include "onnx/shape_inference/implementation.h"

#include "llvm/ADT/StringSet.h"

#include <algorithm>

using namespace qlc;

/// Inferred information, keeping `old` where inference knows less.
static TensorType mergeInferred(const TensorType &old,
                                const TensorType &inferred) {
  TensorType result = inferred;
  if (result.getElementType() == ElementType::Undefined)
    result.setElementType(old.getElementType());
  if (!inferred.hasRank()) {
    if (old.hasRank())
      result.setDims(old.getDims());
    return result;
  }
  if (old.hasRank() && old.getRank() == inferred.getRank()) {
    llvm::SmallVector<Dim, 4> dims(inferred.getDims().begin(),
                                   inferred.getDims().end());
    for (size_t i = 0; i < dims.size(); ++i)
      if (!dims[i].isKnown() &&
          (old.getDims()[i].isKnown() || dims[i].symbol.empty()))
        dims[i] = old.getDims()[i];
    result.setDims(dims);
  }
  return result;
}

/// A declared graph-output type with only its unknown parts filled in.
static TensorType refineDeclared(const TensorType &declared,
                                 const TensorType &inferred) {
  TensorType result = declared;
  if (result.getElementType() == ElementType::Undefined)
    result.setElementType(inferred.getElementType());
  if (!declared.hasRank()) {
    if (inferred.hasRank())
      result.setDims(inferred.getDims());
    return result;
  }
  if (inferred.hasRank() && inferred.getRank() == declared.getRank()) {
    llvm::SmallVector<Dim, 4> dims(declared.getDims().begin(),
                                   declared.getDims().end());
    for (size_t i = 0; i < dims.size(); ++i)
      if (!dims[i].isKnown() && dims[i].symbol.empty())
        dims[i] = inferred.getDims()[i];
    result.setDims(dims);
  }
  return result;
}

/// Imports (version 1) the domains nodes use but the model does not import.
static void addMissingDomains(onnx::ModelProto &proto) {
  llvm::StringSet<> imported;
  for (const onnx::OperatorSetIdProto &o : proto.opset_import())
    imported.insert(o.domain());
  for (const onnx::NodeProto &n : proto.graph().node()) {
    if (imported.insert(n.domain()).second) {
      onnx::OperatorSetIdProto *o = proto.add_opset_import();
      o->set_domain(n.domain());
      o->set_version(1);
    }
  }
}

static bool updateType(Value &v, const TensorType &type) {
  if (v.getType() == type)
    return false;
  v.setType(type);
  return true;
}

llvm::Expected<bool> qlc::inferShapes(Model &model) {
  onnxio::SkeletonOptions skeleton;
  skeleton.valueInfo = false;
  llvm::Expected<onnxio::ExportedModel> exported =
      onnxio::buildSkeleton(model, skeleton);
  if (!exported)
    return exported.takeError();
  onnxio::fillSplicedData(*exported, onnxio::DataFill::ForAnalysis);
  onnx::ModelProto &proto = exported->proto;
  addMissingDomains(proto);
  onnxio::registerQlcSchemas();
  try {
    onnx::ShapeInferenceOptions options(/*check_type=*/false,
                                        /*strict_mode=*/0,
                                        /*data_prop=*/true);
    onnx::shape_inference::InferShapes(
        proto, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception &e) {
    std::string message = e.what();
    std::replace(message.begin(), message.end(), '\n', ' ');
    return makeError("shape inference failed: " +
                     llvm::StringRef(message).trim());
  }

  Graph &graph = model.getGraph();
  bool changed = false;
  for (const onnx::ValueInfoProto &info : proto.graph().value_info()) {
    Value *v = graph.lookupValue(info.name());
    if (!v || !v->isNodeResult() || v->isGraphOutput())
      continue;
    llvm::Expected<TensorType> inferred =
        onnxio::typeFromProto(info.type(), info.name());
    if (!inferred) { // e.g. a sequence: not representable, keep what we have
      llvm::consumeError(inferred.takeError());
      continue;
    }
    changed |= updateType(*v, mergeInferred(v->getType(), *inferred));
  }
  for (const onnx::ValueInfoProto &info : proto.graph().output()) {
    Value *v = graph.lookupValue(info.name());
    if (!v || !v->isNodeResult())
      continue;
    llvm::Expected<TensorType> inferred =
        onnxio::typeFromProto(info.type(), info.name());
    if (!inferred) {
      llvm::consumeError(inferred.takeError());
      continue;
    }
    changed |= updateType(*v, refineDeclared(v->getType(), *inferred));
  }
  return changed;
}
