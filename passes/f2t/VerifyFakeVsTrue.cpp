//===- VerifyFakeVsTrue.cpp - Compare a fake-quantised model with its F2T
// program ===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "f2t/VerifyFakeVsTrue.h"
#include "f2t/EpsAnalysis.h"

#include "qlc/IO/Dataset.h"
#include "qlc/Interp/Interpreter.h"
#include "qlc/Quant/InputQuantisation.h"
#include "qlc/Support/Error.h"

#include "llvm/Support/Format.h"

#include <cmath>
#include <map>

using namespace qlc;
using namespace qlc::f2t;

namespace {

/// Differences of one integer tensor from its fake namesake, in quanta.
struct TensorDiff {
  std::string name;
  bool isImage = false; ///< a requantised activation (<= 16 bits)
  double maxQuanta = 0;
  int64_t differing = 0; ///< elements more than half a quantum apart
  int64_t elements = 0;
};

struct OutputDiff {
  std::string name;
  double maxAbs = 0;
  int64_t agree = 0, rows = 0;
};

/// Argmax over the last axis, one per row.
std::vector<int64_t> argmaxRows(const std::vector<double> &v, int64_t cols) {
  std::vector<int64_t> out;
  for (size_t r = 0; cols > 0 && r + cols <= v.size(); r += cols) {
    int64_t best = 0;
    for (int64_t c = 1; c < cols; ++c)
      if (v[r + c] > v[r + best])
        best = c;
    out.push_back(best);
  }
  return out;
}

/// The eps of each element of a tensor of `shape` under quantum `q`.
double epsAt(const Quantum &q, llvm::ArrayRef<int64_t> shape, int64_t i) {
  if (q.isPerTensor())
    return q.eps[0];
  int64_t inner = 1;
  for (size_t d = q.axis + 1; d < shape.size(); ++d)
    inner *= shape[d];
  int64_t c = (i / inner) % static_cast<int64_t>(q.eps.size());
  return q.eps[c];
}

class Verifier {
public:
  Verifier(const Model &fake, const Model &integer)
      : fake(fake), integer(integer) {}

  llvm::Error prepare() {
    InputQuantisation declared;
    for (Value *in : integer.getGraph().getInputs())
      if (auto info = readInputQuantisation(integer, in->getName())) {
        inputs[in->getName().str()] = *info;
        declared.eps = info->eps;
        declared.bits = info->grid.getBits() ? info->grid.getBits() : 8;
        declared.isSigned = info->grid.isSigned();
      }
    llvm::Expected<EpsAnalysis> a = EpsAnalysis::run(fake, declared);
    if (!a)
      return a.takeError();
    for (const Value &v : fake.getGraph().getValues())
      if (const Quantum *q = a->lookup(&v))
        quanta[v.getName().str()] = *q;
    InterpreterOptions opts;
    opts.keepAllValues = true;
    fakeRun = std::make_unique<Interpreter>(fake, opts);
    intRun = std::make_unique<Interpreter>(integer, opts);
    if (llvm::Error err = fakeRun->prepare())
      return addErrorContext(std::move(err), "the fake-quantised model");
    return intRun->prepare();
  }

  llvm::Error runBatch(const Tensor &x) {
    const Value *fakeIn = nullptr;
    for (Value *in : fake.getGraph().getInputs())
      if (!in->isInitializer())
        fakeIn = fakeIn ? fakeIn : in;
    const Value *intIn = nullptr;
    for (Value *in : integer.getGraph().getInputs())
      if (!in->isInitializer())
        intIn = intIn ? intIn : in;
    if (!fakeIn || !intIn)
      return makeError("the models need one data input");
    TensorMap fakeInputs{{fakeIn->getName().str(), x}};
    Tensor xi = x;
    auto it = inputs.find(intIn->getName().str());
    if (it != inputs.end()) {
      llvm::Expected<Tensor> q =
          quantizeInput(x, it->second, intIn->getElementType());
      if (!q)
        return q.takeError();
      xi = std::move(*q);
    }
    TensorMap intInputs{{intIn->getName().str(), std::move(xi)}};
    llvm::Expected<TensorMap> f = fakeRun->run(fakeInputs);
    if (!f)
      return addErrorContext(f.takeError(), "the fake-quantised model");
    llvm::Expected<TensorMap> t = intRun->run(intInputs);
    if (!t)
      return addErrorContext(t.takeError(), "the integer program");
    compareTensors(*f, *t);
    compareOutputs(*f, *t);
    return llvm::Error::success();
  }

  void compareTensors(const TensorMap &f, const TensorMap &t) {
    for (const Node &n : integer.getGraph().getNodes())
      for (const Value *v : n.getResults()) {
        std::string name = v->getName().str();
        auto ti = t.find(name), fi = f.find(name);
        auto qi = quanta.find(name);
        if (ti == t.end() || fi == f.end() || qi == quanta.end() ||
            !isIntegerType(ti->second.getElementType()) ||
            ti->second.getShape() != fi->second.getShape())
          continue;
        TensorDiff &d = diffFor(name);
        ElementType et = ti->second.getElementType();
        d.isImage = et != ElementType::Int32 && et != ElementType::Int64;
        std::vector<double> iv = ti->second.toDoubles();
        std::vector<double> fv = fi->second.toDoubles();
        llvm::ArrayRef<int64_t> shape = ti->second.getShape();
        for (size_t i = 0; i < iv.size(); ++i) {
          double e = epsAt(qi->second, shape, static_cast<int64_t>(i));
          double q = std::fabs(fv[i] / e - iv[i]);
          d.maxQuanta = std::max(d.maxQuanta, q);
          d.differing += q > 0.5;
        }
        d.elements += static_cast<int64_t>(iv.size());
      }
  }

