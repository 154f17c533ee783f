// Encoder-decoders against their references. T5 against Hugging Face: encoder and teacher-forced
// decoder outputs, and generate() sequences (greedy, no_repeat_ngram, beam search, all beams) token
// for token, for every checkpoint format. The torch nn.Transformer seq2seq model against PyTorch.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tasks/model_impl.h"
#include "tern/model.h"
#include "tern/session.h"
#include "tern/tasks.h"
#include "test_util.h"

using namespace tern;
using namespace tern::test;

namespace {

// v1.0 (ReLU, tied), v1.1 (gated-gelu: the tanh GELU, untied), "gelu" (the erf GELU, tied) and
// gated-silu (untied).
const char* const kCases[] = {"t5_tiny", "t5_v11_tiny", "t5_gelu", "t5_gated_silu"};

std::vector<std::string> formats(const std::string& c) {
  if (c == "t5_tiny") return {"zip", "safetensors", "legacy", "oldstyle"};
  if (c == "t5_v11_tiny") return {"zip", "safetensors", "legacy"};
  return {"zip", "safetensors"};
}

std::unique_ptr<Model> load(const std::string& name) {
  auto m = Model::load(blob(name).c_str());
  REQUIRE_MESSAGE(m.ok(), m.status().message());
  return std::move(m.value());
}

struct Fixture {
  cli::NpyArray ids, mask, dec_ids, dec_mask;
  explicit Fixture(const std::string& c)
      : ids(load_npy(data(c + "/inputs/input_ids.npy"))),
        mask(load_npy(data(c + "/inputs/attention_mask.npy"))),
        dec_ids(load_npy(data(c + "/inputs/decoder_input_ids.npy"))),
        dec_mask(load_npy(data(c + "/inputs/decoder_attention_mask.npy"))) {}
  size_t batch() const { return size_t(ids.shape[0]); }
  size_t seq() const { return size_t(ids.shape[1]); }
};

std::unique_ptr<Session> session(const Model& m, const Fixture& f, Isa isa, size_t beams, bool hidden) {
  SessionOptions o;
  o.max_batch = f.batch();
  o.max_seq = f.seq();
  o.max_new_tokens = 20;
  o.max_decoder_seq = size_t(f.dec_ids.shape[1]);
  o.poison_scratch = true;  // a read of memory this run did not write shows as NaN
  o.max_beams = beams;
  o.isa = isa;
  o.output_hidden_states = hidden;
  auto s = Session::create(m, o);
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  return std::move(s.value());
}

Status run_teacher_forced(Session& s, const Fixture& f) {
  Inputs in;
  in.batch = f.batch();
  in.seq = f.seq();
  in.input_ids = f.ids.ints.data();
  in.attention_mask = f.mask.ints.data();
  in.decoder_seq = size_t(f.dec_ids.shape[1]);
  in.decoder_input_ids = f.dec_ids.ints.data();
  in.decoder_attention_mask = f.dec_mask.ints.data();
  return s.run(in);
}

void check_close(const Session& s, const std::string& name, const std::vector<float>& ref) {
  test::check_close(output(s, name, ref.size()), ref, name);
}

void check_generation(Session& s, const Fixture& f, const std::string& dir, const char* golden,
                      GenerationOptions o) {
  CAPTURE(golden);
  Status st = s.generate(f.ids.ints.data(), f.mask.ints.data(), f.batch(), f.seq(), o);
  REQUIRE_MESSAGE(st.ok(), st.message());
  const Generated& g = s.generated();
  auto ref = load_npy(dir + golden + ".npy");
  REQUIRE(g.sequences == size_t(ref.shape[0]));
  REQUIRE(g.length == size_t(ref.shape[1]));
  for (size_t i = 0; i < ref.ints.size(); ++i) REQUIRE_MESSAGE(g.tokens[i] == ref.ints[i], "token ", i);
  if (o.num_beams > 1) {
    auto scores = load_npy(dir + golden + "_scores.npy");
    for (size_t i = 0; i < g.sequences; ++i) CHECK(std::fabs(g.scores[i] - scores.floats[i]) <= 1e-4f);
  }
}

// A token stream that records what it is told, (sequence, token) in call order, and cancels
// after `cancel_after` calls.
struct Recorder {
  std::vector<std::pair<size_t, int32_t>> calls;
  size_t cancel_after = SIZE_MAX;
  static bool on_token(void* self, size_t sequence, int32_t token) {
    Recorder& r = *static_cast<Recorder*>(self);
    r.calls.emplace_back(sequence, token);
    return r.calls.size() < r.cancel_after;
  }
  TokenStream stream() { return TokenStream{&on_token, this}; }
};

struct Call {
  size_t sequence;
  int32_t token;
  size_t step;  // the token's position in its row
};

std::vector<int32_t> tokens_of(const Generated& g) { return std::vector<int32_t>(g.tokens, g.tokens + g.sequences * g.length); }

// The calls a stream must get for the finished result `tokens` [sequences, length], as
// tern/generation.h says: greedy and sampling step by step, row by row, each row up to its eos;
// beam search row by row, each up to its eos.
std::vector<Call> expected_calls(const std::vector<int32_t>& tokens, size_t sequences, size_t length, int32_t eos,
                                 bool beams) {
  std::vector<Call> calls;
  auto row_until_eos = [&](size_t i, size_t t) {  // is token t of row i reported?
    for (size_t u = 1; u < t; ++u)
      if (tokens[i * length + u] == eos) return false;
    return true;
  };
  if (beams) {
    for (size_t i = 0; i < sequences; ++i)
      for (size_t t = 1; t < length && row_until_eos(i, t); ++t) calls.push_back({i, tokens[i * length + t], t});
  } else {
    for (size_t t = 1; t < length; ++t)
      for (size_t i = 0; i < sequences; ++i)
        if (row_until_eos(i, t)) calls.push_back({i, tokens[i * length + t], t});
  }
  return calls;
}

// Streaming gives exactly the non-streamed result, token by token, in the documented order; a stream
// that cancels after k tokens gets k, and generated() keeps what was produced: greedy and sampling
// exactly the reported tokens (pad elsewhere), beam search its whole result.
void check_streaming(Session& s, const ModelInfo& info, const int64_t* ids, const int64_t* mask, size_t batch,
                     size_t seq, const GenerationOptions& o) {
  const bool beams = o.num_beams > 1;
  CAPTURE(beams);
  CAPTURE(o.do_sample);
  Status st = s.generate(ids, mask, batch, seq, o);
  REQUIRE_MESSAGE(st.ok(), st.message());
  const size_t sequences = s.generated().sequences, length = s.generated().length;
  const std::vector<int32_t> plain = tokens_of(s.generated());
  const std::vector<Call> expected = expected_calls(plain, sequences, length, info.eos_token_id, beams);
  Recorder all;
  st = s.generate(ids, mask, batch, seq, o, all.stream());
  REQUIRE_MESSAGE(st.ok(), st.message());
  CHECK(tokens_of(s.generated()) == plain);
  REQUIRE(all.calls.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    CHECK(all.calls[i].first == expected[i].sequence);
    CHECK(all.calls[i].second == expected[i].token);
  }
  for (size_t k : {size_t(1), size_t(3), expected.size() / 2 + 1}) {
    if (k > expected.size()) continue;
    CAPTURE(k);
    Recorder some;
    some.cancel_after = k;
    CHECK(s.generate(ids, mask, batch, seq, o, some.stream()).code() == Code::kCancelled);
    REQUIRE(some.calls.size() == k);
    for (size_t i = 0; i < k; ++i) CHECK(some.calls[i] == all.calls[i]);
    const Generated& g = s.generated();
    if (beams) {
      CHECK(tokens_of(g) == plain);
      continue;
    }
    const size_t kept = expected[k - 1].step + 1;  // the start token and the steps run
    std::vector<int32_t> rows(sequences * kept, info.pad_token_id);
    for (size_t i = 0; i < sequences; ++i) rows[i * kept] = info.decoder_start_token_id;
    for (size_t i = 0; i < k; ++i) rows[expected[i].sequence * kept + expected[i].step] = expected[i].token;
    REQUIRE(g.sequences == sequences);
    REQUIRE(g.length == kept);
    CHECK(tokens_of(g) == rows);
  }
}

}  // namespace

