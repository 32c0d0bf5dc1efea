//===- JsonPatternParser.cpp - Reading JSON rewrite patterns --------------===//
//
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Strict: an unknown key is an error (a typo must not silently weaken a
// pattern), and every capture the replacement reads must be defined by the
// source or by an earlier replacement node. Errors carry the JSON path of
// the offending element: "pattern 'p': source.inputs[1].op: ...".
//
//===----------------------------------------------------------------------===//

#include "JsonPatternSpec.h"

#include "qlc/Support/Error.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"

#include <cmath>

using namespace qlc;
using namespace qlc::json_patterns;
namespace json = llvm::json;

namespace {

class SpecParser {
public:
  explicit SpecParser(llvm::StringRef fileName) : fileName(fileName) {}

  llvm::Expected<std::vector<PatternSpec>> parse(llvm::StringRef text) {
    llvm::Expected<json::Value> root = json::parse(text);
    if (!root)
      return makeError(fileName +
                       ": malformed JSON: " + llvm::toString(root.takeError()));
    const json::Object *top = root->getAsObject();
    if (!top)
      return makeError(fileName + ": the top level must be an object");
    if (llvm::Error err = checkKeys(*top, {"qlc_patterns", "patterns"}, ""))
      return err;
    llvm::Optional<int64_t> version =
        top->get("qlc_patterns") ? top->get("qlc_patterns")->getAsInteger()
                                 : llvm::None;
    if (!version)
      return makeError(fileName + ": missing \"qlc_patterns\": 1 (the "
                                  "format version)");
    if (*version != 1)
      return makeError(fileName + ": format version " + llvm::Twine(*version) +
                       " is not supported (this qlc reads version 1)");
    const json::Array *list = top->getArray("patterns");
    if (!list)
      return makeError(fileName + ": \"patterns\" must be an array");
    std::vector<PatternSpec> specs;
    llvm::StringSet<> names;
    for (size_t i = 0; i < list->size(); ++i) {
      llvm::Expected<PatternSpec> spec =
          parsePattern((*list)[i], "patterns[" + std::to_string(i) + "]");
      if (!spec)
        return spec.takeError();
      if (!names.insert(spec->name).second)
        return makeError(fileName + ": pattern '" + spec->name +
                         "' is defined twice");
      specs.push_back(std::move(*spec));
    }
    return specs;
  }

private:
  llvm::Error error(const std::string &path, const llvm::Twine &message) {
    std::string where =
        patternName.empty() ? path : "pattern '" + patternName + "': " + path;
    return makeError(fileName + ": " + where + ": " + message);
  }

  llvm::Error checkKeys(const json::Object &o,
                        std::initializer_list<llvm::StringRef> allowed,
                        const std::string &path) {
    for (const auto &entry : o) {
      llvm::StringRef key = entry.first;
      if (!llvm::is_contained(allowed, key)) {
        std::string list;
        for (llvm::StringRef a : allowed)
          list += (list.empty() ? "" : ", ") + a.str();
        return error(path.empty() ? "top level" : path,
                     "unknown key '" + key + "' (expected one of: " + list +
                         ")");
      }
    }
    return llvm::Error::success();
  }

  llvm::Expected<bool> getBool(const json::Object &o, llvm::StringRef key,
                               const std::string &path) {
    const json::Value *v = o.get(key);
    if (!v)
      return false;
    if (llvm::Optional<bool> b = v->getAsBoolean())
      return *b;
    return error(path + "." + key.str(), "must be true or false");
  }

  llvm::Expected<std::string> getString(const json::Object &o,
                                        llvm::StringRef key,
                                        const std::string &path) {
    const json::Value *v = o.get(key);
    if (!v)
      return std::string();
    if (llvm::Optional<llvm::StringRef> s = v->getAsString())
      return s->str();
    return error(path + "." + key.str(), "must be a string");
  }

  /// Integral JSON numbers are ints; {"float": x} or a fraction is a float.
  llvm::Expected<Attribute> parseAttr(const json::Value &v,
                                      const std::string &path) {
    if (const json::Object *o = v.getAsObject()) {
      const json::Value *f = o->get("float");
      if (o->size() != 1 || !f || !f->getAsNumber())
        return error(path, "an attribute object must be {\"float\": number}");
      return Attribute::getFloat(static_cast<float>(*f->getAsNumber()));
    }
    if (llvm::Optional<llvm::StringRef> s = v.getAsString())
      return Attribute::getString(*s);
    if (llvm::Optional<double> d = v.getAsNumber()) {
      if (std::floor(*d) == *d && v.getAsInteger())
        return Attribute::getInt(*v.getAsInteger());
      return Attribute::getFloat(static_cast<float>(*d));
    }
    const json::Array *a = v.getAsArray();
    if (!a)
      return error(path, "an attribute must be a number, a string, "
                         "{\"float\": x} or an array of those");
    std::vector<int64_t> ints;
    std::vector<float> floats;
    std::vector<std::string> strings;
    bool anyFloat = false;
    for (const json::Value &e : *a) {
      if (llvm::Optional<llvm::StringRef> s = e.getAsString()) {
        strings.push_back(s->str());
      } else if (llvm::Optional<double> d = e.getAsNumber()) {
        anyFloat |= std::floor(*d) != *d;
        ints.push_back(static_cast<int64_t>(*d));
        floats.push_back(static_cast<float>(*d));
      } else {
        return error(path, "array attributes hold numbers or strings");
      }
    }
    if (!strings.empty() && !floats.empty())
      return error(path, "an array attribute mixes strings and numbers");
    if (!strings.empty())
      return Attribute::getStrings(strings);
    return anyFloat ? Attribute::getFloats(floats) : Attribute::getInts(ints);
  }

  llvm::Error defineCapture(const std::string &name, bool isNode,
                            const std::string &path) {
    if (name.empty())
      return llvm::Error::success();
    auto [it, inserted] = sourceCaptures.try_emplace(name, isNode);
    if (!inserted && it->second != isNode)
      return error(path,
                   "capture '" + name + "' names both a node and a value");
    return llvm::Error::success();
  }

  llvm::Expected<ValuePattern> parseValue(const json::Value &v,
                                          const std::string &path) {
    if (v.kind() == json::Value::Null)
      return ValuePattern();
    const json::Object *o = v.getAsObject();
    if (!o)
      return error(path, "an input must be an object or null");
    if (o->get("op")) {
      llvm::Expected<OpPattern> op = parseOp(*o, path);
      if (!op)
        return op.takeError();
      return ValuePattern(*op);
    }
    if (llvm::Error err = checkKeys(
            *o, {"capture", "constant", "scalar", "rank", "dtype", "optional"},
            path))
      return err;
    ValuePattern p;
    llvm::Expected<bool> isConst = getBool(*o, "constant", path);
    llvm::Expected<bool> scalar = getBool(*o, "scalar", path);
    llvm::Expected<bool> optional = getBool(*o, "optional", path);
    llvm::Expected<std::string> capture = getString(*o, "capture", path);
    llvm::Expected<std::string> dtype = getString(*o, "dtype", path);
    if (!isConst || !scalar || !optional || !capture || !dtype)
      return joinErrors(isConst, scalar, optional, capture, dtype);
    if (*isConst || *scalar)
      p.kind = ValuePattern::Kind::Constant;
    if (*scalar)
      p.where(
          [](const Value &val) {
            return val.getConstant() &&
                   val.getConstant()->getNumElements() == 1;
          },
          "one element");
    if (const json::Value *rank = o->get("rank")) {
      llvm::Optional<int64_t> r = rank->getAsInteger();
      if (!r || *r < 0)
        return error(path + ".rank", "must be a non-negative integer");
      int64_t want = *r;
      p.where(
          [want](const Value &val) {
            return val.getType().hasRank() && val.getType().getRank() == want;
          },
          "rank");
    }
    if (!dtype->empty()) {
      ElementType t = parseElementTypeName(*dtype);
      if (t == ElementType::Undefined)
        return error(path + ".dtype", "unknown element type '" + *dtype + "'");
      p.where([t](const Value &val) { return val.getElementType() == t; },
              "dtype");
    }
    if (*optional)
      p.orAbsent();
    p.as(*capture);
    if (llvm::Error err = defineCapture(*capture, false, path))
      return err;
    return p;
  }

  static llvm::Error joinErrors(llvm::Expected<bool> &a,
                                llvm::Expected<bool> &b,
                                llvm::Expected<bool> &c,
                                llvm::Expected<std::string> &d,
                                llvm::Expected<std::string> &e) {
    llvm::Error all = llvm::Error::success();
    if (!a)
      all = llvm::joinErrors(std::move(all), a.takeError());
    if (!b)
      all = llvm::joinErrors(std::move(all), b.takeError());
    if (!c)
      all = llvm::joinErrors(std::move(all), c.takeError());
    if (!d)
      all = llvm::joinErrors(std::move(all), d.takeError());
    if (!e)
      all = llvm::joinErrors(std::move(all), e.takeError());
    return all;
  }

  llvm::Expected<OpPattern> parseOp(const json::Object &o,
                                    const std::string &path) {
    if (llvm::Error err =
            checkKeys(o,
                      {"op", "domain", "capture", "attrs", "inputs",
                       "exact_inputs", "commutative", "allow_external_uses"},
                      path))
      return err;
    OpPattern p;
    const json::Value *op = o.get("op");
    if (llvm::Optional<llvm::StringRef> s = op->getAsString()) {
      p.types.push_back(s->str());
    } else if (const json::Array *a = op->getAsArray()) {
      for (const json::Value &t : *a) {
        if (!t.getAsString())
          return error(path + ".op", "op types must be strings");
        p.types.push_back(t.getAsString()->str());
      }
    }
    if (p.types.empty())
      return error(path + ".op", "must be an op type or a non-empty array");
    llvm::Expected<std::string> domain = getString(o, "domain", path);
    llvm::Expected<std::string> capture = getString(o, "capture", path);
    llvm::Expected<bool> exact = getBool(o, "exact_inputs", path);
    llvm::Expected<bool> commutative = getBool(o, "commutative", path);
    llvm::Expected<bool> external = getBool(o, "allow_external_uses", path);
    if (!domain || !capture || !exact || !commutative || !external)
      return joinErrors(exact, commutative, external, domain, capture);
    p.domain = *domain;
    if (*exact)
      p.exactOperands();
    if (*commutative)
      p.commutative();
    if (*external)
      p.allowExternalUses();
    if (const json::Value *attrs = o.get("attrs")) {
      const json::Object *ao = attrs->getAsObject();
      if (!ao)
        return error(path + ".attrs", "must be an object");
      for (const auto &[key, value] : *ao) {
        std::string apath = path + ".attrs." + key.str();
        const json::Object *vo = value.getAsObject();
        if (vo && vo->get("equals_or_absent")) {
          if (vo->size() != 1)
            return error(apath, "{\"equals_or_absent\": value} takes one key");
          llvm::Expected<Attribute> a =
              parseAttr(*vo->get("equals_or_absent"), apath);
          if (!a)
            return a.takeError();
          p.attrEqualsOrAbsent(key, *a);
          continue;
        }
        llvm::Expected<Attribute> a = parseAttr(value, apath);
        if (!a)
          return a.takeError();
        p.attrEquals(key, *a);
      }
    }
    if (const json::Value *inputs = o.get("inputs")) {
      const json::Array *list = inputs->getAsArray();
      if (!list)
        return error(path + ".inputs", "must be an array");
      for (size_t i = 0; i < list->size(); ++i) {
        if ((*list)[i].kind() == json::Value::Null)
          continue; // unconstrained
        llvm::Expected<ValuePattern> v =
            parseValue((*list)[i], path + ".inputs[" + std::to_string(i) + "]");
        if (!v)
          return v.takeError();
        p.operand(static_cast<unsigned>(i), std::move(*v));
      }
    }
    p.as(*capture);
    if (llvm::Error err = defineCapture(*capture, true, path))
      return err;
    return p;
  }

  llvm::Expected<ReplacementNode> parseReplacement(const json::Value &v,
                                                   const std::string &path) {
    const json::Object *o = v.getAsObject();
    if (!o)
      return error(path, "a replacement node must be an object");
    if (llvm::Error err = checkKeys(
            *o, {"op", "domain", "inputs", "attrs", "copy_attrs", "capture"},
            path))
      return err;
    ReplacementNode n;
    const json::Value *op = o->get("op");
    if (!op)
      return error(path, "missing \"op\"");
    if (llvm::Optional<llvm::StringRef> s = op->getAsString()) {
      n.opType = s->str();
    } else if (const json::Object *same = op->getAsObject()) {
      const json::Value *ref = same->get("same_as");
      if (same->size() != 1 || !ref || !ref->getAsString())
        return error(path + ".op",
                     "must be a string or {\"same_as\": capture}");
      n.sameAs = ref->getAsString()->str();
      if (llvm::Error err = requireSourceNode(n.sameAs, path + ".op.same_as"))
        return err;
    } else {
      return error(path + ".op", "must be a string or {\"same_as\": capture}");
    }
    llvm::Expected<std::string> domain = getString(*o, "domain", path);
    llvm::Expected<std::string> copy = getString(*o, "copy_attrs", path);
    llvm::Expected<std::string> capture = getString(*o, "capture", path);
    if (!domain)
      return domain.takeError();
    if (!copy)
      return copy.takeError();
    if (!capture)
      return capture.takeError();
    n.domain = *domain;
    n.domainSet = o->get("domain") != nullptr;
    n.copyAttrs = *copy;
    if (!n.copyAttrs.empty())
      if (llvm::Error err =
              requireSourceNode(n.copyAttrs, path + ".copy_attrs"))
        return err;
    if (capture->empty())
      return error(path, "missing \"capture\" (the name of the new value)");
    if (sourceCaptures.count(*capture) || replacementCaptures.count(*capture))
      return error(path + ".capture",
                   "capture '" + *capture + "' is already defined");
    n.capture = *capture;
    if (const json::Value *inputs = o->get("inputs")) {
      const json::Array *list = inputs->getAsArray();
      if (!list)
        return error(path + ".inputs", "must be an array of capture names");
      for (size_t i = 0; i < list->size(); ++i) {
        llvm::Optional<llvm::StringRef> ref = (*list)[i].getAsString();
        std::string ipath = path + ".inputs[" + std::to_string(i) + "]";
        if (!ref)
          return error(ipath, "must be a capture name (\"\" for none)");
        if (!ref->empty() && !sourceCaptures.count(*ref) &&
            !replacementCaptures.count(*ref))
          return error(ipath, "unknown capture '" + *ref + "'");
        n.inputs.push_back(ref->str());
      }
    }
    if (const json::Value *attrs = o->get("attrs")) {
      const json::Object *ao = attrs->getAsObject();
      if (!ao)
        return error(path + ".attrs", "must be an object");
      std::vector<std::string> keys;
      for (const auto &entry : *ao)
        keys.push_back(entry.first.str());
      llvm::sort(keys);
      for (const std::string &key : keys) {
        llvm::Expected<Attribute> a =
            parseAttr(*ao->get(key), path + ".attrs." + key);
        if (!a)
          return a.takeError();
        n.attrs.push_back({key, *a});
      }
    }
    replacementCaptures.insert(n.capture);
    return n;
  }

  llvm::Error requireSourceNode(const std::string &name,
                                const std::string &path) {
    auto it = sourceCaptures.find(name);
    if (it == sourceCaptures.end())
      return error(path, "unknown source capture '" + name + "'");
    if (!it->second)
      return error(path, "capture '" + name + "' is a value, not a node");
    return llvm::Error::success();
  }

  llvm::Expected<PatternSpec> parsePattern(const json::Value &v,
                                           const std::string &path) {
    patternName.clear();
    sourceCaptures.clear();
    replacementCaptures.clear();
    const json::Object *o = v.getAsObject();
    if (!o)
      return error(path, "a pattern must be an object");
    PatternSpec spec;
    llvm::Expected<std::string> name = getString(*o, "name", path);
    if (!name)
      return name.takeError();
    if (name->empty())
      return error(path, "missing \"name\"");
    spec.name = patternName = *name;
    if (llvm::Error err =
            checkKeys(*o, {"name", "benefit", "source", "replace"}, ""))
      return err;
    if (const json::Value *b = o->get("benefit")) {
      llvm::Optional<int64_t> benefit = b->getAsInteger();
      if (!benefit || *benefit < 0)
        return error("benefit", "must be a non-negative integer");
      spec.benefit = static_cast<unsigned>(*benefit);
    }
    const json::Object *source = o->getObject("source");
    if (!source || !source->get("op"))
      return error("source", "must be an op object (with \"op\")");
    llvm::Expected<OpPattern> op = parseOp(*source, "source");
    if (!op)
      return op.takeError();
    spec.source = std::move(*op);
    const json::Object *replace = o->getObject("replace");
    if (!replace)
      return error("replace", "must be an object with \"nodes\" and "
                              "\"results\"");
    if (llvm::Error err = checkKeys(*replace, {"nodes", "results"}, "replace"))
      return err;
    const json::Array *nodes = replace->getArray("nodes");
    if (!nodes)
      return error("replace.nodes", "must be an array");
    for (size_t i = 0; i < nodes->size(); ++i) {
      llvm::Expected<ReplacementNode> n = parseReplacement(
          (*nodes)[i], "replace.nodes[" + std::to_string(i) + "]");
      if (!n)
        return n.takeError();
      spec.nodes.push_back(std::move(*n));
    }
    const json::Object *results = replace->getObject("results");
    if (!results || results->empty())
      return error("replace.results",
                   "must map at least one source node capture to a "
                   "replacement capture");
    for (const auto &[key, value] : *results) {
      std::string rpath = "replace.results." + key.str();
      if (llvm::Error err = requireSourceNode(key.str(), rpath))
        return err;
      llvm::Optional<llvm::StringRef> to = value.getAsString();
      if (!to ||
          (!replacementCaptures.count(*to) && !sourceCaptures.count(*to)))
        return error(rpath, "must name a capture of the replacement or the "
                            "source");
      spec.results[key.str()] = to->str();
    }
    return spec;
  }

  std::string fileName;
  std::string patternName;
  llvm::StringMap<bool> sourceCaptures; // name -> is a node
  llvm::StringSet<> replacementCaptures;
};

} // namespace

llvm::Expected<std::vector<PatternSpec>>
qlc::json_patterns::parseSpecs(llvm::StringRef json, llvm::StringRef fileName) {
  return SpecParser(fileName).parse(json);
}
