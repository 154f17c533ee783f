#include "layers/feed_forward.h"

namespace tern {

Epilogue epilogue_of(Activation a) {
  switch (a) {
    case Activation::kGeluErf: return Epilogue::kGeluErf;
    case Activation::kGeluTanh: return Epilogue::kGeluTanh;
    case Activation::kRelu: return Epilogue::kRelu;
    case Activation::kTanh: return Epilogue::kTanh;
    case Activation::kSilu: return Epilogue::kSilu;
  }
  return Epilogue::kNone;
}

void feed_forward(const OpContext& ctx, const FeedForwardSpec& spec, const FeedForward& w, const float* x,
                  size_t M, float* hidden, float* y) {
  const size_t D = w.out.out, F = w.out.in;
  const Epilogue act = epilogue_of(spec.activation);
  if (!spec.gated) {
    linear(ctx, w.in, x, D, M, hidden, F, act);
  } else {  // one fused GEMM: row = [W1a out | W1b out]
    linear(ctx, w.in, x, D, M, hidden, 2 * F, Epilogue::kNone);
    // The products are packed to rows of F (row m lands on bytes rows < m have been read from), so
    // that the second GEMM reads dense rows: an XNNPACK operator's input stride is fixed at its creation.
    for (size_t m = 0; m < M; ++m) {
      float* row = hidden + m * 2 * F;
      float* product = hidden + m * F;
      ctx.kernels.activation.fn(row, F, act);
      for (size_t i = 0; i < F; ++i) product[i] = row[i] * row[F + i];
    }
  }
  linear(ctx, w.out, hidden, F, M, y, D, Epilogue::kNone);
}

}  // namespace tern
