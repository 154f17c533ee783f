// The position-wise feed-forward block: act(x W1 + b1) W2 + b2, or gated (T5 v1.1, LLaMA-style):
// (act(x W1a) * (x W1b)) W2, with any activation the runtime has.
#pragma once

#include "ops/ops.h"
#include "tern/model.h"

namespace tern {

struct FeedForward {
  Linear in;   // [F, D], or gated [2F, D]: rows W1a then W1b
  Linear out;  // [D, F]
};

struct FeedForwardSpec {
  Activation activation = Activation::kRelu;
  bool gated = false;
};

// y[M, D] = ffn(x[M, D]), x at row stride D; hidden: [M, in.out] scratch.
void feed_forward(const OpContext& ctx, const FeedForwardSpec& spec, const FeedForward& w, const float* x,
                  size_t M, float* hidden, float* y);

// The GEMM epilogue that applies an activation.
Epilogue epilogue_of(Activation a);

}  // namespace tern
