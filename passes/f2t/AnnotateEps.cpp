//===- AnnotateEps.cpp - Report the quantum of every value ----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Runs the eps analysis (EpsAnalysis.h) and reports, without changing the
// model, the quantum of every value and each node where propagation stopped.
// A stop that is not absorbed by a requantiser (BN and activations are) is
// printed as a warning naming the node, because the values behind it stay
// float after fake-to-true.
//
//===----------------------------------------------------------------------===//

#include "f2t/EpsAnalysis.h"
#include "f2t/InputOptions.h"
#include "f2t/Passes.h"

#include "canonicalize/Passes.h"
#include "f2f/F2FSupport.h"

#include "qlc/Support/Error.h"

#include "llvm/Support/raw_ostream.h"

using namespace qlc;
using namespace qlc::f2t;

namespace {

llvm::json::Value quantumToJson(const Quantum &q) {
  llvm::json::Object o;
  if (q.isPerTensor()) {
    o["eps"] = q.eps[0];
  } else {
    o["eps"] = llvm::json::Array(q.eps);
    o["axis"] = q.axis;
  }
  if (q.grid)
    o["grid"] = llvm::json::Object{{"zero", q.grid->zero},
                                   {"n_levels", q.grid->nLevels}};
  return o;
}

bool isAbsorbedStop(const PropagationStop &s) {
  return llvm::StringRef(s.reason).contains("(requantise)");
}

class AnnotateEpsPass : public PassBase<AnnotateEpsPass> {
public:
  static constexpr llvm::StringLiteral argument = "annotate-eps";
  static constexpr llvm::StringLiteral summary =
      "Report the quantum eps of every value of a fake-quantised graph";
  static constexpr llvm::StringLiteral description =
      "Propagates eps from the declared input quantisation (or the input's "
      "fake-quantiser) through fake-quantisers, linear ops (eps_in * "
      "eps_w[c]) and scale-preserving ops. Values without a quantum and the "
      "node that stopped propagation are reported; stops that no "
      "requantiser absorbs are printed as warnings. The model is unchanged.";

  InputOptions input{*this};
  PassStatistic quantised{*this, "quantised-values", "values with a quantum"};
  PassStatistic stopCount{*this, "stops", "nodes that stop propagation"};

  llvm::Expected<bool> run(Model &model) override {
    // The analysis needs the ranks of weights and values.
    llvm::Expected<bool> shaped =
        canonicalize::createInferShapesPass()->run(model);
    if (!shaped)
      return shaped.takeError();
    llvm::Expected<EpsAnalysis> a = EpsAnalysis::run(model, input.get());
    if (!a)
      return makeError("annotate-eps: " + llvm::toString(a.takeError()));
    llvm::json::Array values, stops;
    for (const Value &v : model.getGraph().getValues()) {
      if (v.isInitializer())
        continue;
      llvm::json::Object entry{{"name", v.getName().str()}};
      if (const Quantum *q = a->lookup(&v)) {
        entry["quantum"] = quantumToJson(*q);
        ++quantised;
      } else {
        entry["reason"] = a->getReason(&v).str();
      }
      values.push_back(std::move(entry));
    }
    for (const PropagationStop &s : a->getStops()) {
      stops.push_back(
          llvm::json::Object{{"node", f2f::getLayerName(*s.node).str()},
                             {"op", s.node->getOpType().str()},
                             {"reason", s.reason},
                             {"absorbed", isAbsorbedStop(s)}});
      ++stopCount;
      if (!isAbsorbedStop(s))
        llvm::errs() << "warning: "
                     << llvm::toString(makeNodeError(*s.node, s.reason))
                     << "\n";
    }
    report = llvm::json::Object{{"values", std::move(values)},
                                {"stops", std::move(stops)}};
    return false;
  }

  llvm::json::Value getReport() const override { return report; }

private:
  llvm::json::Value report = nullptr;
};

} // namespace

std::unique_ptr<Pass> qlc::f2t::createAnnotateEpsPass() {
  return std::make_unique<AnnotateEpsPass>();
}
