//===- F2FPassesTest.cpp - Invariants of the float-to-fake pipeline -------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The structural promises of insert-pact + harmonise-adds + interpose on a
// real residual network (MLPerf Tiny ResNet-8 with BN kept): every linear
// op has quantised weights and a quantised input, every residual Add reads
// operands on one shared eps, and the result still executes close to the
// float model. Option errors are checked here too.
//
//===----------------------------------------------------------------------===//

#include "PassTestUtils.h"

#include "f2f/F2FSupport.h"

#include "qlc/ONNX/Import.h"
#include "qlc/Quant/FakeQuantOp.h"

#include "gtest/gtest.h"

using namespace qlc;
using namespace qlc::test;

namespace {

std::unique_ptr<Model> loadResNet8() {
  auto model =
      importModelFile(QLC_FIXTURES_DIR "/mlperf_tiny/resnet8_ic_fp32_bn.onnx");
  if (!model) {
    ADD_FAILURE() << llvm::toString(model.takeError());
    return nullptr;
  }
  return std::move(*model);
}

void runPipeline(Model &model, llvm::StringRef pactOptions = "") {
  ASSERT_EQ(model.getGraph().getInputs().size(), 1u);
  for (const char *pass :
       {"infer-shapes", "insert-pact", "harmonise-adds", "interpose"}) {
    auto changed = runPass(
        model, pass, llvm::StringRef(pass) == "insert-pact" ? pactOptions : "");
    ASSERT_TRUE(bool(changed))
        << pass << ": " << llvm::toString(changed.takeError());
  }
}

Value *epsOfProducer(Value *v) {
  Node *p = v->getDefiningNode();
  return p && isFakeQuant(*p) ? p->getInput(1) : nullptr;
}

TEST(F2FPipelineTest, ResNet8IsFullyQuantised) {
  auto model = loadResNet8();
  ASSERT_TRUE(model);
  runPipeline(*model);
  unsigned linear = 0, adds = 0;
  for (Node &n : model->getGraph().getNodes()) {
    if (auto op = f2f::matchLinearOp(n)) {
      ++linear;
      EXPECT_NE(f2f::getWeightQuantiser(*op), nullptr) << n.getName().str();
      EXPECT_TRUE(f2f::isQuantisedValue(*n.getInput(op->dataIndex)))
          << n.getName().str();
    }
    if (n.is("Add")) {
      ++adds;
      Value *a = epsOfProducer(n.getInput(0));
      ASSERT_NE(a, nullptr) << n.getName().str();
      EXPECT_EQ(a, epsOfProducer(n.getInput(1))) << n.getName().str();
      ASSERT_TRUE(n.getResult(0)->hasOneUse());
      Node *user = n.getResult(0)->getUses().front().user;
      ASSERT_TRUE(isFakeQuant(*user));
      EXPECT_EQ(user->getInput(1), a);
    }
  }
  EXPECT_EQ(linear, 10u);
  EXPECT_EQ(adds, 3u);
}

/// Max abs difference of ResNet-8's softmax output on one random input
/// between the float model and the model with fake-quantised weights (the
/// activation quantisers are bypassed: their provisional ranges, [0, 6] and
/// [-1, 1], would clip ResNet-8's 0..255 input).
double weightQuantisationError(llvm::StringRef pactOptions) {
  auto floatModel = loadResNet8();
  if (!floatModel)
    return -1;
  auto fake = floatModel->clone();
  runPipeline(*fake, pactOptions);
  Graph &g = fake->getGraph();
  for (auto it = g.getNodes().begin(); it != g.getNodes().end();) {
    Node &n = *it++;
    if (isFakeQuant(n) && !n.getInput(0)->isInitializer()) {
      g.replaceAllUsesWith(n.getResult(0), n.getInput(0));
      g.eraseNode(&n);
    }
  }
  const Value *in = floatModel->getGraph().getInputs().front();
  llvm::SmallVector<int64_t, 4> shape;
  for (const Dim &d : in->getType().getDims())
    shape.push_back(d.isKnown() ? d.size : 1);
  Tensor x = randomFloats(shape, 7, 0, 255);
  auto a = execute(*floatModel, {{in->getName().str(), x}});
  auto b = execute(*fake, {{in->getName().str(), x}});
  if (!a || !b) {
    ADD_FAILURE() << (a ? llvm::toString(b.takeError())
                        : llvm::toString(a.takeError()));
    return -1;
  }
  return maxAbsDiff(a->begin()->second, b->begin()->second);
}

TEST(F2FPipelineTest, WeightRoundingControlsWeightError) {
  double nearest = weightQuantisationError("weight-rounding=half_even");
  double floor = weightQuantisationError("");
  double fine = weightQuantisationError("weight-rounding=half_even wbits=16");
  // Per-channel 8-bit round-to-nearest weights barely move the softmax;
  // QuantLib's floor biases every weight by -eps/2 and moves it far more;
  // 16 bits is nearly float.
  EXPECT_GT(nearest, 0.0);
  EXPECT_LT(nearest, 0.05);
  EXPECT_GT(floor, 2 * nearest);
  EXPECT_LT(fine, nearest / 10);
}

TEST(F2FOptionsTest, BadOptionsAreErrors) {
  auto model = loadResNet8();
  ASSERT_TRUE(model);
  auto expectError = [&](llvm::StringRef pass, llvm::StringRef options,
                         llvm::StringRef needle) {
    auto changed = runPass(*model, pass, options);
    ASSERT_FALSE(bool(changed)) << pass.str() << "{" << options.str() << "}";
    std::string msg = llvm::toString(changed.takeError());
    EXPECT_NE(msg.find(needle.str()), std::string::npos) << msg;
  };
  expectError("insert-pact", "wbits=1", "bits must be in 2..16");
  expectError("insert-pact", "abits=17", "bits must be in 2..16");
  expectError("insert-pact", "layer-bits=conv", "must be REGEX=W/A");
  expectError("insert-pact", "layer-bits=conv=8/1", "must be REGEX=W/A");
  expectError("insert-pact", "layer-bits=(=8/8", "invalid node-name pattern");
  expectError("insert-pact", "exclude=[", "invalid node-name pattern");
  expectError("interpose", "bits=0", "bits must be in 2..16");
  expectError("calibrate", "", "no data");
}

TEST(F2FOptionsTest, LayerBitsAndExclusionsMatchWholeLayers) {
  auto model = loadResNet8();
  ASSERT_TRUE(model);
  // conv2d is the stem; its activation is activation_relu (through BN).
  auto changed = runPass(*model, "insert-pact",
                         "wbits=4 layer-bits=^conv2d$=8/6 exclude=^dense$");
  ASSERT_TRUE(bool(changed)) << llvm::toString(changed.takeError());
  llvm::StringMap<QuantGrid> grids;
  for (Node &n : model->getGraph().getNodes())
    if (isFakeQuant(n)) {
      auto attrs = readFakeQuantAttrs(n);
      ASSERT_TRUE(bool(attrs));
      grids[n.getName()] = attrs->grid;
    }
  ASSERT_TRUE(grids.count("conv2d_wq"));
  ASSERT_TRUE(grids.count("activation_relu_aq"));
  ASSERT_TRUE(grids.count("conv2d_1_wq"));
  EXPECT_EQ(grids["conv2d_wq"].nLevels, 256);         // override: 8-bit
  EXPECT_EQ(grids["activation_relu_aq"].nLevels, 64); // override: 6-bit
  EXPECT_EQ(grids["conv2d_1_wq"].nLevels, 16);        // default: 4-bit
  EXPECT_FALSE(grids.count("dense_wq"));              // excluded
}

} // namespace
