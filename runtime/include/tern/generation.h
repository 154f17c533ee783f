#pragma once

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

}  // namespace tern
