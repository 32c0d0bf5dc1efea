//===- Subgraph.cpp - Outer-scope references of subgraphs -----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The IR keeps If/Loop/Scan bodies opaque (serialized GraphProto), but the
// values a body reads from the enclosing graph are real uses: without them
// dead-code elimination would delete their producers and topological sorting
// could move the producers after the control-flow node. This file computes
// those names: used inside the subgraph (recursively through nested
// subgraphs) but defined by none of its inputs, initializers or nodes.
//
//===----------------------------------------------------------------------===//

#include "ProtoConversion.h"

#include "llvm/ADT/StringSet.h"

using namespace qlc;

namespace {
/// Collects free names in order of first use, without duplicates.
class FreeNames {
public:
  void add(const std::string &name, const llvm::StringSet<> &defined) {
    if (name.empty() || defined.count(name))
      return;
    if (seen.insert(name).second)
      names.push_back(name);
  }

  std::vector<std::string> names;

private:
  llvm::StringSet<> seen;
};
} // namespace

std::vector<std::string>
onnxio::collectOuterScopeNames(const onnx::GraphProto &graph) {
  llvm::StringSet<> defined;
  for (const onnx::ValueInfoProto &in : graph.input())
    defined.insert(in.name());
  for (const onnx::TensorProto &init : graph.initializer())
    defined.insert(init.name());
  for (const onnx::SparseTensorProto &init : graph.sparse_initializer())
    defined.insert(init.values().name());
  for (const onnx::NodeProto &node : graph.node())
    for (const std::string &out : node.output())
      defined.insert(out);

  FreeNames free;
  auto addNested = [&](const onnx::GraphProto &nested) {
    for (const std::string &name : collectOuterScopeNames(nested))
      free.add(name, defined);
  };
  for (const onnx::NodeProto &node : graph.node()) {
    for (const std::string &in : node.input())
      free.add(in, defined);
    for (const onnx::AttributeProto &attr : node.attribute()) {
      if (attr.has_g())
        addNested(attr.g());
      for (const onnx::GraphProto &g : attr.graphs())
        addNested(g);
    }
  }
  // A graph output may name an outer value directly (e.g. an If branch
  // that returns a value computed outside).
  for (const onnx::ValueInfoProto &out : graph.output())
    free.add(out.name(), defined);
  return std::move(free.names);
}
