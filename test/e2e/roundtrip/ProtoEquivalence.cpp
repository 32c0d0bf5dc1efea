//===- ProtoEquivalence.cpp - Original vs exported ModelProto -------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Reduces both models to canonical strings (tensors as type, dims and
// little-endian bytes whatever field held them; attributes with their kind
// made explicit; subgraphs as deterministic serializations) and compares
// them: initializers and constants by name, nodes by their outputs, graph
// inputs, outputs and value_info types by name.
//
//===----------------------------------------------------------------------===//

#include "ProtoEquivalence.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstring>
#include <map>
#include <set>
#include <sstream>

using namespace qlc;
using AP = onnx::AttributeProto;

namespace {
using TensorMap = std::map<std::string, std::string>;

std::string serialize(const google::protobuf::MessageLite &msg) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    msg.SerializeToCodedStream(&coded);
  }
  return out;
}

template <typename T> void appendBytes(std::string &out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out.append(buf, sizeof(T));
}

/// Values from a typed field, narrowed to the element type's width.
template <typename Field> std::string typedBytes(const Field &f, int width) {
  std::string out;
  for (auto v : f) {
    switch (width) {
    case 1:
      appendBytes(out, static_cast<uint8_t>(v));
      break;
    case 2:
      appendBytes(out, static_cast<uint16_t>(v));
      break;
    case 4:
      appendBytes(out, static_cast<uint32_t>(v));
      break;
    default:
      appendBytes(out, static_cast<uint64_t>(v));
    }
  }
  return out;
}

std::string floatBytes(const google::protobuf::RepeatedField<float> &f) {
  std::string out;
  for (float v : f)
    appendBytes(out, v);
  return out;
}

std::string doubleBytes(const google::protobuf::RepeatedField<double> &f) {
  std::string out;
  for (double v : f)
    appendBytes(out, v);
  return out;
}

/// "type|dims|bytes" whatever field held the data.
std::string canonTensor(const onnx::TensorProto &t) {
  std::ostringstream s;
  s << t.data_type() << '|';
  for (int64_t d : t.dims())
    s << d << ',';
  s << '|';
  if (t.data_type() == onnx::TensorProto::STRING) {
    for (const std::string &str : t.string_data())
      s << str.size() << ':' << str;
    return s.str();
  }
  std::string bytes;
  if (t.has_raw_data()) {
    bytes = t.raw_data();
  } else {
    switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
    case onnx::TensorProto::COMPLEX64:
      bytes = floatBytes(t.float_data());
      break;
    case onnx::TensorProto::DOUBLE:
    case onnx::TensorProto::COMPLEX128:
      bytes = doubleBytes(t.double_data());
      break;
    case onnx::TensorProto::INT64:
      bytes = typedBytes(t.int64_data(), 8);
      break;
    case onnx::TensorProto::UINT64:
      bytes = typedBytes(t.uint64_data(), 8);
      break;
    case onnx::TensorProto::UINT32:
      bytes = typedBytes(t.uint64_data(), 4);
      break;
    case onnx::TensorProto::INT32:
      bytes = typedBytes(t.int32_data(), 4);
      break;
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::UINT16:
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16:
      bytes = typedBytes(t.int32_data(), 2);
      break;
    case onnx::TensorProto::BOOL: {
      for (int32_t v : t.int32_data())
        bytes += static_cast<char>(v != 0);
      break;
    }
    default:
      bytes = typedBytes(t.int32_data(), 1);
    }
  }
  s << bytes.size() << ':' << bytes;
  return s.str();
}

