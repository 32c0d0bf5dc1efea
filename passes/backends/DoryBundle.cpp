//===- DoryBundle.cpp - The files DORY's code generator reads -------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Goldens follow QuantLab's dump_features: input.txt, then one
// out_layer{i}.txt per fused DORY layer in execution order (DORY's
// checksums index them by layer), then output.txt with the network output.
// The float head becomes a model of its own whose input is the last integer
// image, so the host can run it on DORY's output.
//
//===----------------------------------------------------------------------===//

#include "backends/DoryBundle.h"

#include "qlc/IO/DoryGolden.h"
#include "qlc/IO/FileIO.h"
#include "qlc/IO/Npy.h"
#include "qlc/IO/Npz.h"
#include "qlc/Interp/Interpreter.h"
#include "qlc/ONNX/Export.h"
#include "qlc/Quant/FakeQuantOp.h"
#include "qlc/Quant/InputQuantisation.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <cstring>
#include <random>

using namespace qlc;
using namespace qlc::backends;

llvm::json::Array DoryBundle::fileNames() const {
  llvm::json::Array names;
  for (const auto &file : files)
    names.push_back(file.first);
  return names;
}

namespace {

llvm::Expected<Tensor> randomInput(const Value &in, unsigned seed) {
  auto shape = in.getType().getStaticShape();
  if (!shape)
    return makeError("input '" + in.getName() +
                     "' has no static shape for the golden input");
  Tensor t(in.getElementType(), *shape);
  auto [lo, hi] = integerTypeRange(in.getElementType());
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> dist(lo, hi);
  for (int64_t i = 0; i < t.getNumElements(); ++i)
    t.setFromDouble(i, static_cast<double>(dist(rng)));
  return t;
}

/// Sample `index` of an .npz dataset's array x, as a batch of one.
llvm::Expected<Tensor> npzSample(llvm::StringRef path, unsigned index) {
  llvm::Expected<NpzArrays> arrays = readNpzFile(path, {"x"});
  if (!arrays)
    return addErrorContext(arrays.takeError(), path);
  const Tensor *x = findNpzArray(*arrays, "x");
  if (!x || x->getRank() < 1)
    return makeError(path + ": no array 'x' of samples");
  if (index >= x->getDim(0))
    return makeError(path + ": sample " + llvm::Twine(index) +
                     " requested, the file has " + llvm::Twine(x->getDim(0)));
  Shape shape(x->getShape().begin(), x->getShape().end());
  shape[0] = 1;
  Tensor sample(x->getElementType(), shape);
  size_t bytes = sample.getByteSize();
  std::memcpy(sample.getMutableRawData(), x->getRawData() + index * bytes,
              bytes);
  return sample;
}

/// The golden input from `path` (a .npy sample, or sample `index` of an
/// .npz dataset) as the integer image the program reads: float data is
/// quantised as the model's metadata records.
llvm::Expected<Tensor> fileInput(const Model &model, const Value &in,
                                 llvm::StringRef path, unsigned index) {
  llvm::Expected<Tensor> data =
      path.endswith(".npz") ? npzSample(path, index) : readNpyFile(path);
  if (!data)
    return addErrorContext(data.takeError(), path);
  auto shape = in.getType().getStaticShape();
  if (!shape || data->getShape() != llvm::ArrayRef<int64_t>(*shape))
    return makeError(path + ": shape " + formatShape(data->getShape()) +
                     " does not match input '" + in.getName() + "' " +
                     (shape ? formatShape(*shape) : std::string("(unknown)")));
  if (data->getElementType() == in.getElementType())
    return std::move(*data);
  llvm::Optional<InputQuantisationInfo> q =
      readInputQuantisation(model, in.getName());
  if (!q || isIntegerType(data->getElementType()))
    return makeError(
        path + ": " + getElementTypeName(data->getElementType()).str() +
        " data for the " + getElementTypeName(in.getElementType()).str() +
        " input '" + in.getName() +
        "', and the model records no input quantisation");
  return quantizeInput(*data, *q, in.getElementType());
}

std::string configJson(const DoryProgram &program,
                       const BundleOptions &options) {
  bool isSigned = program.input->getElementType() == ElementType::Int8;
  llvm::json::Object config{{"BNRelu_bits", program.bnReluBits},
                            {"onnx_file", options.name + ".onnx"},
                            {"code reserved space", options.codeReservedSpace},
                            {"n_inputs", 1},
                            {"input_bits", 8},
                            {"input_signed", isSigned}};
  return llvm::formatv("{0:2}", llvm::json::Value(std::move(config))).str() +
         "\n";
}

/// The float head as a model reading the last integer image(s).
llvm::Expected<std::string> headModel(const Model &source,
                                      const DoryProgram &program) {
  Model head;
  head.irVersion = source.irVersion;
  head.opsets = source.opsets;
  head.producerName = "qlc";
  Graph &g = head.getGraph();
  g.name = source.getGraph().name + "_head";
  llvm::DenseMap<const Value *, Value *> map;
  for (Value *v : program.headInputs)
    map[v] = g.addInput(v->getName(), v->getType());
  for (const Node *n : program.headNodes) {
    llvm::SmallVector<Value *, 4> operands;
    for (Value *in : n->getInputs()) {
      if (!in) {
        operands.push_back(nullptr);
        continue;
      }
      Value *&m = map[in];
      if (!m && in->isInitializer())
        m = g.addInitializer(in->getName(), *in->getConstant());
      if (!m)
        return makeNodeError(*n, "the float head reads '" + in->getName() +
                                     "', which is neither the DORY output "
                                     "nor a constant");
      operands.push_back(m);
    }
    std::vector<std::string> names;
    for (Value *r : n->getResults())
      names.push_back(r->getName().str());
    Node *copy = g.createNode(n->getOpType(), operands, names, n->getDomain());
    copy->setName(n->getName());
    for (const NamedAttribute &a : n->getAttrs())
      copy->setAttr(a.name, a.value);
    for (unsigned i = 0; i < n->getNumResults(); ++i) {
      copy->getResult(i)->setType(n->getResult(i)->getType());
      map[n->getResult(i)] = copy->getResult(i);
    }
  }
  for (Value *out : source.getGraph().getOutputs())
    if (Value *m = map.lookup(out))
      g.addOutput(m);
  removeQlcOpsetImportIfUnused(head);
  return exportModelBinary(head, /*runChecker=*/true);
}

} // namespace

