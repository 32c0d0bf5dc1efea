//===- RunMain.cpp - The qlc-run driver -----------------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Parses the command line (options live in a struct created inside
// qlcRunMain, never as globals, so qlc-opt's options in the same libraries
// cannot collide), loads the model(s) and dispatches to a single run, an
// evaluation over a data set (RunEval.cpp) or a timing loop. Every result
// file is written only once all computation has succeeded, each atomically.
//
//===----------------------------------------------------------------------===//

#include "qlc/Tools/RunMain.h"
#include "RunSupport.h"

#include "qlc/Quant/InputQuantisation.h"
#include "qlc/Support/Error.h"
#include "qlc/Tools/ToolUtils.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <sys/resource.h>

using namespace qlc;
using namespace qlc::run;
namespace cl = llvm::cl;

namespace {
struct RunOptions {
  cl::OptionCategory category{"qlc-run options"};
  cl::opt<std::string> model{cl::Positional, cl::desc("<model>"),
                             cl::cat(category)};
  cl::list<std::string> inputs{
      "input",
      cl::desc("Input tensor from a .npy or TensorProto .pb file (NAME=FILE, "
               "or FILE for a model with one input); repeatable"),
      cl::value_desc("name=file"), cl::cat(category)};
  cl::opt<bool> randomInputs{
      "random-inputs",
      cl::desc("Fill inputs not given with random data (floats uniform in "
               "[--random-min, --random-max), 8-bit integers over their "
               "range, wider integers in [0, 10); unknown dimensions = 1)"),
      cl::cat(category)};
  cl::opt<uint64_t> seed{"seed", cl::desc("Seed of --random-inputs"),
                         cl::init(0), cl::cat(category)};
  cl::opt<double> randomMin{"random-min", cl::init(-1.0),
                            cl::desc("Lower bound of random float inputs"),
                            cl::cat(category)};
  cl::opt<double> randomMax{"random-max", cl::init(1.0),
                            cl::desc("Upper bound of random float inputs"),
                            cl::cat(category)};
  cl::opt<std::string> saveInputs{
      "save-inputs", cl::desc("Write the inputs used as DIR/NAME.npy"),
      cl::value_desc("dir"), cl::cat(category)};
  cl::opt<std::string> outputDir{
      "output-dir",
      cl::desc("Write outputs as DIR/NAME.npy instead of printing a summary"),
      cl::value_desc("dir"), cl::cat(category)};
  cl::opt<std::string> dumpAll{
      "dump-all", cl::desc("Write every intermediate tensor as DIR/NAME.npy"),
      cl::value_desc("dir"), cl::cat(category)};
  cl::opt<std::string> eval{
      "eval",
      cl::desc("Top-1 accuracy over a .npz with samples 'x' and labels 'y'"),
      cl::value_desc("data.npz"), cl::cat(category)};
  cl::opt<int64_t> batch{"batch",
                         cl::desc("Batch size of --eval (a fixed batch "
                                  "dimension of the model wins)"),
                         cl::init(64), cl::cat(category)};
  cl::opt<int64_t> limit{"limit", cl::desc("Evaluate only the first N samples"),
                         cl::init(0), cl::cat(category)};
  cl::opt<std::string> compare{
      "compare",
      cl::desc("Run a second model on the same inputs and report the error "
               "of <model> against it"),
      cl::value_desc("model"), cl::cat(category)};
  cl::opt<std::string> doryGolden{
      "dory-golden",
      cl::desc("Run DIR/input.txt and compare every fused DORY layer with "
               "DIR/out_layer{i}.txt (a model from qlc-opt --import-dory)"),
      cl::value_desc("dir"), cl::cat(category)};
  cl::opt<unsigned> threads{"threads", cl::desc("Threads per kernel"),
                            cl::init(1), cl::cat(category)};
  cl::opt<unsigned> timeRuns{
      "time-runs",
      cl::desc("After the first run, run N more times and print the median "
               "time, throughput and peak memory"),
      cl::value_desc("n"), cl::init(0), cl::cat(category)};
  cl::opt<bool> listOps{"list-ops",
                        cl::desc("List the ops the interpreter supports"),
                        cl::cat(category)};
};
} // namespace

llvm::Expected<LoadedModel>
run::loadRunnableModel(llvm::StringRef path, const InterpreterOptions &opts) {
  LoadedModel m;
  m.path = path.str();
  auto model = loadModel(path);
  if (!model)
    return addErrorContext(model.takeError(), path);
  m.model = std::move(*model);
  const Graph &graph = m.model->getGraph();
  for (const Value *v : graph.getInputs())
    if (v->isGraphInput()) {
      m.inputs.push_back(v);
      if (isIntegerType(v->getElementType()))
        if (auto q = readInputQuantisation(*m.model, v->getName()))
          m.inputQuantisation[v->getName().str()] = *q;
    }
  for (const Value *v : graph.getOutputs())
    m.outputNames.push_back(v->getName().str());
  m.interpreter = std::make_unique<Interpreter>(*m.model, opts);
  if (llvm::Error err = m.interpreter->prepare())
    return addErrorContext(std::move(err), path);
  return m;
}

