//===- DoryEmit.cpp - DORY-annotated ONNX from DORY layers ----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Choices DORY's parser forces (docs/dory.md has the why of each):
// - A bias is folded into the requantisation offset, add + b * mul, which
//   is exact in integers; only a last layer without requantisation keeps
//   a bias input.
// - Requantisation constants after a convolution or fully connected layer
//   are shaped (1,C,1,1) / (1,C) even when they are one value: DORY reads a
//   0-D constant as a standalone Requant, which it fuses only with pools.
//   After a pool they are 0-D, and the multiplier is scaled by the window
//   size K, because DORY's pool kernel divides it by K again.
// - Fully connected weights are written [Cin, Cout] (Gemm transB=0): DORY
//   guesses the layout from W.shape[0] == Cin, which then always holds,
//   square layers included.
// - Every constant must be exactly representable: DORY reads constants with
//   int(). Values are float32 (as QuantLab writes them) or, when an offset
//   or multiplier needs more than float32's 24 bits, float64 throughout.
//
//===----------------------------------------------------------------------===//

#include "backends/DoryEmit.h"

#include "qlc/Support/Error.h"

#include "llvm/ADT/DenseMap.h"

#include <cmath>

using namespace qlc;
using namespace qlc::backends;

namespace {

bool isExactFloat32(int64_t v) {
  return static_cast<int64_t>(static_cast<double>(static_cast<float>(v))) == v;
}

bool isExactFloat64(int64_t v) {
  return v > -(int64_t(1) << 53) && v < (int64_t(1) << 53);
}

unsigned bitsFor(llvm::ArrayRef<int64_t> values) {
  for (int64_t v : values)
    if (v >= (int64_t(1) << 31) || v < -(int64_t(1) << 31))
      return 64;
  return 32;
}

class DoryEmitter {
public:
  DoryEmitter(const Model &source, const DoryProgram &program,
              ElementType valueType)
      : source(source), program(program),
        valueType(valueType), result{std::make_unique<Model>(), {}} {}

  llvm::Expected<DoryModel> emit() {
    Model &m = *result.model;
    m.irVersion = 5;
    m.opsets = {{"", 10}};
    m.producerName = "qlc";
    m.producerVersion = "0.1";
    graph().name = source.getGraph().name;
    Value *in = program.input;
    mapping[in] = graph().addInput(nextName(), floatType(in));
    for (size_t i = 0; i < program.layers.size(); ++i) {
      if (llvm::Error err = emitLayer(i, program.layers[i]))
        return err;
    }
    if (llvm::Error err = emitOutputs())
      return err;
    m.metadata.emplace_back("qlc.backend", "dory");
    std::string layers;
    for (const std::string &name : result.layerOutputs)
      layers += (layers.empty() ? "" : ",") + name;
    m.metadata.emplace_back("qlc.dory.layers", layers);
    return std::move(result);
  }

private:
  Graph &graph() { return result.model->getGraph(); }

  std::string nextName() { return std::to_string(counter++); }

  TensorType floatType(const Value *v) const {
    TensorType t = v->getType();
    t.setElementType(valueType);
    return t;
  }

  Node *createNode(llvm::StringRef op, llvm::ArrayRef<Value *> operands,
                   const Value *like) {
    Node *n =
        graph().createNode(op, operands, std::vector<std::string>{nextName()});
    n->setName((op + "_" + n->getResult(0)->getName()).str());
    if (like)
      n->getResult(0)->setType(floatType(like));
    return n;
  }

  Value *constant(llvm::StringRef name, llvm::ArrayRef<int64_t> values,
                  llvm::ArrayRef<int64_t> shape) {
    Tensor t(valueType, shape);
    for (size_t i = 0; i < values.size(); ++i)
      t.setFromDouble(static_cast<int64_t>(i), static_cast<double>(values[i]));
    return graph().addInitializer(graph().makeUniqueName(name), std::move(t));
  }

  llvm::Error checkExact(const Node &node, llvm::StringRef what,
                         llvm::ArrayRef<int64_t> values) {
    auto exact =
        valueType == ElementType::Float ? isExactFloat32 : isExactFloat64;
    for (int64_t v : values)
      if (!exact(v))
        return makeNodeError(node, what + " " + llvm::Twine(v) +
                                       " is not exactly a " +
                                       getElementTypeName(valueType) +
                                       ", and DORY reads constants with "
                                       "int() (export-dory{values=double} "
                                       "keeps 53 bits)");
    return llvm::Error::success();
  }

  Value *mapped(const Value *v) { return mapping.lookup(v); }

  llvm::Expected<Value *> emitWires(const DoryLayer &layer, Value *x) {
    for (Node *w : layer.wires) {
      if (!w->is("Flatten"))
        return makeNodeError(*w, "only Flatten may sit between DORY layers");
      Node *n = createNode("Flatten", {x}, w->getResult(0));
      n->setAttr("axis", Attribute::getInt(w->getAttrInt("axis", 1)));
      x = n->getResult(0);
    }
    return x;
  }

