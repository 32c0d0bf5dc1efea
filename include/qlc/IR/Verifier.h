//===- Verifier.h - Structural IR checks ------------------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QLC_IR_VERIFIER_H
#define QLC_IR_VERIFIER_H

#include "llvm/Support/Error.h"

namespace qlc {

class Model;

/// Checks use-def consistency (no dangling or stale uses), topological order
/// (which also rules out cycles), unique value names, graph outputs that
/// exist, and that initializers' declared types agree with their data.
/// The error names the offending node or value.
llvm::Error verify(const Model &model);

} // namespace qlc

#endif // QLC_IR_VERIFIER_H
