//===- ImportDory.cpp - DORY-annotated ONNX as an exact integer program ---===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// import-dory reads the ONNX DORY's Quantlab frontend parses (QuantLab's
// exports and qlc's export-dory) and rewrites it with DORY's arithmetic as
// exact integer ops, so that qlc-run can compute what DORY's kernels compute
// and check golden feature maps bit for bit (qlc-run --dory-golden):
//
// - Conv / Gemm / MatMul on integer-valued float weights -> ConvInteger /
//   MatMulInteger on int8 (+ an int32 bias Add);
// - Mul -> [Add] -> Div(2^D) -> Floor -> Clip -> qlc.Requant;
// - AveragePool / GlobalAveragePool + requantisation -> the window sum
//   times mul / K (DORY divides the multiplier by the window size K with
//   C integer division) -> qlc.Requant;
// - a residual Add with DORY's attributes -> for each operand k with
//   ink_rq = 1 a Requant clipped to [0, ink_n_levels - 1] (or the signed
//   range with qlc's ink_signed = 1), an int32 sum, then the out
//   requantisation (out_rq) or a clip to [0, out_n_levels - 1] (signed
//   with out_signed) -- the semantics that reproduce QuantLab's DroNet
//   goldens;
// - data movement (Flatten, Reshape, Gather, Concat, ...) is kept; a float
//   tail (Sigmoid, LogSoftmax, Softmax) reads its input cast to float.
//
// The fused layers' outputs are recorded in the metadata `qlc.dory.layers`
// in execution order: out_layer{i}.txt is layer i.
//
//===----------------------------------------------------------------------===//

#include "backends/OpsetUpgrade.h"
#include "backends/Passes.h"

#include "qlc/IO/FileIO.h"
#include "qlc/ONNX/ShapeInference.h"
#include "qlc/Quant/IntegerOps.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/JSON.h"

#include <cmath>

using namespace qlc;

namespace {

/// A requantisation chain read from the DORY graph.
struct Chain {
  std::vector<int64_t> mul, add;
  int64_t shift = 0, lo = 0, hi = 0;
  Node *end = nullptr; // the Clip
};

Node *soleUser(const Value *v) {
  if (!v || v->isGraphOutput() || !v->hasOneUse())
    return nullptr;
  return v->getUses()[0].user;
}

/// The constant operand of a binary node that reads `x`, or null.
const Tensor *otherConstant(const Node &n, const Value *x) {
  if (n.getNumInputs() != 2)
    return nullptr;
  const Value *other = n.getInput(0) == x ? n.getInput(1) : n.getInput(0);
  return other && other != x ? other->getConstant() : nullptr;
}

bool isDoryAddition(const Node &n) {
  return n.is("Add") && (n.hasAttr("in1_rq") || n.hasAttr("out_rq"));
}

ElementType typeForRange(int64_t lo, int64_t hi) {
  for (ElementType t : {ElementType::UInt8, ElementType::Int8,
                        ElementType::UInt16, ElementType::Int16}) {
    auto [tlo, thi] = integerTypeRange(t);
    if (lo >= tlo && hi <= thi)
      return t;
  }
  return ElementType::Int32;
}

class DoryImporter {
public:
  DoryImporter(const Model &source, bool inputSigned)
      : source(source), inputSigned(inputSigned) {}

  llvm::Expected<std::unique_ptr<Model>> run() {
    auto dst = std::make_unique<Model>();
    model = dst.get();
    model->irVersion = 8;
    // Data-movement nodes are copied as they are: keep the source's opset
    // while importing, then raise it to 13 (Unsqueeze axes become inputs).
    model->opsets = {{"", std::max<int64_t>(source.getOpsetVersion(""), 10)},
                     {"qlc", 1}};
    model->producerName = "qlc import-dory";
    graph().name = source.getGraph().name;
    if (llvm::Error err = importInput())
      return err;
    for (const Node &n : source.getGraph().getNodes()) {
      if (consumed.count(&n))
        continue;
      if (llvm::Error err = importNode(n))
        return err;
    }
    for (Value *out : source.getGraph().getOutputs()) {
      Value *v = map.lookup(out);
      if (!v)
        return makeError("graph output '" + out->getName() +
                         "' was not imported");
      graph().addOutput(v);
    }
    std::string list;
    for (const std::string &name : layers)
      list += (list.empty() ? "" : ",") + name;
    model->metadata.emplace_back("qlc.dory.layers", list);
    llvm::Expected<bool> raised = backends::raiseOnnxOpsetTo13(*model);
    if (!raised)
      return raised.takeError();
    llvm::Expected<bool> inferred = inferShapes(*model);
    if (!inferred)
      return inferred.takeError();
    return dst;
  }

private:
  Graph &graph() { return model->getGraph(); }