std::string canonConstant(const onnx::NodeProto &n) {
  if (n.attribute_size() != 1)
    return "<bad constant>";
  const AP &a = n.attribute(0);
  onnx::TensorProto t;
  if (a.name() == "value")
    return canonTensor(a.t());
  if (a.name() == "value_float") {
    t.set_data_type(onnx::TensorProto::FLOAT);
    t.add_float_data(a.f());
  } else if (a.name() == "value_floats") {
    t.set_data_type(onnx::TensorProto::FLOAT);
    t.add_dims(a.floats_size());
    *t.mutable_float_data() = a.floats();
  } else if (a.name() == "value_int") {
    t.set_data_type(onnx::TensorProto::INT64);
    t.add_int64_data(a.i());
  } else if (a.name() == "value_ints") {
    t.set_data_type(onnx::TensorProto::INT64);
    t.add_dims(a.ints_size());
    *t.mutable_int64_data() = a.ints();
  } else if (a.name() == "value_string") {
    t.set_data_type(onnx::TensorProto::STRING);
    t.add_string_data(a.s());
  } else if (a.name() == "value_strings") {
    t.set_data_type(onnx::TensorProto::STRING);
    t.add_dims(a.strings_size());
    *t.mutable_string_data() = a.strings();
  } else {
    return "<unsupported constant " + a.name() + ">";
  }
  return canonTensor(t);
}

std::string canonGraph(const onnx::GraphProto &g);
std::string canonNode(const onnx::NodeProto &n);

/// Equal up to fields set to their default value.
bool equivalent(const google::protobuf::Message &a,
                const google::protobuf::Message &b) {
  return google::protobuf::util::MessageDifferencer::Equivalent(a, b);
}

AP::AttributeType kindOf(const AP &a) {
  if (a.type() != AP::UNDEFINED)
    return a.type();
  if (a.has_f())
    return AP::FLOAT;
  if (a.has_i())
    return AP::INT;
  if (a.has_s())
    return AP::STRING;
  if (a.has_t())
    return AP::TENSOR;
  if (a.has_g())
    return AP::GRAPH;
  if (a.floats_size())
    return AP::FLOATS;
  if (a.ints_size())
    return AP::INTS;
  if (a.strings_size())
    return AP::STRINGS;
  return AP::UNDEFINED;
}

std::string canonAttr(const AP &a) {
  std::ostringstream s;
  AP::AttributeType kind = kindOf(a);
  s << a.name() << '|' << kind << '|' << a.ref_attr_name() << '|'
    << a.doc_string() << '|';
  switch (kind) {
  case AP::FLOAT: {
    uint32_t bits;
    float f = a.f();
    std::memcpy(&bits, &f, 4);
    s << bits;
    break;
  }
  case AP::INT:
    s << a.i();
    break;
  case AP::STRING:
    s << a.s();
    break;
  case AP::FLOATS:
    s << floatBytes(a.floats());
    break;
  case AP::INTS:
    for (int64_t v : a.ints())
      s << v << ',';
    break;
  case AP::STRINGS:
    for (const std::string &str : a.strings())
      s << str.size() << ':' << str;
    break;
  case AP::TENSOR:
    s << canonTensor(a.t());
    break;
  case AP::TENSORS:
    for (const onnx::TensorProto &t : a.tensors())
      s << canonTensor(t) << ';';
    break;
  case AP::GRAPH:
    s << canonGraph(a.g());
    break;
  case AP::GRAPHS:
    for (const onnx::GraphProto &g : a.graphs())
      s << canonGraph(g) << ';';
    break;
  case AP::SPARSE_TENSOR:
    s << serialize(a.sparse_tensor());
    break;
  case AP::SPARSE_TENSORS:
    for (const onnx::SparseTensorProto &t : a.sparse_tensors())
      s << serialize(t) << ';';
    break;
  case AP::TYPE_PROTO:
    s << serialize(a.tp());
    break;
  case AP::TYPE_PROTOS:
    for (const onnx::TypeProto &t : a.type_protos())
      s << serialize(t) << ';';
    break;
  default:
    break;
  }
  return s.str();
}

std::string canonType(const onnx::TypeProto &t) {
  if (!t.has_tensor_type())
    return t.value_case() == onnx::TypeProto::VALUE_NOT_SET ? "" : "<other>";
  std::ostringstream s;
  s << t.tensor_type().elem_type();
  if (!t.tensor_type().has_shape())
    return t.tensor_type().elem_type() == 0 ? "" : s.str() + "(any rank)";
  s << '[';
  for (const auto &d : t.tensor_type().shape().dim()) {
    if (d.has_dim_value() && d.dim_value() >= 0)
      s << d.dim_value();
    else if (!d.dim_param().empty())
      s << d.dim_param();
    else
      s << '?';
    s << ',';
  }
  return s.str() + "]";
}

