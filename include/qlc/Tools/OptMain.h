//===- OptMain.h - The qlc-opt driver ---------------------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QLC_TOOLS_OPTMAIN_H
#define QLC_TOOLS_OPTMAIN_H

namespace qlc {
/// Runs qlc-opt: reads a model, runs the pass pipeline, writes the result.
/// Returns the process exit code (0 on success, 1 on any error).
int qlcOptMain(int argc, char **argv);
} // namespace qlc

#endif // QLC_TOOLS_OPTMAIN_H