  llvm::Error emitLayer(size_t index, const DoryLayer &layer) {
    std::string prefix = "L" + std::to_string(index);
    Value *x = mapped(layer.inputs[0].value);
    llvm::Expected<Value *> wired = emitWires(layer, x);
    if (!wired)
      return wired.takeError();
    x = *wired;
    Value *acc = nullptr;
    int64_t channels = 1;
    switch (layer.kind) {
    case DoryLayerKind::Convolution:
    case DoryLayerKind::FullyConnected: {
      llvm::Expected<Value *> v = emitLinear(prefix, layer, x, channels);
      if (!v)
        return v.takeError();
      acc = *v;
      break;
    }
    case DoryLayerKind::AveragePool:
      acc = emitPool(layer, x);
      break;
    case DoryLayerKind::MaxPool: {
      Node *n = createNode("MaxPool", {x}, layer.output);
      for (const NamedAttribute &a : layer.op->getAttrs())
        n->setAttr(a.name, a.value);
      acc = n->getResult(0);
      break;
    }
    case DoryLayerKind::Addition: {
      llvm::Expected<Value *> v = emitAddition(layer);
      if (!v)
        return v.takeError();
      mapping[layer.output] = *v;
      result.layerOutputs.push_back((*v)->getName().str());
      return llvm::Error::success();
    }
    }
    Value *out = acc;
    if (layer.requant) {
      llvm::Expected<Value *> v =
          emitRequant(prefix, layer, *layer.requant, acc, channels);
      if (!v)
        return v.takeError();
      out = *v;
    }
    mapping[layer.output] = out;
    result.layerOutputs.push_back(out->getName().str());
    return llvm::Error::success();
  }

  llvm::Expected<Value *> emitLinear(llvm::StringRef prefix,
                                     const DoryLayer &layer, Value *x,
                                     int64_t &channels) {
    const Tensor &w = *layer.weights;
    std::vector<int64_t> weights = w.toInt64s();
    Value *wv = constant((prefix + ".weight").str(), weights, w.getShape());
    bool conv = layer.kind == DoryLayerKind::Convolution;
    channels = conv ? w.getDim(0) : w.getDim(1);
    llvm::SmallVector<Value *, 3> operands{x, wv};
    if (layer.bias && !layer.requant) {
      std::vector<int64_t> b = layer.bias->toInt64s();
      if (llvm::Error err = checkExact(*layer.op, "bias", b))
        return err;
      operands.push_back(constant((prefix + ".bias").str(), b, {channels}));
    }
    const Value *accType =
        layer.requant ? layer.requant->node->getInput(0) : layer.output;
    Node *n = createNode(conv ? "Conv" : "Gemm", operands, accType);
    if (conv) {
      for (llvm::StringRef a :
           {"dilations", "group", "kernel_shape", "pads", "strides"})
        if (const Attribute *attr = layer.op->getAttr(a))
          n->setAttr(a, *attr);
      if (!n->hasAttr("kernel_shape"))
        n->setAttr("kernel_shape",
                   Attribute::getInts(w.getShape().drop_front(2)));
      if (layer.op->getAttrString("auto_pad", "NOTSET") != "NOTSET")
        return makeNodeError(*layer.op, "auto_pad is not supported by DORY; "
                                        "run infer-shapes to make pads "
                                        "explicit");
    }
    n->setAttr("weight_bits", Attribute::getInt(8));
    n->setAttr("bias_bits", Attribute::getInt(32));
    return n->getResult(0);
  }

  Value *emitPool(const DoryLayer &layer, Value *x) {
    const Node &op = *layer.op;
    const Value *type = layer.requant->node->getInput(0);
    if (op.is("ReduceSum"))
      return createNode("GlobalAveragePool", {x}, type)->getResult(0);
    Node *n = createNode("AveragePool", {x}, type);
    for (llvm::StringRef a : {"kernel_shape", "pads", "strides"})
      if (const Attribute *attr = op.getAttr(a))
        n->setAttr(a, *attr);
    // The window sum counts zero padding, like count_include_pad.
    n->setAttr("count_include_pad", Attribute::getInt(1));
    return n->getResult(0);
  }

