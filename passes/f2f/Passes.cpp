//===- Passes.cpp - Registration of the f2f group -------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "f2f/Passes.h"

llvm::Error qlc::f2f::registerPasses(PassRegistry &registry) {
#define QLC_PASS(Name)                                                         \
  if (llvm::Error err = registry.add(&create##Name##Pass))                     \
    return err;
#include "f2f/Passes.def"
#undef QLC_PASS
  return llvm::Error::success();
}
