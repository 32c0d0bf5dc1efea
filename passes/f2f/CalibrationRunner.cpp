//===- CalibrationRunner.cpp - Feed data, gather statistics ---------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "f2f/CalibrationRunner.h"

#include "qlc/IO/Dataset.h"
#include "qlc/Interp/Interpreter.h"
#include "qlc/Quant/FakeQuantOp.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <thread>

using namespace qlc;
using namespace qlc::f2f;

namespace {

/// Streams the observed values into their groups' statistics.
class StatisticsObserver : public ExecutionObserver {
public:
  void watch(const Value *v, ObservedGroup *group) {
    targets[v].push_back(group);
  }
  void onValueComputed(const Value &value, const Tensor &tensor) override {
    auto it = targets.find(&value);
    if (it == targets.end())
      return;
    if (tensor.getElementType() == ElementType::Float) {
      for (ObservedGroup *g : it->second)
        g->stats.add(tensor.getData<float>());
      return;
    }
    Tensor f = tensor.castTo(ElementType::Float);
    for (ObservedGroup *g : it->second)
      g->stats.add(f.getData<float>());
  }

private:
  llvm::DenseMap<const Value *, llvm::SmallVector<ObservedGroup *, 1>> targets;
};

class Progress {
public:
  Progress(int64_t total, const CalibrationConfig &config)
      : total(total), bar(config.progress), quiet(config.quiet) {}
  void update(int64_t done) {
    if (quiet || total == 0)
      return;
    if (bar) {
      int width = 30, filled = static_cast<int>(width * done / total);
      llvm::errs() << "\rcalibrate [" << std::string(filled, '#')
                   << std::string(width - filled, ' ') << "] " << done << "/"
                   << total << (done == total ? "\n" : "");
    } else if (done * 10 / total > lastTenth || done == total) {
      lastTenth = done * 10 / total;
      llvm::errs() << "calibrate: " << done << "/" << total << " samples\n";
    }
    llvm::errs().flush();
  }

private:
  int64_t total;
  bool bar, quiet;
  int64_t lastTenth = 0;
};

/// Replaces each weight quantiser by its constant result, so the weights are
/// not re-quantised on every calibration batch.
llvm::Error foldWeightQuantisers(Graph &graph) {
  for (auto it = graph.getNodes().begin(); it != graph.getNodes().end();) {
    Node &fq = *it++;
    if (!isFakeQuant(fq) || !fq.getInput(0)->isInitializer() ||
        !fq.getInput(1)->isInitializer())
      continue;
    llvm::Expected<FakeQuantAttrs> attrs = readFakeQuantAttrs(fq);
    if (!attrs)
      return attrs.takeError();
    llvm::Expected<Tensor> w = applyFakeQuant(
        *fq.getInput(0)->getConstant(), *fq.getInput(1)->getConstant(), *attrs);
    if (!w)
      return makeNodeError(fq, llvm::toString(w.takeError()));
    Value *folded = graph.addInitializer(
        graph.makeUniqueName(fq.getResult(0)->getName()), std::move(*w));
    graph.replaceAllUsesWith(fq.getResult(0), folded);
    graph.eraseNode(&fq);
  }
  return llvm::Error::success();
}

/// A copy of `model` with every observed quantiser bypassed; `observer`
/// learns which copied value feeds which group.
llvm::Expected<std::unique_ptr<Model>>
buildCalibrationModel(const Model &model, std::vector<ObservedGroup> &groups,
                      StatisticsObserver &observer) {
  std::unique_ptr<Model> copy = model.clone();
  Graph &graph = copy->getGraph();
  llvm::DenseMap<const Node *, ObservedGroup *> groupOf;
  for (ObservedGroup &g : groups)
    for (Node *fq : g.quantisers)
      groupOf[fq] = &g;
  // In graph order, so that a quantiser reading a bypassed one resolves to
  // the value the bypassed one read.
  llvm::StringMap<std::string> alias;
  for (const Node &fq : model.getGraph().getNodes()) {
    ObservedGroup *group = groupOf.lookup(&fq);
    if (!group)
      continue;
    std::string inName = fq.getInput(0)->getName().str();
    if (alias.count(inName))
      inName = alias[inName];
    Value *out = graph.lookupValue(fq.getResult(0)->getName());
    Value *in = graph.lookupValue(inName);
    if (!out || !in || !out->getDefiningNode())
      return makeNodeError(fq, "cannot find this quantiser in the "
                               "calibration copy");
    Node *copied = out->getDefiningNode();
    Value *copiedIn = copied->getInput(0);
    alias[fq.getResult(0)->getName()] = copiedIn->getName().str();
    graph.replaceAllUsesWith(out, copiedIn);
    graph.eraseNode(copied);
    observer.watch(copiedIn, group);
  }
  if (llvm::Error err = foldWeightQuantisers(graph))
    return err;
  return copy;
}

/// The single data input of the model.
llvm::Expected<const Value *> getDataInput(const Model &model) {
  const Value *input = nullptr;
  for (const Value *v : model.getGraph().getInputs()) {
    if (v->isInitializer())
      continue;
    if (input)
      return makeError("calibration needs a model with one input; '" +
                       input->getName() + "' and '" + v->getName() +
                       "' are both inputs");
    input = v;
  }
  if (!input)
    return makeError("the model has no input to feed calibration data to");
  return input;
}

/// Checks that batches of `batch` samples fit the input type.
llvm::Error checkSampleShape(const DatasetReader &data, const Value &input,
                             int64_t batch) {
  const TensorType &type = input.getType();
  llvm::ArrayRef<int64_t> sample = data.getSampleShape();
  Shape batchShape{batch};
  batchShape.append(sample.begin(), sample.end());
  if (type.admitsShape(batchShape))
    return llvm::Error::success();
  return makeError(data.getPath() + ": samples of shape " +
                   formatShape(sample) + " do not fit input '" +
                   input.getName() + "' of type " + type.str());
}

} // namespace

