// One Model shared by several threads, each with its own sessions: every result bit-identical to
// a session used alone. Built under ThreadSanitizer by scripts/test.sh, where any data race in the
// library (model state read while another session is created, shared scratch, lazy tables) fails.
#include <doctest/doctest.h>

#include <cstring>
#include <string_view>
#include <thread>
#include <vector>

#include "tern/model.h"
#include "tern/session.h"
#include "test_util.h"

using namespace tern;
using namespace tern::test;

namespace {

// Debian's pthreadpool is not built with ThreadSanitizer, which then reports the pool's own
// synchronization as races: under TSan the sessions run single-threaded (on many threads).
#if defined(__SANITIZE_THREAD__)
constexpr size_t kPoolThreads[] = {1};
#else
constexpr size_t kPoolThreads[] = {1, 2};
#endif
// Threads x pool threads stays at 4: pthreadpool's workers spin, and this machine may have 2 cores.
constexpr size_t kCores = 4, kRounds = 2;

const std::string_view kTexts[3] = {"Hello world!", "Das Haus ist wunderbar, sagt sie.", "Le fichier n'existe pas."};

// Each text's probabilities, as bytes.
std::vector<uint8_t> classify_all(const Model& model, size_t pool_threads) {
  SessionOptions o;
  o.max_batch = 3;
  o.max_seq = 32;
  o.threads = pool_threads;
  auto s = Session::create(model, o);
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  REQUIRE(s.value()->classify(kTexts, nullptr, 3).ok());
  const size_t labels = model.num_labels();
  std::vector<uint8_t> out(3 * labels * sizeof(float));
  for (size_t i = 0; i < 3; ++i) std::memcpy(out.data() + i * labels * sizeof(float), s.value()->probabilities(i), labels * sizeof(float));
  return out;
}

// Greedy and beam outputs of a translation, tokens and scores as bytes.
std::vector<uint8_t> translate_all(const Model& model, size_t pool_threads) {
  SessionOptions o;
  o.max_batch = 2;
  o.max_seq = 32;
  o.max_beams = 2;
  o.max_new_tokens = 8;
  o.threads = pool_threads;
  auto s = Session::create(model, o);
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  const std::string_view texts[2] = {"translate English to German: File not found",
                                     "translate English to German: The disk is full."};
  std::vector<uint8_t> out;
  for (int beams : {1, 2}) {
    GenerationOptions g = s.value()->generation_defaults(texts[0]);
    g.num_beams = beams;
    g.max_new_tokens = 8;
    REQUIRE(s.value()->generate(texts, 2, g).ok());
    const Generated& r = s.value()->generated();
    const auto* t = reinterpret_cast<const uint8_t*>(r.tokens);
    out.insert(out.end(), t, t + r.sequences * r.length * sizeof(int32_t));
    if (r.scores) {
      const auto* f = reinterpret_cast<const uint8_t*>(r.scores);
      out.insert(out.end(), f, f + r.sequences * sizeof(float));
    }
  }
  return out;
}

template <typename Work>
void check_threads_agree(const char* name, Work work) {
  auto model = Model::load(blob(name).c_str());
  REQUIRE(model.ok());
  for (size_t pool : kPoolThreads) {
    CAPTURE(name);
    CAPTURE(pool);
    const std::vector<uint8_t> alone = work(*model.value(), pool);
    const size_t workers = kCores / pool;
    std::vector<std::vector<uint8_t>> got(workers * kRounds);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < workers; ++t)
      threads.emplace_back([&, t] {
        for (size_t r = 0; r < kRounds; ++r) got[t * kRounds + r] = work(*model.value(), pool);
      });
    for (std::thread& t : threads) t.join();
    for (const auto& g : got) CHECK(g == alone);
  }
}

}  // namespace

TEST_SUITE("concurrency") {
  TEST_CASE("BERT classification, int8 and float weights, on several threads at once") {
    for (const char* name : {"bert_zip_int8.tern", "bert_zip_f32.tern"}) check_threads_agree(name, classify_all);
  }
  TEST_CASE("T5 generation, greedy and beam, on several threads at once") {
    check_threads_agree("en-de.tern", translate_all);
  }
}