TEST_SUITE("t5") {
  TEST_CASE("f32: encoder, teacher-forced decoder and hidden states match PyTorch") {
    for (const char* c : kCases)
      for (const std::string& format : formats(c))
        for (Isa isa : runnable_isas()) {
          CAPTURE(c);
          CAPTURE(format);
          const Fixture f(c);
          auto model = load(std::string(c) + "_" + format + "_f32.tern");
          auto s = session(*model, f, isa, 1, true);
          Status st = run_teacher_forced(*s, f);
          REQUIRE_MESSAGE(st.ok(), st.message());
          const std::string dir = data(std::string(c) + "/fp32/");
          check_close(*s, "encoder_last_hidden_state", load_npy(dir + "encoder_last_hidden_state.npy").floats);
          check_close(*s, "logits", load_npy(dir + "decoder_logits.npy").floats);
          auto eh = load_npy(dir + "encoder_hidden_states.npy"), dh = load_npy(dir + "decoder_hidden_states.npy");
          for (size_t l = 0; l < size_t(eh.shape[0]); ++l) check_close(*s, "encoder_hidden_states." + std::to_string(l), slice(eh, l));
          for (size_t l = 0; l < size_t(dh.shape[0]); ++l) check_close(*s, "decoder_hidden_states." + std::to_string(l), slice(dh, l));
        }
  }

  TEST_CASE("f32: generate() is token-identical to Hugging Face's") {
    for (const char* c : kCases)
      for (Isa isa : runnable_isas()) {
        CAPTURE(c);
        const Fixture f(c);
        auto model = load(std::string(c) + "_zip_f32.tern");
        auto s = session(*model, f, isa, 4, false);
        const std::string dir = data(std::string(c) + "/fp32/");
        GenerationOptions o;
        o.max_new_tokens = 20;
        check_generation(*s, f, dir, "greedy_sequences", o);
        o.no_repeat_ngram_size = 3;
        check_generation(*s, f, dir, "greedy_nrng3_sequences", o);
        o.num_beams = 4;
        o.length_penalty = 2.0f;
        check_generation(*s, f, dir, "beam_sequences", o);
        o.num_return_sequences = 4;
        check_generation(*s, f, dir, "beam_all_sequences", o);
      }
  }

  TEST_CASE("streaming: the same tokens as without, token by token; a stream cancels") {
    for (const char* c : kCases)
      for (const char* w : {"f32", "int8"}) {
        CAPTURE(c);
        CAPTURE(w);
        const Fixture f(c);
        auto model = load(std::string(c) + "_zip_" + w + ".tern");
        auto s = session(*model, f, Isa::kAuto, 4, false);
        GenerationOptions o;
        o.max_new_tokens = 20;
        check_streaming(*s, model->info(), f.ids.ints.data(), f.mask.ints.data(), f.batch(), f.seq(), o);
        GenerationOptions sampled = o;
        sampled.do_sample = true;
        sampled.temperature = 1.5f;
        sampled.top_k = 50;
        sampled.top_p = 0.9f;
        sampled.seed = 7;
        check_streaming(*s, model->info(), f.ids.ints.data(), f.mask.ints.data(), f.batch(), f.seq(), sampled);
        o.num_beams = 4;
        o.num_return_sequences = 2;
        check_streaming(*s, model->info(), f.ids.ints.data(), f.mask.ints.data(), f.batch(), f.seq(), o);
      }
  }

  TEST_CASE("int8: no further from fp32 than PyTorch's dynamic int8") {
    for (const char* c : kCases)
      for (Isa isa : runnable_isas()) {
        CAPTURE(c);
        std::ifstream mf(data(std::string(c) + "/meta.json"));
        const nlohmann::json torch_err = nlohmann::json::parse(mf)["int8_onednn"]["err_vs_fp32"];
        const Fixture f(c);
        auto model = load(std::string(c) + "_zip_int8.tern");
        auto s = session(*model, f, isa, 1, false);
        REQUIRE(run_teacher_forced(*s, f).ok());
        const std::string dir = data(std::string(c) + "/fp32/");
        const std::pair<const char*, const char*> outs[] = {{"encoder_last_hidden_state", "encoder_last_hidden_state"},
                                                            {"logits", "decoder_logits"}};
        for (const auto& [ours, ref] : outs) {
          double err = rel_l2(s->find_output(ours)->data, load_npy(dir + ref + ".npy").floats);
          double theirs = torch_err[ref]["rel_l2"].get<double>();
          MESSAGE(std::string(c), " ", std::string(ours), ": rel L2 ", err, " (PyTorch int8 ", theirs, ")");
          CHECK(err <= theirs);
        }
      }
  }

  TEST_CASE("generation allocates nothing; limits are errors") {
    const Fixture f("t5_tiny");
    auto model = load("t5_tiny_zip_int8.tern");
    auto s = session(*model, f, Isa::kRef, 4, false);
    GenerationOptions o;
    o.max_new_tokens = 21;  // planned 20
    CHECK(s->generate(f.ids.ints.data(), f.mask.ints.data(), f.batch(), f.seq(), o).code() == Code::kInvalidArgument);
    o.max_new_tokens = 20;
    o.num_beams = 5;  // planned 4
    CHECK(s->generate(f.ids.ints.data(), f.mask.ints.data(), f.batch(), f.seq(), o).code() == Code::kInvalidArgument);
    o.num_beams = 1;
    CHECK(s->generate(f.ids.ints.data(), f.mask.ints.data(), f.batch(), f.seq() + 1, o).code() == Code::kResourceExhausted);
    std::vector<int64_t> bad = f.ids.ints;
    bad[3] = 1100;
    CHECK(s->generate(bad.data(), f.mask.ints.data(), f.batch(), f.seq(), o).code() == Code::kInvalidArgument);
  }
}

