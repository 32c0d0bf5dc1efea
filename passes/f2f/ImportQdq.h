//===- ImportQdq.h - The import-qdq pass ------------------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// import-qdq turns the QuantizeLinear/DequantizeLinear pairs of a QDQ model
// produced elsewhere (PyTorch QAT exported by torch.onnx.export, ONNX
// Runtime's quantiser, Brevitas' QCDQ) into qlc.FakeQuant nodes; see
// ImportQdq.cpp and docs/qdq.md.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASSES_F2F_IMPORTQDQ_H
#define QLC_PASSES_F2F_IMPORTQDQ_H

#include "qlc/Pass/Pass.h"

#include <memory>

namespace qlc {
namespace f2f {
std::unique_ptr<Pass> createImportQdqPass();
} // namespace f2f
} // namespace qlc

#endif // QLC_PASSES_F2F_IMPORTQDQ_H
