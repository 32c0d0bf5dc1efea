// A plugin built for another plugin API version.
#include "qlc/Plugin/Plugin.h"
extern "C" QLC_PLUGIN_EXPORT qlc::PluginInfo qlcGetPluginInfo() {
  return {QLC_PLUGIN_API_VERSION + 1, "wrong-version", "0", nullptr};
}
