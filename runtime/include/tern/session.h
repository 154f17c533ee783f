// A Session runs one Model with memory planned once, at creation, for the largest batch and
// sequence it will see. run() allocates nothing. One session per thread; many sessions may share a
// Model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tern/generation.h"
#include "tern/model.h"
#include "tern/options.h"
#include "tern/status.h"

namespace tern {

struct SessionOptions {
  size_t max_batch = 1;
  size_t max_seq = 0;                 // tokens per sequence, special tokens included; 0: the
                                      // model's positions (ModelInfo::max_positions, at most 512), else 512
  bool output_hidden_states = false;  // keep every layer's output (hidden_states.0 .. .L)
  bool output_attentions = false;     // keep every layer's attention maps
  bool truncate = false;              // text longer than max_seq: truncate (else an error)
  // Encoder-decoders only: the longest generation and the most beams this session will run (memory
  // for the KV caches is planned from them). max_new_tokens 0: 64, or as many as the model's
  // positions allow when fewer (the decoder's start token takes one).
  size_t max_new_tokens = 0;
  size_t max_beams = 1;
  // Encoder-decoders, run() only: the longest teacher-forced decoder input (decoder_input_ids'
  // length) this session takes. 0: none, and none of their memory (run() then encodes only): they
  // keep logits for every position, [max_batch, length, vocab], most of a generating session's arena.
  size_t max_decoder_seq = 0;
  Isa isa = Isa::kAuto;
  size_t threads = 1;
  // Float-weight Linears (--weights f32|f16, --keep-float) run on XNNPACK operators made at
  // creation, when tern is built with it (TERN_WITH_XNNPACK). Each packs its own copy of its
  // weights, outside the arena: Session::xnnpack_bytes(). false: tern's own float kernels.
  bool xnnpack = true;
  // Debug: fill each scratch buffer with NaN as it is born (its first step in the arena plan), so
  // that any read of memory not written in this run shows in the outputs. Slower; for tests.
  bool poison_scratch = false;
};

// Token ids in, as Hugging Face's forward takes them. Row-major [batch, seq].
struct Inputs {
  size_t batch = 0, seq = 0;
  const int64_t* input_ids = nullptr;       // required; each < vocab_size
  const int64_t* attention_mask = nullptr;  // null: all ones; values 0 or 1
  const int64_t* token_type_ids = nullptr;  // BERT; null: all zeros; each < type_vocab_size
  // Encoder-decoders: teacher-forced decoder inputs [batch, decoder_seq] (decoder_seq <=
  // SessionOptions::max_decoder_seq).
  size_t decoder_seq = 0;
  const int64_t* decoder_input_ids = nullptr;
  const int64_t* decoder_attention_mask = nullptr;
};

// Generated sequences in the session's arena, valid until the next call: [sequences, length]
// token ids starting with the decoder start token, padded with the pad id (Hugging Face layout).
struct Generated {
  const int32_t* tokens = nullptr;
  const float* scores = nullptr;  // beam search: each sequence's final score; else null
  size_t sequences = 0, length = 0;
};

// A named output in the session's arena, valid until the next run. Names as Hugging Face's output
// fields: logits, pooler_output, last_hidden_state, hidden_states.N, attentions.N.
struct OutputTensor {
  const char* name;
  const float* data;
  int rank;
  int64_t shape[4];
};

struct SessionImpl;

class TERN_API Session {
 public:
  // Arena bytes a session with these options needs (64-byte aligned), before anything is made.
  static Result<size_t> required_arena_bytes(const Model& model, const SessionOptions& options);
  // `arena`: caller-owned memory of at least required_arena_bytes(), 64-byte aligned, that must
  // outlive the session; null: the session allocates it once, here. `model` must outlive it too.
  static Result<std::unique_ptr<Session>> create(const Model& model, const SessionOptions& options,
                                                 void* arena = nullptr, size_t arena_bytes = 0);
  ~Session();

  // Runs the model on token ids. Validates ids, mask and types; allocates nothing.
  Status run(const Inputs& inputs);
  // Outputs of the last run (pointers into the arena).
  size_t num_outputs() const;
  const OutputTensor& output(size_t i) const;
  const OutputTensor* find_output(std::string_view name) const;

  // Text classification: tokenizes texts (and, if given, their pairs, as BERT sentence pairs),
  // pads them into one batch and runs. count <= max_batch.
  Status classify(const std::string_view* texts, const std::string_view* pairs, size_t count);
  // After classify(): softmax probabilities [num_labels] of text i, and its arg-max.
  const float* probabilities(size_t i) const;
  size_t predicted_label(size_t i) const;

  // Encoder-decoders: generation from token ids (input_ids [batch, seq], attention_mask or null)
  // or from texts (tokenized with the model's tokenizer and its template). Allocates nothing.
  // `stream` reports tokens as they come and can cancel (tern/generation.h): generate() then
  // returns Code::kCancelled and generated() holds what was produced. After any other error,
  // generated() is empty.
  Status generate(const int64_t* input_ids, const int64_t* attention_mask, size_t batch, size_t seq,
                  const GenerationOptions& options, TokenStream stream = TokenStream());
  Status generate(const std::string_view* texts, size_t count, const GenerationOptions& options,
                  TokenStream stream = TokenStream());
  const Generated& generated() const;
  // The model's defaults for this input text (a task whose prefix the text starts with, else the
  // generation config). Clamped to what the session planned.
  GenerationOptions generation_defaults(std::string_view text) const;

  size_t arena_bytes() const;
  // The arena plan: its persistent section, then its scratch section, one line per buffer (name,
  // bytes, offset, lifetime in named steps), by offset.
  std::string arena_plan() const;
  // Bytes XNNPACK allocated for this session's operators (its packed copy of the float weights),
  // besides the arena; 0 when the model has no float Linear or XNNPACK is off.
  size_t xnnpack_bytes() const;
  size_t xnnpack_operators() const;
  const char* kernel_names() const;  // e.g. "qgemm=qd8_f32_qc8w_gemm_1x16c4__ref ..."
  // The session's facts (arena and what it was planned for, the kernel tiers built and runnable
  // here, the chosen ISA and kernels, XNNPACK's memory, the arena plan) as lines or one JSON object.
  std::string describe(bool json = false) const;
  Isa isa() const;
  SessionImpl& impl() { return *impl_; }

 private:
  explicit Session(std::unique_ptr<SessionImpl> impl);
  std::unique_ptr<SessionImpl> impl_;
};

}  // namespace tern
