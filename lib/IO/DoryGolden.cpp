//===- DoryGolden.cpp - DORY's golden feature map text files --------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/IO/DoryGolden.h"

#include "qlc/IO/FileIO.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace qlc;

namespace {

bool isHwcMap(const Tensor &t) { return t.getRank() == 4 && t.getDim(0) == 1; }

/// Truncates toward zero like Python's int().
int64_t asInteger(const Tensor &t, int64_t i) {
  if (isIntegerType(t.getElementType()))
    return t.getAsInt64(i);
  return static_cast<int64_t>(std::trunc(t.getAsDouble(i)));
}

} // namespace

std::vector<int64_t> qlc::doryGoldenOrder(const Tensor &t) {
  std::vector<int64_t> out;
  out.reserve(t.getNumElements());
  if (!isHwcMap(t)) {
    for (int64_t i = 0; i < t.getNumElements(); ++i)
      out.push_back(asInteger(t, i));
    return out;
  }
  int64_t c = t.getDim(1), h = t.getDim(2), w = t.getDim(3);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int64_t k = 0; k < c; ++k)
        out.push_back(asInteger(t, (k * h + y) * w + x));
  return out;
}

std::string qlc::formatDoryGolden(llvm::StringRef name, const Tensor &t) {
  llvm::SmallVector<int64_t, 4> shape;
  if (isHwcMap(t))
    shape = {t.getDim(2), t.getDim(3), t.getDim(1)};
  else
    shape.assign(t.getShape().begin() +
                     (t.getRank() > 1 && t.getDim(0) == 1 ? 1 : 0),
                 t.getShape().end());
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "# " << name << " (shape [";
  llvm::interleave(shape, os, ", ");
  os << "]),\n";
  for (int64_t v : doryGoldenOrder(t))
    os << v << ",\n";
  return os.str();
}

llvm::Expected<std::vector<int64_t>> qlc::readDoryGolden(llvm::StringRef path) {
  auto bytes = readWholeFile(path);
  if (!bytes)
    return addErrorContext(bytes.takeError(), path);
  std::vector<int64_t> values;
  llvm::StringRef rest = (*bytes)->getBuffer();
  for (unsigned line = 1; !rest.empty(); ++line) {
    auto [text, tail] = rest.split('\n');
    rest = tail;
    llvm::StringRef s = text.trim();
    if (s.empty() || s.startswith("#") || s.contains("(shape"))
      continue;
    llvm::StringRef field = s.split(',').first.trim().rtrim('\\').trim();
    auto [whole, fraction] = field.split('.');
    int64_t v;
    bool zeros = llvm::all_of(fraction, [](char c) { return c == '0'; });
    if (whole.getAsInteger(10, v) || !zeros)
      return makeError(path + ":" + llvm::Twine(line) + ": '" + text.str() +
                       "' is not an integer value");
    values.push_back(v);
  }
  return values;
}

llvm::Expected<Tensor> qlc::readDoryInput(llvm::StringRef path,
                                          const TensorType &type) {
  auto shape = type.getStaticShape();
  if (!shape)
    return makeError(path + ": the model input has no static shape");
  llvm::Expected<std::vector<int64_t>> values = readDoryGolden(path);
  if (!values)
    return values.takeError();
  Tensor t(type.getElementType(), *shape);
  if (static_cast<int64_t>(values->size()) != t.getNumElements())
    return makeError(path + ": " + llvm::Twine(values->size()) +
                     " values for an input of shape " + formatShape(*shape) +
                     " (" + llvm::Twine(t.getNumElements()) + " values)");
  // HWC in the file; a CHW index for each file position.
  bool hwc = isHwcMap(t);
  int64_t c = hwc ? t.getDim(1) : 1, h = hwc ? t.getDim(2) : 1,
          w = hwc ? t.getDim(3) : 1;
  for (int64_t i = 0; i < t.getNumElements(); ++i) {
    int64_t dst = i;
    if (hwc) {
      int64_t k = i % c, x = (i / c) % w, y = i / (c * w);
      dst = (k * h + y) * w + x;
    }
    t.setFromDouble(dst, static_cast<double>((*values)[i]));
  }
  return t;
}
