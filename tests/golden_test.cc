// End-to-end against PyTorch: every checkpoint format of the fixtures, converted by tern-convert
// (CTest runs the conversions first), run on the fixture inputs, compared with the fp32 goldens
// and with PyTorch's own dynamic int8 error (meta.json). Once per ISA this machine can run.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tern/model.h"
#include "tern/session.h"
#include "test_util.h"

using namespace tern;
using namespace tern::test;

namespace {

struct Case {
  const char* fixture;   // tests/data/<fixture>
  const char* blob_stem; // blobs/<stem>_<format>_<weights>.tern
  std::vector<const char*> formats;
  const char* suffix;    // golden file suffix (torch encoder: the slow path, with padded rows)
};

const Case kBert{"bert_small", "bert", {"zip", "safetensors", "legacy", "oldstyle"}, ""};
const Case kTorch{"torch_encoder", "torch_encoder", {"zip", "safetensors", "legacy"}, "_slowpath"};
// Pre-norm, gelu, final encoder.norm (made by scripts/make_test_fixtures.py).
const Case kTorchPre{"torch_encoder_prenorm", "torch_encoder_prenorm", {"zip"}, ""};

std::unique_ptr<Session> run_case(const Model& model, const Case& c, Isa isa, bool all_outputs) {
  return run_fixture(model, c.fixture, isa, all_outputs);
}

std::unique_ptr<Model> load(const std::string& path) {
  auto m = Model::load(path.c_str());
  REQUIRE_MESSAGE(m.ok(), m.status().message());
  return std::move(m.value());
}

}  // namespace

