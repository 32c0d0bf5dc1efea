//===- RegisterAll.cpp - Registration of every qlc pass -------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "Passes.h"
#include "backends/Passes.h"
#include "canonicalize/Passes.h"
#include "f2f/Passes.h"
#include "f2t/Passes.h"

llvm::Error qlc::registerAllPasses(PassRegistry &registry) {
  if (llvm::Error err = canonicalize::registerPasses(registry))
    return err;
  if (llvm::Error err = f2f::registerPasses(registry))
    return err;
  if (llvm::Error err = f2t::registerPasses(registry))
    return err;
  return backends::registerPasses(registry);
}

llvm::Error qlc::registerBuiltinPatterns(PatternRegistry &registry) {
  return registry.add(f2t::createFloatHeadPattern(), "built-in");
}
