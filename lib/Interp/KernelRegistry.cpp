//===- KernelRegistry.cpp - Kernel lookup by domain, op and opset ---------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Each (domain, op) keeps its registrations sorted by `sinceVersion`; a node
// gets the newest registration not newer than the model's opset for its
// domain, mirroring how ONNX versions operators. A domain the model does not
// import (version -1, typical of graphs built in memory) gets the newest
// registration.
//
//===----------------------------------------------------------------------===//

#include "Kernels/Kernels.h"
#include "qlc/Interp/Kernel.h"

#include "qlc/Support/Error.h"

#include <algorithm>
#include <climits>

using namespace qlc;

Kernel::~Kernel() = default;
OpaqueTensor::~OpaqueTensor() = default;

llvm::Error KernelContext::error(const llvm::Twine &message) const {
  return makeNodeError(node, message);
}

namespace {
/// Adapts a stateless KernelFn to the Kernel interface.
class FunctionKernel final : public Kernel {
public:
  explicit FunctionKernel(KernelFn fn) : fn(fn) {}
  llvm::Error compute(KernelContext &ctx) override { return fn(ctx); }

private:
  KernelFn fn;
};

/// "" and "ai.onnx" are the same domain.
std::string makeKey(llvm::StringRef domain, llvm::StringRef opType) {
  if (domain == "ai.onnx")
    domain = "";
  return (domain + "::" + opType).str();
}
} // namespace

void KernelRegistry::add(llvm::StringRef domain, llvm::StringRef opType,
                         int sinceVersion, KernelFactory factory) {
  std::vector<Entry> &list = entries[makeKey(domain, opType)];
  auto pos = std::find_if(list.begin(), list.end(), [&](const Entry &e) {
    return e.sinceVersion >= sinceVersion;
  });
  if (pos != list.end() && pos->sinceVersion == sinceVersion) {
    *pos = Entry{sinceVersion, factory, nullptr}; // later registration wins
    return;
  }
  list.insert(pos, Entry{sinceVersion, factory, nullptr});
}

void KernelRegistry::add(llvm::StringRef domain, llvm::StringRef opType,
                         int sinceVersion, KernelFn fn) {
  add(domain, opType, sinceVersion, KernelFactory(nullptr));
  std::vector<Entry> &list = entries[makeKey(domain, opType)];
  for (Entry &e : list)
    if (e.sinceVersion == sinceVersion)
      e.fn = fn;
}

const KernelRegistry::Entry *
KernelRegistry::lookup(llvm::StringRef domain, llvm::StringRef opType,
                       int64_t opsetVersion) const {
  auto it = entries.find(makeKey(domain, opType));
  if (it == entries.end() || it->second.empty())
    return nullptr;
  if (opsetVersion < 0)
    opsetVersion = INT64_MAX;
  const Entry *best = nullptr;
  for (const Entry &e : it->second)
    if (e.sinceVersion <= opsetVersion)
      best = &e;
  return best;
}

llvm::Expected<std::unique_ptr<Kernel>>
KernelRegistry::createKernel(const Node &node, int64_t opsetVersion) const {
  const Entry *entry = lookup(node.getDomain(), node.getOpType(), opsetVersion);
  if (!entry) {
    std::string version = opsetVersion < 0
                              ? std::string("domain not imported")
                              : "opset " + std::to_string(opsetVersion);
    if (node.isOnnxDomain())
      return makeNodeError(node, "unsupported op (" + version + ")");
    return makeNodeError(node, "unsupported op in domain '" + node.getDomain() +
                                   "' (" + version + ")");
  }
  if (entry->fn)
    return std::unique_ptr<Kernel>(std::make_unique<FunctionKernel>(entry->fn));
  return entry->factory(node, opsetVersion);
}

bool KernelRegistry::isSupported(llvm::StringRef domain, llvm::StringRef opType,
                                 int64_t opsetVersion) const {
  return lookup(domain, opType, opsetVersion) != nullptr;
}

std::vector<std::string> KernelRegistry::listOps() const {
  std::vector<std::string> ops;
  for (const auto &kv : entries) {
    llvm::StringRef key = kv.first;
    auto [domain, op] = key.split("::");
    ops.push_back(domain.empty() ? op.str() : (domain + "." + op).str());
  }
  std::sort(ops.begin(), ops.end());
  ops.erase(std::unique(ops.begin(), ops.end()), ops.end());
  return ops;
}

const KernelRegistry &KernelRegistry::getDefault() {
  // Built on first use (thread-safe); explicit calls keep every family
  // linked in from the static library.
  static const KernelRegistry registry = [] {
    KernelRegistry r;
    registerElementwiseKernels(r);
    registerUnaryKernels(r);
    registerLogicalKernels(r);
    registerActivationKernels(r);
    registerSoftmaxKernels(r);
    registerShapeKernels(r);
    registerReductionKernels(r);
    registerTensorKernels(r);
    registerIndexKernels(r);
    registerCastKernels(r);
    registerResizeKernels(r);
    registerPadKernels(r);
    registerRearrangeKernels(r);
    registerScatterKernels(r);
    registerConvKernels(r);
    registerGemmKernels(r);
    registerPoolKernels(r);
    registerNormKernels(r);
    registerQuantKernels(r);
    registerQlcKernels(r);
    registerIntegerOpsKernels(r);
    return r;
  }();
  return registry;
}
