//===- TextPrinter.cpp - ONNX 1.12 textual syntax: structure --------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Prints models, graphs, nodes, attributes and functions in the grammar of
// ONNX 1.12's OnnxParser (onnx/defs/parser.cc):
//
//   <ir_version: 8, opset_import: ["" : 13], producer_name: "p", ...>
//   name (float[1,3,N,?] x, float[3] w = {...}) => (float[1,10] y)
//     <float[2] t, int64[1] shape = {5}>
//   {
//     t = Relu (x)
//     y = qlc.FakeQuant <bits = 8> (t, , w)
//   }
//   <domain: "d", opset_import: [...]> fn <attr> (a) => (b) { ... }
//
// Initializers listed as graph inputs (IR version < 4) are printed in the
// input list with their value, the others in the value-info list. Node
// names have no syntax in 1.12: they are printed as trailing comments.
// Attribute kinds the parser does not read (tensors, graphs, sparse tensors,
// type protos, empty lists) are printed as comments before the node.
//
//===----------------------------------------------------------------------===//

#include "TextPrinter.h"

#include "ProtoConversion.h"

#include "qlc/IR/Attribute.h"
#include "qlc/IR/ElementType.h"

#include "llvm/ADT/StringMap.h"

using namespace qlc;
using namespace qlc::onnxio;
using AP = onnx::AttributeProto;

void TextPrinter::printOpsets(
    const google::protobuf::RepeatedPtrField<onnx::OperatorSetIdProto>
        &opsets) {
  os << '[';
  for (int i = 0; i < opsets.size(); ++i) {
    os << (i ? ", " : "");
    printString(opsets.Get(i).domain());
    os << " : " << opsets.Get(i).version();
  }
  os << ']';
}

void TextPrinter::printHeader(const onnx::ModelProto &m) {
  os << "<\n  ir_version: " << m.ir_version();
  if (m.opset_import_size()) {
    os << ",\n  opset_import: ";
    printOpsets(m.opset_import());
  }
  auto printKey = [&](const char *key, const std::string &value) {
    if (value.empty())
      return;
    os << ",\n  " << key << ": ";
    printString(value);
  };
  printKey("producer_name", m.producer_name());
  printKey("producer_version", m.producer_version());
  printKey("domain", m.domain());
  if (m.model_version() != 0)
    os << ",\n  model_version: " << m.model_version();
  printKey("doc_string", m.doc_string());
  if (m.metadata_props_size()) {
    os << ",\n  metadata_props: [";
    for (int i = 0; i < m.metadata_props_size(); ++i) {
      os << (i ? ", " : "");
      printString(m.metadata_props(i).key());
      os << " : ";
      printString(m.metadata_props(i).value());
    }
    os << ']';
  }
  os << "\n>\n";
}

void TextPrinter::printSignature(const onnx::GraphProto &g, unsigned indent) {
  llvm::StringMap<const onnx::TensorProto *> inits;
  for (const onnx::TensorProto &t : g.initializer())
    inits[t.name()] = &t;
  // The parser appends initializers given in the input list first.
  int nextInit = 0;
  bool multiline = g.input_size() > 3;
  os << '(';
  for (int i = 0; i < g.input_size(); ++i) {
    const onnx::ValueInfoProto &in = g.input(i);
    os << (i ? "," : "");
    if (multiline) {
      os << '\n';
      indentTo(indent + 4);
    } else if (i) {
      os << ' ';
    }
    auto it = inits.find(in.name());
    if (it == inits.end()) {
      printValueInfo(in);
      continue;
    }
    const onnx::TensorProto &t = *it->second;
    if (nextInit >= g.initializer_size() || &g.initializer(nextInit) != &t)
      noteLimit("initializer order (those listed as inputs come first)");
    ++nextInit;
    printTensorType(t);
    os << ' ';
    printName(t.name());
    os << " = ";
    printTensorData(t, indent + 4);
  }
  if (multiline) {
    os << '\n';
    indentTo(indent + 2);
  }
  os << ") => (";
  for (int i = 0; i < g.output_size(); ++i) {
    os << (i ? ", " : "");
    printValueInfo(g.output(i));
  }
  os << ')';
}

