//===- PassManager.cpp - Pipelines ----------------------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/Pass/PassManager.h"
#include "PipelineParser.h"
#include "qlc/IR/Verifier.h"
#include "qlc/Support/Error.h"

using namespace qlc;

PassInstrumentation::~PassInstrumentation() = default;
PassManager::PassManager() = default;
PassManager::~PassManager() = default;

void PassManager::addPass(std::unique_ptr<Pass> pass) {
  PipelineElement element;
  element.pass = std::move(pass);
  elements.push_back(std::move(element));
}

llvm::Error PassManager::addPipeline(llvm::StringRef text,
                                     const PassRegistry &registry) {
  std::vector<PipelineElement> parsed;
  if (llvm::Error err = parsePassPipeline(text, registry, parsed))
    return err;
  for (PipelineElement &e : parsed)
    elements.push_back(std::move(e));
  return llvm::Error::success();
}

void PassManager::addInstrumentation(
    std::unique_ptr<PassInstrumentation> instr) {
  instrumentations.push_back(std::move(instr));
}

llvm::Expected<bool> PassManager::runPass(Pass &pass, Model &model) {
  for (auto &instr : instrumentations)
    instr->runBeforePass(pass, model);
  llvm::Expected<bool> changed = pass.run(model);
  if (!changed) {
    for (auto &instr : instrumentations)
      instr->runAfterPassFailed(pass, model);
    return addErrorContext(changed.takeError(), pass.getArgument());
  }
  for (auto &instr : instrumentations)
    instr->runAfterPass(pass, model, *changed);
  if (verifyEach) {
    if (llvm::Error err = verify(model))
      return addErrorContext(std::move(err),
                             "IR verification failed after pass '" +
                                 pass.getArgument() + "'");
  }
  return *changed;
}

llvm::Expected<bool>
PassManager::runElements(std::vector<PipelineElement> &elems, Model &model) {
  bool anyChange = false;
  for (PipelineElement &e : elems) {
    if (e.pass) {
      llvm::Expected<bool> changed = runPass(*e.pass, model);
      if (!changed)
        return changed.takeError();
      anyChange |= *changed;
      continue;
    }
    // A fixed-point group: repeat until a full sweep changes nothing.
    for (unsigned iter = 0; iter < e.maxIterations; ++iter) {
      llvm::Expected<bool> changed = runElements(e.group, model);
      if (!changed)
        return changed.takeError();
      if (!*changed)
        break;
      anyChange = true;
    }
  }
  return anyChange;
}

llvm::Error PassManager::run(Model &model) {
  if (verifyEach) {
    if (llvm::Error err = verify(model))
      return addErrorContext(std::move(err),
                             "IR verification failed before the pipeline");
  }
  for (auto &instr : instrumentations)
    instr->runBeforePipeline(model);
  llvm::Expected<bool> changed = runElements(elements, model);
  for (auto &instr : instrumentations)
    instr->runAfterPipeline(model);
  return changed.takeError();
}

static void printElements(const std::vector<PipelineElement> &elems,
                          llvm::raw_ostream &os) {
  for (size_t i = 0; i < elems.size(); ++i) {
    if (i)
      os << ",";
    const PipelineElement &e = elems[i];
    if (e.pass) {
      e.pass->printAsTextualPipeline(os);
      continue;
    }
    os << "fixpoint";
    if (e.maxIterations != 10)
      os << "{max-iterations=" << e.maxIterations << "}";
    os << "(";
    printElements(e.group, os);
    os << ")";
  }
}

void PassManager::printAsTextualPipeline(llvm::raw_ostream &os) const {
  printElements(elements, os);
}

static void visitPasses(std::vector<PipelineElement> &elements,
                        llvm::function_ref<void(Pass &)> fn) {
  for (PipelineElement &e : elements) {
    if (e.pass)
      fn(*e.pass);
    else
      visitPasses(e.group, fn);
  }
}

void PassManager::forEachPass(llvm::function_ref<void(Pass &)> fn) {
  visitPasses(elements, fn);
}
