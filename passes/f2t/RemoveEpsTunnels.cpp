//===- RemoveEpsTunnels.cpp - Integer inputs, the head, leftover tunnels --===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The last F2T step, at the borders of the integer program:
//
// * A graph input read only by tunnels (eps -> 1, to T) becomes an input of
//   type T: the program now expects the integer image of the data, and the
//   model metadata (qlc.input_quant.<name>) says how to compute it.
// * A graph output behind a tunnel (1 -> eps, to float): with head=float
//   the tunnel stays (the output is the float value, rescaled exactly);
//   with head=integer it goes, the output is the integer image, and its
//   scale (per channel) is reported and recorded in the metadata
//   (qlc.output_scale.<name>) for the host (QuantLib's
//   FinalEpsTunnelRemover).
// * Any other tunnel left is reported: an integer -> float one starts a
//   float tail (a Softmax after the logits, say); a float -> integer one
//   ends a float region inside the program and is warned about.
//
//===----------------------------------------------------------------------===//

#include "f2t/F2TSupport.h"
#include "f2t/Passes.h"
#include "f2t/RangeAnalysis.h"

#include "qlc/Support/Error.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

using namespace qlc;
using namespace qlc::f2t;

namespace {

class RemoveEpsTunnelsPass : public PassBase<RemoveEpsTunnelsPass> {
public:
  static constexpr llvm::StringLiteral argument = "remove-eps-tunnels";
  static constexpr llvm::StringLiteral summary =
      "Make the inputs integer, keep or strip the output rescaling, and "
      "report tunnels left inside";
  static constexpr llvm::StringLiteral description =
      "Input tunnels become integer graph inputs (metadata "
      "qlc.input_quant.<name> records eps and grid). Output tunnels stay "
      "with head=float, or are removed with head=integer, their scale "
      "recorded in qlc.output_scale.<name> and in the report. Remaining "
      "tunnels are reported: float tails (e.g. a Softmax head), and float "
      "regions inside the integer program, which are also warned about.";

  Option<std::string> head{*this,
                           "head",
                           "float: keep the outputs' rescaling; integer: "
                           "integer outputs, scale in the report",
                           "float",
                           {"float", "integer"}};
  PassStatistic inputs{*this, "integer-inputs", "inputs made integer"};
  PassStatistic left{*this, "float-regions", "tunnels left inside"};

  llvm::Expected<bool> run(Model &model) override {
    Graph &graph = model.getGraph();
    bool changed = false;
    for (Value *in : graph.getInputs())
      if (!in->isInitializer())
        changed |= integerInput(graph, *in);
    llvm::json::Array outputs, regions, tails;
    for (unsigned i = 0; i < graph.getOutputs().size(); ++i)
      changed |= handleOutput(model, i, outputs);
    for (Node &n : graph.getNodes()) {
      if (!isEpsTunnel(n) || n.getResult(0)->isGraphOutput())
        continue;
      // Integer -> float with nothing integer after it is a float tail
      // (a Softmax head, say); float -> integer ends a float region inside
      // the program, which is worth a warning.
      if (isIntegerType(elementTypeOf(n.getInput(0)))) {
        tails.push_back(n.getName().str());
        continue;
      }
      regions.push_back(n.getName().str());
      ++left;
      llvm::errs() << "warning: '" << n.getName() << "' (qlc.EpsTunnel): '"
                   << n.getInput(0)->getName()
                   << "' is computed in float inside the integer program\n";
    }
    if (changed)
      eraseDeadConstants(graph);
    llvm::json::Array accumulators;
    if (llvm::Error err = checkAccumulators(model, accumulators))
      return err;
    report = llvm::json::Object{{"outputs", std::move(outputs)},
                                {"float_regions", std::move(regions)},
                                {"float_tails", std::move(tails)},
                                {"accumulators", std::move(accumulators)}};
    return changed;
  }

  llvm::json::Value getReport() const override { return report; }

private:
  llvm::json::Value report = nullptr;

  /// Bounds every int32 result of an integer op (accumulators, sums) and
  /// fails naming the node if one can leave int32: such a program would
  /// wrap silently on every integer runtime.
  static llvm::Error checkAccumulators(const Model &model,
                                       llvm::json::Array &out) {
    RangeAnalysis ranges(model);
    for (const Node &n : model.getGraph().getNodes()) {
      if (n.getNumResults() != 1 ||
          elementTypeOf(n.getResult(0)) != ElementType::Int32 ||
          !(n.is("ConvInteger") || n.is("MatMulInteger") || n.is("MatMul") ||
            n.is("Add") || n.is("Sum") || n.is("ReduceSum")))
        continue;
      llvm::Optional<ValueRange> r = ranges.get(n.getResult(0));
      if (!r)
        return makeNodeError(n, "cannot bound the int32 result");
      auto [lo, hi] = r->hull();
      unsigned bits = r->signedBits();
      out.push_back(
          llvm::json::Object{{"node", n.getName().str()},
                             {"value", n.getResult(0)->getName().str()},
                             {"range", llvm::json::Array{lo, hi}},
                             {"bits", bits}});
      if (bits > 32)
        return makeNodeError(n, "the int32 result can reach [" +
                                    llvm::Twine(lo) + ", " + llvm::Twine(hi) +
                                    "]: it would overflow");
    }
    return llvm::Error::success();
  }

  bool integerInput(Graph &graph, Value &in) {
    llvm::SmallVector<Node *, 2> tunnels = in.getUsers();
    if (tunnels.empty() || in.isGraphOutput())
      return false;
    ElementType type = ElementType::Undefined;
    for (Node *t : tunnels) {
      llvm::Optional<TunnelView> v = viewTunnel(*t);
      if (!v || !isUnitEps(v->epsOut) || !isIntegerType(v->to) ||
          (type != ElementType::Undefined && v->to != type))
        return false;
      type = v->to;
    }
    TensorType ty = in.getType();
    ty.setElementType(type);
    in.setType(ty);
    for (Node *t : tunnels)
      bypassTunnel(graph, *t);
    ++inputs;
    return true;
  }

  bool handleOutput(Model &model, unsigned i, llvm::json::Array &outputs) {
    Graph &graph = model.getGraph();
    Value *out = graph.getOutputs()[i];
    Node *t = out->getDefiningNode();
    llvm::Optional<TunnelView> v = t ? viewTunnel(*t) : llvm::None;
    if (!v || !isUnitEps(v->epsIn) ||
        !isIntegerType(elementTypeOf(t->getInput(0))))
      return false;
    llvm::json::Object entry{
        {"name", out->getName().str()},
        {"scale", llvm::json::Array(v->epsOut)},
        {"integer_type",
         getElementTypeName(elementTypeOf(t->getInput(0))).str()}};
    outputs.push_back(std::move(entry));
    if (head.getValue() == "float")
      return false;
    std::string text;
    llvm::raw_string_ostream os(text);
    os << llvm::json::Value(llvm::json::Array(v->epsOut));
    model.metadata.emplace_back(("qlc.output_scale." + out->getName()).str(),
                                os.str());
    bypassTunnel(graph, *t);
    return true;
  }
};

} // namespace

std::unique_ptr<Pass> qlc::f2t::createRemoveEpsTunnelsPass() {
  return std::make_unique<RemoveEpsTunnelsPass>();
}
