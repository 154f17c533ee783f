#pragma once

#include <string>
#include <vector>

#include "cli/npy.h"
#include "kernels/kernels.h"
#include "tern/session.h"

namespace tern::test {

inline std::string data(const std::string& rel) { return std::string(TERN_TEST_DATA) + "/" + rel; }
inline std::string blob(const std::string& name) { return std::string(TERN_TEST_BLOBS) + "/" + name; }

// ISAs this build has kernels for and this CPU runs; the others are reported as skipped.
std::vector<Isa> runnable_isas();

cli::NpyArray load_npy(const std::string& path);

// Entry i of an array stacked on its first axis (hidden_states [L+1, ...]).
std::vector<float> slice(const cli::NpyArray& a, size_t i);
// A session run on a fixture's inputs (tests/data/<fixture>/inputs: input_ids, attention_mask and,
// when the fixture has them, token_type_ids), batch and length as the fixture's, scratch poisoned
// (SessionOptions::poison_scratch): a read of memory the run did not write shows as NaN.
std::unique_ptr<Session> run_fixture(const Model& model, const std::string& fixture, Isa isa, bool all_outputs);
// A session output's data, required to exist with expect_count elements.
const float* output(const Session& s, const std::string& name, size_t expect_count);
// Checks every |got - ref| <= 1e-4 * max(1, max |ref|).
void check_close(const float* got, const std::vector<float>& ref, const std::string& what);
// ||got - ref|| / ||ref||.
double rel_l2(const float* got, const std::vector<float>& ref);
std::vector<uint8_t> read_file(const std::string& path);

}  // namespace tern::test
