//===- LowerIntegerOps.cpp - qlc.Requant/EpsTunnel to standard ONNX -------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Rewrites the fake-to-true ops of domain "qlc" into standard ONNX ops that
// any runtime executes bit-identically to qlc's kernels
// (lib/Interp/Kernels/IntegerOpsKernels.cpp):
//
//   Requant(X, mul, add)   Cast(int64) -> Mul(mul) -> Add(add)
//                          -> s - Mod(s, 2^shift) -> Div(2^shift)
//                          -> Where(Less(q, lo), lo, q)
//                          -> Where(Greater(q, hi), hi, q) -> Cast(to)
//       Mod with fmod=0 takes the divisor's sign, so r = s mod 2^shift lies
//       in [0, 2^shift) and s - r = floor(s / 2^shift) * 2^shift, which is
//       in int64 (it lies between INT64_MIN, a multiple of 2^shift, and s):
//       the truncating integer Div then divides exactly, giving the floor.
//       The saturation compares and selects rather than using an int64
//       Clip (or Max/Min), which ONNX Runtime 1.30's CPU kernels get wrong
//       for some int64 values (docs/integer-onnx.md).
//   EpsTunnel(X, ei, eo)   Cast(double) -> Div(ei) -> Mul(eo)
//                          -> Round -> Cast(to)   (integer `to`)
//                          -> Cast(float)         (float `to`)
//       the kernel's (double)X / ei * eo step by step in double (ei and eo
//       widened exactly from float), then ONNX Round, which rounds half to
//       even like std::nearbyint.
//
// Steps that are exactly the identity are left out (a Mul by a constant 1,
// an Add of a constant 0, a Div or Mul by a constant eps of 1, shift 0, a
// Cast to the type a value has); nothing else is folded, since X / ei * eo and
// X * (eo / ei) differ in double. The Requant's or EpsTunnel's result name
// survives (graph outputs keep their names). The lowered model differs
// only where qlc's kernels fail: x * mul + add leaving int64 wraps, and an
// EpsTunnel result out of its integer type's range is what the runtime's
// Cast makes of it. The ONNX opset is raised to 13 when below 11 (Round,
// integer Less and Greater); the "qlc" opset import goes when no qlc op
// remains. Every node is checked before anything changes. See
// docs/integer-onnx.md.
//
//===----------------------------------------------------------------------===//

#include "backends/OpsetUpgrade.h"
#include "backends/Passes.h"
#include "backends/QdqSupport.h"
#include "canonicalize/RewriteUtils.h"

#include "qlc/Quant/FakeQuantOp.h"
#include "qlc/Quant/IntegerOps.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/DenseMap.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

using namespace qlc;
using namespace qlc::backends;

