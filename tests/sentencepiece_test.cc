// The SentencePiece tokenizer against Hugging Face T5Tokenizer goldens (tests/data/goldens.json),
// legacy and legacy=False: ids, decoded text with and without special tokens.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tasks/model_impl.h"
#include "tern/model.h"
#include "test_util.h"

using namespace tern;
using namespace tern::test;

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
    const SentencePiece& indexed = *model.value()->impl().sentencepiece;
    std::ifstream f(data("goldens.json"));
    std::vector<uint8_t> scratch(SentencePiece::scratch_bytes(4096));
    const SentencePiece::Scratch s{scratch.data(), 4096};
    const nlohmann::json goldens = nlohmann::json::parse(f);  // kept: the loop reads into it
    for (const auto& g : goldens["strings"]) {
      const std::string text = g["text"];
      std::vector<int32_t> a(1024), b(1024);
      auto na = old.encode(text, s, a.size(), false, a.data()), nb = indexed.encode(text, s, b.size(), false, b.data());
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
    const int32_t eos = model.value()->impl().sentencepiece->eos_id();
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
      CHECK(model.value()->impl().sentencepiece->max_expansion() >= 11);
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

  TEST_CASE("invalid UTF-8 is an error") {
    auto model = Model::load(blob("t5_tokenizer_legacy.tern").c_str());
    REQUIRE(model.ok());
    for (const char* bad : {"\xff", "caf\xc3", "\xc0\xaf", "\xed\xa0\x80"})
      CHECK(model.value()->tokenize(bad).status().code() == Code::kInvalidArgument);
  }
}