void TextPrinter::printValueInfos(const onnx::GraphProto &g, unsigned indent) {
  llvm::StringMap<bool> inputNames;
  for (const onnx::ValueInfoProto &in : g.input())
    inputNames[in.name()] = true;
  std::vector<const onnx::TensorProto *> inits;
  for (const onnx::TensorProto &t : g.initializer())
    if (!inputNames.count(t.name()))
      inits.push_back(&t);
  if (inits.empty() && g.value_info_size() == 0)
    return;
  os << '\n';
  indentTo(indent + 2);
  os << '<';
  bool first = true;
  auto next = [&] {
    os << (first ? "\n" : ",\n");
    first = false;
    indentTo(indent + 4);
  };
  for (const onnx::TensorProto *t : inits) {
    next();
    printTensorType(*t);
    os << ' ';
    printName(t->name());
    os << " = ";
    printTensorData(*t, indent + 4);
  }
  for (const onnx::ValueInfoProto &vi : g.value_info()) {
    next();
    printValueInfo(vi);
  }
  os << '\n';
  indentTo(indent + 2);
  os << '>';
}

void TextPrinter::printGraph(const onnx::GraphProto &g, unsigned indent) {
  if (!g.name().empty()) {
    printName(g.name());
    os << ' ';
  }
  printSignature(g, indent);
  printValueInfos(g, indent);
  os << '\n';
  indentTo(indent);
  os << "{\n";
  printDocString(g.doc_string(), "graphs", indent + 2);
  for (const onnx::ValueInfoProto &vi : g.input())
    printDocString(vi.doc_string(), "values", indent + 2);
  for (const onnx::ValueInfoProto &vi : g.output())
    printDocString(vi.doc_string(), "values", indent + 2);
  for (const onnx::ValueInfoProto &vi : g.value_info())
    printDocString(vi.doc_string(), "values", indent + 2);
  for (const onnx::TensorProto &t : g.initializer())
    printDocString(t.doc_string(), "initializers", indent + 2);
  for (const onnx::SparseTensorProto &s : g.sparse_initializer()) {
    noteLimit("sparse initializers", s.values().name());
    indentTo(indent + 2);
    printComment("sparse initializer '" + s.values().name() + "' not printed");
    os << '\n';
  }
  if (g.quantization_annotation_size()) {
    noteLimit("quantization annotations");
    indentTo(indent + 2);
    printComment(std::to_string(g.quantization_annotation_size()) +
                 " quantization annotations not printed");
    os << '\n';
  }
  printNodes(g.node(), indent + 2);
  indentTo(indent);
  os << '}';
}

void TextPrinter::printNodes(
    const google::protobuf::RepeatedPtrField<onnx::NodeProto> &nodes,
    unsigned indent) {
  for (const onnx::NodeProto &node : nodes)
    printNode(node, indent);
}

/// Whether the 1.12 parser can read `attr` back.
bool TextPrinter::isPrintable(const AP &attr) {
  switch (attr.type()) {
  case AP::FLOATS:
    return attr.floats_size() > 0 || !attr.ref_attr_name().empty();
  case AP::INTS:
    return attr.ints_size() > 0 || !attr.ref_attr_name().empty();
  case AP::STRINGS:
    return attr.strings_size() > 0 || !attr.ref_attr_name().empty();
  case AP::TENSORS:
  case AP::GRAPHS:
  case AP::SPARSE_TENSOR:
  case AP::SPARSE_TENSORS:
  case AP::TYPE_PROTO:
  case AP::TYPE_PROTOS:
    return !attr.ref_attr_name().empty();
  case AP::UNDEFINED:
    return !attr.ref_attr_name().empty();
  default:
    return true;
  }
}

void TextPrinter::printNode(const onnx::NodeProto &node, unsigned indent) {
  printDocString(node.doc_string(), "nodes", indent);
  std::vector<const AP *> printable;
  for (const AP &a : node.attribute()) {
    if (!a.doc_string().empty())
      noteLimit("doc strings of attributes");
    if (isPrintable(a)) {
      printable.push_back(&a);
      continue;
    }
    llvm::StringRef kind =
        getAttrKindName(static_cast<AttrKind>(static_cast<int>(a.type())));
    noteLimit(a.type() == AP::FLOATS || a.type() == AP::INTS ||
                      a.type() == AP::STRINGS
                  ? "empty list attributes"
                  : ("attributes of kind " + kind).str(),
              a.name());
    indentTo(indent);
    printComment("attribute '" + a.name() + "' of kind " + kind.str() +
                 " cannot be written in ONNX 1.12 text");
    os << '\n';
  }
  indentTo(indent);
  printIdList(node.output(), "output");
  os << (node.output_size() ? " = " : "= ");
  if (!node.domain().empty()) {
    for (llvm::StringRef part : llvm::split(node.domain(), '.')) {
      printName(part);
      os << '.';
    }
  }
  printName(node.op_type());
  if (!printable.empty()) {
    os << " <";
    for (size_t i = 0; i < printable.size(); ++i) {
      os << (i ? ", " : "");
      printAttribute(*printable[i], indent);
    }
    os << '>';
  }
  os << " (";
  printIdList(node.input(), "input");
  os << ')';
  if (!node.name().empty()) {
    noteLimit("node names (printed as comments)", node.name());
    os << "  ";
    printComment("name: " + node.name());
  }
  os << '\n';
}

