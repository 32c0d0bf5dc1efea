//===- Calibrate.cpp - Set activation quanta from data --------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// QuantLib's observe-then-init calibration (MinMaxMeanVarObserver +
// init_qhparams), with more range methods: the float graph (activation
// quantisers bypassed, weights fake-quantised) runs on calibration data;
// the values reaching each activation quantiser stream into bounded
// statistics; a method (minmax, meanstd, percentile, mse, kl) picks the data
// range [a, b]; eps = computeEps(a, b, grid) is written into the
// quantiser's eps initializer, once (no 128/127 drift: eps is a snapshot,
// and the clip bounds zero*eps, (zero+N-1)*eps follow from it).
//
// Quantisers sharing one eps (harmonise-adds) are calibrated on the union
// of their operands' statistics. A signed activation quantiser whose data
// never went below zero becomes unsigned (auto-unsigned), doubling its
// resolution, unless it shares its eps. weight-rounding switches the weight
// quantisers' rounding (QuantLib's WeightRounder intends round-to-nearest).
//
//===----------------------------------------------------------------------===//

#include "f2f/CalibrationRunner.h"
#include "f2f/F2FSupport.h"
#include "f2f/Passes.h"

#include "qlc/Pass/Pass.h"
#include "qlc/Quant/RangeSelection.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Process.h"

using namespace qlc;
using namespace qlc::f2f;

namespace {

llvm::json::Value epsToJson(const Tensor &eps) {
  if (eps.getNumElements() == 1)
    return eps.getAsDouble(0);
  llvm::json::Array a;
  for (double e : eps.toDoubles())
    a.push_back(e);
  return a;
}

class CalibratePass : public PassBase<CalibratePass> {
public:
  static constexpr llvm::StringLiteral argument = "calibrate";
  static constexpr llvm::StringLiteral summary =
      "Set activation quantisers' eps from calibration data";
  static constexpr llvm::StringLiteral description =
      "Runs the model with activation quantisers bypassed on `data` (.npz "
      "with array x, or a directory of .npy files), batch by batch with "
      "bounded memory, and sets each activation quantiser's eps from the "
      "range chosen by `method`. qlc-opt --calib-data/--calib-samples set "
      "data/samples; --report writes per-quantiser bits, eps, clip bounds, "
      "method and saturation rate.";

  Option<std::string> data{*this, "data",
                           "calibration data: .npz (array x) or a directory "
                           "of .npy files",
                           ""};
  Option<int64_t> samples{*this, "samples", "samples to use (0: all)", 512};
  Option<int64_t> batch{*this, "batch", "samples per run", 32};
  Option<std::string> method{*this,
                             "method",
                             "range method",
                             "minmax",
                             {"minmax", "meanstd", "percentile", "mse", "kl"}};
  Option<double> percentile{*this, "percentile",
                            "percentile method: % of values kept", 99.99};
  Option<double> nStd{*this, "n-std", "meanstd method: mean +- n-std * std",
                      3.0};
  // One thread by default: batch-1 models (MobileNet VWW) gain little from
  // intra-op threads, and oneDNN's OpenMP workers spin-wait between layers,
  // which on a busy machine made 2 threads 50-100x slower than 1
  // (bench/calibrate, docs/f2f.md).
  Option<unsigned> threads{*this, "threads",
                           "interpreter threads (0: every core)", 1};
  Option<bool> autoUnsigned{*this, "auto-unsigned",
                            "make signed activation quantisers unsigned when "
                            "the data is never negative",
                            true};
  Option<std::string> weightRounding{*this,
                                     "weight-rounding",
                                     "set the weight quantisers' rounding",
                                     "keep",
                                     {"keep", "floor", "half_even"}};
  Option<std::string> progress{*this,
                               "progress",
                               "progress on stderr: auto (bar on a terminal, "
                               "lines otherwise), bar, lines, none",
                               "auto",
                               {"auto", "bar", "lines", "none"}};

  PassStatistic calibrated{*this, "calibrated", "activation eps values set"};
  PassStatistic madeUnsigned{*this, "made-unsigned",
                             "signed quantisers made unsigned"};
  PassStatistic samplesUsed{*this, "samples", "calibration samples run"};