  Value *typed(Value *v, ElementType t) {
    TensorType type = v->getType();
    type.setElementType(t);
    v->setType(type);
    return v;
  }

  ElementType typeOf(const Value *v) { return v->getType().getElementType(); }

  Node *create(llvm::StringRef op, llvm::ArrayRef<Value *> operands,
               llvm::StringRef name, ElementType type,
               llvm::StringRef domain = "") {
    std::string unique = graph().makeUniqueName(name);
    Node *n = graph().createNode(op, operands, std::vector<std::string>{unique},
                                 domain);
    n->setName(unique);
    typed(n->getResult(0), type);
    return n;
  }

  Value *constant(llvm::StringRef name, Tensor t) {
    return graph().addInitializer(graph().makeUniqueName(name), std::move(t));
  }

  llvm::Error importInput() {
    for (Value *in : source.getGraph().getInputs()) {
      if (in->isInitializer())
        continue;
      TensorType t = in->getType();
      t.setElementType(inputSigned ? ElementType::Int8 : ElementType::UInt8);
      map[in] = graph().addInput(in->getName(), t);
    }
    if (map.size() != 1)
      return makeError("DORY networks have one input; this one has " +
                       llvm::Twine(map.size()));
    return llvm::Error::success();
  }

  llvm::Expected<Value *> mapped(const Node &n, const Value *v) {
    if (Value *m = map.lookup(v))
      return m;
    if (const Tensor *c = v->getConstant())
      return map[v] = graph().addInitializer(v->getName(), *c);
    return makeNodeError(n, "reads '" + v->getName() +
                                "', which is not the output of an imported "
                                "DORY layer");
  }

  /// A float constant holding integers, as `type`.
  llvm::Expected<Tensor> integerConstant(const Node &n, const Tensor &t,
                                         ElementType type,
                                         llvm::StringRef what) {
    Tensor out(type, t.getShape());
    auto [lo, hi] = integerTypeRange(type);
    for (int64_t i = 0; i < t.getNumElements(); ++i) {
      double v = t.getAsDouble(i);
      if (v != std::floor(v) || v < lo || v > hi)
        return makeNodeError(
            n, what + " value " + llvm::Twine(std::to_string(v)) +
                   " is not an integer of " + getElementTypeName(type));
      out.setFromDouble(i, v);
    }
    return out;
  }

  static std::vector<int64_t> int64s(const Tensor &t) {
    std::vector<int64_t> v;
    for (int64_t i = 0; i < t.getNumElements(); ++i)
      v.push_back(static_cast<int64_t>(t.getAsDouble(i)));
    return v;
  }