namespace {

/// The lowest opset with Round (11), integer Less/Greater and Where (9) and
/// Mod (10).
constexpr int64_t kMinOpset = 11;

/// One qlc op to lower, checked before the model changes.
struct LoweringPlan {
  Node *node = nullptr;
  bool isRequant = false;
  RequantAttrs requant;
  ElementType to = ElementType::Float;
  /// Requant: |x * mul + add| stays in int64 for every X of its type.
  bool overflowFree = false;
};

bool isTunnelType(ElementType t) {
  return isRequantType(t) || t == ElementType::Float ||
         t == ElementType::Double;
}

/// Whether a value of `param` dims broadcasts to X's without changing them
/// (the kernels' rule); unknown dimensions are assumed to fit.
bool broadcastsTo(const TensorType &param, const TensorType &x) {
  if (!param.hasRank() || !x.hasRank())
    return true;
  llvm::ArrayRef<Dim> p = param.getDims(), d = x.getDims();
  if (p.size() > d.size())
    return false;
  for (size_t i = 0; i < p.size(); ++i) {
    const Dim &pd = p[p.size() - 1 - i], &xd = d[d.size() - 1 - i];
    if (pd.isKnown() && pd.size != 1 && xd.isKnown() && pd.size != xd.size)
      return false;
  }
  return true;
}

/// "m8" for -8: names stay identifiers of ONNX's textual syntax.
std::string formatInt(int64_t v) {
  return v < 0 ? "m" + std::to_string(0 - static_cast<uint64_t>(v))
               : std::to_string(v);
}

/// Whether |x * mul + add| <= INT64_MAX for every x of `xType` and every
/// mul and add element (a bound over all pairings, so conservative).
bool isOverflowFree(ElementType xType, const Tensor *mul, const Tensor *add) {
  if (!mul || !add || !isRequantType(xType))
    return false;
  auto [lo, hi] = integerTypeRange(xType);
  __int128 xMax = std::max(-static_cast<__int128>(lo), __int128(hi));
  __int128 mulMax = 0, addMax = 0;
  for (int64_t m : mul->toInt64s())
    mulMax = std::max(mulMax, m < 0 ? -__int128(m) : __int128(m));
  for (int64_t a : add->toInt64s())
    addMax = std::max(addMax, a < 0 ? -__int128(a) : __int128(a));
  // xMax, mulMax <= 2^63: the product fits in 127 bits.
  return xMax * mulMax + addMax <= __int128(INT64_MAX);
}

llvm::Error checkEpsOperand(const Node &n, unsigned i, const char *what) {
  const Value *v = n.getInput(i);
  if (const Tensor *t = getFixedConstant(v)) {
    if (!isFloatType(t->getElementType()) &&
        !isIntegerType(t->getElementType()))
      return makeNodeError(n, llvm::Twine(what) + " must be numeric, got " +
                                  getElementTypeName(t->getElementType()));
    for (double e : t->toDoubles())
      if (!(e > 0) || !std::isfinite(e))
        return makeNodeError(n, llvm::Twine(what) +
                                    " must be positive and finite");
    return llvm::Error::success();
  }
  ElementType t = v->getElementType();
  if (t != ElementType::Undefined && t != ElementType::Float &&
      t != ElementType::Double)
    return makeNodeError(n, llvm::Twine(what) +
                                " must be float or double, "
                                "got " +
                                getElementTypeName(t));
  return llvm::Error::success();
}

llvm::Error checkOperands(const Node &n) {
  if (n.getNumInputs() != 3 || n.getNumResults() != 1 ||
      llvm::any_of(n.getInputs(), [](const Value *v) { return !v; }))
    return makeNodeError(n, "expected three inputs and one result");
  const TensorType &x = n.getInput(0)->getType();
  for (unsigned i = 1; i < 3; ++i)
    if (!broadcastsTo(n.getInput(i)->getType(), x))
      return makeNodeError(n, "input " + llvm::Twine(i) + " " +
                                  n.getInput(i)->getType().str() +
                                  " does not broadcast to X " + x.str());
  return llvm::Error::success();
}

llvm::Expected<LoweringPlan> planRequant(Node &n) {
  LoweringPlan p;
  p.node = &n;
  p.isRequant = true;
  if (llvm::Error err = checkOperands(n))
    return err;
  llvm::Expected<RequantAttrs> attrs = readRequantAttrs(n);
  if (!attrs)
    return attrs.takeError();
  p.requant = *attrs;
  ElementType xType = n.getInput(0)->getElementType();
  if (xType != ElementType::Undefined && !isRequantType(xType))
    return makeNodeError(n, "X must be an integer tensor of at most 64 bits, "
                            "got " +
                                getElementTypeName(xType));
  for (unsigned i = 1; i < 3; ++i) {
    ElementType t = n.getInput(i)->getElementType();
    if (t != ElementType::Int64 && t != ElementType::Undefined)
      return makeNodeError(n, llvm::Twine(i == 1 ? "mul" : "add") +
                                  " must be int64, got " +
                                  getElementTypeName(t));
  }
  p.overflowFree = isOverflowFree(xType, getFixedConstant(n.getInput(1)),
                                  getFixedConstant(n.getInput(2)));
  return p;
}

llvm::Expected<LoweringPlan> planEpsTunnel(Node &n) {
  LoweringPlan p;
  p.node = &n;
  if (llvm::Error err = checkOperands(n))
    return err;
  llvm::Expected<ElementType> to = readEpsTunnelType(n);
  if (!to)
    return to.takeError();
  p.to = *to;
  ElementType xType = n.getInput(0)->getElementType();
  if (xType != ElementType::Undefined && !isTunnelType(xType))
    return makeNodeError(n,
                         "unsupported input type " + getElementTypeName(xType));
  if (llvm::Error err = checkEpsOperand(n, 1, "eps_in"))
    return err;
  if (llvm::Error err = checkEpsOperand(n, 2, "eps_out"))
    return err;
  return p;
}

/// True when the fixed constant `v` holds nothing but `x`.
bool isConstantAll(const Value *v, double x) {
  const Tensor *t = getFixedConstant(v);
  if (!t || t->getNumElements() == 0)
    return false;
  std::vector<double> vs = t->toDoubles();
  return std::all_of(vs.begin(), vs.end(), [x](double e) { return e == x; });
}

/// Emits the chain of one lowering before the original node.
class ChainBuilder {
public:
  ChainBuilder(Graph &graph, std::map<int64_t, Value *> &intCache,
               llvm::DenseMap<Value *, Value *> &doubleCache, Node &orig)
      : graph(graph), intCache(intCache), doubleCache(doubleCache), orig(orig),
        base(orig.getName().str()), hint(orig.getResult(0)->getName().str()),
        shapeType(orig.getInput(0)->getType()) {}

