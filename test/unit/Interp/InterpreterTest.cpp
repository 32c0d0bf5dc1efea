//===- InterpreterTest.cpp - The interpreter core and the registry --------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Input validation, unsupported ops, opset-based kernel selection, observer
// calls, release of intermediates after their last use (observed through
// weak references to tensor storage), keepAllValues and zero-copy
// initializers.
//
//===----------------------------------------------------------------------===//

#include "LightKernelTestUtils.h"

#include "qlc/Support/Error.h"

#include <map>
#include <memory>

using namespace qlc;
using namespace qlc::test;

namespace {

/// x -> Relu -> a -> Neg -> b -> Abs -> c (output), plus an initializer w
/// read by Add(c, w) -> d (output).
struct ChainModel {
  Model model;
  Value *x;
  Tensor weight = f32({2}, {10, 20});

  ChainModel() {
    model.setOpsetVersion("", 13);
    Graph &g = model.getGraph();
    x = g.addInput("x", TensorType(ElementType::Float,
                                   {Dim::symbolic("N"), Dim::known(2)}));
    Value *a =
        g.createNode("Relu", {x}, std::vector<std::string>{"a"})->getResult(0);
    Value *b =
        g.createNode("Neg", {a}, std::vector<std::string>{"b"})->getResult(0);
    Value *c =
        g.createNode("Abs", {b}, std::vector<std::string>{"c"})->getResult(0);
    Value *w = g.addInitializer("w", weight);
    Value *d = g.createNode("Add", {c, w}, std::vector<std::string>{"d"})
                   ->getResult(0);
    g.addOutput(c);
    g.addOutput(d);
  }
};

TEST(Interpreter, RunsAChainAndReturnsOutputsOnly) {
  ChainModel m;
  Interpreter interp(m.model, {}, &getLightRegistry());
  ASSERT_FALSE(bool(interp.prepare()));
  auto out = interp.run({{"x", f32({1, 2}, {-1, 2})}});
  ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());
  EXPECT_EQ(out->size(), 2u);
  expectTensor<float>((*out)["c"], {1, 2}, {0, 2});
  expectTensor<float>((*out)["d"], {1, 2}, {10, 22});
}

TEST(Interpreter, InputValidation) {
  ChainModel m;
  Interpreter interp(m.model, {}, &getLightRegistry());
  auto err = [&](TensorMap inputs) {
    auto out = interp.run(inputs);
    return out ? std::string("no error") : llvm::toString(out.takeError());
  };
  EXPECT_EQ(err({}), "missing input 'x' of type float[N,2]");
  EXPECT_EQ(err({{"x", i64({1, 2}, {1, 2})}}),
            "input 'x': expected element type float, got int64");
  EXPECT_EQ(err({{"x", f32({2}, {1, 2})}}),
            "input 'x': expected shape float[N,2], got rank 1 [2]");
  EXPECT_EQ(err({{"x", f32({1, 3}, {1, 2, 3})}}),
            "input 'x': expected shape float[N,2], got [1, 3] (dimension 1)");
  EXPECT_EQ(err({{"x", f32({1, 2}, {1, 2})}, {"y", f32({1}, {1})}}),
            "'y' is not an input of the graph");
  EXPECT_EQ(err({{"x", f32({1, 2}, {1, 2})}, {"w", f32({2}, {1, 2})}}),
            "'w' is not an input of the graph");
  // The batch dimension is free.
  EXPECT_EQ(err({{"x", f32({3, 2}, {1, 2, 3, 4, 5, 6})}}), "no error");
}

TEST(Interpreter, SymbolicDimensionsBindConsistently) {
  Model model;
  model.setOpsetVersion("", 13);
  Graph &g = model.getGraph();
  Value *a =
      g.addInput("a", TensorType(ElementType::Float, {Dim::symbolic("N")}));
  Value *b =
      g.addInput("b", TensorType(ElementType::Float, {Dim::symbolic("N")}));
  g.addOutput(
      g.createNode("Add", {a, b}, std::vector<std::string>{"s"})->getResult(0));
  Interpreter interp(model, {}, &getLightRegistry());
  auto out = interp.run({{"a", f32({2}, {1, 2})}, {"b", f32({3}, {1, 2, 3})}});
  ASSERT_FALSE(bool(out));
  EXPECT_EQ(llvm::toString(out.takeError()),
            "input 'b': dimension 'N' is 3 here but 2 in another input");
}

