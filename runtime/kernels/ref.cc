// Reference kernels: plain C++, the ground truth every SIMD kernel is tested against.
#include <cmath>
#include <cstring>

#include "kernels/kernels.h"

namespace tern {

float apply_epilogue(float x, Epilogue e) {
  switch (e) {
    case Epilogue::kNone: return x;
    case Epilogue::kGeluErf: return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
    case Epilogue::kGeluTanh: {
      const float c = 0.7978845608028654f;  // sqrt(2 / pi)
      return 0.5f * x * (1.0f + std::tanh(c * (x + 0.044715f * x * x * x)));
    }
    case Epilogue::kRelu: return x > 0 ? x : 0;
    case Epilogue::kTanh: return std::tanh(x);
    case Epilogue::kSilu: {
      // x sigmoid(x) = x / (1 + e) for x >= 0, x e / (1 + e) below, e = exp(-|x|) in [0, 1]: no
      // overflow and no cancellation on either side. -inf gives -0, the limit (torch's
      // x / (1 + exp(-x)) gives NaN there); NaN stays NaN.
      if (std::isinf(x)) return x > 0 ? x : -0.0f;
      const float e = std::exp(-std::fabs(x));
      return (x < 0 ? x * e : x) / (1.0f + e);
    }
  }
  return x;
}

#if !defined(__aarch64__)
float f16_to_f32(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000 | (mant << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {  // subnormal: normalize
    exp = 113;
    while (!(mant & 0x400)) { mant <<= 1; --exp; }
    bits = sign | (exp << 23) | ((mant & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
#endif

uint16_t f32_to_f16(float f) {  // round to nearest even, as numpy and torch do
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000;
  uint32_t absx = x & 0x7fffffff;
  if (absx >= 0x7f800000) return uint16_t(sign | 0x7c00 | (absx > 0x7f800000 ? 0x200 : 0));
  if (absx >= 0x477ff000) return uint16_t(sign | 0x7c00);  // rounds to >= 65520: inf
  if (absx < 0x38800000) {  // half subnormal: value = r * 2^-24
    if (absx < 0x33000000) return uint16_t(sign);  // below half the smallest subnormal
    uint32_t e = absx >> 23, m = (absx & 0x7fffff) | 0x800000;
    uint32_t shift = 126 - e;  // m * 2^(e - 150) / 2^-24 = m >> shift, shift in [14, 24]
    uint32_t r = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1))) ++r;
    return uint16_t(sign | r);
  }
  uint32_t r = ((absx - 0x38000000) >> 13);
  uint32_t rem = absx & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (r & 1))) ++r;
  return uint16_t(sign | r);
}

void qd8_f32_qc8w_gemm_1x16c4__ref(size_t M, size_t N, size_t K, const int8_t* A, size_t lda,
                                   const float* a_scale, const int8_t* W, const float* w_scale,
                                   const int32_t*, const float* bias, float* C, size_t ldc,
                                   Epilogue epilogue) {
  const size_t kp = (K + 3) / 4 * 4;
  for (size_t m = 0; m < M; ++m) {
    const int8_t* a = A + m * lda;
    for (size_t n = 0; n < N; ++n) {
      const int8_t* block = W + (n / 16) * kp * 16 + (n % 16) * 4;
      int32_t acc = 0;
      for (size_t k = 0; k < kp; k += 4) {
        const int8_t* w = block + k * 16;
        acc += int32_t(a[k]) * w[0] + int32_t(a[k + 1]) * w[1] + int32_t(a[k + 2]) * w[2] +
               int32_t(a[k + 3]) * w[3];
      }
      float y = float(acc) * a_scale[m] * w_scale[n] + (bias ? bias[n] : 0.0f);
      C[m * ldc + n] = apply_epilogue(y, epilogue);
    }
  }
}

void f32_gemm_1x1__ref(size_t M, size_t N, size_t K, const float* A, size_t lda, const float* W,
                       size_t ldw, const float* bias, float* C, size_t ldc, Epilogue epilogue) {
  for (size_t m = 0; m < M; ++m) {
    for (size_t n = 0; n < N; ++n) {
      const float* a = A + m * lda;
      const float* w = W + n * ldw;
      float acc = 0;
      for (size_t k = 0; k < K; ++k) acc += a[k] * w[k];
      C[m * ldc + n] = apply_epilogue(acc + (bias ? bias[n] : 0.0f), epilogue);
    }
  }
}

void f32_f16w_gemm_1x1__ref(size_t M, size_t N, size_t K, const float* A, size_t lda,
                            const uint16_t* W, size_t ldw, const float* bias, float* C, size_t ldc,
                            Epilogue epilogue) {
  for (size_t m = 0; m < M; ++m) {
    for (size_t n = 0; n < N; ++n) {
      const float* a = A + m * lda;
      const uint16_t* w = W + n * ldw;
      float acc = 0;
      for (size_t k = 0; k < K; ++k) acc += a[k] * f16_to_f32(w[k]);
      C[m * ldc + n] = apply_epilogue(acc + (bias ? bias[n] : 0.0f), epilogue);
    }
  }
}

void qd8_quantize_rows__ref(size_t M, size_t K, const float* X, size_t ldx, int8_t* Q, size_t ldq,
                            float* scale) {
  const size_t kp = (K + 3) / 4 * 4;
  for (size_t m = 0; m < M; ++m) {
    const float* x = X + m * ldx;
    int8_t* q = Q + m * ldq;
    float absmax = 0;
    for (size_t k = 0; k < K; ++k) absmax = std::fabs(x[k]) > absmax ? std::fabs(x[k]) : absmax;
    float inv = absmax > 0 ? 127.0f / absmax : 1.0f;
    scale[m] = absmax > 0 ? absmax / 127.0f : 1.0f;
    for (size_t k = 0; k < K; ++k) {
      long v = std::lrint(x[k] * inv);
      q[k] = int8_t(v > 127 ? 127 : (v < -127 ? -127 : v));
    }
    for (size_t k = K; k < kp; ++k) q[k] = 0;
  }
}

void f32_gemm_nn_1x1__ref(size_t M, size_t N, size_t K, const float* A, size_t lda, const float* B,
                          size_t ldb, float* C, size_t ldc) {
  for (size_t m = 0; m < M; ++m) {
    float* c = C + m * ldc;
    for (size_t n = 0; n < N; ++n) c[n] = 0;
    for (size_t k = 0; k < K; ++k) {
      const float a = A[m * lda + k];
      const float* b = B + k * ldb;
      for (size_t n = 0; n < N; ++n) c[n] += a * b[n];
    }
  }
}

void f32_softmax__ref(float* x, size_t n) {
  float mx = x[0];
  for (size_t i = 1; i < n; ++i) mx = x[i] > mx ? x[i] : mx;
  float sum = 0;
  for (size_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  for (size_t i = 0; i < n; ++i) x[i] *= inv;
}

void f32_log_softmax__ref(float* x, size_t n) {
  float mx = x[0];
  for (size_t i = 1; i < n; ++i) mx = std::fmax(mx, x[i]);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += std::exp(double(x[i] - mx));
  const float lse = mx + float(std::log(sum));
  for (size_t i = 0; i < n; ++i) x[i] -= lse;
}

void f32_activation__ref(float* x, size_t n, Epilogue epilogue) {
  for (size_t i = 0; i < n; ++i) x[i] = apply_epilogue(x[i], epilogue);
}

// Sums in double: the reference the vector kernels are measured against.
void f32_layer_norm__ref(size_t dim, const float* x, const float* residual, const float* gamma, const float* beta,
                         float eps, float* y) {
  double sum = 0;
  for (size_t i = 0; i < dim; ++i) {
    y[i] = residual ? x[i] + residual[i] : x[i];
    sum += y[i];
  }
  const float mean = float(sum / double(dim));
  double var = 0;
  for (size_t i = 0; i < dim; ++i) var += double(y[i] - mean) * double(y[i] - mean);
  const float inv = float(1.0 / std::sqrt(var / double(dim) + double(eps)));
  for (size_t i = 0; i < dim; ++i) y[i] = (y[i] - mean) * inv * gamma[i] + beta[i];
}

void f32_rms_norm__ref(size_t dim, const float* x, const float* weight, float eps, float* y) {
  double sum = 0;
  for (size_t i = 0; i < dim; ++i) sum += double(x[i]) * x[i];
  const float inv = float(1.0 / std::sqrt(sum / double(dim) + double(eps)));
  for (size_t i = 0; i < dim; ++i) y[i] = weight[i] * (x[i] * inv);
}

}  // namespace tern
