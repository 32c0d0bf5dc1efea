//===- Conv.cpp - Float convolution kernel --------------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Conv on float tensors runs on oneDNN (chosen by measurement, see
// docs/kernels.md): the kernel lets oneDNN pick its preferred layouts and
// reorders the NCHW input and output around the primitive. Primitives are
// created once per input shape and thread count and kept; the weights are
// reordered once per weight tensor (a constant weight keeps its storage, so
// its reordered copy is reused on every run). Strict fp32 math and the
// direct algorithm are forced so results match other fp32 runtimes (no
// Winograd, no bf16). Everything oneDNN does not cover (double, float16,
// more than three spatial dimensions, empty tensors) takes a direct N-D loop
// with the same semantics. ConvTranspose lives in ConvTranspose.cpp.
//
//===----------------------------------------------------------------------===//

#include "Kernels/ConvKernels.h"
#include "Kernels/Dispatch.h"
#include "Kernels/DnnlSupport.h"
#include "Kernels/KernelUtils.h"
#include "Kernels/Kernels.h"
#include "Kernels/Parallel.h"
#include "Kernels/WindowGeometry.h"

#include "qlc/Support/Error.h"

#include <mutex>

using namespace qlc;
using namespace qlc::interp;

namespace {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

/// One oneDNN convolution for one input shape and thread count.
struct DnnlConvPlan {
  Shape xShape, wShape;
  unsigned threads = 0;
  bool hasBias = false;
  dnnl::convolution_forward prim;
  dnnl::memory userSrc, userDst, userWeights, userBias;
  dnnl::memory src, dst, weights, scratch;
  dnnl::reorder srcReorder, dstReorder;
  bool reorderSrc = false, reorderDst = false;
  /// Storage of the weight tensor `weights` was reordered from.
  std::shared_ptr<std::string> weightStorage;
  dnnl::stream stream;
};

dnnl::memory::dims toDims(llvm::ArrayRef<int64_t> v) {
  return dnnl::memory::dims(v.begin(), v.end());
}

tag plainTag(size_t rank) {
  return rank == 3 ? tag::ncw : rank == 4 ? tag::nchw : tag::ncdhw;
}
tag weightTag(size_t rank, bool grouped) {
  if (grouped)
    return rank == 3 ? tag::goiw : rank == 4 ? tag::goihw : tag::goidhw;
  return rank == 3 ? tag::oiw : rank == 4 ? tag::oihw : tag::oidhw;
}

/// Builds the primitive and its memories; throws dnnl::error on failure.
std::unique_ptr<DnnlConvPlan> createPlan(const ConvProblem &p,
                                         llvm::ArrayRef<int64_t> xShape,
                                         llvm::ArrayRef<int64_t> wShape,
                                         bool hasBias, unsigned threads) {
  dnnl::engine &eng = getDnnlEngine();
  setDnnlThreads(threads);
  auto plan = std::make_unique<DnnlConvPlan>();
  plan->xShape.assign(xShape.begin(), xShape.end());
  plan->wShape.assign(wShape.begin(), wShape.end());
  plan->threads = threads;
  plan->hasBias = hasBias;
  size_t rank = xShape.size();
  bool grouped = p.group > 1;
  dnnl::memory::dims wDims;
  if (grouped) {
    wDims = {p.group, p.getOutPerGroup()};
    wDims.insert(wDims.end(), wShape.begin() + 1, wShape.end());
  } else {
    wDims = toDims(wShape);
  }
  dnnl::memory::desc srcMd(toDims(xShape), dt::f32, tag::any);
  dnnl::memory::desc dstMd(toDims(p.outShape), dt::f32, tag::any);
  dnnl::memory::desc wMd(wDims, dt::f32, tag::any);
  dnnl::memory::desc bMd({p.outChannels}, dt::f32, tag::x);
  dnnl::memory::dims strides = toDims(p.geo.strides),
                     padL = toDims(p.geo.padBegin), padR = toDims(p.geo.padEnd),
                     dil;
  for (int64_t d : p.geo.dilations)
    dil.push_back(d - 1); // oneDNN counts the gaps
  auto desc =
      hasBias
          ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                            dnnl::algorithm::convolution_direct,
                                            srcMd, wMd, bMd, dstMd, strides,
                                            dil, padL, padR)
          : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                            dnnl::algorithm::convolution_direct,
                                            srcMd, wMd, dstMd, strides, dil,
                                            padL, padR);
  dnnl::convolution_forward::primitive_desc pd(desc, makeStrictAttr(), eng);
  plan->prim = dnnl::convolution_forward(pd);

  // User memories get their data pointers at every run.
  plan->userSrc = dnnl::memory({toDims(xShape), dt::f32, plainTag(rank)}, eng,
                               DNNL_MEMORY_NONE);
  plan->userDst = dnnl::memory({toDims(p.outShape), dt::f32, plainTag(rank)},
                               eng, DNNL_MEMORY_NONE);
  plan->userWeights = dnnl::memory({wDims, dt::f32, weightTag(rank, grouped)},
                                   eng, DNNL_MEMORY_NONE);
  if (hasBias)
    plan->userBias = dnnl::memory(bMd, eng, DNNL_MEMORY_NONE);
  plan->reorderSrc = pd.src_desc() != plan->userSrc.get_desc();
  plan->reorderDst = pd.dst_desc() != plan->userDst.get_desc();
  if (plan->reorderSrc) {
    plan->src = dnnl::memory(pd.src_desc(), eng);
    plan->srcReorder = dnnl::reorder(plan->userSrc, plan->src);
  }
  if (plan->reorderDst) {
    plan->dst = dnnl::memory(pd.dst_desc(), eng);
    plan->dstReorder = dnnl::reorder(plan->dst, plan->userDst);
  }
  plan->weights = dnnl::memory(pd.weights_desc(), eng);
  plan->scratch = dnnl::memory(pd.scratchpad_desc(), eng);
  plan->stream = dnnl::stream(eng);
  return plan;
}