TEST_SUITE("t5") {
  TEST_CASE("text in, text out: the fixture's source texts give the golden greedy tokens") {
    for (const char* c : kCases) {
      CAPTURE(c);
      std::ifstream mf(data(std::string(c) + "/meta.json"));
      const nlohmann::json meta = nlohmann::json::parse(mf);
      std::vector<std::string> sources = meta["inputs"]["sources"];
      std::vector<std::string_view> texts(sources.begin(), sources.end());
      auto model = load(std::string(c) + "_safetensors_f32.tern");
      SessionOptions o;
      o.max_batch = texts.size();
      o.max_seq = 64;
      o.max_new_tokens = 20;
      auto s = Session::create(*model, o);
      REQUIRE(s.ok());
      GenerationOptions g;
      g.max_new_tokens = 20;
      Status st = s.value()->generate(texts.data(), texts.size(), g);
      REQUIRE_MESSAGE(st.ok(), st.message());
      const Generated& out = s.value()->generated();
      auto ref = load_npy(data(std::string(c) + "/fp32/greedy_sequences.npy"));
      REQUIRE(out.length == size_t(ref.shape[1]));
      for (size_t i = 0; i < ref.ints.size(); ++i) REQUIRE(out.tokens[i] == ref.ints[i]);
      // meta.json decoded with skip_special_tokens=False
      if (meta.contains("fp32_decoded") && meta["fp32_decoded"].contains("greedy")) {
        const auto& decoded = meta["fp32_decoded"]["greedy"];
        for (size_t i = 0; i < texts.size(); ++i)
          CHECK(model->decode(out.tokens + i * out.length, out.length, false) == decoded[i].get<std::string>());
      }
      // The task object streams the same tokens from texts.
      auto generator = Generator::create(*model, o);
      REQUIRE(generator.ok());
      Recorder r;
      REQUIRE(generator.value()->generate(texts.data(), texts.size(), g, r.stream()).ok());
      CHECK(tokens_of(generator.value()->generated()) == tokens_of(out));
      const std::vector<Call> expected =
          expected_calls(tokens_of(out), out.sequences, out.length, model->info().eos_token_id, false);
      REQUIRE(r.calls.size() == expected.size());
      for (size_t i = 0; i < expected.size(); ++i) CHECK(r.calls[i] == std::make_pair(expected[i].sequence, expected[i].token));
    }
  }
}

