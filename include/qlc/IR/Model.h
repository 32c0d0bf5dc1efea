//===- Model.h - A model: opsets, metadata and the main graph ---*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QLC_IR_MODEL_H
#define QLC_IR_MODEL_H

#include "qlc/IR/Graph.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace qlc {

struct OpsetImport {
  std::string domain; // "" is the ONNX domain
  int64_t version;
};

class Model {
public:
  Model() : graph(std::make_unique<Graph>()) {}

  Graph &getGraph() { return *graph; }
  const Graph &getGraph() const { return *graph; }

  /// Version of `domain` ("" or "ai.onnx" for ONNX), or -1 if not imported.
  int64_t getOpsetVersion(llvm::StringRef domain) const;
  void setOpsetVersion(llvm::StringRef domain, int64_t version);

  std::unique_ptr<Model> clone() const;

  int64_t irVersion = 8;
  std::vector<OpsetImport> opsets;
  std::string producerName;
  std::string producerVersion;
  std::string domain;
  int64_t modelVersion = 0;
  std::string docString;
  std::vector<std::pair<std::string, std::string>> metadata;
  /// Opaque serialized FunctionProtos and TrainingInfoProtos.
  std::vector<std::string> functions;
  std::vector<std::string> trainingInfo;

private:
  std::unique_ptr<Graph> graph;
};

} // namespace qlc

#endif // QLC_IR_MODEL_H
