//===- PassInfraTest.cpp - Tests of options, registry and pass manager ----===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Exercises lib/Pass with passes defined here: option parsing of every type
// and its errors, the registry, textual pipelines (fixpoint included),
// instrumentation order, statistics and the verifier hook.
//
//===----------------------------------------------------------------------===//

#include "PassTestUtils.h"

#include "Passes.h"
#include "qlc/Pass/PassManager.h"
#include "qlc/Support/Error.h"

#include "gtest/gtest.h"

using namespace qlc;
using namespace qlc::test;

namespace {
class OptionsPass : public PassBase<OptionsPass> {
public:
  static constexpr llvm::StringLiteral argument = "options";
  static constexpr llvm::StringLiteral summary = "Has an option of each type";
  static constexpr llvm::StringLiteral description = "A longer description.";
  Option<bool> flag{*this, "flag", "a bool", false};
  Option<int> small{*this, "small", "an int", 3};
  Option<int64_t> big{*this, "big", "an int64", 1 << 20};
  Option<unsigned> count{*this, "count", "an unsigned", 2};
  Option<double> ratio{*this, "ratio", "a double", 0.5};
  Option<std::string> text{*this, "text", "a string", "hello"};
  Option<std::string> mode{*this, "mode", "a choice", "fast", {"fast", "slow"}};
  ListOption<int64_t> ints{*this, "ints", "a list of ints"};
  ListOption<std::string> names{*this, "names", "a list of strings"};
  PassStatistic runs{*this, "runs", "times run"};
  llvm::Expected<bool> run(Model &) override {
    ++runs;
    return false;
  }
};

class NoOptionsPass : public PassBase<NoOptionsPass> {
public:
  static constexpr llvm::StringLiteral argument = "plain";
  static constexpr llvm::StringLiteral summary = "No options";
  llvm::Expected<bool> run(Model &) override { return false; }
};

/// Reports a change on its first `changes` runs (counted per instance).
class CountdownPass : public PassBase<CountdownPass> {
public:
  static constexpr llvm::StringLiteral argument = "countdown";
  static constexpr llvm::StringLiteral summary = "Changes N times";
  Option<int> changes{*this, "changes", "runs that report a change", 2};
  PassStatistic runs{*this, "runs", "times run"};
  llvm::Expected<bool> run(Model &model) override {
    ++runs;
    if (changes <= 0)
      return false;
    changes.setValue(changes - 1);
    model.getGraph().bumpEpoch();
    return true;
  }
};

class FailingPass : public PassBase<FailingPass> {
public:
  static constexpr llvm::StringLiteral argument = "fail";
  static constexpr llvm::StringLiteral summary = "Always fails";
  llvm::Expected<bool> run(Model &model) override {
    Graph &g = model.getGraph();
    if (g.getNodes().empty())
      return makeError("empty graph");
    return makeNodeError(g.getNodes().front(), "cannot handle this");
  }
};

/// Moves the last node to the front: breaks topological order.
class BreakOrderPass : public PassBase<BreakOrderPass> {
public:
  static constexpr llvm::StringLiteral argument = "break-order";
  static constexpr llvm::StringLiteral summary = "Corrupts the IR";
  llvm::Expected<bool> run(Model &model) override {
    Graph &g = model.getGraph();
    g.moveBefore(&g.getNodes().back(), &g.getNodes().front());
    return true;
  }
};

class NamelessPass : public PassBase<NamelessPass> {
public:
  static constexpr llvm::StringLiteral argument = "";
  static constexpr llvm::StringLiteral summary = "";
  llvm::Expected<bool> run(Model &) override { return false; }
};

PassRegistry makeRegistry() {
  PassRegistry r;
  for (PassAllocator a : std::vector<PassAllocator>{
           [] { return std::make_unique<OptionsPass>(); },
           [] { return std::make_unique<NoOptionsPass>(); },
           [] { return std::make_unique<CountdownPass>(); },
           [] { return std::make_unique<FailingPass>(); },
           [] { return std::make_unique<BreakOrderPass>(); }})
    EXPECT_FALSE(static_cast<bool>(r.add(a)));
  return r;
}

/// x -> Relu -> Neg -> y.
std::unique_ptr<Model> makeChain() {
  auto model = makeModel();
  Graph &g = model->getGraph();
  Value *x = g.addInput("x", TensorType(ElementType::Float, {2}));
  Node *relu = g.createNode("Relu", {x}, "a");
  Node *neg = g.createNode("Neg", {relu->getResult(0)}, "y");
  g.addOutput(neg->getResult(0));
  return model;
}

std::string parseError(Pass &pass, llvm::StringRef text) {
  return errorMessage(pass.parseOptions(text));
}

/// Records every callback as "event:pass[:changed]".
class Recorder : public PassInstrumentation {
public:
  explicit Recorder(std::vector<std::string> &log) : log(log) {}
  void runBeforePipeline(const Model &) override { log.push_back("begin"); }
  void runBeforePass(const Pass &p, const Model &) override {
    log.push_back("before:" + p.getArgument().str());
  }
  void runAfterPass(const Pass &p, const Model &, bool changed) override {
    log.push_back("after:" + p.getArgument().str() + (changed ? ":1" : ":0"));
  }
  void runAfterPassFailed(const Pass &p, const Model &) override {
    log.push_back("failed:" + p.getArgument().str());
  }
  void runAfterPipeline(const Model &) override { log.push_back("end"); }

private:
  std::vector<std::string> &log;
};
} // namespace

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

