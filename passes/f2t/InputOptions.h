//===- InputOptions.h - The input-quantisation options of F2T passes -*- C++
//-*-===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// input-scale / input-bits / input-signed, shared by the passes that run the
// eps analysis (annotate-eps, insert-eps-tunnels, fake-to-true).
//
//===----------------------------------------------------------------------===//

#ifndef QLC_PASSES_F2T_INPUTOPTIONS_H
#define QLC_PASSES_F2T_INPUTOPTIONS_H

#include "f2t/EpsAnalysis.h"

#include "qlc/Pass/Pass.h"

namespace qlc {
namespace f2t {

struct InputOptions {
  explicit InputOptions(Pass &pass)
      : scale(pass, "input-scale",
              "quantum of the graph inputs (0: take it from the input's "
              "fake-quantiser)",
              0.0),
        bits(pass, "input-bits", "bits of the declared input grid", 8),
        isSigned(pass, "input-signed", "the declared input grid is signed",
                 false) {}

  InputQuantisation get() const {
    InputQuantisation q;
    q.eps = scale;
    q.bits = bits;
    q.isSigned = isSigned;
    return q;
  }

  Option<double> scale;
  Option<unsigned> bits;
  Option<bool> isSigned;
};

} // namespace f2t
} // namespace qlc

#endif // QLC_PASSES_F2T_INPUTOPTIONS_H
