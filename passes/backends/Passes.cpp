//===- Passes.cpp - Registration of the backends group --------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "backends/Passes.h"

llvm::Error qlc::backends::registerPasses(PassRegistry &registry) {
#define QLC_PASS(Name)                                                         \
  if (llvm::Error err = registry.add(&create##Name##Pass))                     \
    return err;
#include "backends/Passes.def"
#undef QLC_PASS
  return llvm::Error::success();
}
