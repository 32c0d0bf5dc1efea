//===- RunCompare.cpp - qlc-run: comparing two models ---------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// --compare runs a second model on the same inputs and reports, per output,
// the error of the first model against the second: max abs and max
// relative error, cosine similarity, SQNR and top-1 agreement (argmax over
// the last axis), merged over every batch of an --eval data set. Outputs of
// different element types (a float16 model against a float one) are both
// compared as double.
//
//===----------------------------------------------------------------------===//

#include "RunSupport.h"
#include "qlc/Support/Error.h"

#include "llvm/Support/Format.h"

#include <cstring>

using namespace qlc;
using namespace qlc::run;

/// The first `rows` rows of `t` along axis 0 (a copy).
static Tensor sliceRows(const Tensor &t, int64_t rows) {
  if (t.getRank() == 0 || rows >= t.getDim(0))
    return t;
  Shape shape(t.getShape().begin(), t.getShape().end());
  shape[0] = rows;
  Tensor out(t.getElementType(), shape);
  if (out.getByteSize())
    std::memcpy(out.getMutableRawData(), t.getRawData(), out.getByteSize());
  return out;
}

llvm::Expected<OutputComparison>
OutputComparison::create(const LoadedModel &a, const LoadedModel &b) {
  if (a.outputNames.size() != b.outputNames.size())
    return makeError(b.path + ": the models have " +
                     llvm::Twine(a.outputNames.size()) + " and " +
                     llvm::Twine(b.outputNames.size()) + " outputs");
  bool byName = llvm::all_of(a.outputNames, [&](const std::string &n) {
    return llvm::is_contained(b.outputNames, n);
  });
  OutputComparison c;
  c.pathA = a.path;
  c.pathB = b.path;
  for (size_t i = 0; i < a.outputNames.size(); ++i) {
    Pair p;
    p.nameA = a.outputNames[i];
    p.nameB = byName ? p.nameA : b.outputNames[i];
    c.pairs.push_back(std::move(p));
  }
  return c;
}

/// Both as double when their element types differ.
static std::pair<Tensor, Tensor> commonType(const Tensor &x, const Tensor &y) {
  if (x.getElementType() == y.getElementType())
    return {x, y};
  return {x.castTo(ElementType::Double), y.castTo(ElementType::Double)};
}

/// The first `rows` rows of `t` if its first dimension is `batchRows`.
static Tensor dropPadding(const Tensor &t, int64_t rows, int64_t batchRows) {
  if (batchRows < 0 || t.getRank() == 0 || t.getDim(0) != batchRows)
    return t;
  return sliceRows(t, rows);
}

llvm::Error OutputComparison::add(const TensorMap &resultsA,
                                  const TensorMap &resultsB, int64_t rows,
                                  int64_t batchRows) {
  for (Pair &p : pairs) {
    auto ia = resultsA.find(p.nameA);
    auto ib = resultsB.find(p.nameB);
    if (ia == resultsA.end() || ib == resultsB.end())
      return makeError(pathA + ": output '" + p.nameA + "' was not produced");
    Tensor x = dropPadding(ia->second, rows, batchRows);
    Tensor y = dropPadding(ib->second, rows, batchRows);
    auto [cx, cy] = commonType(x, y);
    auto diff = compareTensors(cx, cy);
    if (!diff)
      return addErrorContext(diff.takeError(),
                             pathB + ": output '" + p.nameB + "'");
    if (p.any)
      accumulateDiff(p.diff, *diff);
    else
      p.diff = *diff;
    p.any = true;
    if (x.getRank() && x.getShape().back() > 1) {
      std::vector<int64_t> ta = argmaxLastAxis(x), tb = argmaxLastAxis(y);
      for (size_t r = 0; r < ta.size() && r < tb.size(); ++r)
        p.top1Agree += ta[r] == tb[r];
      p.top1Rows += static_cast<int64_t>(std::min(ta.size(), tb.size()));
    }
  }
  return llvm::Error::success();
}

void OutputComparison::print(llvm::raw_ostream &os) const {
  os << "comparison of " << pathA << " against " << pathB << ":\n";
  for (const Pair &p : pairs) {
    const TensorDiff &d = p.diff;
    os << "  " << p.nameA;
    if (p.nameB != p.nameA)
      os << " vs " << p.nameB;
    os << ": max abs error " << llvm::format("%.6g", d.maxAbsError)
       << ", max rel error " << llvm::format("%.6g", d.maxRelError)
       << ", cosine " << llvm::format("%.9f", d.cosineSimilarity) << ", SQNR "
       << llvm::format("%.2f", d.sqnrDb) << " dB";
    if (p.top1Rows)
      os << ", top-1 agreement " << p.top1Agree << "/" << p.top1Rows << " ("
         << llvm::format("%.2f",
                         100.0 * p.top1Agree / static_cast<double>(p.top1Rows))
         << "%)";
    if (d.nonFiniteMismatches)
      os << ", " << d.nonFiniteMismatches << " NaN/inf mismatches";
    os << "\n";
  }
}
