//===- ProtoEquivalence.h - Original vs exported ModelProto -----*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// An independent check (it shares no code with lib/ONNX) that an exported
// model is the original after qlc's documented normalisation: Constant
// nodes become initializers, initializers are listed as inputs only below
// IR version 4, nodes may be reordered, tensor data may move between typed
// fields and raw_data. Everything else must be equal.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_TEST_ROUNDTRIP_PROTOEQUIVALENCE_H
#define QLC_TEST_ROUNDTRIP_PROTOEQUIVALENCE_H

#include "onnx/onnx_pb.h"

#include <string>

namespace qlc::test {

/// Empty when `exported` is equivalent to `original`; else the difference.
std::string checkEquivalent(const onnx::ModelProto &original,
                            const onnx::ModelProto &exported);

} // namespace qlc::test

#endif // QLC_TEST_ROUNDTRIP_PROTOEQUIVALENCE_H