  llvm::json::Value getReport() const override {
    if (lastReport.empty())
      return nullptr;
    return llvm::json::Object(lastReport);
  }

  llvm::Expected<bool> run(Model &model) override;

private:
  llvm::json::Object lastReport;

  /// The range options; both method parameters are checked whatever the
  /// method, so a typo is caught before a run that would not use it.
  llvm::Expected<RangeOptions> getRangeOptions() const {
    RangeOptions o;
    o.percentile = percentile;
    o.nStd = nStd;
    for (RangeMethod m : {RangeMethod::Percentile, RangeMethod::MeanStd}) {
      o.method = m;
      if (llvm::Error err = validateRangeOptions(o))
        return addErrorContext(std::move(err), "calibrate");
    }
    o.method = *parseRangeMethod(method.getValue());
    return o;
  }

  CalibrationConfig getConfig() const {
    CalibrationConfig c;
    c.dataPath = data.getValue();
    c.maxSamples = samples;
    c.batchSize = batch;
    c.threads = threads;
    llvm::StringRef p = progress.getValue();
    c.quiet = p == "none";
    c.progress = p == "bar" ||
                 (p == "auto" && llvm::sys::Process::StandardErrIsDisplayed());
    return c;
  }

  /// Activation quantisers grouped by their eps initializer.
  static llvm::Expected<std::vector<ObservedGroup>>
  collectGroups(Graph &graph) {
    std::vector<ObservedGroup> groups;
    llvm::DenseMap<Value *, size_t> byEps;
    for (Node &n : graph.getNodes()) {
      if (!isFakeQuant(n) || n.getInput(0)->isInitializer())
        continue;
      Value *eps = n.getInput(1);
      const Tensor *e = eps->getConstant();
      if (!e)
        return makeNodeError(n, "eps is not an initializer, so it cannot be "
                                "calibrated");
      if (e->getNumElements() != 1)
        return makeNodeError(n, "per-channel activation eps cannot be "
                                "calibrated (activations are per tensor)");
      auto [it, inserted] = byEps.try_emplace(eps, groups.size());
      if (inserted)
        groups.emplace_back();
      groups[it->second].quantisers.push_back(&n);
    }
    return groups;
  }

