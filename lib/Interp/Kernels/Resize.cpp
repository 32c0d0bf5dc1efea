//===- Resize.cpp - Resize and Upsample kernels ---------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Resize (opsets 10, 11, 13: nearest, linear and cubic modes, every
// coordinate_transformation_mode and nearest_mode, scales or sizes, roi for
// tf_crop_and_resize) and Upsample (7, 9). Opset 10 Resize and Upsample use
// the pre-11 semantics: asymmetric coordinates, and nearest truncates when
// upsampling and rounds up when downsampling (as onnxruntime does).
//
// All modes are separable, so the kernel resizes one dimension at a time:
// for every output index along that dimension it precomputes taps (input
// index, weight) - one for nearest, two for linear, four for cubic - and
// forms each output plane as the weighted sum of input planes, vectorised
// along the inner dimensions. Coordinates are computed in double like the
// ONNX reference implementation; dimensions whose taps are the identity are
// skipped. Nearest moves bytes (any element type); linear and cubic compute
// in the float type (integers: in double, rounded half to even, saturated).
//
//===----------------------------------------------------------------------===//

#include "Kernels/Dispatch.h"
#include "Kernels/ElementwiseLoops.h"
#include "Kernels/Kernels.h"

#include <cmath>
#include <cstring>
#include <vector>

using namespace qlc;
using namespace qlc::interp;

namespace {

enum class Mode { Nearest, Linear, Cubic };
enum class Coord {
  HalfPixel,
  Asymmetric,
  PytorchHalfPixel,
  AlignCorners,
  TfHalfPixelForNN,
  TfCropAndResize
};
enum class Rounding { Simple, RoundPreferFloor, RoundPreferCeil, Floor, Ceil };

struct ResizeAttrs {
  Mode mode = Mode::Nearest;
  Coord coord = Coord::HalfPixel;
  Rounding rounding = Rounding::RoundPreferFloor;
  double cubicA = -0.75;
  bool excludeOutside = false;
  double extrapolation = 0;
};

/// Taps of one output index along one dimension.
struct Taps {
  int64_t width = 1;
  std::vector<int64_t> index;       // [outLen][width]
  std::vector<double> weight;       // [outLen][width]
  std::vector<uint8_t> extrapolate; // [outLen]
};

class ResizeKernel final : public Kernel {
public:
  llvm::Error init(const Node &node, int64_t opset) {
    isUpsample = node.getOpType() == "Upsample";
    legacy = isUpsample || opset < 11;
    opsetVersion = opset;
    std::string mode = node.getAttrString("mode", "nearest");
    if (mode == "nearest")
      attrs.mode = Mode::Nearest;
    else if (mode == "linear" || mode == "bilinear")
      attrs.mode = Mode::Linear;
    else if (mode == "cubic" && !legacy)
      attrs.mode = Mode::Cubic;
    else
      return makeNodeError(node, "unsupported mode '" + mode + "'");
    if (legacy) {
      attrs.coord = Coord::Asymmetric;
      attrs.rounding = Rounding::Simple;
      return llvm::Error::success();
    }
    std::string coord =
        node.getAttrString("coordinate_transformation_mode", "half_pixel");
    const std::pair<const char *, Coord> coords[] = {
        {"half_pixel", Coord::HalfPixel},
        {"asymmetric", Coord::Asymmetric},
        {"pytorch_half_pixel", Coord::PytorchHalfPixel},
        {"align_corners", Coord::AlignCorners},
        {"tf_half_pixel_for_nn", Coord::TfHalfPixelForNN},
        {"tf_crop_and_resize", Coord::TfCropAndResize}};
    bool found = false;
    for (const auto &c : coords)
      if (coord == c.first) {
        attrs.coord = c.second;
        found = true;
      }
    if (!found)
      return makeNodeError(
          node, "unsupported coordinate_transformation_mode '" + coord + "'");
    std::string nearest =
        node.getAttrString("nearest_mode", "round_prefer_floor");
    if (nearest == "round_prefer_floor")
      attrs.rounding = Rounding::RoundPreferFloor;
    else if (nearest == "round_prefer_ceil")
      attrs.rounding = Rounding::RoundPreferCeil;
    else if (nearest == "floor")
      attrs.rounding = Rounding::Floor;
    else if (nearest == "ceil")
      attrs.rounding = Rounding::Ceil;
    else
      return makeNodeError(node, "unsupported nearest_mode '" + nearest + "'");
    attrs.cubicA = node.getAttrFloat("cubic_coeff_a", -0.75f);
    attrs.excludeOutside = node.getAttrInt("exclude_outside", 0) != 0;
    attrs.extrapolation = node.getAttrFloat("extrapolation_value", 0.0f);
    if (node.getAttrInt("antialias", 0) != 0)
      return makeNodeError(node, "antialias is not supported");
    if (node.hasAttr("axes"))
      return makeNodeError(node, "the axes attribute is not supported");
    std::string policy =
        node.getAttrString("keep_aspect_ratio_policy", "stretch");
    if (policy != "stretch")
      return makeNodeError(node, "keep_aspect_ratio_policy '" + policy +
                                     "' is not supported");
    return llvm::Error::success();
  }

