//===- ModelCompare.h - Structural comparison of IR models ------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Test support: compares two IR models field by field (metadata, values,
// initializer bytes, nodes, attributes, implicit inputs, types, doc
// strings) and describes the first difference.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_TEST_ONNX_MODELCOMPARE_H
#define QLC_TEST_ONNX_MODELCOMPARE_H

#include "qlc/IR/Model.h"

#include <string>

namespace qlc::test {

struct CompareOptions {
  bool nodeNames = true;
  bool docStrings = true;
};

/// Empty when `a` and `b` are identical; otherwise the first difference.
std::string compareModels(const Model &a, const Model &b,
                          const CompareOptions &options = {});

} // namespace qlc::test

#endif // QLC_TEST_ONNX_MODELCOMPARE_H
