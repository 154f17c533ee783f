// The one tokenizer interface (runtime/text/tokenizer.h): templates from the blob, offsets into
// the text, blobs from before templates were written.
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "tasks/model_impl.h"
#include "tern/model.h"
#include "test_util.h"

using namespace tern;
using namespace tern::test;

namespace {

struct Tokens {
  std::vector<int32_t> ids, types;
  std::vector<TokenOffsets> offsets;
  size_t pair_start = 0;
};

Tokens encode(const Tokenizer& t, std::string_view a, const std::string_view* b = nullptr, size_t max_len = 4096,
              bool truncate = false) {
  std::vector<uint64_t> scratch(t.scratch_bytes() / 8 + 1);
  Tokens out;
  out.ids.resize(max_len), out.types.resize(max_len), out.offsets.resize(max_len);
  auto e = t.encode(a, b, reinterpret_cast<uint8_t*>(scratch.data()), truncate,
                    EncodeOutput{out.ids.data(), out.types.data(), out.offsets.data(), max_len});
  REQUIRE_MESSAGE(e.ok(), e.status().message());
  out.ids.resize(e.value().length), out.types.resize(e.value().length), out.offsets.resize(e.value().length);
  out.pair_start = e.value().pair_start;
  return out;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream f(path);
  return nlohmann::json::parse(f);
}

// Offsets lie in the text, in order (tokens one character became, as "ﬁ" -> "f" "i", share its
// span); template specials are empty at 0.
void check_offsets(const Tokenizer& t, const Tokens& tk, std::string_view a, std::string_view b) {
  uint32_t last = 0;
  for (size_t i = 0; i < tk.ids.size(); ++i) {
    const TokenOffsets o = tk.offsets[i];
    const std::string_view text = i < tk.pair_start ? a : b;
    if (i == tk.pair_start) last = 0;
    CAPTURE(i);
    CHECK(o.begin <= o.end);
    CHECK(o.end <= text.size());
    if (o.end > o.begin) {
      CHECK(o.begin >= last);
      last = o.begin;
    }
    (void)t;
  }
}

// One blob per tokenizer kind, for the corruption test.
const char* const kFuzzBlobs[] = {"tokenizer_uncased.tern", "t5_tokenizer_legacy.tern", "tokenizer_roberta.tern",
                                  "tokenizer_xlmr.tern", "tokenizer_albert.tern"};

}  // namespace

