# The shape of the Pyodide runtime bundle that workerd reads from its bundle disk cache.
# Written from the field list workerd expects (see ../shared/notes/offline-workerd.md);
# used by scripts/build_pyodide_bundle.py to write pyodide_dev.capnp.bin with `capnp eval`.
@0xd1a3da9a796f209a;

enum ModuleType {
  bundle @0;
  builtin @1;
  internal @2;
}

struct Module {
  name @0 :Text;
  union {
    src @1 :Data;
    wasm @4 :Data;
    data @5 :Data;
    json @6 :Text;
  }
  tsDeclaration @3 :Text;
  type @2 :ModuleType;
  compileCache @7 :Data;
}

struct Bundle {
  modules @0 :List(Module);
}
