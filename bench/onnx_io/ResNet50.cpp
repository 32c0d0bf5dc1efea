//===- ResNet50.cpp - A ResNet-50-sized model built through the IR --------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Builds ResNet-50 v1 (He et al. 2015, bottleneck blocks [3, 4, 6, 3]) for
// the ONNX I/O benchmark: the structure and tensor sizes of the real model,
// random weights (He-scaled, deterministic), batch norm folded into biases.
//
//===----------------------------------------------------------------------===//

#include "ResNet50.h"

#include <cmath>
#include <random>
#include <string>

using namespace qlc;

namespace {
class Builder {
public:
  explicit Builder(uint32_t seed)
      : model(std::make_unique<Model>()), g(model->getGraph()), rng(seed) {}

  std::unique_ptr<Model> build();

private:
  Value *weight(const std::string &name, llvm::ArrayRef<int64_t> shape,
                int64_t fanIn);
  Value *conv(Value *in, int64_t inC, int64_t outC, int64_t k, int64_t stride,
              const std::string &name);
  Value *op(llvm::StringRef type, llvm::ArrayRef<Value *> ins,
            const std::string &name);
  Value *bottleneck(Value *in, int64_t inC, int64_t width, int64_t stride,
                    const std::string &name);

  std::unique_ptr<Model> model;
  Graph &g;
  std::mt19937 rng;
};
} // namespace

Value *Builder::weight(const std::string &name, llvm::ArrayRef<int64_t> shape,
                       int64_t fanIn) {
  Tensor t(ElementType::Float, shape);
  std::normal_distribution<float> dist(0.f, std::sqrt(2.f / fanIn));
  for (float &v : t.getMutableData<float>())
    v = dist(rng);
  return g.addInitializer(name, std::move(t));
}

Value *Builder::op(llvm::StringRef type, llvm::ArrayRef<Value *> ins,
                   const std::string &name) {
  return g.createNode(type, ins, llvm::StringRef(name))->getResult(0);
}

Value *Builder::conv(Value *in, int64_t inC, int64_t outC, int64_t k,
                     int64_t stride, const std::string &name) {
  Value *w = weight(name + "_w", {outC, inC, k, k}, inC * k * k);
  Value *b = weight(name + "_b", {outC}, 1000);
  Node *n = g.createNode("Conv", {in, w, b}, llvm::StringRef(name));
  int64_t pad = k / 2;
  n->setAttr("kernel_shape", Attribute::getInts({k, k}));
  n->setAttr("strides", Attribute::getInts({stride, stride}));
  n->setAttr("pads", Attribute::getInts({pad, pad, pad, pad}));
  n->setName(name);
  return n->getResult(0);
}

Value *Builder::bottleneck(Value *in, int64_t inC, int64_t width,
                           int64_t stride, const std::string &name) {
  int64_t outC = width * 4;
  Value *a =
      op("Relu", {conv(in, inC, width, 1, 1, name + "_a")}, name + "_ra");
  Value *b =
      op("Relu", {conv(a, width, width, 3, stride, name + "_b")}, name + "_rb");
  Value *c = conv(b, width, outC, 1, 1, name + "_c");
  Value *shortcut = in;
  if (stride != 1 || inC != outC)
    shortcut = conv(in, inC, outC, 1, stride, name + "_down");
  return op("Relu", {op("Add", {c, shortcut}, name + "_add")}, name + "_out");
}

std::unique_ptr<Model> Builder::build() {
  model->irVersion = 8;
  model->opsets = {OpsetImport{"", 13}};
  model->producerName = "qlc-bench-onnx-io";
  g.name = "resnet50";
  Value *x = g.addInput("input",
                        TensorType(ElementType::Float,
                                   llvm::ArrayRef<int64_t>({1, 3, 224, 224})));
  Value *v = op("Relu", {conv(x, 3, 64, 7, 2, "conv1")}, "conv1_relu");
  Node *pool = g.createNode("MaxPool", {v}, "pool1");
  pool->setAttr("kernel_shape", Attribute::getInts({3, 3}));
  pool->setAttr("strides", Attribute::getInts({2, 2}));
  pool->setAttr("pads", Attribute::getInts({1, 1, 1, 1}));
  v = pool->getResult(0);
  int64_t channels = 64;
  const int64_t blocks[4] = {3, 4, 6, 3};
  for (int stage = 0; stage < 4; ++stage) {
    int64_t width = 64 << stage;
    for (int64_t i = 0; i < blocks[stage]; ++i) {
      int64_t stride = (stage > 0 && i == 0) ? 2 : 1;
      v = bottleneck(v, channels, width, stride,
                     "s" + std::to_string(stage + 1) + "b" +
                         std::to_string(i + 1));
      channels = width * 4;
    }
  }
  v = op("GlobalAveragePool", {v}, "gap");
  v = op("Flatten", {v}, "flat");
  Value *fcW = weight("fc_w", {1000, 2048}, 2048);
  Value *fcB = weight("fc_b", {1000}, 1000);
  Node *fc = g.createNode("Gemm", {v, fcW, fcB}, "logits");
  fc->setAttr("transB", Attribute::getInt(1));
  fc->getResult(0)->setType(
      TensorType(ElementType::Float, llvm::ArrayRef<int64_t>({1, 1000})));
  g.addOutput(fc->getResult(0));
  return std::move(model);
}

std::unique_ptr<Model> bench::buildResNet50(uint32_t seed) {
  return Builder(seed).build();
}

int64_t bench::countParameters(const Model &model) {
  int64_t n = 0;
  for (Value *v : model.getGraph().getInitializers())
    n += v->getConstant()->getNumElements();
  return n;
}
