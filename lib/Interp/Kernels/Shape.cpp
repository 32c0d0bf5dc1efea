//===- Shape.cpp - Shape manipulation kernels -----------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Identity, Reshape, Flatten, Squeeze, Unsqueeze and Dropout (inference)
// only relabel the shape: the output shares the input's storage, so they
// cost nothing and work for every element type, strings included. Shape,
// Size, ConstantOfShape and Constant make new tensors; Expand and Transpose
// copy through a StridedPlan.
//
//===----------------------------------------------------------------------===//

#include "Kernels/Broadcast.h"
#include "Kernels/Dispatch.h"
#include "Kernels/KernelUtils.h"
#include "Kernels/Kernels.h"

#include "llvm/ADT/SmallBitVector.h"

using namespace qlc;
using namespace qlc::interp;

namespace {

/// A view of `in` with `shape` (same storage).
Tensor reshaped(const Tensor &in, llvm::ArrayRef<int64_t> shape) {
  Tensor out = in;
  out.reshape(shape);
  return out;
}

llvm::Error computeIdentity(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 1))
    return err;
  ctx.outputs[0] = *ctx.inputs[0];
  return llvm::Error::success();
}

/// Reads `axes` from the attribute (before `inputSince`) or from input 1.
llvm::Expected<llvm::SmallVector<int64_t, 8>>
getAxesOperand(const KernelContext &ctx, int64_t inputSince, bool &present) {
  present = false;
  if (ctx.opsetVersion < inputSince) {
    present = ctx.node.hasAttr("axes");
    return llvm::SmallVector<int64_t, 8>(ctx.node.getAttrInts("axes"));
  }
  const Tensor *axes = ctx.getInput(1);
  if (!axes || axes->isNull())
    return llvm::SmallVector<int64_t, 8>();
  present = true;
  return readInt64s(ctx, *axes, "axes");
}

/// Normalises `axes` against `rank`, rejecting duplicates.
llvm::Error normalizeAxes(const KernelContext &ctx,
                          llvm::SmallVectorImpl<int64_t> &axes, int64_t rank) {
  llvm::SmallBitVector seen(rank);
  for (int64_t &axis : axes) {
    auto a = normalizeAxis(ctx, axis, rank);
    if (!a)
      return a.takeError();
    if (seen.test(*a))
      return ctx.error("axis " + llvm::Twine(axis) + " is repeated");
    seen.set(*a);
    axis = *a;
  }
  return llvm::Error::success();
}

llvm::Error computeReshape(KernelContext &ctx) {
  const Tensor *in = ctx.getInput(0);
  if (!in || in->isNull())
    return ctx.error("missing required input 0");
  llvm::SmallVector<int64_t, 8> target;
  if (ctx.opsetVersion < 5) {
    target = ctx.node.getAttrInts("shape");
  } else {
    if (llvm::Error err = checkArity(ctx, 2, 2))
      return err;
    auto shape = readInt64s(ctx, *ctx.inputs[1], "shape");
    if (!shape)
      return shape.takeError();
    target = *shape;
  }
  bool allowZero = ctx.node.getAttrInt("allowzero", 0) != 0;
  int64_t inferred = -1, known = 1;
  for (size_t d = 0; d < target.size(); ++d) {
    if (target[d] == 0 && !allowZero) {
      if (d >= static_cast<size_t>(in->getRank()))
        return ctx.error("shape has 0 at dimension " + llvm::Twine(d) +
                         " beyond the input rank");
      target[d] = in->getDim(d);
    }
    if (target[d] == -1) {
      if (inferred >= 0)
        return ctx.error("shape has more than one -1");
      inferred = static_cast<int64_t>(d);
      continue;
    }
    if (target[d] < 0)
      return ctx.error("invalid dimension " + llvm::Twine(target[d]) +
                       " in shape");
    known *= target[d];
  }
  int64_t total = in->getNumElements();
  if (inferred >= 0) {
    if (known == 0 || total % known != 0)
      return ctx.error("cannot reshape " + formatShape(in->getShape()) +
                       " to " + formatShape(target));
    target[inferred] = total / known;
  }
  if (getNumElements(target) != total)
    return ctx.error("cannot reshape " + formatShape(in->getShape()) + " to " +
                     formatShape(target));
  ctx.outputs[0] = reshaped(*in, target);
  return llvm::Error::success();
}

llvm::Error computeFlatten(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 1))
    return err;
  const Tensor &in = *ctx.inputs[0];
  int64_t rank = in.getRank(), axis = ctx.node.getAttrInt("axis", 1);
  if (axis < -rank || axis > rank)
    return ctx.error("axis " + llvm::Twine(axis) +
                     " is out of range for rank " + llvm::Twine(rank));
  if (axis < 0)
    axis += rank;
  llvm::ArrayRef<int64_t> dims = in.getShape();
  int64_t shape[] = {getNumElements(dims.take_front(axis)),
                     getNumElements(dims.drop_front(axis))};
  ctx.outputs[0] = reshaped(in, shape);
  return llvm::Error::success();
}