llvm::Expected<int64_t>
qlc::f2f::runCalibration(const Model &model, std::vector<ObservedGroup> &groups,
                         const CalibrationConfig &config) {
  llvm::Expected<const Value *> input = getDataInput(model);
  if (!input)
    return input.takeError();
  const TensorType &type = (*input)->getType();
  DatasetOptions dataOptions;
  dataOptions.sampleRank = type.hasRank() ? type.getRank() - 1 : -1;
  auto data = DatasetReader::open(config.dataPath, dataOptions);
  if (!data)
    return addErrorContext(data.takeError(), "calibration data");
  // A model with a fixed batch dimension takes exactly that many rows.
  int64_t batch = config.batchSize;
  bool fixedBatch =
      type.hasRank() && type.getRank() > 0 && type.getDims()[0].isKnown();
  if (fixedBatch)
    batch = type.getDims()[0].size;
  if (llvm::Error err = checkSampleShape(**data, **input, batch))
    return err;
  int64_t total = (*data)->getNumSamples();
  if (config.maxSamples > 0)
    total = std::min(total, config.maxSamples);
  if (fixedBatch)
    total -= total % batch;
  if (total <= 0)
    return makeError(config.dataPath + ": no calibration samples" +
                     (fixedBatch ? " (the model takes batches of " +
                                       std::to_string(batch) + ")"
                                 : std::string()));

  StatisticsObserver observer;
  auto copy = buildCalibrationModel(model, groups, observer);
  if (!copy)
    return copy.takeError();
  InterpreterOptions options;
  options.threads = config.threads
                        ? config.threads
                        : std::max(1u, std::thread::hardware_concurrency());
  Interpreter interpreter(**copy, options);
  if (llvm::Error err = interpreter.prepare())
    return err;

  ElementType inputType = type.getElementType();
  Progress progress(total, config);
  int64_t done = 0;
  while (done < total) {
    llvm::Expected<Tensor> x = (*data)->next(std::min(batch, total - done));
    if (!x)
      return addErrorContext(x.takeError(), "calibration data");
    int64_t rows = x->getRank() ? x->getDim(0) : 0;
    if (rows == 0)
      break;
    TensorMap inputs;
    inputs[(*input)->getName().str()] =
        inputType != ElementType::Undefined && x->getElementType() != inputType
            ? x->castTo(inputType)
            : std::move(*x);
    llvm::Expected<TensorMap> outputs = interpreter.run(inputs, &observer);
    if (!outputs)
      return addErrorContext(outputs.takeError(),
                             "calibration run at sample " + llvm::Twine(done));
    done += rows;
    progress.update(done);
  }
  return done;
}
