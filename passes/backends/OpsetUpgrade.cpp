//===- OpsetUpgrade.cpp - Raise a model's ONNX opset to 13 ----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Every ai.onnx node is first checked (nothing changes if one fails), then
// the nodes whose op changed incompatibly but in a common, mechanical way
// are rewritten to their opset-13 form. The version history comes from
// OnnxOpHistory.def; which changes are compatible is documented there and
// in docs/qdq.md.
//
//===----------------------------------------------------------------------===//

#include "backends/OpsetUpgrade.h"

#include "qlc/Support/Error.h"

#include "llvm/ADT/StringSwitch.h"

#include <algorithm>
#include <cstring>
#include <limits>

using namespace qlc;

namespace {

constexpr int64_t kTargetOpset = 13;
constexpr int kHandler = -1; // rewritten below
constexpr int kNever = 1000; // never upgraded

struct OpHistory {
  const char *name;
  int safeFrom;
  int versions[8]; // ascending, zero-terminated
};

const OpHistory kOpHistory[] = {
#define QLC_ONNX_OP(Name, SafeFrom, ...) {#Name, SafeFrom, {__VA_ARGS__}},
#include "backends/OnnxOpHistory.def"
#undef QLC_ONNX_OP
};

const OpHistory *lookupOp(llvm::StringRef name) {
  const OpHistory *end = std::end(kOpHistory);
  const OpHistory *it =
      std::lower_bound(std::begin(kOpHistory), end, name,
                       [](const OpHistory &h, llvm::StringRef n) {
                         return n.compare(h.name) > 0;
                       });
  return it != end && name == it->name ? it : nullptr;
}

/// The since-version of the op's schema at `opset`, or 0 if it had none.
int getSinceVersion(const OpHistory &h, int64_t opset) {
  int since = 0;
  for (int v : h.versions)
    if (v != 0 && v <= opset)
      since = v;
  return since;
}

bool hasSubgraph(const Node &n) {
  return llvm::any_of(n.getAttrs(), [](const NamedAttribute &a) {
    AttrKind k = a.value.getKind();
    return k == AttrKind::Graph || k == AttrKind::Graphs;
  });
}

bool anyResultLiveFrom(const Node &n, unsigned first) {
  for (unsigned i = first; i < n.getNumResults(); ++i)
    if (n.getResult(i)->isLive())
      return true;
  return false;
}

/// Before opset 11, auto_pad SAME_* computed padding differently for some
/// ops; explicit padding (NOTSET) and VALID mean the same throughout.
bool hasPortablePadding(const Node &n) {
  std::string autoPad = n.getAttrString("auto_pad", "NOTSET");
  return autoPad == "NOTSET" || autoPad == "VALID" || autoPad.empty();
}

bool hasWindowPadding(llvm::StringRef op) {
  return llvm::StringSwitch<bool>(op)
      .Cases("Conv", "ConvTranspose", "MaxPool", "AveragePool", "LpPool", true)
      .Default(false);
}

bool isSoftmaxLike(llvm::StringRef op) {
  return op == "Softmax" || op == "LogSoftmax" || op == "Hardmax";
}

/// The axis an old Softmax normalises over, when opset 13 reads the same
/// attribute value the same way (the last axis of an input of known rank).
llvm::Expected<int64_t> getPortableSoftmaxAxis(const Node &n) {
  const Value *x = n.getInput(0);
  if (!x || !x->getType().hasRank())
    return makeError("the input's rank is unknown (run infer-shapes first): "
                     "opset 13 changed the meaning of 'axis'");
  int64_t rank = x->getType().getRank();
  int64_t axis = n.getAttrInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis != rank - 1)
    return makeError("it normalises over the flattened dimensions from axis " +
                     llvm::Twine(axis) + " of a rank-" + llvm::Twine(rank) +
                     " input, which opset 13 no longer expresses");
  return axis;
}

/// Why the op-specific rewrite cannot apply to `n`, or success.
llvm::Error checkHandled(const Node &n, int oldSince) {
  llvm::StringRef op = n.getOpType();
  if (isSoftmaxLike(op))
    return getPortableSoftmaxAxis(n).takeError();
  if (op == "Unsqueeze" && !n.hasAttr("axes"))
    return makeError("it has no 'axes' attribute");
  if (op == "Split" && n.hasAttr("split") && n.getNumInputs() > 1)
    return makeError("it has both a 'split' input and attribute");
  if (op == "Clip" || op == "Pad") {
    if (oldSince < (op == "Clip" ? 6 : 2))
      return makeError("its opset-" + llvm::Twine(oldSince) +
                       " form is not supported");
    if (op == "Pad" && !n.hasAttr("pads"))
      return makeError("it has no 'pads' attribute");
    ElementType t = n.getInput(0) ? n.getInput(0)->getElementType()
                                  : ElementType::Undefined;
    bool needsType = op == "Clip" || n.getAttrFloat("value", 0.0f) != 0.0f;
    if (needsType && !isFloatType(t))
      return makeError("its input's element type is unknown (run "
                       "infer-shapes first)");
  }
  if (op == "Dropout" && anyResultLiveFrom(n, 1))
    return makeError("its mask output is used");
  if (op == "BatchNormalization") {
    if (oldSince < 7)
      return makeError("its opset-" + llvm::Twine(oldSince) +
                       " form (is_test) is not supported");
    if (n.getAttrInt("spatial", 1) != 1)
      return makeError("spatial=0 was removed in opset 9");
    if (anyResultLiveFrom(n, 1))
      return makeError("its training outputs are used");
  }
  return llvm::Error::success();
}