llvm::Error computeSqueeze(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 2))
    return err;
  const Tensor &in = *ctx.inputs[0];
  bool present;
  auto axes = getAxesOperand(ctx, 13, present);
  if (!axes)
    return axes.takeError();
  if (llvm::Error err = normalizeAxes(ctx, *axes, in.getRank()))
    return err;
  llvm::SmallBitVector drop(in.getRank());
  for (int64_t a : *axes) {
    if (in.getDim(a) != 1)
      return ctx.error("cannot squeeze axis " + llvm::Twine(a) + " of size " +
                       llvm::Twine(in.getDim(a)));
    drop.set(a);
  }
  Shape shape;
  for (int64_t d = 0; d < in.getRank(); ++d)
    if (!(axes->empty() ? in.getDim(d) == 1 : drop.test(d)))
      shape.push_back(in.getDim(d));
  ctx.outputs[0] = reshaped(in, shape);
  return llvm::Error::success();
}

llvm::Error computeUnsqueeze(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 2))
    return err;
  const Tensor &in = *ctx.inputs[0];
  bool present;
  auto axes = getAxesOperand(ctx, 13, present);
  if (!axes)
    return axes.takeError();
  if (!present)
    return ctx.error("axes are required");
  int64_t rank = in.getRank() + static_cast<int64_t>(axes->size());
  if (llvm::Error err = normalizeAxes(ctx, *axes, rank))
    return err;
  llvm::SmallBitVector inserted(rank);
  for (int64_t a : *axes)
    inserted.set(a);
  Shape shape;
  int64_t next = 0;
  for (int64_t d = 0; d < rank; ++d)
    shape.push_back(inserted.test(d) ? 1 : in.getDim(next++));
  ctx.outputs[0] = reshaped(in, shape);
  return llvm::Error::success();
}

llvm::Error computeDropout(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 3, 1, 2))
    return err;
  const Tensor &in = *ctx.inputs[0];
  if (ctx.opsetVersion >= 12) {
    const Tensor *training = ctx.getInput(2);
    double ratio = 0.5;
    if (const Tensor *r = ctx.getInput(1);
        r && !r->isNull() && r->getNumElements() == 1)
      ratio = r->getAsDouble(0);
    // Training mode draws random masks; only the deterministic ratio 0 case
    // is meaningful for a reference interpreter.
    if (training && !training->isNull() && training->getNumElements() == 1 &&
        training->getAsInt64(0) != 0 && ratio != 0)
      return ctx.error("training mode with a non-zero ratio is not supported");
  }
  ctx.outputs[0] = in;
  if (ctx.outputs.size() > 1) {
    // The mask is bool from opset 10, the input type before.
    ElementType maskType =
        ctx.opsetVersion >= 10 ? ElementType::Bool : in.getElementType();
    Tensor &mask = makeOutput(ctx, 1, maskType, in.getShape());
    for (int64_t i = 0, e = mask.getNumElements(); i < e; ++i)
      mask.setFromDouble(i, 1.0);
  }
  return llvm::Error::success();
}

llvm::Error computeShape(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 1))
    return err;
  llvm::ArrayRef<int64_t> dims = ctx.inputs[0]->getShape();
  int64_t rank = static_cast<int64_t>(dims.size());
  int64_t start = ctx.node.getAttrInt("start", 0);
  int64_t end = ctx.node.getAttrInt("end", rank);
  auto clampAxis = [rank](int64_t a) {
    if (a < 0)
      a += rank;
    return std::min(std::max<int64_t>(a, 0), rank);
  };
  start = clampAxis(start);
  end = std::max(clampAxis(end), start);
  ctx.outputs[0] = Tensor::fromValues<int64_t>({end - start},
                                               dims.slice(start, end - start));
  return llvm::Error::success();
}

llvm::Error computeSize(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 1))
    return err;
  ctx.outputs[0] = Tensor::scalar<int64_t>(ctx.inputs[0]->getNumElements());
  return llvm::Error::success();
}

llvm::Error computeExpand(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 2, 2))
    return err;
  const Tensor &in = *ctx.inputs[0];
  auto target = readInt64s(ctx, *ctx.inputs[1], "shape");
  if (!target)
    return target.takeError();
  auto shape = broadcastShapes(in.getShape(), *target);
  if (!shape)
    return ctx.error("cannot expand " + formatShape(in.getShape()) + " to " +
                     formatShape(*target));
  size_t elemSize = getElementSize(in.getElementType());
  if (elemSize == 0)
    return ctx.error("unsupported element type " +
                     typeName(in.getElementType()));
  Tensor &out = makeOutput(ctx, 0, in.getElementType(), *shape);
  StridedPlan plan(*shape, {getBroadcastStrides(in.getShape(), *shape)});
  stridedCopy(plan, elemSize, in.getRawData(), out.getMutableRawData(),
              ctx.threads);
  return llvm::Error::success();
}

class TransposeKernel final : public Kernel {
public:
  llvm::Error init(const Node &node, int64_t) {
    perm = node.getAttrInts("perm");
    hasPerm = node.hasAttr("perm");
    return llvm::Error::success();
  }

