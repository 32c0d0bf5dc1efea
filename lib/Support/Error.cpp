//===- Error.cpp - Error construction helpers -----------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/Support/Error.h"
#include "qlc/IR/Graph.h"

std::string qlc::describeNode(const Node &node) {
  std::string name = node.getName().str();
  if (name.empty() && node.getNumResults() > 0)
    name = node.getResult(0)->getName().str();
  std::string op = node.isOnnxDomain()
                       ? node.getOpType().str()
                       : (node.getDomain() + "." + node.getOpType()).str();
  return "'" + name + "' (" + op + ")";
}

llvm::Error qlc::makeNodeError(const Node &node, const llvm::Twine &message) {
  return makeError(describeNode(node) + ": " + message);
}

llvm::Error qlc::addErrorContext(llvm::Error err, const llvm::Twine &context) {
  if (!err)
    return err;
  std::string message = llvm::toString(std::move(err));
  return makeError(context + ": " + message);
}
