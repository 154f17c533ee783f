// The encoder families beyond BERT against Hugging Face (tests/data/<case>, made with the real
// transformers classes): every output of every case, from both checkpoint formats, within 1e-4
// with f32 weights; with int8 weights no further from fp32 than PyTorch's dynamic int8, same labels.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tern/model.h"
#include "tern/session.h"
#include "tern/tasks.h"
#include "test_util.h"

using namespace tern;
using namespace tern::test;

namespace {

const char* const kCases[] = {"distilbert_cls", "roberta_cls",  "xlmr_cls",    "electra_cls",
                              "albert_cls",     "bert_embed",   "bert_tokcls", "bert_multilabel"};
const char* const kFormats[] = {"zip", "safetensors"};
// tern output name -> golden file; only those the case has are compared.
const char* const kOutputs[] = {"logits", "last_hidden_state", "pooler_output", "sentence_embedding"};

bool exists(const std::string& path) { return std::ifstream(path).good(); }

std::unique_ptr<Model> load(const std::string& name) {
  auto m = Model::load(blob(name).c_str());
  REQUIRE_MESSAGE(m.ok(), m.status().message());
  return std::move(m.value());
}

// Each row's arg-max, over the rows the attention mask keeps (token classification: every token).
std::vector<size_t> labels_of(const float* logits, size_t rows, size_t labels, const std::vector<int64_t>& keep) {
  std::vector<size_t> out;
  for (size_t r = 0; r < rows; ++r) {
    if (!keep.empty() && !keep[r]) continue;
    size_t best = 0;
    for (size_t j = 1; j < labels; ++j)
      if (logits[r * labels + j] > logits[r * labels + best]) best = j;
    out.push_back(best);
  }
  return out;
}

}  // namespace

