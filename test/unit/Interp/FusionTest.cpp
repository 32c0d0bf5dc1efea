//===- FusionTest.cpp - Fused kernels and opaque results ------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The interpreter's fused schedule (a Conv computing the Relu, LeakyRelu or
// Clip after it; oneDNN layouts kept between convolutions) must give the
// same bits as running every node on its own, fall back to the plain
// schedule when an observer needs the intermediates, and leave alone the
// consumers it cannot fuse (an intermediate read twice or a graph output).
//
//===----------------------------------------------------------------------===//

#include "HeavyTestUtils.h"

#include "qlc/Interp/Interpreter.h"

using namespace qlc;
using namespace qlc::heavytest;

namespace {

/// Builds test graphs of one element type with random constants.
struct GraphBuilder {
  Model model;
  ElementType type;
  std::mt19937 &rng;

  GraphBuilder(ElementType type, std::mt19937 &rng) : type(type), rng(rng) {
    model.setOpsetVersion("", 13);
  }
  Graph &graph() { return model.getGraph(); }
  Value *input(std::vector<int64_t> chw) {
    return graph().addInput(
        "x", TensorType(type, {Dim::symbolic("N"), Dim::known(chw[0]),
                               Dim::known(chw[1]), Dim::known(chw[2])}));
  }
  Value *constant(const char *name, std::vector<int64_t> shape) {
    Tensor t = randomFloat(rng, shape);
    return graph().addInitializer(
        name, type == ElementType::Float ? t : t.castTo(type));
  }
  Value *scalar(const char *name, float v) {
    return graph().addInitializer(name, Tensor::scalar<float>(v).castTo(type));
  }
  Value *node(const char *op, std::vector<Value *> ins, const char *out,
              std::vector<NamedAttribute> attrs = {}) {
    Node *n = graph().createNode(op, ins, std::vector<std::string>{out});
    for (const NamedAttribute &a : attrs)
      n->setAttr(a.name, a.value);
    return n->getResult(0);
  }
};

/// x -> Conv -> Relu -> depthwise Conv -> Clip(0, 0.5) -> 1x1 Conv ->
/// LeakyRelu -> y, plus `tap`: the depthwise result also feeds an output
/// Abs when `withTap`, so that Clip is not the only reader.
struct ConvChain : GraphBuilder {
  ConvChain(ElementType type, bool withTap, std::mt19937 &rng)
      : GraphBuilder(type, rng) {
    Value *x = input({3, 11, 9});
    Value *c1 =
        node("Conv", {x, constant("w1", {8, 3, 3, 3}), constant("b1", {8})},
             "c1", {attrInts("pads", {1, 1, 1, 1})});
    Value *r1 = node("Relu", {c1}, "r1");
    Value *c2 = node("Conv", {r1, constant("w2", {8, 1, 3, 3})}, "c2",
                     {attrInt("group", 8), attrInts("strides", {2, 2}),
                      attrInts("pads", {1, 0, 1, 1})});
    Value *r2 = node("Clip", {c2, scalar("lo", 0), scalar("hi", 0.5f)}, "r2");
    Value *c3 = node("Conv", {r2, constant("w3", {5, 8, 1, 1})}, "c3");
    graph().addOutput(
        node("LeakyRelu", {c3}, "y", {attrFloat("alpha", 0.25f)}));
    if (withTap)
      graph().addOutput(node("Abs", {c2}, "tap"));
  }
};

TensorMap runChain(const Model &model, const Tensor &x, bool fuse,
                   ExecutionObserver *observer = nullptr) {
  InterpreterOptions options;
  options.fuseKernels = fuse;
  Interpreter interp(model, options);
  TensorMap out;
  for (int run = 0; run < 2; ++run) { // the second run reuses plans
    auto result = interp.run({{"x", x}}, observer);
    EXPECT_TRUE(bool(result)) << llvm::toString(result.takeError());
    if (!result)
      return {};
    out = std::move(*result);
  }
  return out;
}

class NameRecorder : public ExecutionObserver {
public:
  void onValueComputed(const Value &v, const Tensor &) override {
    names.push_back(v.getName().str());
  }
  std::vector<std::string> names;
};

TEST(FusionTest, FusedScheduleGivesTheSameBits) {
  std::mt19937 rng(3);
  for (ElementType type : {ElementType::Float, ElementType::Double})
    for (bool withTap : {false, true}) {
      ConvChain chain(type, withTap, rng);
      Tensor x = randomFloat(rng, {2, 3, 11, 9}, -2, 2);
      if (type != ElementType::Float)
        x = x.castTo(type);
      TensorMap plain = runChain(chain.model, x, /*fuse=*/false);
      TensorMap fused = runChain(chain.model, x, /*fuse=*/true);
      ASSERT_EQ(plain.size(), withTap ? 2u : 1u);
      ASSERT_EQ(fused.size(), plain.size());
      for (auto &[name, t] : plain) {
        EXPECT_TRUE(t.isIdenticalTo(fused[name]))
            << name << " differs, type " << int(type) << " tap " << withTap;
      }
      EXPECT_EQ(formatShape(fused["y"].getShape()), "[2, 5, 6, 4]");
      // Clip and LeakyRelu really ran: values in range, negatives scaled.
      std::vector<double> y = fused["y"].toDoubles();
      EXPECT_TRUE(
          std::any_of(y.begin(), y.end(), [](double v) { return v < 0; }));
    }
}

/// Residual blocks: the later of two convolutions absorbs their Add (the
/// earlier one's result then reaches it opaque), an identity skip is added
/// to a convolution, and an Add that broadcasts a bias falls back to the
/// Add kernel; the graph input is added to a convolution of itself.
struct ResidualModel : GraphBuilder {
  ResidualModel(ElementType type, std::mt19937 &rng) : GraphBuilder(type, rng) {
    Value *x = input({4, 8, 8});
    auto conv3 = [&](Value *in, const char *w, const char *out) {
      return node("Conv", {in, constant(w, {4, 4, 3, 3})}, out,
                  {attrInts("pads", {1, 1, 1, 1})});
    };
    Value *r1 = node("Relu", {conv3(x, "w1", "c1")}, "r1");
    Value *c2 = conv3(r1, "w2", "c2");
    Value *c3 = node("Conv", {r1, constant("w3", {4, 4, 1, 1})}, "c3");
    Value *r2 = node("Relu", {node("Add", {c2, c3}, "a")}, "r2");
    Value *b = node(
        "Add", {conv3(r2, "w4", "c4"), constant("bias", {1, 4, 1, 1})}, "b");
    graph().addOutput(node("Relu", {b}, "y"));
    graph().addOutput(node("Add", {conv3(r2, "w5", "c5"), r2}, "z"));
    // The graph input is a plain tensor: the addend reorder of the plan.
    graph().addOutput(node("Add", {x, conv3(x, "w6", "c6")}, "s"));
  }
};

TEST(FusionTest, ResidualAddsGiveTheSameBits) {
  std::mt19937 rng(5);
  for (ElementType type : {ElementType::Float, ElementType::Double}) {
    ResidualModel residual(type, rng);
    Tensor x = randomFloat(rng, {3, 4, 8, 8}, -2, 2);
    if (type != ElementType::Float)
      x = x.castTo(type);
    TensorMap plain = runChain(residual.model, x, /*fuse=*/false);
    TensorMap fused = runChain(residual.model, x, /*fuse=*/true);
    ASSERT_EQ(plain.size(), 3u);
    for (auto &[name, t] : plain)
      EXPECT_TRUE(t.isIdenticalTo(fused[name]))
          << name << " differs, type " << int(type);
  }
}

TEST(FusionTest, ObserverSeesEveryValue) {
  std::mt19937 rng(4);
  ConvChain chain(ElementType::Float, false, rng);
  Tensor x = randomFloat(rng, {1, 3, 11, 9});
  NameRecorder recorder;
  TensorMap observed = runChain(chain.model, x, /*fuse=*/true, &recorder);
  std::vector<std::string> expected{"x", "c1", "r1", "c2", "r2", "c3", "y"};
  std::vector<std::string> lastRun(recorder.names.end() - expected.size(),
                                   recorder.names.end());
  EXPECT_EQ(lastRun, expected);
  TensorMap fused = runChain(chain.model, x, /*fuse=*/true);
  EXPECT_TRUE(observed["y"].isIdenticalTo(fused["y"]));
}

TEST(FusionTest, ClipWithReversedBoundsIsNotFused) {
  // min > max: ONNX gives max everywhere, oneDNN's clip would not; the
  // Clip must stay a node of its own.
  Model model;
  model.setOpsetVersion("", 13);
  Graph &g = model.getGraph();
  Value *x = g.addInput(
      "x", TensorType(ElementType::Float, {Dim::known(1), Dim::known(1),
                                           Dim::known(2), Dim::known(2)}));
  Value *w = g.addInitializer("w", f32({1, 1, 1, 1}, {1}));
  Value *c =
      g.createNode("Conv", {x, w}, std::vector<std::string>{"c"})->getResult(0);
  Value *lo = g.addInitializer("lo", Tensor::scalar<float>(3));
  Value *hi = g.addInitializer("hi", Tensor::scalar<float>(1));
  g.addOutput(g.createNode("Clip", {c, lo, hi}, std::vector<std::string>{"y"})
                  ->getResult(0));
  Interpreter interp(model);
  auto out = interp.run({{"x", f32({1, 1, 2, 2}, {-5, 0, 2, 9})}});
  ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());
  expectClose((*out)["y"], {1, 1, 1, 1}, {1, 1, 2, 2});
}

} // namespace
