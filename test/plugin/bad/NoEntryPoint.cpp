// A shared library that is not a qlc plugin.
extern "C" int notAPlugin() { return 42; }
