//===- IntegerOpsTestUtils.cpp - Small Requant/EpsTunnel models -----------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "IntegerOpsTestUtils.h"

#include "qlc/Quant/FakeQuantOp.h"

using namespace qlc;

Tensor test::makeInts(ElementType type, llvm::ArrayRef<int64_t> shape,
                      llvm::ArrayRef<int64_t> values) {
  return Tensor::fromValues<int64_t>(shape, values).castTo(type);
}

static std::unique_ptr<Model>
makeOneNodeModel(ElementType xType, llvm::ArrayRef<int64_t> xShape, Tensor p1,
                 Tensor p2, llvm::StringRef op, llvm::StringRef nodeName,
                 Node *&node) {
  auto model = std::make_unique<Model>();
  model->setOpsetVersion("", 13);
  addQlcOpsetImport(*model);
  Graph &g = model->getGraph();
  g.name = "g";
  Value *x = g.addInput("x", TensorType(xType, xShape));
  Value *a = g.addInitializer("p1", std::move(p1));
  Value *b = g.addInitializer("p2", std::move(p2));
  node = g.createNode(op, {x, a, b}, std::vector<std::string>{"y"}, kQlcDomain);
  node->setName(nodeName);
  g.addOutput(node->getResult(0));
  return model;
}

std::unique_ptr<Model> test::makeRequantModel(ElementType xType,
                                              llvm::ArrayRef<int64_t> xShape,
                                              Tensor mul, Tensor add,
                                              const RequantAttrs &attrs,
                                              bool setAttrs) {
  Node *n = nullptr;
  auto model = makeOneNodeModel(xType, xShape, std::move(mul), std::move(add),
                                kRequantOpName, "rq", n);
  if (setAttrs)
    writeRequantAttrs(*n, attrs);
  n->getResult(0)->setType(TensorType(attrs.to, xShape));
  return model;
}

std::unique_ptr<Model> test::makeEpsTunnelModel(ElementType xType,
                                                llvm::ArrayRef<int64_t> xShape,
                                                Tensor epsIn, Tensor epsOut,
                                                ElementType to) {
  Node *n = nullptr;
  auto model =
      makeOneNodeModel(xType, xShape, std::move(epsIn), std::move(epsOut),
                       kEpsTunnelOpName, "tunnel", n);
  n->setAttr("to", Attribute::getInt(static_cast<int64_t>(to)));
  n->getResult(0)->setType(TensorType(to, xShape));
  return model;
}

llvm::Expected<Tensor> test::runOnX(const Model &model, const Tensor &x) {
  Interpreter interp(model);
  if (llvm::Error err = interp.prepare())
    return err;
  llvm::Expected<TensorMap> out = interp.run({{"x", x}});
  if (!out)
    return out.takeError();
  return out->at("y");
}

std::string test::runError(const Model &model, const Tensor &x) {
  llvm::Expected<Tensor> y = runOnX(model, x);
  return y ? "" : llvm::toString(y.takeError());
}
