//===- Passes.h - The f2f (float-to-fake) pass group ------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASSES_F2F_PASSES_H
#define QLC_PASSES_F2F_PASSES_H

#include "qlc/Pass/Pass.h"
#include "qlc/Pass/PassRegistry.h"

#include <memory>

namespace qlc {
namespace f2f {
#define QLC_PASS(Name) std::unique_ptr<Pass> create##Name##Pass();
#include "f2f/Passes.def"
#undef QLC_PASS

llvm::Error registerPasses(PassRegistry &registry);
} // namespace f2f
} // namespace qlc

#endif // QLC_PASSES_F2F_PASSES_H
