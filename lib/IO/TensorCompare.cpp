//===- TensorCompare.cpp - Numerical comparison of tensors ----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// All metrics are accumulated in double. Complex tensors are compared as
// their interleaved real and imaginary parts. Integer and bool tensors are
// compared exactly (through int64, which holds every value bit-exactly;
// uint64 wraps the same on both sides).
//
//===----------------------------------------------------------------------===//

#include "qlc/IO/TensorCompare.h"
#include "qlc/Support/Error.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace qlc;

static bool isComplex(ElementType t) {
  return t == ElementType::Complex64 || t == ElementType::Complex128;
}

static bool isNumeric(ElementType t) {
  return isFloatType(t) || isIntegerType(t) || t == ElementType::Bool ||
         isComplex(t);
}

/// Every scalar component as double (two per complex element).
static std::vector<double> componentsAsDoubles(const Tensor &t) {
  if (!isComplex(t.getElementType()))
    return t.toDoubles();
  size_t n = static_cast<size_t>(t.getNumElements()) * 2;
  std::vector<double> out(n);
  const char *raw = t.getRawData();
  for (size_t i = 0; i < n; ++i) {
    if (t.getElementType() == ElementType::Complex64) {
      float f;
      std::memcpy(&f, raw + i * sizeof(float), sizeof(float));
      out[i] = f;
    } else {
      std::memcpy(&out[i], raw + i * sizeof(double), sizeof(double));
    }
  }
  return out;
}

static llvm::Error checkComparable(const Tensor &a, const Tensor &b) {
  if (a.getElementType() != b.getElementType())
    return makeError("element type " + getElementTypeName(a.getElementType()) +
                     ", expected " + getElementTypeName(b.getElementType()));
  if (a.getShape() != b.getShape())
    return makeError("shape " + formatShape(a.getShape()) + ", expected " +
                     formatShape(b.getShape()));
  if (!isNumeric(a.getElementType()))
    return makeError("cannot compare " +
                     getElementTypeName(a.getElementType()) + " tensors");
  return llvm::Error::success();
}

/// Derives cosine similarity and SQNR from the raw sums.
static void finishDiff(TensorDiff &d) {
  double normA = d.sumSquaresActual, normB = d.sumSquaresReference;
  if (normA == 0 && normB == 0)
    d.cosineSimilarity = 1;
  else if (normA == 0 || normB == 0)
    d.cosineSimilarity = 0;
  else
    d.cosineSimilarity = d.sumProduct / (std::sqrt(normA) * std::sqrt(normB));
  d.sqnrDb = d.sumSquaredError == 0
                 ? std::numeric_limits<double>::infinity()
                 : 10 * std::log10(normB / d.sumSquaredError);
}

llvm::Expected<TensorDiff> qlc::compareTensors(const Tensor &actual,
                                               const Tensor &reference) {
  if (llvm::Error err = checkComparable(actual, reference))
    return err;
  std::vector<double> a = componentsAsDoubles(actual);
  std::vector<double> b = componentsAsDoubles(reference);
  TensorDiff d;
  d.numElements = actual.getNumElements();
  double &dot = d.sumProduct, &normA = d.sumSquaresActual,
         &normB = d.sumSquaresReference, &noise = d.sumSquaredError;
  for (size_t i = 0; i < a.size(); ++i) {
    double x = a[i], y = b[i];
    bool equal = x == y || (std::isnan(x) && std::isnan(y));
    if (!equal)
      ++d.numDifferent;
    if (!std::isfinite(x) || !std::isfinite(y)) {
      if (!equal)
        ++d.nonFiniteMismatches;
      continue;
    }
    double err = std::fabs(x - y);
    d.maxAbsError = std::max(d.maxAbsError, err);
    d.referenceMaxAbs = std::max(d.referenceMaxAbs, std::fabs(y));
    if (y != 0)
      d.maxRelError = std::max(d.maxRelError, err / std::fabs(y));
    else if (x != 0)
      d.maxRelError = std::numeric_limits<double>::infinity();
    dot += x * y;
    normA += x * x;
    normB += y * y;
    noise += (x - y) * (x - y);
  }
  finishDiff(d);
  return d;
}

void qlc::accumulateDiff(TensorDiff &total, const TensorDiff &part) {
  total.numElements += part.numElements;
  total.maxAbsError = std::max(total.maxAbsError, part.maxAbsError);
  total.maxRelError = std::max(total.maxRelError, part.maxRelError);
  total.referenceMaxAbs = std::max(total.referenceMaxAbs, part.referenceMaxAbs);
  total.nonFiniteMismatches += part.nonFiniteMismatches;
  total.numDifferent += part.numDifferent;
  total.sumProduct += part.sumProduct;
  total.sumSquaresActual += part.sumSquaresActual;
  total.sumSquaresReference += part.sumSquaresReference;
  total.sumSquaredError += part.sumSquaredError;
  finishDiff(total);
}