/// Runs `plan` on raw buffers; throws dnnl::error on failure.
void runPlan(DnnlConvPlan &plan, const Tensor &x, const Tensor &w,
             const Tensor *b, Tensor &y) {
  dnnl::stream &stream = plan.stream;
  setDnnlThreads(plan.threads);
  if (plan.weightStorage != w.getStorage()) {
    plan.userWeights.set_data_handle(const_cast<char *>(w.getRawData()));
    dnnl::reorder(plan.userWeights, plan.weights)
        .execute(stream, plan.userWeights, plan.weights);
    plan.weightStorage = w.getStorage();
  }
  plan.userSrc.set_data_handle(const_cast<char *>(x.getRawData()));
  plan.userDst.set_data_handle(y.getMutableRawData());
  dnnl::memory &src = plan.reorderSrc ? plan.src : plan.userSrc;
  dnnl::memory &dst = plan.reorderDst ? plan.dst : plan.userDst;
  if (plan.reorderSrc)
    plan.srcReorder.execute(stream, plan.userSrc, plan.src);
  std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, src},
      {DNNL_ARG_WEIGHTS, plan.weights},
      {DNNL_ARG_DST, dst},
      {DNNL_ARG_SCRATCHPAD, plan.scratch}};
  if (plan.hasBias) {
    plan.userBias.set_data_handle(const_cast<char *>(b->getRawData()));
    args.emplace(DNNL_ARG_BIAS, plan.userBias);
  }
  plan.prim.execute(stream, args);
  if (plan.reorderDst)
    plan.dstReorder.execute(stream, plan.dst, plan.userDst);
  stream.wait();
}

/// Direct N-D convolution: every output channel of every image reads its
/// inputs through the tap table. Acc is the accumulation type.
template <typename T, typename Acc>
void convDirect(const ConvProblem &p, const T *x, const T *w, const T *b, T *y,
                unsigned threads) {
  std::vector<int64_t> taps = buildTapTable(p.geo);
  int64_t inPix = p.geo.getInPixels(), outPix = p.geo.getOutPixels(),
          kPix = p.geo.getKernelPixels(), cg = p.getInPerGroup(),
          mg = p.getOutPerGroup();
  parallelFor(threads, p.batch * p.outChannels, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t nm = lo; nm < hi; ++nm) {
      int64_t n = nm / p.outChannels, m = nm % p.outChannels, g = m / mg;
      const T *img = x + (n * p.inChannels + g * cg) * inPix;
      const T *wm = w + m * cg * kPix;
      T *out = y + nm * outPix;
      for (int64_t o = 0; o < outPix; ++o) {
        Acc acc = b ? Acc(b[m]) : Acc(0);
        const int64_t *tp = taps.data() + o * kPix;
        for (int64_t c = 0; c < cg; ++c) {
          const T *plane = img + c * inPix;
          const T *wk = wm + c * kPix;
          for (int64_t t = 0; t < kPix; ++t)
            if (tp[t] >= 0)
              acc += Acc(wk[t]) * Acc(plane[tp[t]]);
        }
        out[o] = T(acc);
      }
    }
  });
}

