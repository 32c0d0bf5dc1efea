//===- PassTestUtils.cpp - Helpers for the pass unit tests ----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "PassTestUtils.h"

#include "Passes.h"
#include "qlc/IR/Verifier.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <random>

using namespace qlc;

std::unique_ptr<Model> test::makeModel(int64_t opset) {
  auto model = std::make_unique<Model>();
  model->setOpsetVersion("", opset);
  return model;
}

static const PassRegistry &getRegistry() {
  static const PassRegistry registry = [] {
    PassRegistry r;
    if (llvm::Error err = registerAllPasses(r))
      ADD_FAILURE() << llvm::toString(std::move(err));
    return r;
  }();
  return registry;
}

std::unique_ptr<Pass> test::createPass(llvm::StringRef argument,
                                       llvm::StringRef options) {
  const PassInfo *info = getRegistry().lookup(argument);
  if (!info) {
    ADD_FAILURE() << "pass '" << argument.str() << "' is not registered";
    return nullptr;
  }
  std::unique_ptr<Pass> pass = info->createPass();
  if (llvm::Error err = pass->parseOptions(options)) {
    ADD_FAILURE() << llvm::toString(std::move(err));
    return nullptr;
  }
  return pass;
}

llvm::Expected<bool> test::runPass(Pass &pass, Model &model) {
  llvm::Expected<bool> changed = pass.run(model);
  if (!changed)
    return changed.takeError();
  if (llvm::Error err = verify(model))
    return err;
  return *changed;
}

llvm::Expected<bool> test::runPass(Model &model, llvm::StringRef argument,
                                   llvm::StringRef options) {
  std::unique_ptr<Pass> pass = createPass(argument, options);
  if (!pass)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot create the pass");
  return runPass(*pass, model);
}

uint64_t test::getStatistic(const Pass &pass, llvm::StringRef name) {
  for (const PassStatistic *s : pass.getStatistics())
    if (s->getName() == name)
      return s->getValue();
  ADD_FAILURE() << "no statistic '" << name.str() << "'";
  return 0;
}

Tensor test::randomFloats(llvm::ArrayRef<int64_t> shape, uint32_t seed,
                          float lo, float hi) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t(ElementType::Float, shape);
  for (float &v : t.getMutableData<float>())
    v = dist(gen);
  return t;
}

llvm::Expected<TensorMap> test::execute(const Model &model,
                                        const TensorMap &inputs) {
  Interpreter interp(model);
  if (llvm::Error err = interp.prepare())
    return err;
  return interp.run(inputs);
}

double test::maxAbsDiff(const Tensor &a, const Tensor &b) {
  if (a.getElementType() != b.getElementType() || a.getShape() != b.getShape())
    return std::numeric_limits<double>::infinity();
  double worst = 0;
  for (int64_t i = 0, e = a.getNumElements(); i < e; ++i)
    worst = std::max(worst, std::fabs(a.getAsDouble(i) - b.getAsDouble(i)));
  return worst;
}

unsigned test::countNodes(const Model &model, llvm::StringRef opType) {
  unsigned n = 0;
  for (const Node &node : model.getGraph().getNodes())
    n += node.getOpType() == opType;
  return n;
}

std::string test::errorMessage(llvm::Error err) {
  return err ? llvm::toString(std::move(err)) : std::string();
}
