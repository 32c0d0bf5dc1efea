//===- QlcCandidate.cpp - qlc's own Conv kernels as candidates --*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// The Conv and ConvInteger kernels of the interpreter, created from the
// default registry for a one-node graph and called directly, so the table
// shows what the chosen library costs once wrapped (output allocation, plan
// lookup, NCHW reorders) next to the bare candidates.
//
//===----------------------------------------------------------------------===//

#include "BenchCommon.h"

#include "qlc/IR/Model.h"
#include "qlc/Interp/Kernel.h"

#include <cstring>
#include <memory>

using namespace qlc;
using namespace qlc::bench;

namespace {

/// One Conv-like node with its kernel and bound tensors.
struct NodeRunner {
  Model model;
  std::unique_ptr<Kernel> kernel;
  std::vector<Tensor> inputs;
  std::vector<const Tensor *> inputPtrs;
  Tensor output;
  void *dst = nullptr;
  size_t dstBytes = 0;

  void run() {
    KernelContext ctx{*model.getGraph().getNodes().begin(), 13, inputPtrs,
                      llvm::MutableArrayRef<Tensor>(output), 1};
    if (llvm::Error err = kernel->compute(ctx)) {
      llvm::consumeError(std::move(err));
      return;
    }
    std::memcpy(dst, output.getRawData(), dstBytes); // for the check only
  }
};

RunFn makeRunner(const char *op, const ConvLayer &l, std::vector<Tensor> inputs,
                 void *dst, size_t dstBytes) {
  auto r = std::make_shared<NodeRunner>();
  Graph &g = r->model.getGraph();
  std::vector<Value *> operands;
  for (size_t i = 0; i < inputs.size(); ++i)
    operands.push_back(g.addInput(
        "in" + std::to_string(i),
        TensorType(inputs[i].getElementType(), inputs[i].getShape())));
  Node *node = g.createNode(op, operands, std::vector<std::string>{"y"});
  node->setAttr("group", Attribute::getInt(l.group));
  node->setAttr("strides", Attribute::getInts({l.stride, l.stride}));
  node->setAttr("pads", Attribute::getInts({l.padT, l.padL, l.padB, l.padR}));
  auto kernel = KernelRegistry::getDefault().createKernel(*node, 13);
  if (!kernel) {
    llvm::consumeError(kernel.takeError());
    return {};
  }
  r->kernel = std::move(*kernel);
  r->inputs = std::move(inputs);
  for (const Tensor &t : r->inputs)
    r->inputPtrs.push_back(&t);
  r->dst = dst;
  r->dstBytes = dstBytes;
  return [r] { r->run(); };
}

template <typename T>
Tensor tensorOf(llvm::ArrayRef<int64_t> shape, const T *data) {
  Tensor t(ElementTypeOf<T>::value, shape);
  std::memcpy(t.getMutableRawData(), data, t.getByteSize());
  return t;
}

} // namespace

RunFn qlc::bench::makeQlcConv(const ConvLayer &l, const float *src,
                              const float *weights, const float *bias,
                              float *dst) {
  std::vector<Tensor> in{
      tensorOf<float>({l.n, l.c, l.h, l.w}, src),
      tensorOf<float>({l.co, l.c / l.group, l.kh, l.kw}, weights),
      tensorOf<float>({l.co}, bias)};
  return makeRunner("Conv", l, std::move(in), dst,
                    l.n * l.co * l.outH() * l.outW() * sizeof(float));
}

RunFn qlc::bench::makeQlcConvInteger(const ConvLayer &l, const uint8_t *src,
                                     const uint8_t *weights, int32_t *dst) {
  uint8_t xz = 3, wz = 5;
  std::vector<Tensor> in{
      tensorOf<uint8_t>({l.n, l.c, l.h, l.w}, src),
      tensorOf<uint8_t>({l.co, l.c / l.group, l.kh, l.kw}, weights),
      tensorOf<uint8_t>({}, &xz), tensorOf<uint8_t>({}, &wz)};
  return makeRunner("ConvInteger", l, std::move(in), dst,
                    l.n * l.co * l.outH() * l.outW() * sizeof(int32_t));
}
