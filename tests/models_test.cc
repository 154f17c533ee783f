// The bundled default models end to end (models/, converted by CTest): held-out sentences of each
// language classified correctly, and translations token-identical to PyTorch fp32 on the same
// checkpoint (models/samples.json, written by scripts/models/evaluate.py).
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tern/model.h"
#include "tern/session.h"
#include "test_util.h"

using namespace tern;
using namespace tern::test;

namespace {

nlohmann::json samples() {
  std::ifstream f(std::string(TERN_MODELS_DIR) + "/samples.json");
  REQUIRE_MESSAGE(f.good(), "models/samples.json is missing");
  return nlohmann::json::parse(f);
}

void check_translations(const char* blob_name, const nlohmann::json& cases) {
  auto model = Model::load(blob(blob_name).c_str());
  REQUIRE_MESSAGE(model.ok(), model.status().message());
  SessionOptions o;
  o.max_new_tokens = 63;
  auto s = Session::create(*model.value(), o);
  REQUIRE(s.ok());
  REQUIRE(cases.size() == 8);  // evaluate.py: 4 software messages, 4 dictionary sentences
  for (const auto& c : cases) {
    const std::string text = c[0];
    CAPTURE(text);
    std::string_view t = text;
    GenerationOptions g = s.value()->generation_defaults(t);
    g.max_new_tokens = 63;
    REQUIRE(s.value()->generate(&t, 1, g).ok());
    const Generated& out = s.value()->generated();
    const std::vector<int32_t> want = c[1];
    std::vector<int32_t> got(out.tokens, out.tokens + out.length);
    while (!got.empty() && got.back() == 0) got.pop_back();  // padding after </s>
    CHECK(got == want);
  }
}

}  // namespace

TEST_SUITE("bundled_models") {
  TEST_CASE("langid names the language of held-out sentences") {
    auto model = Model::load(blob("langid.tern").c_str());
    REQUIRE_MESSAGE(model.ok(), model.status().message());
    auto s = Session::create(*model.value(), SessionOptions());
    REQUIRE(s.ok());
    const nlohmann::json cases = samples()["langid"];
    REQUIRE(cases.size() == 15);
    for (const auto& c : cases) {
      const std::string text = c[0], lang = c[1];
      CAPTURE(text);
      std::string_view t = text;
      REQUIRE(s.value()->classify(&t, nullptr, 1).ok());
      CHECK(model.value()->label(s.value()->predicted_label(0)) == lang);
    }
  }

  TEST_CASE("en-de (f32 weights) gives PyTorch fp32's tokens") { check_translations("en-de_f32.tern", samples()["en-de f32"]); }

  TEST_CASE("en-de (int8, as shipped) gives PyTorch fp32's tokens where the evaluation found them equal") {
    check_translations("en-de.tern", samples()["en-de int8"]);
  }
}