std::string canonGraph(const onnx::GraphProto &g) {
  std::ostringstream s;
  s << "graph " << g.name() << '|' << g.doc_string() << "|in:";
  for (const onnx::ValueInfoProto &vi : g.input())
    s << vi.name() << ':' << canonType(vi.type()) << ',';
  s << "|out:";
  for (const onnx::ValueInfoProto &vi : g.output())
    s << vi.name() << ':' << canonType(vi.type()) << ',';
  s << "|vi:";
  for (const onnx::ValueInfoProto &vi : g.value_info())
    s << vi.name() << ':' << canonType(vi.type()) << ',';
  for (const onnx::TensorProto &t : g.initializer())
    s << "|init:" << t.name() << '=' << canonTensor(t);
  for (const onnx::SparseTensorProto &t : g.sparse_initializer())
    s << "|sparse:" << serialize(t);
  for (const onnx::NodeProto &n : g.node())
    s << "|node:" << canonNode(n);
  return s.str();
}

std::string canonFunction(const onnx::FunctionProto &f) {
  std::ostringstream s;
  s << f.name() << '|' << f.domain() << '|' << f.doc_string() << '|';
  for (const std::string &x : f.input())
    s << x << ',';
  s << '|';
  for (const std::string &x : f.output())
    s << x << ',';
  s << '|';
  for (const std::string &x : f.attribute())
    s << x << ',';
  for (const auto &op : f.opset_import())
    s << "|opset:" << op.domain() << ':' << op.version();
  for (const onnx::NodeProto &n : f.node())
    s << "|node:" << canonNode(n);
  return s.str();
}

std::string canonNode(const onnx::NodeProto &n) {
  std::ostringstream s;
  s << n.domain() << '.' << n.op_type() << '|' << n.name() << '|'
    << n.doc_string() << "|in:";
  for (const std::string &i : n.input())
    s << i << ',';
  s << "|out:";
  for (const std::string &o : n.output())
    s << o << ',';
  for (const AP &a : n.attribute())
    s << "|attr:" << canonAttr(a);
  return s.str();
}

bool isConstant(const onnx::NodeProto &n) {
  return n.op_type() == "Constant" &&
         (n.domain().empty() || n.domain() == "ai.onnx");
}

class Checker {
public:
  std::string run(const onnx::ModelProto &o, const onnx::ModelProto &e);

private:
  bool fail(bool bad, const std::string &what) {
    if (bad && diff.empty())
      diff = what;
    return bad;
  }
  void checkGraph(const onnx::GraphProto &o, const onnx::GraphProto &e,
                  bool listInits);

  std::string diff;
};
} // namespace