  /// Appends `op(current, operands...)`, typed with X's dims.
  Value *emit(llvm::StringRef op, Value *in, llvm::ArrayRef<Value *> rest,
              ElementType elem, llvm::StringRef suffix) {
    std::vector<Value *> operands{in};
    operands.insert(operands.end(), rest.begin(), rest.end());
    std::string name = hint + "_" + suffix.str();
    Node *n = graph.createNode(op, operands, llvm::StringRef(name), "", &orig);
    setDerivedName(*n, suffix);
    TensorType t = shapeType;
    t.setElementType(elem);
    n->getResult(0)->setType(std::move(t));
    return n->getResult(0);
  }

  Value *cast(Value *in, ElementType to, llvm::StringRef suffix) {
    Value *r = emit("Cast", in, {}, to, suffix);
    r->getDefiningNode()->setAttr("to",
                                  Attribute::getInt(static_cast<int64_t>(to)));
    return r;
  }

  /// A shared int64 scalar initializer.
  Value *int64Scalar(int64_t v) {
    Value *&cached = intCache[v];
    if (!cached)
      cached =
          graph.addInitializer(graph.makeUniqueName("int64_" + formatInt(v)),
                               Tensor::scalar<int64_t>(v));
    return cached;
  }

  /// `eps` as double: a widened copy of a constant (shared between the
  /// tunnels reading it), the value itself when double, else a Cast.
  Value *asDouble(Value *eps, llvm::StringRef suffix) {
    if (const Tensor *t = getFixedConstant(eps)) {
      Value *&cached = doubleCache[eps];
      if (!cached)
        cached = graph.addInitializer(
            canonicalize::makeDerivedName(graph, eps->getName(), "f64"),
            t->getElementType() == ElementType::Double
                ? *t
                : t->castTo(ElementType::Double));
      return cached;
    }
    if (eps->getElementType() == ElementType::Double)
      return eps;
    std::string name = hint + "_" + suffix.str();
    Node *n = graph.createNode("Cast", {eps}, llvm::StringRef(name), "", &orig);
    setDerivedName(*n, suffix);
    n->setAttr("to",
               Attribute::getInt(static_cast<int64_t>(ElementType::Double)));
    TensorType t = eps->getType();
    t.setElementType(ElementType::Double);
    n->getResult(0)->setType(std::move(t));
    return n->getResult(0);
  }

  /// Gives `last` the original result's name and uses, then erases the
  /// original node (and the initializers only it read).
  void finish(Value *last, ElementType elem) {
    if (last == orig.getInput(0)) // every step was the identity
      last = emit("Identity", last, {}, elem, "identity");
    TensorType t = orig.getResult(0)->getType();
    t.setElementType(elem);
    if (!t.hasRank())
      t = last->getType();
    last->setType(t);
    canonicalize::replaceTakingName(graph, orig.getResult(0), last);
    eraseIfDead(graph, &orig);
  }

private:
  /// "<name>_<suffix>" when the original node has a name (unnamed nodes
  /// beget unnamed nodes).
  void setDerivedName(Node &n, llvm::StringRef suffix) const {
    if (!base.empty())
      n.setName(base + "_" + suffix.str());
  }

