//===- BenchLightKernels.cpp - qlc-bench-light: light kernel throughput ---===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Times the interpreter's light kernels on activation-sized tensors of the
// kind calibration pushes through (a batch of 32 feature maps), each as a
// one-node model run by the Interpreter, so the figures include the
// interpreter's per-node overhead. For the broadcasting Add the table also
// shows a naive loop that recomputes every operand index from the output
// multi-index, the baseline the strided fast paths replace, and checks that
// both agree. Prints microseconds per run and GB/s of tensor traffic
// (bytes read + written) for 1 thread and for --threads N (default 2);
// --cpu-time reports process CPU time instead of wall time.
//
//===----------------------------------------------------------------------===//

#include "qlc/Interp/Interpreter.h"

#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <random>
#include <string>
#include <vector>

using namespace qlc;

namespace {

/// Process CPU time in seconds; with --cpu-time the table reports it
/// instead of wall time, which is steadier on a loaded machine (single
/// thread only: with N threads CPU time adds up over the threads).
double cpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) +
         static_cast<double>(ts.tv_nsec) * 1e-9;
}

bool useCpuTime = false;

double timeMicros(const std::function<void()> &fn, double minSeconds = 0.3) {
  using Clock = std::chrono::steady_clock;
  auto now = [] {
    return useCpuTime
               ? cpuSeconds()
               : std::chrono::duration<double>(Clock::now().time_since_epoch())
                     .count();
  };
  fn(); // warm-up
  int64_t iters = 0;
  double start = now(), elapsed = 0;
  while (elapsed < minSeconds || iters < 3) {
    fn();
    ++iters;
    elapsed = now() - start;
  }
  return elapsed * 1e6 / iters;
}

Tensor randomTensor(llvm::ArrayRef<int64_t> shape, std::mt19937 &rng) {
  Tensor t(ElementType::Float, shape);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  for (float &v : t.getMutableData<float>())
    v = dist(rng);
  return t;
}

struct Case {
  std::string name;
  std::string op;
  std::vector<Tensor> inputs; // input 0 is fed; the others are initializers
  std::vector<NamedAttribute> attrs;
  unsigned numOutputs = 1;
};

/// A one-node model: input 0 is a graph input, the others initializers.
std::unique_ptr<Model> buildModel(const Case &c) {
  auto model = std::make_unique<Model>();
  model->setOpsetVersion("", 17);
  Graph &g = model->getGraph();
  std::vector<Value *> operands;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    if (i == 0)
      operands.push_back(
          g.addInput("x", TensorType(c.inputs[0].getElementType(),
                                     c.inputs[0].getShape())));
    else if (c.inputs[i].isNull()) // an omitted optional input
      operands.push_back(nullptr);
    else
      operands.push_back(
          g.addInitializer("w" + std::to_string(i), c.inputs[i]));
  }
  std::vector<std::string> names;
  for (unsigned i = 0; i < c.numOutputs; ++i)
    names.push_back("y" + std::to_string(i));
  Node *n = g.createNode(c.op, operands, names);
  for (const NamedAttribute &a : c.attrs)
    n->setAttr(a.name, a.value);
  for (Value *r : n->getResults())
    g.addOutput(r);
  return model;
}

/// The broadcast Add written the obvious way: per element, the operand
/// offsets are recomputed from the output multi-index.
void naiveBroadcastAdd(const Tensor &a, const Tensor &b, Tensor &out) {
  llvm::ArrayRef<int64_t> shape = out.getShape();
  size_t rank = shape.size();
  std::vector<int64_t> sa(rank, 0), sb(rank, 0);
  auto strides = [&](llvm::ArrayRef<int64_t> s, std::vector<int64_t> &dst) {
    int64_t st = 1;
    for (size_t d = s.size(); d-- > 0;) {
      dst[rank - s.size() + d] = s[d] == 1 ? 0 : st;
      st *= s[d];
    }
  };
  strides(a.getShape(), sa);
  strides(b.getShape(), sb);
  const float *pa = a.getData<float>().data(), *pb = b.getData<float>().data();
  float *po = out.getMutableData<float>().data();
  std::vector<int64_t> idx(rank);
  for (int64_t i = 0, e = out.getNumElements(); i < e; ++i) {
    int64_t rem = i, oa = 0, ob = 0;
    for (size_t d = rank; d-- > 0;) {
      int64_t k = rem % shape[d];
      rem /= shape[d];
      oa += k * sa[d];
      ob += k * sb[d];
    }
    po[i] = pa[oa] + pb[ob];
  }
}

int64_t trafficBytes(const Case &c, const TensorMap &outs) {
  int64_t bytes = 0;
  for (const Tensor &t : c.inputs)
    bytes += static_cast<int64_t>(t.getByteSize());
  for (const auto &kv : outs)
    bytes += static_cast<int64_t>(kv.second.getByteSize());
  return bytes;
}

} // namespace

