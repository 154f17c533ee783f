// The WordPiece tokenizer against Hugging Face BertTokenizer goldens (tests/data/goldens.json).
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tasks/model_impl.h"
#include "text/unicode.h"
#include "tern/model.h"
#include "test_util.h"

using namespace tern;
using namespace tern::test;

namespace {

// [CLS] a [SEP] (b [SEP]) through the model's Tokenizer (WordPiece needs no scratch).
Result<Encoded> encode_into(const Tokenizer& t, std::string_view a, const std::string_view* b, size_t max_len,
                            bool truncate, int32_t* ids, int32_t* types) {
  return t.encode(a, b, nullptr, truncate, EncodeOutput{ids, types, nullptr, max_len});
}

std::vector<int32_t> encode(const Tokenizer& t, const std::string& a, const std::string* b) {
  std::vector<int32_t> ids(4096), types(4096);
  std::string_view bv = b ? std::string_view(*b) : std::string_view();
  auto n = encode_into(t, a, b ? &bv : nullptr, ids.size(), false, ids.data(), types.data());
  REQUIRE_MESSAGE(n.ok(), n.status().message());
  ids.resize(n.value().length);
  return ids;
}

// The tokens alone, of a WordPiece built outside a model.
std::vector<int32_t> pieces(const WordPiece& wp, const std::string& text) {
  std::vector<int32_t> ids;
  auto n = wp.tokenize(text, [&](int32_t id, uint32_t, uint32_t) { return ids.push_back(id), true; });
  REQUIRE_MESSAGE(n.ok(), n.message());
  return ids;
}

nlohmann::json goldens() {
  std::ifstream f(data("goldens.json"));
  return nlohmann::json::parse(f);
}

}  // namespace

TEST_SUITE("wordpiece") {
  TEST_CASE("uncased and cased goldens: every string, ids and decoding") {
    const nlohmann::json g = goldens();
    for (const char* variant : {"uncased", "cased"}) {
      auto model = Model::load(blob(std::string("tokenizer_") + variant + ".tern").c_str());
      REQUIRE_MESSAGE(model.ok(), model.status().message());
      const Tokenizer& wp = *model.value()->impl().tokenizer;
      const std::string key = std::string("bert_") + variant;
      for (const auto& s : g["strings"]) {
        const std::string text = s["text"];
        CAPTURE(text);
        auto ids = encode(wp, text, nullptr);
        CHECK(ids == s[key]["ids"].get<std::vector<int32_t>>());
        CHECK(wp.decode(ids.data(), ids.size(), true) == s[key]["decoded"].get<std::string>());
      }
      if (std::string(variant) == "uncased")
        for (const auto& p : g["bert_pairs"]) {
          const std::string a = p["text_a"], b = p["text_b"];
          CAPTURE(a);
          std::vector<int32_t> ids(256), types(256);
          std::string_view bv = b;
          auto n = encode_into(wp, a, &bv, ids.size(), false, ids.data(), types.data());
          REQUIRE(n.ok());
          ids.resize(n.value().length);
          types.resize(n.value().length);
          CHECK(ids == p["ids"].get<std::vector<int32_t>>());
          CHECK(types == p["token_type_ids"].get<std::vector<int32_t>>());
        }
    }
  }

  TEST_CASE("the blob's vocab index: a blob from before it tokenizes the same; a corrupt one is refused") {
    auto model = Model::load(blob("tokenizer_uncased.tern").c_str());
    REQUIRE(model.ok());
    const fb::WordPiece& spec = *model.value()->impl().blob.model().tokenizer()->wordpiece();
    REQUIRE(spec.vocab_index() != nullptr);
    auto repack = [&](void (*edit)(fb::WordPieceT&)) {
      fb::WordPieceT t;
      spec.UnPackTo(&t);
      edit(t);
      auto fbb = std::make_unique<flatbuffers::FlatBufferBuilder>();
      fbb->Finish(fb::WordPiece::Pack(*fbb, &t));
      return fbb;
    };
    auto old = repack([](fb::WordPieceT& t) { t.vocab_index.clear(); });  // format 1.1: built at load
    WordPiece wp;
    REQUIRE(wp.init(*flatbuffers::GetRoot<fb::WordPiece>(old->GetBufferPointer()), 1000).ok());
    const WordPiece& indexed = *model.value()->impl().tokenizer->wordpiece();
    const nlohmann::json g = goldens();  // kept: the loop reads into it
    for (const auto& s : g["strings"]) {
      const std::string text = s["text"];
      CHECK(pieces(wp, text) == pieces(indexed, text));
    }
    auto bad_id = repack([](fb::WordPieceT& t) { t.vocab_index[3] = 5000; });
    CHECK(wp.init(*flatbuffers::GetRoot<fb::WordPiece>(bad_id->GetBufferPointer()), 1000).code() == Code::kInvalidModel);
    auto bad_size = repack([](fb::WordPieceT& t) { t.vocab_index.resize(1000); });
    CHECK(wp.init(*flatbuffers::GetRoot<fb::WordPiece>(bad_size->GetBufferPointer()), 1000).code() == Code::kInvalidModel);
    auto bad_probe = repack([](fb::WordPieceT& t) { t.vocab_index_max_probe = uint32_t(t.vocab_index.size()); });
    CHECK(wp.init(*flatbuffers::GetRoot<fb::WordPiece>(bad_probe->GetBufferPointer()), 1000).code() == Code::kInvalidModel);
  }

  TEST_CASE("truncation follows Hugging Face's longest_first") {
    auto model = Model::load(blob("tokenizer_uncased.tern").c_str());
    REQUIRE(model.ok());
    const Tokenizer& wp = *model.value()->impl().tokenizer;
    std::vector<int32_t> full = encode(wp, "Das Haus ist wunderbar.", nullptr);
    std::vector<int32_t> ids(8), types(8);
    auto n = encode_into(wp, "Das Haus ist wunderbar.", nullptr, 8, true, ids.data(), types.data());
    REQUIRE(n.ok());
    CHECK(n.value().length == 8);
    CHECK(std::vector<int32_t>(ids.begin(), ids.begin() + 7) == std::vector<int32_t>(full.begin(), full.begin() + 7));
    CHECK(ids[7] == 102);
    // Pair: 10 + 3 tokens into 9: the longer side loses first.
    std::string_view b = "a b c";
    std::vector<int32_t> pid(9), ptypes(9);
    auto pn = encode_into(wp, "one two three four five six seven eight nine ten", &b, 9, true, pid.data(), ptypes.data());
    REQUIRE(pn.ok());
    CHECK(pn.value().length == 9);
    CHECK(ptypes[8] == 1);
    auto refused = encode_into(wp, "one two three four five six seven eight nine ten", &b, 9, false, pid.data(), ptypes.data());
    CHECK(refused.status().code() == Code::kResourceExhausted);
  }

  TEST_CASE("invalid UTF-8 is an error") {
    auto model = Model::load(blob("tokenizer_uncased.tern").c_str());
    REQUIRE(model.ok());
    const Tokenizer& wp = *model.value()->impl().tokenizer;
    std::vector<int32_t> ids(64), types(64);
    for (const char* bad : {"\xff", "caf\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"})
      CHECK(encode_into(wp, bad, nullptr, 64, false, ids.data(), types.data()).status().code() == Code::kInvalidArgument);
  }
}

