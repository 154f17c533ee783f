// Linear layers kept in float: C = epilogue(A . W^T + bias), W f32 row-major [N, K] (f32_gemm_8x4.h).
#include "f32_gemm_8x4.h"

namespace tern {

void f32_gemm_8x4__neon(size_t M, size_t N, size_t K, const float* A, size_t lda, const float* W, size_t ldw,
                        const float* bias, float* C, size_t ldc, Epilogue epilogue) {
  gemm_8x4(M, N, K, A, lda, W, ldw, bias, C, ldc, epilogue);
}

}  // namespace tern