class ConvKernel final : public Kernel {
public:
  llvm::Error init(const Node &node, int64_t) {
    if (llvm::Error err = attrs.parse(node, /*withCeilMode=*/false))
      return err;
    group = node.getAttrInt("group", 1);
    if (group < 1)
      return makeNodeError(node, "group must be positive");
    return llvm::Error::success();
  }

  llvm::Error compute(KernelContext &ctx) override {
    if (llvm::Error err = checkArity(ctx, 2, 3))
      return err;
    const Tensor &x = *ctx.getInput(0), &w = *ctx.getInput(1);
    const Tensor *b = ctx.getInput(2);
    if (b && b->isNull())
      b = nullptr;
    ElementType type = x.getElementType();
    if (!isFloatType(type))
      return ctx.error("unsupported element type " + typeName(type));
    if (w.getElementType() != type || (b && b->getElementType() != type))
      return ctx.error("input, weights and bias must have one element type");
    auto p = resolveConv(ctx, attrs, group, x.getShape(), w.getShape());
    if (!p)
      return p.takeError();
    if (b && (b->getRank() != 1 || b->getDim(0) != p->outChannels))
      return ctx.error("bias " + formatShape(b->getShape()) +
                       " must be 1-D with " + llvm::Twine(p->outChannels) +
                       " elements");
    Tensor &y = makeOutput(ctx, 0, type, p->outShape);
    if (y.getNumElements() == 0)
      return llvm::Error::success();
    if (type == ElementType::Float && tryDnnl(ctx, *p, x, w, b, y))
      return llvm::Error::success();
    return computeDirect(ctx, *p, x, w, b, y);
  }

private:
  /// oneDNN path; false when oneDNN cannot run this case.
  bool tryDnnl(KernelContext &ctx, const ConvProblem &p, const Tensor &x,
               const Tensor &w, const Tensor *b, Tensor &y) {
    if (x.getRank() > 5 || x.getNumElements() == 0 || w.getNumElements() == 0)
      return false;
    std::lock_guard<std::mutex> lock(mutex);
    try {
      if (!plan || plan->xShape != x.getShape() ||
          plan->wShape != w.getShape() || plan->threads != ctx.threads ||
          plan->hasBias != (b != nullptr))
        plan = createPlan(p, x.getShape(), w.getShape(), b != nullptr,
                          ctx.threads);
      runPlan(*plan, x, w, b, y);
      return true;
    } catch (const dnnl::error &) {
      plan.reset();
      return false;
    }
  }

  llvm::Error computeDirect(KernelContext &ctx, const ConvProblem &p,
                            const Tensor &x, const Tensor &w, const Tensor *b,
                            Tensor &y) {
    ElementType type = x.getElementType();
    if (isHalfType(type)) {
      Tensor xf = widenHalf(x), wf = widenHalf(w), bf;
      if (b)
        bf = widenHalf(*b);
      Tensor yf(ElementType::Float, p.outShape);
      convDirect<float, float>(p, dataAs<float>(xf), dataAs<float>(wf),
                               b ? dataAs<float>(bf) : nullptr,
                               mutableDataAs<float>(yf), ctx.threads);
      y = narrowTo(std::move(yf), type);
      return llvm::Error::success();
    }
    if (type == ElementType::Double)
      convDirect<double, double>(p, dataAs<double>(x), dataAs<double>(w),
                                 b ? dataAs<double>(*b) : nullptr,
                                 mutableDataAs<double>(y), ctx.threads);
    else
      convDirect<float, float>(p, dataAs<float>(x), dataAs<float>(w),
                               b ? dataAs<float>(*b) : nullptr,
                               mutableDataAs<float>(y), ctx.threads);
    return llvm::Error::success();
  }

  WindowAttrs attrs;
  int64_t group = 1;
  std::mutex mutex;
  std::unique_ptr<DnnlConvPlan> plan;
};

} // namespace

void qlc::registerConvKernels(KernelRegistry &registry) {
  registry.add("", "Conv", 1, createKernelOf<ConvKernel>);
  registerConvTransposeKernels(registry);
}
