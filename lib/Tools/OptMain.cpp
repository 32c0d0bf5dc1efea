//===- OptMain.cpp - The qlc-opt driver -----------------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// qlc-opt IN.onnx|IN.onnxtxt [--pass-pipeline=... | --pass ...] -o OUT
//
// Passes are given either as one pipeline string or as flags named after
// the passes, in order (`--dce --fold-bn=mode=into-bias`). Registered passes
// become flags, so registration happens before command-line parsing; the
// pass flags are taken out of argv first because llvm::cl cannot keep the
// relative order of different options.
//
// Every failure prints "error: FILE: message" and returns 1 before anything
// is written: outputs are written atomically, and only after the whole
// pipeline and the ONNX checker succeeded.
//
//===----------------------------------------------------------------------===//

#include "qlc/Tools/OptMain.h"

#include "Passes.h"
#include "f2t/VerifyFakeVsTrue.h"
#include "qlc/IO/FileIO.h"
#include "qlc/ONNX/Export.h"
#include "qlc/Pass/PassManager.h"
#include "qlc/Plugin/Plugin.h"
#include "qlc/Rewrite/JsonPatterns.h"
#include "qlc/Support/Error.h"
#include "qlc/Tools/ToolUtils.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

using namespace qlc;
namespace cl = llvm::cl;

