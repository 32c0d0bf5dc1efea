//===- PassOptions.cpp - Typed per-instance pass options ------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/Pass/PassOptions.h"
#include "qlc/Pass/Pass.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <cstdio>

using namespace qlc;

OptionBase::OptionBase(Pass &owner, llvm::StringRef name,
                       llvm::StringRef description)
    : name(name.str()), description(description.str()) {
  owner.options.push_back(this);
}

OptionBase::~OptionBase() = default;

llvm::Error OptionBase::parseValue(llvm::StringRef text) {
  if (llvm::Error err = parseImpl(text))
    return addErrorContext(std::move(err), "option '" + name + "'");
  wasSet = true;
  return llvm::Error::success();
}

llvm::Error qlc::checkOptionChoice(llvm::StringRef value,
                                   llvm::ArrayRef<std::string> choices) {
  if (choices.empty() || llvm::is_contained(choices, value.str()))
    return llvm::Error::success();
  std::string list;
  for (const std::string &c : choices)
    list += (list.empty() ? "'" : ", '") + c + "'";
  return makeError("invalid value '" + value + "', expected one of " + list);
}

llvm::Error detail::parseOptionValue(llvm::StringRef text, bool &out) {
  std::string lower = text.lower();
  if (lower == "true" || lower == "1" || lower == "on" || lower.empty()) {
    out = true;
    return llvm::Error::success();
  }
  if (lower == "false" || lower == "0" || lower == "off") {
    out = false;
    return llvm::Error::success();
  }
  return makeError("invalid value '" + text + "', expected true or false");
}

llvm::Error detail::parseOptionValue(llvm::StringRef text, int64_t &out) {
  if (text.getAsInteger(0, out))
    return makeError("invalid value '" + text + "', expected an integer");
  return llvm::Error::success();
}

llvm::Error detail::parseOptionValue(llvm::StringRef text, int &out) {
  int64_t v;
  if (text.getAsInteger(0, v) || v < INT32_MIN || v > INT32_MAX)
    return makeError("invalid value '" + text + "', expected an integer");
  out = static_cast<int>(v);
  return llvm::Error::success();
}

llvm::Error detail::parseOptionValue(llvm::StringRef text, unsigned &out) {
  uint64_t v;
  if (text.getAsInteger(0, v) || v > UINT32_MAX)
    return makeError("invalid value '" + text +
                     "', expected a non-negative integer");
  out = static_cast<unsigned>(v);
  return llvm::Error::success();
}

llvm::Error detail::parseOptionValue(llvm::StringRef text, double &out) {
  if (text.getAsDouble(out) || !std::isfinite(out))
    return makeError("invalid value '" + text + "', expected a number");
  return llvm::Error::success();
}

llvm::Error detail::parseOptionValue(llvm::StringRef text, std::string &out) {
  out = text.str();
  return llvm::Error::success();
}

std::string detail::formatOptionValue(bool v) { return v ? "true" : "false"; }
std::string detail::formatOptionValue(int64_t v) { return std::to_string(v); }
std::string detail::formatOptionValue(int v) { return std::to_string(v); }
std::string detail::formatOptionValue(unsigned v) { return std::to_string(v); }
std::string detail::formatOptionValue(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  // Prefer the shortest text that reads back to the same double.
  for (int precision = 1; precision < 17; ++precision) {
    char shortBuf[32];
    std::snprintf(shortBuf, sizeof(shortBuf), "%.*g", precision, v);
    if (std::strtod(shortBuf, nullptr) == v)
      return shortBuf;
  }
  return buf;
}
std::string detail::formatOptionValue(const std::string &v) {
  bool needsQuotes = v.empty() || v.find_first_of(" \t,{}'\"") !=
                                      std::string::npos;
  return needsQuotes ? "'" + v + "'" : v;
}

template <> const char *detail::optionTypeName<bool>() { return "bool"; }
template <> const char *detail::optionTypeName<int64_t>() { return "int"; }
template <> const char *detail::optionTypeName<int>() { return "int"; }
template <> const char *detail::optionTypeName<unsigned>() { return "uint"; }
template <> const char *detail::optionTypeName<double>() { return "float"; }
template <> const char *detail::optionTypeName<std::string>() {
  return "string";
}

llvm::SmallVector<llvm::StringRef, 4> detail::splitList(llvm::StringRef text) {
  llvm::SmallVector<llvm::StringRef, 4> items;
  if (text.trim().empty())
    return items;
  int depth = 0;
  char quote = 0;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote) {
      if (c == quote)
        quote = 0;
      continue;
    }
    if (c == '\'' || c == '"')
      quote = c;
    else if (c == '{' || c == '(')
      ++depth;
    else if (c == '}' || c == ')')
      --depth;
    else if (c == ',' && depth == 0) {
      items.push_back(text.slice(start, i));
      start = i + 1;
    }
  }
  items.push_back(text.drop_front(start));
  return items;
}
