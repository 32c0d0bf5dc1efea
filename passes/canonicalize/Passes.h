//===- Passes.h - The canonicalize pass group -------------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASSES_CANONICALIZE_PASSES_H
#define QLC_PASSES_CANONICALIZE_PASSES_H

#include "qlc/Pass/Pass.h"
#include "qlc/Pass/PassRegistry.h"

#include <memory>

namespace qlc {
namespace canonicalize {
#define QLC_PASS(Name) std::unique_ptr<Pass> create##Name##Pass();
#include "canonicalize/Passes.def"
#undef QLC_PASS

llvm::Error registerPasses(PassRegistry &registry);
} // namespace canonicalize
} // namespace qlc

#endif // QLC_PASSES_CANONICALIZE_PASSES_H
