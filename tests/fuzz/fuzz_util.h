// Shared by the fuzz targets: where the fixtures and the blobs converted from them are, and loading
// a fixture once per process. A fixture that cannot be loaded is a broken build, not a finding:
// the target stops with a message instead of fuzzing nothing.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "tern/model.h"

namespace tern::fuzz {

// tests/data (the fixtures the suite uses) and this build's blobs, converted from them at build time.
inline std::string data(const std::string& rel) { return std::string(TERN_FUZZ_DATA) + "/" + rel; }
inline std::string blob(const std::string& name) { return std::string(TERN_FUZZ_BLOBS) + "/" + name; }

[[noreturn]] inline void setup_failed(const std::string& what) {
  std::fprintf(stderr, "fuzz target setup: %s\n", what.c_str());
  std::abort();
}

// A model mapped from one of the blobs, alive for the whole process.
inline std::unique_ptr<Model> load_blob(const std::string& name) {
  Result<std::unique_ptr<Model>> m = Model::load(blob(name).c_str());
  if (!m.ok()) setup_failed(m.status().message());
  return std::move(m.value());
}

}  // namespace tern::fuzz
