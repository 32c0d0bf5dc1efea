//===- Conv.cpp - Float convolution kernel --------------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Conv on float tensors runs on oneDNN (chosen by measurement, see
// docs/kernels.md; the plans live in ConvDnnl.cpp): oneDNN picks its
// preferred layouts, and the kernel reorders NCHW tensors around the
// primitive unless the interpreter lets it exchange opaque results with
// neighbouring convolutions. In the fused schedule the kernel also computes
// an absorbed Add (sum post-op) and Relu/LeakyRelu/Clip (eltwise post-op);
// where oneDNN cannot (a broadcasting Add, other float types) it runs the
// consumers' own kernels after the convolution. Primitives are kept per
// key and weights reordered once per weight tensor. Strict fp32 math and
// the direct algorithm are forced so results match other fp32 runtimes (no
// Winograd, no bf16). Everything oneDNN does not cover (double, float16,
// more than three spatial dimensions, empty tensors) takes a direct N-D loop
// with the same semantics. ConvTranspose lives in ConvTranspose.cpp.
//
//===----------------------------------------------------------------------===//

#include "Kernels/ConvDnnl.h"
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

/// A consumer the kernel absorbed, with its own kernel for the unfused
/// fallback (a shape oneDNN's post-ops cannot take, a non-float type).
struct AbsorbedConsumer {
  const Node *node;
  int64_t opsetVersion;
  unsigned operand;
  std::unique_ptr<Kernel> kernel;
};

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

  /// Absorbs an Add (becoming a sum post-op) and then a Relu, LeakyRelu or
  /// Clip (an eltwise post-op), in that order.
  bool acceptConsumer(const Node &consumer, unsigned operand,
                      int64_t opsetVersion) override {
    if (epilogue.activation.kind != FusedActivation::None ||
        !(consumer.getDomain().empty() || consumer.getDomain() == "ai.onnx"))
      return false;
    std::optional<FusedActivation> act;
    bool isAdd = consumer.getOpType() == "Add";
    if (isAdd) {
      // Opset 7 on: numpy broadcasting, no broadcast/axis attributes.
      if (epilogue.sum || opsetVersion < 7 || consumer.getNumInputs() != 2)
        return false;
    } else {
      act = parseActivation(consumer, opsetVersion);
      if (!act || operand != 0)
        return false;
    }
    auto kernel =
        KernelRegistry::getDefault().createKernel(consumer, opsetVersion);
    if (!kernel) {
      llvm::consumeError(kernel.takeError());
      return false;
    }
    if (isAdd) {
      epilogue.sum = true;
      addendIndex = consumerInputCount + (1 - operand);
    } else {
      epilogue.activation = *act;
    }
    consumerInputCount += consumer.getNumInputs();
    consumers.push_back({&consumer, opsetVersion, operand, std::move(*kernel)});
    return true;
  }
  bool acceptsOpaqueInput(unsigned i) const override { return i == 0; }
  bool acceptsOpaqueConsumerInput(unsigned i) const override {
    return epilogue.sum && i == addendIndex;
  }
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
    // oneDNN computes the absorbed consumers only for an addend of the
    // output's own shape and type; otherwise they run one by one after.
    const Tensor *addend = nullptr;
    const DnnlOpaqueTensor *addendOpaque = nullptr;
    Tensor addendConverted;
    if (ctx.fused && epilogue.sum) {
      addend = ctx.consumerInputs[addendIndex];
      if (!addend) {
        const OpaqueTensor *o = ctx.getOpaqueConsumerInput(addendIndex);
        addendOpaque = DnnlOpaqueTensor::from(o);
        if (!addendOpaque) {
          addendConverted = o->toTensor();
          addend = &addendConverted;
        }
      }
    }
    llvm::ArrayRef<int64_t> outShape = p->outShape;
    bool fuseInDnnl = ctx.fused;
    if (addend)
      fuseInDnnl &=
          addend->getElementType() == type && addend->getShape() == outShape;
    if (addendOpaque)
      fuseInDnnl &=
          type == ElementType::Float && addendOpaque->getShape() == outShape;
    bool done = false;
    if (type == ElementType::Float && getNumElements(p->outShape) != 0) {
      DnnlRun run{x,
                  xOpaque,
                  fuseInDnnl ? addend : nullptr,
                  fuseInDnnl ? addendOpaque : nullptr,
                  fuseInDnnl,
                  (!ctx.fused || fuseInDnnl) && ctx.mayReturnOpaque(0)};
      done = tryDnnl(ctx, *p, run, w, b);
    }
    if (!done) {
      if (!x) {
        converted = xOpaque->toTensor();
        x = &converted;
      }
      // The direct loop accumulates into a cleared output.
      if (llvm::Error err = computeDirect(
              ctx, *p, *x, w, b, makeOutput(ctx, 0, type, p->outShape)))
        return err;
    }
    if (ctx.fused && !(done && fuseInDnnl)) {
      if (addendOpaque) {
        addendConverted = addendOpaque->toTensor();
        addend = &addendConverted;
      }
      return runConsumers(ctx, addend);
    }
    return llvm::Error::success();
  }

