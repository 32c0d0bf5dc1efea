//===- Plugin.h - Passes and patterns from shared libraries -----*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A qlc plugin is a shared library, built against an installed qlc
// (`find_package(qlc)`, `qlc_add_plugin(...)`), that qlc-opt loads with
// --load-pass-plugin=lib.so. It exports one C function returning its
// PluginInfo; the registration callback adds passes (which become qlc-opt
// flags and pipeline names) and named rewrite patterns:
//
//   extern "C" QLC_PLUGIN_EXPORT qlc::PluginInfo qlcGetPluginInfo() {
//     return {QLC_PLUGIN_API_VERSION, "my-plugin", "1.0",
//             [](qlc::PassRegistry &passes, qlc::PatternRegistry &patterns)
//                 -> llvm::Error {
//               if (llvm::Error err = passes.add(&createMyPass))
//                 return err;
//               return patterns.add(std::make_shared<MyPattern>(), "");
//             }};
//   }
//
// Like LLVM's opt plugins, a plugin links no qlc library: its qlc and LLVM
// symbols resolve against the qlc-opt that loads it, which exports them.
// The API version changes whenever these classes change incompatibly.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PLUGIN_PLUGIN_H
#define QLC_PLUGIN_PLUGIN_H

#include "qlc/Pass/PassRegistry.h"
#include "qlc/Rewrite/PatternRewrite.h"

#include "llvm/Support/Error.h"

#include <cstdint>

#define QLC_PLUGIN_API_VERSION 1
#define QLC_PLUGIN_EXPORT __attribute__((visibility("default")))

namespace qlc {

struct PluginInfo {
  uint32_t apiVersion;
  const char *name;
  const char *version;
  /// Registers the plugin's passes and patterns. Patterns are registered
  /// with the origin qlc passes in ("plugin <file>") whatever the callback
  /// passes as origin.
  llvm::Error (*registerExtensions)(PassRegistry &passes,
                                    PatternRegistry &patterns);
};

/// Loads `path` (resolving every symbol now, so a plugin built against
/// another qlc fails here rather than crashing later) and runs its
/// registration. Errors name the file.
llvm::Error loadPassPlugin(llvm::StringRef path, PassRegistry &passes,
                           PatternRegistry &patterns);

} // namespace qlc

extern "C" {
/// The entry point every plugin defines.
typedef qlc::PluginInfo (*QlcGetPluginInfoFn)();
}

#endif // QLC_PLUGIN_PLUGIN_H
