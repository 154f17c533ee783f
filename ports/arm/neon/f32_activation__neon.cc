// x = epilogue(x) in place: GELU (erf and tanh forms), tanh, ReLU, SiLU; kNone leaves x as it is.
#include <arm_neon.h>

#include "kernels/kernels.h"
#include "vector_math.h"

namespace tern {
namespace {

// One loop per epilogue, so the switch in activate4 folds away instead of running per vector. Two
// vectors a step: one load-pair, one store-pair and one loop test per 8 floats.
template <Epilogue E>
void activate_row(float* x, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const float32x4_t a = activate4(vld1q_f32(x + i), E), b = activate4(vld1q_f32(x + i + 4), E);
    vst1q_f32(x + i, a);
    vst1q_f32(x + i + 4, b);
  }
  if (i + 4 <= n) vst1q_f32(x + i, activate4(vld1q_f32(x + i), E)), i += 4;
  if (i < n) store_tail(x + i, n - i, activate4(load_tail(x + i, n - i), E));
}

}  // namespace

void f32_activation__neon(float* x, size_t n, Epilogue epilogue) {
  switch (epilogue) {
    case Epilogue::kGeluErf: return activate_row<Epilogue::kGeluErf>(x, n);
    case Epilogue::kGeluTanh: return activate_row<Epilogue::kGeluTanh>(x, n);
    case Epilogue::kTanh: return activate_row<Epilogue::kTanh>(x, n);
    case Epilogue::kRelu: return activate_row<Epilogue::kRelu>(x, n);
    case Epilogue::kSilu: return activate_row<Epilogue::kSilu>(x, n);
    case Epilogue::kNone: return;
  }
}

}  // namespace tern