  llvm::Expected<Value *> emitRequant(llvm::StringRef prefix,
                                      const DoryLayer &layer,
                                      const DoryRequant &rq, Value *acc,
                                      int64_t channels) {
    bool pool = layer.kind == DoryLayerKind::AveragePool;
    std::vector<int64_t> mul = rq.mul, add = rq.add;
    if (!pool) {
      // Per-channel even when constant across channels (see the header).
      if (mul.size() == 1)
        mul.assign(channels, mul[0]);
      if (add.size() == 1)
        add.assign(channels, add[0]);
    } else {
      if (mul.size() != 1 || add.size() != 1)
        return makeNodeError(*rq.node, "a per-channel requantisation of an "
                                       "average pool: DORY's pool requant is "
                                       "a scalar");
      mul[0] *= layer.poolSize;
    }
    if (layer.bias) {
      std::vector<int64_t> b = layer.bias->toInt64s();
      for (size_t c = 0; c < add.size(); ++c) {
        int64_t folded;
        if (__builtin_mul_overflow(b[b.size() == 1 ? 0 : c], mul[c], &folded) ||
            __builtin_add_overflow(add[c], folded, &add[c]))
          return makeNodeError(*rq.node, "bias folded into the offset "
                                         "overflows int64");
      }
    }
    if (llvm::Error err = checkExact(*rq.node, "multiplier", mul))
      return err;
    if (llvm::Error err = checkExact(*rq.node, "offset", add))
      return err;
    Shape shape;
    if (!pool)
      shape = layer.kind == DoryLayerKind::Convolution
                  ? Shape{1, channels, 1, 1}
                  : Shape{1, channels};
    Value *mulV = constant((prefix + ".mul").str(), mul, shape);
    Value *addV = constant((prefix + ".add").str(), add, shape);
    Value *divV =
        constant((prefix + ".div").str(), {int64_t(1) << rq.attrs.shift}, {1});
    const Value *like = rq.node->getInput(0);
    Node *m = createNode("Mul", {acc, mulV}, like);
    m->setAttr("mult_bits", Attribute::getInt(bitsFor(mul)));
    Node *a = createNode("Add", {m->getResult(0), addV}, like);
    a->setAttr("add_bits", Attribute::getInt(bitsFor(add)));
    Node *d = createNode("Div", {a->getResult(0), divV}, like);
    Node *f = createNode("Floor", {d->getResult(0)}, like);
    Node *c = createNode("Clip", {f->getResult(0)}, layer.output);
    c->setAttr("min", Attribute::getFloat(float(rq.attrs.lo)));
    c->setAttr("max", Attribute::getFloat(float(rq.attrs.hi)));
    c->setAttr("out_bits", Attribute::getInt(rq.outBits()));
    return c->getResult(0);
  }

  /// Levels of an 8-bit (or wider) operand passed through unrequantised.
  static int64_t levelsOf(const Value *v) {
    auto [lo, hi] = integerTypeRange(v->getElementType());
    return std::min<int64_t>(hi - lo + 1, int64_t(1) << 32);
  }

  void setRequantAttrs(Node &n, llvm::StringRef side,
                       const llvm::Optional<DoryRequant> &rq,
                       int64_t passLevels) {
    auto set = [&](llvm::StringRef key, int64_t v) {
      n.setAttr((side + "_" + key).str(), Attribute::getInt(v));
    };
    set("mul", rq ? rq->mul[0] : 1);
    set("add", rq ? rq->add[0] : 0);
    set("shift", rq ? rq->attrs.shift : 0);
    set("n_levels", rq ? rq->attrs.hi - rq->attrs.lo + 1 : passLevels);
    set("rq", rq ? 1 : 0);
    // qlc's extension: the clip of a requantised operand is signed (DORY
    // infers signedness from the operand types; import-dory reads this).
    if (rq && side != "out")
      set("signed", rq->attrs.lo < 0 ? 1 : 0);
  }

  llvm::Expected<Value *> emitAddition(const DoryLayer &layer) {
    Value *x1 = mapped(layer.inputs[0].value);
    Value *x2 = mapped(layer.inputs[1].value);
    Node *n = createNode("Add", {x1, x2}, layer.output);
    setRequantAttrs(*n, "in1", layer.inputs[0].requant,
                    levelsOf(layer.inputs[0].value));
    setRequantAttrs(*n, "in2", layer.inputs[1].requant,
                    levelsOf(layer.inputs[1].value));
    setRequantAttrs(*n, "out", layer.requant, levelsOf(layer.output));
    bool outSigned =
        layer.requant
            ? layer.requant->attrs.lo < 0
            : integerTypeRange(layer.output->getElementType()).first < 0;
    n->setAttr("out_signed", Attribute::getInt(outSigned));
    n->setAttr("add_bits", Attribute::getInt(8));
    return n->getResult(0);
  }

  llvm::Error emitOutputs() {
    llvm::SmallVector<Value *, 2> ends(program.headInputs.begin(),
                                       program.headInputs.end());
    for (Value *v : source.getGraph().getOutputs())
      if (!llvm::is_contained(program.headNodes, v->getDefiningNode()) &&
          !llvm::is_contained(ends, v))
        ends.push_back(v);
    for (Value *v : ends) {
      Value *d = mapped(v);
      if (!d)
        return makeError("'" + v->getName() +
                         "' ends the DORY network but is no layer's output");
      if (!d->isGraphOutput())
        graph().addOutput(d);
    }
    return llvm::Error::success();
  }

  const Model &source;
  const DoryProgram &program;
  ElementType valueType;
  DoryModel result;
  llvm::DenseMap<const Value *, Value *> mapping;
  unsigned counter = 0;
};

} // namespace

llvm::Expected<DoryModel>
qlc::backends::emitDoryModel(const Model &source, const DoryProgram &program,
                             ElementType valueType) {
  return DoryEmitter(source, program, valueType).emit();
}
