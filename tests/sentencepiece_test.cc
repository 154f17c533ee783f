// The SentencePiece tokenizer against Hugging Face T5Tokenizer goldens (tests/data/goldens.json),
// legacy and legacy=False: ids, decoded text with and without special tokens.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tasks/model_impl.h"
#include "tern/model.h"
#include "tern/session.h"
#include "test_util.h"

using namespace tern;
using namespace tern::test;

namespace {

// T5's template (text </s>) around SentencePiece::tokenize, for windows other than the one the
// Tokenizer uses: the first max_len - 1 tokens, then </s> unless the text ends with it.
Result<size_t> sp_encode(const SentencePiece& sp, std::string_view text, const SentencePiece::Scratch& s, size_t max_len,
                         bool truncate, int32_t* ids) {
  size_t n = 0, seen = 0;
  auto sink = [&](int32_t id, uint32_t, uint32_t) {
    if (n < max_len - 1) ids[n++] = id;
    return ++seen < max_len;
  };
  const Status st = sp.tokenize(text, s, TokenSink(sink));
  if (!st.ok()) return st;
  if (seen >= max_len && !truncate) return Status::error(Code::kResourceExhausted, "more than max_len");
  if (!(seen == n && n > 0 && ids[n - 1] == sp.eos_id())) ids[n++] = sp.eos_id();
  return n;
}

const SentencePiece& sentencepiece_of(const Model& m) { return *m.impl().tokenizer->sentencepiece(); }

}  // namespace

