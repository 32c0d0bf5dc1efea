//===- Passes.cpp - Registration of the f2t group -------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "f2t/Passes.h"

llvm::Error qlc::f2t::registerPasses(PassRegistry &registry) {
#define QLC_PASS(Name)                                                         \
  if (llvm::Error err = registry.add(&create##Name##Pass))                     \
    return err;
#include "f2t/Passes.def"
#undef QLC_PASS
  return llvm::Error::success();
}
