//===- Model.cpp - A model: opsets, metadata and the main graph -----------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/IR/Model.h"

using namespace qlc;

static bool sameDomain(llvm::StringRef a, llvm::StringRef b) {
  auto norm = [](llvm::StringRef d) {
    return d == "ai.onnx" ? llvm::StringRef() : d;
  };
  return norm(a) == norm(b);
}

int64_t Model::getOpsetVersion(llvm::StringRef dom) const {
  for (const OpsetImport &o : opsets)
    if (sameDomain(o.domain, dom))
      return o.version;
  return -1;
}

void Model::setOpsetVersion(llvm::StringRef dom, int64_t version) {
  for (OpsetImport &o : opsets) {
    if (sameDomain(o.domain, dom)) {
      o.version = version;
      return;
    }
  }
  opsets.push_back(OpsetImport{dom.str(), version});
}

std::unique_ptr<Model> Model::clone() const {
  auto m = std::make_unique<Model>();
  m->irVersion = irVersion;
  m->opsets = opsets;
  m->producerName = producerName;
  m->producerVersion = producerVersion;
  m->domain = domain;
  m->modelVersion = modelVersion;
  m->docString = docString;
  m->metadata = metadata;
  m->functions = functions;
  m->trainingInfo = trainingInfo;
  m->graph = graph->clone();
  return m;
}
