//===- ExportTest.cpp - Deterministic, checked, atomic export -------------===//
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

#include <csignal>
#include <sys/resource.h>
#include <unistd.h>

using namespace qlc;
using namespace qlc::test;
using ::testing::HasSubstr;

namespace {

const char *kConvModel = R"(
  <ir_version: 8, opset_import: ["" : 13], producer_name: "unit">
  g (float[1,2,4,4] x) => (float[1,3,4,4] y)
    <float[3,2,1,1] w = {1, 2, 3, 4, 5, 6}, float[3] b = {0.5, 0, -0.5},
     float[1,3,4,4] c>
  {
    c = Conv <kernel_shape = [1, 1], pads = [0, 0, 0, 0]> (x, w, b)
    y = Relu (c)
  }
)";

/// A model big enough that its serialization spans many buffers.
std::unique_ptr<Model> makeLargeModel() {
  std::unique_ptr<Model> m = parseText(kConvModel);
  Tensor big(ElementType::Float, {300, 1000});
  for (int64_t i = 0; i < big.getNumElements(); ++i)
    big.setFromDouble(i, static_cast<double>(i % 977) * 0.25);
  Graph &g = m->getGraph();
  Value *w = g.addInitializer("big", big);
  Node *n = g.createNode("Identity", {w}, "big_copy");
  n->getResult(0)->setType(
      TensorType(ElementType::Float, llvm::ArrayRef<int64_t>({300, 1000})));
  g.addOutput(n->getResult(0));
  return m;
}

TEST(ONNXExport, DeterministicBytes) {
  std::unique_ptr<Model> m = makeLargeModel();
  ASSERT_TRUE(m);
  llvm::Expected<std::string> a = exportModelBinary(*m);
  llvm::Expected<std::string> b = exportModelBinary(*m);
  ASSERT_TRUE(bool(a)) << errorMessage(a.takeError());
  ASSERT_TRUE(bool(b));
  EXPECT_EQ(*a, *b);
  std::unique_ptr<Model> clone = m->clone();
  llvm::Expected<std::string> c = exportModelBinary(*clone);
  ASSERT_TRUE(bool(c));
  EXPECT_EQ(*a, *c);

  TempDir dir;
  ASSERT_FALSE(bool(exportModelFile(*m, dir.file("1.onnx"))));
  ASSERT_FALSE(bool(exportModelFile(*m, dir.file("2.onnx"))));
  EXPECT_EQ(readFile(dir.file("1.onnx")), *a);
  EXPECT_EQ(readFile(dir.file("2.onnx")), *a);
}

/// The spliced writer produces exactly protobuf's own serialization.
TEST(ONNXExport, SplicedBytesEqualProtobufSerialization) {
  std::unique_ptr<Model> m = makeLargeModel();
  ASSERT_TRUE(m);
  m->getGraph().lookupValue("w")->docString = "weights";
  m->metadata.emplace_back("k", "v");
  llvm::Expected<std::string> bytes = exportModelBinary(*m);
  ASSERT_TRUE(bool(bytes)) << errorMessage(bytes.takeError());
  onnx::ModelProto parsed;
  ASSERT_TRUE(parsed.ParseFromString(*bytes));
  EXPECT_EQ(serialize(parsed), *bytes);
  EXPECT_EQ(parsed.graph().initializer(0).doc_string(), "weights");
  EXPECT_EQ(parsed.graph().initializer(2).raw_data().size(), 1200000u);
  llvm::Expected<std::unique_ptr<Model>> again = importModelBinary(*bytes);
  ASSERT_TRUE(bool(again));
  EXPECT_EQ(compareModels(*m, **again), "");
}

TEST(ONNXExport, OrderAndValueInfo) {
  std::unique_ptr<Model> m = parseText(kConvModel);
  ASSERT_TRUE(m);
  m->opsets.push_back(OpsetImport{"com.acme", 2});
  llvm::Expected<std::string> bytes = exportModelBinary(*m);
  ASSERT_TRUE(bool(bytes)) << errorMessage(bytes.takeError());
  onnx::ModelProto p;
  ASSERT_TRUE(p.ParseFromString(*bytes));
  ASSERT_EQ(p.opset_import_size(), 2);
  EXPECT_EQ(p.opset_import(1).domain(), "com.acme");
  EXPECT_EQ(p.graph().initializer(0).name(), "w");
  EXPECT_EQ(p.graph().initializer(1).name(), "b");
  ASSERT_EQ(p.graph().value_info_size(), 1);
  EXPECT_EQ(p.graph().value_info(0).name(), "c");
  EXPECT_EQ(p.producer_name(), "unit");
}

TEST(ONNXExport, CheckerErrorsAreClear) {
  std::unique_ptr<Model> m =
      parseText("<ir_version: 8, opset_import: [\"\" : 13]>"
                "g (float[2] x) => (float[2] y) { y = NoSuchOnnxOp (x) }");
  ASSERT_TRUE(m);
  llvm::Error err = checkModel(*m);
  EXPECT_THAT(errorMessage(std::move(err)),
              HasSubstr("onnx checker: No Op registered for NoSuchOnnxOp"));
  llvm::Expected<std::string> checked = exportModelBinary(*m, true);
  EXPECT_FALSE(bool(checked));
  llvm::consumeError(checked.takeError());
  llvm::Expected<std::string> unchecked = exportModelBinary(*m, false);
  EXPECT_TRUE(bool(unchecked));

  // Strict shape inference (full check) catches type errors.
  std::unique_ptr<Model> bad = parseText(
      "<ir_version: 8, opset_import: [\"\" : 13]>"
      "g (float[2] x, int64[2] z) => (float[2] y) { y = Add (x, z) }");
  ASSERT_TRUE(bad);
  EXPECT_THAT(errorMessage(checkModel(*bad)), HasSubstr("shape inference"));
}

