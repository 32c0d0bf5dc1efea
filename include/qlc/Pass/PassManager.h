//===- PassManager.h - Pipelines and instrumentation ------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Runs a pipeline of passes. Verification, IR printing and timing are
// instrumentations, as in MLIR, so tools and tests can attach their own.
//
// Pipeline text: `dce,fold-bn{mode=into-bias},fixpoint(dce,const-fold)`.
// `fixpoint(...)` repeats its passes until none reports a change (at most
// `max-iterations`, default 10: `fixpoint{max-iterations=4}(...)`).
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASS_PASSMANAGER_H
#define QLC_PASS_PASSMANAGER_H

#include "qlc/Pass/Pass.h"
#include "qlc/Pass/PassRegistry.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <vector>

namespace qlc {

class PassInstrumentation {
public:
  virtual ~PassInstrumentation();
  virtual void runBeforePipeline(const Model &model) {}
  virtual void runBeforePass(const Pass &pass, const Model &model) {}
  virtual void runAfterPass(const Pass &pass, const Model &model,
                            bool changed) {}
  virtual void runAfterPassFailed(const Pass &pass, const Model &model) {}
  virtual void runAfterPipeline(const Model &model) {}
};

/// One pipeline element: a pass, or a fixed-point group of elements.
struct PipelineElement {
  std::unique_ptr<Pass> pass; // null for a group
  std::vector<PipelineElement> group;
  unsigned maxIterations = 10;
};

class PassManager {
public:
  PassManager();
  ~PassManager();

  void addPass(std::unique_ptr<Pass> pass);
  /// Parses and appends a textual pipeline; errors name the offending
  /// element ("unknown pass 'foo'", "fold-bn: unknown option 'x'").
  llvm::Error addPipeline(llvm::StringRef text, const PassRegistry &registry);
  void addInstrumentation(std::unique_ptr<PassInstrumentation> instr);
  /// Run the IR verifier after every pass (on by default).
  void enableVerifier(bool enabled = true) { verifyEach = enabled; }

  /// Runs every pass. A pass error is returned prefixed with the pass name;
  /// a verifier failure names the pass after which it occurred.
  llvm::Error run(Model &model);

  bool empty() const { return elements.empty(); }
  /// Visits every pass of the pipeline, nested groups included, in order.
  void forEachPass(llvm::function_ref<void(Pass &)> fn);
  void printAsTextualPipeline(llvm::raw_ostream &os) const;

private:
  llvm::Expected<bool> runElements(std::vector<PipelineElement> &elems,
                                   Model &model);
  llvm::Expected<bool> runPass(Pass &pass, Model &model);

  std::vector<PipelineElement> elements;
  std::vector<std::unique_ptr<PassInstrumentation>> instrumentations;
  bool verifyEach = true;
};

/// Prints the IR before/after selected passes (--print-ir-* flags).
struct IRPrintingConfig {
  std::vector<std::string> beforePasses;
  std::vector<std::string> afterPasses;
  bool afterAll = false;
  bool afterChange = false; // only when the pass changed the model
  std::function<void(const Model &, llvm::raw_ostream &)> printer;
};
std::unique_ptr<PassInstrumentation>
createIRPrinterInstrumentation(IRPrintingConfig config, llvm::raw_ostream &os);

/// Collects wall time per pass; prints a table when destroyed or on
/// runAfterPipeline (--time-passes).
std::unique_ptr<PassInstrumentation>
createTimingInstrumentation(llvm::raw_ostream &os);

/// Prints every pass's statistics after the pipeline (--pass-statistics).
std::unique_ptr<PassInstrumentation>
createStatisticsInstrumentation(llvm::raw_ostream &os);

} // namespace qlc

#endif // QLC_PASS_PASSMANAGER_H