TEST_SUITE("t5") {
  TEST_CASE("d_kv * heads != d_model, deeper decoder, config's buckets/distance, gated, untied") {
    auto model = load("t5_inner_f32.tern");
    const Seq2SeqConfig& c = model->impl().seq2seq;
    REQUIRE(c.d_kv * c.num_heads != c.d_model);
    REQUIRE(c.num_decoder_layers != c.num_layers);
    auto ids = load_npy(data("t5_inner/inputs/input_ids.npy"));
    auto mask = load_npy(data("t5_inner/inputs/attention_mask.npy"));
    for (Isa isa : runnable_isas()) {
      CAPTURE(isa_name(isa));
      SessionOptions o;
      o.max_batch = 2;
      o.max_seq = size_t(ids.shape[1]);
      o.max_new_tokens = 15;
      o.isa = isa;
      auto s = Session::create(*model, o);
      REQUIRE(s.ok());
      Inputs in{2, size_t(ids.shape[1]), ids.ints.data(), mask.ints.data()};
      REQUIRE(s.value()->run(in).ok());
      check_close(*s.value(), "encoder_last_hidden_state", load_npy(data("t5_inner/fp32/encoder_last_hidden_state.npy")).floats);
      GenerationOptions g;
      g.max_new_tokens = 15;
      REQUIRE(s.value()->generate(ids.ints.data(), mask.ints.data(), 2, size_t(ids.shape[1]), g).ok());
      auto ref = load_npy(data("t5_inner/fp32/greedy_sequences.npy"));
      const Generated& out = s.value()->generated();
      REQUIRE(out.length == size_t(ref.shape[1]));
      for (size_t i = 0; i < ref.ints.size(); ++i) REQUIRE(out.tokens[i] == ref.ints[i]);
    }
  }

  TEST_CASE("task_specific_params are kept and chosen by the input's prefix") {
    auto model = load("t5_inner_f32.tern");
    SessionOptions o;
    o.max_new_tokens = 64;
    o.max_beams = 8;
    auto s = Session::create(*model, o);
    REQUIRE(s.ok());
    const GenerationOptions task = s.value()->generation_defaults("translate English to German: Hello");
    CHECK(task.num_beams == 3);
    CHECK(task.max_new_tokens == 11);  // max_length 12 counts the decoder start token
    CHECK(task.early_stopping);
    const GenerationOptions plain = s.value()->generation_defaults("summarize: Hello");
    CHECK(plain.num_beams == 1);
    CHECK(plain.max_new_tokens == 19);  // Hugging Face's default max_length 20
  }

  TEST_CASE("a session larger than the address space is refused, never planned with wrapped sizes") {
    auto model = load("t5_tiny_zip_int8.tern");
    SessionOptions o;
    o.max_batch = 4096;
    o.max_new_tokens = 65536;
    o.max_beams = 64;
    const Seq2SeqConfig& c = model->impl().seq2seq;
    // The self-attention KV cache alone: layers x batch x beams x positions x (K, V) x inner floats.
    const uint64_t kv_cache = uint64_t(c.num_decoder_layers) * 4096 * 64 * 65537 * 2 * uint64_t(c.d_kv) *
                              uint64_t(c.num_heads) * 4;
    auto need = Session::required_arena_bytes(*model, o);
    if (kv_cache > SIZE_MAX) {  // 32-bit targets
      CHECK(need.status().code() == Code::kResourceExhausted);
      CHECK(Session::create(*model, o).status().code() == Code::kResourceExhausted);
    } else {
      REQUIRE(need.ok());
      CHECK(need.value() >= kv_cache);
    }
  }
}