  /// Mul -> [Add] -> Div -> Floor -> Clip reading `x`, or None.
  llvm::Expected<llvm::Optional<Chain>> readChain(const Value *x) {
    Node *mul = soleUser(x);
    if (!mul || !mul->is("Mul") || !otherConstant(*mul, x))
      return llvm::None;
    Chain c;
    llvm::SmallVector<const Node *, 5> nodes{mul};
    c.mul = int64s(*otherConstant(*mul, x));
    const Value *v = mul->getResult(0);
    Node *next = soleUser(v);
    if (next && next->is("Add") && !isDoryAddition(*next) &&
        otherConstant(*next, v)) {
      c.add = int64s(*otherConstant(*next, v));
      nodes.push_back(next);
      v = next->getResult(0);
      next = soleUser(v);
    } else {
      c.add = {0};
    }
    if (!next || !next->is("Div") || next->getInput(0) != v ||
        !next->getInput(1)->getConstant())
      return makeNodeError(*mul, "a requantisation must go on with Div by "
                                 "a power of two, Floor and Clip");
    double div = next->getInput(1)->getConstant()->getAsDouble(0);
    c.shift = std::lround(std::log2(div));
    if (div < 1 || std::ldexp(1.0, static_cast<int>(c.shift)) != div)
      return makeNodeError(*next, "divisor " +
                                      llvm::Twine(std::to_string(div)) +
                                      " is not a power of two");
    nodes.push_back(next);
    Node *floor = soleUser(next->getResult(0));
    Node *clip = floor ? soleUser(floor->getResult(0)) : nullptr;
    if (!floor || !floor->is("Floor") || !clip || !clip->is("Clip"))
      return makeNodeError(*next, "a requantisation must end with Floor "
                                  "and Clip");
    nodes.push_back(floor);
    nodes.push_back(clip);
    c.lo = static_cast<int64_t>(clip->getAttrFloat("min", -2147483648.0f));
    c.hi = static_cast<int64_t>(clip->getAttrFloat("max", 2147483647.0f));
    if (clip->getNumInputs() > 1)
      return makeNodeError(*clip, "DORY's Clip carries min/max attributes "
                                  "(opset 10)");
    c.end = clip;
    for (const Node *n : nodes)
      consumed.insert(n);
    return llvm::Optional<Chain>(std::move(c));
  }

  Value *requant(Value *x, std::vector<int64_t> mul, std::vector<int64_t> add,
                 int64_t shift, int64_t lo, int64_t hi, llvm::StringRef name) {
    auto tensorOf = [&](const std::vector<int64_t> &v) {
      Shape shape;
      if (v.size() > 1)
        shape = {1, static_cast<int64_t>(v.size()), 1, 1};
      return Tensor::fromValues<int64_t>(shape, v);
    };
    // Per-channel constants follow the rank of what they scale.
    Tensor m = tensorOf(mul), a = tensorOf(add);
    if (x->getType().hasRank() && x->getType().getRank() == 2) {
      if (mul.size() > 1)
        m.reshape({1, static_cast<int64_t>(mul.size())});
      if (add.size() > 1)
        a.reshape({1, static_cast<int64_t>(add.size())});
    }
    ElementType to = typeForRange(lo, hi);
    Node *rq = create(
        kRequantOpName,
        {x, constant(name.str() + "_mul", m), constant(name.str() + "_add", a)},
        name, to, "qlc");
    RequantAttrs attrs;
    attrs.shift = shift;
    attrs.lo = lo;
    attrs.hi = hi;
    attrs.to = to;
    writeRequantAttrs(*rq, attrs);
    return rq->getResult(0);
  }

  /// Finishes a layer whose accumulator is `acc` (DORY value `srcAcc`).
  llvm::Error finishLayer(const Node &anchor, const Value *srcAcc, Value *acc,
                          int64_t poolSize) {
    llvm::Expected<llvm::Optional<Chain>> chain = readChain(srcAcc);
    if (!chain)
      return chain.takeError();
    if (!*chain) {
      if (poolSize > 1)
        return makeNodeError(anchor, "an average pool without "
                                     "requantisation is not supported");
      // The layer output keeps its DORY name (the accumulator before a bias
      // Add holds it so far).
      if (acc->getName() != srcAcc->getName()) {
        if (Value *holder = graph().lookupValue(srcAcc->getName()))
          graph().renameValue(
              holder, graph().makeUniqueName(holder->getName().str() + "_acc"));
        graph().renameValue(acc, srcAcc->getName());
      }
      map[srcAcc] = acc;
      layers.push_back(acc->getName().str());
      return llvm::Error::success();
    }
    Chain &c = **chain;
    if (poolSize > 1)
      for (int64_t &m : c.mul)
        m /= poolSize; // C integer division, as DORY's pool kernel
    const Value *out = c.end->getResult(0);
    Value *v = requant(acc, c.mul, c.add, c.shift, c.lo, c.hi, out->getName());
    map[out] = v;
    layers.push_back(v->getName().str());
    return llvm::Error::success();
  }