TEST_SUITE("golden") {
  TEST_CASE("f32 weights: every format and output matches PyTorch fp32") {
    for (const Case* c : {&kBert, &kTorch, &kTorchPre})
      for (const char* format : c->formats)
        for (Isa isa : runnable_isas()) {
          const std::string name = std::string(c->blob_stem) + "_" + format + "_f32.tern";
          CAPTURE(name);
          CAPTURE(isa_name(isa));
          auto model = load(blob(name));
          const bool bert = c == &kBert;
          auto s = run_case(*model, *c, isa, bert);
          const std::string dir = data(std::string(c->fixture) + "/fp32/");
          for (const char* out : {"logits", "last_hidden_state", "pooler_output"}) {
            if (!bert && std::string(out) == "pooler_output") continue;
            auto ref = load_npy(dir + out + c->suffix + ".npy");
            check_close(output(*s, out, ref.floats.size()), ref.floats, out);
          }
          if (!bert) continue;
          auto hs = load_npy(dir + "hidden_states.npy");  // [L+1, B, T, H]
          auto at = load_npy(dir + "attentions.npy");     // [L, B, heads, T, T]
          const size_t L = size_t(at.shape[0]), hn = hs.floats.size() / (L + 1), an = at.floats.size() / L;
          for (size_t l = 0; l <= L; ++l) {
            std::vector<float> ref(hs.floats.begin() + long(l * hn), hs.floats.begin() + long((l + 1) * hn));
            check_close(output(*s, "hidden_states." + std::to_string(l), hn), ref, "hidden_states");
          }
          for (size_t l = 0; l < L; ++l) {
            std::vector<float> ref(at.floats.begin() + long(l * an), at.floats.begin() + long((l + 1) * an));
            check_close(output(*s, "attentions." + std::to_string(l), an), ref, "attentions");
          }
        }
  }

  TEST_CASE("int8 weights: no further from fp32 than PyTorch's dynamic int8, same argmax") {
    for (const Case* c : {&kBert, &kTorch, &kTorchPre}) {
      std::ifstream mf(data(std::string(c->fixture) + "/meta.json"));
      nlohmann::json meta = nlohmann::json::parse(mf);
      const auto& torch_err = meta["int8_onednn"]["err_vs_fp32"];
      for (const char* format : c->formats)
        for (Isa isa : runnable_isas()) {
          const std::string name = std::string(c->blob_stem) + "_" + format + "_int8.tern";
          CAPTURE(name);
          CAPTURE(isa_name(isa));
          auto model = load(blob(name));
          auto s = run_case(*model, *c, isa, false);
          const std::string dir = data(std::string(c->fixture) + "/fp32/");
          for (const char* out : {"logits", "last_hidden_state", "pooler_output"}) {
            if (c != &kBert && std::string(out) == "pooler_output") continue;
            const std::string key = std::string(out) + c->suffix;
            auto ref = load_npy(dir + key + ".npy");
            double ours = rel_l2(output(*s, out, ref.floats.size()), ref.floats);
            double theirs = torch_err[key]["rel_l2"].get<double>();
            CHECK_MESSAGE(ours <= theirs, std::string(out), ": tern int8 rel L2 ", ours, " > PyTorch int8 ", theirs);
            MESSAGE(name, " ", std::string(out), ": rel L2 ", ours, " (PyTorch int8 ", theirs, ")");
          }
          auto ref = load_npy(dir + std::string("logits") + c->suffix + ".npy");
          const float* got = output(*s, "logits", ref.floats.size());
          const size_t B = size_t(ref.shape[0]), C = size_t(ref.shape[1]);
          for (size_t b = 0; b < B; ++b) {
            size_t r = 0, g = 0;
            for (size_t j = 1; j < C; ++j) {
              if (ref.floats[b * C + j] > ref.floats[b * C + r]) r = j;
              if (got[b * C + j] > got[b * C + g]) g = j;
            }
            CHECK_MESSAGE(r == g, "argmax differs in row ", b);
          }
        }
    }
  }

  TEST_CASE("all checkpoint formats of a model convert to the same blob") {
    for (const char* w : {"int8", "f32"}) {
      auto first = read_file(blob(std::string("bert_zip_") + w + ".tern"));
      for (const char* f : {"safetensors", "legacy", "oldstyle", "sharded_safetensors", "sharded_bin"})
        CHECK_MESSAGE(read_file(blob(std::string("bert_") + f + "_" + w + ".tern")) == first, f);
    }
  }

  TEST_CASE("f16 and bf16 checkpoints, and f16 storage, stay close to fp32") {
    // name, rel L2 bound: the rounding of the stored weights (f16 ~5e-4, bf16 ~4e-3) propagated.
    const std::pair<const char*, double> cases[] = {
        {"bert_f16_safetensors_f32.tern", 2e-3}, {"bert_bf16_zip_f32.tern", 1e-2}, {"bert_zip_f16.tern", 2e-3}};
    for (const auto& c : cases) {
      const char* name = c.first;  // not a structured binding: CAPTURE's lambda takes it (clang)
      const double bound = c.second;
      CAPTURE(name);
      auto model = load(blob(name));
      auto s = run_case(*model, kBert, Isa::kRef, false);
      for (const char* out : {"logits", "last_hidden_state"}) {
        auto ref = load_npy(data(std::string("bert_small/fp32/") + out + ".npy"));
        CHECK(rel_l2(output(*s, out, ref.floats.size()), ref.floats) < bound);
      }
    }
  }

  TEST_CASE("results do not depend on the thread count, for every ISA") {
    // f32 weights: float Linears on XNNPACK (when built with it) as well as tern's kernels.
    for (const char* name : {"bert_zip_int8.tern", "bert_zip_f32.tern"}) {
    CAPTURE(name);
    auto model = load(blob(name));
    cli::NpyArray ids = load_npy(data("bert_small/inputs/input_ids.npy"));
    cli::NpyArray mask = load_npy(data("bert_small/inputs/attention_mask.npy"));
    cli::NpyArray types = load_npy(data("bert_small/inputs/token_type_ids.npy"));
    for (Isa isa : runnable_isas()) {
      CAPTURE(isa_name(isa));
      std::vector<float> first;
      for (size_t threads : {1, 2, 3}) {
        SessionOptions o;
        o.max_batch = 2;
        o.max_seq = 40;
        o.threads = threads;
        o.isa = isa;
        auto s = Session::create(*model, o);
        REQUIRE(s.ok());
        Inputs in{2, 40, ids.ints.data(), mask.ints.data(), types.ints.data()};
        REQUIRE(s.value()->run(in).ok());
        const float* h = s.value()->find_output("last_hidden_state")->data;
        if (first.empty()) first.assign(h, h + 2 * 40 * 64);
        for (size_t i = 0; i < first.size(); ++i) REQUIRE(first[i] == h[i]);
      }
    }
    }
  }

}
