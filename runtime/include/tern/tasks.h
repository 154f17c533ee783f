// Task objects over one Model: what an application asks of it. Each checks at creation that the
// model can do its task (a classifier needs a classification head, an embedder an embedding head,
// a generator an encoder-decoder), owns one session (its arena, threads and kernels) and, like a
// Session, allocates nothing while it runs. Several may share one Model on any threads.
// create() takes an arena as Session::create does: null, the session allocates it; else
// caller-owned memory of Session::required_arena_bytes(model, options), 64-byte aligned, that must
// outlive the task object (as must the model). A Classifier for token classification also
// allocates its entity tables (max_batch x max_seq entries) at creation, outside the arena.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "tern/generation.h"
#include "tern/model.h"
#include "tern/options.h"
#include "tern/session.h"
#include "tern/status.h"

namespace tern {

// A labelled span of a text: token classification grouped as Hugging Face's ner pipeline with
// aggregation_strategy="simple" does (B-/I- tags merged, "O" dropped, the mean of the tokens'
// scores). begin/end are byte offsets into the text.
struct Entity {
  std::string_view group;  // the tokens' label without its B-/I- prefix ("PER"); points into the Model
  float score;
  uint32_t begin, end;
};

class TERN_API Classifier {
 public:
  // Refuses a model without a sequence or token classification head, or without a tokenizer.
  static Result<std::unique_ptr<Classifier>> create(const Model& model, const SessionOptions& options,
                                                    void* arena = nullptr, size_t arena_bytes = 0);
  ~Classifier();

  Head head() const;  // kSequenceClassification or kTokenClassification
  // Tokenizes, pads into one batch and runs: count <= max_batch. Pairs are sentence pairs
  // (sequence classification only; null for single texts).
  Status classify(const std::string_view* texts, const std::string_view* pairs, size_t count);

  // Sequence classification, after classify(): text i's scores [num_labels] (softmax; independent
  // sigmoids for a multi-label model; raw values for regression) and the best label.
  const float* scores(size_t i) const;
  size_t label(size_t i) const;
  bool multi_label() const;

  // Token classification, after classify(): text i's entities, in text order.
  const Entity* entities(size_t i, size_t* count) const;

 private:
  struct Impl;
  explicit Classifier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class TERN_API Embedder {
 public:
  // Refuses a model without an embedding head (a sentence-transformers checkpoint).
  static Result<std::unique_ptr<Embedder>> create(const Model& model, const SessionOptions& options,
                                                  void* arena = nullptr, size_t arena_bytes = 0);
  ~Embedder();

  Status embed(const std::string_view* texts, size_t count);
  size_t dim() const;
  // After embed(): text i's vector [dim()] (L2-normalized when the model says so).
  const float* embedding(size_t i) const;

 private:
  explicit Embedder(std::unique_ptr<Session> session);
  std::unique_ptr<Session> session_;
};

class TERN_API Generator {
 public:
  // Refuses a model that is not an encoder-decoder.
  static Result<std::unique_ptr<Generator>> create(const Model& model, const SessionOptions& options,
                                                   void* arena = nullptr, size_t arena_bytes = 0);
  ~Generator();

  // The model's defaults for this text (its generation config, or the task whose prefix it starts with).
  GenerationOptions defaults(std::string_view text) const;
  // As Session::generate: `stream` reports tokens as they come and can cancel (tern/generation.h).
  Status generate(const std::string_view* texts, size_t count, const GenerationOptions& options,
                  TokenStream stream = TokenStream());
  Status generate(const int64_t* input_ids, const int64_t* attention_mask, size_t batch, size_t seq,
                  const GenerationOptions& options, TokenStream stream = TokenStream());
  const Generated& generated() const;

 private:
  explicit Generator(std::unique_ptr<Session> session);
  std::unique_ptr<Session> session_;
};

}  // namespace tern
