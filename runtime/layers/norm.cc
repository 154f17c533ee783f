#include "layers/norm.h"

#include <cstring>

namespace tern {

void apply_norm(const OpContext& ctx, const NormSpec& spec, const Norm& norm, const float* x,
                const float* residual, size_t M, size_t D, float* out) {
  if (spec.kind == NormKind::kLayer) {
    layer_norm(ctx, x, residual, M, D, norm, spec.eps, out);
    return;
  }
  if (residual) {  // RMSNorm has no fused residual: the sum goes to out first
    if (out != x) std::memcpy(out, x, M * D * sizeof(float));
    add_inplace(out, residual, M * D);
    x = out;
  }
  rms_norm(ctx, x, M, D, norm.weight, spec.eps, out);
}

const float* sublayer_input(const OpContext& ctx, const NormSpec& spec, const Norm& norm, const float* in,
                            size_t M, size_t D, float* normed) {
  if (spec.post) return in;
  apply_norm(ctx, spec, norm, in, nullptr, M, D, normed);
  return normed;
}

void add_residual(const OpContext& ctx, const NormSpec& spec, const Norm& norm, const float* in, float* y,
                  size_t M, size_t D, float* out) {
  if (spec.post) {
    apply_norm(ctx, spec, norm, y, in, M, D, out);
    return;
  }
  if (out != in) std::memcpy(out, in, M * D * sizeof(float));
  add_inplace(out, y, M * D);
}

}  // namespace tern
