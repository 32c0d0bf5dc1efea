//===- FakeToTrue.cpp - The whole fake-to-true conversion -----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// QuantLib's F2TConverter as one pass: infer-shapes, insert-eps-tunnels,
// integerise-linear, then requantise, integerise-adds-pools and
// simplify-eps-tunnels repeated until nothing changes (an integer add
// enables its output requantiser, a cancelled tunnel pair the next pool),
// then remove-eps-tunnels. Its
// options are forwarded to the steps; its report gathers theirs. Each step
// is also a pass of its own, for pipelines that need something in between
// (a custom head rewrite before simplify-eps-tunnels, for instance).
//
//===----------------------------------------------------------------------===//

#include "f2t/InputOptions.h"
#include "f2t/Passes.h"

#include "canonicalize/Passes.h"

#include "qlc/Support/Error.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace qlc;
using namespace qlc::f2t;

namespace {

class FakeToTruePass : public PassBase<FakeToTruePass> {
public:
  static constexpr llvm::StringLiteral argument = "fake-to-true";
  static constexpr llvm::StringLiteral summary =
      "Turn a fake-quantised graph into an integer program";
  static constexpr llvm::StringLiteral description =
      "Runs infer-shapes, insert-eps-tunnels, integerise-linear, then "
      "requantise, integerise-adds-pools and simplify-eps-tunnels until "
      "nothing changes, then remove-eps-tunnels, with the options below.";

  InputOptions input{*this};
  Option<unsigned> shift{*this, "shift", "D: requantisation shift", 24};
  Option<unsigned> minShift{*this, "min-shift",
                            "lowest D accumulator=int32 may choose", 8};
  Option<std::string> accumulator{
      *this,
      "accumulator",
      "width x * mul + add must fit: int64 keeps D (precise); int32 "
      "lowers D per layer where it can",
      "int64",
      {"int32", "int64"}};
  Option<std::string> head{*this,
                           "head",
                           "float: keep the outputs' rescaling; integer: "
                           "integer outputs, scale in the report",
                           "float",
                           {"float", "integer"}};

  llvm::Expected<bool> run(Model &model) override {
    std::string in, rq;
    llvm::raw_string_ostream ins(in), rqs(rq);
    ins << llvm::format("input-scale=%.17g", input.scale.getValue())
        << " input-bits=" << input.bits.getValue()
        << " input-signed=" << (input.isSigned ? "true" : "false");
    rqs << "shift=" << shift.getValue() << " min-shift=" << minShift.getValue()
        << " accumulator=" << accumulator.getValue();
    reports = llvm::json::Array();
    bool changed = false;
    std::vector<std::pair<std::unique_ptr<Pass>, std::string>> before;
    before.emplace_back(canonicalize::createInferShapesPass(), "");
    before.emplace_back(createInsertEpsTunnelsPass(), ins.str());
    before.emplace_back(createIntegeriseLinearPass(), "");
    for (auto &[pass, options] : before) {
      llvm::Expected<bool> c = runStep(*pass, options, model);
      if (!c)
        return c.takeError();
      changed |= *c;
    }
    // Requantising an add's operands enables the integer add, which
    // enables its output requantiser, which enables the next pool...
    for (unsigned round = 0; round < kMaxRounds; ++round) {
      std::unique_ptr<Pass> rqPass = createRequantisePass();
      std::unique_ptr<Pass> poolPass = createIntegeriseAddsPoolsPass();
      std::unique_ptr<Pass> simplifyPass = createSimplifyEpsTunnelsPass();
      bool progress = false;
      for (auto [pass, options] :
           {std::make_pair(rqPass.get(), rqs.str()),
            std::make_pair(poolPass.get(), std::string()),
            std::make_pair(simplifyPass.get(),
                           std::string("remove-identities=false"))}) {
        llvm::Expected<bool> c = runStep(*pass, options, model);
        if (!c)
          return c.takeError();
        progress |= *c;
      }
      changed |= progress;
      if (!progress)
        break;
    }
    std::vector<std::pair<std::unique_ptr<Pass>, std::string>> after;
    after.emplace_back(createSimplifyEpsTunnelsPass(), "");
    after.emplace_back(createRemoveEpsTunnelsPass(), "head=" + head.getValue());
    for (auto &[pass, options] : after) {
      llvm::Expected<bool> c = runStep(*pass, options, model);
      if (!c)
        return c.takeError();
      changed |= *c;
    }
    report = llvm::json::Array(reports);
    return changed;
  }

  llvm::json::Value getReport() const override { return report; }

private:
  static constexpr unsigned kMaxRounds = 64;
  llvm::json::Value report = nullptr;
  llvm::json::Array reports;

  /// Runs one step with `options`, keeping its report.
  llvm::Expected<bool> runStep(Pass &pass, llvm::StringRef options,
                               Model &model) {
    if (llvm::Error err = pass.parseOptions(options))
      return err;
    llvm::Expected<bool> changed = pass.run(model);
    if (!changed)
      return changed.takeError();
    llvm::json::Value r = pass.getReport();
    bool empty = r.kind() == llvm::json::Value::Null;
    if (const llvm::json::Object *o = r.getAsObject())
      if (const llvm::json::Array *layers = o->getArray("layers"))
        empty = layers->empty();
    if (!empty)
      reports.push_back(llvm::json::Object{{"pass", pass.getArgument().str()},
                                           {"report", std::move(r)}});
    return changed;
  }
};

} // namespace

std::unique_ptr<Pass> qlc::f2t::createFakeToTruePass() {
  return std::make_unique<FakeToTruePass>();
}
