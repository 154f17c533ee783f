#pragma once

#include <string>
#include <vector>

#include "cli/npy.h"
#include "kernels/kernels.h"

namespace tern::test {

inline std::string data(const std::string& rel) { return std::string(TERN_TEST_DATA) + "/" + rel; }
inline std::string blob(const std::string& name) { return std::string(TERN_TEST_BLOBS) + "/" + name; }

// ISAs this build has kernels for and this CPU runs; the others are reported as skipped.
std::vector<Isa> runnable_isas();

cli::NpyArray load_npy(const std::string& path);
std::vector<uint8_t> read_file(const std::string& path);

}  // namespace tern::test
