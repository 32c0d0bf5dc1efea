//===- Interpreter.h - Reference interpreter --------------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Executes a Model on concrete inputs, node by node in topological order.
// Float ops compute in float (double where ONNX says so); integer dtypes are
// computed exactly. Each intermediate buffer is freed after its last use.
// Observers see every value as it is computed (calibration, dumps).
//
//===----------------------------------------------------------------------===//

#ifndef QLC_INTERP_INTERPRETER_H
#define QLC_INTERP_INTERPRETER_H

#include "qlc/IR/Model.h"
#include "qlc/Interp/Kernel.h"

#include "llvm/Support/Error.h"

#include <map>
#include <memory>
#include <string>

namespace qlc {

/// Name -> tensor, ordered for deterministic output.
using TensorMap = std::map<std::string, Tensor>;

struct InterpreterOptions {
  unsigned threads = 1;
  /// Keep every intermediate tensor (for --dump-all); otherwise buffers are
  /// released after their last use.
  bool keepAllValues = false;
  /// Reuse released intermediates' storage for later results (a
  /// BufferPool kept by the interpreter across runs) instead of freeing it.
  bool recycleBuffers = true;
  /// When no observer or keepAllValues needs every intermediate: let
  /// kernels compute the nodes that follow them (a convolution applies the
  /// next Add and Relu, LeakyRelu or Clip as it writes) and keep library
  /// layouts (oneDNN's blocked formats) between consecutive convolutions.
  bool fuseKernels = true;
};

class ExecutionObserver {
public:
  virtual ~ExecutionObserver();
  virtual void onValueComputed(const Value &value, const Tensor &tensor) {}
};

class Interpreter {
public:
  Interpreter(const Model &model, InterpreterOptions options = {},
              const KernelRegistry *registry = nullptr);
  ~Interpreter();

  /// Creates every kernel; fails naming the first unsupported node.
  llvm::Error prepare();
  /// Runs on `inputs` (every graph input that is not an initializer);
  /// returns the graph outputs, plus all values with keepAllValues.
  llvm::Expected<TensorMap> run(const TensorMap &inputs,
                                ExecutionObserver *observer = nullptr);

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace qlc

#endif // QLC_INTERP_INTERPRETER_H
