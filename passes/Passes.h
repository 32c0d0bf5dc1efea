//===- Passes.h - Registration of every qlc pass ----------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASSES_PASSES_H
#define QLC_PASSES_PASSES_H

#include "qlc/Pass/PassRegistry.h"
#include "qlc/Rewrite/PatternRewrite.h"

namespace qlc {
/// Registers every pass of every group (explicitly; see PassRegistry.h).
llvm::Error registerAllPasses(PassRegistry &registry);
/// Registers qlc's own named rewrite patterns (origin "built-in").
llvm::Error registerBuiltinPatterns(PatternRegistry &registry);
} // namespace qlc

#endif // QLC_PASSES_PASSES_H