llvm::Error checkNode(const Node &n, int64_t opset) {
  auto fail = [&](const llvm::Twine &why) {
    return makeNodeError(n, "cannot raise the model's ONNX opset from " +
                                llvm::Twine(opset) +
                                " to 13 for per-axis "
                                "QuantizeLinear: " +
                                why);
  };
  if (hasSubgraph(n))
    return fail("subgraphs are not upgraded");
  const OpHistory *h = lookupOp(n.getOpType());
  int oldSince = h ? getSinceVersion(*h, opset) : 0;
  if (!h || oldSince == 0)
    return fail("the op is unknown at opset " + llvm::Twine(opset));
  int newSince = getSinceVersion(*h, kTargetOpset);
  if (oldSince == newSince)
    return llvm::Error::success();
  if (h->safeFrom == kHandler) {
    if (llvm::Error err = checkHandled(n, oldSince))
      return fail(n.getOpType() + "-" + llvm::Twine(oldSince) + " -> " +
                  n.getOpType() + "-" + llvm::Twine(newSince) + ": " +
                  llvm::toString(std::move(err)));
    return llvm::Error::success();
  }
  if (h->safeFrom == kNever || oldSince < h->safeFrom)
    return fail(n.getOpType() + "-" + llvm::Twine(oldSince) + " -> " +
                n.getOpType() + "-" + llvm::Twine(newSince) +
                " changes its meaning or signature");
  if (oldSince < 11 && hasWindowPadding(n.getOpType()) &&
      !hasPortablePadding(n))
    return fail("auto_pad=" + n.getAttrString("auto_pad", "") +
                " is computed differently since opset 11");
  return llvm::Error::success();
}

/// An initializer for a new constant input of `n`.
Value *addConstant(Graph &graph, const Node &n, llvm::StringRef suffix,
                   Tensor t) {
  std::string base = !n.getName().empty() ? n.getName().str()
                                          : n.getResult(0)->getName().str();
  return graph.addInitializer(graph.makeUniqueName(base + "_" + suffix.str()),
                              std::move(t));
}

/// Appends `v` as operand `index`, padding with omitted operands.
void setOperand(Node &n, unsigned index, Value *v) {
  while (n.getNumInputs() <= index)
    n.addInput(nullptr);
  n.setInput(index, v);
}

/// Moves an int-list attribute into an int64 1-D initializer operand.
void moveIntsToInput(Graph &graph, Node &n, llvm::StringRef attr,
                     unsigned index) {
  if (!n.hasAttr(attr))
    return;
  llvm::SmallVector<int64_t, 4> vs = n.getAttrInts(attr);
  Tensor t = Tensor::fromValues<int64_t>({int64_t(vs.size())}, vs);
  setOperand(n, index, addConstant(graph, n, attr, std::move(t)));
  n.removeAttr(attr);
}

Tensor makeScalarOfType(double v, ElementType type) {
  Tensor t(ElementType::Double, {});
  t.setFromDouble(0, v);
  return t.castTo(type);
}

void applyHandled(Graph &graph, Node &n) {
  llvm::StringRef op = n.getOpType();
  if (isSoftmaxLike(op)) {
    llvm::Expected<int64_t> axis = getPortableSoftmaxAxis(n);
    n.setAttr("axis", Attribute::getInt(axis ? *axis : 1));
    llvm::consumeError(axis.takeError()); // checked before
  } else if (op == "Squeeze" || op == "Unsqueeze" || op == "ReduceSum") {
    moveIntsToInput(graph, n, "axes", 1);
  } else if (op == "Split") {
    moveIntsToInput(graph, n, "split", 1);
  } else if (op == "Clip") {
    // Clip-6's defaults are float's extremes, which clip infinities.
    float lo = n.getAttrFloat("min", std::numeric_limits<float>::lowest());
    float hi = n.getAttrFloat("max", std::numeric_limits<float>::max());
    ElementType t = n.getInput(0)->getElementType();
    setOperand(n, 1, addConstant(graph, n, "min", makeScalarOfType(lo, t)));
    setOperand(n, 2, addConstant(graph, n, "max", makeScalarOfType(hi, t)));
    n.removeAttr("min");
    n.removeAttr("max");
  } else if (op == "Pad") {
    float value = n.getAttrFloat("value", 0.0f);
    moveIntsToInput(graph, n, "pads", 1);
    if (value != 0.0f)
      setOperand(n, 2,
                 addConstant(
                     graph, n, "value",
                     makeScalarOfType(value, n.getInput(0)->getElementType())));
    n.removeAttr("value");
  } else if (op == "Dropout") {
    // Inference Dropout is the identity in every version.
    for (llvm::StringRef a : {"ratio", "is_test", "consumed_inputs"})
      n.removeAttr(a);
    if (n.getNumResults() > 1)
      n.getResult(1)->setType(TensorType()); // now bool; unused
  } else if (op == "BatchNormalization") {
    n.removeAttr("spatial");
  }
}

} // namespace

llvm::Expected<bool> backends::raiseOnnxOpsetTo13(Model &model) {
  int64_t opset = model.getOpsetVersion("");
  if (opset >= kTargetOpset)
    return false;
  Graph &graph = model.getGraph();
  std::vector<Node *> handled;
  for (Node &n : graph.getNodes()) {
    if (!n.isOnnxDomain())
      continue;
    if (llvm::Error err = checkNode(n, opset))
      return err;
    const OpHistory *h = lookupOp(n.getOpType());
    if (h->safeFrom == kHandler &&
        getSinceVersion(*h, opset) != getSinceVersion(*h, kTargetOpset))
      handled.push_back(&n);
  }
  for (Node *n : handled)
    applyHandled(graph, *n);
  model.setOpsetVersion("", kTargetOpset);
  model.irVersion = std::max<int64_t>(model.irVersion, 7);
  return true;
}