int main(int argc, char **argv) {
  unsigned threads = 2;
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
      threads = static_cast<unsigned>(std::atoi(argv[++i]));
    else if (std::strcmp(argv[i], "--cpu-time") == 0)
      useCpuTime = true;

  std::mt19937 rng(42);
  const int64_t n = 32, ch = 64, h = 24, w = 24;
  Tensor act = randomTensor({n, ch, h, w}, rng);
  Tensor bias = randomTensor({ch, 1, 1}, rng);
  Tensor logits = randomTensor({n * 32, 1000}, rng);
  Tensor small = randomTensor({n, ch, 12, 12}, rng);
  auto i64 = [](std::vector<int64_t> v) {
    return Tensor::fromValues<int64_t>({static_cast<int64_t>(v.size())}, v);
  };

  std::vector<Case> cases = {
      {"Add same shape", "Add", {act, act}, {}},
      {"Add NCHW + C11 bias", "Add", {act, bias}, {}},
      {"Mul by scalar", "Mul", {act, Tensor::scalar<float>(0.5f)}, {}},
      {"Relu", "Relu", {act}, {}},
      {"Sigmoid", "Sigmoid", {act}, {}},
      {"Clip 0..6",
       "Clip",
       {act, Tensor::scalar<float>(0), Tensor::scalar<float>(6)},
       {}},
      {"Transpose NCHW->NHWC",
       "Transpose",
       {act},
       {{"perm", Attribute::getInts({0, 2, 3, 1})}}},
      {"Concat channels",
       "Concat",
       {act, act},
       {{"axis", Attribute::getInt(1)}}},
      {"Slice H stride 2",
       "Slice",
       {act, i64({0}), i64({INT64_MAX}), i64({2}), i64({2})},
       {}},
      {"Pad 1 (constant)", "Pad", {act, i64({0, 0, 1, 1, 0, 0, 1, 1})}, {}},
      {"ReduceMean HW",
       "ReduceMean",
       {act},
       {{"axes", Attribute::getInts({2, 3})}}},
      {"ReduceSum N (outer)", "ReduceSum", {act, i64({0})}, {}},
      {"Softmax 1000", "Softmax", {logits}, {}},
      {"Resize nearest x2",
       "Resize",
       {small, Tensor(),
        Tensor::fromValues<float>({4}, std::vector<float>{1, 1, 2, 2})},
       {{"mode", Attribute::getString("nearest")}}},
      {"Resize linear x2",
       "Resize",
       {small, Tensor(),
        Tensor::fromValues<float>({4}, std::vector<float>{1, 1, 2, 2})},
       {{"mode", Attribute::getString("linear")}}},
      {"Cast f32->int8", "Cast", {act}, {{"to", Attribute::getInt(3)}}},
  };

  std::printf("light kernels, input %s float (%.1f MB); %s in microseconds\n",
              formatShape(act.getShape()).c_str(), act.getByteSize() / 1e6,
              useCpuTime ? "CPU time" : "wall time");
  std::printf("%-24s %12s %8s %12s %8s\n", "case", "1 thread", "GB/s",
              (std::to_string(threads) + " threads").c_str(), "GB/s");
  for (Case &c : cases) {
    std::unique_ptr<Model> model = buildModel(c);
    TensorMap feeds{{"x", c.inputs[0]}};
    double micros[2];
    int64_t bytes = 0;
    unsigned counts[2] = {1, threads};
    for (int k = 0; k < 2; ++k) {
      InterpreterOptions options;
      options.threads = counts[k];
      Interpreter interp(*model, options);
      if (llvm::Error err = interp.prepare()) {
        llvm::errs() << c.name << ": " << llvm::toString(std::move(err))
                     << "\n";
        return 1;
      }
      auto outs = interp.run(feeds);
      if (!outs) {
        llvm::errs() << c.name << ": " << llvm::toString(outs.takeError())
                     << "\n";
        return 1;
      }
      bytes = trafficBytes(c, *outs);
      micros[k] =
          timeMicros([&] { llvm::cantFail(interp.run(feeds).takeError()); });
    }
    std::printf("%-24s %12.1f %8.2f %12.1f %8.2f\n", c.name.c_str(), micros[0],
                bytes / micros[0] / 1e3, micros[1], bytes / micros[1] / 1e3);
  }

  // The naive broadcasting loop, for comparison with "Add NCHW + C11 bias".
  Tensor naiveOut(ElementType::Float, act.getShape());
  double naive = timeMicros([&] { naiveBroadcastAdd(act, bias, naiveOut); });
  Case addCase{"", "Add", {act, bias}, {}};
  std::unique_ptr<Model> addModel = buildModel(addCase);
  Interpreter interp(*addModel);
  auto outs = interp.run({{"x", act}});
  bool same = outs && (*outs)["y0"].isIdenticalTo(naiveOut);
  std::printf("%-24s %12.1f %8.2f   (naive index arithmetic; %s)\n",
              "Add bias, naive loop", naive,
              (2 * act.getByteSize() + bias.getByteSize()) / naive / 1e3,
              same ? "results identical" : "RESULTS DIFFER");
  return same ? 0 : 1;
}
