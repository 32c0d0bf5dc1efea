//===- ExternalDataTest.cpp - Tensors stored in side files ----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "ModelCompare.h"
#include "TestModels.h"

#include "qlc/ONNX/Export.h"
#include "qlc/ONNX/Import.h"

#include "llvm/Support/FileSystem.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace qlc;
using namespace qlc::test;
using ::testing::HasSubstr;

namespace {

std::unique_ptr<Model> makeModel() {
  std::unique_ptr<Model> m = parseText(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[64] x) => (float[64] y) <float[1] w = {0.5}, float[2] s = {1, 2}>
    { y = Add (x, w) }
  )");
  if (!m)
    return nullptr;
  // 64 distinct floats, 256 bytes: above the threshold used below.
  Tensor w(ElementType::Float, {64});
  for (int64_t i = 0; i < 64; ++i)
    w.setFromDouble(i, i * 1.5);
  m->getGraph().lookupValue("w")->setConstant(w);
  return m;
}

/// A model whose tensor "w" is stored in `location` at `offset`.
onnx::ModelProto externalModel(const std::string &location,
                               const std::string &offset,
                               const std::string &length) {
  onnx::ModelProto p = makeModelProto();
  onnx::GraphProto &g = *p.mutable_graph();
  onnx::TensorProto *t = g.add_initializer();
  t->set_name("w");
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_dims(2);
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  auto entry = [&](const char *key, const std::string &value) {
    if (value.empty())
      return;
    onnx::StringStringEntryProto *e = t->add_external_data();
    e->set_key(key);
    e->set_value(value);
  };
  entry("location", location);
  entry("offset", offset);
  entry("length", length);
  addFloatOutput(g, "w", {2});
  return p;
}

std::string importExternal(const TempDir &dir, const onnx::ModelProto &p) {
  writeFile(dir.file("m.onnx"), serialize(p));
  llvm::Expected<std::unique_ptr<Model>> m =
      importModelFile(dir.file("m.onnx"));
  return errorMessage(m);
}

TEST(ONNXExternalData, WriteAndReadBack) {
  std::unique_ptr<Model> m = makeModel();
  ASSERT_TRUE(m);
  TempDir dir;
  ExportOptions options;
  options.externalData = true;
  options.externalDataThreshold = 128;
  ASSERT_FALSE(bool(exportModelFile(*m, dir.file("out.onnx"), options)));
  EXPECT_EQ(dir.list(),
            (std::vector<std::string>{"out.onnx", "out.onnx.data"}));
  // Only "w" (256 bytes) moved out; "s" (8 bytes) stays inline.
  EXPECT_EQ(readFile(dir.file("out.onnx.data")).size(), 256u);
  onnx::ModelProto p;
  ASSERT_TRUE(p.ParseFromString(readFile(dir.file("out.onnx"))));
  EXPECT_EQ(p.graph().initializer(0).data_location(),
            onnx::TensorProto::EXTERNAL);
  EXPECT_EQ(p.graph().initializer(0).external_data(0).value(), "out.onnx.data");
  EXPECT_FALSE(p.graph().initializer(1).has_data_location());

  llvm::Expected<std::unique_ptr<Model>> back =
      importModelFile(dir.file("out.onnx"));
  ASSERT_TRUE(bool(back)) << errorMessage(back.takeError());
  EXPECT_EQ(compareModels(*m, **back), "");

  // Exported again without external data: a single self-contained file.
  ASSERT_FALSE(bool(exportModelFile(**back, dir.file("inline.onnx"))));
  llvm::Expected<std::unique_ptr<Model>> inlined =
      importModelBinary(readFile(dir.file("inline.onnx")));
  ASSERT_TRUE(bool(inlined)) << errorMessage(inlined.takeError());
  EXPECT_EQ(compareModels(*m, **inlined), "");
}

TEST(ONNXExternalData, OffsetsAndLengths) {
  TempDir dir;
  float values[4] = {9, 1.5f, -2, 9};
  writeFile(dir.file("w.bin"),
            llvm::StringRef(reinterpret_cast<char *>(values), sizeof(values)));
  writeFile(dir.file("m.onnx"), serialize(externalModel("w.bin", "4", "8")));
  llvm::Expected<std::unique_ptr<Model>> m =
      importModelFile(dir.file("m.onnx"));
  ASSERT_TRUE(bool(m)) << errorMessage(m.takeError());
  const Tensor &w = *(*m)->getGraph().lookupValue("w")->getConstant();
  EXPECT_EQ(w.getData<float>()[0], 1.5f);
  EXPECT_EQ(w.getData<float>()[1], -2.f);
}

TEST(ONNXExternalData, ClearErrors) {
  TempDir dir;
  writeFile(dir.file("w.bin"), std::string(8, '\0'));
  EXPECT_THAT(importExternal(dir, externalModel("missing.bin", "", "")),
              HasSubstr("cannot open external data file"));
  EXPECT_THAT(importExternal(dir, externalModel("w.bin", "4", "")),
              HasSubstr("is outside"));
  EXPECT_THAT(importExternal(dir, externalModel("w.bin", "", "12")),
              HasSubstr("needs 8 bytes but its external data length is 12"));
  EXPECT_THAT(importExternal(dir, externalModel("w.bin", "x", "")),
              HasSubstr("invalid external data offset"));
  EXPECT_THAT(importExternal(dir, externalModel("../w.bin", "", "")),
              HasSubstr("escapes the model's directory"));
  EXPECT_THAT(importExternal(dir, externalModel("sub/../../w.bin", "", "")),
              HasSubstr("escapes the model's directory"));
  EXPECT_THAT(importExternal(dir, externalModel("/etc/passwd", "", "")),
              HasSubstr("must be relative"));
  EXPECT_THAT(importExternal(dir, externalModel("", "", "")),
              HasSubstr("has no location"));
  // A symbolic link pointing outside the directory is refused too.
  TempDir outside;
  writeFile(outside.file("secret.bin"), std::string(8, '\0'));
  ASSERT_FALSE(llvm::sys::fs::create_link(outside.file("secret.bin"),
                                          dir.file("link.bin")));
  EXPECT_THAT(importExternal(dir, externalModel("link.bin", "", "")),
              HasSubstr("resolves outside the model's directory"));
  // Without a file there is no directory to resolve against.
  llvm::Expected<std::unique_ptr<Model>> noDir =
      importModelBinary(serialize(externalModel("w.bin", "", "")));
  EXPECT_THAT(errorMessage(noDir), HasSubstr("directory is unknown"));
}

} // namespace