void Checker::checkGraph(const onnx::GraphProto &o, const onnx::GraphProto &e,
                         bool listInits) {
  fail(o.name() != e.name(), "graph name differs");
  fail(o.doc_string() != e.doc_string(), "graph doc string differs");
  TensorMap constsO, constsE;
  for (const onnx::TensorProto &t : o.initializer())
    constsO[t.name()] = canonTensor(t);
  for (const onnx::NodeProto &n : o.node())
    if (isConstant(n) && n.output_size() == 1)
      constsO[n.output(0)] = canonConstant(n);
  for (const onnx::TensorProto &t : e.initializer())
    constsE[t.name()] = canonTensor(t);
  for (const auto &[name, value] : constsO) {
    auto it = constsE.find(name);
    if (fail(it == constsE.end(), "constant '" + name + "' is missing") ||
        fail(it->second != value, "constant '" + name + "' differs"))
      return;
  }
  fail(constsO.size() != constsE.size(), "exported model has extra constants");

  std::multiset<std::string> nodesO, nodesE;
  for (const onnx::NodeProto &n : o.node())
    if (!isConstant(n))
      nodesO.insert(canonNode(n));
  for (const onnx::NodeProto &n : e.node())
    nodesE.insert(canonNode(n));
  for (const std::string &n : nodesO)
    if (fail(!nodesE.count(n),
             "node differs or is missing: " + n.substr(0, 120)))
      return;
  fail(nodesO.size() != nodesE.size(), "node counts differ");

  auto realInputs = [](const onnx::GraphProto &g, const TensorMap &inits) {
    std::string s;
    for (const onnx::ValueInfoProto &in : g.input())
      if (!inits.count(in.name()))
        s += in.name() + ":" + canonType(in.type()) + ":" + in.doc_string() +
             " ";
    return s;
  };
  TensorMap initsO;
  for (const onnx::TensorProto &t : o.initializer())
    initsO[t.name()] = "";
  fail(realInputs(o, initsO) != realInputs(e, constsE),
       "graph inputs differ: " + realInputs(o, initsO) + "vs " +
           realInputs(e, constsE));
  int listed = 0;
  for (const onnx::ValueInfoProto &in : e.input())
    listed += constsE.count(in.name());
  fail(listed != (listInits ? e.initializer_size() : 0),
       "initializers listed as inputs: " + std::to_string(listed));

  fail(o.output_size() != e.output_size(), "output counts differ");
  for (int i = 0; i < std::min(o.output_size(), e.output_size()); ++i)
    fail(o.output(i).name() != e.output(i).name() ||
             canonType(o.output(i).type()) != canonType(e.output(i).type()),
         "graph output " + o.output(i).name() + " differs");

  std::map<std::string, std::string> typesE;
  for (const onnx::ValueInfoProto &vi : e.value_info())
    typesE[vi.name()] = canonType(vi.type());
  std::set<std::string> outputs, nodeResults;
  for (const onnx::ValueInfoProto &out : o.output())
    outputs.insert(out.name());
  for (const onnx::NodeProto &n : o.node())
    if (!isConstant(n))
      nodeResults.insert(n.output().begin(), n.output().end());
  for (const onnx::ValueInfoProto &vi : o.value_info()) {
    std::string type = canonType(vi.type());
    if (!nodeResults.count(vi.name()) || outputs.count(vi.name()) ||
        type.empty() || type == "<other>")
      continue;
    fail(typesE[vi.name()] != type, "value_info type of '" + vi.name() +
                                        "' differs: " + type + " vs " +
                                        typesE[vi.name()]);
  }
}

std::string Checker::run(const onnx::ModelProto &o, const onnx::ModelProto &e) {
  fail(o.ir_version() != e.ir_version(), "ir_version differs");
  fail(serialize(o.graph()).empty(), "original has no graph");
  std::string opsO, opsE;
  for (const auto &op : o.opset_import())
    opsO += op.domain() + ":" + std::to_string(op.version()) + " ";
  for (const auto &op : e.opset_import())
    opsE += op.domain() + ":" + std::to_string(op.version()) + " ";
  fail(opsO != opsE, "opset imports differ");
  fail(o.producer_name() != e.producer_name() ||
           o.producer_version() != e.producer_version() ||
           o.domain() != e.domain() || o.model_version() != e.model_version() ||
           o.doc_string() != e.doc_string(),
       "model header fields differ");
  fail(o.metadata_props_size() != e.metadata_props_size(),
       "metadata_props differ");
  fail(o.functions_size() != e.functions_size(), "function counts differ");
  for (int i = 0; i < std::min(o.functions_size(), e.functions_size()); ++i)
    fail(canonFunction(o.functions(i)) != canonFunction(e.functions(i)),
         "function " + o.functions(i).name() + " differs");
  fail(o.training_info_size() != e.training_info_size(),
       "training_info differs");
  for (int i = 0; i < std::min(o.training_info_size(), e.training_info_size());
       ++i)
    fail(!equivalent(o.training_info(i), e.training_info(i)),
         "training_info differs");
  checkGraph(o.graph(), e.graph(), e.ir_version() < 4);
  return diff;
}

std::string test::checkEquivalent(const onnx::ModelProto &original,
                                  const onnx::ModelProto &exported) {
  return Checker().run(original, exported);
}
