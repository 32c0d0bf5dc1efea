//===- Pad.cpp - The Pad kernel -------------------------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Pad in constant, reflect, edge and wrap modes, with the pads as attribute
// ("paddings" in opset 1, "pads" until 10) or input (11+, with the optional
// `axes` input of opset 18). Negative pads crop. The output is produced row
// by row (a row = the innermost dimension): the source row is found by
// mapping every outer output index into the input (or, in constant mode,
// found to be padding), its interior is memcpy'd and its borders are filled
// or mirrored element by element.
//
//===----------------------------------------------------------------------===//

#include "Kernels/Dispatch.h"
#include "Kernels/KernelUtils.h"
#include "Kernels/Kernels.h"
#include "Kernels/Parallel.h"

#include <cstring>

using namespace qlc;
using namespace qlc::interp;

namespace {

enum class PadMode { Constant, Reflect, Edge, Wrap };

/// Source index of output position `i` (already shifted by the begin pad)
/// in a dimension of size `n`; -1 for a constant pad.
int64_t mapIndex(int64_t i, int64_t n, PadMode mode) {
  if (i >= 0 && i < n)
    return i;
  switch (mode) {
  case PadMode::Constant:
    return -1;
  case PadMode::Edge:
    return i < 0 ? 0 : n - 1;
  case PadMode::Wrap:
    return ((i % n) + n) % n;
  case PadMode::Reflect: {
    if (n == 1)
      return 0;
    int64_t period = 2 * (n - 1);
    i = ((i % period) + period) % period;
    return i < n ? i : period - i;
  }
  }
  return -1;
}

struct PadPlan {
  PadMode mode = PadMode::Constant;
  llvm::SmallVector<int64_t, 8> begin, end; // per input dimension
};

llvm::Expected<PadPlan> getPadPlan(const KernelContext &ctx, int64_t rank) {
  PadPlan plan;
  std::string mode = ctx.node.getAttrString("mode", "constant");
  if (mode == "constant")
    plan.mode = PadMode::Constant;
  else if (mode == "reflect")
    plan.mode = PadMode::Reflect;
  else if (mode == "edge")
    plan.mode = PadMode::Edge;
  else if (mode == "wrap")
    plan.mode = PadMode::Wrap;
  else
    return ctx.error("unsupported mode '" + mode + "'");

  llvm::SmallVector<int64_t, 8> pads, axes;
  if (ctx.opsetVersion < 11) {
    pads = ctx.node.getAttrInts(ctx.opsetVersion < 2 ? "paddings" : "pads");
  } else {
    const Tensor *p = ctx.getInput(1);
    if (!p || p->isNull())
      return ctx.error("missing required input 1 (pads)");
    auto values = readInt64s(ctx, *p, "pads");
    if (!values)
      return values.takeError();
    pads = *values;
    if (const Tensor *a = ctx.getInput(3); a && !a->isNull()) {
      auto axesValues = readInt64s(ctx, *a, "axes");
      if (!axesValues)
        return axesValues.takeError();
      axes = *axesValues;
    }
  }
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  if (pads.size() != 2 * axes.size())
    return ctx.error("pads has " + llvm::Twine(pads.size()) +
                     " entries, expected " + llvm::Twine(2 * axes.size()));
  plan.begin.assign(rank, 0);
  plan.end.assign(rank, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    auto axis = normalizeAxis(ctx, axes[i], rank);
    if (!axis)
      return axis.takeError();
    plan.begin[*axis] = pads[i];
    plan.end[*axis] = pads[i + axes.size()];
  }
  return plan;
}

/// The pad value as a one-element tensor of `type`.
llvm::Expected<Tensor> getPadValue(const KernelContext &ctx, ElementType type) {
  Tensor value(type, {});
  if (ctx.opsetVersion < 11) {
    value.setFromDouble(0, ctx.node.getAttrFloat("value", 0.0f));
    return value;
  }
  const Tensor *v = ctx.getInput(2);
  if (!v || v->isNull() || v->getNumElements() == 0)
    return value; // zero
  if (v->getNumElements() != 1)
    return ctx.error("constant_value must be a scalar");
  if (v->getElementType() != type)
    return ctx.error("constant_value has element type " +
                     typeName(v->getElementType()) + ", expected " +
                     typeName(type));
  std::memcpy(value.getMutableRawData(), v->getRawData(), getElementSize(type));
  return value;
}

template <typename U>
void padRows(const Tensor &in, Tensor &out, const PadPlan &plan, U fill,
             unsigned threads) {
  const int64_t rank = in.getRank();
  llvm::ArrayRef<int64_t> inDims = in.getShape(), outDims = out.getShape();
  const int64_t inRow = inDims.back(), outRow = outDims.back();
  const int64_t rows = outRow == 0 ? 0 : out.getNumElements() / outRow;
  const U *src = dataAs<U>(in);
  U *dst = mutableDataAs<U>(out);
  const int64_t pb = plan.begin.back();
  // The interior [lo, hi) of an output row copies input [lo-pb, hi-pb).
  const int64_t lo = std::min(std::max<int64_t>(pb, 0), outRow);
  const int64_t hi = std::max(lo, std::min(outRow, pb + inRow));
  parallelFor(
      threads, rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(outRow, 1)),
      [&](int64_t begin, int64_t end) {
        // The outer multi-index of row `begin`, then advanced row by row.
        llvm::SmallVector<int64_t, 8> idx(rank - 1, 0);
        for (int64_t d = rank - 2, rem = begin; d >= 0; --d) {
          idx[d] = rem % outDims[d];
          rem /= outDims[d];
        }
        for (int64_t r = begin; r < end; ++r) {
          U *o = dst + r * outRow;
          // Map the outer output index of row r to an input row.
          int64_t inOffset = 0, stride = inRow;
          bool padding = false;
          for (int64_t d = rank - 2; d >= 0; --d) {
            int64_t s = mapIndex(idx[d] - plan.begin[d], inDims[d], plan.mode);
            if (s < 0)
              padding = true;
            inOffset += s * stride;
            stride *= inDims[d];
          }
          for (int64_t d = rank - 2; d >= 0 && ++idx[d] == outDims[d]; --d)
            idx[d] = 0;
          if (padding) {
            std::fill(o, o + outRow, fill);
            continue;
          }
          const U *row = src + inOffset;
          for (int64_t j = 0; j < lo; ++j) {
            int64_t s = mapIndex(j - pb, inRow, plan.mode);
            o[j] = s < 0 ? fill : row[s];
          }
          if (hi > lo)
            std::memcpy(o + lo, row + (lo - pb), (hi - lo) * sizeof(U));
          for (int64_t j = hi; j < outRow; ++j) {
            int64_t s = mapIndex(j - pb, inRow, plan.mode);
            o[j] = s < 0 ? fill : row[s];
          }
        }
      });
}