TEST_SUITE("sentencepiece") {
  TEST_CASE("T5Tokenizer goldens: every string, legacy and non-legacy") {
    std::ifstream f(data("goldens.json"));
    const nlohmann::json g = nlohmann::json::parse(f);
    for (const char* variant : {"legacy", "nonlegacy"}) {
      auto model = Model::load(blob(std::string("t5_tokenizer_") + variant + ".tern").c_str());
      REQUIRE_MESSAGE(model.ok(), model.status().message());
      const std::string key = std::string("t5_") + variant;
      size_t checked = 0;
      for (const auto& s : g["strings"]) {
        const std::string text = s["text"];
        CAPTURE(variant);
        CAPTURE(text);
        auto ids = model.value()->tokenize(text);
        REQUIRE_MESSAGE(ids.ok(), ids.status().message());
        CHECK(ids.value() == s[key]["ids"].get<std::vector<int32_t>>());
        const auto& ref = s[key]["ids"].get<std::vector<int32_t>>();
        CHECK(model.value()->decode(ref.data(), ref.size(), true) == s[key]["decoded"].get<std::string>());
        CHECK(model.value()->decode(ref.data(), ref.size(), false) == s[key]["decoded_with_special"].get<std::string>());
        ++checked;
      }
      CHECK(checked == 32);
    }
  }

  TEST_CASE("a blob from before the piece index (format 1.1) tokenizes the same") {
    auto model = Model::load(blob("t5_tokenizer_legacy.tern").c_str());
    REQUIRE(model.ok());
    const fb::SentencePiece& spec = *model.value()->impl().blob.model().tokenizer()->sentencepiece();
    REQUIRE(spec.piece_index() != nullptr);
    fb::SentencePieceT t;
    spec.UnPackTo(&t);
    t.piece_index.clear();
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(fb::SentencePiece::Pack(fbb, &t));
    SentencePiece old;
    REQUIRE(old.init(*flatbuffers::GetRoot<fb::SentencePiece>(fbb.GetBufferPointer()), spec.vocab_size()).ok());
    const SentencePiece& indexed = sentencepiece_of(*model.value());
    std::ifstream f(data("goldens.json"));
    std::vector<uint8_t> scratch(SentencePiece::scratch_bytes(4096));
    const SentencePiece::Scratch s{scratch.data(), 4096};
    const nlohmann::json goldens = nlohmann::json::parse(f);  // kept: the loop reads into it
    for (const auto& g : goldens["strings"]) {
      const std::string text = g["text"];
      std::vector<int32_t> a(1024), b(1024);
      auto na = sp_encode(old, text, s, a.size(), false, a.data()), nb = sp_encode(indexed, text, s, b.size(), false, b.data());
      REQUIRE((na.ok() && nb.ok()));
      a.resize(na.value()), b.resize(nb.value());
      CHECK(a == b);
    }
  }

  TEST_CASE("splitting on added tokens is linear: 400 KB of them tokenizes") {
    // Searching every added token over the rest of the text after each match was quadratic: 108 KB
    // of </s> took 212 s. 20,000 repetitions here would not finish within ctest's timeout.
    auto model = Model::load(blob("t5_tokenizer_legacy.tern").c_str());
    REQUIRE(model.ok());
    const std::string unit = "a</s><extra_id_0> b<pad>";
    auto one = model.value()->tokenize(unit);
    REQUIRE(one.ok());
    const int32_t eos = sentencepiece_of(*model.value()).eos_id();
    REQUIRE(one.value().back() == eos);
    std::vector<int32_t> expected;
    std::string text;
    for (int i = 0; i < 20000; ++i) {
      text += unit;
      expected.insert(expected.end(), one.value().begin(), one.value().end() - 1);
    }
    expected.push_back(eos);
    CHECK(text.size() > 400000);
    auto ids = model.value()->tokenize(text);
    REQUIRE_MESSAGE(ids.ok(), ids.status().message());
    CHECK(ids.value() == expected);
  }

  TEST_CASE("tokenize sizes its scratch for texts NFKC expands (five U+FDFA, 15 bytes, 165 normalized)") {
    for (const char* variant : {"legacy", "nonlegacy"}) {
      auto model = Model::load(blob(std::string("t5_tokenizer_") + variant + ".tern").c_str());
      REQUIRE(model.ok());
      CAPTURE(variant);
      std::string one = "\xef\xb7\xba", five;
      for (int i = 0; i < 5; ++i) five += one;
      CHECK(sentencepiece_of(*model.value()).max_expansion() >= 11);
      auto a = model.value()->tokenize(one), b = model.value()->tokenize(five);
      REQUIRE_MESSAGE(a.ok(), a.status().message());
      REQUIRE_MESSAGE(b.ok(), b.status().message());
      CHECK(b.value().size() > five.size());  // more tokens than bytes
      // A longer text of them: the bound holds for thousands as well.
      std::string many;
      for (int i = 0; i < 2000; ++i) many += one + " ";
      auto c = model.value()->tokenize(many);
      REQUIRE_MESSAGE(c.ok(), c.status().message());
    }
  }

  // Long texts stream through a window of normalized text, emitted where the segmentation settles.
  TEST_CASE("streaming through the smallest window gives the whole text's segmentation") {
    std::ifstream f(data("goldens.json"));
    const nlohmann::json g = nlohmann::json::parse(f);
    std::string text;  // every golden string, many times: ~40 KB, hundreds of window shifts
    for (int rep = 0; rep < 40; ++rep)
      for (const auto& one : g["strings"]) text += one["text"].get<std::string>() + (rep % 2 ? " " : "");
    for (const char* variant : {"legacy", "nonlegacy"}) {
      CAPTURE(variant);
      auto model = Model::load(blob(std::string("t5_tokenizer_") + variant + ".tern").c_str());
      REQUIRE(model.ok());
      const SentencePiece& sp = sentencepiece_of(*model.value());
      auto encode = [&](size_t window, size_t max_len, bool truncate) {
        std::vector<uint8_t> scratch(SentencePiece::scratch_bytes(window) + 8);
        std::vector<int32_t> ids(max_len);
        const SentencePiece::Scratch s{scratch.data() + (8 - reinterpret_cast<uintptr_t>(scratch.data()) % 8) % 8, window};
        Result<size_t> n = sp_encode(sp, text, s, max_len, truncate, ids.data());
        REQUIRE_MESSAGE(n.ok(), n.status().message());
        ids.resize(n.value());
        return ids;
      };
      const std::vector<int32_t> whole = encode(text.size() * 40, text.size() * 40, false);  // never shifts
      CHECK(whole.size() > 10000);
      CHECK(encode(sp.min_window(), whole.size(), false) == whole);
      CHECK(encode(SentencePiece::kWindowBytes, whole.size(), false) == whole);
      // Truncated: the first max_len - 1 tokens of the whole text, then </s>.
      std::vector<int32_t> head(whole.begin(), whole.begin() + 99);
      head.push_back(sp.eos_id());
      CHECK(encode(sp.min_window(), 100, true) == head);
      std::vector<uint8_t> scratch(SentencePiece::scratch_bytes(sp.min_window()) + 8);
      std::vector<int32_t> ids(100);
      const SentencePiece::Scratch small{scratch.data() + (8 - reinterpret_cast<uintptr_t>(scratch.data()) % 8) % 8,
                                         sp.min_window() - 1};
      CHECK(sp_encode(sp, "a", small, ids.size(), false, ids.data()).status().code() == Code::kInvalidArgument);
    }
  }

  TEST_CASE("a session truncates a 1 MB text to max_seq tokens (D6)") {
    auto model = Model::load(blob("en-de.tern").c_str());
    REQUIRE(model.ok());
    std::string text;
    while (text.size() < (1 << 20)) text += "The file could not be opened: permission denied. ";
    SessionOptions o;
    o.max_seq = 64;
    o.truncate = true;
    auto s = Session::create(*model.value(), o);
    REQUIRE(s.ok());
    const std::string_view view = text;
    GenerationOptions g = s.value()->generation_defaults(view);
    g.max_new_tokens = 4;
    const Status st = s.value()->generate(&view, 1, g);
    CHECK_MESSAGE(st.ok(), st.message());
    o.truncate = false;
    auto strict = Session::create(*model.value(), o);
    REQUIRE(strict.ok());
    const Status refused = strict.value()->generate(&view, 1, g);
    CHECK(refused.code() == Code::kResourceExhausted);
    CHECK(std::string(refused.message()).find("max_seq=64") != std::string::npos);
  }

  TEST_CASE("a long run of one character either streams exactly or is refused, bounded") {
    // "aaaa...": the best paths to odd and even positions may never meet, so no point settles.
    auto model = Model::load(blob("t5_tokenizer_legacy.tern").c_str());
    REQUIRE(model.ok());
    const SentencePiece& sp = sentencepiece_of(*model.value());
    for (const char* unit : {"a", "ab", "-", "\xe3\x81\x82"}) {
      CAPTURE(unit);
      std::string text;
      while (text.size() < 60000) text += unit;
      std::vector<uint8_t> big(SentencePiece::scratch_bytes(text.size() * 40) + 8), small(SentencePiece::scratch_bytes(SentencePiece::kWindowBytes) + 8);
      auto at8 = [](std::vector<uint8_t>& v) { return v.data() + (8 - reinterpret_cast<uintptr_t>(v.data()) % 8) % 8; };
      std::vector<int32_t> a(text.size() * 40), b(a.size());
      auto whole = sp_encode(sp, text, {at8(big), text.size() * 40}, a.size(), false, a.data());
      REQUIRE(whole.ok());
      auto streamed = sp_encode(sp, text, {at8(small), SentencePiece::kWindowBytes}, b.size(), false, b.data());
      if (streamed.ok()) {
        CHECK(streamed.value() == whole.value());
        CHECK(std::equal(a.begin(), a.begin() + long(whole.value()), b.begin()));
      } else {
        CHECK(streamed.status().code() == Code::kResourceExhausted);
      }
    }
  }

  TEST_CASE("invalid UTF-8 is an error") {
    auto model = Model::load(blob("t5_tokenizer_legacy.tern").c_str());
    REQUIRE(model.ok());
    for (const char* bad : {"\xff", "caf\xc3", "\xc0\xaf", "\xed\xa0\x80"})
      CHECK(model.value()->tokenize(bad).status().code() == Code::kInvalidArgument);
  }
}