namespace {
enum class EmitKind { Auto, Text, Binary };

/// The pipeline written as pass flags, in command-line order.
struct PassFlags {
  std::string pipeline;
  unsigned count = 0;
};

/// "name=value" of "--name=value" or "-name=value"; "" for a positional.
llvm::StringRef optionBody(llvm::StringRef arg) {
  return arg.startswith("--")  ? arg.drop_front(2)
         : arg.startswith("-") ? arg.drop_front(1)
                               : llvm::StringRef();
}

/// Removes `--<pass>` / `--<pass>=<options>` from argv.
PassFlags extractPassFlags(std::vector<const char *> &args,
                           const PassRegistry &registry) {
  PassFlags flags;
  std::vector<const char *> rest;
  for (const char *arg : args) {
    llvm::StringRef body = optionBody(arg);
    auto [name, options] = body.split('=');
    if (body.empty() || !registry.lookup(name)) {
      rest.push_back(arg);
      continue;
    }
    if (flags.count++)
      flags.pipeline += ",";
    flags.pipeline += name.str();
    if (body.contains('='))
      flags.pipeline += "{" + options.str() + "}";
  }
  args = std::move(rest);
  return flags;
}

/// Removes `--<flag>=VALUE` (or `-<flag>=VALUE`) from argv and returns the
/// values in order: extensions must load before pass flags are known.
std::vector<std::string> extractListFlag(std::vector<const char *> &args,
                                         llvm::StringRef flag) {
  std::vector<std::string> values;
  std::vector<const char *> rest;
  for (const char *arg : args) {
    llvm::StringRef body = optionBody(arg);
    if (body.consume_front(flag) && body.consume_front("=")) {
      values.push_back(body.str());
      continue;
    }
    rest.push_back(arg);
  }
  args = std::move(rest);
  return values;
}

struct OptOptions {
  cl::OptionCategory category{"qlc-opt options"};
  // Read before the command line is parsed (see extractListFlag); declared
  // here so that --help lists them.
  cl::list<std::string> loadPlugins{
      "load-pass-plugin",
      cl::desc("Load passes and patterns from a plugin (a shared library "
               "built against qlc; see examples/plugin)"),
      cl::value_desc("lib.so"), cl::cat(category)};
  cl::list<std::string> loadPatterns{
      "load-patterns",
      cl::desc("Load rewrite patterns from a JSON file (docs/patterns.md); "
               "apply them with --apply-patterns"),
      cl::value_desc("file.json"), cl::cat(category)};
  cl::opt<std::string> input{cl::Positional, cl::desc("<input model>"),
                             cl::init("-"), cl::cat(category)};
  cl::opt<std::string> output{"o",
                              cl::desc("Output file (default: text on "
                                       "standard output)"),
                              cl::value_desc("file"), cl::init("-"),
                              cl::cat(category)};
  cl::opt<EmitKind> emit{
      "emit", cl::desc("Output format (default: from the output extension)"),
      cl::values(clEnumValN(EmitKind::Text, "text", "ONNX textual syntax"),
                 clEnumValN(EmitKind::Binary, "binary", "binary ONNX")),
      cl::init(EmitKind::Auto), cl::cat(category)};
  cl::opt<std::string> pipeline{"pass-pipeline",
                                cl::desc("Textual pass pipeline, e.g. "
                                         "'dce,fold-bn{mode=into-bias}'"),
                                cl::cat(category)};
  cl::opt<bool> listPasses{"list-passes",
                           cl::desc("List the passes and their options"),
                           cl::cat(category)};
  cl::opt<bool> listPassesMarkdown{
      "list-passes-markdown",
      cl::desc("List the passes as Markdown (docs/PassReference.md)"),
      cl::cat(category)};
  cl::opt<bool> verifyEach{"verify-each",
                           cl::desc("Verify the IR after every pass"),
                           cl::init(true), cl::cat(category)};
  cl::opt<bool> check{"check", cl::desc("Run the ONNX checker on the output"),
                      cl::init(true), cl::cat(category)};
  cl::list<std::string> printBefore{
      "print-ir-before", cl::desc("Print the IR before these passes"),
      cl::CommaSeparated, cl::value_desc("pass"), cl::cat(category)};
  cl::list<std::string> printAfter{
      "print-ir-after", cl::desc("Print the IR after these passes"),
      cl::CommaSeparated, cl::value_desc("pass"), cl::cat(category)};
  cl::opt<bool> printAfterAll{"print-ir-after-all",
                              cl::desc("Print the IR after every pass"),
                              cl::cat(category)};
  cl::opt<bool> printAfterChange{
      "print-ir-after-change",
      cl::desc("Print the IR after passes that changed it (all passes, or "
               "those of --print-ir-after)"),
      cl::cat(category)};
  cl::opt<bool> timePasses{"time-passes", cl::desc("Print wall time per pass"),
                           cl::cat(category)};
  cl::opt<bool> passStatistics{"pass-statistics",
                               cl::desc("Print the passes' statistics"),
                               cl::cat(category)};
  cl::opt<bool> externalData{
      "external-data",
      cl::desc("Store large initializers in OUT.data next to the output"),
      cl::cat(category)};
  cl::opt<std::string> report{
      "report",
      cl::desc("Write the passes' reports (calibration ranges, ...) as JSON"),
      cl::value_desc("file.json"), cl::cat(category)};
  cl::opt<std::string> calibData{
      "calib-data",
      cl::desc("Default data= of calibrate passes (.npz or .npy directory)"),
      cl::value_desc("path"), cl::cat(category)};
  cl::opt<std::string> calibSamples{
      "calib-samples", cl::desc("Default samples= of calibrate passes"),
      cl::value_desc("N"), cl::cat(category)};
  cl::opt<std::string> verifyData{
      "verify-fake-vs-true",
      cl::desc("Run the input (fake-quantised) model and the output (integer "
               "program) on this data and compare them tensor by tensor"),
      cl::value_desc("data.npz"), cl::cat(category)};
  cl::opt<int64_t> verifySamples{"verify-samples",
                                 cl::desc("Samples --verify-fake-vs-true runs"),
                                 cl::init(256), cl::cat(category)};
};

bool isDoryModel(const Model &model) {
  return llvm::any_of(model.metadata, [](const auto &entry) {
    return entry.first == "qlc.backend" && entry.second == "dory";
  });
}

bool isTextPath(llvm::StringRef path) {
  return guessModelFormat(path) == ModelFormat::Text;
}

void printText(const Model &model, llvm::raw_ostream &os) {
  printModelText(model, os);
}

int writeOutput(const Model &model, const OptOptions &opts) {
  bool toStdout = opts.output == "-";
  EmitKind emit = opts.emit;
  if (emit == EmitKind::Auto)
    emit =
        toStdout || isTextPath(opts.output) ? EmitKind::Text : EmitKind::Binary;
  // DORY's ONNX carries attributes no ONNX schema declares (weight_bits,
  // in1_mul, ...): export-dory has run DORY's checker instead.
  if (opts.check && !isDoryModel(model)) {
    if (llvm::Error err = checkModel(model))
      return reportError(
          opts.input,
          addErrorContext(std::move(err), "the output fails the ONNX checker"));
  }
  if (!toStdout) {
    ExportOptions exportOpts;
    exportOpts.format =
        emit == EmitKind::Text ? ModelFormat::Text : ModelFormat::Binary;
    exportOpts.runChecker = false; // checked above
    exportOpts.externalData = opts.externalData;
    if (llvm::Error err = exportModelFile(model, opts.output, exportOpts))
      return reportError(opts.output, std::move(err));
    return 0;
  }
  if (emit == EmitKind::Text) {
    printText(model, llvm::outs());
    return 0;
  }
  if (llvm::sys::Process::StandardOutIsDisplayed())
    return reportError("qlc-opt", makeError("refusing to write binary ONNX "
                                            "to a terminal; use -o FILE"));
  auto bytes = exportModelBinary(model, /*runChecker=*/false);
  if (!bytes)
    return reportError(opts.input, bytes.takeError());
  llvm::outs() << *bytes;
  return 0;
}

/// --calib-data / --calib-samples fill the options of calibrate passes
/// that the pipeline does not set itself.
llvm::Error applyCalibrationDefaults(PassManager &pm, const OptOptions &opts) {
  std::vector<std::pair<llvm::StringRef, std::string>> defaults;
  if (!opts.calibData.empty())
    defaults.emplace_back("data", opts.calibData);
  if (!opts.calibSamples.empty())
    defaults.emplace_back("samples", opts.calibSamples);
  llvm::Error result = llvm::Error::success();
  pm.forEachPass([&](Pass &pass) {
    if (pass.getArgument() != "calibrate")
      return;
    for (auto &[name, value] : defaults)
      for (OptionBase *opt : pass.getOptions())
        if (opt->getName() == name && !opt->hasValue())
          if (llvm::Error err =
                  pass.parseOptions((name + "='" + value + "'").str()))
            result = llvm::joinErrors(std::move(result), std::move(err));
  });
  return result;
}

/// {"model": ..., "passes": [{"pass": "calibrate", "report": {...}}, ...],
///  "verify": {...}}
int writeReport(PassManager &pm, const OptOptions &opts,
                llvm::json::Value verification) {
  llvm::json::Array passes;
  pm.forEachPass([&](Pass &pass) {
    llvm::json::Value report = pass.getReport();
    if (report.kind() == llvm::json::Value::Null)
      return;
    passes.push_back(llvm::json::Object{{"pass", pass.getArgument()},
                                        {"report", std::move(report)}});
  });
  llvm::json::Object root{{"model", opts.input.getValue()},
                          {"passes", std::move(passes)}};
  if (verification.kind() != llvm::json::Value::Null)
    root["verify"] = std::move(verification);
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  if (llvm::Error err = writeFileAtomic(opts.report, os.str()))
    return reportError(opts.report, std::move(err));
  return 0;
}

void addInstrumentations(PassManager &pm, const OptOptions &opts) {
  pm.enableVerifier(opts.verifyEach);
  if (!opts.printBefore.empty() || !opts.printAfter.empty() ||
      opts.printAfterAll || opts.printAfterChange) {
    IRPrintingConfig config;
    config.beforePasses.assign(opts.printBefore.begin(),
                               opts.printBefore.end());
    config.afterPasses.assign(opts.printAfter.begin(), opts.printAfter.end());
    config.afterAll = opts.printAfterAll;
    config.afterChange = opts.printAfterChange;
    config.printer = printText;
    pm.addInstrumentation(
        createIRPrinterInstrumentation(std::move(config), llvm::errs()));
  }
  if (opts.timePasses)
    pm.addInstrumentation(createTimingInstrumentation(llvm::errs()));
  if (opts.passStatistics)
    pm.addInstrumentation(createStatisticsInstrumentation(llvm::errs()));
}
} // namespace

