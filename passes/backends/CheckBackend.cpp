//===- CheckBackend.cpp - Will a deployment backend accept the model? -----===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// check-backend{target=dory} fails, naming the node and the reason, on any
// graph DORY's frontend or its PULP backend would reject: an unsupported
// op, a standalone Pad, back-to-back requantisation, a linear op without
// requantisation in the middle of the network, grouped convolutions other
// than depthwise, clip ranges that are not a power-of-two number of levels.
// It changes nothing; its report lists the fused layers DORY will see.
// export-dory runs the same check before writing anything.
//
//===----------------------------------------------------------------------===//

#include "backends/DoryLayers.h"
#include "backends/Passes.h"

#include "qlc/Support/Error.h"

#include "llvm/Support/JSON.h"

using namespace qlc;
using namespace qlc::backends;

namespace {

class CheckBackendPass : public PassBase<CheckBackendPass> {
public:
  static constexpr llvm::StringLiteral argument = "check-backend";
  static constexpr llvm::StringLiteral summary =
      "Fail, naming the node, on graphs a deployment backend rejects";
  static constexpr llvm::StringLiteral description =
      "target=dory: every integer op must belong to a fused DORY layer "
      "(Conv/FC/AveragePool/Addition with one requantisation, or MaxPool); "
      "a float head after the last integer image is allowed and reported. "
      "The report lists the layers and the BNRelu_bits the requantisations "
      "need.";

  Option<std::string> target{
      *this, "target", "backend to check for", "dory", {"dory"}};

  llvm::Expected<bool> run(Model &model) override {
    // Analyse a copy with batch 1 and inferred shapes, as export-dory does,
    // and leave the model as it was.
    std::unique_ptr<Model> prepared = model.clone();
    if (llvm::Error err = prepareForDory(*prepared))
      return err;
    llvm::Expected<DoryProgram> program = analyseDoryProgram(*prepared);
    if (!program)
      return addErrorContext(program.takeError(), "not accepted by DORY");
    llvm::json::Array layers;
    for (const DoryLayer &l : program->layers)
      layers.push_back(
          llvm::json::Object{{"kind", getDoryLayerKindName(l.kind).str()},
                             {"node", l.op->getName().str()},
                             {"output", l.output->getName().str()},
                             {"requantised", l.requant.hasValue()}});
    report = llvm::json::Object{
        {"target", target.getValue()},
        {"BNRelu_bits", program->bnReluBits},
        {"float_head_nodes", static_cast<int64_t>(program->headNodes.size())},
        {"layers", std::move(layers)}};
    return false;
  }

  llvm::json::Value getReport() const override { return report; }

private:
  llvm::json::Value report = nullptr;
};

} // namespace

std::unique_ptr<Pass> qlc::backends::createCheckBackendPass() {
  return std::make_unique<CheckBackendPass>();
}
