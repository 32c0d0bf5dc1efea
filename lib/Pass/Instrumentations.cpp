//===- Instrumentations.cpp - IR printing, timing, statistics -------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/Pass/PassManager.h"

#include "llvm/Support/Format.h"

#include <chrono>

using namespace qlc;

namespace {
class IRPrinter : public PassInstrumentation {
public:
  IRPrinter(IRPrintingConfig config, llvm::raw_ostream &os)
      : config(std::move(config)), os(os) {}

  void runBeforePass(const Pass &pass, const Model &model) override {
    if (llvm::is_contained(config.beforePasses, pass.getArgument().str()))
      print("Before", pass, model);
  }
  void runAfterPass(const Pass &pass, const Model &model,
                    bool changed) override {
    bool selected =
        config.afterAll ||
        llvm::is_contained(config.afterPasses, pass.getArgument().str());
    if (config.afterChange && !changed)
      return;
    if (selected || (config.afterChange && config.afterPasses.empty()))
      print(changed ? "After" : "After (no change)", pass, model);
  }
  void runAfterPassFailed(const Pass &pass, const Model &model) override {
    if (config.afterAll ||
        llvm::is_contained(config.afterPasses, pass.getArgument().str()))
      print("After failed", pass, model);
  }

private:
  void print(llvm::StringRef when, const Pass &pass, const Model &model) {
    os << "# *** IR Dump " << when << " " << pass.getArgument() << " ***\n";
    config.printer(model, os);
    os.flush();
  }
  IRPrintingConfig config;
  llvm::raw_ostream &os;
};

class Timing : public PassInstrumentation {
public:
  explicit Timing(llvm::raw_ostream &os) : os(os) {}
  void runBeforePipeline(const Model &) override { pipelineStart = now(); }
  void runBeforePass(const Pass &pass, const Model &) override {
    passStart = now();
  }
  void runAfterPass(const Pass &pass, const Model &, bool) override {
    record(pass);
  }
  void runAfterPassFailed(const Pass &pass, const Model &) override {
    record(pass);
  }
  void runAfterPipeline(const Model &) override {
    double total = now() - pipelineStart;
    os << "===" << std::string(70, '-') << "===\n"
       << "                      ... Pass execution timing report ...\n"
       << "===" << std::string(70, '-') << "===\n"
       << llvm::format("  Total Execution Time: %.4f seconds\n\n", total)
       << "   Wall Time  (%)   Runs  Name\n";
    for (auto &entry : entries)
      os << llvm::format("  %9.4f (%5.1f%%) %5u  ", entry.second.seconds,
                         total > 0 ? 100.0 * entry.second.seconds / total : 0.0,
                         entry.second.runs)
         << entry.first << "\n";
    os << llvm::format("  %9.4f (100.0%%)        Total\n", total);
    os.flush();
  }

private:
  struct Entry {
    double seconds = 0;
    unsigned runs = 0;
  };
  static double now() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
  }
  void record(const Pass &pass) {
    auto it = llvm::find_if(entries, [&](const auto &entry) {
      return entry.first == pass.getArgument();
    });
    if (it == entries.end())
      it = entries.insert(entries.end(), {pass.getArgument().str(), Entry()});
    Entry &e = it->second;
    e.seconds += now() - passStart;
    ++e.runs;
  }
  llvm::raw_ostream &os;
  double pipelineStart = 0, passStart = 0;
  std::vector<std::pair<std::string, Entry>> entries; // first-run order
};

class Statistics : public PassInstrumentation {
public:
  explicit Statistics(llvm::raw_ostream &os) : os(os) {}
  void runAfterPass(const Pass &pass, const Model &, bool) override {
    if (!llvm::is_contained(seen, &pass))
      seen.push_back(&pass);
  }
  void runAfterPipeline(const Model &) override {
    os << "===" << std::string(70, '-') << "===\n"
       << "                         ... Pass statistics report ...\n"
       << "===" << std::string(70, '-') << "===\n";
    for (const Pass *pass : seen) {
      os << pass->getArgument() << "\n";
      for (const PassStatistic *s : pass->getStatistics())
        os << llvm::format("  (S) %8llu ", (unsigned long long)s->getValue())
           << s->getName() << " - " << s->getDescription() << "\n";
    }
    os.flush();
  }

private:
  llvm::raw_ostream &os;
  std::vector<const Pass *> seen;
};
} // namespace

std::unique_ptr<PassInstrumentation>
qlc::createIRPrinterInstrumentation(IRPrintingConfig config,
                                    llvm::raw_ostream &os) {
  return std::make_unique<IRPrinter>(std::move(config), os);
}

std::unique_ptr<PassInstrumentation>
qlc::createTimingInstrumentation(llvm::raw_ostream &os) {
  return std::make_unique<Timing>(os);
}

std::unique_ptr<PassInstrumentation>
qlc::createStatisticsInstrumentation(llvm::raw_ostream &os) {
  return std::make_unique<Statistics>(os);
}
