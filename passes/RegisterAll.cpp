//===- RegisterAll.cpp - Registration of every qlc pass -------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "Passes.h"
#include "canonicalize/Passes.h"

llvm::Error qlc::registerAllPasses(PassRegistry &registry) {
  return canonicalize::registerPasses(registry);
}