  llvm::Error importLinear(const Node &n) {
    llvm::Expected<Value *> x = mapped(n, n.getInput(0));
    if (!x)
      return x.takeError();
    const Tensor *w = n.getInput(1)->getConstant();
    if (!w)
      return makeNodeError(n, "weights must be constant");
    Tensor wt = *w;
    bool conv = n.is("Conv");
    if (n.is("Gemm")) {
      if (n.getAttrInt("transA", 0) || n.getAttrFloat("alpha", 1) != 1 ||
          n.getAttrFloat("beta", 1) != 1)
        return makeNodeError(n, "Gemm with transA, alpha or beta is not a "
                                "DORY fully connected layer");
      if (n.getAttrInt("transB", 0)) {
        int64_t rows = w->getDim(0), cols = w->getDim(1);
        Tensor t(w->getElementType(), {cols, rows});
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < cols; ++c)
            t.setFromDouble(c * rows + r, w->getAsDouble(r * cols + c));
        wt = t;
      }
    }
    llvm::Expected<Tensor> wi =
        integerConstant(n, wt, ElementType::Int8, "weight");
    if (!wi)
      return wi.takeError();
    Value *wv = constant(n.getInput(1)->getName(), std::move(*wi));
    Node *acc = create(conv ? "ConvInteger" : "MatMulInteger", {*x, wv},
                       n.getResult(0)->getName(), ElementType::Int32);
    if (conv)
      for (const NamedAttribute &a : n.getAttrs())
        if (a.name != "weight_bits" && a.name != "bias_bits")
          acc->setAttr(a.name, a.value);
    Value *result = acc->getResult(0);
    if (const Value *b = n.getOptionalInput(2)) {
      if (!b->getConstant())
        return makeNodeError(n, "the bias must be constant");
      Tensor bt = *b->getConstant();
      if (conv)
        bt.reshape({bt.getNumElements(), 1, 1});
      llvm::Expected<Tensor> bi =
          integerConstant(n, bt, ElementType::Int32, "bias");
      if (!bi)
        return bi.takeError();
      result =
          create("Add", {result, constant(b->getName(), std::move(*bi))},
                 n.getResult(0)->getName().str() + "_bias", ElementType::Int32)
              ->getResult(0);
    }
    return finishLayer(n, n.getResult(0), result, 1);
  }

  llvm::Error importPool(const Node &n) {
    llvm::Expected<Value *> x = mapped(n, n.getInput(0));
    if (!x)
      return x.takeError();
    // The window of a global pool is the input's extent: infer what has
    // been imported so far when the DORY graph does not say.
    auto shape = n.getInput(0)->getType().getStaticShape();
    if (!shape) {
      llvm::Expected<bool> inferred = inferShapes(*model);
      if (!inferred)
        return inferred.takeError();
      shape = (*x)->getType().getStaticShape();
    }
    if (!shape || shape->size() != 4)
      return makeNodeError(n, "needs a static NCHW input shape");
    int64_t channels = (*shape)[1];
    llvm::SmallVector<int64_t, 4> kernel{(*shape)[2], (*shape)[3]};
    if (n.is("AveragePool"))
      kernel = n.getAttrInts("kernel_shape");
    if (kernel.size() != 2)
      return makeNodeError(n, "needs a 2-D kernel");
    int64_t size = 1;
    for (int64_t k : kernel)
      size *= k;
    Tensor ones(ElementType::Int8, {channels, 1, kernel[0], kernel[1]});
    for (int8_t &v : ones.getMutableData<int8_t>())
      v = 1;
    Node *sum =
        create("ConvInteger",
               {*x, constant(n.getResult(0)->getName().str() + "_ones",
                             std::move(ones))},
               n.getResult(0)->getName().str() + "_sum", ElementType::Int32);
    sum->setAttr("group", Attribute::getInt(channels));
    sum->setAttr("kernel_shape", Attribute::getInts(kernel));
    for (llvm::StringRef a : {"pads", "strides"})
      if (const Attribute *attr = n.getAttr(a))
        sum->setAttr(a, *attr);
    return finishLayer(n, n.getResult(0), sum->getResult(0), size);
  }

