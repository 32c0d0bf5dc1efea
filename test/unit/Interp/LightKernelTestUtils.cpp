//===- LightKernelTestUtils.cpp - Running single light kernels ------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "LightKernelTestUtils.h"

#include "Kernels/Kernels.h"

#include <cmath>

using namespace qlc;
using namespace qlc::test;

const KernelRegistry &qlc::test::getLightRegistry() {
  static const KernelRegistry registry = [] {
    KernelRegistry r;
    registerElementwiseKernels(r);
    registerUnaryKernels(r);
    registerLogicalKernels(r);
    registerActivationKernels(r);
    registerSoftmaxKernels(r);
    registerShapeKernels(r);
    registerReductionKernels(r);
    registerTensorKernels(r);
    registerIndexKernels(r);
    registerCastKernels(r);
    registerResizeKernels(r);
    registerPadKernels(r);
    registerRearrangeKernels(r);
    registerScatterKernels(r);
    return r;
  }();
  return registry;
}

llvm::Expected<std::vector<Tensor>>
qlc::test::runNode(const NodeRun &run, const KernelRegistry *registry) {
  Model model;
  model.setOpsetVersion("", run.opset);
  Graph &g = model.getGraph();
  std::vector<Value *> operands;
  TensorMap feeds;
  for (size_t i = 0; i < run.inputs.size(); ++i) {
    const Tensor &t = run.inputs[i];
    if (t.isNull()) {
      operands.push_back(nullptr);
      continue;
    }
    std::string name = "in" + std::to_string(i);
    operands.push_back(
        g.addInput(name, TensorType(t.getElementType(), t.getShape())));
    feeds[name] = t;
  }
  std::vector<std::string> resultNames;
  for (unsigned i = 0; i < run.numOutputs; ++i)
    resultNames.push_back("out" + std::to_string(i));
  Node *node = g.createNode(run.op, operands, resultNames);
  node->setName("n");
  for (const NamedAttribute &a : run.attrs)
    node->setAttr(a.name, a.value);
  for (Value *r : node->getResults())
    g.addOutput(r);
  InterpreterOptions options;
  options.threads = run.threads;
  Interpreter interp(model, options, registry ? registry : &getLightRegistry());
  auto results = interp.run(feeds);
  if (!results)
    return results.takeError();
  std::vector<Tensor> outs;
  for (const std::string &name : resultNames)
    outs.push_back((*results)[name]);
  return outs;
}

Tensor qlc::test::runOk(const NodeRun &run, const KernelRegistry *registry) {
  auto outs = runNode(run, registry);
  if (!outs) {
    ADD_FAILURE() << run.op << ": " << llvm::toString(outs.takeError());
    return Tensor();
  }
  return (*outs)[0];
}

std::string qlc::test::runError(const NodeRun &run,
                                const KernelRegistry *registry) {
  auto outs = runNode(run, registry);
  if (outs) {
    ADD_FAILURE() << run.op << ": expected an error";
    return "";
  }
  return llvm::toString(outs.takeError());
}

void qlc::test::expectNear(const Tensor &t, std::vector<int64_t> shape,
                           std::vector<float> values, float tol) {
  ASSERT_EQ(t.getElementType(), ElementType::Float);
  ASSERT_EQ(std::vector<int64_t>(t.getShape().begin(), t.getShape().end()),
            shape);
  llvm::ArrayRef<float> data = t.getData<float>();
  ASSERT_EQ(data.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i]))
      EXPECT_TRUE(std::isnan(data[i])) << "at flat index " << i;
    else
      EXPECT_NEAR(data[i], values[i], tol) << "at flat index " << i;
  }
}
