//===- PipelineParser.cpp - Textual pass pipelines ------------------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Grammar:
//   pipeline := element (',' element)*
//   element  := NAME options?                      a registered pass
//             | 'fixpoint' options? '(' pipeline ')'
//   options  := '{' text with balanced braces and quotes '}'
//
//===----------------------------------------------------------------------===//

#include "PipelineParser.h"
#include "qlc/Support/Error.h"

#include "llvm/ADT/StringExtras.h"

using namespace qlc;

namespace {
class PipelineParser {
public:
  PipelineParser(llvm::StringRef text, const PassRegistry &registry)
      : text(text), registry(registry) {}

  llvm::Error parse(std::vector<PipelineElement> &out) {
    if (llvm::Error err = parsePipeline(out))
      return err;
    skipSpace();
    if (pos != text.size())
      return errorHere("unexpected '" + text.substr(pos, 1) + "'");
    return llvm::Error::success();
  }

private:
  void skipSpace() {
    while (pos < text.size() && llvm::isSpace(text[pos]))
      ++pos;
  }
  bool consume(char c) {
    skipSpace();
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  llvm::Error errorHere(const llvm::Twine &message) {
    return makeError("invalid pass pipeline '" + text + "' at column " +
                     llvm::Twine(pos + 1) + ": " + message);
  }

  llvm::Error parsePipeline(std::vector<PipelineElement> &out) {
    do {
      PipelineElement element;
      if (llvm::Error err = parseElement(element))
        return err;
      out.push_back(std::move(element));
    } while (consume(','));
    return llvm::Error::success();
  }

  llvm::Expected<llvm::StringRef> parseName() {
    skipSpace();
    size_t start = pos;
    while (pos < text.size() &&
           (llvm::isAlnum(text[pos]) || text[pos] == '-' || text[pos] == '_' ||
            text[pos] == '.'))
      ++pos;
    if (start == pos)
      return errorHere("expected a pass name");
    return text.slice(start, pos);
  }

  /// Reads "{...}" with balanced braces and quotes; empty if absent.
  llvm::Expected<llvm::StringRef> parseOptionsText() {
    if (!consume('{'))
      return llvm::StringRef();
    size_t start = pos;
    int depth = 1;
    char quote = 0;
    for (; pos < text.size(); ++pos) {
      char c = text[pos];
      if (quote) {
        if (c == quote)
          quote = 0;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '{') {
        ++depth;
      } else if (c == '}' && --depth == 0) {
        return text.slice(start, pos++);
      }
    }
    return errorHere("unterminated '{'");
  }

  llvm::Error parseElement(PipelineElement &element) {
    auto name = parseName();
    if (!name)
      return name.takeError();
    auto options = parseOptionsText();
    if (!options)
      return options.takeError();
    if (*name == "fixpoint")
      return parseFixpoint(element, *options);
    const PassInfo *info = registry.lookup(*name);
    if (!info)
      return makeError("unknown pass '" + *name +
                       "' (see --list-passes for the registered passes)");
    element.pass = info->createPass();
    if (llvm::Error err = element.pass->parseOptions(*options))
      return addErrorContext(std::move(err), *name);
    return llvm::Error::success();
  }

  llvm::Error parseFixpoint(PipelineElement &element,
                            llvm::StringRef options) {
    for (llvm::StringRef part : llvm::split(options.trim(), ' ')) {
      if (part.empty())
        continue;
      auto [key, value] = part.split('=');
      if (key != "max-iterations" ||
          value.getAsInteger(10, element.maxIterations) ||
          element.maxIterations == 0)
        return makeError("fixpoint: invalid option '" + part +
                         "' (expected max-iterations=N, N > 0)");
    }
    if (!consume('('))
      return errorHere("expected '(' after fixpoint");
    if (llvm::Error err = parsePipeline(element.group))
      return err;
    if (!consume(')'))
      return errorHere("expected ')'");
    return llvm::Error::success();
  }

  llvm::StringRef text;
  const PassRegistry &registry;
  size_t pos = 0;
};
} // namespace

llvm::Error qlc::parsePassPipeline(llvm::StringRef text,
                                   const PassRegistry &registry,
                                   std::vector<PipelineElement> &out) {
  if (text.trim().empty())
    return llvm::Error::success();
  return PipelineParser(text, registry).parse(out);
}