// The torch nn.Transformer seq2seq model of PyTorch's translation tutorial, token ids in and out:
// the shared fixture (post-norm, ReLU, a [max_len, d_model] position buffer, bare embeddings) and one
// made here by scripts/make_torch_seq2seq_prenorm.py (pre-norm, GELU, the tutorial's own module
// layout: [max_len, 1, d_model] buffer, TokenEmbedding's `.embedding`; no eos in its greedy run).
struct TorchCase {
  const char* name;
  std::vector<const char*> formats;
  int max_new_tokens;  // of its greedy golden
  double torch_int8_err(const char* output) const {
    std::ifstream mf(data(std::string(name) + "/meta.json"));
    const nlohmann::json meta = nlohmann::json::parse(mf);
    if (meta.contains("int8_onednn")) return meta["int8_onednn"]["err_vs_fp32"][output]["rel_l2"].get<double>();
    return meta["int8_dynamic_rel_l2"][output].get<double>();
  }
};
const TorchCase kTorchCases[] = {{"torch_seq2seq", {"zip", "safetensors"}, 12}, {"torch_seq2seq_prenorm", {"zip"}, 10}};

TEST_SUITE("torch_seq2seq") {
  TEST_CASE("f32: encoder output and teacher-forced logits match PyTorch in every checkpoint format") {
    for (const TorchCase& c : kTorchCases) {
      const Fixture f(c.name);
      const std::string dir = data(std::string(c.name) + "/fp32/");
      for (const char* format : c.formats)
        for (Isa isa : runnable_isas()) {
          CAPTURE(c.name);
          CAPTURE(format);
          CAPTURE(isa_name(isa));
          auto model = load(std::string(c.name) + "_" + format + "_f32.tern");
          CHECK(model->info().encoder_decoder);
          auto s = session(*model, f, isa, 1, false);
          Status st = run_teacher_forced(*s, f);
          REQUIRE_MESSAGE(st.ok(), st.message());
          check_close(*s, "encoder_last_hidden_state", load_npy(dir + "encoder_last_hidden_state.npy").floats);
          check_close(*s, "logits", load_npy(dir + "decoder_logits.npy").floats);
        }
    }
  }

  TEST_CASE("f32: greedy generate() is token-identical to PyTorch's") {
    for (const TorchCase& c : kTorchCases) {
      const Fixture f(c.name);
      for (Isa isa : runnable_isas()) {
        CAPTURE(c.name);
        CAPTURE(isa_name(isa));
        auto model = load(std::string(c.name) + "_zip_f32.tern");
        auto s = session(*model, f, isa, 1, false);
        GenerationOptions o;
        o.max_new_tokens = c.max_new_tokens;
        check_generation(*s, f, data(std::string(c.name) + "/fp32/"), "greedy_sequences", o);
      }
    }
  }

  TEST_CASE("int8: no further from fp32 than PyTorch's dynamic int8, same greedy tokens") {
    for (const TorchCase& c : kTorchCases) {
      const Fixture f(c.name);
      const std::string dir = data(std::string(c.name) + "/fp32/");
      for (Isa isa : runnable_isas()) {
        CAPTURE(c.name);
        CAPTURE(isa_name(isa));
        auto model = load(std::string(c.name) + "_zip_int8.tern");
        auto s = session(*model, f, isa, 1, false);
        REQUIRE(run_teacher_forced(*s, f).ok());
        const std::pair<const char*, const char*> outs[] = {{"encoder_last_hidden_state", "encoder_last_hidden_state"},
                                                            {"logits", "decoder_logits"}};
        for (const auto& [ours, ref] : outs) {
          const double err = rel_l2(s->find_output(ours)->data, load_npy(dir + ref + ".npy").floats);
          const double theirs = c.torch_int8_err(ref);
          MESSAGE(std::string(c.name), " ", std::string(ours), ": rel L2 ", err, " (PyTorch int8 ", theirs, ")");
          CHECK(err <= theirs);
        }
        GenerationOptions o;
        o.max_new_tokens = c.max_new_tokens;
        check_generation(*s, f, dir, "greedy_sequences", o);
      }
    }
  }

  TEST_CASE("streaming token ids: the same tokens as without, token by token; a stream cancels") {
    for (const TorchCase& c : kTorchCases)
      for (const char* w : {"f32", "int8"}) {
        CAPTURE(c.name);
        CAPTURE(w);
        const Fixture f(c.name);
        auto model = load(std::string(c.name) + "_zip_" + w + ".tern");
        auto s = session(*model, f, Isa::kAuto, 1, false);
        GenerationOptions o;
        o.max_new_tokens = c.max_new_tokens;
        check_streaming(*s, model->info(), f.ids.ints.data(), f.mask.ints.data(), f.batch(), f.seq(), o);
        o.do_sample = true;
        o.seed = 3;
        check_streaming(*s, model->info(), f.ids.ints.data(), f.mask.ints.data(), f.batch(), f.seq(), o);
      }
  }

  TEST_CASE("positions bound the lengths: the session refuses more than the position table holds") {
    auto model = load("torch_seq2seq_zip_int8.tern");
    CHECK(model->info().vocab_size == 120);
    CHECK(model->info().target_vocab_size == 140);
    CHECK(model->info().max_positions == 64);
    SessionOptions o;
    o.max_seq = 65;
    CHECK(Session::create(*model, o).status().code() == Code::kInvalidArgument);
    o.max_seq = 64;
    o.max_new_tokens = 64;  // with the start token, 65 decoder positions
    CHECK(Session::create(*model, o).status().code() == Code::kInvalidArgument);
    o.max_new_tokens = 0;  // the default fits: 63
    auto s = Session::create(*model, o);
    REQUIRE(s.ok());
    const int64_t ids[] = {5, 7, 2};
    CHECK(s.value()->generate(ids, nullptr, 1, 3, GenerationOptions()).ok());
    const int64_t beyond[] = {5, 120, 2};  // the source vocabulary is 120, the target's 140
    CHECK(s.value()->generate(beyond, nullptr, 1, 3, GenerationOptions()).code() == Code::kInvalidArgument);
    const std::string_view text = "a text";  // token ids only: no tokenizer
    CHECK(s.value()->generate(&text, 1, GenerationOptions()).code() == Code::kInvalidArgument);
  }
}
