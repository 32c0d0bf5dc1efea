//===- Error.h - Error construction helpers ---------------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Every diagnostic in qlc is an llvm::Error carrying a lower-case message with
// no trailing period. Tools prefix it with "error: FILE: ". Errors about a node
// name the node and its op: "'conv1' (Conv): weight must be a constant".
//
//===----------------------------------------------------------------------===//

#ifndef QLC_SUPPORT_ERROR_H
#define QLC_SUPPORT_ERROR_H

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

namespace qlc {

class Node;

/// An error with a plain message (no node, no file).
inline llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// "'name' (OpType)": how diagnostics refer to a node. Nodes without a name
/// are named by their first output, which is unique in SSA form.
std::string describeNode(const Node &node);

/// An error about `node`: "'name' (OpType): message".
llvm::Error makeNodeError(const Node &node, const llvm::Twine &message);

/// Prefixes the message of `err` with "context: ".
llvm::Error addErrorContext(llvm::Error err, const llvm::Twine &context);

} // namespace qlc

#endif // QLC_SUPPORT_ERROR_H