  llvm::Error compute(KernelContext &ctx) override {
    if (llvm::Error err = checkArity(ctx, 1, 1))
      return err;
    const Tensor &in = *ctx.inputs[0];
    int64_t rank = in.getRank();
    llvm::SmallVector<int64_t, 6> p;
    if (hasPerm) {
      p.assign(perm.begin(), perm.end());
    } else {
      for (int64_t d = rank; d-- > 0;)
        p.push_back(d);
    }
    if (static_cast<int64_t>(p.size()) != rank)
      return ctx.error("perm has " + llvm::Twine(p.size()) +
                       " entries for rank " + llvm::Twine(rank));
    if (llvm::Error err = normalizeAxes(ctx, p, rank))
      return err;
    size_t elemSize = getElementSize(in.getElementType());
    if (elemSize == 0)
      return ctx.error("unsupported element type " +
                       typeName(in.getElementType()));
    Strides inStrides = getContiguousStrides(in.getShape());
    Shape shape;
    Strides strides;
    for (int64_t d : p) {
      shape.push_back(in.getDim(d));
      strides.push_back(inStrides[d]);
    }
    Tensor &out = makeOutput(ctx, 0, in.getElementType(), shape);
    StridedPlan plan(shape, {strides});
    stridedCopy(plan, elemSize, in.getRawData(), out.getMutableRawData(),
                ctx.threads);
    return llvm::Error::success();
  }

private:
  llvm::SmallVector<int64_t, 6> perm;
  bool hasPerm = false;
};

llvm::Error computeConstantOfShape(KernelContext &ctx) {
  if (llvm::Error err = checkArity(ctx, 1, 1))
    return err;
  auto shape = readInt64s(ctx, *ctx.inputs[0], "shape");
  if (!shape)
    return shape.takeError();
  for (int64_t d : *shape)
    if (d < 0)
      return ctx.error("negative dimension in shape " + formatShape(*shape));
  Tensor value = Tensor::scalar<float>(0.0f);
  if (const Attribute *attr = ctx.node.getAttr("value")) {
    value = attr->getTensorValue();
    if (value.getNumElements() != 1)
      return ctx.error("value must have exactly one element");
  }
  size_t elemSize = getElementSize(value.getElementType());
  if (elemSize == 0)
    return ctx.error("unsupported element type " +
                     typeName(value.getElementType()));
  Tensor &out = makeOutput(ctx, 0, value.getElementType(), *shape);
  char *dst = out.getMutableRawData();
  for (int64_t i = 0, e = out.getNumElements(); i < e; ++i)
    std::memcpy(dst + i * elemSize, value.getRawData(), elemSize);
  return llvm::Error::success();
}

/// Constant: the value is built once, at prepare time.
class ConstantKernel final : public Kernel {
public:
  llvm::Error init(const Node &node, int64_t) {
    if (node.getAttrs().size() != 1)
      return makeNodeError(node, "expected exactly one value attribute");
    const NamedAttribute &attr = node.getAttrs().front();
    const Attribute &a = attr.value;
    if (attr.name == "value" && a.getKind() == AttrKind::Tensor)
      value = a.getTensorValue();
    else if (attr.name == "value_float")
      value = Tensor::scalar<float>(a.getFloatValue());
    else if (attr.name == "value_int")
      value = Tensor::scalar<int64_t>(a.getIntValue());
    else if (attr.name == "value_floats")
      value = Tensor::fromValues<float>(
          {static_cast<int64_t>(a.getFloatsValue().size())},
          a.getFloatsValue());
    else if (attr.name == "value_ints")
      value = Tensor::fromValues<int64_t>(
          {static_cast<int64_t>(a.getIntsValue().size())}, a.getIntsValue());
    else if (attr.name == "value_string")
      value = Tensor::fromStrings({}, {a.getStringValue()});
    else if (attr.name == "value_strings")
      value = Tensor::fromStrings(
          {static_cast<int64_t>(a.getStringsValue().size())},
          std::vector<std::string>(a.getStringsValue().begin(),
                                   a.getStringsValue().end()));
    else
      return makeNodeError(node, "unsupported attribute '" + attr.name + "'");
    return llvm::Error::success();
  }

  llvm::Error compute(KernelContext &ctx) override {
    ctx.outputs[0] = value;
    return llvm::Error::success();
  }

private:
  Tensor value;
};

} // namespace

void qlc::registerShapeKernels(KernelRegistry &registry) {
  registry.add("", "Identity", 1, computeIdentity);
  registry.add("", "Reshape", 1, computeReshape);
  registry.add("", "Flatten", 1, computeFlatten);
  registry.add("", "Squeeze", 1, computeSqueeze);
  registry.add("", "Unsqueeze", 1, computeUnsqueeze);
  registry.add("", "Dropout", 1, computeDropout);
  registry.add("", "Shape", 1, computeShape);
  registry.add("", "Size", 1, computeSize);
  registry.add("", "Expand", 8, computeExpand);
  registry.add("", "Transpose", 1, createKernelOf<TransposeKernel>);
  registry.add("", "ConstantOfShape", 9, computeConstantOfShape);
  registry.add("", "Constant", 1, createKernelOf<ConstantKernel>);
}
