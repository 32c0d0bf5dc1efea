//===- QlcSchemas.cpp - ONNX schemas of qlc's own operators ---------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Registers the ops of domain "qlc" with ONNX's schema registry, so that
// onnx::checker validates them (inputs, attribute types) like any ONNX op
// and shape inference propagates types through them instead of stopping.
// Registration happens once, on first use by the checker or by inference.
//
//===----------------------------------------------------------------------===//

#include "ProtoConversion.h"

#include "onnx/defs/schema.h"
#include "onnx/defs/shape_inference.h"

#include <mutex>

using namespace qlc;

static onnx::OpSchema makeFakeQuantSchema() {
  onnx::OpSchema schema;
  schema.SetName("FakeQuant")
      .SetDomain("qlc")
      .SinceVersion(1)
      .SetDoc("PACT fake-quantiser: Y = q * eps with q the integer level of X "
              "on the grid [zero, zero + n_levels - 1] (floor or half-even "
              "rounding); eps per tensor or per channel along axis.")
      .Input(0, "X", "input", "T")
      .Input(1, "eps", "quantum: scalar, or 1-D with X.shape[axis] elements",
             "T")
      .Output(0, "Y", "fake-quantised X", "T")
      .Attr("zero", "lowest integer level (0 unsigned, -2^(b-1) signed)",
            onnx::AttributeProto::INT)
      .Attr("n_levels", "number of levels (2^bits)", onnx::AttributeProto::INT)
      .Attr("axis", "channel axis of a per-channel eps",
            onnx::AttributeProto::INT, static_cast<int64_t>(1))
      .Attr("rounding", "floor (QuantLib PACT) or half_even (ONNX)",
            onnx::AttributeProto::STRING, std::string("floor"))
      .TypeConstraint("T", {"tensor(float)", "tensor(double)"},
                      "float input and quantum")
      .TypeAndShapeInferenceFunction(onnx::propagateShapeAndTypeFromFirstInput);
  return schema;
}

/// Output 0: X's shape, element type from the `to` attribute (or `dflt`).
static void inferCastLike(onnx::InferenceContext &ctx, int32_t dflt) {
  const onnx::AttributeProto *to = ctx.getAttribute("to");
  int32_t type = to ? static_cast<int32_t>(to->i()) : dflt;
  ctx.getOutputType(0)->mutable_tensor_type()->set_elem_type(type);
  if (onnx::hasInputShape(ctx, 0))
    onnx::propagateShapeFromInputToOutput(ctx, 0, 0);
}

static onnx::OpSchema makeRequantSchema() {
  onnx::OpSchema schema;
  schema.SetName("Requant")
      .SetDomain("qlc")
      .SinceVersion(1)
      .SetDoc("Integer requantisation: Y = clip(floor((X * mul + add) / "
              "2^shift), lo, hi) in exact integer arithmetic, cast to `to`.")
      .Input(0, "X", "integer input", "T")
      .Input(1, "mul", "int64 multiplier, broadcast to X", "tensor(int64)")
      .Input(2, "add", "int64 offset, broadcast to X", "tensor(int64)")
      .Output(0, "Y", "requantised X", "T2")
      .Attr("shift", "D: the division by 2^D (floor)",
            onnx::AttributeProto::INT)
      .Attr("lo", "lowest output value", onnx::AttributeProto::INT)
      .Attr("hi", "highest output value", onnx::AttributeProto::INT)
      .Attr("to", "output element type (TensorProto.DataType)",
            onnx::AttributeProto::INT)
      .Attr("acc_bits",
            "bits X * mul + add needs (64 when the range analysis could "
            "not fit it in 32); informative",
            onnx::AttributeProto::INT, onnx::OPTIONAL_VALUE)
      .TypeConstraint("T",
                      {"tensor(int8)", "tensor(uint8)", "tensor(int16)",
                       "tensor(uint16)", "tensor(int32)", "tensor(int64)"},
                      "integer input")
      .TypeConstraint("T2",
                      {"tensor(int8)", "tensor(uint8)", "tensor(int16)",
                       "tensor(uint16)", "tensor(int32)", "tensor(int64)"},
                      "integer output")
      .TypeAndShapeInferenceFunction(
          [](onnx::InferenceContext &ctx) { inferCastLike(ctx, 0); });
  return schema;
}

static onnx::OpSchema makeEpsTunnelSchema() {
  onnx::OpSchema schema;
  schema.SetName("EpsTunnel")
      .SetDomain("qlc")
      .SinceVersion(1)
      .SetDoc("Change of quantum: Y = X / eps_in * eps_out, cast to `to` "
              "(rounded to nearest for integer types).")
      .Input(0, "X", "input", "T")
      .Input(1, "eps_in", "quantum of X, broadcast to X", "tensor(float)")
      .Input(2, "eps_out", "quantum of Y, broadcast to X", "tensor(float)")
      .Output(0, "Y", "X on the new quantum", "T2")
      .Attr("to", "output element type (TensorProto.DataType)",
            onnx::AttributeProto::INT,
            static_cast<int64_t>(onnx::TensorProto::FLOAT))
      .TypeConstraint("T",
                      {"tensor(float)", "tensor(double)", "tensor(int8)",
                       "tensor(uint8)", "tensor(int16)", "tensor(uint16)",
                       "tensor(int32)", "tensor(int64)"},
                      "input")
      .TypeConstraint("T2",
                      {"tensor(float)", "tensor(double)", "tensor(int8)",
                       "tensor(uint8)", "tensor(int16)", "tensor(uint16)",
                       "tensor(int32)", "tensor(int64)"},
                      "output")
      .TypeAndShapeInferenceFunction([](onnx::InferenceContext &ctx) {
        inferCastLike(ctx, onnx::TensorProto::FLOAT);
      });
  return schema;
}

void onnxio::registerQlcSchemas() {
  static std::once_flag once;
  std::call_once(once, [] {
    onnx::OpSchemaRegistry::DomainToVersionRange::Instance().AddDomainToVersion(
        "qlc", 1, 1);
    onnx::RegisterSchema(makeFakeQuantSchema());
    onnx::RegisterSchema(makeRequantSchema());
    onnx::RegisterSchema(makeEpsTunnelSchema());
  });
}
