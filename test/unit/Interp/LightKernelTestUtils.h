//===- LightKernelTestUtils.h - Running single light kernels ----*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Builds a one-node model through the IR API and runs it with a registry
// holding only the light kernel families, so these tests do not depend on
// the heavy kernels. Inputs are graph inputs (or omitted when null);
// attributes are given as NamedAttributes.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_TEST_UNIT_INTERP_LIGHTKERNELTESTUTILS_H
#define QLC_TEST_UNIT_INTERP_LIGHTKERNELTESTUTILS_H

#include "qlc/IR/Model.h"
#include "qlc/Interp/Interpreter.h"

#include "gtest/gtest.h"

#include <string>
#include <vector>

namespace qlc {
namespace test {

/// The light kernel families only.
const KernelRegistry &getLightRegistry();

struct NodeRun {
  NodeRun(std::string op, std::vector<Tensor> inputs,
          std::vector<NamedAttribute> attrs = {}, int64_t opset = 17,
          unsigned numOutputs = 1, unsigned threads = 1)
      : op(std::move(op)), inputs(std::move(inputs)), attrs(std::move(attrs)),
        opset(opset), numOutputs(numOutputs), threads(threads) {}

  std::string op;
  std::vector<Tensor> inputs; // null tensors are omitted optional inputs
  std::vector<NamedAttribute> attrs;
  int64_t opset = 17;
  unsigned numOutputs = 1;
  unsigned threads = 1;
};

/// Runs the node with `registry` (the light families when null); the
/// outputs in order, or the interpreter's error.
llvm::Expected<std::vector<Tensor>>
runNode(const NodeRun &run, const KernelRegistry *registry = nullptr);

/// Runs the node and expects success; returns output 0 (or a null tensor
/// after a test failure).
Tensor runOk(const NodeRun &run, const KernelRegistry *registry = nullptr);
/// Runs the node and expects failure; returns the error message.
std::string runError(const NodeRun &run,
                     const KernelRegistry *registry = nullptr);

inline NamedAttribute attrInt(const std::string &name, int64_t v) {
  return {name, Attribute::getInt(v)};
}
inline NamedAttribute attrFloat(const std::string &name, float v) {
  return {name, Attribute::getFloat(v)};
}
inline NamedAttribute attrInts(const std::string &name,
                               std::vector<int64_t> v) {
  return {name, Attribute::getInts(v)};
}
inline NamedAttribute attrString(const std::string &name,
                                 const std::string &v) {
  return {name, Attribute::getString(v)};
}

template <typename T>
Tensor make(std::vector<int64_t> shape, std::vector<T> values) {
  Tensor t(ElementTypeOf<T>::value, shape);
  EXPECT_EQ(t.getNumElements(), static_cast<int64_t>(values.size()));
  llvm::MutableArrayRef<T> data = t.getMutableData<T>();
  for (size_t i = 0; i < values.size() && i < data.size(); ++i)
    data[i] = values[i]; // also for std::vector<bool>
  return t;
}
inline Tensor f32(std::vector<int64_t> shape, std::vector<float> values) {
  return make<float>(shape, values);
}
inline Tensor i64(std::vector<int64_t> shape, std::vector<int64_t> values) {
  return make<int64_t>(shape, values);
}
inline Tensor i32(std::vector<int64_t> shape, std::vector<int32_t> values) {
  return make<int32_t>(shape, values);
}

/// Expects `t` to have `shape` and exactly `values`.
template <typename T>
void expectTensor(const Tensor &t, std::vector<int64_t> shape,
                  std::vector<T> values) {
  ASSERT_EQ(t.getElementType(), ElementTypeOf<T>::value)
      << "element type " << getElementTypeName(t.getElementType()).str();
  ASSERT_EQ(std::vector<int64_t>(t.getShape().begin(), t.getShape().end()),
            shape);
  llvm::ArrayRef<T> data = t.getData<T>();
  ASSERT_EQ(data.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(data[i], T(values[i])) << "at flat index " << i;
}

/// Expects float values within `tol` (absolute).
void expectNear(const Tensor &t, std::vector<int64_t> shape,
                std::vector<float> values, float tol = 1e-5f);

} // namespace test
} // namespace qlc

#endif // QLC_TEST_UNIT_INTERP_LIGHTKERNELTESTUTILS_H
