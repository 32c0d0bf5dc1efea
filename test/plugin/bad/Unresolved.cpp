// A plugin calling a function no qlc-opt defines (as if built against
// another qlc): loading must fail cleanly, not crash later.
#include "qlc/Plugin/Plugin.h"
namespace qlc {
void functionMissingFromQlc();
}
static llvm::Error registerNothing(qlc::PassRegistry &,
                                   qlc::PatternRegistry &) {
  qlc::functionMissingFromQlc();
  return llvm::Error::success();
}
extern "C" QLC_PLUGIN_EXPORT qlc::PluginInfo qlcGetPluginInfo() {
  return {QLC_PLUGIN_API_VERSION, "unresolved", "0", registerNothing};
}