TEST(PassOptionsTest, ParsesEveryType) {
  OptionsPass p;
  ASSERT_EQ(parseError(p, "flag=true small=-7 big=0x10 count=9 ratio=2.5e-1 "
                          "text='a b' mode=slow ints=1,-2,3 names={x,y}"),
            "");
  EXPECT_TRUE(p.flag);
  EXPECT_EQ(p.small.getValue(), -7);
  EXPECT_EQ(p.big.getValue(), 16);
  EXPECT_EQ(p.count.getValue(), 9u);
  EXPECT_EQ(p.ratio.getValue(), 0.25);
  EXPECT_EQ(p.text.getValue(), "a b");
  EXPECT_EQ(p.mode.getValue(), "slow");
  EXPECT_EQ(
      std::vector<int64_t>(p.ints.getValue().begin(), p.ints.getValue().end()),
      (std::vector<int64_t>{1, -2, 3}));
  EXPECT_EQ(std::vector<std::string>(p.names.getValue().begin(),
                                     p.names.getValue().end()),
            (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(p.flag.hasValue());
}

TEST(PassOptionsTest, BoolSpellings) {
  for (llvm::StringRef yes : {"1", "on", "TRUE", ""}) {
    OptionsPass p;
    ASSERT_EQ(parseError(p, ("flag=" + yes).str()), "") << yes.str();
    EXPECT_TRUE(p.flag) << yes.str();
  }
  for (llvm::StringRef no : {"0", "off", "False"}) {
    OptionsPass p;
    p.flag.setValue(true);
    ASSERT_EQ(parseError(p, ("flag=" + no).str()), "") << no.str();
    EXPECT_FALSE(p.flag) << no.str();
  }
}

TEST(PassOptionsTest, DefaultsAndTypeNames) {
  OptionsPass p;
  EXPECT_FALSE(p.small.hasValue());
  EXPECT_EQ(p.small.getValue(), 3);
  EXPECT_EQ(p.flag.getTypeName(), "bool");
  EXPECT_EQ(p.small.getTypeName(), "int");
  EXPECT_EQ(p.big.getTypeName(), "int");
  EXPECT_EQ(p.count.getTypeName(), "uint");
  EXPECT_EQ(p.ratio.getTypeName(), "float");
  EXPECT_EQ(p.text.getTypeName(), "string");
  EXPECT_EQ(p.mode.getTypeName(), "fast|slow");
  EXPECT_EQ(p.ints.getTypeName(), "list<int>");
  EXPECT_EQ(p.names.getTypeName(), "list<string>");
  EXPECT_EQ(p.ratio.getDefaultString(), "0.5");
  EXPECT_EQ(p.big.getDefaultString(), "1048576");
  EXPECT_EQ(p.flag.getDefaultString(), "false");
  EXPECT_EQ(p.ints.getDefaultString(), "");
}

TEST(PassOptionsTest, BadValuesNameTheOptionAndTheExpectation) {
  OptionsPass p;
  EXPECT_EQ(parseError(p, "flag=maybe"),
            "option 'flag': invalid value 'maybe', expected true or false");
  EXPECT_EQ(parseError(p, "small=3x"),
            "option 'small': invalid value '3x', expected an integer");
  EXPECT_EQ(parseError(p, "small=4294967296"),
            "option 'small': invalid value '4294967296', expected an integer");
  EXPECT_EQ(parseError(p, "big=1.5"),
            "option 'big': invalid value '1.5', expected an integer");
  EXPECT_EQ(parseError(p, "count=-1"),
            "option 'count': invalid value '-1', expected a non-negative "
            "integer");
  EXPECT_EQ(parseError(p, "ratio=abc"),
            "option 'ratio': invalid value 'abc', expected a number");
  EXPECT_EQ(parseError(p, "ratio=inf"),
            "option 'ratio': invalid value 'inf', expected a number");
  EXPECT_EQ(parseError(p, "mode=medium"),
            "option 'mode': invalid value 'medium', expected one of 'fast', "
            "'slow'");
  EXPECT_EQ(parseError(p, "ints=1,two"),
            "option 'ints': invalid value 'two', expected an integer");
  // A failed parse leaves the value unchanged.
  EXPECT_EQ(p.small.getValue(), 3);
  EXPECT_FALSE(p.small.hasValue());
}

TEST(PassOptionsTest, UnknownOptionsAndSyntaxErrors) {
  OptionsPass p;
  EXPECT_EQ(parseError(p, "nope=1"),
            "unknown option 'nope' (known: flag, small, big, count, ratio, "
            "text, mode, ints, names)");
  NoOptionsPass plain;
  EXPECT_EQ(parseError(plain, "x=1"), "unknown option 'x' (the pass has none)");
  EXPECT_EQ(parseError(p, "text='open"),
            "unterminated quote or brace in options 'text='open'");
  EXPECT_EQ(parseError(p, "ints={1,2"),
            "unterminated quote or brace in options 'ints={1,2'");
  EXPECT_EQ(parseError(p, "ints=1}"), "unbalanced '}' in options 'ints=1}'");
  EXPECT_EQ(parseError(p, ""), "");
}

TEST(PassOptionsTest, PrintsSetOptionsAsPipelineText) {
  OptionsPass p;
  std::string s;
  llvm::raw_string_ostream os(s);
  p.printAsTextualPipeline(os);
  EXPECT_EQ(os.str(), "options");
  ASSERT_EQ(parseError(p, "mode=slow text=\"x y\" ints=4,5 ratio=0.1"), "");
  s.clear();
  p.printAsTextualPipeline(os);
  EXPECT_EQ(os.str(), "options{ratio=0.1 text='x y' mode=slow ints=4,5}");
}

//===----------------------------------------------------------------------===//
// Registry
//===----------------------------------------------------------------------===//

TEST(PassRegistryTest, RejectsDuplicatesAndEmptyNames) {
  PassRegistry r = makeRegistry();
  EXPECT_EQ(
      errorMessage(r.add([] { return std::make_unique<NoOptionsPass>(); })),
      "pass 'plain' is registered twice");
  EXPECT_EQ(
      errorMessage(r.add([] { return std::make_unique<NamelessPass>(); })),
      "a pass has an empty argument");
}

TEST(PassRegistryTest, LooksUpListsAndPrints) {
  PassRegistry r = makeRegistry();
  ASSERT_TRUE(r.lookup("options"));
  EXPECT_EQ(r.lookup("options")->summary, "Has an option of each type");
  EXPECT_EQ(r.lookup("options")->description, "A longer description.");
  EXPECT_EQ(r.lookup("plain")->description, "");
  EXPECT_FALSE(r.lookup("missing"));
  std::vector<std::string> names;
  for (const PassInfo *info : r.getPasses())
    names.push_back(info->argument);
  EXPECT_EQ(names, (std::vector<std::string>{"break-order", "countdown", "fail",
                                             "options", "plain"}));
  std::string text, markdown;
  llvm::raw_string_ostream os(text), md(markdown);
  r.print(os);
  r.print(md, /*markdown=*/true);
  EXPECT_NE(os.str().find("  --options  Has an option of each type"),
            std::string::npos);
  EXPECT_NE(os.str().find("mode=<fast|slow> (default: fast)  a choice"),
            std::string::npos);
  EXPECT_NE(md.str().find("## `countdown`"), std::string::npos);
  EXPECT_NE(md.str().find("| `changes` | int | `2` | runs that report a "
                          "change |"),
            std::string::npos);
}

TEST(PassRegistryTest, RegistersTheCanonicalizePasses) {
  PassRegistry r;
  ASSERT_EQ(errorMessage(registerAllPasses(r)), "");
  for (llvm::StringRef name :
       {"dce", "remove-identity", "fold-constants", "fold-bn",
        "canonicalize-flatten", "infer-shapes"}) {
    const PassInfo *info = r.lookup(name);
    ASSERT_TRUE(info) << name.str();
    EXPECT_FALSE(info->summary.empty()) << name.str();
    EXPECT_EQ(info->createPass()->getArgument(), name);
  }
  // Registering twice fails on the first duplicate.
  EXPECT_NE(errorMessage(registerAllPasses(r)), "");
}

//===----------------------------------------------------------------------===//
// Pipelines
//===----------------------------------------------------------------------===//

namespace {
std::string roundTrip(llvm::StringRef text, std::string *error = nullptr) {
  PassRegistry r = makeRegistry();
  PassManager pm;
  if (llvm::Error err = pm.addPipeline(text, r)) {
    if (error)
      *error = llvm::toString(std::move(err));
    else
      ADD_FAILURE() << llvm::toString(std::move(err));
    return "";
  }
  std::string s;
  llvm::raw_string_ostream os(s);
  pm.printAsTextualPipeline(os);
  return os.str();
}

std::string pipelineError(llvm::StringRef text) {
  std::string error;
  roundTrip(text, &error);
  return error;
}
} // namespace

TEST(PipelineTest, ParsesAndPrintsPipelines) {
  EXPECT_EQ(roundTrip("plain"), "plain");
  EXPECT_EQ(roundTrip(" plain , options{ mode=slow small=1 } "),
            "plain,options{small=1 mode=slow}");
  EXPECT_EQ(roundTrip("fixpoint(plain,countdown)"),
            "fixpoint(plain,countdown)");
  EXPECT_EQ(roundTrip("fixpoint{max-iterations=3}(plain,fixpoint(plain))"),
            "fixpoint{max-iterations=3}(plain,fixpoint(plain))");
  EXPECT_EQ(roundTrip("options{names={a,b} text='x,y'}"),
            "options{text='x,y' names=a,b}");
  EXPECT_EQ(roundTrip(""), "");
}

TEST(PipelineTest, ReportsErrorsWithTheirPlace) {
  EXPECT_EQ(pipelineError("plain,nosuch"),
            "unknown pass 'nosuch' (see --list-passes for the registered "
            "passes)");
  EXPECT_EQ(pipelineError("options{bad=1}"),
            "options: unknown option 'bad' (known: flag, small, big, count, "
            "ratio, text, mode, ints, names)");
  EXPECT_EQ(pipelineError("options{small=x}"),
            "options: option 'small': invalid value 'x', expected an integer");
  EXPECT_EQ(pipelineError("plain,"),
            "invalid pass pipeline 'plain,' at column 7: expected a pass name");
  EXPECT_EQ(pipelineError("plain plain"),
            "invalid pass pipeline 'plain plain' at column 7: unexpected 'p'");
  EXPECT_EQ(pipelineError("options{small=1"),
            "invalid pass pipeline 'options{small=1' at column 16: "
            "unterminated '{'");
  EXPECT_EQ(pipelineError("fixpoint(plain"),
            "invalid pass pipeline 'fixpoint(plain' at column 15: expected "
            "')'");
  EXPECT_EQ(pipelineError("fixpoint plain"),
            "invalid pass pipeline 'fixpoint plain' at column 10: expected "
            "'(' after fixpoint");
  EXPECT_EQ(pipelineError("fixpoint{max-iterations=0}(plain)"),
            "fixpoint: invalid option 'max-iterations=0' (expected "
            "max-iterations=N, N > 0)");
  EXPECT_EQ(pipelineError("fixpoint{depth=2}(plain)"),
            "fixpoint: invalid option 'depth=2' (expected max-iterations=N, "
            "N > 0)");
}

TEST(PipelineTest, FixpointRepeatsUntilNothingChanges) {
  PassRegistry r = makeRegistry();
  PassManager pm;
  ASSERT_EQ(
      errorMessage(pm.addPipeline("fixpoint(countdown{changes=3},plain)", r)),
      "");
  std::vector<std::string> log;
  pm.addInstrumentation(std::make_unique<Recorder>(log));
  auto model = makeChain();
  ASSERT_EQ(errorMessage(pm.run(*model)), "");
  // Three changing sweeps, then one quiet sweep.
  std::vector<std::string> expected{"begin"};
  for (int i = 0; i < 4; ++i) {
    expected.push_back("before:countdown");
    expected.push_back(i < 3 ? "after:countdown:1" : "after:countdown:0");
    expected.push_back("before:plain");
    expected.push_back("after:plain:0");
  }
  expected.push_back("end");
  EXPECT_EQ(log, expected);
}

TEST(PipelineTest, FixpointStopsAtMaxIterations) {
  PassRegistry r = makeRegistry();
  PassManager pm;
  ASSERT_EQ(errorMessage(pm.addPipeline(
                "fixpoint{max-iterations=2}(countdown{changes=5})", r)),
            "");
  std::vector<std::string> log;
  pm.addInstrumentation(std::make_unique<Recorder>(log));
  auto model = makeChain();
  ASSERT_EQ(errorMessage(pm.run(*model)), "");
  EXPECT_EQ(std::count(log.begin(), log.end(), "before:countdown"), 2);
}

TEST(PipelineTest, FailureStopsThePipelineAndNamesThePass) {
  PassRegistry r = makeRegistry();
  PassManager pm;
  ASSERT_EQ(errorMessage(pm.addPipeline("plain,fail,options", r)), "");
  std::vector<std::string> log;
  pm.addInstrumentation(std::make_unique<Recorder>(log));
  auto model = makeChain();
  EXPECT_EQ(errorMessage(pm.run(*model)),
            "fail: 'a' (Relu): cannot handle this");
  EXPECT_EQ(log,
            (std::vector<std::string>{"begin", "before:plain", "after:plain:0",
                                      "before:fail", "failed:fail", "end"}));
}

TEST(PipelineTest, VerifierRunsAfterEachPass) {
  PassRegistry r = makeRegistry();
  {
    PassManager pm;
    ASSERT_EQ(errorMessage(pm.addPipeline("break-order,plain", r)), "");
    auto model = makeChain();
    std::string message = errorMessage(pm.run(*model));
    EXPECT_EQ(
        message.rfind("IR verification failed after pass 'break-order'", 0), 0u)
        << message;
  }
  {
    PassManager pm;
    pm.enableVerifier(false);
    ASSERT_EQ(errorMessage(pm.addPipeline("break-order", r)), "");
    auto model = makeChain();
    EXPECT_EQ(errorMessage(pm.run(*model)), "");
  }
}

TEST(PipelineTest, StatisticsAndTimingReports) {
  PassRegistry r = makeRegistry();
  PassManager pm;
  ASSERT_EQ(errorMessage(pm.addPipeline("options,countdown{changes=1}", r)),
            "");
  std::string stats, timing;
  llvm::raw_string_ostream statsOs(stats), timingOs(timing);
  pm.addInstrumentation(createStatisticsInstrumentation(statsOs));
  pm.addInstrumentation(createTimingInstrumentation(timingOs));
  auto model = makeChain();
  ASSERT_EQ(errorMessage(pm.run(*model)), "");
  EXPECT_NE(statsOs.str().find("options\n  (S)        1 runs - times run"),
            std::string::npos)
      << statsOs.str();
  EXPECT_NE(statsOs.str().find("countdown\n  (S)        1 runs - times run"),
            std::string::npos);
  EXPECT_NE(timingOs.str().find("Pass execution timing report"),
            std::string::npos);
  EXPECT_NE(timingOs.str().find("options\n"), std::string::npos);
  EXPECT_NE(timingOs.str().find("countdown\n"), std::string::npos);
}

TEST(PipelineTest, IRPrinterSelectsPasses) {
  PassRegistry r = makeRegistry();
  PassManager pm;
  ASSERT_EQ(errorMessage(pm.addPipeline("plain,countdown{changes=1},plain", r)),
            "");
  IRPrintingConfig config;
  config.beforePasses = {"countdown"};
  config.afterChange = true;
  config.printer = [](const Model &m, llvm::raw_ostream &os) {
    os << m.getGraph().getNumNodes() << " nodes\n";
  };
  std::string out;
  llvm::raw_string_ostream os(out);
  pm.addInstrumentation(createIRPrinterInstrumentation(config, os));
  auto model = makeChain();
  ASSERT_EQ(errorMessage(pm.run(*model)), "");
  EXPECT_EQ(os.str(), "# *** IR Dump Before countdown ***\n2 nodes\n"
                      "# *** IR Dump After countdown ***\n2 nodes\n");
}

TEST(PipelineTest, AddPassRunsInstances) {
  PassManager pm;
  EXPECT_TRUE(pm.empty());
  auto pass = std::make_unique<OptionsPass>();
  OptionsPass *raw = pass.get();
  pm.addPass(std::move(pass));
  EXPECT_FALSE(pm.empty());
  auto model = makeChain();
  ASSERT_EQ(errorMessage(pm.run(*model)), "");
  ASSERT_EQ(errorMessage(pm.run(*model)), "");
  EXPECT_EQ(raw->runs.getValue(), 2u);
}
