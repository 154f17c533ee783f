#include "ops/xnnpack_linear.h"

#include <xnnpack.h>

#include <atomic>
#include <cmath>
#include <cstdlib>

#include "ops/ops.h"

namespace tern {
namespace {

// XNNPACK runs every float Linear at every M, as measured (single thread; scripts/bench/xnnpack_fc.cc).
// ARM: its f32 kernels execute fewer instructions per MAC (aarch64 0.354 against tern's
// f32_gemm_8x4__neon 0.448; armv7 0.361 against 0.534). x86 (AMD EPYC with AVX-512, a shared
// machine: runs differ by up to 20%; against tern's f32_gemm_4x4__avx512f), summed over M = 1..128,
// two runs: 768x768 66.8 / 72.9 ms against 85.3 / 92.4; 3072x768 354 / 505 against 419 / 489;
// 768x3072 388 / 407 against 484 / 487. At M = 1 tern's kernel is ahead only while one layer's
// weights stay in cache between calls (768x768: 32 against 28 GFLOP/s in one run, 24 against 27 in
// another); a decoder step reads every layer's weights from memory, and there XNNPACK's packed
// layout wins at M = 1 too (32 layers of 768x768 in turn: 16.6 / 16.8 against 10.9 / 10.5 GFLOP/s;
// 16 of 2048x512: 12.4 / 18.7 against 8.8 / 11.3). So no M threshold for F32 weights.
//
// F16 weights are different: XNNPACK runs on an f32 copy, so a decoder step reads twice the bytes
// tern's f16-weight kernel reads. Layers in turn, M = 1..3, two runs: 32 of 768x768, XNNPACK 6.8-12.6
// against tern's f32_f16w_gemm_4x4__avx512f 12.2-30.6 GFLOP/s; 16 of 2048x512, 9.5-22.1 against
// 19.8-32.8. From M = 4 XNNPACK wins (16.9 / 26.4 against 12.5 / 9.6; 16.7 / 15.6 against 10.8 /
// 9.0). Measured on x86; ARM reads memory no faster, so the same rule holds there unmeasured.
constexpr size_t kF16MinRows = 4;

// XNNPACK's memory goes through this allocator so that a session can report what its operators
// really allocated (the bytes one thread allocates while creating one operator), and tests can
// check that running allocates nothing. It forwards to malloc/posix_memalign/free, as XNNPACK's
// default does, so blocks stay compatible if another user of XNNPACK in the process installs its own.
std::atomic<size_t> g_allocations{0};
thread_local size_t t_allocated_bytes = 0;

void count(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  t_allocated_bytes += size;
}
void* allocate(void*, size_t size) {
  count(size);
  return std::malloc(size);
}
void* reallocate(void*, void* p, size_t size) {
  count(size);
  return std::realloc(p, size);
}
void deallocate(void*, void* p) { std::free(p); }
void* aligned_allocate(void*, size_t alignment, size_t size) {
  count(size);
  void* p = nullptr;
  return posix_memalign(&p, alignment < sizeof(void*) ? sizeof(void*) : alignment, size) == 0 ? p : nullptr;
}
void aligned_deallocate(void*, void* p) { std::free(p); }
const xnn_allocator kAllocator{nullptr, allocate, reallocate, deallocate, aligned_allocate, aligned_deallocate};

// Once per process. False when XNNPACK cannot run here (for example a CPU without the SIMD it
// requires): sessions then use tern's kernels.
bool initialized() {
  static const bool ok = xnn_initialize(&kAllocator) == xnn_status_success;
  return ok;
}

}  // namespace

Result<std::unique_ptr<XnnpackLinears>> XnnpackLinears::create(const std::vector<const Linear*>& linears) {
  bool any_float = false;
  for (const Linear* l : linears) any_float |= l->weight->dtype != fb::DType::I8;
  if (!any_float || !initialized()) return std::unique_ptr<XnnpackLinears>();
  std::unique_ptr<XnnpackLinears> r(new XnnpackLinears());
  r->ops_.assign(linears.size(), nullptr);  // Binder made index = position in `linears`
  std::vector<float> widened;  // F16 weights as f32, only while XNNPACK packs them
  for (const Linear* l : linears) {
    const TensorView& w = *l->weight;
    if (w.dtype == fb::DType::I8) continue;
    const float* weights = static_cast<const float*>(w.data);
    if (w.dtype == fb::DType::F16) {
      widened.resize(l->out * l->in);
      const uint16_t* h = static_cast<const uint16_t*>(w.data);
      for (size_t i = 0; i < widened.size(); ++i) widened[i] = f16_to_f32(h[i]);
      weights = widened.data();
    }
    // No clamp: the caller applies every epilogue as a pass, whatever activation the layer has.
    const size_t before = t_allocated_bytes;
    xnn_operator_t op = nullptr;
    const xnn_status st = xnn_create_fully_connected_nc_f32(l->in, l->out, l->in, l->out, weights, l->bias,
                                                            -INFINITY, INFINITY, 0, &op);
    TERN_CHECK_OR_RETURN(st == xnn_status_success, Code::kResourceExhausted,
                         "tensor '%.*s' [%zu, %zu]: XNNPACK cannot create its fully-connected operator (status %d)",
                         int(w.name.size()), w.name.data(), l->out, l->in, int(st));
    r->ops_[size_t(l->index)] = op;
    ++r->operators_;
    size_t bytes = t_allocated_bytes - before;
    // Someone else's xnn_initialize may have replaced the allocator: then what XNNPACK packs at
    // least, N rounded up to its 16-channel tiles by K weights plus one bias each.
    if (bytes == 0) bytes = (l->out + 15) / 16 * 16 * (l->in + 1) * sizeof(float);
    r->bytes_ += bytes;
  }
  std::vector<float>().swap(widened);
  return r;
}

XnnpackLinears::~XnnpackLinears() {
  for (void* op : ops_)
    if (op) xnn_delete_operator(static_cast<xnn_operator_t>(op));
}

bool XnnpackLinears::run(const Linear& op, const float* x, size_t ldx, size_t M, float* y, size_t ldy,
                         pthreadpool_t pool) const {
  if (op.index < 0 || size_t(op.index) >= ops_.size() || !ops_[size_t(op.index)]) return false;
  if (ldx != op.in || ldy != op.out) return false;
  if (op.weight->dtype == fb::DType::F16 && M < kF16MinRows) return false;
  xnn_operator_t xop = static_cast<xnn_operator_t>(ops_[size_t(op.index)]);
  return xnn_setup_fully_connected_nc_f32(xop, M, x, y, pool) == xnn_status_success &&
         xnn_run_operator(xop, pool) == xnn_status_success;
}

size_t XnnpackLinears::allocations() { return g_allocations.load(std::memory_order_relaxed); }

}  // namespace tern
