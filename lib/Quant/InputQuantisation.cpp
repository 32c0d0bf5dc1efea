//===- InputQuantisation.cpp - How an integer program's input is made -----===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/Quant/InputQuantisation.h"
#include "qlc/Quant/FakeQuantOp.h"

#include "qlc/Support/Error.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace qlc;

static std::string metadataKey(llvm::StringRef input) {
  return ("qlc.input_quant." + input).str();
}

void qlc::writeInputQuantisation(Model &model, llvm::StringRef input,
                                 const InputQuantisationInfo &info) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::format("eps=%.17g", info.eps) << ";zero=" << info.grid.zero
     << ";n_levels=" << info.grid.nLevels
     << ";rounding=" << getRoundingName(info.grid.rounding);
  std::string key = metadataKey(input);
  for (auto &kv : model.metadata)
    if (kv.first == key) {
      kv.second = os.str();
      return;
    }
  model.metadata.emplace_back(key, os.str());
}

/// Parses "eps=..;zero=..;n_levels=..;rounding=..".
static llvm::Optional<InputQuantisationInfo> parseInfo(llvm::StringRef text) {
  InputQuantisationInfo info;
  bool haveEps = false, haveZero = false, haveLevels = false;
  llvm::SmallVector<llvm::StringRef, 4> fields;
  text.split(fields, ';');
  for (llvm::StringRef field : fields) {
    auto [key, value] = field.split('=');
    key = key.trim();
    value = value.trim();
    if (key == "eps")
      haveEps = !value.getAsDouble(info.eps) && info.eps > 0;
    else if (key == "zero")
      haveZero = !value.getAsInteger(10, info.grid.zero);
    else if (key == "n_levels")
      haveLevels = !value.getAsInteger(10, info.grid.nLevels);
    else if (key == "rounding") {
      llvm::Optional<Rounding> r = parseRounding(value);
      if (!r)
        return llvm::None;
      info.grid.rounding = *r;
    }
  }
  if (!haveEps || !haveZero || !haveLevels ||
      !isValidGrid(info.grid.zero, info.grid.nLevels))
    return llvm::None;
  return info;
}

llvm::Optional<InputQuantisationInfo>
qlc::readInputQuantisation(const Model &model, llvm::StringRef input) {
  std::string key = metadataKey(input);
  for (const auto &kv : model.metadata)
    if (kv.first == key)
      return parseInfo(kv.second);
  return llvm::None;
}

llvm::Expected<Tensor> qlc::quantizeInput(const Tensor &x,
                                          const InputQuantisationInfo &info,
                                          ElementType to) {
  if (!isFloatType(x.getElementType()))
    return makeError("cannot quantise " +
                     getElementTypeName(x.getElementType()) +
                     " data: expected float");
  FakeQuantAttrs attrs;
  attrs.grid = info.grid;
  Tensor eps = x.getElementType() == ElementType::Double
                   ? Tensor::scalar<double>(info.eps)
                   : Tensor::scalar<float>(static_cast<float>(info.eps));
  llvm::Expected<Tensor> levels = quantizeToLevels(x, eps, attrs);
  if (!levels)
    return levels.takeError();
  return levels->castTo(to);
}
