#include "tasks/generator.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace tern {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

struct Hyp {  // a finished beam hypothesis, tokens stored separately
  float score;
  int32_t length;
};

// The processors Hugging Face applies for these options, on one row of scores.
void process(const GenerationOptions& o, const int32_t* seq, size_t len, float* scores, TokenIds ids) {
  const size_t n = size_t(o.no_repeat_ngram_size);
  if (n > 0 && len + 1 >= n) {  // ban tokens that would repeat an n-gram already in seq
    const int32_t* prefix = seq + len - (n - 1);
    for (size_t i = 0; i + n <= len; ++i)
      if (std::equal(seq + i, seq + i + n - 1, prefix)) scores[seq[i + n - 1]] = kNegInf;
  }
  if (len - 1 < size_t(o.min_new_tokens)) scores[ids.eos] = kNegInf;
}

size_t argmax(const float* x, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i)
    if (x[i] > x[best]) best = i;
  return best;
}

// splitmix64: small, seedable, the same sequence on every platform.
struct Rng {
  uint64_t state;
  double uniform() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return double((z ^ (z >> 31)) >> 11) * (1.0 / 9007199254740992.0);
  }
};

// Temperature, top-k, top-p as Hugging Face's warpers, then a draw. `order` is scratch [vocab].
// Returns -1 when no token has a finite score (NaN logits, or every token banned).
int32_t sample(const GenerationOptions& o, float* scores, size_t vocab, int32_t* order, Rng* rng) {
  // Hugging Face divides the raw logits by the temperature: a tiny one (1e-38) overflows them to
  // +-inf, softmax gives NaN and torch.multinomial raises. The limit T -> 0 is greedy, and softmax
  // is invariant to a shift, so subtract the largest logit first: every scaled score is then <= 0,
  // the best is exactly 0 and cannot overflow, and a tiny temperature samples among the tokens tied
  // with the best (greedy when there is one). For temperatures that do not overflow, the
  // distribution is the one Hugging Face samples from. NaN scores are never drawn: they become
  // -inf before sorting (a NaN would also break the sort's ordering).
  float best = kNegInf;
  for (size_t i = 0; i < vocab; ++i)
    if (scores[i] > best) best = scores[i];  // false for NaN
  if (!(best > kNegInf)) return -1;
  for (size_t i = 0; i < vocab; ++i)
    scores[i] = std::isnan(scores[i]) ? kNegInf : (scores[i] - best) / o.temperature;
  for (size_t i = 0; i < vocab; ++i) order[i] = int32_t(i);
  std::sort(order, order + vocab, [&](int32_t a, int32_t b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); });
  size_t keep = vocab;
  if (o.top_k > 0 && size_t(o.top_k) < vocab) {
    const float kth = scores[order[o.top_k - 1]];
    keep = size_t(o.top_k);
    while (keep < vocab && scores[order[keep]] == kth) ++keep;  // ties with the k-th stay
  }
  const float mx = scores[order[0]];
  double total = 0;
  for (size_t i = 0; i < keep; ++i) total += std::exp(double(scores[order[i]] - mx));
  if (o.top_p < 1.0f) {  // smallest prefix (in descending order) whose mass reaches top_p
    double mass = 0;
    size_t i = 0;
    for (; i < keep; ++i) {
      mass += std::exp(double(scores[order[i]] - mx)) / total;
      if (mass >= double(o.top_p)) break;
    }
    keep = std::min(keep, i + 1);
    total = 0;
    for (size_t j = 0; j < keep; ++j) total += std::exp(double(scores[order[j]] - mx));
  }
  double u = rng->uniform() * total;
  for (size_t i = 0; i < keep; ++i) {
    u -= std::exp(double(scores[order[i]] - mx));
    if (u <= 0) return order[i];
  }
  return order[keep - 1];
}

template <typename T>
T* at(uint8_t* arena, const MemoryPlan& m, int i) {
  return reinterpret_cast<T*>(arena + m.offset(i));
}

}  // namespace

