//===- DoryGolden.h - DORY's golden feature map text files ------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// DORY checks generated code against text dumps of every fused layer's
// output: a `# name (shape [H, W, C]),` header, then one integer per line
// with a trailing comma, 3-D feature maps in HWC order (QuantLab's
// dump_features). DORY reads them with np.loadtxt(delimiter=',',
// usecols=[0]), skipping '#' lines.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_IO_DORYGOLDEN_H
#define QLC_IO_DORYGOLDEN_H

#include "qlc/IR/Tensor.h"
#include "qlc/IR/Type.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace qlc {

/// The file text for `t`: a batch-1 NCHW tensor is written HWC with header
/// shape [H, W, C]; anything else in C order with its shape minus a leading
/// batch of 1. Float tensors are written truncated toward zero, as
/// QuantLab's int() does.
std::string formatDoryGolden(llvm::StringRef name, const Tensor &t);

/// The values of a golden file in file order. Lines starting with '#', and
/// NEMO's headers without one ("name (shape [...]),"), are skipped; a value
/// may carry a fraction of zeros ("57.000") and a trailing backslash.
llvm::Expected<std::vector<int64_t>> readDoryGolden(llvm::StringRef path);

/// The values of `t` in the order formatDoryGolden writes them.
std::vector<int64_t> doryGoldenOrder(const Tensor &t);

/// input.txt as a tensor of `type` (static shape; NCHW with batch 1 read
/// from HWC order, as written).
llvm::Expected<Tensor> readDoryInput(llvm::StringRef path,
                                     const TensorType &type);

} // namespace qlc

#endif // QLC_IO_DORYGOLDEN_H