llvm::Expected<DoryBundle>
qlc::backends::buildDoryBundle(const Model &source, const DoryProgram &program,
                               const DoryModel &dory,
                               const BundleOptions &options) {
  const Value &in = *program.input;
  llvm::Expected<Tensor> x =
      options.inputPath.empty()
          ? randomInput(in, options.seed)
          : fileInput(source, in, options.inputPath, options.sampleIndex);
  if (!x)
    return x.takeError();
  InterpreterOptions interpOptions;
  interpOptions.keepAllValues = true;
  Interpreter interp(source, interpOptions);
  if (llvm::Error err = interp.prepare())
    return err;
  TensorMap inputs{{in.getName().str(), *x}};
  llvm::Expected<TensorMap> values = interp.run(inputs);
  if (!values)
    return addErrorContext(values.takeError(), "computing the goldens");

  DoryBundle bundle;
  llvm::Expected<std::string> onnx =
      exportModelBinary(*dory.model, /*runChecker=*/false);
  if (!onnx)
    return onnx.takeError();
  bundle.files.emplace_back(options.name + ".onnx", std::move(*onnx));
  bundle.files.emplace_back("config_" + options.name + ".json",
                            configJson(program, options));
  bundle.files.emplace_back("input.txt", formatDoryGolden("input", *x));
  for (size_t i = 0; i < program.layers.size(); ++i) {
    const Value *out = program.layers[i].output;
    auto it = values->find(out->getName().str());
    if (it == values->end())
      return makeError("no value computed for layer output '" + out->getName() +
                       "'");
    bundle.files.emplace_back("out_layer" + std::to_string(i) + ".txt",
                              formatDoryGolden(out->getName(), it->second));
  }
  if (!program.layers.empty()) {
    const Value *last = program.layers.back().output;
    bundle.files.emplace_back(
        "output.txt",
        formatDoryGolden("output", values->at(last->getName().str())));
  }
  if (!program.headNodes.empty()) {
    llvm::Expected<std::string> head = headModel(source, program);
    if (!head)
      return addErrorContext(head.takeError(), "the float head");
    bundle.files.emplace_back(options.name + "_head.onnx", std::move(*head));
  }
  return bundle;
}

llvm::Error qlc::backends::writeDoryBundle(const DoryBundle &bundle,
                                           llvm::StringRef dir) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return makeError(dir + ": cannot create the directory: " + ec.message());
  for (const auto &[fileName, contents] : bundle.files) {
    llvm::SmallString<128> path(dir);
    llvm::sys::path::append(path, fileName);
    if (llvm::Error err = writeFileAtomic(path, contents))
      return addErrorContext(std::move(err), path);
  }
  return llvm::Error::success();
}
