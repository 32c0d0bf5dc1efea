//===- PassRegistry.cpp - Named pass factories ----------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "qlc/Pass/PassRegistry.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/STLExtras.h"

using namespace qlc;

llvm::Error PassRegistry::add(PassAllocator allocator) {
  std::unique_ptr<Pass> pass = allocator();
  std::string argument = pass->getArgument().str();
  if (argument.empty())
    return makeError("a pass has an empty argument");
  if (passes.count(argument))
    return makeError("pass '" + argument + "' is registered twice");
  passes[argument] = PassInfo{argument, pass->getSummary().str(),
                              pass->getDescription().str(),
                              std::move(allocator)};
  return llvm::Error::success();
}

const PassInfo *PassRegistry::lookup(llvm::StringRef argument) const {
  auto it = passes.find(argument);
  return it == passes.end() ? nullptr : &it->second;
}

std::vector<const PassInfo *> PassRegistry::getPasses() const {
  std::vector<const PassInfo *> result;
  for (const auto &entry : passes)
    result.push_back(&entry.second);
  llvm::sort(result, [](const PassInfo *a, const PassInfo *b) {
    return a->argument < b->argument;
  });
  return result;
}

void PassRegistry::print(llvm::raw_ostream &os, bool markdown) const {
  for (const PassInfo *info : getPasses()) {
    std::unique_ptr<Pass> pass = info->createPass();
    if (markdown) {
      os << "## `" << info->argument << "`\n\n" << info->summary << "\n\n";
      if (!info->description.empty())
        os << info->description << "\n\n";
      if (!pass->getOptions().empty()) {
        os << "| option | type | default | description |\n"
           << "|---|---|---|---|\n";
        for (OptionBase *o : pass->getOptions())
          os << "| `" << o->getName() << "` | " << o->getTypeName() << " | `"
             << o->getDefaultString() << "` | " << o->getDescription()
             << " |\n";
        os << "\n";
      }
      continue;
    }
    os << "  --" << info->argument << "  " << info->summary << "\n";
    for (OptionBase *o : pass->getOptions())
      os << "      " << o->getName() << "=<" << o->getTypeName()
         << "> (default: " << o->getDefaultString() << ")  "
         << o->getDescription() << "\n";
  }
}