GeneratorPlan plan_generator(size_t batch, size_t beams, size_t positions, size_t vocab, int step, MemoryPlan* m) {
  GeneratorPlan p;
  p.batch = batch;
  p.beams = beams;
  p.positions = positions;
  p.vocab = vocab;
  const size_t rows = batch * beams;
  p.seqs = m->add("seqs", product(rows, positions, 4), step, step + 1);
  p.next_seqs = m->add("next_seqs", product(rows, positions, 4), step, step);
  p.scores = m->add("scores", product(rows, 4), step, step);
  p.cand = m->add("cand", product(batch, 2, beams, 12), step, step);
  p.hyps = m->add("hyps", product(batch, beams + 1, positions, 4), step, step + 1);
  p.hyp_info = m->add("hyp_info", add_size(product(batch, beams + 1, sizeof(Hyp)), product(batch, 8)), step, step + 1);
  p.from = m->add("from", product(rows, 4), step, step);
  p.results = m->add("results", product(rows, positions, 4), step, step + 1);
  p.result_scores = m->add("result_scores", product(rows, 4), step, step + 1);
  p.sort = m->add("sort", product(vocab, 4), step, step);
  return p;
}

Status check_generation_options(const GenerationOptions& o, const GeneratorPlan& p) {
  TERN_CHECK_OR_RETURN(o.max_new_tokens >= 1 && size_t(o.max_new_tokens) + 1 <= p.positions,
                       Code::kInvalidArgument,
                       "generate: max_new_tokens=%d is not in 1..%zu planned for this session",
                       o.max_new_tokens, p.positions - 1);
  TERN_CHECK_OR_RETURN(o.num_beams >= 1 && size_t(o.num_beams) <= p.beams, Code::kInvalidArgument,
                       "generate: num_beams=%d is not in 1..%zu planned for this session", o.num_beams, p.beams);
  return check_generation_values(o);
}

Status check_generation_values(const GenerationOptions& o) {
  TERN_CHECK_OR_RETURN(o.max_new_tokens >= 1, Code::kInvalidArgument, "generate: max_new_tokens=%d is not positive",
                       o.max_new_tokens);
  TERN_CHECK_OR_RETURN(o.num_beams >= 1 && o.num_beams <= kMaxBeams, Code::kUnsupported,
                       "generate: num_beams=%d is not in 1..%d", o.num_beams, kMaxBeams);
  TERN_CHECK_OR_RETURN(o.num_return_sequences >= 1 && o.num_return_sequences <= o.num_beams,
                       Code::kInvalidArgument, "generate: num_return_sequences=%d must be in 1..num_beams=%d",
                       o.num_return_sequences, o.num_beams);
  TERN_CHECK_OR_RETURN(!(o.do_sample && o.num_beams > 1), Code::kUnsupported,
                       "generate: beam sampling (do_sample with num_beams > 1) is not supported");
  TERN_CHECK_OR_RETURN(o.num_beams > 1 || o.num_return_sequences == 1, Code::kUnsupported,
                       "generate: num_return_sequences > 1 needs beam search");
  TERN_CHECK_OR_RETURN(o.min_new_tokens >= 0, Code::kInvalidArgument, "generate: min_new_tokens=%d is negative",
                       o.min_new_tokens);
  TERN_CHECK_OR_RETURN(o.no_repeat_ngram_size >= 0, Code::kInvalidArgument,
                       "generate: no_repeat_ngram_size=%d is negative", o.no_repeat_ngram_size);
  TERN_CHECK_OR_RETURN(o.top_k >= 0, Code::kInvalidArgument, "generate: top_k=%d is negative", o.top_k);
  TERN_CHECK_OR_RETURN(o.temperature > 0 && std::isfinite(o.temperature), Code::kInvalidArgument,
                       "generate: temperature=%g must be finite and positive", o.temperature);
  TERN_CHECK_OR_RETURN(o.top_p > 0 && o.top_p <= 1, Code::kInvalidArgument, "generate: top_p=%g is not in (0, 1]",
                       o.top_p);
  TERN_CHECK_OR_RETURN(std::isfinite(o.length_penalty), Code::kInvalidArgument,
                       "generate: length_penalty=%g is not finite", o.length_penalty);
  return Status();
}

