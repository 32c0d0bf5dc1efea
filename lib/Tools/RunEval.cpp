//===- RunEval.cpp - qlc-run: accuracy over a data set --------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// --eval data.npz reads samples x (axis 0) and labels y (class indices, or
// one-hot / scores whose argmax is the class), runs the model batch by
// batch and reports top-1 accuracy of the first output (argmax over its
// last axis). Samples stream through DatasetReader, so memory holds one
// batch whatever the size of the data set, and --limit N reads only the
// first N samples. A model whose batch dimension is fixed runs with that
// size; a final partial batch is then zero-padded and the padding ignored.
// Progress goes to stderr: a redrawn bar on a terminal, otherwise a plain
// line per tenth of the data.
//
//===----------------------------------------------------------------------===//

#include "RunSupport.h"
#include "qlc/IO/Dataset.h"
#include "qlc/Support/Error.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/Process.h"

#include <cstring>

using namespace qlc;
using namespace qlc::run;

namespace {
/// The data set, checked against the model's input.
struct Dataset {
  std::unique_ptr<DatasetReader> reader;
  int64_t count = 0; // samples to evaluate (after --limit)
  int64_t batch = 0; // rows per run
  bool fixedBatch = false;
};

class Progress {
public:
  explicit Progress(int64_t total)
      : total(total), tty(llvm::sys::Process::StandardErrIsDisplayed()) {}
  void update(int64_t done, int64_t correct) {
    if (tty) {
      int width = 30, filled = static_cast<int>(width * done / total);
      llvm::errs() << "\r[" << std::string(filled, '#')
                   << std::string(width - filled, ' ') << "] " << done << "/"
                   << total << " accuracy "
                   << llvm::format("%.2f%%  ", 100.0 * correct / done);
      if (done == total)
        llvm::errs() << "\n";
    } else if (done * 10 / total > lastTenth || done == total) {
      lastTenth = done * 10 / total;
      llvm::errs() << "eval: " << done << "/" << total << " samples\n";
    }
    llvm::errs().flush();
  }

private:
  int64_t total;
  bool tty;
  int64_t lastTenth = 0;
};
} // namespace

/// The rows per run for `m`: its fixed batch dimension, else `requested`.
static llvm::Expected<int64_t> batchFor(const LoadedModel &m, int64_t requested,
                                        bool &fixed) {
  if (m.inputs.size() != 1)
    return makeError(m.path +
                     ": --eval needs a model with one input, this "
                     "one has " +
                     llvm::Twine(m.inputs.size()));
  const TensorType &type = m.inputs.front()->getType();
  fixed = type.hasRank() && type.getRank() > 0 && type.getDims()[0].isKnown();
  int64_t batch = fixed ? type.getDims()[0].size : requested;
  if (batch <= 0)
    return makeError(m.path + ": batch size must be positive");
  return batch;
}

static llvm::Expected<Dataset> loadDataset(const LoadedModel &m,
                                           const EvalOptions &options) {
  const std::string &file = options.dataPath;
  // Errors of open() already name the file.
  auto reader = DatasetReader::open(file);
  if (!reader)
    return reader.takeError();
  if (!(*reader)->hasLabels())
    return makeError(file + ": expected arrays 'x' (samples) and 'y' "
                            "(labels)");
  Dataset d;
  auto batch = batchFor(m, options.batch, d.fixedBatch);
  if (!batch)
    return batch.takeError();
  d.batch = *batch;
  d.count = (*reader)->getNumSamples();
  if (options.limit > 0)
    d.count = std::min(d.count, options.limit);
  // Check one batch-shaped sample against the declared type up front.
  Shape probe{d.batch};
  probe.append((*reader)->getSampleShape().begin(),
               (*reader)->getSampleShape().end());
  if (llvm::Error err = checkInputTensor(
          *m.inputs.front(), (*reader)->getElementType(), probe,
          m.inputQuantisation.count(m.inputs.front()->getName().str()) != 0))
    return addErrorContext(std::move(err), file + ": array 'x'");
  d.reader = std::move(*reader);
  return d;
}

/// `x` zero-padded along axis 0 to `batch` rows.
static Tensor padBatch(const Tensor &x, int64_t batch) {
  Shape shape(x.getShape().begin(), x.getShape().end());
  shape[0] = batch;
  Tensor t(x.getElementType(), shape);
  if (x.getByteSize())
    std::memcpy(t.getMutableRawData(), x.getRawData(), x.getByteSize());
  return t;
}