void TextPrinter::printAttribute(const AP &a, unsigned indent) {
  printName(a.name());
  if (!a.ref_attr_name().empty()) {
    if (a.type() != AP::UNDEFINED)
      os << " : "
         << getAttrKindName(static_cast<AttrKind>(static_cast<int>(a.type())));
    os << " = @";
    printName(a.ref_attr_name());
    return;
  }
  os << " = ";
  printAttributeValue(a, indent);
}

void TextPrinter::printAttributeValue(const AP &a, unsigned indent) {
  auto list = [&](int n, auto printOne) {
    os << '[';
    for (int i = 0; i < n; ++i) {
      os << (i ? ", " : "");
      printOne(i);
    }
    os << ']';
  };
  switch (a.type()) {
  case AP::FLOAT:
    return printFloatAttr(a.f());
  case AP::INT:
    os << a.i();
    return;
  case AP::STRING:
    return printString(a.s());
  case AP::FLOATS:
    return list(a.floats_size(), [&](int i) { printFloatAttr(a.floats(i)); });
  case AP::INTS:
    return list(a.ints_size(), [&](int i) { os << a.ints(i); });
  case AP::STRINGS:
    return list(a.strings_size(), [&](int i) { printString(a.strings(i)); });
  case AP::TENSOR:
    printTensorType(a.t());
    if (!a.t().name().empty()) {
      os << ' ';
      printName(a.t().name());
    }
    if (!a.t().doc_string().empty())
      noteLimit("doc strings of tensors");
    os << ' ';
    return printTensorData(a.t(), indent + 2);
  case AP::GRAPH:
    if (a.g().name().empty() ||
        parseElementTypeName(a.g().name()) != ElementType::Undefined)
      noteLimit("subgraphs whose name is empty or a type name", a.g().name());
    return printGraph(a.g(), indent + 2);
  default:
    return; // filtered out by isPrintable
  }
}

void TextPrinter::printFunction(const onnx::FunctionProto &f) {
  os << '\n';
  bool hasKeys =
      f.opset_import_size() || !f.domain().empty() || !f.doc_string().empty();
  if (hasKeys) {
    const char *sep = "<\n  ";
    if (!f.domain().empty()) {
      os << sep << "domain: ";
      printString(f.domain());
      sep = ",\n  ";
    }
    if (f.opset_import_size()) {
      os << sep << "opset_import: ";
      printOpsets(f.opset_import());
      sep = ",\n  ";
    }
    if (!f.doc_string().empty()) {
      os << sep << "doc_string: ";
      printString(f.doc_string());
    }
    os << "\n>\n";
  }
  printName(f.name());
  if (f.attribute_size()) {
    os << " <";
    printIdList(f.attribute(), "attribute");
    os << '>';
  }
  os << " (";
  printIdList(f.input(), "input");
  os << ") => (";
  printIdList(f.output(), "output");
  os << ")\n{\n";
  printNodes(f.node(), 2);
  os << "}\n";
}

void TextPrinter::printModel(const onnx::ModelProto &m) {
  printHeader(m);
  printGraph(m.graph(), 0);
  os << '\n';
  for (const onnx::FunctionProto &f : m.functions())
    printFunction(f);
  if (m.training_info_size()) {
    noteLimit("training_info");
    printComment(std::to_string(m.training_info_size()) +
                 " training_info entries not printed");
    os << '\n';
  }
}

void onnxio::printModelProtoText(const onnx::ModelProto &proto,
                                 llvm::raw_ostream &os,
                                 std::vector<std::string> &limitations) {
  TextPrinter printer(os);
  printer.printModel(proto);
  for (std::string &line : printer.getLimitations())
    limitations.push_back(std::move(line));
}
