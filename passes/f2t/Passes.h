//===- Passes.h - The f2t (fake-to-true) pass group ------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASSES_F2T_PASSES_H
#define QLC_PASSES_F2T_PASSES_H

#include "qlc/Pass/Pass.h"
#include "qlc/Pass/PassRegistry.h"

#include <memory>

namespace qlc {
class RewritePattern;
}

namespace qlc {
namespace f2t {
#define QLC_PASS(Name) std::unique_ptr<Pass> create##Name##Pass();
#include "f2t/Passes.def"
#undef QLC_PASS

llvm::Error registerPasses(PassRegistry &registry);

/// QuantLib's MobileNetV1 head rewrite (FoldFloatHead.cpp), as a pattern.
std::unique_ptr<RewritePattern> createFloatHeadPattern();
} // namespace f2t
} // namespace qlc

#endif // QLC_PASSES_F2T_PASSES_H