int qlc::qlcOptMain(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  PassRegistry registry;
  if (llvm::Error err = registerAllPasses(registry))
    return reportError("qlc-opt", std::move(err));
  if (llvm::Error err = registerBuiltinPatterns(getGlobalPatternRegistry()))
    return reportError("qlc-opt", std::move(err));

  std::vector<const char *> args(argv, argv + argc);
  for (const std::string &path : extractListFlag(args, "load-pass-plugin"))
    if (llvm::Error err =
            loadPassPlugin(path, registry, getGlobalPatternRegistry()))
      return reportError(path, std::move(err));
  for (const std::string &path : extractListFlag(args, "load-patterns"))
    if (llvm::Error err = loadPatternFile(path, getGlobalPatternRegistry()))
      return reportError(path, std::move(err));
  PassFlags passFlags = extractPassFlags(args, registry);

  OptOptions opts;
  cl::HideUnrelatedOptions(opts.category);
  std::string overview = "qlc optimizer: runs passes on ONNX models\n\n"
                         "Passes (also usable as --<pass>[=<options>]):\n";
  {
    llvm::raw_string_ostream os(overview);
    registry.print(os);
  }
  if (!cl::ParseCommandLineOptions(static_cast<int>(args.size()), args.data(),
                                   overview, &llvm::errs()))
    return 1;

  if (opts.listPasses || opts.listPassesMarkdown) {
    registry.print(llvm::outs(), opts.listPassesMarkdown);
    return 0;
  }
  if (passFlags.count && !opts.pipeline.empty())
    return reportError("qlc-opt",
                       makeError("use either --pass-pipeline or pass flags, "
                                 "not both"));

  PassManager pm;
  llvm::StringRef pipelineText = passFlags.count
                                     ? llvm::StringRef(passFlags.pipeline)
                                     : llvm::StringRef(opts.pipeline);
  if (llvm::Error err = pm.addPipeline(pipelineText, registry))
    return reportError("qlc-opt", std::move(err));
  if (llvm::Error err = applyCalibrationDefaults(pm, opts))
    return reportError("qlc-opt", std::move(err));
  addInstrumentations(pm, opts);

  auto model = loadModel(opts.input);
  if (!model)
    return reportError(opts.input, model.takeError());
  std::unique_ptr<Model> before;
  if (!opts.verifyData.empty())
    before = (*model)->clone();
  if (llvm::Error err = pm.run(**model))
    return reportError(opts.input, std::move(err));
  llvm::json::Value verification = nullptr;
  if (before) {
    f2t::VerifyOptions v;
    v.dataPath = opts.verifyData;
    v.samples = opts.verifySamples;
    auto summary = f2t::verifyFakeVsTrue(*before, **model, v, llvm::errs());
    if (!summary)
      return reportError(opts.input, summary.takeError());
    verification = std::move(*summary);
  }
  if (int rc = writeOutput(**model, opts))
    return rc;
  return opts.report.empty() ? 0
                             : writeReport(pm, opts, std::move(verification));
}
