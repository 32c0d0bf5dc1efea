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

#include <limits>
#include <mutex>
#include <optional>

using namespace qlc;
using namespace qlc::interp;

namespace {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

/// An activation applied by the convolution as it writes its output (a
/// fused Relu, LeakyRelu or Clip consumer).
struct FusedActivation {
  enum Kind { None, Relu, LeakyRelu, Clip } kind = None;
  float alpha = 0, lo = 0, hi = 0;

  template <typename T> T apply(T x) const {
    switch (kind) {
    case Relu:
      return x < T(0) ? T(0) : x;
    case LeakyRelu:
      return x < T(0) ? T(alpha) * x : x;
    case Clip:
      x = x < T(lo) ? T(lo) : x;
      return x > T(hi) ? T(hi) : x;
    case None:
      break;
    }
    return x;
  }
};

/// The plan's key: what changes the primitive or its reorders.
struct DnnlConvKey {
  Shape xShape, wShape;
  unsigned threads = 0;
  bool hasBias = false, fused = false, opaqueDst = false;
  /// Layout of an opaque input; zero (default) for plain NCHW.
  dnnl::memory::desc srcDesc;

  bool operator==(const DnnlConvKey &o) const {
    return xShape == o.xShape && wShape == o.wShape && threads == o.threads &&
           hasBias == o.hasBias && fused == o.fused &&
           opaqueDst == o.opaqueDst && srcDesc == o.srcDesc;
  }
};

/// One oneDNN convolution for one key.
struct DnnlConvPlan {
  DnnlConvKey key;
  dnnl::convolution_forward prim;
  dnnl::memory userSrc, userDst, userWeights, userBias;
  dnnl::memory src, dst, weights, scratch;
  dnnl::memory::desc dstDesc;
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

dnnl::primitive_attr makeConvAttr(const FusedActivation &act) {
  dnnl::primitive_attr attr = makeStrictAttr();
  if (act.kind == FusedActivation::None)
    return attr;
  dnnl::post_ops ops;
  if (act.kind == FusedActivation::Clip)
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, act.lo, act.hi);
  else
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu,
                       act.kind == FusedActivation::LeakyRelu ? act.alpha : 0,
                       0);
  attr.set_post_ops(ops);
  return attr;
}

/// Builds the primitive and its memories; throws dnnl::error on failure.
std::unique_ptr<DnnlConvPlan> createPlan(const ConvProblem &p,
                                         const DnnlConvKey &key,
                                         const FusedActivation &act) {
  dnnl::engine &eng = getDnnlEngine();
  setDnnlThreads(key.threads);
  auto plan = std::make_unique<DnnlConvPlan>();
  plan->key = key;
  llvm::ArrayRef<int64_t> xShape = key.xShape, wShape = key.wShape;
  bool hasBias = key.hasBias;
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
  dnnl::convolution_forward::primitive_desc pd(
      desc, makeConvAttr(key.fused ? act : FusedActivation()), eng);
  plan->prim = dnnl::convolution_forward(pd);
  plan->dstDesc = pd.dst_desc();

  // User memories get their data pointers at every run.
  bool opaqueSrc = key.srcDesc != dnnl::memory::desc();
  plan->userSrc = dnnl::memory(
      opaqueSrc ? key.srcDesc
                : dnnl::memory::desc(toDims(xShape), dt::f32, plainTag(rank)),
      eng, DNNL_MEMORY_NONE);
  plan->userDst = dnnl::memory({toDims(p.outShape), dt::f32, plainTag(rank)},
                               eng, DNNL_MEMORY_NONE);
  plan->userWeights = dnnl::memory({wDims, dt::f32, weightTag(rank, grouped)},
                                   eng, DNNL_MEMORY_NONE);
  if (hasBias)
    plan->userBias = dnnl::memory(bMd, eng, DNNL_MEMORY_NONE);
  plan->reorderSrc = pd.src_desc() != plan->userSrc.get_desc();
  plan->reorderDst =
      !key.opaqueDst && pd.dst_desc() != plan->userDst.get_desc();
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

/// Runs `plan`: the source is `x`'s buffer or an opaque input's memory,
/// the result goes to `y` (plain) or `yOpaque`. Throws dnnl::error.
void runPlan(DnnlConvPlan &plan, const void *x, const Tensor &w,
             const Tensor *b, Tensor *y, DnnlOpaqueTensor *yOpaque) {
  dnnl::stream &stream = plan.stream;
  setDnnlThreads(plan.key.threads);
  if (plan.weightStorage != w.getStorage()) {
    plan.userWeights.set_data_handle(const_cast<char *>(w.getRawData()));
    dnnl::reorder(plan.userWeights, plan.weights)
        .execute(stream, plan.userWeights, plan.weights);
    plan.weightStorage = w.getStorage();
  }
  plan.userSrc.set_data_handle(const_cast<void *>(x));
  dnnl::memory &src = plan.reorderSrc ? plan.src : plan.userSrc;
  if (plan.reorderSrc)
    plan.srcReorder.execute(stream, plan.userSrc, plan.src);
  dnnl::memory dst;
  if (yOpaque) {
    dst = yOpaque->getMemory();
  } else {
    plan.userDst.set_data_handle(y->getMutableRawData());
    dst = plan.reorderDst ? plan.dst : plan.userDst;
  }
  std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, src},
      {DNNL_ARG_WEIGHTS, plan.weights},
      {DNNL_ARG_DST, dst},
      {DNNL_ARG_SCRATCHPAD, plan.scratch}};
  if (plan.key.hasBias) {
    plan.userBias.set_data_handle(const_cast<char *>(b->getRawData()));
    args.emplace(DNNL_ARG_BIAS, plan.userBias);
  }
  plan.prim.execute(stream, args);
  if (!yOpaque && plan.reorderDst)
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