  /// Operand k of a DORY Addition, requantised when ink_rq says so.
  llvm::Expected<Value *> additionOperand(const Node &n, unsigned k) {
    llvm::Expected<Value *> x = mapped(n, n.getInput(k));
    if (!x)
      return x.takeError();
    std::string side = "in" + std::to_string(k + 1) + "_";
    if (!n.getAttrInt(side + "rq", 0))
      return *x;
    int64_t levels = n.getAttrInt(side + "n_levels", 256);
    bool isSigned = n.getAttrInt(side + "signed", 0);
    int64_t lo = isSigned ? -levels / 2 : 0;
    return requant(*x, {n.getAttrInt(side + "mul", 1)},
                   {n.getAttrInt(side + "add", 0)},
                   n.getAttrInt(side + "shift", 0), lo, lo + levels - 1,
                   n.getResult(0)->getName().str() + "_" + side + "rq");
  }

  llvm::Error importAddition(const Node &n) {
    llvm::SmallVector<Value *, 2> operands;
    for (unsigned k = 0; k < 2; ++k) {
      llvm::Expected<Value *> v = additionOperand(n, k);
      if (!v)
        return v.takeError();
      Node *cast = create("Cast", {*v}, (*v)->getName().str() + "_i32",
                          ElementType::Int32);
      cast->setAttr("to", Attribute::getInt(int64_t(ElementType::Int32)));
      operands.push_back(cast->getResult(0));
    }
    Node *sum =
        create("Add", operands, n.getResult(0)->getName().str() + "_sum",
               ElementType::Int32);
    int64_t levels = n.getAttrInt("out_n_levels", 256);
    int64_t lo = n.getAttrInt("out_signed", 0) ? -levels / 2 : 0;
    bool rq = n.getAttrInt("out_rq", 0);
    Value *out =
        requant(sum->getResult(0), {rq ? n.getAttrInt("out_mul", 1) : 1},
                {rq ? n.getAttrInt("out_add", 0) : 0},
                rq ? n.getAttrInt("out_shift", 0) : 0, lo, lo + levels - 1,
                n.getResult(0)->getName());
    map[n.getResult(0)] = out;
    layers.push_back(out->getName().str());
    return llvm::Error::success();
  }

  /// Data movement and float tails, kept with mapped operands.
  llvm::Error importOther(const Node &n) {
    static const char *const kept[] = {
        "Flatten", "Reshape",    "Squeeze", "Unsqueeze", "Gather",
        "Concat",  "Shape",      "MaxPool", "Identity",  "Transpose",
        "Sigmoid", "LogSoftmax", "Softmax"};
    if (!llvm::is_contained(kept, n.getOpType()))
      return makeNodeError(n, "not part of any DORY layer pattern");
    bool floatOp = n.is("Sigmoid") || n.is("LogSoftmax") || n.is("Softmax");
    llvm::SmallVector<Value *, 4> operands;
    bool anyFloat = false;
    for (const Value *in : n.getInputs()) {
      if (!in) {
        operands.push_back(nullptr);
        continue;
      }
      llvm::Expected<Value *> v = mapped(n, in);
      if (!v)
        return v.takeError();
      operands.push_back(*v);
      anyFloat |= !in->isInitializer() && typeOf(*v) == ElementType::Float;
    }
    // Concat of an integer and a float tail (DroNet's head) computes in
    // float; so do the float ops.
    if (floatOp || (n.is("Concat") && anyFloat))
      for (Value *&v : operands)
        if (v && typeOf(v) != ElementType::Float) {
          Node *cast = create("Cast", {v}, v->getName().str() + "_float",
                              ElementType::Float);
          cast->setAttr("to", Attribute::getInt(int64_t(ElementType::Float)));
          v = cast->getResult(0);
        }
    ElementType type = floatOp         ? ElementType::Float
                       : n.is("Shape") ? ElementType::Int64
                                       : typeOf(operands[0]);
    std::vector<std::string> names;
    for (const Value *r : n.getResults())
      names.push_back(graph().makeUniqueName(r->getName()));
    Node *copy = graph().createNode(n.getOpType(), operands, names);
    copy->setName(n.getName());
    for (const NamedAttribute &a : n.getAttrs())
      copy->setAttr(a.name, a.value);
    for (unsigned i = 0; i < n.getNumResults(); ++i)
      map[n.getResult(i)] = typed(copy->getResult(i), type);
    if (n.is("MaxPool"))
      layers.push_back(copy->getResult(0)->getName().str());
    return llvm::Error::success();
  }

