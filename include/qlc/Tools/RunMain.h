//===- RunMain.h - The qlc-run driver ---------------------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// qlc-run executes a model with the reference interpreter: on inputs from
// .npy / .pb files or random ones, over a labelled .npz data set (top-1
// accuracy), against a second model (error metrics), dumping every
// intermediate tensor or timing repeated runs. See docs/qlc-run.md.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_TOOLS_RUNMAIN_H
#define QLC_TOOLS_RUNMAIN_H

namespace qlc {

/// The whole tool; returns the process exit code (0 success, 1 error).
int qlcRunMain(int argc, char **argv);

} // namespace qlc

#endif // QLC_TOOLS_RUNMAIN_H
