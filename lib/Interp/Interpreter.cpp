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
#include <optional>

using namespace qlc;

ExecutionObserver::~ExecutionObserver() = default;

namespace {
constexpr unsigned kNoSlot = std::numeric_limits<unsigned>::max();

struct NodePlan {
  const Node *node;
  int64_t opsetVersion;
  std::unique_ptr<Kernel> kernel;
  llvm::SmallVector<unsigned, 4> inputSlots;  // kNoSlot for omitted inputs
  llvm::SmallVector<unsigned, 2> outputSlots; // kNoSlot for absent results
};

/// One unit of execution: a node, plus the consumers its kernel computes
/// with it (Kernel::acceptConsumer) in the fused schedule.
struct Step {
  unsigned plan;
  llvm::SmallVector<unsigned, 2> consumers;
  /// The consumers' inputs one after another, kNoSlot for the operand each
  /// takes from the node before it.
  llvm::SmallVector<unsigned, 4> consumerInputSlots;
  /// Results of the step's last node.
  llvm::SmallVector<unsigned, 2> outputSlots;
  /// Per output: every reader takes it opaque (fused schedule only).
  llvm::SmallVector<bool, 2> opaqueAllowed;
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
  /// Every node on its own (when an observer or keepAllValues needs every
  /// value), and with kernel fusion and opaque results.
  std::vector<Step> plainSteps, fusedSteps;
  llvm::DenseMap<const Node *, unsigned> planOf;
  /// Storage of released intermediates, reused by later runs too.
  BufferPool pool;

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
  std::vector<Step> buildFusedSteps();
  void markOpaqueResults(std::vector<Step> &steps);
  void computeReleases(std::vector<Step> &steps);
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
  planOf.clear();
  slotValues.clear();
  slotOf.clear();
  prepared = false;
  const Graph &graph = model.getGraph();
  for (const Value *v : graph.getInputs())
    getSlot(v);
  for (const Value *v : graph.getInitializers())
    getSlot(v);

  for (const Node &node : graph.getNodes()) {
    NodePlan plan;
    plan.node = &node;
    plan.opsetVersion = model.getOpsetVersion(node.getDomain());
    auto kernel = registry.createKernel(node, plan.opsetVersion);
    if (!kernel)
      return kernel.takeError();
    plan.kernel = std::move(*kernel);
    for (const Value *in : node.getInputs())
      plan.inputSlots.push_back(in ? getSlot(in) : kNoSlot);
    for (const Value *in : node.getImplicitInputs())
      getSlot(in);
    for (const Value *out : node.getResults())
      plan.outputSlots.push_back(out ? getSlot(out) : kNoSlot);
    planOf[&node] = static_cast<unsigned>(plans.size());
    plans.push_back(std::move(plan));
  }
  for (const Value *v : graph.getOutputs())
    getSlot(v);

