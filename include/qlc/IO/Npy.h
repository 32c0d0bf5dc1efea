//===- Npy.h - NumPy .npy arrays --------------------------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Reads and writes NumPy's .npy format (header versions 1.0, 2.0 and 3.0)
// as qlc::Tensor. Supported dtypes: f2 f4 f8 i1 u1 i2 u2 i4 u4 i8 u8 b1 c8
// c16, little-endian ('<') or byte-order-free ('|'), C order. Big-endian or
// Fortran-order arrays, structured, string and object dtypes, truncated data
// and malformed headers are rejected with an error saying which.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_IO_NPY_H
#define QLC_IO_NPY_H

#include "qlc/IR/Tensor.h"

#include "llvm/Support/Error.h"

#include <string>

namespace qlc {

/// Parses the bytes of a .npy file.
llvm::Expected<Tensor> parseNpy(llvm::StringRef bytes);
/// Reads a .npy file; errors do not name the file (callers add it).
llvm::Expected<Tensor> readNpyFile(llvm::StringRef path);

/// The .npy descr of `type` ("<f4", "|u1", ...), or "" when NumPy has no
/// equivalent (bfloat16, string, undefined).
std::string getNpyDescr(ElementType type);

/// Serializes `tensor` (format 1.0, or 2.0 when the header needs it); fails
/// for element types NumPy cannot represent.
llvm::Expected<std::string> serializeNpy(const Tensor &tensor);
/// Writes `tensor` to `path` atomically.
llvm::Error writeNpyFile(llvm::StringRef path, const Tensor &tensor);

} // namespace qlc

#endif // QLC_IO_NPY_H
