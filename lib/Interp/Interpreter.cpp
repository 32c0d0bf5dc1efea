//===- Interpreter.cpp - Reference interpreter ----------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// prepare() numbers every value with a slot, creates each node's kernel and
// computes, per node, the slots whose last reader it is. run() binds the
// caller's inputs and the initializers to slots by pointer (no copies),
// executes the nodes in order, releases each intermediate as soon as its
// last reader ran, and copies out the graph outputs (tensor storage is
// shared, so "copy" means a reference count).
//
//===----------------------------------------------------------------------===//

#include "qlc/Interp/Interpreter.h"

#include "qlc/Support/Error.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <limits>

using namespace qlc;

ExecutionObserver::~ExecutionObserver() = default;

namespace {
constexpr unsigned kNoSlot = std::numeric_limits<unsigned>::max();

struct NodePlan {
  const Node *node;
  int64_t opsetVersion;
  std::unique_ptr<Kernel> kernel;
  llvm::SmallVector<unsigned, 4> inputSlots;   // kNoSlot for omitted inputs
  llvm::SmallVector<unsigned, 2> outputSlots;  // kNoSlot for absent results
  llvm::SmallVector<unsigned, 4> releaseAfter; // slots last read here
};
} // namespace

struct Interpreter::Impl {
  const Model &model;
  InterpreterOptions options;
  const KernelRegistry &registry;
  bool prepared = false;

  std::vector<const Value *> slotValues; // slot -> value
  llvm::DenseMap<const Value *, unsigned> slotOf;
  std::vector<NodePlan> plans;

  Impl(const Model &model, InterpreterOptions options,
       const KernelRegistry &registry)
      : model(model), options(options), registry(registry) {}

  unsigned getSlot(const Value *v) {
    auto [it, inserted] = slotOf.try_emplace(v, slotValues.size());
    if (inserted)
      slotValues.push_back(v);
    return it->second;
  }

  llvm::Error prepare();
  llvm::Error bindInputs(const TensorMap &inputs,
                         std::vector<const Tensor *> &bound);
  llvm::Expected<TensorMap> run(const TensorMap &inputs,
                                ExecutionObserver *observer);
};

Interpreter::Interpreter(const Model &model, InterpreterOptions options,
                         const KernelRegistry *registry)
    : impl(std::make_unique<Impl>(model, options,
                                  registry ? *registry
                                           : KernelRegistry::getDefault())) {}

Interpreter::~Interpreter() = default;

llvm::Error Interpreter::prepare() { return impl->prepare(); }

llvm::Expected<TensorMap> Interpreter::run(const TensorMap &inputs,
                                           ExecutionObserver *observer) {
  if (!impl->prepared)
    if (llvm::Error err = impl->prepare())
      return err;
  return impl->run(inputs, observer);
}

llvm::Error Interpreter::Impl::prepare() {
  plans.clear();
  slotValues.clear();
  slotOf.clear();
  prepared = false;
  const Graph &graph = model.getGraph();
  for (const Value *v : graph.getInputs())
    getSlot(v);
  for (const Value *v : graph.getInitializers())
    getSlot(v);

  // lastUse[slot] = index of the last node reading it.
  std::vector<size_t> lastUse;
  for (const Node &node : graph.getNodes()) {
    NodePlan plan;
    plan.node = &node;
    plan.opsetVersion = model.getOpsetVersion(node.getDomain());
    auto kernel = registry.createKernel(node, plan.opsetVersion);
    if (!kernel)
      return kernel.takeError();
    plan.kernel = std::move(*kernel);
    size_t index = plans.size();
    auto noteUse = [&](unsigned slot) {
      if (lastUse.size() <= slot)
        lastUse.resize(slot + 1, SIZE_MAX);
      lastUse[slot] = index;
    };
    for (const Value *in : node.getInputs()) {
      unsigned slot = in ? getSlot(in) : kNoSlot;
      plan.inputSlots.push_back(slot);
      if (slot != kNoSlot)
        noteUse(slot);
    }
    for (const Value *in : node.getImplicitInputs())
      noteUse(getSlot(in));
    for (const Value *out : node.getResults()) {
      unsigned slot = out ? getSlot(out) : kNoSlot;
      plan.outputSlots.push_back(slot);
      if (slot != kNoSlot)
        noteUse(slot); // an unread result dies right after its producer
    }
    plans.push_back(std::move(plan));
  }
  for (const Value *v : graph.getOutputs())
    getSlot(v);
  lastUse.resize(slotValues.size(), SIZE_MAX);
  if (!options.keepAllValues) {
    for (unsigned slot = 0; slot < slotValues.size(); ++slot) {
      const Value *v = slotValues[slot];
      if (lastUse[slot] != SIZE_MAX && v->isNodeResult() && !v->isGraphOutput())
        plans[lastUse[slot]].releaseAfter.push_back(slot);
    }
  }
  prepared = true;
  return llvm::Error::success();
}

