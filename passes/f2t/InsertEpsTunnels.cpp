//===- InsertEpsTunnels.cpp - An epsilon tunnel on every quantised edge ---===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// QuantLib's EpsTunnelInserter: every edge that carries a value with a
// quantum (EpsAnalysis) gets its own qlc.EpsTunnel(eps, eps), an identity
// until an integeriser sets the side it integerises to 1. Each consumer
// owns its tunnel, so rewriting one consumer never disturbs another.
// Graph outputs with a quantum get a tunnel too; the output keeps its name.
// Fake-quantised weights are not tunnelled: the linear integeriser reads
// them directly. A graph that already has tunnels is left alone.
//
//===----------------------------------------------------------------------===//

#include "f2t/EpsAnalysis.h"
#include "f2t/InputOptions.h"
#include "f2t/Passes.h"

#include "canonicalize/Passes.h"

#include "qlc/Support/Error.h"

using namespace qlc;
using namespace qlc::f2t;

namespace {

bool isWeight(const Value &v) {
  const Node *p = v.getDefiningNode();
  return p && isFakeQuant(*p) && p->getInput(0) &&
         p->getInput(0)->isInitializer();
}

class InsertEpsTunnelsPass : public PassBase<InsertEpsTunnelsPass> {
public:
  static constexpr llvm::StringLiteral argument = "insert-eps-tunnels";
  static constexpr llvm::StringLiteral summary =
      "Put an epsilon tunnel on every edge that carries a quantised value";
  static constexpr llvm::StringLiteral description =
      "Runs the eps analysis (see annotate-eps) and inserts qlc.EpsTunnel("
      "x, eps, eps) on every consumer edge and graph output of a value with "
      "a quantum. Integerisers then rewrite the ops between tunnels.";

  InputOptions input{*this};
  PassStatistic tunnels{*this, "tunnels", "tunnels inserted"};

  llvm::Expected<bool> run(Model &model) override {
    Graph &graph = model.getGraph();
    if (llvm::any_of(graph.getNodes(),
                     [](const Node &n) { return isEpsTunnel(n); }))
      return false;
    llvm::Expected<bool> shaped =
        canonicalize::createInferShapesPass()->run(model);
    if (!shaped)
      return shaped.takeError();
    llvm::Expected<EpsAnalysis> a = EpsAnalysis::run(model, input.get());
    if (!a)
      return makeError("insert-eps-tunnels: " + llvm::toString(a.takeError()));
    llvm::SmallVector<std::pair<Value *, Quantum>, 32> todo;
    for (const Value &v : graph.getValues())
      if (const Quantum *q = a->lookup(&v))
        if (!v.isInitializer() && !isWeight(v))
          todo.emplace_back(const_cast<Value *>(&v), *q);
    for (auto &[v, q] : todo)
      if (v->isGraphInput())
        setInputQuantisation(model, v->getName(), q);
    for (auto &[v, q] : todo)
      if (llvm::Error err = tunnelValue(graph, *v, q))
        return err;
    if (!todo.empty())
      addQlcOpsetImport(model);
    return tunnels.getValue() > 0;
  }

private:
  llvm::Error tunnelValue(Graph &graph, Value &v, const Quantum &q) {
    if (!q.isPerTensor() && rankOf(&v) < 0)
      return makeError("insert-eps-tunnels: the rank of '" + v.getName() +
                       "' is unknown (run infer-shapes first)");
    std::string base = ("tunnel_" + v.getName()).str();
    llvm::SmallVector<Use, 4> uses(v.getUses().begin(), v.getUses().end());
    for (const Use &use : uses) {
      if (use.implicit)
        continue;
      Node *t = createTunnel(graph, &v, q.eps, q.eps, q.axis, elementTypeOf(&v),
                             base, use.user);
      use.user->setInput(use.index, t->getResult(0));
      ++tunnels;
    }
    for (unsigned i = 0; i < graph.getOutputs().size(); ++i) {
      if (graph.getOutputs()[i] != &v)
        continue;
      Node *t = createTunnel(graph, &v, q.eps, q.eps, q.axis, elementTypeOf(&v),
                             base, nullptr);
      std::string name = v.getName().str();
      graph.renameValue(&v, graph.makeUniqueName(name + "_fake"));
      graph.renameValue(t->getResult(0), name);
      graph.setOutput(i, t->getResult(0));
      ++tunnels;
    }
    return llvm::Error::success();
  }
};

} // namespace

std::unique_ptr<Pass> qlc::f2t::createInsertEpsTunnelsPass() {
  return std::make_unique<InsertEpsTunnelsPass>();
}