/// "[0, 2, 1]": the multi-index of flat element `flat`.
static std::string formatIndex(llvm::ArrayRef<int64_t> shape, int64_t flat) {
  Shape index(shape.size());
  for (size_t i = shape.size(); i-- > 0;) {
    index[i] = shape[i] ? flat % shape[i] : 0;
    flat = shape[i] ? flat / shape[i] : 0;
  }
  return formatShape(index);
}

static std::string formatNumber(double v) {
  if (v == 0)
    v = 0; // print -0 as 0
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::format("%.9g", v);
  return os.str();
}

llvm::Error qlc::checkAllClose(const Tensor &actual, const Tensor &expected,
                               double rtol, double atol) {
  if (llvm::Error err = checkComparable(actual, expected))
    return err;
  ElementType type = actual.getElementType();
  bool exact = !isFloatType(type) && !isComplex(type);
  int64_t mismatches = 0, first = -1;
  double firstGot = 0, firstWant = 0;
  auto record = [&](int64_t i, double got, double want) {
    if (mismatches++ == 0) {
      first = i;
      firstGot = got;
      firstWant = want;
    }
  };
  if (exact) {
    for (int64_t i = 0, e = actual.getNumElements(); i < e; ++i)
      if (actual.getAsInt64(i) != expected.getAsInt64(i))
        record(i, actual.getAsDouble(i), expected.getAsDouble(i));
  } else {
    std::vector<double> a = componentsAsDoubles(actual);
    std::vector<double> b = componentsAsDoubles(expected);
    int64_t perElement = isComplex(type) ? 2 : 1;
    for (size_t i = 0; i < a.size(); ++i) {
      double x = a[i], y = b[i];
      bool ok;
      if (std::isnan(x) || std::isnan(y))
        ok = std::isnan(x) && std::isnan(y);
      else if (std::isinf(x) || std::isinf(y))
        ok = x == y;
      else
        ok = std::fabs(x - y) <= atol + rtol * std::fabs(y);
      if (!ok)
        record(static_cast<int64_t>(i) / perElement, x, y);
    }
  }
  if (mismatches == 0)
    return llvm::Error::success();
  std::string tolerance =
      exact ? std::string("exact")
            : "rtol " + formatNumber(rtol) + ", atol " + formatNumber(atol);
  return makeError(
      llvm::Twine(mismatches) + " of " + llvm::Twine(actual.getNumElements()) +
      " elements differ (" + tolerance + "); first at " +
      formatIndex(actual.getShape(), first) + ": got " +
      formatNumber(firstGot) + ", expected " + formatNumber(firstWant));
}

std::vector<int64_t> qlc::argmaxLastAxis(const Tensor &tensor) {
  std::vector<int64_t> result;
  if (!isNumeric(tensor.getElementType()) || isComplex(tensor.getElementType()))
    return result;
  int64_t cols = tensor.getRank() ? tensor.getShape().back() : 1;
  if (cols <= 0)
    return result;
  std::vector<double> v = tensor.toDoubles();
  int64_t rows = static_cast<int64_t>(v.size()) / cols;
  for (int64_t r = 0; r < rows; ++r) {
    int64_t best = 0;
    double bestValue = -std::numeric_limits<double>::infinity();
    bool found = false;
    for (int64_t c = 0; c < cols; ++c) {
      double x = v[r * cols + c];
      if (!std::isnan(x) && (!found || x > bestValue)) {
        best = c;
        bestValue = x;
        found = true;
      }
    }
    result.push_back(best);
  }
  return result;
}

std::string qlc::summarizeTensor(const Tensor &tensor) {
  std::string s;
  llvm::raw_string_ostream os(s);
  ElementType type = tensor.getElementType();
  os << getElementTypeName(type) << " " << formatShape(tensor.getShape());
  int64_t n = tensor.getNumElements();
  if (n == 0 || !isNumeric(type) || isComplex(type))
    return os.str();
  std::vector<double> v = tensor.toDoubles();
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, sum = 0;
  int64_t nans = 0;
  for (double x : v) {
    if (std::isnan(x)) {
      ++nans;
      continue;
    }
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    sum += x;
  }
  if (nans < n)
    os << " min " << formatNumber(lo) << " max " << formatNumber(hi) << " mean "
       << formatNumber(sum / static_cast<double>(n - nans));
  if (nans)
    os << " nan " << nans;
  return os.str();
}
