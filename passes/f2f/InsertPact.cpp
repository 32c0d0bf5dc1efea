//===- InsertPact.cpp - Insert PACT fake-quantisers -----------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// QuantLib's ModuleWiseConverter for PACT, on ONNX graphs:
//
//  - the weight of every Conv, ConvTranspose, Gemm and MatMul with a
//    constant float weight gets a signed qlc.FakeQuant, per output channel
//    (or per tensor), eps from the weights' min/max (QuantLib's minmax
//    strategy; computeEps with the offset pinned);
//  - the output of every ReLU / ReLU6 / Clip / LeakyRelu / Identity gets an
//    activation quantiser, unsigned for the ReLU family and non-negative
//    Clips, signed otherwise, with a provisional eps from the op's known
//    bounds or QuantLib's constant init (ReLU: [0, 6], signed: [-1, 1]),
//    until `calibrate` measures the data.
//
// A "layer" is a linear op plus the BatchNormalization and activation that
// follow it; `layer-bits` and `exclude` match node-name regexes against the
// linear op's and the activation's names, so `exclude=conv1` keeps both the
// weights and the output activation of conv1 in float. Values already
// quantised are left alone, so the pass is idempotent.
//
//===----------------------------------------------------------------------===//

#include "f2f/F2FSupport.h"
#include "f2f/Passes.h"

#include "qlc/Pass/Pass.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/DenseMap.h"

#include <algorithm>
#include <cmath>

using namespace qlc;
using namespace qlc::f2f;

namespace {

struct LayerBits {
  NamePatterns pattern;
  int weightBits = 0, actBits = 0; // 0: the pass default
};

/// "REGEX=W/A"; either side may be "-" for the default.
llvm::Expected<LayerBits> parseLayerBits(llvm::StringRef spec) {
  auto [regex, bits] = spec.rsplit('=');
  auto [w, a] = bits.split('/');
  LayerBits lb;
  auto parseOne = [&](llvm::StringRef s, int &out) -> bool {
    s = s.trim();
    if (s == "-")
      return true;
    unsigned v;
    if (s.getAsInteger(10, v) || v < 2 || v > 16)
      return false;
    out = static_cast<int>(v);
    return true;
  };
  if (regex.empty() || !bits.contains('/') || !parseOne(w, lb.weightBits) ||
      !parseOne(a, lb.actBits))
    return makeError("layer-bits entry '" + spec +
                     "' must be REGEX=W/A with W and A in 2..16 or '-'");
  auto pattern = NamePatterns::compile({regex.str()});
  if (!pattern)
    return pattern.takeError();
  lb.pattern = std::move(*pattern);
  return lb;
}

class InsertPactPass : public PassBase<InsertPactPass> {
public:
  static constexpr llvm::StringLiteral argument = "insert-pact";
  static constexpr llvm::StringLiteral summary =
      "Insert PACT fake-quantisers on weights and activations";
  static constexpr llvm::StringLiteral description =
      "Weights of Conv, ConvTranspose, Gemm and MatMul get a signed "
      "qlc.FakeQuant (per output channel or per tensor, eps from min/max); "
      "outputs of Relu, Clip (ReLU6), LeakyRelu and Identity get an "
      "activation quantiser (unsigned for non-negative activations) with a "
      "provisional eps for calibrate to replace. A layer (linear op, its BN "
      "and activation) is matched by node-name regex in layer-bits and "
      "exclude.";