/// Float data for an integer input of an F2T program becomes the integer
/// image the model's metadata describes (qlc.input_quant.<name>).
static llvm::Expected<TensorMap> quantiseInputs(const LoadedModel &m,
                                                const TensorMap &inputs) {
  TensorMap out;
  for (const auto &[name, t] : inputs) {
    auto it = m.inputQuantisation.find(name);
    if (it == m.inputQuantisation.end() || !isFloatType(t.getElementType())) {
      out[name] = t;
      continue;
    }
    const Value *input = m.model->getGraph().lookupValue(name);
    auto q = quantizeInput(t, it->second, input->getElementType());
    if (!q)
      return addErrorContext(q.takeError(), m.path + ": input '" + name + "'");
    out[name] = std::move(*q);
  }
  return out;
}

llvm::Expected<TensorMap> run::runModel(LoadedModel &m,
                                        const TensorMap &inputs) {
  if (!m.inputQuantisation.empty()) {
    auto quantised = quantiseInputs(m, inputs);
    if (!quantised)
      return quantised.takeError();
    auto results = m.interpreter->run(*quantised);
    if (!results)
      return addErrorContext(results.takeError(), m.path);
    return results;
  }
  auto results = m.interpreter->run(inputs);
  if (!results)
    return addErrorContext(results.takeError(), m.path);
  return results;
}