  llvm::Error importNode(const Node &n) {
    if (n.is("Conv") || n.is("Gemm") || n.is("MatMul"))
      return importLinear(n);
    if (n.is("AveragePool") || n.is("GlobalAveragePool"))
      return importPool(n);
    if (isDoryAddition(n))
      return importAddition(n);
    if (n.is("Mul") || n.is("Add") || n.is("Div") || n.is("Floor") ||
        n.is("Clip") || n.is("Cast") || n.is("Pad"))
      return makeNodeError(n, "not part of a DORY layer (a requantisation "
                              "must follow a Conv, Gemm, MatMul or pool)");
    return importOther(n);
  }

  const Model &source;
  bool inputSigned;
  Model *model = nullptr;
  llvm::DenseMap<const Value *, Value *> map;
  llvm::SmallPtrSet<const Node *, 32> consumed;
  std::vector<std::string> layers;
};

/// input_signed of a DORY config (false when absent, as in DORY).
llvm::Expected<bool> readInputSigned(llvm::StringRef path) {
  auto bytes = readWholeFile(path);
  if (!bytes)
    return addErrorContext(bytes.takeError(), path);
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*bytes)->getBuffer());
  if (!json)
    return addErrorContext(json.takeError(), path);
  const llvm::json::Object *root = json->getAsObject();
  if (!root)
    return makeError(path + ": not a JSON object");
  const llvm::json::Value *v = root->get("input_signed");
  if (!v)
    return false;
  if (llvm::Optional<bool> b = v->getAsBoolean())
    return *b;
  if (llvm::Optional<int64_t> i = v->getAsInteger())
    return *i != 0;
  return makeError(path + ": input_signed is not a boolean");
}

class ImportDoryPass : public PassBase<ImportDoryPass> {
public:
  static constexpr llvm::StringLiteral argument = "import-dory";
  static constexpr llvm::StringLiteral summary =
      "Read DORY-annotated ONNX as an exact integer program (DORY's "
      "arithmetic)";
  static constexpr llvm::StringLiteral description =
      "Conv/Gemm/MatMul become ConvInteger/MatMulInteger, Mul/Add/Div/Floor/"
      "Clip chains qlc.Requant, pools their window sum with mul / K, and "
      "residual Adds with DORY's attributes their in/out requantisations; "
      "metadata qlc.dory.layers lists each fused layer's output for qlc-run "
      "--dory-golden.";

  Option<bool> inputSigned{*this, "input-signed",
                           "the 8-bit input is signed (config input_signed)",
                           false};
  Option<std::string> config{
      *this, "config",
      "DORY's config_*.json: input_signed from there (wins over input-signed)"};

  llvm::Expected<bool> run(Model &model) override {
    bool isSigned = inputSigned;
    if (!config.getValue().empty()) {
      llvm::Expected<bool> fromConfig = readInputSigned(config.getValue());
      if (!fromConfig)
        return fromConfig.takeError();
      isSigned = *fromConfig;
    }
    llvm::Expected<std::unique_ptr<Model>> imported =
        DoryImporter(model, isSigned).run();
    if (!imported)
      return imported.takeError();
    model = std::move(**imported);
    return true;
  }
};

} // namespace

std::unique_ptr<Pass> qlc::backends::createImportDoryPass() {
  return std::make_unique<ImportDoryPass>();
}