  Option<unsigned> weightBits{*this, "wbits", "weight bits (2..16)", 8};
  Option<unsigned> actBits{*this, "abits", "activation bits (2..16)", 8};
  Option<std::string> granularity{*this,
                                  "granularity",
                                  "weight eps per output channel or per "
                                  "tensor",
                                  "per-channel",
                                  {"per-channel", "per-tensor"}};
  Option<std::string> weightRounding{*this,
                                     "weight-rounding",
                                     "rounding of weight quantisers",
                                     "floor",
                                     {"floor", "half_even"}};
  Option<std::string> actRounding{*this,
                                  "act-rounding",
                                  "rounding of activation quantisers",
                                  "floor",
                                  {"floor", "half_even"}};
  ListOption<std::string> layerBits{
      *this, "layer-bits",
      "per-layer bits REGEX=W/A ('-' keeps the default), first match wins"};
  ListOption<std::string> exclude{
      *this, "exclude", "regexes of layers kept in float (no quantisers)"};

  PassStatistic weightsQuantised{*this, "weights", "weight quantisers added"};
  PassStatistic actsQuantised{*this, "activations",
                              "activation quantisers added"};
  PassStatistic layersExcluded{*this, "excluded",
                               "quantisers skipped: layer excluded"};

  llvm::Expected<bool> run(Model &model) override {
    if (llvm::Error err = parseConfig())
      return err;
    Graph &graph = model.getGraph();
    int64_t opset = model.getOpsetVersion("");
    buildLayers(graph, opset);
    bool changed = false;
    for (auto it = graph.getNodes().begin(); it != graph.getNodes().end();) {
      Node &node = *it++;
      if (llvm::Optional<LinearOpInfo> op = matchLinearOp(node)) {
        llvm::Expected<bool> done = quantiseWeights(graph, *op);
        if (!done)
          return done.takeError();
        changed |= *done;
      } else if (auto act = classifyActivation(node, opset)) {
        changed |= quantiseActivation(graph, node, *act);
      }
    }
    if (changed)
      addQlcOpsetImport(model);
    return changed;
  }

private:
  std::vector<LayerBits> overrides;
  NamePatterns excluded;
  /// Activation node -> the linear op of its layer, and back.
  llvm::DenseMap<const Node *, const Node *> layerPartner;

  llvm::Error parseConfig() {
    for (unsigned bits : {weightBits.getValue(), actBits.getValue()})
      if (bits < 2 || bits > 16)
        return makeError("insert-pact: bits must be in 2..16, got " +
                         llvm::Twine(bits));
    overrides.clear();
    for (const std::string &spec : layerBits.getValue()) {
      auto lb = parseLayerBits(spec);
      if (!lb)
        return lb.takeError();
      overrides.push_back(std::move(*lb));
    }
    auto ex = NamePatterns::compile(exclude.getValue());
    if (!ex)
      return ex.takeError();
    excluded = std::move(*ex);
    return llvm::Error::success();
  }

  /// Pairs each activation with the linear op feeding it (through one
  /// BatchNormalization at most).
  void buildLayers(Graph &graph, int64_t opset) {
    layerPartner.clear();
    for (Node &node : graph.getNodes()) {
      if (!classifyActivation(node, opset) || !node.getInput(0))
        continue;
      Node *producer = node.getInput(0)->getDefiningNode();
      if (producer && producer->is("BatchNormalization") &&
          producer->getInput(0))
        producer = producer->getInput(0)->getDefiningNode();
      if (producer && matchLinearOp(*producer)) {
        layerPartner[&node] = producer;
        layerPartner[producer] = &node;
      }
    }
  }

  bool layerMatches(const Node &node, const NamePatterns &p) const {
    if (p.matches(getLayerName(node)))
      return true;
    const Node *partner = layerPartner.lookup(&node);
    return partner && p.matches(getLayerName(*partner));
  }

  unsigned bitsFor(const Node &node, bool weights) const {
    for (const LayerBits &lb : overrides) {
      int bits = weights ? lb.weightBits : lb.actBits;
      if (bits && layerMatches(node, lb.pattern))
        return static_cast<unsigned>(bits);
    }
    return weights ? weightBits.getValue() : actBits.getValue();
  }

  bool isExcluded(const Node &node) {
    if (excluded.empty() || !layerMatches(node, excluded))
      return false;
    ++layersExcluded;
    return true;
  }