TEST(ONNXExport, TextFileExportReadsBack) {
  std::unique_ptr<Model> m = parseText(kConvModel);
  ASSERT_TRUE(m);
  TempDir dir;
  ExportOptions options;
  options.format = ModelFormat::Text;
  ASSERT_FALSE(bool(exportModelFile(*m, dir.file("m.onnxtxt"), options)));
  EXPECT_THAT(readFile(dir.file("m.onnxtxt")),
              HasSubstr("c = Conv <kernel_shape = [1, 1], pads = [0, 0, 0, "
                        "0]> (x, w, b)"));
  llvm::Expected<std::unique_ptr<Model>> back =
      importModelFile(dir.file("m.onnxtxt"));
  ASSERT_TRUE(bool(back)) << errorMessage(back.takeError());
  EXPECT_EQ(compareModels(*m, **back), "");
}

TEST(ONNXExport, WriteFileAtomicallyReplacesContents) {
  TempDir dir;
  std::string path = dir.file("f.txt");
  ASSERT_FALSE(bool(writeFileAtomically(path, "first")));
  ASSERT_FALSE(bool(writeFileAtomically(path, "second")));
  EXPECT_EQ(readFile(path), "second");
  EXPECT_EQ(dir.list(), std::vector<std::string>{"f.txt"});
}

TEST(ONNXExportAtomic, MissingDirectoryFails) {
  std::unique_ptr<Model> m = parseText(kConvModel);
  ASSERT_TRUE(m);
  TempDir dir;
  llvm::Error err = exportModelFile(*m, dir.file("no/such/dir/m.onnx"));
  EXPECT_THAT(errorMessage(std::move(err)),
              HasSubstr("cannot create a temporary file"));
  EXPECT_TRUE(dir.list().empty());
}

/// Renaming onto a directory fails after the temporary file is complete:
/// the temporary file is removed and the directory is untouched.
TEST(ONNXExportAtomic, FailedRenameLeavesNoTemporary) {
  std::unique_ptr<Model> m = parseText(kConvModel);
  ASSERT_TRUE(m);
  TempDir dir;
  ASSERT_FALSE(llvm::sys::fs::create_directory(dir.file("out.onnx")));
  writeFile(dir.file("out.onnx/keep"), "precious");
  llvm::Error err = exportModelFile(*m, dir.file("out.onnx"));
  EXPECT_THAT(errorMessage(std::move(err)), HasSubstr("cannot write"));
  EXPECT_EQ(dir.list(), std::vector<std::string>{"out.onnx"});
  EXPECT_EQ(readFile(dir.file("out.onnx/keep")), "precious");
}

/// A write that fails half-way (file size limit) keeps the old file.
TEST(ONNXExportAtomic, FailedWriteKeepsExistingFile) {
  std::unique_ptr<Model> m = makeLargeModel();
  ASSERT_TRUE(m);
  TempDir dir;
  std::string path = dir.file("out.onnx");
  writeFile(path, "old contents");
  struct rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  struct rlimit small = saved;
  small.rlim_cur = 64 * 1024;
  auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  llvm::Error err = exportModelFile(*m, path);
  setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, oldHandler);
  EXPECT_THAT(errorMessage(std::move(err)), HasSubstr("cannot write"));
  EXPECT_EQ(readFile(path), "old contents");
  EXPECT_EQ(dir.list(), std::vector<std::string>{"out.onnx"});
}

TEST(ONNXExportAtomic, CheckerFailureKeepsExistingFile) {
  std::unique_ptr<Model> m =
      parseText("<ir_version: 8, opset_import: [\"\" : 13]>"
                "g (float[2] x) => (float[2] y) { y = NoSuchOnnxOp (x) }");
  ASSERT_TRUE(m);
  TempDir dir;
  writeFile(dir.file("out.onnx"), "old");
  EXPECT_THAT(errorMessage(exportModelFile(*m, dir.file("out.onnx"))),
              HasSubstr("onnx checker"));
  EXPECT_EQ(readFile(dir.file("out.onnx")), "old");
  EXPECT_EQ(dir.list(), std::vector<std::string>{"out.onnx"});
}

TEST(ONNXExportAtomic, UnwritableDirectoryKeepsExistingFile) {
  if (geteuid() == 0)
    GTEST_SKIP() << "root ignores directory permissions; covered by the "
                    "rename and write-failure tests";
  std::unique_ptr<Model> m = parseText(kConvModel);
  ASSERT_TRUE(m);
  TempDir dir;
  writeFile(dir.file("out.onnx"), "old");
  ASSERT_FALSE(llvm::sys::fs::setPermissions(
      dir.path(), llvm::sys::fs::owner_read | llvm::sys::fs::owner_exe));
  llvm::Error err = exportModelFile(*m, dir.file("out.onnx"));
  llvm::sys::fs::setPermissions(dir.path(), llvm::sys::fs::all_all);
  EXPECT_THAT(errorMessage(std::move(err)), HasSubstr("Permission denied"));
  EXPECT_EQ(readFile(dir.file("out.onnx")), "old");
  EXPECT_EQ(dir.list(), std::vector<std::string>{"out.onnx"});
}

} // namespace