TEST(Interpreter, UnsupportedOpNamesTheNode) {
  Model model;
  model.setOpsetVersion("", 13);
  Graph &g = model.getGraph();
  Value *x = g.addInput("x", TensorType(ElementType::Float, {1}));
  Node *n = g.createNode("FancyOp", {x}, std::vector<std::string>{"y"});
  n->setName("fancy");
  g.addOutput(n->getResult(0));
  Interpreter interp(model, {}, &getLightRegistry());
  llvm::Error err = interp.prepare();
  EXPECT_EQ(llvm::toString(std::move(err)),
            "'fancy' (FancyOp): unsupported op (opset 13)");
  // HardSwish exists from opset 14 only.
  Model model2;
  model2.setOpsetVersion("", 13);
  Graph &g2 = model2.getGraph();
  Value *x2 = g2.addInput("x", TensorType(ElementType::Float, {1}));
  Node *hs = g2.createNode("HardSwish", {x2}, std::vector<std::string>{"z"});
  hs->setName("hs");
  g2.addOutput(hs->getResult(0));
  Interpreter interp2(model2, {}, &getLightRegistry());
  EXPECT_EQ(llvm::toString(interp2.prepare()),
            "'hs' (HardSwish): unsupported op (opset 13)");
  model2.setOpsetVersion("", 14);
  Interpreter interp3(model2, {}, &getLightRegistry());
  EXPECT_FALSE(bool(interp3.prepare()));
}

/// Records, at each computed value, which earlier values' storage is alive.
class LivenessObserver : public ExecutionObserver {
public:
  void onValueComputed(const Value &value, const Tensor &tensor) override {
    order.push_back(value.getName().str());
    for (auto &kv : storage)
      aliveAt[value.getName().str()][kv.first] = !kv.second.expired();
    storage[value.getName().str()] = tensor.getStorage();
  }
  std::vector<std::string> order;
  std::map<std::string, std::weak_ptr<std::string>> storage;
  std::map<std::string, std::map<std::string, bool>> aliveAt;
};

TEST(Interpreter, ReleasesIntermediatesAfterTheirLastUse) {
  ChainModel m;
  Interpreter interp(m.model, {}, &getLightRegistry());
  LivenessObserver obs;
  auto out = interp.run({{"x", f32({1, 2}, {-1, 2})}}, &obs);
  ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());
  EXPECT_EQ(obs.order, (std::vector<std::string>{"x", "a", "b", "c", "d"}));
  EXPECT_TRUE(obs.aliveAt["b"]["a"]);  // a is read by Neg, which made b
  EXPECT_FALSE(obs.aliveAt["c"]["a"]); // ... and released right after
  EXPECT_FALSE(obs.aliveAt["d"]["b"]);
  EXPECT_TRUE(obs.aliveAt["d"]["c"]); // c is a graph output
  EXPECT_TRUE(obs.aliveAt["d"]["x"]); // the caller owns the input
  EXPECT_TRUE(obs.storage["a"].expired());
  EXPECT_FALSE(obs.storage["c"].expired());
}

TEST(Interpreter, RecyclesReleasedStorageForLaterResults) {
  // 1024 x 2 floats (8 KiB) is above the pool's minimum buffer size.
  ChainModel m;
  std::vector<float> xs(2048);
  for (size_t i = 0; i < xs.size(); ++i)
    xs[i] = static_cast<float>(i % 7) - 3;
  for (bool recycle : {true, false}) {
    InterpreterOptions options;
    options.recycleBuffers = recycle;
    Interpreter interp(m.model, options, &getLightRegistry());
    for (int run = 0; run < 2; ++run) {
      LivenessObserver obs;
      auto out = interp.run({{"x", f32({1024, 2}, xs)}}, &obs);
      ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());
      // a is released after Neg; Abs then makes c in a's old buffer.
      std::shared_ptr<std::string> a = obs.storage["a"].lock();
      EXPECT_EQ(a != nullptr, recycle);
      EXPECT_EQ(a && a == (*out)["c"].getStorage(), recycle);
      llvm::ArrayRef<float> c = (*out)["c"].getData<float>();
      for (size_t i = 0; i < xs.size(); ++i)
        ASSERT_EQ(c[i], std::max(xs[i], 0.0f)) << "run " << run << " at " << i;
    }
  }
}

TEST(Interpreter, KeepAllValuesKeepsIntermediates) {
  ChainModel m;
  InterpreterOptions options;
  options.keepAllValues = true;
  Interpreter interp(m.model, options, &getLightRegistry());
  LivenessObserver obs;
  auto out = interp.run({{"x", f32({1, 2}, {-1, 2})}}, &obs);
  ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());
  EXPECT_TRUE(obs.aliveAt["d"]["a"]);
  EXPECT_EQ(out->size(), 4u); // a, b, c, d
  expectTensor<float>((*out)["a"], {1, 2}, {0, 2});
  expectTensor<float>((*out)["b"], {1, 2}, {-0.0f, -2});
}

