//===- JsonPatternSpec.h - Parsed form of a JSON pattern --------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// What JsonPatternParser.cpp produces and JsonPatterns.cpp executes: the
// source DAG as an OpPattern, and the replacement as a list of node specs.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_LIB_REWRITE_JSONPATTERNSPEC_H
#define QLC_LIB_REWRITE_JSONPATTERNSPEC_H

#include "qlc/Rewrite/DagPattern.h"

#include <map>
#include <string>
#include <vector>

namespace qlc {
namespace json_patterns {

struct ReplacementNode {
  std::string opType; // empty when sameAs is set
  std::string sameAs; // source node capture whose op type to use
  std::string domain;
  bool domainSet = false;
  std::vector<std::string> inputs; // captures; "" for an omitted input
  std::vector<NamedAttribute> attrs;
  std::string copyAttrs; // source node capture
  std::string capture;
};

struct PatternSpec {
  std::string name;
  unsigned benefit = 1;
  OpPattern source;
  std::vector<ReplacementNode> nodes;
  /// Source node capture -> replacement capture, applied in key order.
  std::map<std::string, std::string> results;
};

/// Parses one file; errors name the file, the pattern and the JSON path.
llvm::Expected<std::vector<PatternSpec>> parseSpecs(llvm::StringRef json,
                                                    llvm::StringRef fileName);

} // namespace json_patterns
} // namespace qlc

#endif // QLC_LIB_REWRITE_JSONPATTERNSPEC_H
