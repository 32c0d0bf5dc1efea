//===- InputQuantisation.h - How an integer program's input is made -*- C++
//-*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// fake-to-true turns a float graph input into the integer image of the
// data. It records how in the model's metadata, under
// "qlc.input_quant.<input name>", as "eps=E;zero=Z;n_levels=N;rounding=R",
// so that qlc-run and the verifier feed float data to the integer program
// exactly as the fake-quantised graph's input quantiser sees it.
//
//===----------------------------------------------------------------------===//

#ifndef QLC_QUANT_INPUTQUANTISATION_H
#define QLC_QUANT_INPUTQUANTISATION_H

#include "qlc/IR/Model.h"
#include "qlc/Quant/QuantMath.h"

#include "llvm/ADT/Optional.h"
#include "llvm/Support/Error.h"

namespace qlc {

struct InputQuantisationInfo {
  double eps = 1;
  QuantGrid grid;
};

void writeInputQuantisation(Model &model, llvm::StringRef input,
                            const InputQuantisationInfo &info);
/// None when the model records nothing (or nothing valid) for `input`.
llvm::Optional<InputQuantisationInfo>
readInputQuantisation(const Model &model, llvm::StringRef input);

/// The integer image of float data `x`: the levels of the grid (with its
/// rounding, computed in x's precision like qlc.FakeQuant), as `to`.
llvm::Expected<Tensor> quantizeInput(const Tensor &x,
                                     const InputQuantisationInfo &info,
                                     ElementType to);

} // namespace qlc

#endif // QLC_QUANT_INPUTQUANTISATION_H
