//===- ExportDory.cpp - The integer program as a DORY bundle --------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// export-dory replaces an integer program (fake-to-true's output) by the
// ONNX DORY's Quantlab frontend parses, and with dir= writes the bundle
// DORY's code generator reads:
//
//   DIR/<name>.onnx            the DORY ONNX (what -o writes too)
//   DIR/config_<name>.json     BNRelu_bits, onnx_file, input bits/sign, ...
//   DIR/input.txt              the integer input the goldens were run on
//   DIR/out_layer{i}.txt       the output of fused DORY layer i (HWC)
//   DIR/output.txt             the network output
//   DIR/<name>_head.onnx       the float head the host runs, if any
//
// The goldens come from qlc's exact integer interpreter running the
// program before the conversion. Everything is computed before the first
// file is written, and each file is written atomically.
//
//===----------------------------------------------------------------------===//

#include "backends/DoryBundle.h"
#include "backends/DoryEmit.h"
#include "backends/DoryLayers.h"
#include "backends/Passes.h"

#include "qlc/Support/Error.h"

#include "llvm/Support/JSON.h"

using namespace qlc;
using namespace qlc::backends;

namespace {

class ExportDoryPass : public PassBase<ExportDoryPass> {
public:
  static constexpr llvm::StringLiteral argument = "export-dory";
  static constexpr llvm::StringLiteral summary =
      "Convert an integer program to DORY-annotated ONNX, with its config "
      "and golden feature maps";
  static constexpr llvm::StringLiteral description =
      "Runs the DORY checker (check-backend{target=dory}) first. The model "
      "becomes opset-10 ONNX with requantisation as Mul/Add/Div/Floor/Clip "
      "and DORY's bit-width and residual-Add attributes; a float head "
      "after the last integer image is cut off (and written to "
      "DIR/<name>_head.onnx); tensors are float32, or float64 when a "
      "constant needs more than 24 bits (values=). With dir=, writes the ONNX, "
      "config_<name>.json "
      "and the goldens input.txt, out_layer{i}.txt and output.txt computed "
      "by qlc's integer interpreter on input= (a .npy sample, or sample= of "
      "an .npz dataset; float data is quantised as the model's metadata "
      "says) or on seeded random integers.";

  Option<std::string> dir{*this, "dir",
                          "write the DORY bundle (ONNX, config, goldens) here"};
  Option<std::string> name{*this, "name",
                           "network name in file names (default: the graph's)"};
  Option<std::string> input{
      *this, "input",
      "golden input: a .npy sample (batch 1) or an .npz dataset (array x)"};
  Option<unsigned> sample{*this, "sample",
                          "which sample of an .npz input= to use", 0};
  Option<unsigned> seed{*this, "seed",
                        "seed of the random golden input without input=", 1};
  Option<std::string> values{
      *this,
      "values",
      "tensor type: float (as QuantLab writes), double (53-bit exact "
      "constants), or auto: float unless a constant needs more than 24 bits",
      "auto",
      {"auto", "float", "double"}};
  Option<unsigned> codeReservedSpace{
      *this, "code-reserved-space",
      "config 'code reserved space' in bytes (DORY's L2 budget for code)",
      160000};

  PassStatistic layersExported{*this, "layers", "DORY layers"};

  llvm::Expected<bool> run(Model &model) override {
    if (llvm::Error err = prepareForDory(model))
      return err;
    llvm::Expected<DoryProgram> program = analyseDoryProgram(model);
    if (!program)
      return addErrorContext(program.takeError(), "not accepted by DORY");
    llvm::Expected<DoryModel> dory = emit(model, *program);
    if (!dory)
      return dory.takeError();
    BundleOptions options;
    options.name = bundleName(model);
    options.inputPath = input;
    options.sampleIndex = sample;
    options.seed = seed;
    options.codeReservedSpace = codeReservedSpace;
    llvm::Expected<DoryBundle> bundle =
        buildDoryBundle(model, *program, *dory, options);
    if (!bundle)
      return bundle.takeError();
    if (!dir.getValue().empty())
      if (llvm::Error err = writeDoryBundle(*bundle, dir.getValue()))
        return err;
    report = describe(*program, *dory, *bundle);
    layersExported += program->layers.size();
    model = std::move(*dory->model);
    return true;
  }

  llvm::json::Value getReport() const override { return report; }

private:
  llvm::Expected<DoryModel> emit(const Model &model,
                                 const DoryProgram &program) {
    if (values.getValue() != "auto")
      return emitDoryModel(model, program,
                           values.getValue() == "float" ? ElementType::Float
                                                        : ElementType::Double);
    llvm::Expected<DoryModel> asFloat =
        emitDoryModel(model, program, ElementType::Float);
    if (asFloat)
      return asFloat;
    std::string why = llvm::toString(asFloat.takeError());
    if (why.find("is not exactly a float") == std::string::npos)
      return makeError(why); // not about float32's precision
    llvm::errs() << "note: export-dory: requantisation constants need more "
                    "than float32's 24 bits; writing float64 tensors\n";
    return emitDoryModel(model, program, ElementType::Double);
  }

  std::string bundleName(const Model &model) const {
    if (!name.getValue().empty())
      return name;
    std::string n = model.getGraph().name;
    for (char &c : n)
      if (!isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
        c = '_';
    return n.empty() ? std::string("network") : n;
  }

  static llvm::json::Value describe(const DoryProgram &program,
                                    const DoryModel &dory,
                                    const DoryBundle &bundle) {
    llvm::json::Array layers;
    for (size_t i = 0; i < program.layers.size(); ++i) {
      const DoryLayer &l = program.layers[i];
      llvm::json::Object o{{"index", static_cast<int64_t>(i)},
                           {"kind", getDoryLayerKindName(l.kind).str()},
                           {"node", l.op->getName().str()},
                           {"output", l.output->getName().str()},
                           {"dory_output", dory.layerOutputs[i]},
                           {"requantised", l.requant.hasValue()}};
      if (l.requant) {
        o["out_bits"] = static_cast<int64_t>(l.requant->outBits());
        o["requant_bits"] = static_cast<int64_t>(l.requantBits);
      }
      layers.push_back(std::move(o));
    }
    llvm::json::Array head;
    for (const Node *n : program.headNodes)
      head.push_back(n->getName().empty() ? n->getOpType().str()
                                          : n->getName().str());
    return llvm::json::Object{{"BNRelu_bits", program.bnReluBits},
                              {"layers", std::move(layers)},
                              {"float_head", std::move(head)},
                              {"files", bundle.fileNames()}};
  }

  llvm::json::Value report = nullptr;
};

} // namespace

std::unique_ptr<Pass> qlc::backends::createExportDoryPass() {
  return std::make_unique<ExportDoryPass>();
}
