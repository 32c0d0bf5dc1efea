//===- Kernel.h - Interpreter kernels and their registry --------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// A kernel executes one node. Kernels are created once per node when the
// interpreter is prepared (so they can validate attributes early and cache
// library primitives or packed weights) and then run once per batch.
// The registry maps (domain, op type, opset version) to a kernel factory;
// later issues plug qlc's own ops (fake-quantisers, requant) in here.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_INTERP_KERNEL_H
#define QLC_INTERP_KERNEL_H

#include "qlc/IR/Graph.h"
#include "qlc/IR/Tensor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace qlc {

/// A result kept in a kernel library's own memory layout (oneDNN's blocked
/// formats) and handed to the next kernel without conversion. The
/// interpreter only passes it along; kernels that produce or accept one say
/// so (Kernel::mayProduceOpaqueOutput, Kernel::acceptsOpaqueInput).
class OpaqueTensor {
public:
  virtual ~OpaqueTensor();
  /// Which library's layout this is; kernels check it before looking in.
  virtual llvm::StringRef getFamily() const = 0;
  virtual llvm::ArrayRef<int64_t> getShape() const = 0;
  /// The same values as an ordinary tensor.
  virtual Tensor toTensor() const = 0;
  /// Returns reusable storage to `pool` when released.
  virtual void recycleInto(BufferPool &pool) {}
};

struct KernelContext {
  KernelContext(const Node &node, int64_t opsetVersion,
                llvm::ArrayRef<const Tensor *> inputs,
                llvm::MutableArrayRef<Tensor> outputs, unsigned threads = 1)
      : node(node), opsetVersion(opsetVersion), inputs(inputs),
        outputs(outputs), threads(threads) {}

  const Node &node;
  /// Opset version of the node's domain in the model.
  int64_t opsetVersion;
  /// One entry per node input; null for an omitted optional input.
  llvm::ArrayRef<const Tensor *> inputs;
  /// One entry per node result; the kernel assigns each.
  llvm::MutableArrayRef<Tensor> outputs;
  /// Threads the kernel may use (1 = run on the calling thread only).
  unsigned threads = 1;
  /// Set when the consumers this kernel accepted at prepare time
  /// (Kernel::acceptConsumer) are computed by it too: `outputs` then
  /// receives the last consumer's results.
  bool fused = false;
  /// With `fused`: the accepted consumers' inputs one after another (in
  /// acceptance order), null for the operand each takes from the node
  /// before it.
  llvm::ArrayRef<const Tensor *> consumerInputs;
  /// Per consumer input (or empty): its opaque form, consumerInputs[i]
  /// being null then. Only where acceptsOpaqueConsumerInput(i).
  llvm::ArrayRef<const OpaqueTensor *> consumerOpaqueInputs;
  /// Per input (or empty): the producer's opaque result, inputs[i] being
  /// null then. Only for inputs the kernel accepts opaque.
  llvm::ArrayRef<const OpaqueTensor *> opaqueInputs;
  /// Per output (or empty): true when every reader accepts an opaque form;
  /// the kernel may then set opaqueOutputs[i] and leave outputs[i] null.
  llvm::ArrayRef<bool> opaqueAllowed;
  llvm::MutableArrayRef<std::shared_ptr<OpaqueTensor>> opaqueOutputs;

  const Tensor *getInput(unsigned i) const {
    return i < inputs.size() ? inputs[i] : nullptr;
  }
  const OpaqueTensor *getOpaqueInput(unsigned i) const {
    return i < opaqueInputs.size() ? opaqueInputs[i] : nullptr;
  }
  const OpaqueTensor *getOpaqueConsumerInput(unsigned i) const {
    return i < consumerOpaqueInputs.size() ? consumerOpaqueInputs[i] : nullptr;
  }
  bool mayReturnOpaque(unsigned i) const {
    return i < opaqueAllowed.size() && opaqueAllowed[i];
  }
  /// An error naming the node: "'name' (Op): message".
  llvm::Error error(const llvm::Twine &message) const;
};

class Kernel {
public:
  virtual ~Kernel();
  virtual llvm::Error compute(KernelContext &ctx) = 0;

  /// Asked while preparing: `consumer` (at `opsetVersion`) is the only
  /// reader of this node's result 0, or of the last consumer accepted
  /// before, as its input `operand`; its other inputs are computed before
  /// this node runs. Accepting promises to compute the consumer as well
  /// whenever KernelContext::fused is set (for instance a convolution
  /// applying a following Add and Relu as it writes its output).
  virtual bool acceptConsumer(const Node &consumer, unsigned operand,
                              int64_t opsetVersion) {
    return false;
  }
  /// Whether compute takes input `i` as an OpaqueTensor.
  virtual bool acceptsOpaqueInput(unsigned i) const { return false; }
  /// Whether compute takes consumer input `i` (KernelContext::
  /// consumerInputs numbering) as an OpaqueTensor.
  virtual bool acceptsOpaqueConsumerInput(unsigned i) const { return false; }
  /// Whether compute may return output `i` as an OpaqueTensor.
  virtual bool mayProduceOpaqueOutput(unsigned i) const { return false; }
};

/// Validates the node and creates its kernel.
using KernelFactory = llvm::Expected<std::unique_ptr<Kernel>> (*)(
    const Node &node, int64_t opsetVersion);
/// A stateless kernel.
using KernelFn = llvm::Error (*)(KernelContext &ctx);

class KernelRegistry {
public:
  /// Registers `factory` for `opType` in `domain` ("" = ONNX) from opset
  /// `sinceVersion` on, until a registration with a higher version.
  void add(llvm::StringRef domain, llvm::StringRef opType, int sinceVersion,
           KernelFactory factory);
  void add(llvm::StringRef domain, llvm::StringRef opType, int sinceVersion,
           KernelFn fn);

  /// Creates the kernel for `node`, or fails naming the node when the op
  /// (at this opset version) is not supported.
  llvm::Expected<std::unique_ptr<Kernel>>
  createKernel(const Node &node, int64_t opsetVersion) const;
  bool isSupported(llvm::StringRef domain, llvm::StringRef opType,
                   int64_t opsetVersion) const;
  /// "Op" for ONNX ops, "domain.Op" otherwise, sorted.
  std::vector<std::string> listOps() const;

  /// Every built-in kernel.
  static const KernelRegistry &getDefault();

private:
  struct Entry {
    int sinceVersion;
    KernelFactory factory;
    KernelFn fn;
  };
  const Entry *lookup(llvm::StringRef domain, llvm::StringRef opType,
                      int64_t opsetVersion) const;
  std::map<std::string, std::vector<Entry>> entries; // key: domain + "::" + op
};

} // namespace qlc

#endif // QLC_INTERP_KERNEL_H
