// The SentencePiece tokenizer against Hugging Face T5Tokenizer goldens (tests/data/goldens.json),
// legacy and legacy=False: ids, decoded text with and without special tokens.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

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

  TEST_CASE("invalid UTF-8 is an error") {
    auto model = Model::load(blob("t5_tokenizer_legacy.tern").c_str());
    REQUIRE(model.ok());
    for (const char* bad : {"\xff", "caf\xc3", "\xc0\xaf", "\xed\xa0\x80"})
      CHECK(model.value()->tokenize(bad).status().code() == Code::kInvalidArgument);
  }
}