/// Counts correct top-1 predictions of the first output over `rows` rows.
static llvm::Expected<int64_t> countCorrect(const LoadedModel &m,
                                            const TensorMap &results,
                                            llvm::ArrayRef<int64_t> labels,
                                            int64_t rows, int64_t batch) {
  const std::string &name = m.outputNames.front();
  const Tensor &out = results.at(name);
  std::vector<int64_t> pred = argmaxLastAxis(out);
  if (static_cast<int64_t>(pred.size()) != batch)
    return makeError(m.path + ": output '" + name + "' has shape " +
                     formatShape(out.getShape()) +
                     ": expected one row of "
                     "class scores per sample (" +
                     llvm::Twine(batch) + ")");
  int64_t correct = 0;
  for (int64_t r = 0; r < rows; ++r)
    correct += pred[r] == labels[r];
  return correct;
}

static void printAccuracy(llvm::raw_ostream &os, llvm::StringRef path,
                          int64_t correct, int64_t total) {
  os << path << ": top-1 accuracy "
     << llvm::format("%.2f%%", 100.0 * correct / total) << " (" << correct
     << "/" << total << ")\n";
}

llvm::Error run::runEvaluation(LoadedModel &m, LoadedModel *other,
                               const EvalOptions &options,
                               llvm::raw_ostream &os) {
  auto data = loadDataset(m, options);
  if (!data)
    return data.takeError();
  llvm::Optional<OutputComparison> comparison;
  int64_t batchOther = data->batch;
  if (other) {
    bool fixedOther = false;
    auto b = batchFor(*other, options.batch, fixedOther);
    if (!b)
      return b.takeError();
    batchOther = *b;
    auto c = OutputComparison::create(m, *other);
    if (!c)
      return c.takeError();
    comparison = std::move(*c);
  }
  if (data->count == 0)
    return makeError(options.dataPath + ": the data set is empty");
  if (data->fixedBatch && data->batch != options.batch)
    llvm::errs() << "note: " << m.path << " has a fixed batch size of "
                 << data->batch << "; running batches of that size\n";
  // Both models must see the same batches; the first one's size rules and
  // the other must accept it.
  if (other && batchOther != data->batch)
    return makeError(other->path + ": batch size " + llvm::Twine(batchOther) +
                     " differs from " + llvm::Twine(data->batch) + " of " +
                     m.path);
  std::string inputName = m.inputs.front()->getName().str();
  int64_t correct = 0, correctOther = 0;
  Progress progress(data->count);
  for (int64_t done = 0; done < data->count;) {
    int64_t rows = std::min(data->batch, data->count - done);
    int64_t runRows = data->fixedBatch ? data->batch : rows;
    std::vector<int64_t> labels;
    auto x = data->reader->next(rows, &labels);
    if (!x)
      return x.takeError();
    if (x->getDim(0) != rows)
      return makeError(options.dataPath + ": the data set ended early");
    TensorMap inputs;
    inputs[inputName] = rows == runRows ? std::move(*x) : padBatch(*x, runRows);
    auto results = runModel(m, inputs);
    if (!results)
      return results.takeError();
    auto c = countCorrect(m, *results, labels, rows, runRows);
    if (!c)
      return c.takeError();
    correct += *c;
    if (other) {
      TensorMap otherInputs;
      const Value &otherInput = *other->inputs.front();
      otherInputs[otherInput.getName().str()] =
          other->inputQuantisation.count(otherInput.getName().str())
              ? inputs[inputName] // runModel quantises float data
              : convertForInput(otherInput, inputs[inputName]);
      auto resultsOther = runModel(*other, otherInputs);
      if (!resultsOther)
        return resultsOther.takeError();
      auto co = countCorrect(*other, *resultsOther, labels, rows, runRows);
      if (!co)
        return co.takeError();
      correctOther += *co;
      if (llvm::Error err =
              comparison->add(*results, *resultsOther, rows, runRows))
        return err;
    }
    done += rows;
    progress.update(done, correct);
  }
  printAccuracy(os, m.path, correct, data->count);
  if (other) {
    printAccuracy(os, other->path, correctOther, data->count);
    comparison->print(os);
  }
  return llvm::Error::success();
}
