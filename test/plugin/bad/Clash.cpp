// A plugin registering a pass named like one of qlc's own.
#include "qlc/Plugin/Plugin.h"
namespace {
class Dce : public qlc::PassBase<Dce> {
public:
  static constexpr llvm::StringLiteral argument = "dce";
  static constexpr llvm::StringLiteral summary = "clashes with qlc's dce";
  llvm::Expected<bool> run(qlc::Model &) override { return false; }
};
llvm::Error registerClash(qlc::PassRegistry &passes, qlc::PatternRegistry &) {
  return passes.add([] { return std::make_unique<Dce>(); });
}
} // namespace
extern "C" QLC_PLUGIN_EXPORT qlc::PluginInfo qlcGetPluginInfo() {
  return {QLC_PLUGIN_API_VERSION, "clash", "0", registerClash};
}