  void compareOutputs(const TensorMap &f, const TensorMap &t) {
    for (const Value *out : integer.getGraph().getOutputs()) {
      std::string name = out->getName().str();
      auto ti = t.find(name), fi = f.find(name);
      if (ti == t.end() || fi == f.end() ||
          ti->second.getShape() != fi->second.getShape() ||
          !isFloatType(ti->second.getElementType()))
        continue;
      OutputDiff &d = outputFor(name);
      std::vector<double> a = ti->second.toDoubles(),
                          b = fi->second.toDoubles();
      for (size_t i = 0; i < a.size(); ++i)
        d.maxAbs = std::max(d.maxAbs, std::fabs(a[i] - b[i]));
      llvm::ArrayRef<int64_t> shape = ti->second.getShape();
      int64_t cols = shape.empty() ? 1 : shape.back();
      std::vector<int64_t> ta = argmaxRows(a, cols), tb = argmaxRows(b, cols);
      for (size_t r = 0; r < ta.size(); ++r)
        d.agree += ta[r] == tb[r];
      d.rows += static_cast<int64_t>(ta.size());
    }
  }

  llvm::json::Value summarise(llvm::raw_ostream &os, int64_t samples,
                              llvm::StringRef data) const {
    os << "verify-fake-vs-true: " << samples << " samples of " << data << "\n";
    const TensorDiff *first = nullptr, *worst = nullptr;
    llvm::json::Array tensors;
    for (const TensorDiff &d : diffs) {
      if (!first && d.differing)
        first = &d;
      if (d.isImage && (!worst || d.maxQuanta > worst->maxQuanta))
        worst = &d;
      tensors.push_back(llvm::json::Object{{"name", d.name},
                                           {"max_quanta", d.maxQuanta},
                                           {"activation", d.isImage},
                                           {"differing", d.differing},
                                           {"elements", d.elements}});
    }
    os << "  " << diffs.size() << " integer tensors compared";
    if (first)
      os << "; first divergent: '" << first->name << "' (" << first->differing
         << " of " << first->elements << " elements, up to "
         << llvm::format("%.3g", first->maxQuanta) << " quanta)";
    else
      os << "; none differs by more than half a quantum";
    os << "\n";
    if (worst)
      os << "  largest difference of a requantised activation: '" << worst->name
         << "', " << llvm::format("%.3g", worst->maxQuanta) << " quanta\n";
    llvm::json::Array outputs;
    for (const OutputDiff &d : outs) {
      double pct = d.rows ? 100.0 * d.agree / d.rows : 100.0;
      os << "  output '" << d.name << "': top-1 agreement " << d.agree << "/"
         << d.rows << " (" << llvm::format("%.2f", pct) << "%), max abs error "
         << llvm::format("%.6g", d.maxAbs) << "\n";
      outputs.push_back(llvm::json::Object{{"name", d.name},
                                           {"top1_agree", d.agree},
                                           {"rows", d.rows},
                                           {"max_abs_error", d.maxAbs}});
    }
    llvm::json::Object r{{"samples", samples},
                         {"tensors", std::move(tensors)},
                         {"outputs", std::move(outputs)}};
    if (first)
      r["first_divergent"] = first->name;
    if (worst)
      r["max_activation_quanta"] = worst->maxQuanta;
    return r;
  }

private:
  TensorDiff &diffFor(const std::string &name) {
    for (TensorDiff &d : diffs)
      if (d.name == name)
        return d;
    diffs.push_back(TensorDiff{name});
    return diffs.back();
  }
  OutputDiff &outputFor(const std::string &name) {
    for (OutputDiff &d : outs)
      if (d.name == name)
        return d;
    outs.push_back(OutputDiff{name});
    return outs.back();
  }

  const Model &fake;
  const Model &integer;
  std::map<std::string, InputQuantisationInfo> inputs;
  std::map<std::string, Quantum> quanta;
  std::unique_ptr<Interpreter> fakeRun, intRun;
  std::vector<TensorDiff> diffs; // in the program's topological order
  std::vector<OutputDiff> outs;
};

} // namespace

llvm::Expected<llvm::json::Value>
f2t::verifyFakeVsTrue(const Model &fake, const Model &integer,
                      const VerifyOptions &options, llvm::raw_ostream &os) {
  if (options.samples < 1 || options.batch < 1)
    return makeError("verify-fake-vs-true: samples and batch must be positive");
  llvm::Expected<std::unique_ptr<DatasetReader>> reader =
      DatasetReader::open(options.dataPath);
  if (!reader)
    return addErrorContext(reader.takeError(), options.dataPath);
  Verifier v(fake, integer);
  if (llvm::Error err = v.prepare())
    return err;
  // A model with a fixed batch size takes exactly that many samples a run.
  int64_t batch = options.batch;
  for (const Value *in : fake.getGraph().getInputs())
    if (!in->isInitializer() && in->getType().hasRank() &&
        in->getType().getRank() > 0 && in->getType().getDims()[0].isKnown())
      batch = in->getType().getDims()[0].size;
  int64_t done = 0;
  while (done < options.samples) {
    llvm::Expected<Tensor> x =
        (*reader)->next(std::min(batch, options.samples - done));
    if (!x)
      return addErrorContext(x.takeError(), options.dataPath);
    if (x->getShape().empty() || x->getShape()[0] == 0)
      break;
    if (llvm::Error err = v.runBatch(*x))
      return addErrorContext(std::move(err), options.dataPath);
    done += x->getShape()[0];
  }
  if (done == 0)
    return makeError(options.dataPath + ": no samples");
  return v.summarise(os, done, options.dataPath);
}