  plainSteps.clear();
  for (unsigned i = 0; i < plans.size(); ++i) {
    Step step;
    step.plan = i;
    step.outputSlots = plans[i].outputSlots;
    plainSteps.push_back(std::move(step));
  }
  computeReleases(plainSteps);
  fusedSteps = buildFusedSteps();
  markOpaqueResults(fusedSteps);
  computeReleases(fusedSteps);
  prepared = true;
  return llvm::Error::success();
}

/// The only consumer of `node`'s single result that a fused step may absorb,
/// or null. The step runs at its root's position, so the consumer's other
/// inputs must exist by then: fixed initializers, graph inputs, or results
/// of nodes before the root (`isBeforeRoot`).
static const Node *
getFusableConsumer(const Node &node, unsigned &operand,
                   llvm::function_ref<bool(const Node &)> isBeforeRoot) {
  if (node.getNumResults() != 1 || !node.getResult(0))
    return nullptr;
  const Value *v = node.getResult(0);
  if (v->isGraphOutput() || !v->hasOneUse() || v->getUses()[0].implicit)
    return nullptr;
  const Node *consumer = v->getUses()[0].user;
  operand = v->getUses()[0].index;
  if (consumer->getNumResults() != 1 || !consumer->getImplicitInputs().empty())
    return nullptr;
  for (unsigned i = 0; i < consumer->getNumInputs(); ++i) {
    const Value *in = consumer->getInput(i);
    if (i == operand || !in)
      continue;
    bool ready = in->isInitializer()  ? !in->isListedAsInput()
                 : in->isGraphInput() ? true
                                      : isBeforeRoot(*in->getDefiningNode());
    if (!ready)
      return nullptr;
  }
  return consumer;
}

std::vector<Step> Interpreter::Impl::buildFusedSteps() {
  std::vector<bool> absorbed(plans.size(), false);
  std::vector<Step> steps;
  for (unsigned i = 0; i < plans.size(); ++i) {
    if (absorbed[i])
      continue;
    Step step;
    step.plan = i;
    const Node *last = plans[i].node;
    unsigned operand = 0;
    auto isBeforeRoot = [&](const Node &n) { return planOf.lookup(&n) < i; };
    while (const Node *consumer =
               getFusableConsumer(*last, operand, isBeforeRoot)) {
      unsigned j = planOf.lookup(consumer);
      if (!plans[i].kernel->acceptConsumer(*consumer, operand,
                                           plans[j].opsetVersion))
        break;
      step.consumers.push_back(j);
      for (unsigned k = 0; k < plans[j].inputSlots.size(); ++k)
        step.consumerInputSlots.push_back(
            k == operand ? kNoSlot : plans[j].inputSlots[k]);
      absorbed[j] = true;
      last = consumer;
    }
    unsigned lastPlan = step.consumers.empty() ? i : step.consumers.back();
    step.outputSlots = plans[lastPlan].outputSlots;
    steps.push_back(std::move(step));
  }
  return steps;
}

void Interpreter::Impl::markOpaqueResults(std::vector<Step> &steps) {
  // A result may stay opaque when it has readers and every one of them (a
  // step's node input or absorbed consumer input) takes it opaque.
  std::vector<unsigned> reads(slotValues.size(), 0);
  std::vector<bool> needsTensor(slotValues.size(), false);
  for (const Step &step : steps) {
    const NodePlan &plan = plans[step.plan];
    for (unsigned i = 0; i < plan.inputSlots.size(); ++i)
      if (unsigned slot = plan.inputSlots[i]; slot != kNoSlot) {
        ++reads[slot];
        needsTensor[slot] =
            needsTensor[slot] || !plan.kernel->acceptsOpaqueInput(i);
      }
    for (unsigned i = 0; i < step.consumerInputSlots.size(); ++i)
      if (unsigned slot = step.consumerInputSlots[i]; slot != kNoSlot) {
        ++reads[slot];
        needsTensor[slot] =
            needsTensor[slot] || !plan.kernel->acceptsOpaqueConsumerInput(i);
      }
    for (const Value *in : plan.node->getImplicitInputs())
      needsTensor[slotOf.lookup(in)] = true;
  }
  for (Step &step : steps) {
    const Kernel &producer = *plans[step.plan].kernel;
    for (unsigned r = 0; r < step.outputSlots.size(); ++r) {
      unsigned slot = step.outputSlots[r];
      step.opaqueAllowed.push_back(slot != kNoSlot &&
                                   producer.mayProduceOpaqueOutput(r) &&
                                   !slotValues[slot]->isGraphOutput() &&
                                   reads[slot] > 0 && !needsTensor[slot]);
    }
  }
}

void Interpreter::Impl::computeReleases(std::vector<Step> &steps) {
  // lastUse[slot] = index of the last step reading (or, for results nobody
  // reads, writing) it.
  std::vector<size_t> lastUse(slotValues.size(), SIZE_MAX);
  for (size_t s = 0; s < steps.size(); ++s) {
    Step &step = steps[s];
    step.releaseAfter.clear();
    auto noteNode = [&](const NodePlan &plan) {
      for (unsigned slot : plan.inputSlots)
        if (slot != kNoSlot)
          lastUse[slot] = s;
      for (const Value *in : plan.node->getImplicitInputs())
        lastUse[slotOf.lookup(in)] = s;
    };
    noteNode(plans[step.plan]);
    for (unsigned c : step.consumers)
      noteNode(plans[c]);
    for (unsigned slot : step.outputSlots)
      if (slot != kNoSlot)
        lastUse[slot] = s; // an unread result dies right after its producer
  }
  if (options.keepAllValues)
    return;
  for (unsigned slot = 0; slot < slotValues.size(); ++slot) {
    const Value *v = slotValues[slot];
    if (lastUse[slot] != SIZE_MAX && v->isNodeResult() && !v->isGraphOutput())
      steps[lastUse[slot]].releaseAfter.push_back(slot);
  }
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
  std::optional<BufferPool::Scope> poolScope;
  if (options.recycleBuffers)
    poolScope.emplace(pool);
  std::vector<const Tensor *> bound(slotValues.size(), nullptr);
  std::vector<Tensor> owned(slotValues.size());
  if (llvm::Error err = bindInputs(inputs, bound))
    return err;
  if (observer)
    for (const Value *v : model.getGraph().getInputs())
      observer->onValueComputed(*v, *bound[slotOf.lookup(v)]);

  // The fused schedule skips intermediates, so only without observers.
  bool fuse = options.fuseKernels && !observer && !options.keepAllValues;
  std::vector<std::shared_ptr<OpaqueTensor>> opaque(slotValues.size());
  llvm::SmallVector<const Tensor *, 8> in;
  llvm::SmallVector<const OpaqueTensor *, 8> opaqueIn;
  llvm::SmallVector<const Tensor *, 4> consumerIn;
  llvm::SmallVector<const OpaqueTensor *, 4> consumerOpaqueIn;
  llvm::SmallVector<Tensor, 4> out;
  llvm::SmallVector<std::shared_ptr<OpaqueTensor>, 4> opaqueOut;
  // Each slot's tensor or opaque form; anyOpaque tells if one is opaque.
  auto gather = [&](const Node &node, llvm::ArrayRef<unsigned> slots,
                    llvm::SmallVectorImpl<const Tensor *> &tensors,
                    llvm::SmallVectorImpl<const OpaqueTensor *> &opaques,
                    bool &anyOpaque) -> llvm::Error {
    tensors.clear();
    opaques.clear();
    anyOpaque = false;
    for (unsigned slot : slots) {
      const Tensor *t = slot == kNoSlot ? nullptr : bound[slot];
      const OpaqueTensor *o = slot == kNoSlot ? nullptr : opaque[slot].get();
      if (slot != kNoSlot && !t && !o)
        return makeNodeError(node, "input '" + slotValues[slot]->getName() +
                                       "' is not computed before use");
      tensors.push_back(t);
      opaques.push_back(o);
      anyOpaque |= o != nullptr;
    }
    return llvm::Error::success();
  };
  for (const Step &step : fuse ? fusedSteps : plainSteps) {
    NodePlan &plan = plans[step.plan];
    bool anyOpaque = false, anyConsumerOpaque = false;
    if (llvm::Error err =
            gather(*plan.node, plan.inputSlots, in, opaqueIn, anyOpaque))
      return err;
    if (llvm::Error err =
            gather(*plan.node, step.consumerInputSlots, consumerIn,
                   consumerOpaqueIn, anyConsumerOpaque))
      return err;
    out.assign(step.outputSlots.size(), Tensor());
    opaqueOut.assign(step.outputSlots.size(), nullptr);
    KernelContext ctx{*plan.node, plan.opsetVersion, in, out, options.threads};
    ctx.fused = !step.consumers.empty();
    ctx.consumerInputs = consumerIn;
    if (anyConsumerOpaque)
      ctx.consumerOpaqueInputs = consumerOpaqueIn;
    if (anyOpaque)
      ctx.opaqueInputs = opaqueIn;
    ctx.opaqueAllowed = step.opaqueAllowed;
    ctx.opaqueOutputs = opaqueOut;
    if (llvm::Error err = plan.kernel->compute(ctx))
      return err;
    const Node &producer = step.consumers.empty()
                               ? *plan.node
                               : *plans[step.consumers.back()].node;
    for (size_t i = 0; i < step.outputSlots.size(); ++i) {
      unsigned slot = step.outputSlots[i];
      if (slot == kNoSlot)
        continue;
      if (opaqueOut[i] && ctx.mayReturnOpaque(i)) {
        opaque[slot] = std::move(opaqueOut[i]);
        continue;
      }
      if (out[i].isNull())
        return makeNodeError(producer,
                             "kernel produced no result " + llvm::Twine(i));
      owned[slot] = std::move(out[i]);
      bound[slot] = &owned[slot];
      if (observer)
        observer->onValueComputed(*slotValues[slot], owned[slot]);
    }
    for (unsigned slot : step.releaseAfter) {
      if (options.recycleBuffers) {
        owned[slot].recycleInto(pool);
        if (opaque[slot] && opaque[slot].use_count() == 1)
          opaque[slot]->recycleInto(pool);
      } else {
        owned[slot] = Tensor();
      }
      opaque[slot].reset();
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
