//===- WindowGeometry.cpp - Sliding-window attributes and shapes ----------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Output sizes follow ONNX (and ONNX Runtime):
//   NOTSET  out = floor((in + pb + pe - dk) / s) + 1  (ceil with ceil_mode,
//           dropping a last window that would start inside the end padding)
//   VALID   the same with zero pads
//   SAME_*  out = ceil(in / s), total pad = max(0, (out-1)*s + dk - in),
//           the odd pixel going to the end (UPPER) or the beginning (LOWER)
// where dk = (k - 1) * dilation + 1.
//
//===----------------------------------------------------------------------===//

#include "Kernels/WindowGeometry.h"

#include "qlc/Support/Error.h"

#include <algorithm>

using namespace qlc;
using namespace qlc::interp;

static int64_t product(llvm::ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

int64_t WindowGeometry::getInPixels() const { return product(inSize); }
int64_t WindowGeometry::getOutPixels() const { return product(outSize); }
int64_t WindowGeometry::getKernelPixels() const { return product(kernel); }

llvm::Error WindowAttrs::parse(const Node &node, bool withCeilMode) {
  kernelShape = DimList(node.getAttrInts("kernel_shape"));
  strides = DimList(node.getAttrInts("strides"));
  dilations = DimList(node.getAttrInts("dilations"));
  pads = DimList(node.getAttrInts("pads"));
  std::string pad = node.getAttrString("auto_pad", "NOTSET");
  if (pad == "NOTSET" || pad.empty())
    autoPad = AutoPad::NotSet;
  else if (pad == "VALID")
    autoPad = AutoPad::Valid;
  else if (pad == "SAME_UPPER")
    autoPad = AutoPad::SameUpper;
  else if (pad == "SAME_LOWER")
    autoPad = AutoPad::SameLower;
  else
    return makeNodeError(node, "unknown auto_pad '" + pad + "'");
  if (withCeilMode) {
    int64_t c = node.getAttrInt("ceil_mode", 0);
    if (c != 0 && c != 1)
      return makeNodeError(node, "ceil_mode must be 0 or 1");
    ceilMode = c == 1;
  }
  for (int64_t v : kernelShape)
    if (v < 1)
      return makeNodeError(node, "kernel_shape entries must be positive");
  for (int64_t v : strides)
    if (v < 1)
      return makeNodeError(node, "strides must be positive");
  for (int64_t v : dilations)
    if (v < 1)
      return makeNodeError(node, "dilations must be positive");
  for (int64_t v : pads)
    if (v < 0)
      return makeNodeError(node, "pads must not be negative");
  if (pads.size() % 2 != 0)
    return makeNodeError(node, "pads must have an even number of entries");
  return llvm::Error::success();
}

/// Checks that an optional per-dimension attribute has `rank` entries.
static llvm::Error checkListSize(const KernelContext &ctx,
                                 llvm::ArrayRef<int64_t> list, size_t rank,
                                 const char *name) {
  if (!list.empty() && list.size() != rank)
    return ctx.error(llvm::Twine(name) + " has " + llvm::Twine(list.size()) +
                     " entries, expected " + llvm::Twine(rank));
  return llvm::Error::success();
}

llvm::Expected<WindowGeometry>
interp::resolveWindow(const KernelContext &ctx, const WindowAttrs &attrs,
                      llvm::ArrayRef<int64_t> inSize,
                      llvm::ArrayRef<int64_t> kernel) {
  size_t rank = inSize.size();
  if (kernel.size() != rank)
    return ctx.error("kernel has " + llvm::Twine(kernel.size()) +
                     " spatial dimensions, input has " + llvm::Twine(rank));
  if (auto err = checkListSize(ctx, attrs.strides, rank, "strides"))
    return err;
  if (auto err = checkListSize(ctx, attrs.dilations, rank, "dilations"))
    return err;
  if (!attrs.pads.empty() && attrs.pads.size() != 2 * rank)
    return ctx.error("pads has " + llvm::Twine(attrs.pads.size()) +
                     " entries, expected " + llvm::Twine(2 * rank));

  WindowGeometry g;
  g.inSize.assign(inSize.begin(), inSize.end());
  g.kernel.assign(kernel.begin(), kernel.end());
  for (size_t d = 0; d < rank; ++d) {
    int64_t s = attrs.strides.empty() ? 1 : attrs.strides[d];
    int64_t dil = attrs.dilations.empty() ? 1 : attrs.dilations[d];
    int64_t dk = (kernel[d] - 1) * dil + 1;
    int64_t in = inSize[d];
    int64_t pb = 0, pe = 0, out = 0;
    switch (attrs.autoPad) {
    case AutoPad::NotSet:
    case AutoPad::Valid: {
      if (attrs.autoPad == AutoPad::NotSet && !attrs.pads.empty()) {
        pb = attrs.pads[d];
        pe = attrs.pads[d + rank];
      }
      int64_t span = in + pb + pe - dk;
      if (span < 0)
        return ctx.error("window of size " + llvm::Twine(dk) +
                         " does not fit the padded input of size " +
                         llvm::Twine(in + pb + pe));
      out = attrs.ceilMode ? (span + s - 1) / s + 1 : span / s + 1;
      // A last window starting in the end padding covers no input.
      if (attrs.ceilMode && (out - 1) * s >= in + pb)
        --out;
      break;
    }
    case AutoPad::SameUpper:
    case AutoPad::SameLower: {
      out = (in + s - 1) / s;
      int64_t total = std::max<int64_t>(0, (out - 1) * s + dk - in);
      pb = attrs.autoPad == AutoPad::SameUpper ? total / 2 : total - total / 2;
      pe = total - pb;
      break;
    }
    }
    g.strides.push_back(s);
    g.dilations.push_back(dil);
    g.padBegin.push_back(pb);
    g.padEnd.push_back(pe);
    g.outSize.push_back(out);
  }
  return g;
}

std::vector<int64_t> interp::buildTapTable(const WindowGeometry &g) {
  unsigned rank = g.getRank();
  int64_t outPixels = g.getOutPixels(), taps = g.getKernelPixels();
  std::vector<int64_t> table(outPixels * taps);
  DimList outIdx(rank, 0), tapIdx(rank, 0);
  int64_t *entry = table.data();
  for (int64_t p = 0; p < outPixels; ++p) {
    std::fill(tapIdx.begin(), tapIdx.end(), 0);
    for (int64_t t = 0; t < taps; ++t) {
      int64_t flat = 0;
      bool inside = true;
      for (unsigned d = 0; d < rank; ++d) {
        int64_t i = outIdx[d] * g.strides[d] - g.padBegin[d] +
                    tapIdx[d] * g.dilations[d];
        inside &= i >= 0 && i < g.inSize[d];
        flat = flat * g.inSize[d] + i;
      }
      *entry++ = inside ? flat : -1;
      for (int d = static_cast<int>(rank) - 1; d >= 0; --d) {
        if (++tapIdx[d] < g.kernel[d])
          break;
        tapIdx[d] = 0;
      }
    }
    for (int d = static_cast<int>(rank) - 1; d >= 0; --d) {
      if (++outIdx[d] < g.outSize[d])
        break;
      outIdx[d] = 0;
    }
  }
  return table;
}

llvm::Expected<ConvProblem>
interp::resolveConv(const KernelContext &ctx, const WindowAttrs &attrs,
                    int64_t group, llvm::ArrayRef<int64_t> xShape,
                    llvm::ArrayRef<int64_t> wShape) {
  if (xShape.size() < 3)
    return ctx.error("input must have rank 3 or more, got " +
                     formatShape(xShape));
  if (wShape.size() != xShape.size())
    return ctx.error("weights " + formatShape(wShape) +
                     " must have the rank of the input " + formatShape(xShape));
  ConvProblem p;
  p.batch = xShape[0];
  p.inChannels = xShape[1];
  p.outChannels = wShape[0];
  p.group = group;
  if (group < 1 || p.inChannels % group != 0 || p.outChannels % group != 0)
    return ctx.error("group " + llvm::Twine(group) +
                     " must divide the input channels (" +
                     llvm::Twine(p.inChannels) + ") and the output channels (" +
                     llvm::Twine(p.outChannels) + ")");
  if (wShape[1] != p.inChannels / group)
    return ctx.error("weights " + formatShape(wShape) + " expect " +
                     llvm::Twine(wShape[1] * group) +
                     " input channels, input has " + llvm::Twine(p.inChannels));
  llvm::ArrayRef<int64_t> kernel = wShape.drop_front(2);
  if (!attrs.kernelShape.empty() &&
      llvm::ArrayRef<int64_t>(attrs.kernelShape) != kernel)
    return ctx.error("kernel_shape " + formatShape(attrs.kernelShape) +
                     " does not match the weights " + formatShape(wShape));
  for (int64_t k : kernel)
    if (k < 1)
      return ctx.error("weights " + formatShape(wShape) +
                       " have an empty kernel");
  auto geo = resolveWindow(ctx, attrs, xShape.drop_front(2), kernel);
  if (!geo)
    return geo.takeError();
  p.geo = std::move(*geo);
  p.outShape = {p.batch, p.outChannels};
  p.outShape.append(p.geo.outSize.begin(), p.geo.outSize.end());
  return p;
}
