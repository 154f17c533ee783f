// Float-weight Linears on XNNPACK: the path is taken (the session reports its operators' bytes),
// gives what tern's own float kernels give, and does not depend on the thread count.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "ops/xnnpack_linear.h"
#include "tern/model.h"
#include "tern/session.h"
#include "test_util.h"

using namespace tern;
using namespace tern::test;

namespace {

struct Case {
  const char* blob;
  const char* inputs;  // folder under tests/data with input_ids.npy, ...
  bool t5;
};

// Every output of one run, concatenated.
std::vector<float> run_all(const Model& model, const Case& c, bool xnnpack, size_t threads, size_t* operators) {
  cli::NpyArray ids = load_npy(data(std::string(c.inputs) + "/input_ids.npy"));
  cli::NpyArray mask = load_npy(data(std::string(c.inputs) + "/attention_mask.npy"));
  SessionOptions o;
  o.max_batch = size_t(ids.shape[0]);
  o.max_seq = size_t(ids.shape[1]);
  o.threads = threads;
  o.xnnpack = xnnpack;
  Inputs in{size_t(ids.shape[0]), size_t(ids.shape[1]), ids.ints.data(), mask.ints.data(), nullptr};
  cli::NpyArray dec;
  if (c.t5) {
    dec = load_npy(data(std::string(c.inputs) + "/decoder_input_ids.npy"));
    o.max_decoder_seq = size_t(dec.shape[1]);
    in.decoder_seq = size_t(dec.shape[1]);
    in.decoder_input_ids = dec.ints.data();
  }
  auto s = Session::create(model, o);
  REQUIRE(s.ok());
  *operators = s.value()->xnnpack_operators();
  CHECK((s.value()->xnnpack_bytes() > 0) == (*operators > 0));
  REQUIRE(s.value()->run(in).ok());
  std::vector<float> all;
  for (size_t i = 0; i < s.value()->num_outputs(); ++i) {
    const OutputTensor& t = s.value()->output(i);
    if (!t.data) continue;
    size_t n = 1;
    for (int d = 0; d < t.rank; ++d) n *= size_t(t.shape[d]);
    all.insert(all.end(), t.data, t.data + n);
  }
  return all;
}

}  // namespace

TEST_SUITE("xnnpack") {
  TEST_CASE("float Linears run on XNNPACK, match tern's float kernels, and ignore the thread count") {
    const Case cases[] = {
        {"bert_zip_f32.tern", "bert_small/inputs", false},
        {"bert_zip_f16.tern", "bert_small/inputs", false},
        {"torch_encoder_zip_f32.tern", "torch_encoder/inputs", false},  // ReLU FFN: epilogue as a pass
        {"t5_tiny_zip_f32.tern", "t5_tiny/inputs", true},
        {"t5_v11_tiny_zip_f32.tern", "t5_v11_tiny/inputs", true},       // gated FFN
    };
    for (const Case& c : cases) {
      CAPTURE(c.blob);
      auto model = Model::load(blob(c.blob).c_str());
      REQUIRE(model.ok());
      size_t ops = 0, ops_off = 0, ops_3 = 0;
      const std::vector<float> xnn = run_all(*model.value(), c, true, 1, &ops);
      const std::vector<float> tern = run_all(*model.value(), c, false, 1, &ops_off);
      const std::vector<float> xnn3 = run_all(*model.value(), c, true, 3, &ops_3);
      CHECK(ops_off == 0);
      CHECK(ops == ops_3);
      if (TERN_TEST_WITH_XNNPACK) CHECK(ops > 0);
      else CHECK(ops == 0);
      REQUIRE(xnn.size() == tern.size());
      REQUIRE(xnn.size() == xnn3.size());
      double err = 0, norm = 0;
      for (size_t i = 0; i < xnn.size(); ++i) {
        err = std::max(err, double(std::fabs(xnn[i] - tern[i])));
        norm = std::max(norm, double(std::fabs(tern[i])));
      }
      MESSAGE(std::string(c.blob), ": ", ops, " XNNPACK operators; largest difference from tern's kernels ", err,
              " (largest output ", norm, ")");
      CHECK(err <= 1e-4 * std::max(1.0, norm));
      for (size_t i = 0; i < xnn.size(); ++i) REQUIRE(xnn[i] == xnn3[i]);
    }
  }

  TEST_CASE("xnnpack_bytes() is what XNNPACK allocated: at least the packed f32 weights") {
    auto model = Model::load(blob("bert_zip_f16.tern").c_str());
    REQUIRE(model.ok());
    SessionOptions o;
    o.max_seq = 16;
    const size_t before = XnnpackLinears::allocations();
    auto s = Session::create(*model.value(), o);
    REQUIRE(s.ok());
    // bert_small's Linears: 2 layers of qkv [192, 64], out [64, 64], ffn [128, 64] and [64, 128],
    // pooler [64, 64], classifier [labels, 64]; f32 once packed, whatever the blob stores.
    const size_t weights = (2 * (192 * 64 + 64 * 64 + 128 * 64 + 64 * 128) + 64 * 64) * 4;
    MESSAGE("bert_small f16: ", s.value()->xnnpack_bytes(), " XNNPACK bytes for ", weights, " bytes of f32 weights");
    if (TERN_TEST_WITH_XNNPACK) {
      CHECK(XnnpackLinears::allocations() > before);  // through tern's allocator, so measured
      CHECK(s.value()->xnnpack_bytes() >= weights);
    } else {
      CHECK(s.value()->xnnpack_bytes() == 0);
    }
  }

  TEST_CASE("an int8 classifier makes XNNPACK operators for its float head only; an int8 T5 none") {
    auto bert = Model::load(blob("bert_zip_int8.tern").c_str());
    REQUIRE(bert.ok());
    SessionOptions o;
    o.max_seq = 16;
    auto s = Session::create(*bert.value(), o);
    REQUIRE(s.ok());
    CHECK(s.value()->xnnpack_operators() == (TERN_TEST_WITH_XNNPACK ? 2 : 0));  // pooler, classifier
    auto t5 = Model::load(blob("t5_tiny_zip_int8.tern").c_str());
    REQUIRE(t5.ok());
    auto g = Session::create(*t5.value(), o);
    REQUIRE(g.ok());
    CHECK(g.value()->xnnpack_operators() == 0);
    CHECK(g.value()->xnnpack_bytes() == 0);
  }
}
