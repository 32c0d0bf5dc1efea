//===- DoryEmit.h - DORY-annotated ONNX from DORY layers --------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Writes the layers of analyseDoryProgram as the ONNX that DORY's Quantlab
// frontend parses (docs/dory.md): opset 10, float tensors holding
// integers, requantisation as Mul -> Add -> Div -> Floor -> Clip, the bit
// width attributes, residual Adds with their in/out requantisation
// attributes, and activation tensors named by increasing decimal integers.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASSES_BACKENDS_DORYEMIT_H
#define QLC_PASSES_BACKENDS_DORYEMIT_H

#include "backends/DoryLayers.h"

#include <memory>
#include <string>
#include <vector>

namespace qlc {
namespace backends {

struct DoryModel {
  std::unique_ptr<Model> model;
  /// The DORY tensor name of each layer's output, in layer order.
  std::vector<std::string> layerOutputs;
};

/// `valueType` (Float or Double) types every tensor; an error names the
/// first constant it cannot hold exactly.
llvm::Expected<DoryModel> emitDoryModel(const Model &source,
                                        const DoryProgram &program,
                                        ElementType valueType);

} // namespace backends
} // namespace qlc

#endif // QLC_PASSES_BACKENDS_DORYEMIT_H
