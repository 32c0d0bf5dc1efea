//===- PassOptions.h - Typed per-instance pass options ----------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Options belong to a pass instance (as in MLIR), not to global cl::opts:
// the same pass may appear twice in a pipeline with different options.
// They are written `pass{name=value other=1,2,3}` in a pipeline, or
// `--pass='name=value'` as a flag.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASS_PASSOPTIONS_H
#define QLC_PASS_PASSOPTIONS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace qlc {

class Pass;

class OptionBase {
public:
  OptionBase(Pass &owner, llvm::StringRef name, llvm::StringRef description);
  virtual ~OptionBase();
  OptionBase(const OptionBase &) = delete;
  OptionBase &operator=(const OptionBase &) = delete;

  llvm::StringRef getName() const { return name; }
  llvm::StringRef getDescription() const { return description; }
  /// "int", "bool", "string", "float", "list<int>", or "a|b|c" for choices.
  virtual std::string getTypeName() const = 0;
  virtual std::string getValueString() const = 0;
  virtual std::string getDefaultString() const = 0;
  /// Parses `text`; the error says what was expected.
  llvm::Error parseValue(llvm::StringRef text);
  bool hasValue() const { return wasSet; }

protected:
  virtual llvm::Error parseImpl(llvm::StringRef text) = 0;

private:
  std::string name;
  std::string description;
  bool wasSet = false;
};

namespace detail {
llvm::Error parseOptionValue(llvm::StringRef text, bool &out);
llvm::Error parseOptionValue(llvm::StringRef text, int64_t &out);
llvm::Error parseOptionValue(llvm::StringRef text, int &out);
llvm::Error parseOptionValue(llvm::StringRef text, unsigned &out);
llvm::Error parseOptionValue(llvm::StringRef text, double &out);
llvm::Error parseOptionValue(llvm::StringRef text, std::string &out);
std::string formatOptionValue(bool v);
std::string formatOptionValue(int64_t v);
std::string formatOptionValue(int v);
std::string formatOptionValue(unsigned v);
std::string formatOptionValue(double v);
std::string formatOptionValue(const std::string &v);
template <typename T> const char *optionTypeName();
/// Splits "a,b,{c,d}" at top-level commas.
llvm::SmallVector<llvm::StringRef, 4> splitList(llvm::StringRef text);
} // namespace detail

/// A scalar option: bool, int, int64_t, unsigned, double or std::string.
/// String options may restrict their values to a list of choices.
template <typename T> class Option : public OptionBase {
public:
  Option(Pass &owner, llvm::StringRef name, llvm::StringRef description,
         T defaultValue = T(), std::vector<std::string> choices = {})
      : OptionBase(owner, name, description), value(defaultValue),
        defaultValue(defaultValue), choices(std::move(choices)) {}

  operator const T &() const { return value; }
  const T &getValue() const { return value; }
  void setValue(T v) { value = std::move(v); }

  std::string getTypeName() const override {
    if (choices.empty())
      return detail::optionTypeName<T>();
    std::string s;
    for (const std::string &c : choices)
      s += (s.empty() ? "" : "|") + c;
    return s;
  }
  std::string getValueString() const override {
    return detail::formatOptionValue(value);
  }
  std::string getDefaultString() const override {
    return detail::formatOptionValue(defaultValue);
  }

protected:
  llvm::Error parseImpl(llvm::StringRef text) override;

private:
  T value;
  T defaultValue;
  std::vector<std::string> choices;
};

/// A comma-separated list option: `name=1,2,3`.
template <typename T> class ListOption : public OptionBase {
public:
  ListOption(Pass &owner, llvm::StringRef name, llvm::StringRef description)
      : OptionBase(owner, name, description) {}

  llvm::ArrayRef<T> getValue() const { return values; }
  bool empty() const { return values.empty(); }
  std::string getTypeName() const override {
    return std::string("list<") + detail::optionTypeName<T>() + ">";
  }
  std::string getValueString() const override {
    std::string s;
    for (const T &v : values)
      s += (s.empty() ? "" : ",") + detail::formatOptionValue(v);
    return s;
  }
  std::string getDefaultString() const override { return ""; }

protected:
  llvm::Error parseImpl(llvm::StringRef text) override {
    values.clear();
    for (llvm::StringRef item : detail::splitList(text)) {
      T v{};
      if (llvm::Error err = detail::parseOptionValue(item.trim(), v))
        return err;
      values.push_back(std::move(v));
    }
    return llvm::Error::success();
  }

private:
  std::vector<T> values;
};

llvm::Error checkOptionChoice(llvm::StringRef value,
                              llvm::ArrayRef<std::string> choices);

template <typename T> llvm::Error Option<T>::parseImpl(llvm::StringRef text) {
  T v{};
  if (llvm::Error err = detail::parseOptionValue(text, v))
    return err;
  if constexpr (std::is_same<T, std::string>::value) {
    if (llvm::Error err = checkOptionChoice(v, choices))
      return err;
  }
  value = std::move(v);
  return llvm::Error::success();
}

} // namespace qlc

#endif // QLC_PASS_PASSOPTIONS_H
