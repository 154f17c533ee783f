// Session behaviour: no allocation while running, arena sizing, input validation.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string_view>

#include "tern/model.h"
#include "tern/session.h"
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

using namespace tern;
using namespace tern::test;

TEST_SUITE("session") {
  TEST_CASE("run() and classify() allocate nothing, with 1 and 2 threads") {
    auto model = Model::load(blob("bert_zip_int8.tern").c_str());
    REQUIRE(model.ok());
    for (size_t threads : {1, 2}) {
      SessionOptions o;
      o.max_batch = 2;
      o.max_seq = 64;
      o.threads = threads;
      auto s = Session::create(*model.value(), o);
      REQUIRE(s.ok());
      std::string_view texts[2] = {"Hello world!", "Das Haus ist wunderbar, sagt sie."};
      std::string_view pairs[2] = {"Hallo Welt!", "only second"};
      int64_t ids[6] = {101, 592, 102, 101, 88, 102};
      EncoderInputs in{2, 3, ids, nullptr, nullptr};
      REQUIRE(s.value()->classify(texts, pairs, 2).ok());  // warm-up
      const size_t before = g_allocations.load();
      for (int rep = 0; rep < 3; ++rep) {
        REQUIRE(s.value()->run(in).ok());
        REQUIRE(s.value()->classify(texts, nullptr, 2).ok());
        REQUIRE(s.value()->classify(texts, pairs, 2).ok());
      }
      CHECK(g_allocations.load() == before);
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
    CHECK(need.value() <= 247808);
  }

  TEST_CASE("bad inputs are errors, not crashes") {
    auto model = Model::load(blob("bert_zip_int8.tern").c_str());
    REQUIRE(model.ok());
    SessionOptions o;
    o.max_seq = 8;
    auto s = Session::create(*model.value(), o);
    REQUIRE(s.ok());
    int64_t ids[4] = {101, 5000, 102, 0};  // 5000 >= vocab 1000
    EncoderInputs in{1, 4, ids, nullptr, nullptr};
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