/// Checks `tensor` against the declared type of graph input `v`; symbolic
/// dimensions must bind to one size across all inputs.
static llvm::Error checkInput(const Value &v, const Tensor &tensor,
                              llvm::StringMap<int64_t> &symbols) {
  const TensorType &type = v.getType();
  auto fail = [&](const llvm::Twine &msg) {
    return makeError("input '" + v.getName() + "': " + msg);
  };
  if (tensor.isNull())
    return fail("tensor is empty (no element type)");
  if (type.getElementType() != ElementType::Undefined &&
      type.getElementType() != tensor.getElementType())
    return fail("expected element type " +
                getElementTypeName(type.getElementType()) + ", got " +
                getElementTypeName(tensor.getElementType()));
  if (!type.hasRank())
    return llvm::Error::success();
  llvm::ArrayRef<int64_t> shape = tensor.getShape();
  if (type.getRank() != tensor.getRank())
    return fail("expected shape " + type.str() + ", got rank " +
                llvm::Twine(tensor.getRank()) + " " + formatShape(shape));
  for (int64_t d = 0; d < tensor.getRank(); ++d) {
    const Dim &dim = type.getDims()[d];
    if (dim.isKnown() && dim.size != shape[d])
      return fail("expected shape " + type.str() + ", got " +
                  formatShape(shape) + " (dimension " + llvm::Twine(d) + ")");
    if (!dim.isKnown() && !dim.symbol.empty()) {
      auto [it, inserted] = symbols.try_emplace(dim.symbol, shape[d]);
      if (!inserted && it->second != shape[d])
        return fail("dimension '" + dim.symbol + "' is " +
                    llvm::Twine(shape[d]) + " here but " +
                    llvm::Twine(it->second) + " in another input");
    }
  }
  return llvm::Error::success();
}

llvm::Error Interpreter::Impl::bindInputs(const TensorMap &inputs,
                                          std::vector<const Tensor *> &bound) {
  const Graph &graph = model.getGraph();
  llvm::StringMap<int64_t> symbols;
  for (const Value *v : graph.getInputs()) {
    auto it = inputs.find(v->getName().str());
    if (it == inputs.end())
      return makeError("missing input '" + v->getName() + "' of type " +
                       v->getType().str());
    if (llvm::Error err = checkInput(*v, it->second, symbols))
      return err;
    bound[slotOf.lookup(v)] = &it->second;
  }
  for (const Value *v : graph.getInitializers()) {
    // IR v3 lists overridable initializers among the inputs.
    auto it = inputs.find(v->getName().str());
    if (it != inputs.end() && v->isListedAsInput()) {
      if (llvm::Error err = checkInput(*v, it->second, symbols))
        return err;
      bound[slotOf.lookup(v)] = &it->second;
    } else {
      bound[slotOf.lookup(v)] = v->getConstant();
    }
  }
  for (const auto &kv : inputs) {
    const Value *v = graph.lookupValue(kv.first);
    if (!v ||
        !(v->isGraphInput() || (v->isInitializer() && v->isListedAsInput())))
      return makeError("'" + kv.first + "' is not an input of the graph");
  }
  return llvm::Error::success();
}

llvm::Expected<TensorMap> Interpreter::Impl::run(const TensorMap &inputs,
                                                 ExecutionObserver *observer) {
  // bound[slot] points at the live tensor: a caller input, an initializer
  // or owned[slot] once its producer ran; null once released.
  std::vector<const Tensor *> bound(slotValues.size(), nullptr);
  std::vector<Tensor> owned(slotValues.size());
  if (llvm::Error err = bindInputs(inputs, bound))
    return err;
  if (observer)
    for (const Value *v : model.getGraph().getInputs())
      observer->onValueComputed(*v, *bound[slotOf.lookup(v)]);

  llvm::SmallVector<const Tensor *, 8> in;
  llvm::SmallVector<Tensor, 4> out;
  for (NodePlan &plan : plans) {
    in.clear();
    for (unsigned slot : plan.inputSlots) {
      const Tensor *t = slot == kNoSlot ? nullptr : bound[slot];
      if (slot != kNoSlot && !t)
        return makeNodeError(*plan.node, "input '" +
                                             slotValues[slot]->getName() +
                                             "' is not computed before use");
      in.push_back(t);
    }
    out.assign(plan.outputSlots.size(), Tensor());
    KernelContext ctx{*plan.node, plan.opsetVersion, in, out, options.threads};
    if (llvm::Error err = plan.kernel->compute(ctx))
      return err;
    for (size_t i = 0; i < plan.outputSlots.size(); ++i) {
      unsigned slot = plan.outputSlots[i];
      if (slot == kNoSlot)
        continue;
      if (out[i].isNull())
        return makeNodeError(*plan.node,
                             "kernel produced no result " + llvm::Twine(i));
      owned[slot] = std::move(out[i]);
      bound[slot] = &owned[slot];
      if (observer)
        observer->onValueComputed(*slotValues[slot], owned[slot]);
    }
    for (unsigned slot : plan.releaseAfter) {
      owned[slot] = Tensor();
      bound[slot] = nullptr;
    }
  }

  TensorMap results;
  for (const Value *v : model.getGraph().getOutputs()) {
    const Tensor *t = bound[slotOf.lookup(v)];
    if (!t)
      return makeError("graph output '" + v->getName() + "' was not computed");
    results[v->getName().str()] = *t;
  }
  if (options.keepAllValues)
    for (unsigned slot = 0; slot < slotValues.size(); ++slot)
      if (bound[slot] && slotValues[slot]->isNodeResult())
        results.emplace(slotValues[slot]->getName().str(), *bound[slot]);
  return results;
}
