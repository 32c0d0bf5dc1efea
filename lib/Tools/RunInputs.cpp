//===- RunInputs.cpp - qlc-run: input tensors -----------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Turns --input NAME=FILE arguments into tensors (.npy, or ONNX TensorProto
// .pb as the backend tests store them), checks them against the model's
// declared input types so that a mistake is reported against the file that
// caused it, and fills inputs not given with seeded random data when asked.
// Random data uses mt19937_64, whose output sequence the C++ standard fixes,
// mapped to values by hand, so a seed gives the same inputs everywhere.
//
//===----------------------------------------------------------------------===//

#include "RunSupport.h"
#include "qlc/IO/Npy.h"
#include "qlc/ONNX/TensorProto.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <random>

using namespace qlc;
using namespace qlc::run;

/// Reads a tensor file, telling the format by extension, else by content.
static llvm::Expected<Tensor> readTensorFile(llvm::StringRef path) {
  llvm::StringRef ext = llvm::sys::path::extension(path);
  if (ext.equals_insensitive(".pb")) {
    auto named = readTensorProtoFile(path);
    if (!named)
      return named.takeError();
    return std::move(named->tensor);
  }
  return readNpyFile(path);
}

static std::string listInputNames(const LoadedModel &m) {
  std::string names;
  for (const Value *v : m.inputs)
    names += (names.empty() ? "" : ", ") + v->getName().str();
  return names.empty() ? "none" : names;
}

llvm::Error run::checkInputTensor(const Value &input, ElementType elem,
                                  llvm::ArrayRef<int64_t> shape,
                                  bool quantisable) {
  const TensorType &type = input.getType();
  ElementType want = type.getElementType();
  bool quantised = quantisable && isFloatType(elem) && isIntegerType(want);
  if (want != ElementType::Undefined && elem != want && !quantised)
    return makeError("input '" + input.getName() + "' has element type " +
                     getElementTypeName(elem) + ", expected " +
                     getElementTypeName(want));
  if (!type.admitsShape(shape))
    return makeError("input '" + input.getName() + "' has shape " +
                     formatShape(shape) + ", expected " + type.str());
  return llvm::Error::success();
}

Tensor run::convertForInput(const Value &input, const Tensor &tensor) {
  ElementType want = input.getElementType(), have = tensor.getElementType();
  auto numeric = [](ElementType t) {
    return isFloatType(t) || isIntegerType(t) || t == ElementType::Bool;
  };
  if (want == have || !numeric(want) || !numeric(have))
    return tensor;
  return tensor.castTo(want);
}

/// Uniform in [0, 1) from the top 53 bits of one draw.
static double uniform01(std::mt19937_64 &rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

static llvm::Expected<Tensor> makeRandomInput(const Value &input,
                                              std::mt19937_64 &rng,
                                              const InputOptions &options) {
  const TensorType &type = input.getType();
  ElementType elem = type.getElementType();
  if (!type.hasRank() || elem == ElementType::Undefined ||
      elem == ElementType::String || elem == ElementType::Complex64 ||
      elem == ElementType::Complex128)
    return makeError("cannot make a random value for input '" +
                     input.getName() + "' of type " + type.str());
  // Symbolic and unknown dimensions become 1.
  Shape shape;
  for (const Dim &d : type.getDims())
    shape.push_back(d.isKnown() ? d.size : 1);
  Tensor t(elem, shape);
  for (int64_t i = 0, n = t.getNumElements(); i < n; ++i) {
    double u = uniform01(rng);
    double value;
    if (isFloatType(elem))
      value = options.randomMin + u * (options.randomMax - options.randomMin);
    else if (elem == ElementType::Bool)
      value = u < 0.5 ? 0 : 1;
    else if (elem == ElementType::Int8)
      value = std::floor(u * 256) - 128;
    else if (elem == ElementType::UInt8)
      value = std::floor(u * 256);
    else // wider integers: small non-negative values, valid as indices too
      value = std::floor(u * 10);
    t.setFromDouble(i, value);
  }
  return t;
}

/// Splits "NAME=FILE"; a bare FILE names the only input.
static llvm::Expected<std::pair<const Value *, std::string>>
parseSpec(const LoadedModel &m, llvm::StringRef spec) {
  auto [name, file] = spec.split('=');
  if (file.empty() && !spec.contains('=')) {
    if (m.inputs.size() != 1)
      return makeError(spec + ": expected NAME=FILE; the model's inputs are " +
                       listInputNames(m));
    return std::make_pair(m.inputs.front(), spec.str());
  }
  for (const Value *v : m.inputs)
    if (v->getName() == name)
      return std::make_pair(v, file.str());
  return makeError(file + ": unknown input '" + name +
                   "'; the model's inputs are " + listInputNames(m));
}

llvm::Expected<TensorMap> run::gatherInputs(const LoadedModel &m,
                                            const InputOptions &options) {
  TensorMap inputs;
  for (const std::string &spec : options.specs) {
    auto parsed = parseSpec(m, spec);
    if (!parsed)
      return parsed.takeError();
    const Value *input = parsed->first;
    const std::string &file = parsed->second;
    if (inputs.count(input->getName().str()))
      return makeError(file + ": input '" + input->getName() +
                       "' is given twice");
    auto tensor = readTensorFile(file);
    if (!tensor)
      return addErrorContext(tensor.takeError(), file);
    if (llvm::Error err = checkInputTensor(
            *input, tensor->getElementType(), tensor->getShape(),
            m.inputQuantisation.count(input->getName().str()) != 0))
      return addErrorContext(std::move(err), file);
    inputs[input->getName().str()] = std::move(*tensor);
  }
  std::mt19937_64 rng(options.seed);
  for (const Value *input : m.inputs) {
    if (inputs.count(input->getName().str()))
      continue;
    if (!options.random)
      return makeError(m.path + ": missing input '" + input->getName() +
                       "' of type " + input->getType().str() +
                       " (give --input " + input->getName() +
                       "=FILE or --random-inputs)");
    auto tensor = makeRandomInput(*input, rng, options);
    if (!tensor)
      return addErrorContext(tensor.takeError(), m.path);
    inputs[input->getName().str()] = std::move(*tensor);
  }
  return inputs;
}