GenerationOptions generation_options(const fb::GenerationConfig& g) {
  GenerationOptions o;
  o.max_new_tokens = g.max_new_tokens();
  o.min_new_tokens = g.min_new_tokens();
  o.num_beams = g.num_beams();
  o.length_penalty = g.length_penalty();
  o.no_repeat_ngram_size = g.no_repeat_ngram_size();
  o.early_stopping = g.early_stopping();
  o.do_sample = g.do_sample();
  o.temperature = g.temperature();
  o.top_k = g.top_k();
  o.top_p = g.top_p();
  return o;
}

namespace {

Result<GenerationResult> greedy_or_sample(const GenerationOptions& o, const GeneratorPlan& p, const MemoryPlan& m,
                                          uint8_t* arena, size_t batch, TokenIds ids, const DecoderCallbacks& d,
                                          const TokenStream& stream) {
  const size_t P = p.positions, V = p.vocab, max_len = size_t(o.max_new_tokens) + 1;
  int32_t* seqs = at<int32_t>(arena, m, p.results);
  // Greedy and sampling borrow beam search's buffers: p.from (one id per row) holds each row's
  // last token, p.next_seqs (rows x positions) a finished flag per row.
  int32_t* next = at<int32_t>(arena, m, p.from);
  int32_t* finished = at<int32_t>(arena, m, p.next_seqs);
  int32_t* order = at<int32_t>(arena, m, p.sort);
  Rng rng{o.seed};
  for (size_t b = 0; b < batch; ++b) seqs[b * P] = ids.start, finished[b] = 0;
  size_t len = 1;
  bool cancelled = false;
  while (len < max_len && !cancelled) {
    for (size_t b = 0; b < batch; ++b) next[b] = seqs[b * P + len - 1];
    float* logits = d.step(d.self, next, batch, len - 1);
    bool all_done = true;
    for (size_t b = 0; b < batch; ++b) {
      if (cancelled) {  // the rows after the one whose report cancelled: nothing new, as if finished
        seqs[b * P + len] = ids.pad;
        continue;
      }
      float* row = logits + b * V;
      process(o, seqs + b * P, len, row, ids);
      int32_t token = o.do_sample ? sample(o, row, V, order, &rng) : int32_t(argmax(row, V));
      TERN_CHECK_OR_RETURN(token >= 0, Code::kInvalidModel,
                           "generate: no token has a finite score at step %zu (NaN logits?)", len);
      if (finished[b]) token = ids.pad;
      else if (stream.on_token) cancelled = !stream.on_token(stream.user, b, token);
      seqs[b * P + len] = token;
      finished[b] = finished[b] || token == ids.eos;
      all_done = all_done && finished[b];
    }
    ++len;
    if (all_done) break;
  }
  GenerationResult r;
  r.tokens = seqs;
  r.sequences = batch;
  r.length = len;
  r.cancelled = cancelled;
  // Rows were written with stride P; pack to stride len (moving forward is safe).
  for (size_t b = 1; b < batch; ++b) std::memmove(seqs + b * len, seqs + b * P, len * sizeof(int32_t));
  return r;
}

// Beam search's report: each result row's tokens after the start token, up to and including its
// end-of-sequence token (rows are padded after it). Returns false when the stream cancelled.
bool report_rows(const TokenStream& stream, const int32_t* rows, size_t count, size_t width, TokenIds ids) {
  for (size_t i = 0; i < count; ++i) {
    const int32_t* row = rows + i * width;
    for (size_t t = 1; t < width; ++t) {
      if (!stream.on_token(stream.user, i, row[t])) return false;
      if (row[t] == ids.eos) break;
    }
  }
  return true;
}

GenerationResult beam_search(const GenerationOptions& o, const GeneratorPlan& p, const MemoryPlan& m, LogSoftmaxFn log_softmax,
                             uint8_t* arena, size_t batch, TokenIds ids, const DecoderCallbacks& d,
                             const TokenStream& stream) {
  const size_t K = size_t(o.num_beams), P = p.positions, V = p.vocab, rows = batch * K;
  const size_t max_len = size_t(o.max_new_tokens) + 1;
  int32_t* seqs = at<int32_t>(arena, m, p.seqs);
  int32_t* next_seqs = at<int32_t>(arena, m, p.next_seqs);
  float* beam_scores = at<float>(arena, m, p.scores);
  struct Cand { float score; int32_t token, beam; };
  Cand* cand = at<Cand>(arena, m, p.cand);
  int32_t* hyp_tokens = at<int32_t>(arena, m, p.hyps);  // [batch, K + 1, P]
  Hyp* hyps = at<Hyp>(arena, m, p.hyp_info);             // [batch, K + 1]
  int32_t* counts = reinterpret_cast<int32_t*>(hyps + batch * (K + 1));  // [batch]
  int32_t* done = counts + batch;                                        // [batch]
  int32_t* from = at<int32_t>(arena, m, p.from);
  for (size_t r = 0; r < rows; ++r) seqs[r * P] = ids.start, beam_scores[r] = r % K ? -1e9f : 0.0f;
  for (size_t b = 0; b < batch; ++b) counts[b] = done[b] = 0;

  // Hugging Face's BeamHypotheses.add: keep the K best by score = sum_logprobs / length^lp.
  auto add = [&](size_t b, const int32_t* tokens, size_t len, float sum_logprobs, size_t gen_len) {
    const float score = sum_logprobs / std::pow(float(gen_len), o.length_penalty);
    Hyp* h = hyps + b * (K + 1);
    int32_t& n = counts[b];
    if (size_t(n) == K) {
      size_t worst = 0;
      for (size_t i = 1; i < K; ++i)
        if (h[i].score < h[worst].score) worst = i;
      if (score <= h[worst].score) return;
      h[worst] = Hyp{score, int32_t(len)};
      std::memcpy(hyp_tokens + (b * (K + 1) + worst) * P, tokens, len * sizeof(int32_t));
      return;
    }
    h[n] = Hyp{score, int32_t(len)};
    std::memcpy(hyp_tokens + (b * (K + 1) + size_t(n)) * P, tokens, len * sizeof(int32_t));
    ++n;
  };
  auto worst_score = [&](size_t b) {
    float w = std::numeric_limits<float>::infinity();
    for (int32_t i = 0; i < counts[b]; ++i) w = std::fmin(w, hyps[b * (K + 1) + size_t(i)].score);
    return w;
  };

  size_t len = 1;
  while (len < max_len) {
    for (size_t r = 0; r < rows; ++r) from[r] = seqs[r * P + len - 1];
    float* logits = d.step(d.self, from, rows, len - 1);
    for (size_t r = 0; r < rows; ++r) {
      float* row = logits + r * V;
      log_softmax(row, V);
      process(o, seqs + r * P, len, row, ids);
      for (size_t v = 0; v < V; ++v) row[v] += beam_scores[r];
    }
    bool all_done = true;
    for (size_t b = 0; b < batch; ++b) {
      if (done[b]) {  // finished inputs keep padding
        for (size_t k = 0; k < K; ++k) {
          const size_t r = b * K + k;
          std::memcpy(next_seqs + r * P, seqs + r * P, len * sizeof(int32_t));
          next_seqs[r * P + len] = ids.pad;
          beam_scores[r] = 0;
          from[r] = int32_t(r);
        }
        continue;
      }
      // Top 2K candidates over this input's K x V scores, best first.
      Cand* c = cand + b * 2 * K;
      size_t n = 0;
      for (size_t k = 0; k < K; ++k)
        for (size_t v = 0; v < V; ++v) {
          const float s = logits[(b * K + k) * V + v];
          if (n == 2 * K && s <= c[n - 1].score) continue;
          size_t i = n < 2 * K ? n++ : n - 1;
          while (i > 0 && c[i - 1].score < s) c[i] = c[i - 1], --i;
          c[i] = Cand{s, int32_t(v), int32_t(k)};
        }
      size_t kept = 0;
      for (size_t rank = 0; rank < n && kept < K; ++rank) {
        const size_t src = b * K + size_t(c[rank].beam);
        if (c[rank].token == ids.eos) {
          if (rank >= K) continue;
          add(b, seqs + src * P, len, c[rank].score, len);
          continue;
        }
        const size_t r = b * K + kept++;
        std::memcpy(next_seqs + r * P, seqs + src * P, len * sizeof(int32_t));
        next_seqs[r * P + len] = c[rank].token;
        beam_scores[r] = c[rank].score;
        from[r] = int32_t(src);
      }
      // Done when K hypotheses exist and none of the live beams can beat the worst of them.
      if (size_t(counts[b]) == K) {
        const float best = c[0].score;
        done[b] = o.early_stopping || worst_score(b) >= best / std::pow(float(len), o.length_penalty);
      }
      all_done = all_done && done[b];
    }
    std::swap(seqs, next_seqs);
    ++len;
    d.reorder(d.self, from, rows, len - 1);
    if (all_done) break;
  }
  // Inputs still open at the length limit: every live beam becomes a hypothesis.
  for (size_t b = 0; b < batch; ++b) {
    if (done[b]) continue;
    for (size_t k = 0; k < K; ++k) add(b, seqs + (b * K + k) * P, len, beam_scores[b * K + k], len - 1);
  }
  // The best R hypotheses of each input, best first; rows padded to the longest (+ its eos).
  const size_t R = size_t(o.num_return_sequences);
  int32_t* out = at<int32_t>(arena, m, p.results);
  float* out_scores = at<float>(arena, m, p.result_scores);
  auto ranked = [&](size_t b, size_t* order) {  // K <= 64
    const Hyp* h = hyps + b * (K + 1);
    // Stable insertion sort, best first (std::stable_sort may allocate; K <= 64).
    for (size_t i = 0; i < size_t(counts[b]); ++i) {
      size_t j = i;
      for (; j > 0 && h[order[j - 1]].score < h[i].score; --j) order[j] = order[j - 1];
      order[j] = i;
    }
  };
  size_t order[kMaxBeams], longest = 0;
  for (size_t b = 0; b < batch; ++b) {
    ranked(b, order);
    for (size_t j = 0; j < R; ++j) longest = std::max(longest, size_t(hyps[b * (K + 1) + order[j]].length));
  }
  const size_t width = std::min(longest + 1, max_len);
  size_t count = 0;
  for (size_t b = 0; b < batch; ++b) {
    ranked(b, order);
    for (size_t j = 0; j < R; ++j, ++count) {
      const Hyp& h = hyps[b * (K + 1) + order[j]];
      const int32_t* t = hyp_tokens + (b * (K + 1) + order[j]) * P;
      int32_t* row = out + count * width;
      for (size_t i = 0; i < width; ++i) row[i] = i < size_t(h.length) ? t[i] : ids.pad;
      if (size_t(h.length) < width) row[h.length] = ids.eos;
      out_scores[count] = h.score;
    }
  }
  GenerationResult r;
  r.tokens = out;
  r.scores = out_scores;
  r.sequences = count;
  r.length = width;
  r.cancelled = stream.on_token && !report_rows(stream, out, count, width, ids);
  return r;
}

}  // namespace

Result<GenerationResult> generate(const GenerationOptions& o, const GeneratorPlan& p, const MemoryPlan& m,
                                  uint8_t* arena, size_t batch, TokenIds ids, const DecoderCallbacks& d,
                                  const KernelTable& kernels, const TokenStream& stream) {
  TERN_RETURN_IF_ERROR(check_generation_options(o, p));
  TERN_CHECK_OR_RETURN(batch >= 1 && batch <= p.batch, Code::kInvalidArgument, "generate: batch %zu not in 1..%zu", batch, p.batch);
  if (o.num_beams > 1) return beam_search(o, p, m, kernels.log_softmax.fn, arena, batch, ids, d, stream);
  return greedy_or_sample(o, p, m, arena, batch, ids, d, stream);
}

}  // namespace tern