llvm::Error computePad(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, ctx.opsetVersion < 11 ? 1 : 4))
    return err;
  const Tensor &in = *ctx.inputs[0];
  int64_t rank = in.getRank();
  auto plan = getPadPlan(ctx, rank);
  if (!plan)
    return plan.takeError();
  Shape shape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t n = in.getDim(d) + plan->begin[d] + plan->end[d];
    if (n < 0)
      return ctx.error("pads crop dimension " + llvm::Twine(d) + " of size " +
                       llvm::Twine(in.getDim(d)) + " below zero");
    if (in.getDim(d) == 0 && n > 0 && plan->mode != PadMode::Constant)
      return ctx.error("cannot pad an empty dimension in this mode");
    shape.push_back(n);
  }
  ElementType type = in.getElementType();
  if (getElementSize(type) == 0)
    return ctx.error("unsupported element type " + typeName(type));
  auto value = getPadValue(ctx, type);
  if (!value)
    return value.takeError();
  Tensor &out = makeOutput(ctx, 0, type, shape);
  if (rank == 0) {
    out = in;
    return llvm::Error::success();
  }
  if (!dispatchBySize(getElementSize(type), [&](auto tag) {
        using U = typename decltype(tag)::type;
        padRows<U>(in, out, *plan, *dataAs<U>(*value), ctx.threads);
      }))
    return ctx.error("unsupported element type " + typeName(type));
  return llvm::Error::success();
}

} // namespace

void qlc::registerPadKernels(KernelRegistry &registry) {
  registry.add("", "Pad", 1, computePad);
}
