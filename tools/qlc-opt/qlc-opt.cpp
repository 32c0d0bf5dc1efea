//===- qlc-opt.cpp - The qlc optimizer driver -----------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/Tools/OptMain.h"

int main(int argc, char **argv) { return qlc::qlcOptMain(argc, argv); }
