#pragma once

#include <cstddef>
#include <cstdint>

namespace tern {

// Hugging Face generate() settings. Session::generation_defaults() gives the model's (its
// generation_config.json, or the task_specific_params whose prefix the input starts with).
struct GenerationOptions {
  int max_new_tokens = 19;
  int min_new_tokens = 0;
  int num_beams = 1;
  int num_return_sequences = 1;     // <= num_beams
  float length_penalty = 1.0f;      // beam search: score = sum log p / length^length_penalty
  int no_repeat_ngram_size = 0;
  bool early_stopping = false;      // beam search: stop a batch once num_beams hypotheses finished
  bool do_sample = false;
  float temperature = 1.0f;
  int top_k = 0;                    // 0: off
  float top_p = 1.0f;               // 1: off
  uint64_t seed = 0;                // sampling is reproducible for a given seed
};

// Streaming: generate() calls on_token(user, sequence, token) with each token as it is produced,
// from the thread that called generate(), before generate() returns. `sequence` is the token's row
// in Session::generated(). A plain function pointer and a pointer of the caller's: nothing is
// allocated to call it.
// - Greedy and sampling: every new token of every row, as it is chosen: step by step, and within a
//   step row by row. The end-of-sequence token that finishes a row is reported too; the padding
//   after it is not.
// - Beam search: nothing while searching (a beam's tokens may still be replaced); when the search
//   is done, each returned hypothesis in the order of generated() (input by input, best first),
//   token by token: its generated tokens (not the start token), its end-of-sequence token if it has
//   one, no padding.
// on_token returning false cancels: generate() stops there and returns Code::kCancelled. Greedy and
// sampling then leave in generated() exactly the tokens reported (rows not reported at the
// cancelled step hold the pad id there, as finished rows do); beam search, cancelled while
// reporting, leaves its complete result.
struct TokenStream {
  bool (*on_token)(void* user, size_t sequence, int32_t token) = nullptr;  // null: no streaming
  void* user = nullptr;
};

}  // namespace tern
