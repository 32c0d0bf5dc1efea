//===- ResNet50.h - A ResNet-50-sized model built through the IR -*- C++
//-*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QLC_BENCH_ONNXIO_RESNET50_H
#define QLC_BENCH_ONNXIO_RESNET50_H

#include "qlc/IR/Model.h"

#include <cstdint>
#include <memory>

namespace qlc::bench {

/// ResNet-50 v1 (batch norm folded into conv biases): 53 Conv, 16 Add,
/// MaxPool, GlobalAveragePool, Flatten, Gemm; about 25.5 M float
/// parameters with deterministic pseudo-random values from `seed`.
std::unique_ptr<Model> buildResNet50(uint32_t seed);

/// Number of parameters (elements of all initializers).
int64_t countParameters(const Model &model);

} // namespace qlc::bench

#endif // QLC_BENCH_ONNXIO_RESNET50_H