TEST_SUITE("wordpiece") {
  TEST_CASE("NFC as Python's unicodedata.normalize: ordering, blocking, Hangul, exclusions, singletons") {
    // Expected values from Python 3.11 (Unicode 14.0) unicodedata.normalize("NFC", ...).
    const std::vector<std::pair<std::vector<uint32_t>, std::vector<uint32_t>>> cases = {
        {{0x65, 0x301}, {0xE9}},
        {{0x61, 0x323, 0x302}, {0x1EAD}},
        {{0x61, 0x302, 0x323}, {0x1EAD}},                 // canonical reordering first
        {{0x1100, 0x1161, 0x11A8}, {0xAC01}},             // Hangul L + V + T
        {{0xB47, 0xB3E}, {0xB4B}},                        // starter + starter
        {{0x212B}, {0xC5}},                               // singleton
        {{0x958}, {0x915, 0x93C}},                        // composition exclusion
        {{0x344}, {0x308, 0x301}},
        {{0x61, 0x301, 0x301}, {0xE1, 0x301}},            // the second mark is blocked
        {{0x1E0B, 0x323}, {0x1E0D, 0x307}},
        {{0x301, 0x61}, {0x301, 0x61}},                   // a leading mark has no starter
        {{0x41, 0x30A, 0x301}, {0x1FA}},
        {{0xF900}, {0x8C48}},
    };
    for (const auto& [in, want] : cases) {
      CAPTURE(in.front());
      std::vector<uint32_t> got;
      auto emit = [&](uint32_t c) { got.push_back(c); };
      NfcStream nfc;
      for (uint32_t c : in) nfc.push(c, emit);
      nfc.flush(emit);
      CHECK(got == want);
    }
    // More marks than the stream holds: passed on, none lost.
    std::vector<uint32_t> got;
    auto emit = [&](uint32_t c) { got.push_back(c); };
    NfcStream nfc;
    nfc.push('x', emit);
    for (int i = 0; i < 40; ++i) nfc.push(0x301, emit);
    nfc.push('y', emit);
    nfc.flush(emit);
    CHECK(got.size() == 42);
  }

  TEST_CASE("decomposed input tokenizes as its composed form (BertTokenizer applies NFC)") {
    // The bundled langid vocab keeps accents, so "é" has pieces of its own: without NFC the
    // decomposed spelling would become [UNK].
    auto model = Model::load(blob("langid.tern").c_str());
    REQUIRE(model.ok());
    const Tokenizer& wp = *model.value()->impl().tokenizer;
    const std::vector<int32_t> composed = encode(wp, "V\xc3\xadnculo caf\xc3\xa9", nullptr);
    CHECK(encode(wp, "Vi\xcc\x81nculo cafe\xcc\x81", nullptr) == composed);
    for (int32_t id : composed) CHECK(wp.wordpiece()->token(id) != "[UNK]");
  }
}