  llvm::Error compute(KernelContext &ctx) override;

private:
  llvm::Error getGeometry(const KernelContext &ctx, const Tensor &in,
                          Shape &outShape, std::vector<double> &scales,
                          std::vector<double> &roi) const;
  Taps makeTaps(int64_t inLen, int64_t outLen, double scale, double roiStart,
                double roiEnd) const;
  double toOriginal(double x, double scale, int64_t inLen, double outLen,
                    double roiStart, double roiEnd) const;
  int64_t roundNearest(double x, bool downsampling) const;

  ResizeAttrs attrs;
  bool isUpsample = false, legacy = false;
  int64_t opsetVersion = 0;
};

double ResizeKernel::toOriginal(double x, double scale, int64_t inLen,
                                double outLen, double roiStart,
                                double roiEnd) const {
  switch (attrs.coord) {
  case Coord::HalfPixel:
    return (x + 0.5) / scale - 0.5;
  case Coord::Asymmetric:
    return x / scale;
  case Coord::PytorchHalfPixel:
    return outLen > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  case Coord::AlignCorners:
    return outLen == 1 ? 0.0 : x * double(inLen - 1) / (outLen - 1);
  case Coord::TfHalfPixelForNN:
    return (x + 0.5) / scale;
  case Coord::TfCropAndResize:
    return outLen > 1
               ? roiStart * double(inLen - 1) +
                     x * (roiEnd - roiStart) * double(inLen - 1) / (outLen - 1)
               : 0.5 * (roiStart + roiEnd) * double(inLen - 1);
  }
  return x;
}

int64_t ResizeKernel::roundNearest(double x, bool downsampling) const {
  switch (attrs.rounding) {
  case Rounding::Simple:
    return downsampling ? static_cast<int64_t>(std::ceil(x))
                        : static_cast<int64_t>(x);
  case Rounding::RoundPreferFloor:
    return x == std::floor(x) + 0.5 ? static_cast<int64_t>(std::floor(x))
                                    : static_cast<int64_t>(std::round(x));
  case Rounding::RoundPreferCeil:
    return static_cast<int64_t>(std::round(x)); // halves round away from 0
  case Rounding::Floor:
    return static_cast<int64_t>(std::floor(x));
  case Rounding::Ceil:
    return static_cast<int64_t>(std::ceil(x));
  }
  return 0;
}

/// Cubic convolution weights for the four neighbours floor(x)-1 .. +2 at
/// fractional offset `r` (Keys' kernel with parameter a).
void cubicWeights(double r, double a, double w[4]) {
  auto far = [a](double t) {
    return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  };
  auto near = [a](double t) { return ((a + 2) * t - (a + 3)) * t * t + 1; };
  w[0] = far(r + 1);
  w[1] = near(r);
  w[2] = near(1 - r);
  w[3] = far(2 - r);
}

Taps ResizeKernel::makeTaps(int64_t inLen, int64_t outLen, double scale,
                            double roiStart, double roiEnd) const {
  Taps taps;
  taps.width = attrs.mode == Mode::Nearest  ? 1
               : attrs.mode == Mode::Linear ? 2
                                            : 4;
  taps.index.resize(outLen * taps.width);
  taps.weight.resize(outLen * taps.width);
  taps.extrapolate.assign(outLen, 0);
  auto clampIndex = [inLen](int64_t i) {
    return std::min(std::max<int64_t>(i, 0), inLen - 1);
  };
  for (int64_t j = 0; j < outLen; ++j) {
    // The transforms see the unrounded resized length in * scale, as in
    // the ONNX reference (it differs from outLen when scales are given).
    double x = toOriginal(double(j), scale, inLen, double(inLen) * scale,
                          roiStart, roiEnd);
    int64_t *idx = &taps.index[j * taps.width];
    double *w = &taps.weight[j * taps.width];
    if (attrs.coord == Coord::TfCropAndResize &&
        (x < 0 || x > double(inLen - 1))) {
      taps.extrapolate[j] = 1;
      for (int64_t t = 0; t < taps.width; ++t) {
        idx[t] = 0;
        w[t] = 0;
      }
      continue;
    }
    if (attrs.mode == Mode::Nearest) {
      idx[0] = clampIndex(roundNearest(x, scale < 1));
      w[0] = 1;
      continue;
    }
    double base = std::floor(x), r = x - base;
    int64_t i0 = static_cast<int64_t>(base);
    if (attrs.mode == Mode::Linear) {
      idx[0] = clampIndex(i0);
      idx[1] = clampIndex(i0 + 1);
      w[0] = 1 - r;
      w[1] = r;
      continue;
    }
    cubicWeights(r, attrs.cubicA, w);
    double sum = 0;
    for (int64_t t = 0; t < 4; ++t) {
      int64_t i = i0 - 1 + t;
      if (attrs.excludeOutside && (i < 0 || i >= inLen))
        w[t] = 0;
      sum += w[t];
      idx[t] = clampIndex(i);
    }
    if (attrs.excludeOutside && sum != 0)
      for (int64_t t = 0; t < 4; ++t)
        w[t] /= sum;
  }
  return taps;
}

bool isIdentity(const Taps &taps, int64_t inLen, int64_t outLen) {
  if (inLen != outLen)
    return false;
  for (int64_t j = 0; j < outLen; ++j) {
    if (taps.extrapolate[j])
      return false;
    for (int64_t t = 0; t < taps.width; ++t) {
      double w = taps.weight[j * taps.width + t];
      int64_t i = taps.index[j * taps.width + t];
      if (w != 0 && !(w == 1 && i == j))
        return false;
    }
  }
  return true;
}

/// Nearest resize of the innermost dimension: an element gather per row.
template <typename U>
void gatherLastDim(const Tensor &in, Tensor &out, const Taps &taps,
                   unsigned threads) {
  int64_t inLen = in.getShape().back(), outLen = out.getShape().back();
  int64_t rows = outLen == 0 ? 0 : out.getNumElements() / outLen;
  const U *src = dataAs<U>(in);
  U *dst = mutableDataAs<U>(out);
  const int64_t *index = taps.index.data();
  parallelFor(threads, rows,
              std::max<int64_t>(1, 16384 / std::max<int64_t>(outLen, 1)),
              [&](int64_t b, int64_t e) {
                for (int64_t r = b; r < e; ++r)
                  for (int64_t j = 0; j < outLen; ++j)
                    dst[r * outLen + j] = src[r * inLen + index[j]];
              });
}

/// Resizes dimension `axis` of `in` with `taps` (nearest: byte gather).
void gatherPass(const Tensor &in, Tensor &out, int64_t axis, const Taps &taps,
                unsigned threads) {
  llvm::ArrayRef<int64_t> dims = in.getShape();
  size_t elemSize = getElementSize(in.getElementType());
  if (axis + 1 == in.getRank() && dispatchBySize(elemSize, [&](auto tag) {
        gatherLastDim<typename decltype(tag)::type>(in, out, taps, threads);
      }))
    return;
  int64_t outer = getNumElements(dims.take_front(axis));
  int64_t inLen = dims[axis], outLen = out.getDim(axis);
  int64_t plane = getNumElements(dims.drop_front(axis + 1)) * elemSize;
  const char *src = in.getRawData();
  char *dst = out.getMutableRawData();
  parallelFor(threads, outer * outLen,
              std::max<int64_t>(1, 16384 / std::max<int64_t>(plane, 1)),
              [&](int64_t b, int64_t e) {
                // (o, j) of position k, advanced without divisions.
                int64_t o = b / outLen, j = b % outLen;
                for (int64_t k = b; k < e;
                     ++k, j = j + 1 == outLen ? (++o, 0) : j + 1) {
                  std::memcpy(dst + k * plane,
                              src + (o * inLen + taps.index[j]) * plane, plane);
                }
              });
}

template <typename T>
void weightedPass(const Tensor &in, Tensor &out, int64_t axis, const Taps &taps,
                  T extrapolation, unsigned threads) {
  llvm::ArrayRef<int64_t> dims = in.getShape();
  int64_t outer = getNumElements(dims.take_front(axis));
  int64_t inLen = dims[axis], outLen = out.getDim(axis);
  int64_t inner = getNumElements(dims.drop_front(axis + 1));
  const T *src = dataAs<T>(in);
  T *dst = mutableDataAs<T>(out);
  parallelFor(
      threads, outer * outLen,
      std::max<int64_t>(1, 4096 / std::max<int64_t>(inner, 1)),
      [&](int64_t b, int64_t e) {
        int64_t o = b / outLen, j = b % outLen;
        for (int64_t k = b; k < e;
             ++k, j = j + 1 == outLen ? (++o, 0) : j + 1) {
          T *y = dst + k * inner;
          if (taps.extrapolate[j]) {
            std::fill(y, y + inner, extrapolation);
            continue;
          }
          if (inner == 1) { // innermost dimension: a dot product of the taps
            const T *x = src + o * inLen;
            T sum = 0;
            for (int64_t t = 0; t < taps.width; ++t) {
              T w = static_cast<T>(taps.weight[j * taps.width + t]);
              if (w != T(0)) // as below: zero taps never touch inf/NaN inputs
                sum += w * x[taps.index[j * taps.width + t]];
            }
            *y = sum;
            continue;
          }
          std::fill(y, y + inner, T(0));
          for (int64_t t = 0; t < taps.width; ++t) {
            T w = static_cast<T>(taps.weight[j * taps.width + t]);
            if (w == T(0))
              continue;
            const T *x =
                src + (o * inLen + taps.index[j * taps.width + t]) * inner;
            for (int64_t i = 0; i < inner; ++i)
              y[i] += w * x[i];
          }
        }
      });
}

llvm::Error ResizeKernel::getGeometry(const KernelContext &ctx,
                                      const Tensor &in, Shape &outShape,
                                      std::vector<double> &scales,
                                      std::vector<double> &roi) const {
  int64_t rank = in.getRank();
  const Tensor *scalesT = nullptr, *sizesT = nullptr, *roiT = nullptr;
  if (isUpsample && opsetVersion < 9) {
    llvm::SmallVector<float, 4> attr = ctx.node.getAttrFloats("scales");
    scales.assign(attr.begin(), attr.end());
  } else if (legacy) {
    scalesT = ctx.getInput(1);
  } else {
    roiT = ctx.getInput(1);
    scalesT = ctx.getInput(2);
    sizesT = ctx.getInput(3);
  }
  auto present = [](const Tensor *t) {
    return t && !t->isNull() && t->getNumElements() > 0;
  };
  roi.assign(2 * rank, 0.0);
  for (int64_t d = 0; d < rank; ++d)
    roi[rank + d] = 1.0;
  if (attrs.coord == Coord::TfCropAndResize && present(roiT)) {
    auto values = readDoubles(ctx, *roiT, "roi");
    if (!values)
      return values.takeError();
    if (static_cast<int64_t>(values->size()) != 2 * rank)
      return ctx.error("roi must have 2 * rank entries");
    roi.assign(values->begin(), values->end());
  }
  if (present(scalesT)) {
    auto values = readDoubles(ctx, *scalesT, "scales");
    if (!values)
      return values.takeError();
    scales.assign(values->begin(), values->end());
  }
  if (present(sizesT)) {
    if (!scales.empty())
      return ctx.error("only one of scales and sizes may be given");
    auto sizes = readInt64s(ctx, *sizesT, "sizes");
    if (!sizes)
      return sizes.takeError();
    if (static_cast<int64_t>(sizes->size()) != rank)
      return ctx.error("sizes has " + llvm::Twine(sizes->size()) +
                       " entries for rank " + llvm::Twine(rank));
    for (int64_t d = 0; d < rank; ++d) {
      if ((*sizes)[d] < 0 || (in.getDim(d) == 0 && (*sizes)[d] != 0))
        return ctx.error("invalid output size " + llvm::Twine((*sizes)[d]));
      outShape.push_back((*sizes)[d]);
      scales.push_back(
          in.getDim(d) == 0 ? 1.0 : double((*sizes)[d]) / double(in.getDim(d)));
    }
  } else {
    if (static_cast<int64_t>(scales.size()) != rank)
      return ctx.error("scales has " + llvm::Twine(scales.size()) +
                       " entries for rank " + llvm::Twine(rank));
    for (int64_t d = 0; d < rank; ++d) {
      if (!(scales[d] > 0))
        return ctx.error("scales must be positive");
      // tf_crop_and_resize scales the roi's extent (1 otherwise).
      double extent = roi[rank + d] - roi[d];
      outShape.push_back(static_cast<int64_t>(
          std::floor(double(in.getDim(d)) * extent * scales[d])));
    }
  }
  return llvm::Error::success();
}

llvm::Error ResizeKernel::compute(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 4))
    return err;
  const Tensor &original = *ctx.inputs[0];
  ElementType type = original.getElementType();
  if (getElementSize(type) == 0)
    return ctx.error("unsupported element type " + typeName(type));
  Shape outShape;
  std::vector<double> scales, roi;
  if (llvm::Error err = getGeometry(ctx, original, outShape, scales, roi))
    return err;
  int64_t rank = original.getRank();
  bool weighted = attrs.mode != Mode::Nearest;
  // Weighted modes compute in float/double; integers go through double.
  Tensor cur = original;
  if (weighted)
    cur = isHalfType(type)    ? widenHalf(original)
          : isFloatType(type) ? original
                              : original.castTo(ElementType::Double);
  for (int64_t d = 0; d < rank; ++d) {
    int64_t inLen = cur.getDim(d), outLen = outShape[d];
    Taps taps = makeTaps(inLen, outLen, scales[d], roi[d], roi[rank + d]);
    if (inLen == 0 || isIdentity(taps, inLen, outLen)) {
      if (inLen == outLen)
        continue;
    }
    Shape shape(cur.getShape().begin(), cur.getShape().end());
    shape[d] = outLen;
    Tensor next(cur.getElementType(), shape);
    if (inLen == 0) {
      // Nothing to read: only an empty output is possible.
    } else if (!weighted) {
      gatherPass(cur, next, d, taps, ctx.threads);
    } else if (cur.getElementType() == ElementType::Float) {
      weightedPass<float>(cur, next, d, taps, float(attrs.extrapolation),
                          ctx.threads);
    } else {
      weightedPass<double>(cur, next, d, taps, attrs.extrapolation,
                           ctx.threads);
    }
    cur = std::move(next);
  }
  if (weighted && isHalfType(type)) {
    cur = narrowTo(std::move(cur), type);
  } else if (weighted && !isFloatType(type)) {
    Tensor out(type, cur.getShape());
    bool ok = dispatchType<NumericAndBoolTypes>(type, [&](auto tag) {
      using T = typename decltype(tag)::type;
      mapUnary<double, T>(cur, out, ctx.threads, [](double v) {
        return saturateCast<T, double>(std::nearbyint(v));
      });
    });
    if (!ok)
      return ctx.error("unsupported element type " + typeName(type));
    cur = std::move(out);
  }
  ctx.outputs[0] = std::move(cur);
  return llvm::Error::success();
}

} // namespace

void qlc::registerResizeKernels(KernelRegistry &registry) {
  registry.add("", "Resize", 10, createKernelOf<ResizeKernel>);
  registry.add("", "Upsample", 7, createKernelOf<ResizeKernel>);
}
