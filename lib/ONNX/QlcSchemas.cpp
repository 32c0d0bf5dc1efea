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

void onnxio::registerQlcSchemas() {
  static std::once_flag once;
  std::call_once(once, [] {
    onnx::OpSchemaRegistry::DomainToVersionRange::Instance().AddDomainToVersion(
        "qlc", 1, 1);
    onnx::RegisterSchema(makeFakeQuantSchema());
  });
}
