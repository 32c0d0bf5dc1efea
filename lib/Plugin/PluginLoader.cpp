//===- PluginLoader.cpp - Loading pass and pattern plugins ----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// dlopen with RTLD_NOW: every undefined symbol of the plugin must resolve
// against qlc-opt at load time. LLVM's DynamicLibrary opens lazily, which
// would turn a plugin built against another qlc into a crash at the first
// call instead of an error here. Libraries stay loaded for the process:
// their passes and patterns are used until exit.
//
// Patterns the plugin registers go through a staging registry first, so a
// failing or clashing plugin adds nothing.
//
//===----------------------------------------------------------------------===//

#include "qlc/Plugin/Plugin.h"

#include "qlc/Support/Error.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <dlfcn.h>

using namespace qlc;

namespace {
/// Forwards patterns to the real registry with the plugin's origin.
llvm::Error addPatterns(const PatternRegistry &staged, PatternRegistry &into,
                        llvm::StringRef origin) {
  for (const auto &[pattern, ignored] : staged.getPatterns())
    if (llvm::Error err = into.add(pattern, origin))
      return err;
  return llvm::Error::success();
}
} // namespace

llvm::Error qlc::loadPassPlugin(llvm::StringRef path, PassRegistry &passes,
                                PatternRegistry &patterns) {
  if (!llvm::sys::fs::exists(path))
    return makeError(path + ": no such plugin file");
  void *handle = dlopen(path.str().c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return makeError(path + ": cannot load the plugin: " + dlerror());
  auto getInfo =
      reinterpret_cast<QlcGetPluginInfoFn>(dlsym(handle, "qlcGetPluginInfo"));
  if (!getInfo)
    return makeError(path + ": not a qlc plugin (no qlcGetPluginInfo "
                            "symbol)");
  PluginInfo info = getInfo();
  if (info.apiVersion != QLC_PLUGIN_API_VERSION)
    return makeError(path + ": plugin API version " +
                     llvm::Twine(info.apiVersion) +
                     ", but this qlc-opt "
                     "loads version " +
                     llvm::Twine(QLC_PLUGIN_API_VERSION) +
                     "; rebuild the plugin against this qlc");
  if (!info.registerExtensions)
    return makeError(path + ": the plugin has no registration function");
  std::string origin = "plugin " + llvm::sys::path::filename(path).str();
  PatternRegistry staged;
  if (llvm::Error err = info.registerExtensions(passes, staged))
    return addErrorContext(std::move(err), path + ": plugin '" +
                                               (info.name ? info.name : "?") +
                                               "'");
  if (llvm::Error err = addPatterns(staged, patterns, origin))
    return addErrorContext(std::move(err), path);
  return llvm::Error::success();
}