  Graph &graph;
  std::map<int64_t, Value *> &intCache;
  llvm::DenseMap<Value *, Value *> &doubleCache;
  Node &orig;
  std::string base, hint;
  TensorType shapeType;
};

class LowerIntegerOpsPass : public PassBase<LowerIntegerOpsPass> {
public:
  static constexpr llvm::StringLiteral argument = "lower-integer-ops";
  static constexpr llvm::StringLiteral summary =
      "Rewrite qlc.Requant and qlc.EpsTunnel as standard ONNX ops";
  static constexpr llvm::StringLiteral description =
      "Requant becomes int64 Cast -> Mul -> Add -> exact floor division by "
      "2^shift (Sub of Mod with fmod=0, then Div) -> saturation with "
      "Less/Greater and Where -> Cast; "
      "EpsTunnel becomes Cast to double -> Div by eps_in -> Mul by eps_out "
      "-> Round (half to even) -> Cast, or Cast to float. Bit-identical to "
      "qlc's kernels wherever they succeed (x * mul + add leaving int64 "
      "wraps instead of failing). Raises the ONNX opset to 13 when below 11 "
      "and drops the qlc opset import when no qlc op remains. See "
      "docs/integer-onnx.md.";

  PassStatistic requantsLowered{*this, "requants-lowered",
                                "qlc.Requant nodes lowered"};
  PassStatistic tunnelsLowered{*this, "eps-tunnels-lowered",
                               "qlc.EpsTunnel nodes lowered"};
  PassStatistic overflowFree{
      *this, "requants-overflow-free",
      "lowered Requants whose x * mul + add provably stays in int64 for "
      "every X of its type (the others wrap where qlc fails)"};
  PassStatistic matmulsWidened{
      *this, "matmuls-widened",
      "MatMulInteger(uint8, int8) rewritten as an int32 MatMul"};
  PassStatistic opsetRaised{*this, "opset-raised",
                            "models raised to ONNX opset 13"};

  llvm::Expected<bool> run(Model &model) override {
    Graph &graph = model.getGraph();
    bool widened = widenMixedMatMulIntegers(graph);
    std::vector<LoweringPlan> plans;
    for (Node &n : graph.getNodes()) {
      if (!isRequant(n) && !isEpsTunnel(n))
        continue;
      llvm::Expected<LoweringPlan> plan =
          isRequant(n) ? planRequant(n) : planEpsTunnel(n);
      if (!plan)
        return plan.takeError();
      plans.push_back(*plan);
    }
    if (plans.empty())
      return widened;
    if (model.getOpsetVersion("") < kMinOpset) {
      llvm::Expected<bool> raised = raiseOnnxOpsetTo13(model);
      if (!raised)
        return raised.takeError();
      if (*raised)
        ++opsetRaised;
    }
    std::map<int64_t, Value *> intCache;
    llvm::DenseMap<Value *, Value *> doubleCache;
    for (const LoweringPlan &p : plans) {
      ChainBuilder b(graph, intCache, doubleCache, *p.node);
      if (p.isRequant) {
        lowerRequant(b, *p.node, p.requant);
        ++requantsLowered;
        if (p.overflowFree)
          ++overflowFree;
      } else {
        lowerEpsTunnel(b, *p.node, p.to);
        ++tunnelsLowered;
      }
    }
    removeQlcOpsetImportIfUnused(model);
    return true;
  }

private:
  /// ONNX Runtime 1.30's MatMulInteger with uint8 A and int8 B gives wrong
  /// results on CPUs without VNNI (docs/integer-onnx.md). With a constant
  /// B and no zero points, Cast(A, int32) x int32 B is the same exact
  /// product, and every runtime computes int32 MatMul exactly.
  bool widenMixedMatMulIntegers(Graph &graph) {
    llvm::SmallVector<Node *, 4> todo;
    for (Node &n : graph.getNodes())
      if (n.is("MatMulInteger") && n.getNumInputs() == 2 &&
          n.getInput(0)->getElementType() == ElementType::UInt8 &&
          n.getInput(1)->isInitializer() &&
          n.getInput(1)->getElementType() == ElementType::Int8)
        todo.push_back(&n);
    for (Node *n : todo) {
      Value *a = n->getInput(0), *w = n->getInput(1);
      std::string base = n->getResult(0)->getName().str();
      Node *cast =
          graph.createNode("Cast", {a}, llvm::StringRef(base + "_a32"), "", n);
      cast->setAttr(
          "to", Attribute::getInt(static_cast<int64_t>(ElementType::Int32)));
      TensorType t = a->getType();
      t.setElementType(ElementType::Int32);
      cast->getResult(0)->setType(t);
      Value *w32 = graph.addInitializer(
          graph.makeUniqueName(w->getName().str() + "_i32"),
          w->getConstant()->castTo(ElementType::Int32));
      Node *mm = graph.createNode("MatMul", {cast->getResult(0), w32},
                                  llvm::StringRef(base + "_i32"), "", n);
      mm->setName(n->getName());
      mm->getResult(0)->setType(n->getResult(0)->getType());
      Value *old = n->getResult(0);
      graph.replaceValueKeepingOutputNames(old, mm->getResult(0));
      if (!old->isLive()) {
        graph.eraseNode(n);
        if (mm->getResult(0)->getName() != base)
          graph.renameValue(mm->getResult(0), base);
      }
      if (!w->isLive())
        graph.eraseValue(w);
      ++matmulsWidened;
    }
    return !todo.empty();
  }

