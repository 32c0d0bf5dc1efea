//===- PipelineParser.h - Textual pass pipelines ----------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_PASS_PIPELINEPARSER_H
#define QLC_LIB_PASS_PIPELINEPARSER_H

#include "qlc/Pass/PassManager.h"

namespace qlc {
/// Appends the elements of `text` to `out`.
llvm::Error parsePassPipeline(llvm::StringRef text,
                              const PassRegistry &registry,
                              std::vector<PipelineElement> &out);
} // namespace qlc

#endif // QLC_LIB_PASS_PIPELINEPARSER_H