  llvm::Error setWeightRounding(Graph &graph, llvm::json::Array &entries);
  llvm::Expected<llvm::json::Object>
  calibrateGroup(Graph &graph, ObservedGroup &group, const RangeOptions &opts);
};

llvm::Error CalibratePass::setWeightRounding(Graph &graph,
                                             llvm::json::Array &entries) {
  for (Node &n : graph.getNodes()) {
    if (!isFakeQuant(n) || !n.getInput(0)->isInitializer())
      continue;
    llvm::Expected<FakeQuantAttrs> attrs = readFakeQuantAttrs(n);
    if (!attrs)
      return attrs.takeError();
    if (weightRounding.getValue() != "keep") {
      attrs->grid.rounding = *parseRounding(weightRounding.getValue());
      n.setAttr("rounding",
                Attribute::getString(getRoundingName(attrs->grid.rounding)));
    }
    const Tensor *eps = n.getInput(1)->getConstant();
    llvm::json::Object entry{
        {"node", getLayerName(n)},
        {"kind", "weight"},
        {"tensor", n.getInput(0)->getName()},
        {"grid", attrs->grid.str()},
        {"bits", attrs->grid.getBits()},
        {"rounding", getRoundingName(attrs->grid.rounding)}};
    if (eps) {
      entry["eps"] = epsToJson(*eps);
      if (eps->getNumElements() > 1)
        entry["axis"] = attrs->axis;
    }
    entries.push_back(std::move(entry));
  }
  return llvm::Error::success();
}

llvm::Expected<llvm::json::Object>
CalibratePass::calibrateGroup(Graph &graph, ObservedGroup &group,
                              const RangeOptions &opts) {
  Node &first = *group.quantisers.front();
  llvm::Expected<FakeQuantAttrs> attrs = readFakeQuantAttrs(first);
  if (!attrs)
    return attrs.takeError();
  for (Node *fq : group.quantisers) {
    auto other = readFakeQuantAttrs(*fq);
    if (!other)
      return other.takeError();
    if (other->grid.zero != attrs->grid.zero ||
        other->grid.nLevels != attrs->grid.nLevels)
      return makeNodeError(*fq, "shares its eps with '" + first.getName() +
                                    "' but has another grid");
  }
  const TensorStatistics &stats = group.stats;
  if (stats.empty())
    return makeNodeError(first, "saw no data during calibration");
  QuantGrid grid = attrs->grid;
  bool flipped = false;
  if (autoUnsigned && grid.isSigned() && group.quantisers.size() == 1 &&
      stats.getMin() >= 0) {
    grid = QuantGrid::fromBits(grid.getBits() ? grid.getBits() : 8, false,
                               grid.rounding);
    grid.nLevels = attrs->grid.nLevels;
    first.setAttr("zero", Attribute::getInt(0));
    flipped = true;
    ++madeUnsigned;
  }
  llvm::Expected<DataRange> range = chooseRange(stats, grid, opts);
  if (!range)
    return makeNodeError(first, llvm::toString(range.takeError()));
  double eps = computeEps(range->lo, range->hi, grid);
  Value *epsValue = first.getInput(1);
  Tensor t(epsValue->getConstant()->getElementType(),
           epsValue->getConstant()->getShape());
  t.setFromDouble(0, eps);
  epsValue->setConstant(std::move(t));
  ++calibrated;

  double clipLo = static_cast<double>(grid.getMin()) * eps;
  double clipHi = static_cast<double>(grid.getMax()) * eps;
  llvm::json::Array names;
  for (Node *fq : group.quantisers)
    names.push_back(getLayerName(*fq));
  return llvm::json::Object{
      {"node", getLayerName(first)},
      {"kind", "activation"},
      {"quantisers", std::move(names)},
      {"grid", grid.str()},
      {"bits", grid.getBits()},
      {"signed", grid.isSigned()},
      {"made_unsigned", flipped},
      {"rounding", getRoundingName(grid.rounding)},
      {"method", method.getValue()},
      {"range", llvm::json::Array{range->lo, range->hi}},
      {"eps", eps},
      {"clip_lo", clipLo},
      {"clip_hi", clipHi},
      {"saturation", stats.getFractionOutside(clipLo, clipHi)},
      {"observed",
       llvm::json::Object{{"count", static_cast<int64_t>(stats.getCount())},
                          {"min", stats.getMin()},
                          {"max", stats.getMax()},
                          {"mean", stats.getMean()},
                          {"std", stats.getStdDev()}}}};
}

llvm::Expected<bool> CalibratePass::run(Model &model) {
  if (data.getValue().empty())
    return makeError("calibrate: no data; pass data=PATH or qlc-opt "
                     "--calib-data=PATH");
  if (batch <= 0 || samples < 0)
    return makeError("calibrate: batch must be positive and samples >= 0");
  llvm::Expected<RangeOptions> opts = getRangeOptions();
  if (!opts)
    return opts.takeError();
  Graph &graph = model.getGraph();
  llvm::json::Array weights, activations;
  if (llvm::Error err = setWeightRounding(graph, weights))
    return err;
  llvm::Expected<std::vector<ObservedGroup>> groups = collectGroups(graph);
  if (!groups)
    return groups.takeError();
  int64_t used = 0;
  if (!groups->empty()) {
    llvm::Expected<int64_t> n = runCalibration(model, *groups, getConfig());
    if (!n)
      return n.takeError();
    used = *n;
    samplesUsed += static_cast<uint64_t>(used);
  }
  for (ObservedGroup &g : *groups) {
    llvm::Expected<llvm::json::Object> entry = calibrateGroup(graph, g, *opts);
    if (!entry)
      return entry.takeError();
    activations.push_back(std::move(*entry));
  }
  lastReport = llvm::json::Object{{"data", data.getValue()},
                                  {"samples", used},
                                  {"method", method.getValue()},
                                  {"activations", std::move(activations)},
                                  {"weights", std::move(weights)}};
  return !groups->empty() || weightRounding.getValue() != "keep";
}

} // namespace

std::unique_ptr<Pass> qlc::f2f::createCalibratePass() {
  return std::make_unique<CalibratePass>();
}
