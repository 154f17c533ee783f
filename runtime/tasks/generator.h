// Decoding strategies with Hugging Face generate() semantics: greedy, beam search (length penalty,
// early stopping, num_return_sequences), sampling (temperature, top-k, top-p, seeded), and the
// no_repeat_ngram and min-length processors. Works on any decoder through two callbacks; all
// memory comes from the session's plan.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/memory_plan.h"
#include "kernels/kernels.h"
#include "tern/generation.h"
#include "tern/status.h"
#include "tern_generated.h"

namespace tern {

// Beam search keeps per-batch rankings in fixed arrays of this many entries.
constexpr int kMaxBeams = 64;

struct DecoderCallbacks {
  // Runs position `pos` for `rows` sequences with tokens ids[rows]; returns logits [rows, vocab].
  float* (*step)(void* self, const int32_t* ids, size_t rows, size_t pos);
  // Row r of every cache takes row from[r] (first `positions` entries).
  void (*reorder)(void* self, const int32_t* from, size_t rows, size_t positions);
  void* self;
};

struct GeneratorPlan {
  size_t batch = 0, beams = 0, positions = 0, vocab = 0;  // maxima
  int seqs, next_seqs, scores, cand, hyps, hyp_info, from, results, result_scores, sort;
};

// Adds the generator's buffers for up to `batch` inputs, `beams` beams and `positions` decoder
// positions (start token included) to `memory`, at step `step`.
GeneratorPlan plan_generator(size_t batch, size_t beams, size_t positions, size_t vocab, int step,
                             MemoryPlan* memory);

struct GenerationResult {
  const int32_t* tokens = nullptr;  // [batch * num_return_sequences, length], padded with pad id
  const float* scores = nullptr;    // [batch * num_return_sequences] (beam search), else null
  size_t sequences = 0, length = 0;
  bool cancelled = false;           // the token stream asked to stop (tern/generation.h says what is kept)
};

struct TokenIds {
  int32_t start, eos, pad;
};

Result<GenerationResult> generate(const GenerationOptions& options, const GeneratorPlan& plan,
                                  const MemoryPlan& memory, uint8_t* arena, size_t batch,
                                  TokenIds ids, const DecoderCallbacks& decoder, const KernelTable& kernels,
                                  const TokenStream& stream = TokenStream());

// What generate() refuses in `o` for this session's plan, then check_generation_values(o).
Status check_generation_options(const GenerationOptions& o, const GeneratorPlan& plan);
// What generate() refuses in `o` whatever the session. tern-convert applies it to the generation
// defaults it writes, so that a blob never carries defaults generate() would refuse.
Status check_generation_values(const GenerationOptions& o);
// A blob's generation defaults (generation config or task) as options, unclamped.
GenerationOptions generation_options(const fb::GenerationConfig& g);

}  // namespace tern
