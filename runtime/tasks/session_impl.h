// A session's internals, shared by Session and the task objects (tern/tasks.h) built on it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ops/xnnpack_linear.h"
#include "tasks/generator.h"
#include "tasks/model_impl.h"
#include "text/tokenizer.h"
#include "tern/session.h"

namespace tern {

// What a session of either architecture owns: options, kernels and threads, one arena and the
// plan that divides it, and the named outputs of the last run.
struct SessionImpl {
  const ModelImpl* model = nullptr;
  SessionOptions options;
  OpContext ctx;
  std::unique_ptr<XnnpackLinears> xnn;  // ctx.xnn; null without float Linears
  uint8_t* arena = nullptr;
  size_t arena_bytes = 0;
  bool owns_arena = false;
  std::vector<std::string> output_names;
  std::vector<OutputTensor> outputs;
  std::string kernel_names;
  // BERT family
  EncoderPlan plan;
  EncoderBuffers buf{};
  // Encoder-decoders
  MemoryPlan s2s_memory;
  Seq2SeqPlan s2s;
  Seq2SeqBuffers s2s_buf{};
  GeneratorPlan gen;
  int dec_logits = -1, dec_hidden = -1, dec_ids = -1, dec_mask = -1;  // run(): teacher forcing
  int text_scratch = -1;  // the tokenizer's working memory for generate(texts)
  uint8_t* encoder_text_scratch = nullptr;  // BERT family: the tokenizer's, after the encoder's plan
  Generated generated;
  size_t src_len = 0, beams_now = 1;

  ~SessionImpl() {
    if (ctx.pool) pthreadpool_destroy(ctx.pool);
    if (owns_arena) std::free(arena);
  }
  bool is_seq2seq() const { return model->encoder_decoder(); }
  template <typename T>
  T* s2s_at(int i) const { return reinterpret_cast<T*>(arena + s2s_memory.offset(i)); }
  Status run_loaded(size_t batch, size_t seq);
  Status run_seq2seq(const Inputs& in);
  Status load_source(const Inputs& in);
  Status generate_loaded(size_t batch, size_t seq, const GenerationOptions& o, const TokenStream& stream);
  // Tokenizes texts (and pairs) into the encoder's inputs, row i at stride max_seq then packed to
  // the batch's longest; offsets (optional, [count * max_seq]) get each token's bytes and lengths
  // each row's tokens. Returns the batch's sequence length.
  Result<size_t> encode_texts(const char* what, const std::string_view* texts, const std::string_view* pairs,
                              size_t count, TokenOffsets* offsets, size_t* lengths);
  void describe_outputs();
  // SessionOptions::poison_scratch: an encoder-decoder's buffers born at `step` (Seq2SeqStep) as NaN.
  void poison_born(int step) const {
    if (options.poison_scratch) s2s_memory.poison_born(arena, step);
  }
  void set_output(size_t index, const float* data, std::initializer_list<int64_t> shape);
};

// Scores from logits as Hugging Face's problem_type reads them: single-label softmax,
// multi-label independent sigmoids, regression the raw values.
void label_scores(LabelOutput output, const float* z, size_t n, float* p);

}  // namespace tern
