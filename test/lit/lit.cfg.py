# lit configuration for qlc's tool tests.
#
# Tests are .onnxtxt models (ONNX textual syntax) with RUN and CHECK lines in
# '#' comments, which ONNX's text parser skips; .test files hold tests that
# need no model.
import os

import lit.formats

config.name = "qlc"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".onnxtxt", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py",
                   "lit.site.cfg.py.in"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.qlc_obj_root, "test", "lit")

tools = {
    "qlc-opt": os.path.join(config.qlc_tools_dir, "qlc-opt", "qlc-opt"),
    "qlc-run": os.path.join(config.qlc_tools_dir, "qlc-run", "qlc-run"),
}
for name, path in tools.items():
    config.substitutions.append((r"\b%s\b" % name, path))
config.substitutions.append(("%qlc_src", config.qlc_src_root))
config.substitutions.append(("%fixtures",
                             os.path.join(config.qlc_src_root, "test",
                                          "fixtures")))
config.environment["PATH"] = os.pathsep.join(
    [config.llvm_tools_dir, config.environment.get("PATH", "")])
# Tests must not depend on the user's locale or colours.
config.environment["LC_ALL"] = "C"
config.environment.pop("TERM", None)
