// Norms as a model's config sets them: LayerNorm (weight and bias) or T5's RMSNorm (weight only),
// before each sublayer (pre-norm) or after its residual add (post-norm).
#pragma once

#include "ops/ops.h"

namespace tern {

enum class NormKind { kRms = 0, kLayer = 1 };  // the blob's fb::NormKind values

struct NormSpec {
  NormKind kind = NormKind::kLayer;
  float eps = 1e-5f;
  bool post = false;  // post-norm: norm(x + f(x)); pre-norm: x + f(norm(x))
};

// out[M, D] = norm(x + residual) (residual may be null; out may be x or residual).
void apply_norm(const OpContext& ctx, const NormSpec& spec, const Norm& norm, const float* x,
                const float* residual, size_t M, size_t D, float* out);

// A residual sublayer f around `in` [M, D], whose result goes to `out` (which may be `in`):
// what f reads (pre-norm: norm(in) written to `normed`; post-norm: in itself) ...
const float* sublayer_input(const OpContext& ctx, const NormSpec& spec, const Norm& norm, const float* in,
                            size_t M, size_t D, float* normed);
// ... and out = in + y (pre-norm) or norm(in + y) (post-norm), y being f's output (which this may
// overwrite).
void add_residual(const OpContext& ctx, const NormSpec& spec, const Norm& norm, const float* in, float* y,
                  size_t M, size_t D, float* out);

}  // namespace tern
