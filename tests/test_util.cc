#include "test_util.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <fstream>

namespace tern::test {

std::vector<Isa> runnable_isas() {
  static const std::vector<Isa> isas = [] {
    std::vector<Isa> found;
    for (Isa isa : kAllIsas) {
      KernelTable table;
      Status s = select_kernels(isa, &table);
      if (s.ok()) found.push_back(isa);
      else std::printf("[tern] skipped isa %s: %s\n", isa_name(isa), s.message());
    }
    return found;
  }();
  return isas;
}

cli::NpyArray load_npy(const std::string& path) {
  cli::NpyArray a;
  Status s = cli::read_npy(path, &a);
  REQUIRE_MESSAGE(s.ok(), s.message());
  return a;
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE_MESSAGE(f.good(), "cannot open ", path);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

std::unique_ptr<Session> run_fixture(const Model& model, const std::string& fixture, Isa isa, bool all_outputs) {
  const std::string in = data(fixture + "/inputs/");
  cli::NpyArray ids = load_npy(in + "input_ids.npy"), mask = load_npy(in + "attention_mask.npy"), types;
  const bool has_types = std::ifstream(in + "token_type_ids.npy").good();
  if (has_types) types = load_npy(in + "token_type_ids.npy");
  SessionOptions o;
  o.max_batch = size_t(ids.shape[0]);
  o.max_seq = size_t(ids.shape[1]);
  o.isa = isa;
  o.output_hidden_states = o.output_attentions = all_outputs;
  o.poison_scratch = true;
  auto session = Session::create(model, o);
  REQUIRE_MESSAGE(session.ok(), session.status().message());
  Inputs inputs;
  inputs.batch = o.max_batch;
  inputs.seq = o.max_seq;
  inputs.input_ids = ids.ints.data();
  inputs.attention_mask = mask.ints.data();
  inputs.token_type_ids = has_types ? types.ints.data() : nullptr;
  const Status s = session.value()->run(inputs);
  REQUIRE_MESSAGE(s.ok(), s.message());
  return std::move(session.value());
}

std::vector<float> slice(const cli::NpyArray& a, size_t i) {
  const size_t n = a.floats.size() / size_t(a.shape[0]);
  return std::vector<float>(a.floats.begin() + long(i * n), a.floats.begin() + long((i + 1) * n));
}

const float* output(const Session& s, const std::string& name, size_t expect_count) {
  const OutputTensor* t = const_cast<Session&>(s).find_output(name);
  REQUIRE_MESSAGE(t != nullptr, "no output ", name);
  size_t count = 1;
  for (int i = 0; i < t->rank; ++i) count *= size_t(t->shape[i]);
  REQUIRE(count == expect_count);
  return t->data;
}

void check_close(const float* got, const std::vector<float>& ref, const std::string& what) {
  float ref_max = 0, diff = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    ref_max = std::fmax(ref_max, std::fabs(ref[i]));
    diff = std::fmax(diff, std::fabs(ref[i] - got[i]));
  }
  const float tol = 1e-4f * std::fmax(1.0f, ref_max);
  CHECK_MESSAGE(diff <= tol, what, ": max |diff| ", diff, " > ", tol);
}

double rel_l2(const float* got, const std::vector<float>& ref) {
  double e = 0, r = 0;
  for (size_t i = 0; i < ref.size(); ++i) e += double(got[i] - ref[i]) * (got[i] - ref[i]), r += double(ref[i]) * ref[i];
  return std::sqrt(e / r);
}

}  // namespace tern::test