private:
  /// What one oneDNN execution reads and writes.
  struct DnnlRun {
    const Tensor *x;
    const DnnlOpaqueTensor *xOpaque;
    const Tensor *addend;
    const DnnlOpaqueTensor *addendOpaque;
    bool fused, opaqueDst;
  };

  /// oneDNN path; false when oneDNN cannot run this case.
  bool tryDnnl(KernelContext &ctx, const ConvProblem &p, const DnnlRun &run,
               const Tensor &w, const Tensor *b) {
    llvm::ArrayRef<int64_t> xShape =
        run.x ? run.x->getShape() : run.xOpaque->getShape();
    if (xShape.size() > 5 || getNumElements(xShape) == 0 ||
        w.getNumElements() == 0)
      return false;
    DnnlConvKey key;
    key.xShape.assign(xShape.begin(), xShape.end());
    key.wShape.assign(w.getShape().begin(), w.getShape().end());
    key.threads = ctx.threads;
    key.hasBias = b != nullptr;
    key.fused = run.fused;
    key.opaqueDst = run.opaqueDst;
    if (run.xOpaque)
      key.srcDesc = run.xOpaque->getMemory().get_desc();
    const void *src = run.xOpaque ? run.xOpaque->getMemory().get_data_handle()
                                  : run.x->getRawData();
    std::lock_guard<std::mutex> lock(mutex);
    // One plan per schedule, so switching between observed (unfused) and
    // plain runs does not rebuild primitives.
    std::unique_ptr<DnnlConvPlan> &plan = plans[run.fused ? 1 : 0];
    try {
      if (!plan || !(plan->key == key))
        plan = createPlan(p, key, epilogue);
      if (key.opaqueDst) {
        auto y = std::make_shared<DnnlOpaqueTensor>(plan->dstDesc, p.outShape);
        runPlan(*plan, src, w, b, run.addend, addendMemory(run), nullptr,
                y.get());
        ctx.opaqueOutputs[0] = std::move(y);
      } else {
        Tensor &y =
            makeUninitializedOutput(ctx, 0, ElementType::Float, p.outShape);
        runPlan(*plan, src, w, b, run.addend, addendMemory(run), &y, nullptr);
      }
      return true;
    } catch (const dnnl::error &) {
      plan.reset();
      return false;
    }
  }

  static const dnnl::memory *addendMemory(const DnnlRun &run) {
    return run.addendOpaque ? &run.addendOpaque->getMemory() : nullptr;
  }

  /// Runs the absorbed consumers' own kernels on the plain convolution in
  /// ctx.outputs[0], leaving the last one's result there; `addend` is the
  /// fused Add's other operand as a tensor.
  llvm::Error runConsumers(KernelContext &ctx, const Tensor *addend) {
    Tensor y = std::move(ctx.outputs[0]);
    size_t offset = 0;
    for (AbsorbedConsumer &c : consumers) {
      unsigned n = c.node->getNumInputs();
      llvm::SmallVector<const Tensor *, 4> ins(
          ctx.consumerInputs.begin() + offset,
          ctx.consumerInputs.begin() + offset + n);
      for (unsigned i = 0; i < n; ++i)
        if (epilogue.sum && offset + i == addendIndex)
          ins[i] = addend;
      offset += n;
      ins[c.operand] = &y;
      llvm::SmallVector<Tensor, 1> outs(1);
      KernelContext sub{*c.node, c.opsetVersion, ins, outs, ctx.threads};
      if (llvm::Error err = c.kernel->compute(sub))
        return err;
      y = std::move(outs[0]);
    }
    ctx.outputs[0] = std::move(y);
    return llvm::Error::success();
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
  ConvEpilogue epilogue;
  std::vector<AbsorbedConsumer> consumers;
  unsigned consumerInputCount = 0, addendIndex = 0;
  std::mutex mutex;
  std::unique_ptr<DnnlConvPlan> plans[2];
};

} // namespace

void qlc::registerConvKernels(KernelRegistry &registry) {
  registry.add("", "Conv", 1, createKernelOf<ConvKernel>);
  registerConvTransposeKernels(registry);
}
