//===- FoldingSupport.cpp - Op knowledge for constant folding -------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "canonicalize/FoldingSupport.h"

#include "llvm/ADT/STLExtras.h"

#include <cmath>
#include <limits>

using namespace qlc;

static constexpr int64_t kSaturated = std::numeric_limits<int64_t>::max();

static bool isOneOf(llvm::StringRef op,
                    std::initializer_list<llvm::StringRef> set) {
  return llvm::is_contained(set, op);
}

bool canonicalize::isNondeterministicOp(llvm::StringRef opType) {
  return isOneOf(opType,
                 {"RandomNormal", "RandomUniform", "RandomNormalLike",
                  "RandomUniformLike", "Multinomial", "Bernoulli", "Dropout"});
}

bool canonicalize::isDataMovementOp(llvm::StringRef opType) {
  return isOneOf(opType, {"Shape",
                          "Size",
                          "Gather",
                          "GatherElements",
                          "GatherND",
                          "Slice",
                          "Concat",
                          "Split",
                          "Unsqueeze",
                          "Squeeze",
                          "Reshape",
                          "Transpose",
                          "Cast",
                          "CastLike",
                          "Flatten",
                          "Identity",
                          "ConstantOfShape",
                          "Expand",
                          "Tile",
                          "Where",
                          "Pad"});
}

/// a * b, saturating; both non-negative.
static int64_t mulSat(int64_t a, int64_t b) {
  if (a == 0 || b == 0)
    return 0;
  if (a > kSaturated / b)
    return kSaturated;
  return a * b;
}

static int64_t addSat(int64_t a, int64_t b) {
  return a > kSaturated - b ? kSaturated : a + b;
}

/// Product of the values of an int tensor; negative entries count as 0 (the
/// kernel rejects them).
static int64_t productOfValues(const Tensor &t) {
  int64_t n = 1;
  for (int64_t i = 0, e = t.getNumElements(); i < e; ++i)
    n = mulSat(n, std::max<int64_t>(t.getAsInt64(i), 0));
  return n;
}

/// Elements of the multidirectional broadcast of `shapes` (per axis, the
/// largest extent: an upper bound even for incompatible shapes).
static int64_t
broadcastElements(llvm::ArrayRef<llvm::ArrayRef<int64_t>> shapes) {
  size_t rank = 0;
  for (llvm::ArrayRef<int64_t> s : shapes)
    rank = std::max(rank, s.size());
  int64_t n = 1;
  for (size_t axis = 0; axis < rank; ++axis) {
    int64_t extent = 1;
    for (llvm::ArrayRef<int64_t> s : shapes)
      if (axis + s.size() >= rank)
        extent = std::max(extent, s[axis + s.size() - rank]);
    n = mulSat(n, extent);
  }
  return n;
}

static bool isBroadcastingOp(llvm::StringRef opType) {
  return isOneOf(opType, {"Add",
                          "Sub",
                          "Mul",
                          "Div",
                          "Pow",
                          "Mod",
                          "Equal",
                          "Less",
                          "Greater",
                          "LessOrEqual",
                          "GreaterOrEqual",
                          "And",
                          "Or",
                          "Xor",
                          "Where",
                          "Min",
                          "Max",
                          "Sum",
                          "Mean",
                          "BitShift",
                          "PRelu"});
}

/// Elements of Range(start, limit, delta).
static int64_t rangeElements(llvm::ArrayRef<const Tensor *> inputs) {
  if (inputs.size() < 3 || !inputs[0] || !inputs[1] || !inputs[2] ||
      inputs[0]->getNumElements() != 1 || inputs[1]->getNumElements() != 1 ||
      inputs[2]->getNumElements() != 1)
    return 0; // malformed: the kernel reports it
  double start = inputs[0]->getAsDouble(0), limit = inputs[1]->getAsDouble(0);
  double delta = inputs[2]->getAsDouble(0);
  if (delta == 0)
    return 0;
  double n = std::ceil((limit - start) / delta);
  if (!(n > 0))
    return 0;
  return n >= 9.2e18 ? kSaturated : static_cast<int64_t>(n);
}

int64_t
canonicalize::estimateResultElements(const Node &node,
                                     llvm::ArrayRef<const Tensor *> inputs) {
  // A static result type is exact, if the type is up to date; the inputs
  // still bound it below when the type is stale.
  int64_t fromType = 0;
  for (Value *r : node.getResults())
    if (auto shape = r->getType().getStaticShape())
      fromType = std::max(fromType, getNumElements(*shape));

  llvm::StringRef op = node.getOpType();
  auto in = [&](unsigned i) -> const Tensor * {
    return i < inputs.size() ? inputs[i] : nullptr;
  };
  int64_t estimate = 0;
  if (op == "ConstantOfShape") {
    estimate = in(0) ? productOfValues(*in(0)) : 1;
  } else if (op == "Expand" && in(0) && in(1)) {
    llvm::SmallVector<int64_t, 4> target;
    for (int64_t i = 0, e = in(1)->getNumElements(); i < e; ++i)
      target.push_back(std::max<int64_t>(in(1)->getAsInt64(i), 0));
    estimate = broadcastElements({in(0)->getShape(), target});
  } else if (op == "Range") {
    estimate = rangeElements(inputs);
  } else if (op == "Tile" && in(0) && in(1)) {
    estimate = mulSat(in(0)->getNumElements(), productOfValues(*in(1)));
  } else if ((op == "Gather" || op == "GatherND") && in(0) && in(1)) {
    estimate = mulSat(in(0)->getNumElements(), in(1)->getNumElements());
  } else if (isBroadcastingOp(op)) {
    llvm::SmallVector<llvm::ArrayRef<int64_t>, 3> shapes;
    for (const Tensor *t : inputs)
      if (t)
        shapes.push_back(t->getShape());
    estimate = broadcastElements(shapes);
  } else {
    // Data movement and unary ops produce at most what they read.
    for (const Tensor *t : inputs)
      if (t)
        estimate = addSat(estimate, t->getNumElements());
  }
  return std::max(estimate, fromType);
}

llvm::Optional<Tensor> canonicalize::foldShapeFromType(const Node &node) {
  bool isShape = node.is("Shape"), isSize = node.is("Size");
  if ((!isShape && !isSize) || node.getNumInputs() < 1 || !node.getInput(0) ||
      node.getNumResults() != 1)
    return llvm::None;
  auto shape = node.getInput(0)->getType().getStaticShape();
  if (!shape)
    return llvm::None;
  if (isSize)
    return Tensor::scalar<int64_t>(getNumElements(*shape));
  // Opset 15: the slice [start, end) of the shape, negative from the back,
  // clamped to [0, rank].
  int64_t rank = static_cast<int64_t>(shape->size());
  auto clampAxis = [rank](int64_t a) {
    if (a < 0)
      a += rank;
    return std::min(std::max<int64_t>(a, 0), rank);
  };
  int64_t start = clampAxis(node.getAttrInt("start", 0));
  int64_t end = clampAxis(node.getAttrInt("end", rank));
  llvm::SmallVector<int64_t, 4> dims;
  for (int64_t i = start; i < end; ++i)
    dims.push_back((*shape)[i]);
  return Tensor::fromValues<int64_t>({static_cast<int64_t>(dims.size())}, dims);
}
