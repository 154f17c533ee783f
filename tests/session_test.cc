// Session behaviour: no allocation while running, arena sizing, input validation.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <limits>
#include <new>
#include <string_view>

#include "cli/bench_ids.h"
#include "cli/text_stream.h"
#include "ops/xnnpack_linear.h"
#include "tasks/generator.h"
#include "tern/model.h"
#include "tern/session.h"
#include "tern/tern.h"
#include "test_util.h"

namespace {
std::atomic<size_t> g_allocations{0};
}

void* operator new(size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
// Every other form too, so that new/delete pairs always meet the same allocator (AddressSanitizer
// reports a mismatch otherwise).
void* operator new[](size_t n) { return ::operator new(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  ++g_allocations;
  return std::malloc(n ? n : 1);
}
void* operator new[](size_t n, const std::nothrow_t& t) noexcept { return ::operator new(n, t); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

using namespace tern;
using namespace tern::test;

TEST_SUITE("session") {
  TEST_CASE("run() and classify() allocate nothing, with 1 and 2 threads, int8 and float weights") {
    // f32 and f16 weights run on XNNPACK operators (when built with it): XNNPACK's allocations,
    // which go through tern's allocator, are counted too.
    for (const char* name : {"bert_zip_int8.tern", "bert_zip_f32.tern", "bert_zip_f16.tern"})
    for (size_t threads : {1, 2}) {
      CAPTURE(name);
      auto model = Model::load(blob(name).c_str());
      REQUIRE(model.ok());
      SessionOptions o;
      o.max_batch = 2;
      o.max_seq = 64;
      o.threads = threads;
      auto s = Session::create(*model.value(), o);
      REQUIRE(s.ok());
      std::string_view texts[2] = {"Hello world!", "Das Haus ist wunderbar, sagt sie."};
      std::string_view pairs[2] = {"Hallo Welt!", "only second"};
      int64_t ids[6] = {101, 592, 102, 101, 88, 102};
      Inputs in{2, 3, ids, nullptr, nullptr};
      REQUIRE(s.value()->classify(texts, pairs, 2).ok());  // warm-up
      const size_t before = g_allocations.load(), xnn_before = XnnpackLinears::allocations();
      for (int rep = 0; rep < 3; ++rep) {
        REQUIRE(s.value()->run(in).ok());
        REQUIRE(s.value()->classify(texts, nullptr, 2).ok());
        REQUIRE(s.value()->classify(texts, pairs, 2).ok());
      }
      CHECK(g_allocations.load() == before);
      CHECK(XnnpackLinears::allocations() == xnn_before);
    }
  }

  TEST_CASE("a caller-owned arena of exactly required_arena_bytes() works; a smaller one is refused") {
    auto model = Model::load(blob("bert_zip_int8.tern").c_str());
    REQUIRE(model.ok());
    SessionOptions o;
    o.max_seq = 32;
    auto need = Session::required_arena_bytes(*model.value(), o);
    REQUIRE(need.ok());
    void* arena = std::aligned_alloc(64, (need.value() + 63) / 64 * 64);
    auto small = Session::create(*model.value(), o, arena, need.value() - 64);
    CHECK(small.status().code() == Code::kResourceExhausted);
    auto s = Session::create(*model.value(), o, arena, need.value());
    REQUIRE(s.ok());
    std::string_view text = "The quick brown fox.";
    CHECK(s.value()->classify(&text, nullptr, 1).ok());
    s.value().reset();
    std::free(arena);
  }

  TEST_CASE("arena plan for bert_small stays within its recorded size") {
    // Regression guard: the planner shares buffers by lifetime. bert_small, batch 1 x 128 tokens.
    auto model = Model::load(blob("bert_zip_int8.tern").c_str());
    REQUIRE(model.ok());
    SessionOptions o;
    o.max_seq = 128;
    auto need = Session::required_arena_bytes(*model.value(), o);
    REQUIRE(need.ok());
    MESSAGE("bert_small arena, batch 1 x 128: ", need.value(), " bytes");
    // 247808 + 8 KiB: attention keeps K^T of one head (vectorized Q.K^T); + 64: the arena's tail,
    // room for XNNPACK's reads past the last row of an input.
    CHECK(need.value() <= 256064);
  }

  TEST_CASE("arena plan for t5_tiny stays within its recorded size") {
    // Regression guard as for BERT: t5_tiny, batch 1 x 64 source tokens, 20 new tokens, 4 beams.
    auto model = Model::load(blob("t5_tiny_zip_int8.tern").c_str());
    REQUIRE(model.ok());
    SessionOptions o;
    o.max_seq = 64;
    o.max_new_tokens = 20;
    o.max_beams = 4;
    auto need = Session::required_arena_bytes(*model.value(), o);
    REQUIRE(need.ok());
    MESSAGE("t5_tiny arena, batch 1 x 64, 20 new tokens, 4 beams: ", need.value(), " bytes");
    // x86-64 and aarch64; 32-bit targets need less. No teacher forcing planned (max_decoder_seq 0).
    CHECK(need.value() <= 734016);
    auto s = Session::create(*model.value(), o);
    REQUIRE(s.ok());
    const std::string plan = s.value()->arena_plan();
    CHECK(plan.find("self_kv") != std::string::npos);  // the plan names its buffers and phases
    CHECK(plan.find("persistent section") < plan.find("src_ids"));
    CHECK(plan.find("src_ids") < plan.find("scratch section"));
    CHECK(plan.find("decoding..results") != std::string::npos);
  }

  TEST_CASE("bad inputs are errors, not crashes") {
    auto model = Model::load(blob("bert_zip_int8.tern").c_str());
    REQUIRE(model.ok());
    SessionOptions o;
    o.max_seq = 8;
    auto s = Session::create(*model.value(), o);
    REQUIRE(s.ok());
    int64_t ids[4] = {101, 5000, 102, 0};  // 5000 >= vocab 1000
    Inputs in{1, 4, ids, nullptr, nullptr};
    CHECK(s.value()->run(in).code() == Code::kInvalidArgument);
    ids[1] = -1;
    CHECK(s.value()->run(in).code() == Code::kInvalidArgument);
    ids[1] = 7;
    int64_t types[4] = {0, 2, 0, 0};  // type_vocab_size 2
    in.token_type_ids = types;
    CHECK(s.value()->run(in).code() == Code::kInvalidArgument);
    in.token_type_ids = nullptr;
    in.seq = 9;  // longer than planned
    CHECK(s.value()->run(in).code() == Code::kResourceExhausted);
    in.seq = 4;
    in.batch = 2;
    CHECK(s.value()->run(in).code() == Code::kInvalidArgument);
    std::string_view long_text = "one two three four five six seven eight nine ten";
    CHECK(s.value()->classify(&long_text, nullptr, 1).code() == Code::kResourceExhausted);
    std::string_view bad_utf8 = "caf\xc3";
    CHECK(s.value()->classify(&bad_utf8, nullptr, 1).code() == Code::kInvalidArgument);
    o.truncate = true;
    auto t = Session::create(*model.value(), o);
    REQUIRE(t.ok());
    CHECK(t.value()->classify(&long_text, nullptr, 1).ok());
    o.max_seq = 4096;  // beyond max_position_embeddings
    CHECK_FALSE(Session::create(*model.value(), o).ok());
  }
}

TEST_SUITE("session") {
  TEST_CASE("T5 generation (greedy, beam, sampling; streamed and cancelled too) and teacher forcing allocate nothing") {
    for (const char* name : {"t5_tiny_zip_int8.tern", "t5_v11_tiny_zip_f32.tern"}) {
    CAPTURE(name);
    auto model = Model::load(blob(name).c_str());
    REQUIRE(model.ok());
    cli::NpyArray ids = load_npy(data("t5_tiny/inputs/input_ids.npy"));
    cli::NpyArray mask = load_npy(data("t5_tiny/inputs/attention_mask.npy"));
    cli::NpyArray dec = load_npy(data("t5_tiny/inputs/decoder_input_ids.npy"));
    SessionOptions o;
    o.max_batch = 2;
    o.max_seq = size_t(ids.shape[1]);
    o.max_new_tokens = 20;
    o.max_decoder_seq = size_t(dec.shape[1]);
    o.max_beams = 4;
    auto s = Session::create(*model.value(), o);
    REQUIRE(s.ok());
    GenerationOptions greedy, beam, sampled;
    greedy.max_new_tokens = beam.max_new_tokens = sampled.max_new_tokens = 20;
    beam.num_beams = 4;
    beam.num_return_sequences = 2;
    sampled.do_sample = true;
    sampled.top_k = 50;
    sampled.top_p = 0.9f;
    sampled.seed = 7;
    Inputs in{2, size_t(ids.shape[1]), ids.ints.data(), mask.ints.data(), nullptr,
              size_t(dec.shape[1]), dec.ints.data(), nullptr};
    REQUIRE(s.value()->generate(ids.ints.data(), mask.ints.data(), 2, size_t(ids.shape[1]), beam).ok());
    const size_t before = g_allocations.load(), xnn_before = XnnpackLinears::allocations();
    // A stream that counts and, the second time through, cancels after 5 tokens.
    struct Counter {
      size_t calls = 0, cancel_after = SIZE_MAX;
      static bool on_token(void* self, size_t, int32_t) {
        Counter& c = *static_cast<Counter*>(self);
        return ++c.calls < c.cancel_after;
      }
    } counter;
    const TokenStream stream{&Counter::on_token, &counter};
    for (const GenerationOptions* g : {&greedy, &beam, &sampled}) {
      REQUIRE(s.value()->generate(ids.ints.data(), mask.ints.data(), 2, size_t(ids.shape[1]), *g).ok());
      REQUIRE(s.value()->generate(ids.ints.data(), mask.ints.data(), 2, size_t(ids.shape[1]), *g, stream).ok());
      counter.cancel_after = counter.calls + 5;
      REQUIRE(s.value()->generate(ids.ints.data(), mask.ints.data(), 2, size_t(ids.shape[1]), *g, stream).code() ==
              Code::kCancelled);
      counter.cancel_after = SIZE_MAX;
    }
    CHECK(counter.calls > 0);
    REQUIRE(s.value()->run(in).ok());
    CHECK(g_allocations.load() == before);
    CHECK(XnnpackLinears::allocations() == xnn_before);
    }
  }

  TEST_CASE("the C API's classify, embed and streamed generate allocate nothing either") {
    auto make = [](const char* name, size_t max_batch, tern_model** m, tern_session** s) {
      REQUIRE(tern_model_load(blob(name).c_str(), m) == TERN_OK);
      tern_session_options o;
      tern_session_options_init(&o);
      o.max_batch = max_batch;
      o.max_new_tokens = 20;
      o.max_beams = 4;
      REQUIRE(tern_session_create(*m, &o, s) == TERN_OK);
    };
    tern_model *bert, *embed, *t5;
    tern_session *classifier, *embedder, *generator;
    make("bert_zip_int8.tern", 2, &bert, &classifier);
    make("bert_embed_zip_int8.tern", 2, &embed, &embedder);
    make("t5_tiny_zip_int8.tern", 2, &t5, &generator);
    const char* texts[2] = {"translate English to German: The house is wonderful.", "Hello world"};
    tern_generation_options greedy, beam;
    greedy.struct_size = beam.struct_size = sizeof greedy;
    REQUIRE(tern_generation_defaults(generator, texts[0], &greedy) == TERN_OK);
    beam = greedy;
    beam.num_beams = 4;
    size_t calls = 0;
    auto count = [](void* user, size_t, int32_t) { return int(++*static_cast<size_t*>(user) < 1000); };
    float scores[64];
    size_t labels[2];
    auto run = [&] {
      REQUIRE(tern_classify_batch(classifier, texts, texts, 2) == TERN_OK);
      REQUIRE(tern_classify_scores(classifier, 1, scores, 64) == TERN_OK);
      REQUIRE(tern_classify_top_k(classifier, 0, 2, labels, scores) == TERN_OK);
      REQUIRE(tern_embed(embedder, texts, 2) == TERN_OK);
      REQUIRE(tern_embedding(embedder, 1, scores, 64) == TERN_OK);
      REQUIRE(tern_generate_texts(generator, texts, 2, &greedy, count, &calls) == TERN_OK);
      REQUIRE(tern_generate_texts(generator, texts, 2, &beam, count, &calls) == TERN_OK);
    };
    run();  // warm-up
    const size_t before = g_allocations.load();
    run();
    CHECK(g_allocations.load() == before);
    CHECK(calls > 0);
    tern_session_free(generator);
    tern_session_free(embedder);
    tern_session_free(classifier);
    tern_model_free(t5);
    tern_model_free(embed);
    tern_model_free(bert);
  }

  TEST_CASE("sampling is reproducible for a seed and differs across seeds") {
    auto model = Model::load(blob("t5_v11_tiny_zip_f32.tern").c_str());
    REQUIRE(model.ok());
    cli::NpyArray ids = load_npy(data("t5_v11_tiny/inputs/input_ids.npy"));
    SessionOptions o;
    o.max_batch = 2;
    o.max_seq = size_t(ids.shape[1]);
    o.max_new_tokens = 20;
    auto s = Session::create(*model.value(), o);
    REQUIRE(s.ok());
    GenerationOptions g;
    g.max_new_tokens = 20;
    g.do_sample = true;
    g.temperature = 1.5f;
    auto draw = [&](uint64_t seed) {
      g.seed = seed;
      REQUIRE(s.value()->generate(ids.ints.data(), nullptr, 2, size_t(ids.shape[1]), g).ok());
      const Generated& r = s.value()->generated();
      return std::vector<int32_t>(r.tokens, r.tokens + r.sequences * r.length);
    };
    CHECK(draw(1) == draw(1));
    CHECK(draw(1) != draw(2));
    // A temperature so small that logits / temperature overflows float (it gave NaN probabilities
    // and the last id of the vocabulary every step): the limit is greedy, whatever the seed.
    GenerationOptions greedy;
    greedy.max_new_tokens = 20;
    REQUIRE(s.value()->generate(ids.ints.data(), nullptr, 2, size_t(ids.shape[1]), greedy).ok());
    const Generated& r = s.value()->generated();
    const std::vector<int32_t> expected(r.tokens, r.tokens + r.sequences * r.length);
    g.temperature = 1e-38f;
    CHECK(draw(1) == expected);
    CHECK(draw(2) == expected);
  }
}

TEST_SUITE("session") {
  TEST_CASE("tern bench's ids stay inside any vocabulary") {
    // The formula was 5 + x % (vocab - 5): SIGFPE at a vocabulary of 5, ids outside it below 5.
    for (int vocab : {1, 2, 4, 5, 6, 7, 1000, 32128}) {
      CAPTURE(vocab);
      const std::vector<int64_t> ids = cli::bench_ids(256, vocab);
      REQUIRE(ids.size() == 256);
      for (int64_t id : ids) {
        CHECK(id >= (vocab > 5 ? 5 : 0));
        CHECK(id < vocab);
      }
    }
    CHECK(cli::bench_ids(64, 32128) == cli::bench_ids(64, 32128));  // fixed, for comparable runs
  }

  TEST_CASE("tern generate --stream prints settled text only: whole words, whole UTF-8 characters") {
    using cli::settled_bytes;
    CHECK(settled_bytes("") == 0);
    CHECK(settled_bytes("Hello") == 0);         // the word may go on, or a clean-up join it
    CHECK(settled_bytes("Hello wor") == 5);
    CHECK(settled_bytes("Hello ") == 5);        // a trailing space is stripped, " ." becomes "."
    CHECK(settled_bytes("Das Haus ist") == 8);
    CHECK(settled_bytes("caf\xC3\xA9") == 5);    // a complete non-ASCII character ends it: all
    CHECK(settled_bytes("\xE6\x97\xA5\xE6\x9C\xAC") == 6);  // no spaces between words
    CHECK(settled_bytes("a caf\xC3") == 1);      // an incomplete character is held back
    CHECK(settled_bytes("a \xE6\x97") == 1);
    CHECK(settled_bytes("a b\xEF\xBF\xBD") == 1);  // U+FFFD: bytes that more bytes may complete
    CHECK(settled_bytes("a\nb") == 1);
  }

  TEST_CASE("null texts are refused, in C++ and in the C API") {
    auto bert = Model::load(blob("bert_zip_int8.tern").c_str());
    REQUIRE(bert.ok());
    auto s = Session::create(*bert.value(), SessionOptions());
    REQUIRE(s.ok());
    CHECK(s.value()->classify(nullptr, nullptr, 1).code() == Code::kInvalidArgument);  // was a SIGSEGV
    std::string_view text = "The quick brown fox.";
    CHECK(s.value()->classify(&text, nullptr, 1).ok());  // the session still works
    Inputs in;
    CHECK(s.value()->run(in).code() == Code::kInvalidArgument);
    auto t5 = Model::load(blob("t5_tiny_zip_int8.tern").c_str());
    REQUIRE(t5.ok());
    auto g = Session::create(*t5.value(), SessionOptions());
    REQUIRE(g.ok());
    CHECK(g.value()->generate(nullptr, 1, GenerationOptions()).code() == Code::kInvalidArgument);
    CHECK(g.value()->generate(nullptr, nullptr, 1, 4, GenerationOptions()).code() == Code::kInvalidArgument);

    tern_model* m = nullptr;
    CHECK(tern_model_load(nullptr, &m) != 0);
    CHECK(std::string(tern_model_arch(nullptr)).empty());
    CHECK(tern_model_num_labels(nullptr) == 0);
    CHECK(std::string(tern_model_label(nullptr, 0)).empty());
    REQUIRE(tern_model_load(blob("bert_zip_int8.tern").c_str(), &m) == 0);
    tern_session* cs = nullptr;
    REQUIRE(tern_session_create(m, nullptr, &cs) == 0);
    size_t label = 0;
    CHECK(tern_classify(cs, nullptr, &label, nullptr) != 0);
    CHECK(tern_classify(nullptr, "text", &label, nullptr) != 0);
    CHECK(tern_classify(cs, "text", nullptr, nullptr) != 0);
    char out[16];
    CHECK(tern_generate(cs, nullptr, out, sizeof(out)) != 0);
    tern_session_free(cs);
    tern_model_free(m);
  }
}

TEST_SUITE("session") {
  TEST_CASE("sampling never draws a token for a NaN score") {
    // A decoder whose logits are NaN but for one token: that token is drawn, every step. With no
    // finite score at all, generate() fails instead of returning the vocabulary's last id.
    constexpr size_t kVocab = 8;
    struct Fake {
      float logits[kVocab];
      static float* step(void* self, const int32_t*, size_t, size_t) {
        Fake& f = *static_cast<Fake*>(self);
        for (float& x : f.logits) x = std::numeric_limits<float>::quiet_NaN();
        f.logits[3] = 1.0f;  // the only finite score
        if (f.all_nan) f.logits[3] = std::numeric_limits<float>::quiet_NaN();
        return f.logits;
      }
      static void reorder(void*, const int32_t*, size_t, size_t) {}
      bool all_nan = false;
    } fake;
    MemoryPlan m;
    const GeneratorPlan p = plan_generator(1, 1, 6, kVocab, 0, &m);
    m.plan();
    REQUIRE(m.fits());
    std::vector<uint8_t> arena(m.total_bytes() + 64);
    uint8_t* base = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(arena.data()) + 63) / 64 * 64);
    KernelTable kernels;
    REQUIRE(select_kernels(Isa::kRef, &kernels).ok());
    GenerationOptions o;
    o.max_new_tokens = 5;
    o.do_sample = true;
    const DecoderCallbacks d{&Fake::step, &Fake::reorder, &fake};
    const TokenIds ids{0, 1, 0};
    auto r = generate(o, p, m, base, 1, ids, d, kernels);
    REQUIRE(r.ok());
    REQUIRE(r.value().length == 6);
    for (size_t i = 1; i < 6; ++i) CHECK(r.value().tokens[i] == 3);
    fake.all_nan = true;
    CHECK(generate(o, p, m, base, 1, ids, d, kernels).status().code() == Code::kInvalidModel);
  }
}