TEST_SUITE("families") {
  TEST_CASE("f32 weights: every output of every family within 1e-4 of Hugging Face") {
    for (const char* fixture : kCases)
      for (const char* format : kFormats)
        for (Isa isa : runnable_isas()) {
          const std::string name = std::string(fixture) + "_" + format + "_f32.tern";
          CAPTURE(name);
          CAPTURE(isa_name(isa));
          auto model = load(name);
          auto s = run_fixture(*model, fixture, isa, true);
          const std::string dir = data(std::string(fixture) + "/fp32/");
          size_t compared = 0;
          for (const char* out : kOutputs) {
            if (!exists(dir + out + ".npy")) continue;
            auto ref = load_npy(dir + out + ".npy");
            check_close(output(*s, out, ref.floats.size()), ref.floats, out);
            ++compared;
          }
          CHECK(compared >= 2);
          for (const char* stacked : {"hidden_states", "attentions"}) {
            if (!exists(dir + stacked + ".npy")) continue;
            auto ref = load_npy(dir + stacked + ".npy");  // [layers (+1), ...]
            const size_t n = size_t(ref.shape[0]), each = ref.floats.size() / n;
            for (size_t l = 0; l < n; ++l)
              check_close(output(*s, std::string(stacked) + "." + std::to_string(l), each), slice(ref, l), stacked);
          }
        }
  }

  TEST_CASE("int8 weights: no further from fp32 than PyTorch's dynamic int8, same labels") {
    for (const char* fixture : kCases) {
      std::ifstream mf(data(std::string(fixture) + "/meta.json"));
      const nlohmann::json meta = nlohmann::json::parse(mf);
      const nlohmann::json& torch_err = meta["int8_onednn"]["err_vs_fp32"];
      const auto mask = load_npy(data(std::string(fixture) + "/inputs/attention_mask.npy"));
      for (const char* format : kFormats)
        for (Isa isa : runnable_isas()) {
          const std::string name = std::string(fixture) + "_" + format + "_int8.tern";
          CAPTURE(name);
          CAPTURE(isa_name(isa));
          auto model = load(name);
          auto s = run_fixture(*model, fixture, isa, false);
          const std::string dir = data(std::string(fixture) + "/fp32/");
          for (const char* out : kOutputs) {
            if (!exists(dir + out + ".npy") || !torch_err.contains(out)) continue;
            auto ref = load_npy(dir + out + ".npy");
            const double ours = rel_l2(output(*s, out, ref.floats.size()), ref.floats);
            const double theirs = torch_err[out]["rel_l2"].get<double>();
            CHECK_MESSAGE(ours <= theirs, std::string(out), ": tern int8 rel L2 ", ours, " > PyTorch int8 ", theirs);
            MESSAGE(name, " ", std::string(out), ": rel L2 ", ours, " (PyTorch int8 ", theirs, ")");
          }
          if (!exists(dir + "logits.npy")) continue;
          auto ref = load_npy(dir + "logits.npy");
          const size_t labels = size_t(ref.shape.back()), rows = ref.floats.size() / labels;
          const std::vector<int64_t> keep = rows == mask.ints.size() ? mask.ints : std::vector<int64_t>();
          CHECK(labels_of(output(*s, "logits", ref.floats.size()), rows, labels, keep) ==
                labels_of(ref.floats.data(), rows, labels, keep));
        }
    }
  }

  TEST_CASE("multi-label classification gives independent sigmoid probabilities") {
    auto model = load("bert_multilabel_zip_f32.tern");
    std::ifstream mf(data("bert_multilabel/meta.json"));
    const nlohmann::json texts = nlohmann::json::parse(mf)["inputs"]["texts"];
    std::vector<std::string> a, b;
    for (const auto& pair : texts) a.push_back(pair[0]), b.push_back(pair[1]);
    const std::vector<std::string_view> va(a.begin(), a.end()), vb(b.begin(), b.end());
    SessionOptions o;
    o.max_batch = va.size();
    auto s = Session::create(*model, o);
    REQUIRE(s.ok());
    REQUIRE(s.value()->classify(va.data(), vb.data(), va.size()).ok());
    const auto ref = load_npy(data("bert_multilabel/fp32/probabilities.npy"));
    const size_t labels = model->num_labels();
    std::vector<float> got;
    for (size_t i = 0; i < va.size(); ++i) got.insert(got.end(), s.value()->probabilities(i), s.value()->probabilities(i) + labels);
    check_close(got.data(), ref.floats, "probabilities");
  }

  TEST_CASE("RoBERTa's positions start after the padding id: max_seq is bounded by what is left") {
    auto model = load("roberta_cls_zip_f32.tern");  // max_position_embeddings 66, pad 1: 64 tokens
    SessionOptions o;
    auto s = Session::create(*model, o);
    REQUIRE(s.ok());
    o.max_seq = 64;
    CHECK(Session::create(*model, o).ok());
    o.max_seq = 65;
    CHECK(Session::create(*model, o).status().code() == Code::kInvalidArgument);
  }

  TEST_CASE("Embedder: sentence-transformers embeddings of the fixture texts") {
    auto model = load("bert_embed_zip_f32.tern");
    std::ifstream mf(data("bert_embed/meta.json"));
    const std::vector<std::string> texts = nlohmann::json::parse(mf)["inputs"]["texts"];
    const std::vector<std::string_view> views(texts.begin(), texts.end());
    SessionOptions o;
    o.max_batch = views.size();
    auto e = Embedder::create(*model, o);
    REQUIRE_MESSAGE(e.ok(), e.status().message());
    REQUIRE(e.value()->embed(views.data(), views.size()).ok());
    const auto ref = load_npy(data("bert_embed/fp32/sentence_embedding.npy"));
    const size_t dim = e.value()->dim();
    REQUIRE(ref.floats.size() == views.size() * dim);
    for (size_t i = 0; i < views.size(); ++i)
      check_close(e.value()->embedding(i), slice(ref, i), "sentence_embedding");
  }

  TEST_CASE("Classifier: token classification grouped into entities as the ner pipeline's simple strategy") {
    auto model = load("bert_tokcls_zip_f32.tern");
    std::ifstream mf(data("bert_tokcls/meta.json"));
    const std::vector<std::string> texts = nlohmann::json::parse(mf)["inputs"]["texts"];
    const std::vector<std::string_view> views(texts.begin(), texts.end());
    SessionOptions o;
    o.max_batch = views.size();
    auto c = Classifier::create(*model, o);
    REQUIRE_MESSAGE(c.ok(), c.status().message());
    CHECK(c.value()->head() == Head::kTokenClassification);
    REQUIRE(c.value()->classify(views.data(), nullptr, views.size()).ok());
    // The pipeline's steps on the golden logits: each text token's best label and its softmax
    // probability, then B-/I- grouping, "O" groups dropped, scores averaged.
    const auto logits = load_npy(data("bert_tokcls/fp32/logits.npy"));  // [B, T, labels]
    const auto mask = load_npy(data("bert_tokcls/inputs/attention_mask.npy"));
    const size_t T = size_t(logits.shape[1]), L = size_t(logits.shape[2]);
    size_t total = 0;
    for (size_t b = 0; b < views.size(); ++b) {
      CAPTURE(b);
      size_t len = 0;
      while (len < T && mask.ints[b * T + len]) ++len;
      std::vector<std::pair<std::string, float>> expected;  // group, score
      std::string tag;
      float sum = 0;
      size_t n = 0;
      auto flush = [&] {
        if (n && tag != "O") expected.emplace_back(tag, sum / float(n));
        n = 0, sum = 0;
      };
      for (size_t t = 1; t + 1 < len; ++t) {  // [CLS] and [SEP] are special
        const float* z = logits.floats.data() + (b * T + t) * L;
        size_t best = 0;
        for (size_t j = 1; j < L; ++j) best = z[j] > z[best] ? j : best;
        float denom = 0;
        for (size_t j = 0; j < L; ++j) denom += std::exp(z[j] - z[best]);
        std::string label(model->label(best)), bi = "I", t_tag = label;
        if (label.size() > 2 && (label[0] == 'B' || label[0] == 'I') && label[1] == '-') bi = label.substr(0, 1), t_tag = label.substr(2);
        if (!(n && t_tag == tag && bi != "B")) flush(), tag = t_tag;
        sum += 1.0f / denom;
        ++n;
      }
      flush();
      size_t count = 0;
      const Entity* got = c.value()->entities(b, &count);
      REQUIRE(count == expected.size());
      uint32_t prev_end = 0;
      for (size_t k = 0; k < count; ++k) {
        CHECK(std::string(got[k].group) == expected[k].first);
        CHECK(std::fabs(got[k].score - expected[k].second) < 1e-4f);
        CHECK((got[k].begin >= prev_end && got[k].begin < got[k].end && got[k].end <= views[b].size()));
        prev_end = got[k].end;
      }
      total += count;
    }
    MESSAGE("entities in the fixture texts: ", total);
  }

  TEST_CASE("task objects refuse models that cannot do their task, at creation") {
    auto embed = load("bert_embed_zip_f32.tern");
    auto cls = load("bert_multilabel_zip_f32.tern");
    CHECK(Classifier::create(*embed, SessionOptions()).status().code() == Code::kInvalidArgument);
    CHECK(Embedder::create(*cls, SessionOptions()).status().code() == Code::kInvalidArgument);
    CHECK(Generator::create(*cls, SessionOptions()).status().code() == Code::kInvalidArgument);
    auto c = Classifier::create(*cls, SessionOptions());
    REQUIRE(c.ok());
    CHECK(c.value()->multi_label());
  }

  TEST_CASE("task objects run in a caller's arena of required_arena_bytes(), and refuse a smaller one") {
    auto embed = load("bert_embed_zip_int8.tern");
    auto tokcls = load("bert_tokcls_zip_int8.tern");
    auto t5 = load("t5_tiny_zip_int8.tern");
    SessionOptions o;
    o.max_seq = 32;
    const std::string_view text = "Angela Merkel visited Paris.";
    for (const Model* m : {embed.get(), tokcls.get(), t5.get()}) {
      auto need = Session::required_arena_bytes(*m, o);
      REQUIRE(need.ok());
      std::vector<uint64_t> memory(need.value() / 8 + 16);
      void* arena = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(memory.data()) + 63) / 64 * 64);
      if (m == embed.get()) {
        CHECK(Embedder::create(*m, o, arena, need.value() - 64).status().code() == Code::kResourceExhausted);
        auto e = Embedder::create(*m, o, arena, need.value());
        REQUIRE(e.ok());
        CHECK(e.value()->embed(&text, 1).ok());
      } else if (m == tokcls.get()) {
        CHECK(Classifier::create(*m, o, arena, need.value() - 64).status().code() == Code::kResourceExhausted);
        auto c = Classifier::create(*m, o, arena, need.value());
        REQUIRE(c.ok());
        CHECK(c.value()->classify(&text, nullptr, 1).ok());
      } else {
        CHECK(Generator::create(*m, o, arena, need.value() - 64).status().code() == Code::kResourceExhausted);
        auto g = Generator::create(*m, o, arena, need.value());
        REQUIRE(g.ok());
        CHECK(g.value()->generate(&text, 1, g.value()->defaults(text)).ok());
      }
    }
  }

  TEST_CASE("Model::token gives the tokenizer's token of an id, empty outside the vocabulary") {
    auto bert = load("bert_zip_f32.tern");
    auto ids = bert->tokenize("Hello world");
    REQUIRE(ids.ok());
    CHECK(bert->token(ids.value().front()) == "[CLS]");
    CHECK(bert->token(ids.value().back()) == "[SEP]");
    CHECK(bert->token(-1).empty());
    CHECK(bert->token(int32_t(bert->info().vocab_size)).empty());
    auto t5 = load("t5_tiny_zip_f32.tern");
    CHECK(t5->token(t5->info().eos_token_id) == "</s>");
    CHECK(t5->token(t5->info().target_vocab_size).empty());
    CHECK(load("torch_seq2seq_zip_f32.tern")->token(5).empty());  // no tokenizer
  }

  TEST_CASE("a task the model has no head for is refused") {
    auto embed = load("bert_embed_zip_f32.tern");
    auto s = Session::create(*embed, SessionOptions());
    REQUIRE(s.ok());
    const std::string_view text = "Hello world!";
    CHECK(s.value()->classify(&text, nullptr, 1).code() == Code::kInvalidArgument);
  }
}