TEST_SUITE("tokenizer") {
  // goldens_families.json: the 32 strings and 3 pairs through RobertaTokenizer, XLMRobertaTokenizer,
  // AlbertTokenizer and DistilBertTokenizer (transformers 4.36.2). ELECTRA's fixture tokenizer has
  // DistilBERT's vocab and settings, so it must give DistilBERT's ids.
  TEST_CASE("family goldens: ids, type ids and decoded text of every string and pair") {
    const nlohmann::json g = read_json(data("goldens_families.json"));
    for (const char* fam : {"roberta", "xlmr", "albert", "distilbert", "electra"}) {
      CAPTURE(fam);
      const std::string key = std::string(fam) == "electra" ? "distilbert" : fam;
      auto model = Model::load(blob(std::string("tokenizer_") + fam + ".tern").c_str());
      REQUIRE_MESSAGE(model.ok(), model.status().message());
      const Tokenizer& t = *model.value()->impl().tokenizer;
      size_t strings = 0, pairs = 0;
      for (const auto& s : g["strings"]) {
        const std::string text = s["text"];
        CAPTURE(text);
        const auto& want = s[key];
        Tokens tk = encode(t, text);
        CHECK(tk.ids == want["ids"].get<std::vector<int32_t>>());
        if (want.contains("token_type_ids")) CHECK(tk.types == want["token_type_ids"].get<std::vector<int32_t>>());
        check_offsets(t, tk, text, "");
        const auto ref = want["ids"].get<std::vector<int32_t>>();
        CHECK(t.decode(ref.data(), ref.size(), true) == want["decoded"].get<std::string>());
        CHECK(t.decode(ref.data(), ref.size(), false) == want["decoded_with_special"].get<std::string>());
        strings += tk.ids == ref;
      }
      for (const auto& p : g["pairs"]) {
        const std::string a = p["text_a"], b = p["text_b"];
        CAPTURE(a);
        const std::string_view bv = b;
        const auto& want = p[key];
        Tokens tk = encode(t, a, &bv);
        CHECK(tk.ids == want["ids"].get<std::vector<int32_t>>());
        if (want.contains("token_type_ids")) CHECK(tk.types == want["token_type_ids"].get<std::vector<int32_t>>());
        check_offsets(t, tk, a, b);
        const auto ref = want["ids"].get<std::vector<int32_t>>();
        CHECK(t.decode(ref.data(), ref.size(), false) == want["decoded"].get<std::string>());
        pairs += tk.ids == ref;
      }
      MESSAGE(std::string(fam) << ": " << strings << "/32 strings, " << pairs << "/3 pairs");
      CHECK(strings == 32);
      CHECK(pairs == 3);
    }
  }

  // tests/data/tokenizer_json: each fixture tokenizer as tokenizer.json alone (the tokenizers
  // library's serialization, scripts/make_tokenizer_json.py). Its blob must give the ids and type
  // ids of the blob from the older files for every golden string and pair.
  TEST_CASE("tokenizer.json: the same ids as the older files, every golden string and pair") {
    const nlohmann::json families = read_json(data("goldens_families.json")), t5 = read_json(data("goldens.json"));
    std::vector<std::pair<std::string, std::string>> texts;  // (a, b); b empty: a single text
    for (const nlohmann::json* g : {&families, &t5}) {
      for (const auto& s : (*g)["strings"]) texts.emplace_back(s["text"], "");
      for (const auto& p : g->contains("pairs") ? (*g)["pairs"] : (*g)["bert_pairs"]) texts.emplace_back(p["text_a"], p["text_b"]);
    }
    REQUIRE(texts.size() == 70);
    const std::pair<const char*, const char*> blobs[] = {
        {"bert", "tokenizer_uncased.tern"},   {"distilbert", "tokenizer_distilbert.tern"},
        {"roberta", "tokenizer_roberta.tern"}, {"xlmr", "tokenizer_xlmr.tern"},
        {"albert", "tokenizer_albert.tern"},   {"t5", "t5_tokenizer_legacy.tern"}};
    for (const auto& [name, older] : blobs) {
      CAPTURE(name);
      auto from_json = Model::load(blob(std::string("tokenizer_json_") + name + ".tern").c_str());
      auto from_files = Model::load(blob(older).c_str());
      REQUIRE_MESSAGE(from_json.ok(), from_json.status().message());
      REQUIRE_MESSAGE(from_files.ok(), from_files.status().message());
      const Tokenizer& j = *from_json.value()->impl().tokenizer;
      const Tokenizer& f = *from_files.value()->impl().tokenizer;
      CHECK(j.kind() == f.kind());
      CHECK(j.special().cls == f.special().cls);
      CHECK(j.special().sep == f.special().sep);
      CHECK(j.special().pad == f.special().pad);
      CHECK(j.special().unk == f.special().unk);
      size_t same = 0;
      for (const auto& [a, b] : texts) {
        CAPTURE(a);
        CAPTURE(b);
        const std::string_view bv = b;
        const bool pair = !b.empty();
        const Tokens x = encode(j, a, pair ? &bv : nullptr), y = encode(f, a, pair ? &bv : nullptr);
        CHECK(x.ids == y.ids);
        CHECK(x.types == y.types);
        same += x.ids == y.ids && x.types == y.types;
      }
      MESSAGE(std::string(name) << ": " << same << "/" << texts.size() << " texts encode the same");
    }
  }

  TEST_CASE("byte-level BPE is linear in the text: 1 MB words, whitespace runs and added tokens") {
    // Each word is merged through a heap in bounded scratch (words over Bpe::kMaxWordBytes in
    // pieces), so none of these is quadratic; merging a 1 MB word pair by pair as the slow
    // tokenizer does (O(n^2) per word) would not finish within ctest's timeout.
    auto model = Model::load(blob("tokenizer_roberta.tern").c_str());
    REQUIRE(model.ok());
    const Tokenizer& t = *model.value()->impl().tokenizer;
    std::vector<uint64_t> scratch(t.scratch_bytes() / 8 + 1);
    for (const char* unit : {"ab", "a", " ", "\t ", "1", "!?", "\xc3\xa9", "<mask>", "</s>x"}) {
      CAPTURE(unit);
      std::string text;
      while (text.size() < (1 << 20)) text += unit;
      // Byte-level tokens tile the text: each starts where the last ended (added tokens included).
      size_t count = 0, covered = 0;
      bool tiled = true;
      auto sink = [&](int32_t, uint32_t b, uint32_t e) {
        tiled = tiled && b == covered && e > b;
        covered = e;
        return ++count, true;
      };
      REQUIRE(t.tokenize(text, reinterpret_cast<uint8_t*>(scratch.data()), TokenSink(sink)).ok());
      CHECK(tiled);
      CHECK(covered == text.size());
      CHECK(count > 0);
    }
  }

  // Under ASan (scripts/test.sh) this is the tokenizers' fuzz test: a corrupt blob that still
  // loads must tokenize and decode without reading out of bounds.
  TEST_CASE("flipped bytes in a tokenizer's tables: refused, or it tokenizes without a crash") {
    for (const char* name : kFuzzBlobs) {
      CAPTURE(name);
      const std::vector<uint8_t> good = read_file(blob(name));
      uint32_t table;
      std::memcpy(&table, good.data(), 4);
      std::mt19937 rng(7);
      size_t loaded = 0;
      void* mem = std::aligned_alloc(64, (good.size() + 64) / 64 * 64);
      for (int trial = 0; trial < 300; ++trial) {
        std::memcpy(mem, good.data(), good.size());
        auto* bytes = static_cast<uint8_t*>(mem);
        for (int k = 0; k < 1 + trial % 4; ++k) bytes[rng() % (table + 4)] ^= uint8_t(1u << (rng() % 8));
        auto model = Model::from_buffer(mem, good.size());
        if (!model.ok() || !model.value()->has_tokenizer()) continue;
        ++loaded;
        for (const char* text : {"Hello world! <mask> 1,000 caf\xc3\xa9", "  \t x", ""}) {
          auto ids = model.value()->tokenize(text);
          if (ids.ok()) (void)model.value()->decode(ids.value().data(), ids.value().size(), false);
        }
        const int32_t some[] = {0, 1, 2, 3, 50, 999};
        (void)model.value()->decode(some, 6, true);
      }
      std::free(mem);
      MESSAGE(std::string(name) << ": " << loaded << " of 300 corrupted blobs loaded and tokenized");
    }
  }

  TEST_CASE("offsets: WordPiece pieces map to their bytes; specials are empty") {
    auto model = Model::load(blob("tokenizer_uncased.tern").c_str());
    REQUIRE(model.ok());
    const Tokenizer& t = *model.value()->impl().tokenizer;
    const std::string text = "Hello world!";
    Tokens tk = encode(t, text);
    // [CLS] h ##ell ##o w ##or ##l ##d ! [SEP]
    REQUIRE(tk.ids.size() == 10);
    const std::vector<std::pair<uint32_t, uint32_t>> want = {{0, 0}, {0, 1}, {1, 4}, {4, 5}, {6, 7}, {7, 9},
                                                             {9, 10}, {10, 11}, {11, 12}, {0, 0}};
    for (size_t i = 0; i < want.size(); ++i) {
      CAPTURE(i);
      CHECK(tk.offsets[i].begin == want[i].first);
      CHECK(tk.offsets[i].end == want[i].second);
    }
    // Accents stripped and NFC-composed characters still cover their source bytes.
    Tokens cafe = encode(t, "Cafe\xcc\x81 d\xc3\xa9j\xc3\xa0");
    check_offsets(t, cafe, "Cafe\xcc\x81 d\xc3\xa9j\xc3\xa0", "");
    CHECK(cafe.offsets[cafe.ids.size() - 2].end == 13);
  }

  TEST_CASE("offsets: SentencePiece pieces cover their normalized source; every golden string") {
    for (const char* variant : {"legacy", "nonlegacy"}) {
      CAPTURE(variant);
      auto model = Model::load(blob(std::string("t5_tokenizer_") + variant + ".tern").c_str());
      REQUIRE(model.ok());
      const Tokenizer& t = *model.value()->impl().tokenizer;
      Tokens tk = encode(t, "Hello world!");
      REQUIRE(tk.ids.size() >= 3);
      CHECK(tk.offsets.front().begin == 0);
      CHECK(tk.offsets[tk.ids.size() - 2].end == 12);  // "!" ends the text; </s> is a special
      CHECK(tk.offsets.back().begin == tk.offsets.back().end);
      const nlohmann::json g = read_json(data("goldens.json"));
      for (const auto& s : g["strings"]) {
        const std::string text = s["text"];
        CAPTURE(text);
        check_offsets(t, encode(t, text), text, "");
      }
    }
  }

  TEST_CASE("blobs from before templates (format 1.2) encode as they did: BERT's and T5's") {
    for (const char* name : {"tokenizer_uncased.tern", "t5_tokenizer_legacy.tern"}) {
      CAPTURE(name);
      auto model = Model::load(blob(name).c_str());
      REQUIRE(model.ok());
      const fb::Tokenizer& spec = *model.value()->impl().blob.model().tokenizer();
      REQUIRE(spec.post_processor() != nullptr);
      fb::TokenizerT old;
      spec.UnPackTo(&old);
      old.post_processor.reset();
      old.pad_id = old.cls_id = old.sep_id = old.unk_id = old.mask_id = -1;
      flatbuffers::FlatBufferBuilder fbb;
      fbb.Finish(fb::Tokenizer::Pack(fbb, &old));
      Tokenizer t;
      const int vocab = model.value()->info().decoded_vocab_size();
      REQUIRE(t.init(*flatbuffers::GetRoot<fb::Tokenizer>(fbb.GetBufferPointer()), vocab).ok());
      const Tokenizer& now = *model.value()->impl().tokenizer;
      const std::string_view b = "Das Haus ist wunderbar.";
      for (const char* text : {"Hello world!", "", "a </s>"}) {
        CAPTURE(text);
        CHECK(encode(t, text).ids == encode(now, text).ids);
        Tokens x = encode(t, text, &b), y = encode(now, text, &b);
        CHECK(x.ids == y.ids);
        CHECK(x.types == y.types);
      }
      CHECK(t.special().sep == now.special().sep);
      CHECK(t.special().pad == now.special().pad);
    }
  }

  TEST_CASE("a corrupt template is refused") {
    auto model = Model::load(blob("tokenizer_uncased.tern").c_str());
    REQUIRE(model.ok());
    const fb::Tokenizer& spec = *model.value()->impl().blob.model().tokenizer();
    for (int edit = 0; edit < 4; ++edit) {
      CAPTURE(edit);
      fb::TokenizerT bad;
      spec.UnPackTo(&bad);
      auto& pair = bad.post_processor->pair;
      if (edit == 0) pair[0] = fb::TemplatePiece(5000, 0);           // beyond the vocab
      if (edit == 1) pair[3] = fb::TemplatePiece(-1, 1);             // two first texts
      if (edit == 2) bad.post_processor->single[1] = fb::TemplatePiece(-2, 0);  // a second text alone
      if (edit == 3) bad.sep_id = 1000;
      flatbuffers::FlatBufferBuilder fbb;
      fbb.Finish(fb::Tokenizer::Pack(fbb, &bad));
      Tokenizer t;
      CHECK(t.init(*flatbuffers::GetRoot<fb::Tokenizer>(fbb.GetBufferPointer()), 1000).code() == Code::kInvalidModel);
    }
  }
}