TEST(Interpreter, InitializersAreNotCopied) {
  Model model;
  model.setOpsetVersion("", 13);
  Graph &g = model.getGraph();
  Tensor w = f32({3}, {1, 2, 3});
  Value *wv = g.addInitializer("w", w);
  g.addOutput(g.createNode("Identity", {wv}, std::vector<std::string>{"y"})
                  ->getResult(0));
  Interpreter interp(model, {}, &getLightRegistry());
  auto out = interp.run({});
  ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());
  EXPECT_EQ((*out)["y"].getStorage(), w.getStorage());
}

TEST(Interpreter, UnusedResultsAndOmittedOptionalInputs) {
  Model model;
  model.setOpsetVersion("", 13);
  Graph &g = model.getGraph();
  Value *x = g.addInput("x", TensorType(ElementType::Float, {4}));
  Node *split = g.createNode("Split", {x}, std::vector<std::string>{"p", "q"});
  Node *clip = g.createNode(
      "Clip",
      {split->getResult(0), nullptr, g.addInitializer("hi", f32({}, {1}))},
      std::vector<std::string>{"r"});
  g.addOutput(clip->getResult(0));
  Interpreter interp(model, {}, &getLightRegistry());
  LivenessObserver obs;
  auto out = interp.run({{"x", f32({4}, {-5, 5, 6, 7})}}, &obs);
  ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());
  expectTensor<float>((*out)["r"], {2}, {-5, 1});
  EXPECT_FALSE(obs.aliveAt["r"]["q"]); // never read: released after Split
}

TEST(Interpreter, KernelErrorsPropagate) {
  Model model;
  model.setOpsetVersion("", 13);
  Graph &g = model.getGraph();
  Value *x = g.addInput("x", TensorType(ElementType::Float));
  Value *s = g.addInput("s", TensorType(ElementType::Int64));
  Node *n = g.createNode("Reshape", {x, s}, std::vector<std::string>{"y"});
  n->setName("r");
  g.addOutput(n->getResult(0));
  Interpreter interp(model, {}, &getLightRegistry());
  auto out = interp.run({{"x", f32({2}, {1, 2})}, {"s", i64({1}, {3})}});
  ASSERT_FALSE(bool(out));
  EXPECT_EQ(llvm::toString(out.takeError()),
            "'r' (Reshape): cannot reshape [2] to [3]");
}

//===----------------------------------------------------------------------===//
// KernelRegistry
//===----------------------------------------------------------------------===//

llvm::Error kernelV1(KernelContext &ctx) {
  ctx.outputs[0] = Tensor::scalar<int64_t>(1);
  return llvm::Error::success();
}
llvm::Error kernelV13(KernelContext &ctx) {
  ctx.outputs[0] = Tensor::scalar<int64_t>(13);
  return llvm::Error::success();
}

TEST(KernelRegistry, PicksTheNewestVersionNotAboveTheOpset) {
  KernelRegistry r;
  r.add("", "Op", 13, kernelV13);
  r.add("ai.onnx", "Op", 1, kernelV1); // same domain as ""
  r.add("com.qlc", "Custom", 1, kernelV1);
  EXPECT_TRUE(r.isSupported("", "Op", 1));
  EXPECT_TRUE(r.isSupported("ai.onnx", "Op", 20));
  EXPECT_FALSE(r.isSupported("", "Custom", 1));
  EXPECT_EQ(r.listOps(), (std::vector<std::string>{"Op", "com.qlc.Custom"}));
  for (auto [opset, expected] :
       {std::pair<int64_t, int64_t>{12, 1}, {13, 13}, {17, 13}}) {
    Model model;
    model.setOpsetVersion("", opset);
    Graph &g = model.getGraph();
    g.addOutput(
        g.createNode("Op", {}, std::vector<std::string>{"y"})->getResult(0));
    Interpreter interp(model, {}, &r);
    auto out = interp.run({});
    ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());
    EXPECT_EQ((*out)["y"].getAsInt64(0), expected) << "opset " << opset;
  }
}

TEST(KernelRegistry, DefaultRegistryHasTheLightOps) {
  const KernelRegistry &r = KernelRegistry::getDefault();
  for (const char *op : {"Add", "Softmax", "Reshape", "ReduceMean", "Slice",
                         "Resize", "Cast", "Where", "Gather", "Pad", "Clip"})
    EXPECT_TRUE(r.isSupported("", op, 13)) << op;
  EXPECT_FALSE(r.isSupported("", "Resize", 9));
}

} // namespace