/// Milliseconds of CPU time used by the whole process so far.
static double processCpuMs() {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

llvm::Error run::runTiming(LoadedModel &m, const TensorMap &inputs,
                           unsigned runs, llvm::raw_ostream &os) {
  // Wall time, and CPU time, which other processes on a busy machine do
  // not inflate.
  std::vector<double> wallMs, cpuMs;
  for (unsigned i = 0; i < runs; ++i) {
    double cpuStart = processCpuMs();
    auto start = std::chrono::steady_clock::now();
    auto results = runModel(m, inputs);
    auto stop = std::chrono::steady_clock::now();
    double cpuStop = processCpuMs();
    if (!results)
      return results.takeError();
    wallMs.push_back(
        std::chrono::duration<double, std::milli>(stop - start).count());
    cpuMs.push_back(cpuStop - cpuStart);
  }
  double wall = median(wallMs), cpu = median(cpuMs);
  int64_t batch = 1;
  if (!m.inputs.empty()) {
    const Tensor &first = inputs.at(m.inputs.front()->getName().str());
    batch = first.getRank() ? first.getDim(0) : 1;
  }
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  os << "timing: " << runs << " runs, batch " << batch << ", median "
     << llvm::format("%.3f", wall) << " ms (CPU " << llvm::format("%.3f", cpu)
     << " ms), min "
     << llvm::format("%.3f", *std::min_element(wallMs.begin(), wallMs.end()))
     << " ms, " << llvm::format("%.1f", batch * 1000.0 / wall)
     << " inferences/s (CPU " << llvm::format("%.1f", batch * 1000.0 / cpu)
     << ")\n"
     << "peak RSS: " << usage.ru_maxrss << " KiB\n";
  return llvm::Error::success();
}

/// Inputs of model A renamed for model B: by name when B has the same
/// input names, else by position; converted to B's element types.
static llvm::Expected<TensorMap>
inputsFor(const LoadedModel &a, const LoadedModel &b, const TensorMap &inputs) {
  if (a.inputs.size() != b.inputs.size())
    return makeError(b.path + ": has " + llvm::Twine(b.inputs.size()) +
                     " inputs, " + a.path + " has " +
                     llvm::Twine(a.inputs.size()));
  TensorMap out;
  bool byName = llvm::all_of(b.inputs, [&](const Value *v) {
    return inputs.count(v->getName().str()) != 0;
  });
  for (size_t i = 0; i < b.inputs.size(); ++i) {
    std::string from =
        byName ? b.inputs[i]->getName().str() : a.inputs[i]->getName().str();
    const Tensor &t = inputs.at(from);
    // Float data for an F2T program is quantised by runModel.
    bool quantised = b.inputQuantisation.count(b.inputs[i]->getName().str()) &&
                     isFloatType(t.getElementType());
    out[b.inputs[i]->getName().str()] =
        quantised ? t : convertForInput(*b.inputs[i], t);
  }
  return out;
}

static NamedTensorRefs refsOf(const LoadedModel &m, const TensorMap &map,
                              bool inputsOnly) {
  NamedTensorRefs refs;
  if (inputsOnly) {
    for (const Value *v : m.inputs)
      refs.emplace_back(v->getName().str(), &map.at(v->getName().str()));
    return refs;
  }
  for (const auto &kv : map)
    refs.emplace_back(kv.first, &kv.second);
  return refs;
}

/// One run on given or random inputs (optionally compared and timed).
static llvm::Error runOnce(const RunOptions &opts, LoadedModel &m,
                           LoadedModel *other) {
  InputOptions io;
  io.specs.assign(opts.inputs.begin(), opts.inputs.end());
  io.random = opts.randomInputs;
  io.seed = opts.seed;
  io.randomMin = opts.randomMin;
  io.randomMax = opts.randomMax;
  auto inputs = gatherInputs(m, io);
  if (!inputs)
    return inputs.takeError();
  auto results = runModel(m, *inputs);
  if (!results)
    return results.takeError();
  llvm::Optional<OutputComparison> comparison;
  if (other) {
    auto otherInputs = inputsFor(m, *other, *inputs);
    if (!otherInputs)
      return otherInputs.takeError();
    auto otherResults = runModel(*other, *otherInputs);
    if (!otherResults)
      return otherResults.takeError();
    auto c = OutputComparison::create(m, *other);
    if (!c)
      return c.takeError();
    if (llvm::Error err = c->add(*results, *otherResults))
      return err;
    comparison = std::move(*c);
  }
  if (opts.timeRuns)
    if (llvm::Error err = runTiming(m, *inputs, opts.timeRuns, llvm::outs()))
      return err;
  // Everything is computed: now write files.
  if (!opts.saveInputs.empty())
    if (llvm::Error err =
            writeTensorsToDir(opts.saveInputs, refsOf(m, *inputs, true)))
      return err;
  NamedTensorRefs outputs = orderedOutputs(m, *results);
  if (!opts.dumpAll.empty())
    if (llvm::Error err =
            writeTensorsToDir(opts.dumpAll, refsOf(m, *results, false)))
      return err;
  if (!opts.outputDir.empty()) {
    if (llvm::Error err = writeTensorsToDir(opts.outputDir, outputs))
      return err;
  } else {
    printSummaries(outputs, llvm::outs());
  }
  if (comparison)
    comparison->print(llvm::outs());
  return llvm::Error::success();
}

/// Rejects option combinations that would be silently ignored.
static llvm::Error checkOptions(const RunOptions &opts) {
  if (opts.model.empty())
    return makeError("no model given (see --help)");
  if (opts.threads == 0)
    return makeError("--threads must be at least 1");
  if (opts.batch <= 0)
    return makeError("--batch must be positive");
  if (opts.limit < 0)
    return makeError("--limit must not be negative");
  if (opts.randomMin > opts.randomMax)
    return makeError("--random-min must not exceed --random-max");
  if (!opts.eval.empty() &&
      (!opts.inputs.empty() || opts.randomInputs || !opts.outputDir.empty() ||
       !opts.dumpAll.empty() || !opts.saveInputs.empty() || opts.timeRuns))
    return makeError("--eval reads its inputs from the data set and cannot "
                     "be combined with --input, --random-inputs, "
                     "--output-dir, --dump-all, --save-inputs or --time-runs");
  if (!opts.doryGolden.empty() &&
      (!opts.eval.empty() || !opts.inputs.empty() || opts.randomInputs ||
       !opts.compare.empty() || opts.timeRuns))
    return makeError("--dory-golden reads DIR/input.txt and cannot be "
                     "combined with --eval, --input, --random-inputs, "
                     "--compare or --time-runs");
  return llvm::Error::success();
}

/// Prints "error: FILE: message": errors of the run already name their file.
static int reportFileError(llvm::Error err) {
  llvm::WithColor::error(llvm::errs())
      << llvm::toString(std::move(err)) << "\n";
  return 1;
}

int qlc::qlcRunMain(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  RunOptions opts;
  cl::HideUnrelatedOptions(opts.category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "qlc-run: run an ONNX model with qlc's reference interpreter\n");
  if (opts.listOps) {
    for (const std::string &op : KernelRegistry::getDefault().listOps())
      llvm::outs() << op << "\n";
    return 0;
  }
  if (llvm::Error err = checkOptions(opts))
    return reportError("qlc-run", std::move(err));

  InterpreterOptions interpOpts;
  interpOpts.threads = opts.threads;
  interpOpts.keepAllValues = !opts.dumpAll.empty() || !opts.doryGolden.empty();
  auto m = loadRunnableModel(opts.model, interpOpts);
  if (!m)
    return reportFileError(m.takeError());
  llvm::Optional<LoadedModel> other;
  if (!opts.compare.empty()) {
    interpOpts.keepAllValues = false;
    auto loaded = loadRunnableModel(opts.compare, interpOpts);
    if (!loaded)
      return reportFileError(loaded.takeError());
    other = std::move(*loaded);
  }
  LoadedModel *otherPtr = other ? &*other : nullptr;
  llvm::Error err =
      !opts.doryGolden.empty()
          ? runDoryGoldenCheck(*m, opts.doryGolden, llvm::outs())
      : opts.eval.empty()
          ? runOnce(opts, *m, otherPtr)
          : runEvaluation(*m, otherPtr,
                          EvalOptions{opts.eval, opts.batch, opts.limit},
                          llvm::outs());
  if (err)
    return reportFileError(std::move(err));
  return 0;
}
