//===- TensorProto.h - ONNX TensorProto files (.pb) -------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Reads and writes single serialized ONNX TensorProtos, the format of the
// ONNX backend tests' input_N.pb / output_N.pb files.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_ONNX_TENSORPROTO_H
#define QLC_ONNX_TENSORPROTO_H

#include "qlc/IR/Tensor.h"

#include "llvm/Support/Error.h"

#include <string>

namespace qlc {

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

/// Parses a serialized TensorProto (raw_data or typed fields).
llvm::Expected<NamedTensor> parseTensorProto(llvm::StringRef bytes);
llvm::Expected<NamedTensor> readTensorProtoFile(llvm::StringRef path);
/// Serializes as a TensorProto with raw_data.
std::string serializeTensorProto(const Tensor &tensor, llvm::StringRef name);
llvm::Error writeTensorProtoFile(llvm::StringRef path, const Tensor &tensor,
                                 llvm::StringRef name);

} // namespace qlc

#endif // QLC_ONNX_TENSORPROTO_H