/// A scalar float constant input of `node`, or nullopt.
std::optional<float> getConstantScalar(const Node &node, unsigned i) {
  const Value *v = i < node.getNumInputs() ? node.getInput(i) : nullptr;
  const Tensor *t = v ? v->getConstant() : nullptr;
  if (!t || t->getElementType() != ElementType::Float ||
      t->getNumElements() != 1)
    return std::nullopt;
  return t->getData<float>()[0];
}

/// `consumer` as an activation oneDNN can apply as a post-op with the
/// ONNX kernels' results, or nullopt.
std::optional<FusedActivation> parseActivation(const Node &consumer,
                                               int64_t opsetVersion) {
  FusedActivation act;
  llvm::StringRef op = consumer.getOpType();
  if (op == "Relu") {
    act.kind = FusedActivation::Relu;
  } else if (op == "LeakyRelu") {
    act.kind = FusedActivation::LeakyRelu;
    act.alpha = static_cast<float>(consumer.getAttrFloat("alpha", 0.01));
  } else if (op == "Clip") {
    act.kind = FusedActivation::Clip;
    act.lo = std::numeric_limits<float>::lowest();
    act.hi = std::numeric_limits<float>::max();
    if (opsetVersion < 11) {
      act.lo = static_cast<float>(consumer.getAttrFloat("min", act.lo));
      act.hi = static_cast<float>(consumer.getAttrFloat("max", act.hi));
    } else {
      for (unsigned i : {1u, 2u}) {
        if (i >= consumer.getNumInputs() || !consumer.getInput(i))
          continue;
        std::optional<float> bound = getConstantScalar(consumer, i);
        if (!bound)
          return std::nullopt;
        (i == 1 ? act.lo : act.hi) = *bound;
      }
    }
    // oneDNN's clip differs from min(max(x, lo), hi) only when lo > hi.
    if (!(act.lo <= act.hi))
      return std::nullopt;
  } else {
    return std::nullopt;
  }
  return act;
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

  bool acceptConsumer(const Node &consumer, unsigned operand,
                      int64_t opsetVersion) override {
    // Any float type works: the direct loop applies the activation itself.
    if (activation.kind != FusedActivation::None || operand != 0 ||
        !(consumer.getDomain().empty() || consumer.getDomain() == "ai.onnx"))
      return false;
    std::optional<FusedActivation> act =
        parseActivation(consumer, opsetVersion);
    if (!act)
      return false;
    activation = *act;
    return true;
  }
  bool acceptsOpaqueInput(unsigned i) const override { return i == 0; }
  bool mayProduceOpaqueOutput(unsigned i) const override { return i == 0; }

  llvm::Error compute(KernelContext &ctx) override {
    if (llvm::Error err = checkArity(ctx, 2, 3))
      return err;
    // An opaque input is used as it is when it is oneDNN's; anything else
    // is converted.
    const DnnlOpaqueTensor *xOpaque =
        DnnlOpaqueTensor::from(ctx.getOpaqueInput(0));
    Tensor converted;
    const Tensor *x = ctx.getInput(0);
    if (!x && !xOpaque) {
      converted = ctx.getOpaqueInput(0)->toTensor();
      x = &converted;
    }
    const Tensor &w = *ctx.getInput(1);
    const Tensor *b = ctx.getInput(2);
    if (b && b->isNull())
      b = nullptr;
    ElementType type = x ? x->getElementType() : ElementType::Float;
    llvm::ArrayRef<int64_t> xShape = x ? x->getShape() : xOpaque->getShape();
    if (!isFloatType(type))
      return ctx.error("unsupported element type " + typeName(type));
    if (w.getElementType() != type || (b && b->getElementType() != type))
      return ctx.error("input, weights and bias must have one element type");
    auto p = resolveConv(ctx, attrs, group, xShape, w.getShape());
    if (!p)
      return p.takeError();
    if (b && (b->getRank() != 1 || b->getDim(0) != p->outChannels))
      return ctx.error("bias " + formatShape(b->getShape()) +
                       " must be 1-D with " + llvm::Twine(p->outChannels) +
                       " elements");
    if (getNumElements(p->outShape) == 0) {
      makeOutput(ctx, 0, type, p->outShape);
      return llvm::Error::success();
    }
    if (type == ElementType::Float && tryDnnl(ctx, *p, x, xOpaque, w, b))
      return llvm::Error::success();
    if (!x) {
      converted = xOpaque->toTensor();
      x = &converted;
    }
    // The direct loop accumulates into a cleared output.
    Tensor &y = makeOutput(ctx, 0, type, p->outShape);
    if (llvm::Error err = computeDirect(ctx, *p, *x, w, b, y))
      return err;
    if (ctx.fused)
      applyActivation(y);
    return llvm::Error::success();
  }

private:
  /// oneDNN path; false when oneDNN cannot run this case.
  bool tryDnnl(KernelContext &ctx, const ConvProblem &p, const Tensor *x,
               const DnnlOpaqueTensor *xOpaque, const Tensor &w,
               const Tensor *b) {
    llvm::ArrayRef<int64_t> xShape = x ? x->getShape() : xOpaque->getShape();
    if (xShape.size() > 5 || getNumElements(xShape) == 0 ||
        w.getNumElements() == 0)
      return false;
    DnnlConvKey key;
    key.xShape.assign(xShape.begin(), xShape.end());
    key.wShape.assign(w.getShape().begin(), w.getShape().end());
    key.threads = ctx.threads;
    key.hasBias = b != nullptr;
    key.fused = ctx.fused;
    key.opaqueDst = ctx.mayReturnOpaque(0);
    if (xOpaque)
      key.srcDesc = xOpaque->getMemory().get_desc();
    const void *src =
        xOpaque ? xOpaque->getMemory().get_data_handle() : x->getRawData();
    std::lock_guard<std::mutex> lock(mutex);
    // One plan per schedule, so switching between observed (unfused) and
    // plain runs does not rebuild primitives.
    std::unique_ptr<DnnlConvPlan> &plan = plans[ctx.fused ? 1 : 0];
    try {
      if (!plan || !(plan->key == key))
        plan = createPlan(p, key, activation);
      if (key.opaqueDst) {
        auto y = std::make_shared<DnnlOpaqueTensor>(plan->dstDesc, p.outShape);
        runPlan(*plan, src, w, b, nullptr, y.get());
        ctx.opaqueOutputs[0] = std::move(y);
      } else {
        Tensor &y =
            makeUninitializedOutput(ctx, 0, ElementType::Float, p.outShape);
        runPlan(*plan, src, w, b, &y, nullptr);
      }
      return true;
    } catch (const dnnl::error &) {
      plan.reset();
      return false;
    }
  }

  /// The fused activation on a result of the direct loop.
  void applyActivation(Tensor &y) const {
    ElementType type = y.getElementType();
    if (type == ElementType::Double) {
      for (double &v : y.getMutableData<double>())
        v = activation.apply(v);
      return;
    }
    Tensor f = type == ElementType::Float ? y : y.castTo(ElementType::Float);
    for (float &v : f.getMutableData<float>())
      v = activation.apply(v);
    y = type == ElementType::Float ? std::move(f) : f.castTo(type);
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
  FusedActivation activation;
  std::mutex mutex;
  std::unique_ptr<DnnlConvPlan> plans[2];
};

} // namespace

void qlc::registerConvKernels(KernelRegistry &registry) {
  registry.add("", "Conv", 1, createKernelOf<ConvKernel>);
  registerConvTransposeKernels(registry);
}
