//===- Pass.cpp - The unit of transformation ------------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/Pass/Pass.h"
#include "qlc/Support/Error.h"

using namespace qlc;

Pass::~Pass() = default;

PassStatistic::PassStatistic(Pass &owner, llvm::StringRef name,
                             llvm::StringRef description)
    : name(name.str()), description(description.str()) {
  owner.statistics.push_back(this);
}

/// Strips one level of matching quotes or braces around an option value.
static llvm::StringRef unwrapValue(llvm::StringRef v) {
  if (v.size() >= 2 && ((v.front() == '\'' && v.back() == '\'') ||
                        (v.front() == '"' && v.back() == '"') ||
                        (v.front() == '{' && v.back() == '}')))
    return v.drop_front().drop_back();
  return v;
}

/// Splits "a=1 b='x y' c={1, 2}" into assignments at top-level whitespace.
static llvm::Expected<std::vector<llvm::StringRef>>
splitAssignments(llvm::StringRef text) {
  std::vector<llvm::StringRef> parts;
  int depth = 0;
  char quote = 0;
  size_t start = llvm::StringRef::npos;
  for (size_t i = 0; i <= text.size(); ++i) {
    char c = i < text.size() ? text[i] : ' ';
    bool boundary = !quote && depth == 0 && (c == ' ' || c == '\t');
    if (boundary) {
      if (start != llvm::StringRef::npos)
        parts.push_back(text.slice(start, i));
      start = llvm::StringRef::npos;
      continue;
    }
    if (start == llvm::StringRef::npos)
      start = i;
    if (quote) {
      if (c == quote)
        quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth < 0) {
      return makeError("unbalanced '}' in options '" + text + "'");
    }
  }
  if (quote || depth != 0)
    return makeError("unterminated quote or brace in options '" + text + "'");
  return parts;
}

llvm::Error Pass::parseOptions(llvm::StringRef text) {
  auto parts = splitAssignments(text.trim());
  if (!parts)
    return parts.takeError();
  for (llvm::StringRef part : *parts) {
    auto [key, value] = part.split('=');
    key = key.trim();
    OptionBase *opt = nullptr;
    for (OptionBase *o : options)
      if (o->getName() == key)
        opt = o;
    if (!opt) {
      std::string known;
      for (OptionBase *o : options)
        known += (known.empty() ? "" : ", ") + o->getName().str();
      return makeError("unknown option '" + key + "'" +
                       (known.empty() ? std::string(" (the pass has none)")
                                      : " (known: " + known + ")"));
    }
    if (llvm::Error err = opt->parseValue(unwrapValue(value.trim())))
      return err;
  }
  return llvm::Error::success();
}

void Pass::printAsTextualPipeline(llvm::raw_ostream &os) const {
  os << getArgument();
  bool first = true;
  for (OptionBase *o : options) {
    if (!o->hasValue())
      continue;
    os << (first ? "{" : " ") << o->getName() << "=" << o->getValueString();
    first = false;
  }
  if (!first)
    os << "}";
}
