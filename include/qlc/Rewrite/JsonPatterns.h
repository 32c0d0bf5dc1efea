//===- JsonPatterns.h - Rewrite patterns written in JSON --------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A JSON file of declarative patterns (docs/patterns.md): each pattern has
// a source DAG, parsed into the same OpPattern a C++ pattern builds, and a
// replacement DAG of new nodes reading the source's captures. Replacement
// nodes whose inputs are all constants are evaluated when the rewrite runs
// (W * s folds into a new initializer). qlc-opt --load-patterns=FILE
// registers them; the apply-patterns pass applies them.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_REWRITE_JSONPATTERNS_H
#define QLC_REWRITE_JSONPATTERNS_H

#include "qlc/Rewrite/PatternRewrite.h"

#include <memory>
#include <vector>

namespace qlc {

/// Parses the text of a pattern file; errors name `fileName`, the pattern
/// and the place ("pattern 'x': source.inputs[1]: ...").
llvm::Expected<std::vector<std::shared_ptr<RewritePattern>>>
parsePatterns(llvm::StringRef json, llvm::StringRef fileName);

/// Reads `path` and registers its patterns with origin "file <path>".
llvm::Error loadPatternFile(llvm::StringRef path, PatternRegistry &registry);

} // namespace qlc

#endif // QLC_REWRITE_JSONPATTERNS_H
