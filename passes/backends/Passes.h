//===- Passes.h - The backends pass group -----------------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Passes that hand a qlc model to other runtimes and toolchains, e.g.
// export-qdq (qlc.FakeQuant as ONNX QuantizeLinear/DequantizeLinear).
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASSES_BACKENDS_PASSES_H
#define QLC_PASSES_BACKENDS_PASSES_H

#include "qlc/Pass/Pass.h"
#include "qlc/Pass/PassRegistry.h"

#include <memory>

namespace qlc {
namespace backends {
#define QLC_PASS(Name) std::unique_ptr<Pass> create##Name##Pass();
#include "backends/Passes.def"
#undef QLC_PASS

llvm::Error registerPasses(PassRegistry &registry);
} // namespace backends
} // namespace qlc

#endif // QLC_PASSES_BACKENDS_PASSES_H
