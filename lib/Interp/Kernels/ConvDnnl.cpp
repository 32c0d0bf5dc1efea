//===- ConvDnnl.cpp - oneDNN plans for the float Conv kernel --------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "Kernels/ConvDnnl.h"

#include "llvm/ADT/StringRef.h"

#include <limits>
#include <optional>
#include <unordered_map>

using namespace qlc;
using namespace qlc::interp;

namespace {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

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

dnnl::primitive_attr makeConvAttr(const ConvEpilogue &epilogue) {
  dnnl::primitive_attr attr = makeStrictAttr();
  const FusedActivation &act = epilogue.activation;
  dnnl::post_ops ops;
  if (epilogue.sum)
    ops.append_sum(1.0f);
  if (act.kind == FusedActivation::None) {
    attr.set_post_ops(ops);
    return attr;
  }
  if (act.kind == FusedActivation::Clip)
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, act.lo, act.hi);
  else
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu,
                       act.kind == FusedActivation::LeakyRelu ? act.alpha : 0,
                       0);
  attr.set_post_ops(ops);
  return attr;
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

} // namespace

/// `consumer` as an activation oneDNN can apply as a post-op with the
/// ONNX kernels' results, or nullopt.
std::optional<FusedActivation> interp::parseActivation(const Node &consumer,
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

/// Builds the primitive and its memories; throws dnnl::error on failure.
std::unique_ptr<DnnlConvPlan> interp::createPlan(const ConvProblem &p,
                                                 const DnnlConvKey &key,
                                                 const ConvEpilogue &epilogue) {
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
  dnnl::memory::desc dstMd(toDims(p.outShape), dt::f32, tag::any);
  dnnl::memory::desc wMd(wDims, dt::f32, tag::any);
  dnnl::memory::desc bMd({p.outChannels}, dt::f32, tag::x);
  dnnl::memory::dims strides = toDims(p.geo.strides),
                     padL = toDims(p.geo.padBegin), padR = toDims(p.geo.padEnd),
                     dil;
  for (int64_t d : p.geo.dilations)
    dil.push_back(d - 1); // oneDNN counts the gaps
  dnnl::primitive_attr attr =
      makeConvAttr(key.fused ? epilogue : ConvEpilogue());
  auto makePd = [&](tag srcTag) {
    dnnl::memory::desc srcMd(toDims(xShape), dt::f32, srcTag);
    auto desc = hasBias ? dnnl::convolution_forward::desc(
                              dnnl::prop_kind::forward_inference,
                              dnnl::algorithm::convolution_direct, srcMd, wMd,
                              bMd, dstMd, strides, dil, padL, padR)
                        : dnnl::convolution_forward::desc(
                              dnnl::prop_kind::forward_inference,
                              dnnl::algorithm::convolution_direct, srcMd, wMd,
                              dstMd, strides, dil, padL, padR);
    return dnnl::convolution_forward::primitive_desc(desc, attr, eng);
  };
  // A first layer with few channels: oneDNN has JIT kernels reading NCHW
  // directly, which saves reordering the whole input (6% of a batch-32
  // MobileNet). Kept only when one of those is chosen, not a gemm or
  // reference fallback.
  std::optional<dnnl::convolution_forward::primitive_desc> plainPd;
  if (key.srcDesc == dnnl::memory::desc() && xShape[1] <= 4) {
    plainPd = makePd(plainTag(rank));
    llvm::StringRef impl = plainPd->impl_info_str();
    if (!impl.startswith("jit") && !impl.startswith("brg"))
      plainPd.reset();
  }
  dnnl::convolution_forward::primitive_desc pd =
      plainPd ? *plainPd : makePd(tag::any);
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
  if (key.fused && epilogue.sum) {
    // The addend goes into the destination before the sum post-op runs.
    plan->userSum =
        dnnl::memory(getPlainDesc(p.outShape), eng, DNNL_MEMORY_NONE);
    plan->sumReorder = dnnl::reorder(
        plan->userSum, dnnl::memory(pd.dst_desc(), eng, DNNL_MEMORY_NONE));
  }
  plan->weights = dnnl::memory(pd.weights_desc(), eng);
  plan->scratch = dnnl::memory(pd.scratchpad_desc(), eng);
  plan->stream = dnnl::stream(eng);
  return plan;
}

/// Runs `plan`: the source is `x`'s buffer or an opaque input's memory,
/// the result goes to `y` (plain) or `yOpaque`. Throws dnnl::error.
void interp::runPlan(DnnlConvPlan &plan, const void *x, const Tensor &w,
                     const Tensor *b, const Tensor *sum,
                     const dnnl::memory *sumOpaque, Tensor *y,
                     DnnlOpaqueTensor *yOpaque) {
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
  if (sum) {
    plan.userSum.set_data_handle(const_cast<char *>(sum->getRawData()));
    plan.sumReorder.execute(stream, plan.userSum, dst);
  } else if (sumOpaque) {
    // oneDNN's primitive cache keeps this reorder between runs.
    dnnl::reorder(*sumOpaque, dst)
        .execute(stream, const_cast<dnnl::memory &>(*sumOpaque), dst);
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
