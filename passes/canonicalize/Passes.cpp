//===- Passes.cpp - Registration of the canonicalize group ----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "canonicalize/Passes.h"

llvm::Error qlc::canonicalize::registerPasses(PassRegistry &registry) {
#define QLC_PASS(Name)                                                         \
  if (llvm::Error err = registry.add(&create##Name##Pass))                     \
    return err;
#include "canonicalize/Passes.def"
#undef QLC_PASS
  return llvm::Error::success();
}
