//===- TensorCompare.h - Numerical comparison of tensors --------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Error metrics between a computed tensor and a reference (qlc-run
// --compare, the ONNX Runtime cross-check) and an allclose-style check with
// NumPy's semantics (the ONNX backend conformance harness).
//
//===----------------------------------------------------------------------===//

#ifndef QLC_IO_TENSORCOMPARE_H
#define QLC_IO_TENSORCOMPARE_H

#include "qlc/IR/Tensor.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace qlc {

/// Metrics of `actual` against `reference`, both numeric of one shape.
struct TensorDiff {
  int64_t numElements = 0;
  /// max |a - b| over elements where both are finite or both equal.
  double maxAbsError = 0;
  /// max |a - b| / |b| over elements with b != 0; +inf when a != b = 0.
  double maxRelError = 0;
  /// max |b|.
  double referenceMaxAbs = 0;
  /// a.b / (|a| |b|); 1 when both are all zero, 0 when only one is.
  double cosineSimilarity = 1;
  /// 10 log10(sum b^2 / sum (a - b)^2); +inf when identical.
  double sqnrDb = 0;
  /// Elements where exactly one side is NaN, or infinities differ.
  int64_t nonFiniteMismatches = 0;
  /// Elements that are not bitwise or numerically equal.
  int64_t numDifferent = 0;
  /// Raw sums over finite elements, so that diffs of batches can be merged.
  double sumProduct = 0, sumSquaresActual = 0, sumSquaresReference = 0,
         sumSquaredError = 0;
};

/// Folds `part` into `total` as if both were computed over one tensor
/// (cosine similarity and SQNR are recomputed from the sums).
void accumulateDiff(TensorDiff &total, const TensorDiff &part);

/// Fails when the shapes or element types differ or a type is not numeric.
llvm::Expected<TensorDiff> compareTensors(const Tensor &actual,
                                          const Tensor &reference);

/// NumPy's allclose: |a - b| <= atol + rtol |b| elementwise, NaN equals
/// NaN, infinities must match exactly; integer and bool tensors must be
/// equal. The error describes the first mismatch and how many there are.
llvm::Error checkAllClose(const Tensor &actual, const Tensor &expected,
                          double rtol, double atol);

/// Index of the largest element along the last axis for each row (first
/// index wins ties; NaN never wins). A scalar counts as one row of one.
std::vector<int64_t> argmaxLastAxis(const Tensor &tensor);

/// "shape [1, 10] float32 min -1.5 max 3 mean 0.25" style summary.
std::string summarizeTensor(const Tensor &tensor);

} // namespace qlc

#endif // QLC_IO_TENSORCOMPARE_H