  /// Per-channel (or whole-tensor) min/max of the weight -> eps.
  std::vector<double> weightEps(const Tensor &w, int64_t axis,
                                const QuantGrid &grid) const {
    bool perChannel = granularity.getValue() == "per-channel";
    int64_t channels = perChannel ? w.getDim(axis) : 1;
    int64_t inner = 1;
    for (int64_t d = axis + 1; d < w.getRank(); ++d)
      inner *= w.getDim(d);
    std::vector<double> lo(channels, 0.0), hi(channels, 0.0);
    std::vector<bool> seen(channels, false);
    for (int64_t i = 0, n = w.getNumElements(); i < n; ++i) {
      int64_t c = perChannel ? (i / inner) % channels : 0;
      double v = w.getAsDouble(i);
      if (!std::isfinite(v))
        continue;
      lo[c] = seen[c] ? std::min(lo[c], v) : v;
      hi[c] = seen[c] ? std::max(hi[c], v) : v;
      seen[c] = true;
    }
    std::vector<double> eps(channels);
    for (int64_t c = 0; c < channels; ++c)
      eps[c] = computeEps(lo[c], hi[c], grid);
    return eps;
  }

  llvm::Expected<bool> quantiseWeights(Graph &graph, const LinearOpInfo &op) {
    Value *w = op.node->getInput(op.weightIndex);
    const Tensor *constant = w->getConstant();
    if (!constant || isExcluded(*op.node))
      return false; // already quantised, computed weights, or kept float
    for (double v : constant->toDoubles())
      if (!std::isfinite(v))
        return makeNodeError(*op.node, "weight '" + w->getName() +
                                           "' holds a non-finite value");
    FakeQuantAttrs attrs;
    attrs.grid = QuantGrid::fromBits(bitsFor(*op.node, true), true,
                                     *parseRounding(weightRounding.getValue()));
    attrs.axis = op.weightChannelAxis;
    std::vector<double> eps =
        weightEps(*constant, op.weightChannelAxis, attrs.grid);
    Value *epsValue =
        createEpsInitializer(graph, (w->getName() + "_eps").str(), eps);
    quantiseOperand(graph, *op.node, op.weightIndex, epsValue, attrs,
                    makeNodeName(graph, *op.node, "wq"));
    ++weightsQuantised;
    return true;
  }

  bool quantiseActivation(Graph &graph, Node &act, const ActivationInfo &info) {
    Value *out = act.getResult(0);
    if (!mayBeFloat(*out) || isExcluded(act))
      return false;
    // An Identity of a constant (torch.onnx shares equal initializers this
    // way, e.g. two BN biases) is a parameter, not an activation.
    Value *in = act.getInput(0);
    if (in && (in->isInitializer() || !in->getDefiningNode()) &&
        !in->isGraphInput())
      return false;
    for (Node *user : out->getUsers())
      if (isFakeQuant(*user))
        return false; // already quantised
    FakeQuantAttrs attrs;
    attrs.grid = QuantGrid::fromBits(bitsFor(act, false), !info.isUnsigned(),
                                     *parseRounding(actRounding.getValue()));
    double lo = info.isUnsigned() ? 0.0 : -1.0, hi = info.isUnsigned() ? 6 : 1;
    if (std::isfinite(info.lo) && std::isfinite(info.hi) && info.hi > info.lo &&
        act.is("Clip")) {
      lo = info.lo;
      hi = info.hi;
    }
    double eps = computeEps(lo, hi, attrs.grid);
    Value *epsValue =
        createEpsInitializer(graph, (out->getName() + "_eps").str(), {eps});
    quantiseValue(graph, out, epsValue, attrs, makeNodeName(graph, act, "aq"));
    ++actsQuantised;
    return true;
  }
};

} // namespace

std::unique_ptr<Pass> qlc::f2f::createInsertPactPass() {
  return std::make_unique<InsertPactPass>();
}
