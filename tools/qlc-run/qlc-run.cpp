//===- qlc-run.cpp - The qlc reference interpreter driver -----------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/Tools/RunMain.h"

int main(int argc, char **argv) { return qlc::qlcRunMain(argc, argv); }