  static void lowerRequant(ChainBuilder &b, Node &n, const RequantAttrs &a) {
    constexpr ElementType i64 = ElementType::Int64;
    Value *x = n.getInput(0), *mul = n.getInput(1), *add = n.getInput(2);
    Value *v = x;
    if (x->getElementType() != i64)
      v = b.cast(v, i64, "i64");
    if (!isConstantAll(mul, 1))
      v = b.emit("Mul", v, {mul}, i64, "mul");
    if (!isConstantAll(add, 0))
      v = b.emit("Add", v, {add}, i64, "add");
    if (a.shift > 0) {
      Value *d = b.int64Scalar(int64_t(1) << a.shift);
      Value *r = b.emit("Mod", v, {d}, i64, "mod");
      r->getDefiningNode()->setAttr("fmod", Attribute::getInt(0));
      v = b.emit("Sub", v, {r}, i64, "floored");
      v = b.emit("Div", v, {d}, i64, "shifted");
    }
    if (a.lo != std::numeric_limits<int64_t>::min()) {
      Value *lo = b.int64Scalar(a.lo);
      Value *below = b.emit("Less", v, {lo}, ElementType::Bool, "below");
      v = b.emit("Where", below, {lo, v}, i64, "raised");
    }
    if (a.hi != std::numeric_limits<int64_t>::max()) {
      Value *hi = b.int64Scalar(a.hi);
      Value *above = b.emit("Greater", v, {hi}, ElementType::Bool, "above");
      v = b.emit("Where", above, {hi, v}, i64, "clipped");
    }
    if (a.to != i64)
      v = b.cast(v, a.to, "cast");
    b.finish(v, a.to);
  }

  static void lowerEpsTunnel(ChainBuilder &b, Node &n, ElementType to) {
    constexpr ElementType f64 = ElementType::Double;
    Value *x = n.getInput(0), *epsIn = n.getInput(1), *epsOut = n.getInput(2);
    Value *v = x;
    if (x->getElementType() != f64)
      v = b.cast(v, f64, "f64");
    if (!isConstantAll(epsIn, 1))
      v = b.emit("Div", v, {b.asDouble(epsIn, "eps_in_f64")}, f64, "div");
    if (!isConstantAll(epsOut, 1))
      v = b.emit("Mul", v, {b.asDouble(epsOut, "eps_out_f64")}, f64, "mul");
    if (isRequantType(to))
      v = b.cast(b.emit("Round", v, {}, f64, "round"), to, "cast");
    else if (to != f64)
      v = b.cast(v, to, "cast");
    b.finish(v, to);
  }
};

} // namespace

std::unique_ptr<Pass> qlc::backends::createLowerIntegerOpsPass() {
  return std::make_unique<LowerIntegerOpsPass>();
}
