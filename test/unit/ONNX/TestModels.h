//===- TestModels.h - Helpers for the lib/ONNX tests ------------*- C++ -*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Builders for ModelProtos with specific features, a temporary directory,
// and matchers for llvm::Error messages.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_TEST_ONNX_TESTMODELS_H
#define QLC_TEST_ONNX_TESTMODELS_H

#include "qlc/IR/Model.h"

#include "onnx/onnx_pb.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <ostream>
#include <string>

namespace qlc::test {

/// Parses ONNX text, failing the current test on error.
std::unique_ptr<Model> parseText(llvm::StringRef text);

/// A model with the given IR version, importing ONNX opset `opset`, whose
/// graph "g" is empty.
onnx::ModelProto makeModelProto(int64_t irVersion = 8, int64_t opset = 13);
/// Adds a graph input (or output) of float type with `dims`.
onnx::ValueInfoProto *addFloatInput(onnx::GraphProto &g, llvm::StringRef name,
                                    llvm::ArrayRef<int64_t> dims);
onnx::ValueInfoProto *addFloatOutput(onnx::GraphProto &g, llvm::StringRef name,
                                     llvm::ArrayRef<int64_t> dims);
/// Adds a node `op(inputs) -> outputs`.
onnx::NodeProto *addNode(onnx::GraphProto &g, llvm::StringRef op,
                         llvm::ArrayRef<std::string> inputs,
                         llvm::ArrayRef<std::string> outputs,
                         llvm::StringRef domain = "");
/// Adds a float initializer stored in float_data.
onnx::TensorProto *addFloatInitializer(onnx::GraphProto &g,
                                       llvm::StringRef name,
                                       llvm::ArrayRef<int64_t> dims,
                                       llvm::ArrayRef<float> values);

/// Serializes `proto` (deterministically).
std::string serialize(const onnx::ModelProto &proto);
/// Imports serialized `proto`, failing the current test on error.
std::unique_ptr<Model> importProto(const onnx::ModelProto &proto,
                                   llvm::StringRef baseDir = "");

/// The message of `err` ("" for success).
std::string errorMessage(llvm::Error err);
template <typename T> std::string errorMessage(llvm::Expected<T> &value) {
  return value ? std::string() : errorMessage(value.takeError());
}

/// A fresh directory, removed with its contents at destruction.
class TempDir {
public:
  TempDir();
  ~TempDir();
  const std::string &path() const { return dir; }
  /// `path()/name`.
  std::string file(llvm::StringRef name) const;
  /// Names of the entries, sorted.
  std::vector<std::string> list() const;

private:
  std::string dir;
};

/// Reads a whole file ("" if it cannot be read).
std::string readFile(llvm::StringRef path);
/// Writes a whole file, failing the current test on error.
void writeFile(llvm::StringRef path, llvm::StringRef contents);

} // namespace qlc::test

namespace qlc {
/// Readable gtest output for types ("float[1,?]").
inline void PrintTo(const TensorType &type, std::ostream *os) {
  *os << type.str() << (type.hasRank() ? "" : " (unranked)");
}
} // namespace qlc

#endif // QLC_TEST_ONNX_TESTMODELS_H
